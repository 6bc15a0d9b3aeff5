"""``twosided``: makes one-sided BSDFs scatter on both sides of a surface.

With one nested BSDF both sides share it; with two, the first is the front
and the second the back. A lane that sees the back has both of its
directions mirrored through the surface (z -> -z) before the nested BSDF is
asked, so that the nested BSDF sees them as front-facing; a sampled
direction is mirrored back afterwards. Each nested BSDF is called once per
query, whatever side each lane sees, so nesting costs linear, not
exponential, time.
"""
import copy

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.dispatch import select
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.traversal import ParamFlags


def mirror(v, where):
    """``v`` (local Array3f) with z negated in the lanes where ``where`` holds."""
    return bk.Array3f(v.x, v.y, dr.select(where, -v.z, v.z))


@register('bsdf', 'twosided')
class TwoSided(BSDF):
    """Front and back (possibly the same) nested BSDFs."""

    def __init__(self, props):
        nested = [child for child in props.children if isinstance(child, BSDF)]
        nested += [obj for _, obj in props.named_objects() if isinstance(obj, BSDF)]
        if not 1 <= len(nested) <= 2:
            raise props.error('bsdf', f'twosided needs one or two nested BSDFs, got {len(nested)}')
        self.front, self.back = nested[0], nested[-1]
        BSDF.__init__(self, props)
        # Each side's lobes, now seen from both sides.
        sides = BSDFFlags.FrontSide | BSDFFlags.BackSide
        self.set_components(*(BSDFFlags(c) | sides for c in self.front.m_components),
                            *((BSDFFlags(c) | sides for c in self.back.m_components)
                              if self.back is not self.front else ()))

    def traverse(self, callback):
        callback.put('brdf_0', self.front, ParamFlags.Differentiable)
        if self.back is not self.front:
            callback.put('brdf_1', self.back, ParamFlags.Differentiable)

    def _front_facing(self, si):
        """``si`` seen from the front in every lane, and the mask of lanes that were mirrored."""
        back = si.wi.z < 0
        front_facing = copy.copy(si)
        front_facing.wi = mirror(si.wi, back)
        return front_facing, back

    def _per_side(self, call, back):
        """``call(bsdf)`` of the front BSDF on front lanes and of the back BSDF on back lanes."""
        front_value = call(self.front)
        if self.back is self.front:
            return front_value
        return select(back, call(self.back), front_value)

    def eval(self, ctx, si, wo, active=True):
        si, back = self._front_facing(si)
        return self._per_side(lambda b: b.eval(ctx, si, mirror(wo, back), active), back)

    def pdf(self, ctx, si, wo, active=True):
        si, back = self._front_facing(si)
        return self._per_side(lambda b: b.pdf(ctx, si, mirror(wo, back), active), back)

    def eval_diffuse_reflectance(self, si, active=True):
        si, back = self._front_facing(si)
        return self._per_side(lambda b: b.eval_diffuse_reflectance(si, active), back)

    def sample(self, ctx, si, sample1, sample2, active=True):
        si, back = self._front_facing(si)
        bs, weight = self._per_side(lambda b: b.sample(ctx, si, sample1, sample2, active), back)
        bs.wo = mirror(bs.wo, back)
        return bs, weight


    def eval_mueller(self, ctx, si, wo, active=True):
        si, back = self._front_facing(si)
        return self._per_side(lambda b: b.eval_mueller(ctx, si, mirror(wo, back), active), back)

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        si, back = self._front_facing(si)
        bs, weight = self._per_side(lambda b: b.sample_mueller(ctx, si, sample1, sample2, active), back)
        bs.wo = mirror(bs.wo, back)
        return bs, weight

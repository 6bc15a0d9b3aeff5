"""``twosided``: makes one-sided BSDFs scatter on both sides of a surface.

With one nested BSDF both sides share it; with two, the first is the front
and the second the back. A lane that sees the back has both of its
directions mirrored through the surface (z -> -z) before the nested BSDF is
asked, so that the nested BSDF sees them as front-facing; a sampled
direction is mirrored back afterwards. Each nested BSDF is called once per
query, whatever side each lane sees, so nesting costs linear, not
exponential, time.
"""
from dataclasses import replace

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.dispatch import select
from tutorial_kit.renderer.bsdf import BSDF
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

    def traverse(self, callback):
        callback.put('brdf_0', self.front, ParamFlags.Differentiable)
        if self.back is not self.front:
            callback.put('brdf_1', self.back, ParamFlags.Differentiable)

    def _front_facing(self, si):
        """``si`` seen from the front in every lane, and the mask of lanes that were mirrored."""
        back = si.wi.z < 0
        return replace(si, wi=mirror(si.wi, back)), back

    def _per_side(self, method, back, *args):
        """``method`` of the front BSDF on front lanes and of the back BSDF on back lanes."""
        front_value = getattr(self.front, method)(*args)
        if self.back is self.front:
            return front_value
        return select(back, getattr(self.back, method)(*args), front_value)

    def eval(self, si, wo, active=True):
        si, back = self._front_facing(si)
        return self._per_side('eval', back, si, mirror(wo, back), active)

    def pdf(self, si, wo, active=True):
        si, back = self._front_facing(si)
        return self._per_side('pdf', back, si, mirror(wo, back), active)

    def sample(self, si, sample1, sample2, active=True):
        si, back = self._front_facing(si)
        bs, weight = self._per_side('sample', back, si, sample1, sample2, active)
        return replace(bs, wo=mirror(bs.wo, back)), weight


"""``null``: no surface at all; light passes straight through.

A shape with this BSDF is invisible: it only marks where a medium begins
and ends (Mitsuba 3's index-matched boundary). Its one lobe is a Dirac
delta along the ray (``BSDFFlags.Null``): sampling continues the ray with
weight 1, ``eval`` and ``pdf`` are zero, and a shadow ray crossing it is
let through (:meth:`eval_null_transmission` = 1). Volumetric integrators do
not count such a crossing as a bounce. In a polarised variant the light's
polarisation passes unchanged (the identity Mueller matrix).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, lobe


@register('bsdf', 'null')
class NullBSDF(BSDF):
    """No parameters."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.set_components(BSDFFlags.Null | BSDFFlags.FrontSide | BSDFFlags.BackSide)

    def eval(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Color3f, dr.width(wo))

    def pdf(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Float, dr.width(wo))

    def sample(self, ctx, si, sample1, sample2, active=True):
        width = dr.width(sample1)
        sample = BSDFSample3f(wo=-si.wi, pdf=dr.full(bk.Float, 1, width), eta=dr.full(bk.Float, 1, width),
                              sampled_type=lobe(BSDFFlags.Null), sampled_component=0)
        return sample, dr.full(bk.Color3f, 1, width)

    def eval_null_transmission(self, si, active=True):
        return dr.full(bk.Color3f, 1, dr.width(si.t))

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        bs, weight = self.sample(ctx, si, sample1, sample2, active)
        return bs, mueller.absorber(weight)

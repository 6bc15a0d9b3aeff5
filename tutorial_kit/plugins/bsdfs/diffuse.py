"""``diffuse``: the ideal diffuse (Lambertian) reflector, f = reflectance / pi.

Lambert's law (*Photometria*, 1760; PBR 4th ed., sec. 9.2): a diffuse surface
looks equally bright from every direction. Sampling draws directions with
density cos(theta) / pi (Malley's method, :mod:`tutorial_kit.core.warp`), so
that the sample weight ``eval / pdf`` is the reflectance itself.

Like Mitsuba's, it is one-sided: light arriving from the back of the surface
is absorbed. Wrap it in ``twosided`` to change that.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, lobe
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import texture
from tutorial_kit.plugins.textures.srgb import constant_color
from tutorial_kit.renderer.traversal import ParamFlags


@register('bsdf', 'diffuse')
class Diffuse(BSDF):
    """``reflectance``: a texture of linear RGB albedo in [0, 1] (default 0.5 grey)."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.reflectance = texture(props, 'reflectance', (0.5, 0.5, 0.5))
        self.set_components(BSDFFlags.DiffuseReflection | BSDFFlags.FrontSide)

    @classmethod
    def with_reflectance(cls, value):
        """A diffuse BSDF made in code (e.g. the default of a shape without one)."""
        bsdf = cls.__new__(cls)
        BSDF.__init__(bsdf)
        bsdf.reflectance = constant_color(value)
        bsdf.set_components(BSDFFlags.DiffuseReflection | BSDFFlags.FrontSide)
        return bsdf

    def traverse(self, callback):
        callback.put('reflectance', self.reflectance, ParamFlags.Differentiable)

    def eval(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        return dr.select(front, self.reflectance.eval(si, active) * (dr.inv_pi * wo.z), 0)

    def eval_diffuse_reflectance(self, si, active=True):
        return self.reflectance.eval(si, active)

    def pdf(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        return dr.select(front, warp.square_to_cosine_hemisphere_pdf(wo), 0)

    def sample(self, ctx, si, sample1, sample2, active=True):
        """Cosine-weighted directions: the weight reduces to the reflectance."""
        wo = warp.square_to_cosine_hemisphere(sample2)
        pdf = warp.square_to_cosine_hemisphere_pdf(wo)
        valid = (si.wi.z > 0) & (pdf > 0)
        sample = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=dr.full(bk.Float, 1, dr.width(pdf)),
                              sampled_type=lobe(BSDFFlags.DiffuseReflection), sampled_component=0)
        return sample, dr.select(valid, self.reflectance.eval(si, active), 0)

"""``thindielectric``: a thin pane of glass, such as a window.

Light enters and leaves the pane through two parallel interfaces, so it
leaves in its original direction (the refractions cancel) or mirrored.
Summing the light that bounces back and forth inside (a geometric series
of Fresnel reflections R and transmissions T = 1 - R) gives the total
reflectance R' = R + T^2 R / (1 - R^2) = 2R / (1 + R) (Mitsuba 3's
``thindielectric``; PBR 4th ed., sec. 9.5 exercise). Both lobes are Dirac:
``sample`` picks reflection with probability R', else passes straight
through. Two-sided; ``eta`` differentiable as for ``dielectric``.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.renderer.bsdf import BSDFFlags, BSDFSample3f
from tutorial_kit.plugins.bsdfs.dielectric import SmoothInterface
from tutorial_kit.plugins.bsdfs.fresnel import fresnel, reflect
from tutorial_kit.core.registry import register


@register('bsdf', 'thindielectric')
class ThinDielectric(SmoothInterface):
    """``int_ior``, ``ext_ior``, ``specular_reflectance``, ``specular_transmittance``."""
    TRANSMISSION = BSDFFlags.Null        # light passes straight through, as if nothing were there

    def sample(self, ctx, si, sample1, sample2, active=True):
        r = fresnel(dr.abs(si.wi.z), self.eta)[0]
        r = 2 * r / (1 + r)                     # all the light the pane sends back
        t = 1 - r
        reflected = sample1 <= dr.detach(r)
        pdf = dr.detach(dr.select(reflected, r, t))
        wo = dr.select(reflected, reflect(si.wi), -si.wi)
        weight = dr.select(reflected, r * self.tint('specular_reflectance', si, active),
                           t * self.tint('specular_transmittance', si, active))
        valid = pdf > 0
        width = dr.width(pdf)
        sampled_type, sampled_component = self.sampled_lobe(reflected)
        bs = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=dr.full(bk.Float, 1, width),
                          sampled_type=sampled_type, sampled_component=sampled_component)
        return bs, dr.select(valid, weight / dr.select(valid, pdf, 1), 0)

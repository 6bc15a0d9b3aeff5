"""``isotropic``: light scattered equally in every direction, f_p = 1 / (4 pi).

The phase function of small particles seen at wavelengths much larger than
they are not (that is Rayleigh's), and the default of every medium.
Sampling draws directions uniformly on the sphere (Archimedes: z uniform in
[-1, 1]), so the weight f_p / pdf is 1.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.medium import PhaseFunction


@register('phase', 'isotropic')
class IsotropicPhaseFunction(PhaseFunction):
    """No parameters."""

    def sample(self, ctx, mi, sample1, sample2, active=True):
        wo = warp.square_to_uniform_sphere(sample2)
        pdf = warp.square_to_uniform_sphere_pdf(wo)
        return wo, dr.full(bk.Float, 1, dr.width(pdf)), pdf

    def eval_pdf(self, ctx, mi, wo, active=True):
        pdf = warp.square_to_uniform_sphere_pdf(wo)
        return pdf, pdf

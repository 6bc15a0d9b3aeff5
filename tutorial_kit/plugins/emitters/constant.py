"""``constant``: light of the same radiance from every direction, infinitely far away.

A uniform environment (PBR 4th ed., sec. 12.5.1), sampled uniformly over
the sphere of directions (density 1 / 4 pi).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.renderer.emitter import Emitter
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.interaction import DirectionSample


@register('emitter', 'constant')
class ConstantEmitter(Emitter):
    """``radiance``: a constant texture (``srgb``/``uniform``) of linear RGB radiance."""
    is_environment = True

    def eval(self, si, direction, active=True):
        return dr.zeros(bk.Color3f, dr.width(direction)) + self.radiance.eval(si, active)

    def pdf_direction(self, si, direction, active=True):
        return warp.square_to_uniform_sphere_pdf(direction)

    def sample_direction(self, ref_p, sample2, active=True):
        d = warp.square_to_uniform_sphere(sample2)
        pdf = warp.square_to_uniform_sphere_pdf(d)
        sample = DirectionSample(ref_p + d, -d, d, dr.full(bk.Float, dr.inf, dr.width(d)), pdf)
        return sample, self.radiance.eval(None, active) / pdf

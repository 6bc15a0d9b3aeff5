"""``constant``: light of the same radiance from every direction, infinitely far away.

A uniform environment (PBR 4th ed., sec. 12.5.1), sampled uniformly over
the sphere of directions (density 1 / 4 pi).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.plugins.emitters.base import Emitter
from tutorial_kit.plugins.registry import register
from tutorial_kit.renderer.interaction import DirectionSample


@register('emitter', 'constant')
class ConstantEmitter(Emitter):
    """``radiance``: Color3f of width 1, linear RGB (differentiable)."""
    is_environment = True

    def __init__(self, props):
        self.radiance = bk.color3f(props.color("radiance", 1.0))

    def traverse(self, visitor):
        visitor.put('radiance.value', self, 'radiance', kind='color', differentiable=True)

    def eval(self, si, direction, active=True):
        return dr.zeros(bk.Color3f, dr.width(direction)) + self.radiance

    def pdf_direction(self, si, direction, active=True):
        return warp.square_to_uniform_sphere_pdf(direction)

    def sample_direction(self, ref_p, sample2, active=True):
        d = warp.square_to_uniform_sphere(sample2)
        pdf = warp.square_to_uniform_sphere_pdf(d)
        sample = DirectionSample(ref_p + d, -d, d, dr.full(bk.Float, dr.inf, dr.width(d)), pdf)
        return sample, self.radiance / pdf

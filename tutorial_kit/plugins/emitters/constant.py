"""``constant``: light of the same radiance from every direction, infinitely far away.

A uniform environment (PBR 4th ed., sec. 12.5.1), sampled uniformly over
the sphere of directions (density 1 / 4 pi).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.plugins.emitters.base import Emitter
from tutorial_kit.plugins.registry import register
from tutorial_kit.plugins.textures.base import texture
from tutorial_kit.renderer.interaction import DirectionSample


@register('emitter', 'constant')
class ConstantEmitter(Emitter):
    """``radiance``: a constant texture (``srgb``/``uniform``) of linear RGB radiance."""
    is_environment = True

    def __init__(self, props):
        self.radiance = texture(props, 'radiance', (1.0, 1.0, 1.0), unbounded=True)
        if not self.radiance.is_constant:
            # Sampling a point on the light would need its texture coordinates too.
            raise props.error('radiance', f'the radiance of an {props.plugin} emitter must be '
                                          'one colour, not a varying texture')

    def traverse(self, visitor):
        visitor.put_object('radiance', self.radiance)

    def eval(self, si, direction, active=True):
        return dr.zeros(bk.Color3f, dr.width(direction)) + self.radiance.eval(si, active)

    def pdf_direction(self, si, direction, active=True):
        return warp.square_to_uniform_sphere_pdf(direction)

    def sample_direction(self, ref_p, sample2, active=True):
        d = warp.square_to_uniform_sphere(sample2)
        pdf = warp.square_to_uniform_sphere_pdf(d)
        sample = DirectionSample(ref_p + d, -d, d, dr.full(bk.Float, dr.inf, dr.width(d)), pdf)
        return sample, self.radiance.eval(None, active) / pdf

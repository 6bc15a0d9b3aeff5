"""``constant``: light of the same radiance from every direction, infinitely far away.

A uniform environment (PBR 4th ed., sec. 12.5.1), sampled uniformly over
the sphere of directions (density 1 / 4 pi).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.plugins.emitters.environment_rays import EnvironmentRays
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags, constant_emission
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.renderer.traversal import ParamFlags


@register('emitter', 'constant')
class ConstantEmitter(EnvironmentRays, Emitter):
    """``radiance``: a constant texture (``srgb``/``uniform``) of linear RGB radiance."""
    m_flags = EmitterFlags.Infinite

    def __init__(self, props):
        super().__init__(props)
        self.radiance = constant_emission(props, 'radiance')

    def traverse(self, callback):
        callback.put('radiance', self.radiance, ParamFlags.Differentiable)

    def eval(self, si, active=True):
        return dr.zeros(bk.Color3f, dr.width(si.wi)) + self.radiance.eval(si, active)

    def eval_direction(self, it, ds, active=True):
        """Color3f: the radiance, the same from every direction."""
        return dr.zeros(bk.Color3f, dr.width(ds.d)) + self.radiance.eval(None, active)

    def pdf_direction(self, it, ds, active=True):
        return warp.square_to_uniform_sphere_pdf(ds.d)

    def sample_direction(self, it, sample, active=True):
        d = warp.square_to_uniform_sphere(sample)
        pdf = warp.square_to_uniform_sphere_pdf(d)
        ds = DirectionSample3f(p=it.p + d, n=-d, d=d, dist=dr.full(bk.Float, dr.inf, dr.width(d)), pdf=pdf)
        return ds, self.radiance.eval(None, active) / pdf

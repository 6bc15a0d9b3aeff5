"""``area``: uniform emission from the front side of the shape it covers.

An area light of constant radiance L_e (PBR 4th ed., sec. 12.2). It is
sampled by picking a point uniformly by area on its shape (density 1/A);
a density per area becomes one per solid angle through
dA = r^2 / |cos theta_light| dOmega (PBR 4th ed., sec. 4.2.3).
"""
import drjit as dr

from tutorial_kit.renderer.emitter import Emitter, EmitterFlags, constant_emission
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.renderer.traversal import ParamFlags


@register('emitter', 'area')
class AreaLight(Emitter):
    """``radiance``: a constant texture (``srgb``/``uniform``) of linear RGB radiance."""
    shape = None                      # set by the scene: the Mesh this light covers
    m_flags = EmitterFlags.Surface

    def __init__(self, props):
        super().__init__(props)
        self.radiance = constant_emission(props, 'radiance')

    def traverse(self, callback):
        callback.put('radiance', self.radiance, ParamFlags.Differentiable)

    def eval(self, si, active=True):
        return dr.select(si.wi.z > 0, self.radiance.eval(si, active), 0)

    def pdf_direction(self, it, ds, active=True):
        """``ds.dist`` and ``ds.d``: distance and unit direction from ``it.p`` to ``ds.p``."""
        cos_light = dr.dot(ds.n, -ds.d)
        return dr.select(cos_light > 0,
                         dr.square(ds.dist) / (self.shape.surface_area() * dr.abs(cos_light)), 0)

    def sample_direction(self, it, sample, active=True):
        p, n, pdf_area = self.shape.sample_position(sample)
        to_light = p - it.p
        dist = dr.norm(to_light)
        d = to_light / dist
        cos_light = dr.dot(n, -d)
        pdf = dr.select(cos_light > 0, pdf_area * dr.square(dist) / dr.abs(cos_light), 0)
        radiance = dr.select(cos_light > 0, self.radiance.eval(None, active), 0)
        weight = dr.select(pdf > 0, radiance / pdf, 0)
        return DirectionSample3f(p=p, n=n, d=d, dist=dist, pdf=pdf), weight

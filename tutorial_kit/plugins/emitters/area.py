"""``area``: uniform emission from the front side of the shape it covers.

An area light of constant radiance L_e (PBR 4th ed., sec. 12.2). It is
sampled the way its shape offers (:meth:`Shape.sample_direction`): most
shapes pick a point uniformly by area, density 1/A, which becomes a density
per solid angle through dA = r^2 / |cos theta_light| dOmega (PBR 4th ed.,
sec. 4.2.3); a sphere samples the cone of directions it subtends. Only the
front side shines: a point whose normal faces away from the reference point
has weight and density zero.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.core.frame import Frame
from tutorial_kit.renderer.interaction import DirectionSample3f, Interaction3f

from tutorial_kit.renderer.emitter import Emitter, EmitterFlags, constant_emission
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.traversal import ParamFlags


@register('emitter', 'area')
class AreaLight(Emitter):
    """``radiance``: a constant texture (``srgb``/``uniform``) of linear RGB radiance."""
    shape = None                      # set by the scene: the Shape this light covers
    m_flags = EmitterFlags.Surface

    def __init__(self, props):
        super().__init__(props)
        self.radiance = constant_emission(props, 'radiance')

    def traverse(self, callback):
        callback.put('radiance', self.radiance, ParamFlags.Differentiable)

    def eval(self, si, active=True):
        return dr.select(si.wi.z > 0, self.radiance.eval(si, active), 0)

    def eval_direction(self, it, ds, active=True):
        """Color3f: the radiance leaving the point of ``ds`` towards ``it`` (front side only)."""
        return dr.select(dr.dot(ds.n, ds.d) < 0, self.radiance.eval(None, active), 0)

    def pdf_direction(self, it, ds, active=True):
        """``ds.dist`` and ``ds.d``: distance and unit direction from ``it.p`` to ``ds.p``."""
        front = dr.dot(ds.n, ds.d) < 0
        return dr.select(front, self.shape.pdf_direction(it, ds, active), 0)

    def sample_direction(self, it, sample, active=True):
        ds = self.shape.sample_direction(it, sample, active)
        front = dr.dot(ds.n, ds.d) < 0
        ds.pdf = dr.select(front, ds.pdf, 0)
        radiance = dr.select(front, self.radiance.eval(None, active), 0)
        weight = dr.select(ds.pdf > 0, radiance / ds.pdf, 0)
        return ds, weight

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """See :meth:`Emitter.sample_ray`: a point uniform by area (``sample2``) and
        a cosine-weighted direction about its normal (``sample3``), so that
        ``Le cos / (pdf_A cos / pi)`` leaves the weight ``Le pi A``."""
        p, n, pdf = self.shape.sample_position(sample2)
        direction = Frame(n).to_world(warp.square_to_cosine_hemisphere(sample3))
        weight = dr.select(pdf > 0, self.radiance.eval(None, active) * dr.pi / dr.select(pdf > 0, pdf, 1), 0)
        return Interaction3f(p=p, n=n).spawn_ray(direction), weight

    def sample_position(self, time, sample, active=True):
        """See :meth:`Emitter.sample_position`."""
        p, n, pdf = self.shape.sample_position(sample)
        return DirectionSample3f(p=p, n=n, pdf=pdf), dr.select(pdf > 0, dr.rcp(pdf), 0)

    def eval_radiance(self, ps, active=True):
        """Color3f: the radiance leaving the point ``ps`` (a position record from
        :meth:`sample_position`) on the front side, what a camera sees there."""
        return self.radiance.eval(None, active) + dr.zeros(bk.Color3f, dr.width(ps.p))

"""``point``: an isotropic point light.

All light leaves one point, the same in every direction: its *intensity*
``I`` (W/sr) reaches a point at distance ``r`` as the irradiance
``I / r^2`` on a surface facing it (PBR 4th ed., sec. 12.1). Being a Dirac
delta in position, no ray can hit it: emitter sampling returns the light's
position with certainty (``ds.delta``, density 1) and the weight
``I / r^2``.

Parameters as Mitsuba 3's ``point``: ``position`` (a point) or ``to_world``
(its translation places the light; not both), ``intensity`` (one colour,
W/sr, default 1).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags, constant_emission
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


@register('emitter', 'point')
class PointLight(Emitter):
    """``position`` (Array3f, world space), ``intensity`` (constant texture, W/sr)."""
    m_flags = EmitterFlags.DeltaPosition

    def __init__(self, props):
        super().__init__(props)
        if 'position' in props and 'to_world' in props:
            raise props.error('position', 'give the light\'s "position" or its "to_world", not both')
        position = props.vector('position') if 'position' in props else props.transform('to_world')[:3, 3]
        # Opaque: moving the light reuses the compiled kernels.
        self.position = dr.opaque(bk.Array3f, [float(c) for c in position])
        self.intensity = constant_emission(props, 'intensity', 1.0)

    def traverse(self, callback):
        callback.put('position', self.position, ParamFlags.NonDifferentiable, kind=ParamKind.ARRAY)
        callback.put('intensity', self.intensity, ParamFlags.Differentiable)

    def parameters_changed(self, keys=None):
        self.position = bk.Array3f(dr.detach(self.position))
        dr.make_opaque(self.position)

    def eval(self, si, active=True):
        return dr.zeros(bk.Color3f, dr.width(si.t))

    def pdf_direction(self, it, ds, active=True):
        return dr.zeros(bk.Float, dr.width(ds.d))

    def sample_direction(self, it, sample, active=True):
        to_light = self.position - it.p
        dist2 = dr.squared_norm(to_light)
        inv_dist = dr.rsqrt(dist2)
        width = dr.width(to_light)
        ds = DirectionSample3f(p=dr.zeros(bk.Array3f, width) + self.position, n=dr.zeros(bk.Array3f, width),
                               time=it.time, pdf=dr.ones(bk.Float, width), delta=dr.full(bk.Bool, True, width),
                               d=to_light * inv_dist, dist=dr.sqrt(dist2))
        return ds, self.intensity.eval(None, active) * dr.square(inv_dist)

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """See :meth:`Emitter.sample_ray`: a direction uniform on the sphere
        (``sample3``, density 1 / 4 pi) from the light's position; weight
        ``I 4 pi``. ``sample2`` is unused: the position is certain."""
        direction = warp.square_to_uniform_sphere(sample3)
        origin = dr.zeros(bk.Array3f, dr.width(direction)) + self.position
        return Ray3f(origin, direction, dr.inf, time), self.intensity.eval(None, active) * (4 * dr.pi)

    def eval_direction(self, it, ds, active=True):
        """Color3f: the irradiance ``I / r^2`` arriving at ``it.p`` from the light."""
        return self.intensity.eval(None, active) * dr.rcp(dr.squared_norm(ds.p - it.p))

"""``spot``: a point light that shines into a cone, with a smooth edge.

Like ``point``, all light leaves one point (a Dirac delta: never hit,
sampled with certainty), but only into a cone around the light's local +z
axis (``to_world`` places and aims it, e.g. with ``<lookat>``). Within
``beam_width`` degrees of the axis the full ``intensity`` (W/sr) leaves; it
then falls off linearly in angle to zero at ``cutoff_angle`` (Mitsuba 3's
profile; PBR 4th ed., sec. 12.1.2 uses a smoothstep in cosine instead)::

    falloff(theta) = 1                                         theta <= beam_width
                     (cutoff - theta) / (cutoff - beam_width)  beam_width < theta < cutoff
                     0                                         theta >= cutoff

An optional ``texture`` (an image, e.g. ``bitmap``) is projected through the
cone like a slide projector: the direction with local coordinates (x, y, z)
looks it up at ``uv = 0.5 + 0.5 (x, y) / (z tan(cutoff))``, so the image
spans the cone's square of half-angle ``cutoff``.

Parameters as Mitsuba 3's ``spot``: ``intensity`` (one colour, default 1),
``cutoff_angle`` (degrees, in (0, 90], default 20), ``beam_width``
(degrees, in [0, cutoff_angle], default 3/4 of the cutoff), ``texture``,
``to_world``. The intensity, texture, cutoff and beam width are
differentiable.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags, constant_emission
from tutorial_kit.renderer.interaction import DirectionSample3f, SurfaceInteraction3f
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


@register('emitter', 'spot')
class SpotLight(Emitter):
    """``intensity`` (constant texture, W/sr), ``cutoff_angle`` and ``beam_width``
    (Float, degrees), ``texture`` (a texture or None), ``to_world`` ((4, 4) NumPy)."""
    m_flags = EmitterFlags.DeltaPosition

    def __init__(self, props):
        super().__init__(props)
        self.intensity = constant_emission(props, 'intensity', 1.0)
        self.texture = None
        if 'texture' in props:
            self.texture = texture(props, 'texture', 1.0)
            if self.texture.is_constant:
                raise props.error('texture', 'the texture of a spot light must vary (e.g. a bitmap); '
                                             'a constant colour belongs in "intensity"')
            self.m_flags = EmitterFlags.DeltaPosition | EmitterFlags.SpatiallyVarying
        cutoff = props.float('cutoff_angle', 20.0)
        beam = props.float('beam_width', cutoff * 3 / 4)
        if not 0 < cutoff <= 90:
            raise props.error('cutoff_angle', f'"cutoff_angle" must be in (0, 90] degrees, got {cutoff:g}')
        if not 0 <= beam <= cutoff:
            raise props.error('beam_width', f'"beam_width" must be in [0, cutoff_angle = {cutoff:g}] '
                                            f'degrees, got {beam:g}')
        self.cutoff_angle = dr.opaque(bk.Float, cutoff)
        self.beam_width = dr.opaque(bk.Float, beam)
        self.to_world = props.transform('to_world')
        self.parameters_changed()

    def traverse(self, callback):
        callback.put('intensity', self.intensity, ParamFlags.Differentiable)
        if self.texture is not None:
            callback.put('texture', self.texture, ParamFlags.Differentiable)
        callback.put('cutoff_angle', self.cutoff_angle, ParamFlags.Differentiable)
        callback.put('beam_width', self.beam_width, ParamFlags.Differentiable)
        callback.put('to_world', self.to_world, ParamFlags.NonDifferentiable, kind=ParamKind.MATRIX)

    def parameters_changed(self, keys=None):
        """Derive the light's position and the rows of the world-to-local rotation from
        ``to_world`` (kept opaque, so that moving the light compiles nothing)."""
        matrix = np.asarray(self.to_world, dtype=np.float64)
        self.position = dr.opaque(bk.Array3f, [float(c) for c in matrix[:3, 3]])
        inverse = np.linalg.inv(matrix[:3, :3])
        self._to_local = [dr.opaque(bk.Array3f, [float(c) for c in row]) for row in inverse]

    def falloff(self, local):
        """Float in [0, 1]: the fraction of ``intensity`` leaving along the local
        direction ``local`` (Array3f, any length)."""
        cos_theta = dr.normalize(local).z
        cutoff = dr.deg2rad(self.cutoff_angle)
        beam = dr.deg2rad(self.beam_width)
        ramp = (cutoff - dr.safe_acos(cos_theta)) / dr.maximum(cutoff - beam, 1e-12)
        inside = dr.select(cos_theta >= dr.cos(beam), 1.0, ramp)
        return dr.select(cos_theta > dr.cos(cutoff), inside, 0.0)

    def direction_to_uv(self, local):
        """Array2f: where the local direction ``local`` meets the projected ``texture``."""
        scale = 0.5 / (local.z * dr.tan(dr.deg2rad(self.cutoff_angle)))
        return bk.Array2f(0.5 + local.x * scale, 0.5 + local.y * scale)

    def eval(self, si, active=True):
        return dr.zeros(bk.Color3f, dr.width(si.t))

    def pdf_direction(self, it, ds, active=True):
        return dr.zeros(bk.Float, dr.width(ds.d))

    def _radiant(self, local, inv_dist, active):
        """Color3f: intensity times falloff (and texture) along ``local``, over distance^2."""
        falloff = self.falloff(local)
        active = active & (falloff > 0)                  # no texture lookups outside the cone
        value = self.intensity.eval(None, active)
        if self.texture is not None:
            si = dr.zeros(SurfaceInteraction3f, dr.width(local))
            si.uv = self.direction_to_uv(local)
            value = value * self.texture.eval(si, active)
        return dr.select(active, value * (falloff * dr.square(inv_dist)), 0)

    def sample_direction(self, it, sample, active=True):
        to_light = self.position - it.p
        dist = dr.norm(to_light)
        inv_dist = dr.rcp(dist)
        d = to_light * inv_dist
        width = dr.width(d)
        ds = DirectionSample3f(p=dr.zeros(bk.Array3f, width) + self.position, n=dr.zeros(bk.Array3f, width),
                               time=it.time, pdf=dr.ones(bk.Float, width), delta=dr.full(bk.Bool, True, width),
                               d=d, dist=dist)
        local = bk.Array3f(*(dr.dot(row, -d) for row in self._to_local))
        return ds, self._radiant(local, inv_dist, active)

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """See :meth:`Emitter.sample_ray`: a direction uniform in the cone of
        ``cutoff_angle`` (``sample3``), from the light's position; weight the
        intensity along it (falloff and texture) over the cone's density."""
        cos_cutoff = dr.cos(dr.deg2rad(self.cutoff_angle))
        local = warp.square_to_uniform_cone(sample3, cos_cutoff)
        pdf = warp.square_to_uniform_cone_pdf(local, cos_cutoff)
        rotation = np.asarray(self.to_world, dtype=np.float64)[:3, :3]
        direction = dr.normalize(bk.Array3f(*(float(rotation[i, 0]) * local.x + float(rotation[i, 1]) * local.y
                                              + float(rotation[i, 2]) * local.z for i in range(3))))
        origin = dr.zeros(bk.Array3f, dr.width(direction)) + self.position
        weight = self._radiant(local, bk.Float(1.0), bk.Bool(active)) / pdf
        return Ray3f(origin, direction, dr.inf, time), weight

    def eval_direction(self, it, ds, active=True):
        """Color3f: the irradiance arriving at ``it.p`` from the light (``ds`` from
        :meth:`sample_direction`)."""
        local = bk.Array3f(*(dr.dot(row, -ds.d) for row in self._to_local))
        return self._radiant(local, dr.rcp(ds.dist), active)

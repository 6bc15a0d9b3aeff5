"""``directional``: light arriving from one direction, as from a distant sun.

Every point of the scene receives the same ``irradiance`` E (W/m^2,
measured on a surface facing the light) along one direction (PBR 4th ed.,
sec. 12.4). A Dirac delta in direction: no ray can hit it, and emitter
sampling returns its direction with certainty (``ds.delta``, density 1) and
the weight E.

The shadow ray towards it must leave the scene before it counts as
unblocked, so the light needs the scene's extent: as in Mitsuba 3 the scene
calls :meth:`DirectionalEmitter.set_scene`, which keeps the sphere bounding
``scene.bbox()``, and the sampled point lies twice its radius away.

Parameters as Mitsuba 3's ``directional``: ``direction`` (the direction the
light travels, a vector) or ``to_world`` (the light travels along its local
+z axis; not both), ``irradiance`` (one colour, default 1).
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.light_rays import ray_through_sphere
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags, constant_emission
from tutorial_kit.renderer.interaction import RAY_EPSILON, DirectionSample3f
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


def bounding_sphere(scene):
    """``(center, radius)`` (Python floats) of the sphere around ``scene.bbox()``,
    a little larger as in Mitsuba 3; a tiny sphere at the origin for a scene
    without shapes."""
    box = scene.bbox()
    if not box.valid():
        return (0.0, 0.0, 0.0), RAY_EPSILON
    center, radius = box.bounding_sphere()
    return tuple(float(c) for c in center), max(RAY_EPSILON, float(radius) * (1 + RAY_EPSILON))


@register('emitter', 'directional')
class DirectionalEmitter(Emitter):
    """``irradiance`` (constant texture, W/m^2), ``to_world`` ((4, 4) NumPy; the
    light travels along its +z axis)."""
    m_flags = EmitterFlags.Infinite | EmitterFlags.DeltaDirection

    def __init__(self, props):
        super().__init__(props)
        if 'direction' in props:
            if 'to_world' in props:
                raise props.error('direction', 'give the light\'s "direction" or its "to_world", not both')
            direction = props.vector('direction')
            if not np.linalg.norm(direction) > 0:
                raise props.error('direction', '"direction" must not be the zero vector')
            self.to_world = np.eye(4)
            self.to_world[:3, 2] = direction / np.linalg.norm(direction)
        else:
            self.to_world = props.transform('to_world')
        self.irradiance = constant_emission(props, 'irradiance', 1.0)
        self.bsphere = ((0.0, 0.0, 0.0), 1.0)         # until the scene calls set_scene
        self.parameters_changed()

    def traverse(self, callback):
        callback.put('irradiance', self.irradiance, ParamFlags.Differentiable)
        callback.put('to_world', self.to_world, ParamFlags.NonDifferentiable, kind=ParamKind.MATRIX)

    def parameters_changed(self, keys=None):
        axis = np.asarray(self.to_world, dtype=np.float64)[:3, 2]
        self.direction = dr.opaque(bk.Array3f, [float(c) for c in axis / np.linalg.norm(axis)])
        self._opaque_sphere()

    def set_scene(self, scene):
        self.bsphere = bounding_sphere(scene)
        self._opaque_sphere()

    def _opaque_sphere(self):
        center, radius = self.bsphere
        self._center = dr.opaque(bk.Array3f, list(center))
        self._radius = dr.opaque(bk.Float, radius)

    def eval(self, si, active=True):
        return dr.zeros(bk.Color3f, dr.width(si.t))

    def pdf_direction(self, it, ds, active=True):
        return dr.zeros(bk.Float, dr.width(ds.d))

    def sample_direction(self, it, sample, active=True):
        width = dr.width(it.p)
        # A reference point outside the scene's sphere (a camera) still gets a point beyond it.
        radius = dr.maximum(self._radius, dr.norm(it.p - self._center))
        dist = 2 * radius
        travel = dr.zeros(bk.Array3f, width) + self.direction
        ds = DirectionSample3f(p=it.p - travel * dist, n=travel, time=it.time, pdf=dr.ones(bk.Float, width),
                               delta=dr.full(bk.Bool, True, width), d=-travel, dist=dist)
        return ds, dr.zeros(bk.Color3f, width) + self.irradiance.eval(None, active)

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """See :meth:`Emitter.sample_ray`: along the light's direction, from a
        point of the disk across the scene's bounding sphere (``sample2``;
        :func:`~tutorial_kit.renderer.light_rays.ray_through_sphere`); weight
        ``E pi R^2``, the power crossing that disk."""
        ray = ray_through_sphere(self._center, self._radius, dr.zeros(bk.Array3f, dr.width(sample2)) + self.direction,
                                 sample2)
        return ray, self.irradiance.eval(None, active) * (dr.pi * dr.square(self._radius))

    def eval_direction(self, it, ds, active=True):
        """Color3f: the irradiance, the same everywhere."""
        return dr.zeros(bk.Color3f, dr.width(ds.d)) + self.irradiance.eval(None, active)

    def settings(self):
        center, radius = self.bsphere
        return dict(bsphere=f'BoundingSphere3f[center = {list(center)}, radius = {radius:g}]')

"""``cylinder``: the open tube of ``radius`` around the segment from ``p0`` to ``p1``.

As in Mitsuba 3 the cylinder has no end caps, and ``p0``, ``p1`` and
``radius`` are folded into ``to_world``: it maps the unit cylinder
(``x^2 + y^2 = 1``, ``0 <= z <= 1``) onto the tube, its z axis along
``p1 - p0`` and its x and y axes completing it as
:func:`~tutorial_kit.core.transform.coordinate_system` does.

- *Intersection*: in object space the quadratic ``(o_x + t d_x)^2 + (o_y +
  t d_y)^2 = 1``; of its two roots the nearest inside [0, maxt] whose point
  lies within 0 <= z <= 1.
- *Parameterisation* (Mitsuba 3's): ``u = phi / 2 pi`` around the axis,
  ``v = z`` along it; ``dp/du = 2 pi (-y, x, 0)`` in object space, and the
  normal is ``dp/du x dp/dv`` (outwards).
- *Sampling*: ``u`` and ``v`` uniform, which is uniform by area.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import transform
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.shapes.analytic import (PROXY_SEGMENTS, AnalyticShape, attach_motion, ring,
                                                  solve_quadratic)
from tutorial_kit.renderer.interaction import SurfaceInteraction3f


@register('shape', 'cylinder')
class Cylinder(AnalyticShape):
    """``p0`` (point, (0, 0, 0)), ``p1`` (point, (0, 0, 1)), ``radius`` (float, 1),
    ``to_world``, ``flip_normals``."""

    def __init__(self, props):
        p0 = props.vector('p0', [0.0, 0.0, 0.0])
        p1 = props.vector('p1', [0.0, 0.0, 1.0])
        radius = props.float('radius', 1.0)
        for name, point in (('p0', p0), ('p1', p1)):
            if not np.all(np.isfinite(point)):
                raise props.error(name, f'"{name}" must be a finite point, got {point.tolist()}')
        if not (np.isfinite(radius) and radius > 0):
            raise props.error('radius', f'"radius" must be a positive number, got {radius:g}')
        axis = p1 - p0
        length = np.linalg.norm(axis)
        if not length > 0:
            raise props.error('p1', f'"p0" and "p1" must differ (the cylinder\'s axis), both are '
                                    f'{p0.tolist()}')
        s, t = transform.coordinate_system(axis / length)
        frame = np.eye(4)
        frame[:3, 0], frame[:3, 1], frame[:3, 2] = s, t, axis / length
        to_world = (props.transform('to_world') @ transform.translate(p0) @ frame
                    @ transform.scale([radius, radius, length]))
        super().__init__(props, to_world)

    def check_transform(self, matrix):
        x, y, z = (matrix[:3, k] for k in range(3))
        messages = []
        if abs(x @ y) > 1e-5 * (x @ x) or abs(x @ z) > 1e-5 * np.linalg.norm(x) * np.linalg.norm(z) \
                or abs(y @ z) > 1e-5 * np.linalg.norm(y) * np.linalg.norm(z):
            messages.append('"to_world" should not shear a cylinder')
        if not np.isclose(x @ x, y @ y, rtol=1e-4):
            messages.append('"to_world" should scale a cylinder\'s x and y axes alike')
        return messages

    def radius(self):
        """Float: the radius (the length of the image of the object's x axis)."""
        return dr.norm(self.to_world.transform_vector(bk.Array3f(1, 0, 0)))

    def length(self):
        """Float: the length of the axis."""
        return dr.norm(self.to_world.transform_vector(bk.Array3f(0, 0, 1)))

    def surface_area(self):
        return 2 * dr.pi * self.radius() * self.length()

    @staticmethod
    def boxes(matrices):
        extent = np.sqrt(np.square(matrices[:, :3, 0]) + np.square(matrices[:, :3, 1]))
        start, end = matrices[:, :3, 3], matrices[:, :3, 3] + matrices[:, :3, 2]
        return np.minimum(start, end) - extent, np.maximum(start, end) + extent

    # -- ray queries ---------------------------------------------------------------------
    def ray_intersect_preliminary(self, ray, active=True):
        o = self.to_object @ dr.detach(ray.o)
        d = self.to_object.transform_vector(dr.detach(ray.d))
        maxt = dr.detach(ray.maxt)
        found, near, far = solve_quadratic(dr.square(d.x) + dr.square(d.y), 2 * (d.x * o.x + d.y * o.y),
                                           dr.square(o.x) + dr.square(o.y) - 1)
        z_near, z_far = o.z + d.z * near, o.z + d.z * far
        near_usable = (z_near >= 0) & (z_near <= 1) & (near >= 0)
        far_usable = (z_far >= 0) & (z_far <= 1) & (far <= maxt)
        # The segment [0, maxt] must reach the tube and not lie wholly inside it.
        hit = bk.Bool(active) & found & (near <= maxt) & (far >= 0) & ~((near < 0) & (far > maxt)) \
            & (near_usable | far_usable)
        return dr.select(hit, dr.select(near_usable, near, far), dr.inf)

    def compute_surface_interaction(self, ray, t, active=True):
        # to_world was checked invertible when set: no read-back inside the kernel.
        to_object = self.to_world.inverse(checked=False)
        with dr.suspend_grad():
            # Project the hit onto the tube for accuracy.
            local = to_object @ (ray.o + ray.d * t)
            inv_r = dr.rsqrt(dr.square(local.x) + dr.square(local.y))
            local = bk.Array3f(local.x * inv_r, local.y * inv_r, local.z)
            p = self.to_world @ local
            n = dr.normalize(self.to_world.transform_normal(bk.Array3f(local.x, local.y, 0), checked=False))
        t, p = attach_motion(ray, t, p, n, self.to_world @ local)
        local = to_object @ p
        dp_du = self.to_world.transform_vector(bk.Array3f(-local.y, local.x, 0) * (2 * dr.pi))
        dp_dv = self.to_world.transform_vector(bk.Array3f(0, 0, 1))
        n = dr.normalize(dr.cross(dp_du, dp_dv))
        if self.flip_normals:
            n = -n
        phi = dr.atan2(local.y, local.x)
        phi = dr.select(phi < 0, phi + 2 * dr.pi, phi)
        uv = bk.Array2f(phi * (0.5 / dr.pi), local.z)
        return SurfaceInteraction3f(t=t, time=ray.time, p=p, n=n, uv=uv, dp_du=dp_du,
                                    sh_frame=Frame.with_tangent(n, dp_du))

    # -- sampling --------------------------------------------------------------------------
    def sample_position(self, sample):
        sin_phi, cos_phi = dr.sincos(2 * dr.pi * sample.y)
        p = self.to_world @ bk.Array3f(cos_phi, sin_phi, sample.x)
        n = dr.normalize(self.to_world.transform_normal(bk.Array3f(cos_phi, sin_phi, 0), checked=False))
        if self.flip_normals:
            n = -n
        return p, n, dr.rcp(self.surface_area())

    # -- edge sampling ----------------------------------------------------------------------
    def local_proxy(self):
        """Two rings of vertices joined by quads, circumscribing the unit tube."""
        segments = PROXY_SEGMENTS
        rim = ring(segments, 1 / np.cos(np.pi / segments))
        positions = np.concatenate([np.c_[rim, np.zeros(segments)], np.c_[rim, np.ones(segments)]])
        normals = np.concatenate([np.c_[ring(segments), np.zeros(segments)]] * 2)
        k = np.arange(segments)
        k1 = (k + 1) % segments
        faces = np.concatenate([np.stack([k, k1, segments + k1], axis=1),
                                np.stack([k, segments + k1, segments + k], axis=1)])
        return positions, faces, normals

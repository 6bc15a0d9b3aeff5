"""``disk``: the unit disk at z = 0 facing +z, placed by ``to_world``.

As in Mitsuba 3, ``flip_normals`` mirrors the object's z axis into
``to_world`` (so the parameter ``traverse`` lists holds it), and a
``to_world`` that scales unevenly makes an ellipse.

- *Intersection*: the ray moved into object space meets the plane z = 0 at
  ``t = -o_z / d_z``; a hit needs ``x^2 + y^2 <= 1`` there. An affine map
  keeps ``t`` the same in both spaces.
- *Parameterisation* (Mitsuba 3's): polar coordinates, ``u = r`` and
  ``v = phi / 2 pi``; ``dp/du`` points away from the center.
- *Sampling*: the concentric map of the square onto the disk (Shirley and
  Chiu, "A low distortion map between disk and square", JGT 1997), uniform
  by area also after an affine ``to_world``.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import transform
from tutorial_kit.core import warp
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.shapes.analytic import PROXY_SEGMENTS, AnalyticShape, attach_motion, ring
from tutorial_kit.renderer.interaction import SurfaceInteraction3f


@register('shape', 'disk')
class Disk(AnalyticShape):
    """``to_world``, ``flip_normals``."""

    def __init__(self, props):
        to_world = props.transform('to_world')
        if props.bool('flip_normals', False):
            to_world = to_world @ transform.scale([1.0, 1.0, -1.0])
        super().__init__(props, to_world)

    def normal(self):
        """Array3f: the unit normal of the front side (differentiable in to_world)."""
        # to_world was checked invertible when set: no read-back inside the kernel.
        return dr.normalize(self.to_world.transform_normal(bk.Array3f(0, 0, 1), checked=False))

    def surface_area(self):
        # The image of the unit disk is an ellipse of area pi |dp/dx x dp/dy|.
        return dr.pi * dr.norm(dr.cross(self.to_world.transform_vector(bk.Array3f(1, 0, 0)),
                                        self.to_world.transform_vector(bk.Array3f(0, 1, 0))))

    @staticmethod
    def boxes(matrices):
        extent = np.sqrt(np.square(matrices[:, :3, 0]) + np.square(matrices[:, :3, 1]))
        return matrices[:, :3, 3] - extent, matrices[:, :3, 3] + extent

    # -- ray queries ---------------------------------------------------------------------
    def ray_intersect_preliminary(self, ray, active=True):
        o = self.to_object @ dr.detach(ray.o)
        d = self.to_object.transform_vector(dr.detach(ray.d))
        t = -o.z / d.z
        local = o + d * t
        hit = bk.Bool(active) & (t >= 0) & (t <= ray.maxt) & (dr.square(local.x) + dr.square(local.y) <= 1)
        return dr.select(hit, t, dr.inf)

    def compute_surface_interaction(self, ray, t, active=True):
        to_object = self.to_world.inverse(checked=False)
        n = self.normal()
        with dr.suspend_grad():
            # Project the hit onto the plane for accuracy.
            p = ray.o + ray.d * t
            p = p + n * dr.dot(self.to_world.transform_point(bk.Array3f(0, 0, 0)) - p, n)
            local = dr.detach(to_object @ p)
        t, p = attach_motion(ray, t, p, n, self.to_world @ local)
        local = to_object @ p
        r2 = dr.square(local.x) + dr.square(local.y)
        inv_r = dr.select(r2 != 0, dr.rsqrt(r2), 0)
        v = dr.atan2(local.y, local.x) * (0.5 / dr.pi)
        uv = bk.Array2f(r2 * inv_r, dr.select(v < 0, v + 1, v))
        dp_du = self.to_world.transform_vector(bk.Array3f(local.x * inv_r, local.y * inv_r, 0))
        return SurfaceInteraction3f(t=t, time=ray.time, p=p, n=n, uv=uv, dp_du=dp_du,
                                    sh_frame=Frame.with_tangent(n, dp_du))

    # -- sampling --------------------------------------------------------------------------
    def sample_position(self, sample):
        q = warp.square_to_uniform_disk_concentric(sample)
        p = self.to_world @ bk.Array3f(q.x, q.y, 0)
        return p, self.normal(), dr.rcp(self.surface_area())

    # -- edge sampling ----------------------------------------------------------------------
    def local_proxy(self):
        """A fan of triangles around the center, its rim circumscribing the unit circle."""
        segments = PROXY_SEGMENTS
        rim = ring(segments, 1 / np.cos(np.pi / segments))
        positions = np.concatenate([[[0, 0, 0]], np.c_[rim, np.zeros(segments)]])
        k = np.arange(segments)
        faces = np.stack([np.zeros(segments, int), 1 + k, 1 + (k + 1) % segments], axis=1)
        return positions, faces, None

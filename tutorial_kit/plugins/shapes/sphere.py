"""``sphere``: the sphere of ``radius`` around ``center``, placed by ``to_world``.

As in Mitsuba 3, ``center`` and ``radius`` are folded into ``to_world``
(``to_world @ translate(center) @ scale(radius)``), which is then the one
parameter ``traverse`` lists; the sphere is the image of the unit sphere.
Its center is ``to_world``'s translation and its radius the length of the
image of the x axis (a ``to_world`` that scales unevenly makes no ellipsoid,
but a warning, as in Mitsuba 3).

- *Intersection*: the quadratic ``|o + t d - c|^2 = r^2``, solved from the
  point of the ray closest to the center, which keeps the roots accurate for
  distant spheres (Haines et al., "Precision improvements for ray/sphere
  intersection", Ray Tracing Gems, 2019, ch. 7).
- *Parameterisation* (Mitsuba 3's): ``u = phi / 2 pi`` (longitude about the
  object's z axis, from +x), ``v = theta / pi`` (from +z); ``dp/du`` is the
  tangent along u, ``2 pi (-y, x, 0)`` in object space.
- *Sampling* as an area light, seen from outside: a direction uniformly in the
  cone the sphere subtends, mapped to the visible cap's point (Akalin,
  "Sampling the visible sphere", 2016; PBR 4th ed., sec. 6.2.4), density
  ``1 / (2 pi (1 - cos theta_max))`` per solid angle; from inside, a point
  uniformly by area.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import transform
from tutorial_kit.core import warp
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.shapes.analytic import (PROXY_SEGMENTS, AnalyticShape, attach_motion,
                                                  solve_quadratic, unit_angle_z)
from tutorial_kit.renderer.interaction import RAY_EPSILON, DirectionSample3f, SurfaceInteraction3f

#: Below this sin^2 of the cone's half angle (1.5 degrees), cone sampling uses a Taylor
#: series: 1 - cos^2 loses all its digits there (Mitsuba 3 switches at the same angle).
SMALL_CONE = 0.00068523


@register('shape', 'sphere')
class Sphere(AnalyticShape):
    """``center`` (point, (0, 0, 0)), ``radius`` (float, 1), ``to_world``, ``flip_normals``."""

    def __init__(self, props):
        center = props.vector('center', [0.0, 0.0, 0.0])
        radius = props.float('radius', 1.0)
        if not np.all(np.isfinite(center)):
            raise props.error('center', f'"center" must be a finite point, got {center.tolist()}')
        if not (np.isfinite(radius) and radius > 0):
            raise props.error('radius', f'"radius" must be a positive number, got {radius:g}')
        to_world = props.transform('to_world') @ transform.translate(center) @ transform.scale(radius)
        super().__init__(props, to_world)

    def check_transform(self, matrix):
        linear = matrix[:3, :3]
        gram = linear.T @ linear
        # np.allclose(gram, gram[0, 0] I, rtol=1e-4, atol=1e-6 gram[0, 0]), written out: once per sphere.
        expected = gram[0, 0] * np.eye(3)
        if (np.abs(gram - expected) > 1e-6 * gram[0, 0] + 1e-4 * np.abs(expected)).any():
            return ['"to_world" should not scale unevenly or shear a sphere: it stays a sphere '
                    '(of the radius the x axis is scaled to)']
        return []

    # -- derived quantities, differentiable in to_world ------------------------------------
    def center(self):
        """Array3f: the center, to_world's translation."""
        return self.to_world.transform_point(bk.Array3f(0, 0, 0))

    def radius(self):
        """Float: the length of the image of the object's x axis."""
        return dr.norm(self.to_world.transform_vector(bk.Array3f(1, 0, 0)))

    def surface_area(self):
        return 4 * dr.pi * dr.square(self.radius())

    @staticmethod
    def boxes(matrices):
        centers = matrices[:, :3, 3]
        radii = np.linalg.norm(matrices[:, :3, 0], axis=1)[:, None]
        return centers - radii, centers + radii

    # -- ray queries ---------------------------------------------------------------------
    def ray_intersect_preliminary(self, ray, active=True):
        near, far = self._roots(ray)
        t = dr.select(near < 0, far, near)
        hit = bk.Bool(active) & (near <= ray.maxt) & (far >= 0) & ~((near < 0) & (far > ray.maxt))
        return dr.select(hit, t, dr.inf)

    def _roots(self, ray):
        """Both distances (Floats, near <= far; NaN where the ray misses) at which the
        ray crosses the sphere. The quadratic is solved from the ray's point nearest
        to the center, where its constant term is small and exact enough."""
        o, d = dr.detach(ray.o), dr.detach(ray.d)
        with dr.suspend_grad():
            center, radius = dr.detach(self.center()), dr.detach(self.radius())
        to_center = center - o
        shift = dr.dot(to_center, d) / dr.squared_norm(d)
        nearest = o + d * shift - center
        found, near, far = solve_quadratic(dr.squared_norm(d), 2 * dr.dot(nearest, d),
                                           dr.squared_norm(nearest) - dr.square(radius))
        nan = dr.nan
        return dr.select(found, near + shift, nan), dr.select(found, far + shift, nan)

    def compute_surface_interaction(self, ray, t, active=True):
        center, radius = self.center(), self.radius()
        # to_world was checked invertible when set: no read-back inside the kernel.
        to_object = self.to_world.inverse(checked=False)
        with dr.suspend_grad():
            # Project the hit onto the sphere for accuracy.
            n = dr.normalize(ray.o + ray.d * t - center)
            p = center + n * radius
            # The same point of the object's surface, as it moves with to_world.
            local = dr.detach(to_object @ p)
        t, p = attach_motion(ray, t, p, n, self.to_world @ local)
        n = dr.normalize(p - center)
        if self.flip_normals:
            n = -n
        local = to_object @ p
        theta = unit_angle_z(dr.normalize(local))
        phi = dr.atan2(local.y, local.x)
        phi = dr.select(phi < 0, phi + 2 * dr.pi, phi)
        uv = bk.Array2f(phi * (0.5 / dr.pi), theta / dr.pi)
        dp_du = self.to_world.transform_vector(bk.Array3f(-local.y, local.x, 0)) * (2 * dr.pi)
        return SurfaceInteraction3f(t=t, time=ray.time, p=p, n=n, uv=uv, dp_du=dp_du,
                                    sh_frame=Frame.with_tangent(n, dp_du))

    # -- sampling --------------------------------------------------------------------------
    def sample_position(self, sample):
        local = warp.square_to_uniform_sphere(sample)
        center = self.center()
        p = self.to_world @ local
        n = dr.normalize(p - center)
        if self.flip_normals:
            n = -n
        return p, n, dr.rcp(self.surface_area())

    def sample_direction(self, it, sample, active=True):
        """Cone sampling from outside (module docstring), area sampling from inside."""
        center, radius = self.center(), self.radius()
        to_center = center - it.p
        dist2_center = dr.squared_norm(to_center)
        # A point just on the sphere counts as inside when normals point in, else outside.
        margin = (1 + RAY_EPSILON) if self.flip_normals else (1 - RAY_EPSILON)
        outside = dist2_center > dr.square(radius * margin)

        # Outside: a direction in the cone, then the point of the sphere it meets.
        inv_dist = dr.rsqrt(dist2_center)
        sin_max = radius * inv_dist
        sin_max2 = dr.square(sin_max)
        cos_max = dr.safe_sqrt(1 - sin_max2)
        sin_theta2 = dr.select(sin_max2 > SMALL_CONE,
                               1 - dr.square(dr.fma(cos_max - 1, sample.x, 1)),
                               sin_max2 * sample.x)
        cos_theta = dr.safe_sqrt(1 - sin_theta2)
        # The angle alpha at the center between the axis and the sampled point.
        cos_alpha = sin_theta2 / sin_max + cos_theta * dr.safe_sqrt(1 - sin_theta2 / sin_max2)
        sin_alpha = dr.safe_sqrt(1 - dr.square(cos_alpha))
        sin_phi, cos_phi = dr.sincos(sample.y * (2 * dr.pi))
        normal_out = Frame(-to_center * inv_dist).to_world(
            bk.Array3f(cos_phi * sin_alpha, sin_phi * sin_alpha, cos_alpha))
        cone_pdf = dr.rcp(2 * dr.pi * (1 - cos_max))

        # Inside: a point uniformly by area.
        normal_in = warp.square_to_uniform_sphere(sample)

        normal = dr.select(outside, normal_out, normal_in)
        p = center + normal * radius
        to_p = p - it.p
        dist = dr.norm(to_p)
        d = to_p / dist
        area_pdf = dr.square(dist) / (self.surface_area() * dr.abs(dr.dot(d, normal)))
        pdf = dr.select(outside, dr.select(dist == 0, 0, cone_pdf), area_pdf)
        return DirectionSample3f(p=p, n=-normal if self.flip_normals else normal, d=d, dist=dist, pdf=pdf)

    def pdf_direction(self, it, ds, active=True):
        """The density of :meth:`sample_direction`. The reference point is taken
        as ``ds.p - ds.dist * ds.d``, which is ``it.p`` for a record made from
        ``it`` and also holds for the record of a ray's hit."""
        reference = ds.p - ds.d * ds.dist
        center, radius = self.center(), self.radius()
        sin_alpha = radius / dr.norm(center - reference)
        cos_alpha = dr.safe_sqrt(1 - dr.square(sin_alpha))
        return dr.select(sin_alpha < dr.one_minus_epsilon(bk.Float),
                         dr.rcp(2 * dr.pi * (1 - cos_alpha)),
                         dr.square(ds.dist) / (self.surface_area() * dr.abs(dr.dot(ds.d, ds.n))))

    # -- edge sampling ----------------------------------------------------------------------
    def local_proxy(self):
        """A latitude-longitude tessellation of the unit sphere, circumscribed."""
        return sphere_proxy(PROXY_SEGMENTS, PROXY_SEGMENTS // 2)


def sphere_proxy(segments, rings):
    """``(positions, faces, normals)`` of a tessellated unit sphere (NumPy): ``segments``
    around the z axis, ``rings`` from pole to pole, each vertex moved out so that
    the faces lie outside the sphere."""
    theta = np.pi * np.arange(1, rings) / rings
    around = 2 * np.pi * np.arange(segments) / segments
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    directions = np.stack([st * np.cos(around), st * np.sin(around),
                           np.broadcast_to(ct, (rings - 1, segments))], axis=-1).reshape(-1, 3)
    directions = np.concatenate([[[0, 0, 1]], directions, [[0, 0, -1]]])
    south = len(directions) - 1
    faces = []
    index = lambda ring, k: 1 + ring * segments + k % segments  # noqa: E731
    for k in range(segments):
        faces.append([0, index(0, k), index(0, k + 1)])
        faces.append([south, index(rings - 2, k + 1), index(rings - 2, k)])
        for ring in range(rings - 2):
            a, b = index(ring, k), index(ring, k + 1)
            c, d = index(ring + 1, k), index(ring + 1, k + 1)
            faces += [[a, c, d], [a, d, b]]
    scale = 1 / (np.cos(np.pi / segments) * np.cos(np.pi / (2 * rings)))
    return directions * scale, np.array(faces), directions

"""``prb_projective``: path tracing whose geometry derivatives include visibility,
by edge sampling (Li, Aittala, Durand and Lehtinen 2018).

The plugin answers to Mitsuba 3's name, ``prb_projective``, so that scene
files and tutorials that ask for it load; the method is not Mitsuba's
projective sampling (Zhang et al. 2023) but edge sampling, as
:class:`EdgeSamplingIntegrator` says (see below for why).

Moving a vertex changes an image in two ways. Inside each surface the
shading changes smoothly; automatic differentiation of the path tracer sees
that (the *interior* term: :mod:`tutorial_kit.renderer.scene` re-evaluates
every hit differentiably). But where a silhouette or a shadow edge crosses a
pixel, the integrand *jumps*, and the derivative of a jump is a Dirac delta
that no finite set of samples hits: the *boundary* term. In 1D,
``d/de integral_0^1 [x < e] dx = 1`` although the integrand's derivative
with respect to ``e`` is zero wherever it is defined. In an image the
boundary term is an integral along the curves where radiance jumps
(Li, Aittala, Durand and Lehtinen, "Differentiable Monte Carlo ray tracing
through edge sampling", SIGGRAPH Asia 2018, eq. 6)::

    d I / d theta = interior + integral over edges of  k(x) (L_minus - L_plus) v_n dl

with ``L_minus``, ``L_plus`` the radiance on either side of the edge, ``v_n``
the edge's velocity along its normal (towards the plus side) and ``k`` the
pixel's filter.

**The method: edge sampling.** Three families of methods estimate that term:

- *reparameterisation* (Loubet, Holzschuch and Jakob 2019; Bangaru, Li and
  Durand 2020) warps the samples so that discontinuities follow the
  parameters, then differentiates the warp. It needs no edge lists but adds
  bias (2019) or many extra rays per sample to estimate the warp field
  (2020), and its variance grows with the number of nearby edges;
- *projective sampling* (Zhang, Roussel and Jakob, "Projective
  sampling for differentiable rendering of geometry", SIGGRAPH Asia 2023;
  Mitsuba 3's ``prb_projective``) finds silhouette points by projecting
  rays onto the geometry and guides them with an octree; it is fast on a
  GPU with hardware ray tracing but takes edges from how faces index their
  vertices, so on meshes whose faces do not share vertices every edge looks
  like a boundary (Mitsuba 3.9: 2x the derivative on its own ``cube``);
- *edge sampling* (Li et al. 2018, redner) samples points directly on the
  mesh edges that can be silhouettes and evaluates the radiance on both
  sides. It is unbiased, short to write and easy to check, and with edges
  merged by position (:mod:`tutorial_kit.renderer.edges`) it is right for
  welded and unwelded meshes alike. Its cost is a host-side edge list per
  render and, for shadows, sampling among all moving edges.

This integrator uses edge sampling, in five parts:

1. *interior*: the ``path`` integrator, recorded by automatic differentiation
   (the render's ``spp``). Each sampled direction stays fixed in world space
   while the vertex it leaves follows the geometry (the BSDF's value along it
   is differentiated), the parameterisation in which the boundary parts below
   measure an edge's motion;
2. *primary visibility* (:meth:`EdgeSamplingIntegrator.primary_boundary`): the
   moving edges that are silhouettes or shading creases *seen from the
   camera* (decided on the host, once per render) are projected to the
   film; points are sampled on them in proportion to projected length,
   ``sppp`` per pixel on average, and each adds ``(L_minus - L_plus) v_n``
   times its filter weight to the pixels around it;
3. *secondary visibility* (:meth:`EdgeSamplingIntegrator.secondary_boundary`):
   at the first surface point ``x`` seen through a pixel (``sppi`` per
   pixel), a point ``p`` is sampled on the moving edges in proportion to
   length; if the edge is a silhouette or crease seen from ``x``, the
   integrand ``f(w) = BSDF(x, w) cos L_i(x, w)`` is evaluated just either
   side of the direction ``w`` towards ``p``. On the sphere of directions
   around ``x`` the edge has length element ``|w x (p1 - p0)| / r ds`` and
   moves with normal velocity ``n . (dp/dtheta - dx/dtheta) / r``. Light
   that the side rays receive straight from area lights is left to parts 4
   and 5; the rest (the environment, light reflected by other surfaces)
   stays here;
4. *shadows of area lights* (:meth:`EdgeSamplingIntegrator.shadow_boundary`)
   and of point and spot lights (whose single point stands in for the
   light's surface, of density 1): edges sampled from points on each light, whose shadows are then found on
   the film (a small light seen from ``x`` would almost never line up with
   an edge sampled from ``x``). Only edges that can be silhouettes seen from
   some point of the light are sampled;
5. *shadows seen after one bounce*
   (:meth:`EdgeSamplingIntegrator.reflected_shadow_boundary`): the same points
   of shadow edges, seen from the first surface point through each pixel,
   where they make the light reflected there jump (the ground's shadow in
   the light that the ground throws onto the underside of the object).

What is left out: the shadows of directional lights; edges seen from the second and later vertices of a path
against light that does not come straight from an area light (a sky
occluded near a point seen after a bounce), and shadows seen after two or
more bounces; edges of shapes that do not move, seen from points that do
(the ground's border seen from a moving sphere); and the thin band next to
a smoothly shaded silhouette where the interpolated normal turns away from
the viewer (a one-sided BSDF renders it black). The band is skipped by
taking the two radiance samples ``FILM_OFFSET`` pixels (``ANGLE_OFFSET``
radians) either side of the edge rather than closer.

Analytic shapes (sphere, disk, cylinder) take part through the edges of a
fine tessellation of their surface (:meth:`Shape.triangle_proxy`), which
follows their ``to_world`` differentiably; the radiance either side of an
edge is still traced against the exact shape.

Its accuracy against finite differences of Mitsuba 3 renders is measured
by ``benchmarks/visibility_accuracy.py``; the figures, and the variants
tried and not kept, are in benchmarks/README.md ("Visibility derivatives").

Each boundary estimate has the value zero and carries its derivative
through ``n . (p - detach(p))``, so the image is unchanged and forward and
reverse mode both see the term. ``L_minus`` and ``L_plus`` are path traced
with the same random numbers (common random numbers), so that a crease
between two similar faces costs little variance.

Parameters as Mitsuba 3's: ``max_depth`` (-1), ``rr_depth`` (5),
``hide_emitters`` (false), ``sppp``, ``sppi`` (samples per pixel of the
primary and secondary boundary parts; 0, the default, means the ``spp`` of
the render call) and ``sppc``, which, as in Mitsuba, the ``spp`` of the
render call overrides (the interior part always uses that).
``guiding``, ``guiding_proj``, ``guiding_rounds`` and ``clean`` steer
Mitsuba's projective sampling and are accepted but unused: edge sampling
needs no guiding structure.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.renderer.bsdf import BSDFContext
from tutorial_kit.renderer.emitter import EmitterFlags
from tutorial_kit.plugins.integrators.path import PathIntegrator
from tutorial_kit.core.registry import register
from tutorial_kit.core.random import mix64
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer.camera_rays import camera_rays, seeded_sampler
from tutorial_kit.renderer.edges import moving_shapes, scene_edges
from tutorial_kit.renderer.interaction import SHADOW_EPSILON

#: How far either side of an edge the two radiance samples are taken:
#: in pixels on the film, in radians on the sphere around a shading point.
FILM_OFFSET = 0.02
ANGLE_OFFSET = 2e-3


@register('integrator', 'prb_projective')
class EdgeSamplingIntegrator(PathIntegrator):
    """Path tracing with visibility derivatives by edge sampling (Li et al. 2018),
    registered as ``prb_projective`` (see the module docstring): the ``path``
    integrator's image and interior derivatives, plus the boundary terms of
    :meth:`visibility_image`."""

    def __init__(self, props):
        super().__init__(props)
        self.sppc, self.sppp, self.sppi = (self._spp(props, name) for name in ('sppc', 'sppp', 'sppi'))
        props.choice('guiding', ('none', 'grid', 'octree'), 'octree')
        props.bool('guiding_proj', True)
        props.int('guiding_rounds', 1)
        props.bool('clean', False)

    @staticmethod
    def _spp(props, name):
        value = props.int(name, 0)
        if value < 0:
            raise props.error(name, f'{name} must be a non-negative integer (0: the render\'s spp), '
                                    f'got {value}')
        return value

    def settings(self):
        return dict(super().settings(), sppc=self.sppc, sppp=self.sppp, sppi=self.sppi)

    def pass_sample_counts(self, spp):
        """The edge-sampling passes' samples per pixel: ``sppp`` and ``sppi`` (0: ``spp``)."""
        return {'sppp': self.sppp or spp, 'sppi': self.sppi or spp}

    # -- the piece render() adds -----------------------------------------------------
    def visibility_image(self, scene, sensor, spp, seed):
        """The boundary terms of the image's derivative: Color3f, one value per pixel.

        Its value is zero; its derivative with respect to the moving
        vertices is what the interior term misses. ``None`` when no shape's
        vertices track derivatives.
        """
        shapes = moving_shapes(scene)
        if not shapes:
            return None
        edges = scene_edges(scene, shapes)
        if len(edges) == 0:
            return None
        spp_i = self.sppi or spp
        parts = [self.primary_boundary(scene, sensor, edges, self.sppp or spp, mix64(seed)),
                 self.secondary_boundary(scene, sensor, edges, spp_i, mix64(seed + 1))]
        if self.max_depth > 1:                              # light after a bounce: shadows
            width, height = sensor.film().crop_size()
            for k, emitter in enumerate(_shadow_casting_lights(scene)):
                # One set of shadow edge points serves parts 4 and 5.
                shadow = _shadow_edge_points(scene, edges, emitter,
                                             seeded_sampler(sensor, mix64(seed + 2 + 2 * k),
                                                            width * height * spp_i))
                if shadow is not None:
                    parts += [self.shadow_boundary(scene, sensor, emitter, shadow),
                              self.reflected_shadow_boundary(scene, sensor, emitter, shadow, spp_i,
                                                             mix64(seed + 3 + 2 * k))]
        parts = [part for part in parts if part is not None]
        return sum(parts[1:], parts[0]) if parts else None

    # -- primary visibility: edges seen from the camera ---------------------------------
    def primary_boundary(self, scene, sensor, edges, spp, seed):
        """Edge samples on the film (see the module docstring, part 2). Color3f per pixel."""
        film = sensor.film()
        width, height = film.crop_size()
        seen = edges.silhouette_from(sensor.origin())
        a, b = sensor.project(edges.positions[edges.v0]), sensor.project(edges.positions[edges.v1])
        length = np.linalg.norm(b - a, axis=1)
        usable = seen & np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1) & (length > 0)
        if not usable.any():
            return None
        v0, v1, *_ = edges.device(usable)
        film_a, film_b = (bk.Array2f(*(bk.from_numpy(bk.Float, c[usable][:, i].astype(np.float32))
                                       for i in range(2))) for c in (a, b))
        total = float(length[usable].sum())
        cdf = _cdf(length[usable])

        lanes = width * height * spp
        sampler = seeded_sampler(sensor, seed, lanes)
        edge = _sample_discrete(cdf, sampler.next_1d())
        s = sampler.next_1d()
        p0, p1 = (dr.gather(bk.Array3f, edges.vertices, dr.gather(bk.UInt32, v, edge))
                  for v in (v0, v1))
        position = sensor.project(p0 + (p1 - p0) * s)        # pixels, differentiable
        with dr.suspend_grad():
            tangent = dr.gather(bk.Array2f, film_b, edge) - dr.gather(bk.Array2f, film_a, edge)
            normal = dr.normalize(bk.Array2f(-tangent.y, tangent.x))
            at = dr.detach(position)
            inside = (at.x >= 0) & (at.x < width) & (at.y >= 0) & (at.y < height)
            size = bk.Array2f(width, height)
            radiance = [self._camera_radiance(scene, sensor, at + normal * side, size, lanes, seed)
                        for side in (-FILM_OFFSET, FILM_OFFSET)]
            jump = (radiance[0] - radiance[1]) * dr.opaque(bk.Float, total / lanes)
            inside &= dr.all(dr.isfinite(jump)) & dr.all(dr.isfinite(normal))
        motion = dr.dot(normal, position - at)                 # value 0, derivative v_n
        # select, not a product with 0: it also keeps NaN derivatives of unused lanes out.
        return film.splat(at, dr.select(inside, jump * motion, 0), inside)

    def _camera_radiance(self, scene, sensor, film_position, size, lanes, seed):
        ray, _ = sensor.sample_ray(0.0, 0.0, film_position / size, bk.Array2f(0.5, 0.5))
        sampler = seeded_sampler(sensor, mix64(seed + 2), lanes)  # the same numbers on both sides
        return self.sample(dr.ADMode.Primal, scene, sampler, ray)[0]

    # -- secondary visibility: edges seen from the first surface point ---------------------
    def secondary_boundary(self, scene, sensor, edges, spp, seed):
        """Edge samples around first hits (see the module docstring, part 3). Color3f per pixel."""
        if self.max_depth <= 1:                             # emitters only: no shadows
            return None
        everything = np.ones(len(edges), bool)
        v0, v1, c0, c1, crease = edges.device(everything)
        p = edges.positions
        length = np.linalg.norm(p[edges.v1] - p[edges.v0], axis=1)
        total = float(length.sum())
        if not total > 0:
            return None
        cdf = _cdf(length)

        film_position, _, ray = camera_rays(sensor, spp, seed)
        lanes = dr.width(film_position)
        si = scene.ray_intersect(ray)                         # x follows the moving vertices
        sampler = seeded_sampler(sensor, mix64(seed + 3), lanes)
        edge = _sample_discrete(cdf, sampler.next_1d())
        s = sampler.next_1d()
        a, b = (dr.gather(bk.Array3f, edges.vertices, dr.gather(bk.UInt32, v, edge))
                for v in (v0, v1))
        point = a + (b - a) * s
        with dr.suspend_grad():
            x = dr.detach(si.p)
            to_edge = dr.detach(point) - x
            r = dr.norm(to_edge)
            w = to_edge / r
            along = dr.detach(b - a)
            cross = dr.cross(w, along)
            normal = dr.normalize(cross)
            thirds = [dr.gather(bk.Array3f, edges.vertices, dr.gather(bk.UInt32, c, edge))
                      for c in (c0, c1)]
            plane = dr.cross(dr.detach(a) - x, dr.detach(b) - x)
            silhouette = dr.dot(plane, thirds[0] - x) * dr.dot(plane, thirds[1] - x) > 0
            use = si.is_valid() & (r > 0) & (silhouette | dr.gather(bk.Bool, crease, edge))
            f = [self._reflected(scene, sensor, si, dr.normalize(w + normal * side), use, lanes, seed)
                 for side in (-ANGLE_OFFSET, ANGLE_OFFSET)]
            # The edge's angular length |w x (b - a)| / r per unit s, divided by the
            # density length / total (the other 1 / r is in the motion below).
            weight = dr.norm(cross) / r * dr.opaque(bk.Float, total) / dr.norm(along)
            jump = (f[0] - f[1]) * weight
            use &= dr.all(dr.isfinite(jump)) & dr.all(dr.isfinite(normal))
        motion = dr.dot(normal, (point - si.p) - dr.detach(point - si.p)) / r
        return sensor.film().develop(film_position, dr.select(use, jump * motion, 0), spp)

    # -- shadows of area lights: edges seen from points on the light ---------------------
    def shadow_boundary(self, scene, sensor, emitter, shadow):
        """Shadow edges of one area light seen from the camera (module docstring, part 4).

        A point ``y`` on the light and a point ``p`` on a moving edge that is a
        silhouette seen from ``y`` define a ray ``y -> p`` that grazes the
        occluder and meets a receiver at ``x``: a point of the shadow's edge
        (:func:`_shadow_edge_points`). For fixed ``y`` the shadow edge is a
        curve on the film, through ``u = project(x)`` with tangent ``du/ds``;
        the direct light ``F(u) = BSDF cos G V L_e / pdf(y)`` jumps across it.
        The estimate ``(F(u - e n) - F(u + e n)) |du/ds| v_n / pdf(edge, s)``
        is splatted at ``u``. ``shadow``: the points, one per lane, of
        :func:`_shadow_edge_points`. Color3f per pixel.
        """
        film = sensor.film()
        width, height = film.crop_size()
        position = sensor.project(shadow.x)
        with dr.suspend_grad():
            at = dr.detach(position)
            use = shadow.use & (at.x >= 0) & (at.x < width) & (at.y >= 0) & (at.y < height)
            tangent = (sensor.project(shadow.x_after) - sensor.project(shadow.x_before)) / (2 * shadow.h)
            normal = dr.normalize(bk.Array2f(-tangent.y, tangent.x))
            size = bk.Array2f(width, height)
            direct = []
            for side in (-FILM_OFFSET, FILM_OFFSET):
                ray, _ = sensor.sample_ray(0.0, 0.0, (at + normal * side) / size, bk.Array2f(0.5, 0.5))
                direct.append(self._direct_light(scene, emitter, ray, shadow.light_sample, use))
            weight = dr.norm(tangent) * shadow.weight * dr.opaque(bk.Float, 1 / dr.width(shadow.x))
            jump = (direct[0] - direct[1]) * weight
            use &= dr.all(dr.isfinite(jump)) & dr.all(dr.isfinite(normal))
        motion = dr.dot(normal, position - at)
        return film.splat(at, dr.select(use, jump * motion, 0), use)

    def reflected_shadow_boundary(self, scene, sensor, emitter, shadow, spp, seed):
        """Shadow edges of one area light seen after one bounce (module docstring, part 5).

        The shadow's edge points ``x`` of :func:`_shadow_edge_points`, seen
        from the first surface point ``x1`` through each pixel: on the sphere
        of directions around ``x1`` the edge is a curve through
        ``w = (x - x1) / |x - x1|`` with tangent ``dw/ds``, and the light
        ``f(w) = BSDF(x1, w) cos F(x2(w))`` reflected at ``x1`` jumps across
        it (``F`` as in part 4, at the point ``x2`` that ``x1`` sees along
        ``w``). The estimate ``(f(w - e n) - f(w + e n)) |dw/ds| v_n /
        pdf(edge, s)``, ``v_n`` the normal velocity of ``w`` as both ``x`` and
        ``x1`` move, is averaged into the pixel. ``shadow``: as for
        :meth:`shadow_boundary`, one point per camera ray of ``spp`` per
        pixel. Color3f per pixel, or None.
        """
        if self.max_depth <= 2:
            return None
        film_position, _, ray = camera_rays(sensor, spp, seed)
        lanes = dr.width(film_position)
        x1 = scene.ray_intersect(ray)                         # follows the moving vertices
        direction = shadow.x - x1.p
        w_moving = direction / dr.norm(direction)             # differentiable in x and x1
        with dr.suspend_grad():
            start = dr.detach(x1.p)
            w = dr.detach(w_moving)
            ends = [dr.normalize(x - start) for x in (shadow.x_before, shadow.x_after)]
            tangent = (ends[1] - ends[0]) / (2 * shadow.h)
            normal = dr.normalize(dr.cross(w, tangent))
            use = shadow.use & x1.is_valid()
            reflected = []
            for side in (-ANGLE_OFFSET, ANGLE_OFFSET):
                w_side = dr.normalize(w + normal * side)
                value = scene.bsdf_ptr(x1).eval(BSDFContext(), x1, x1.to_local(w_side), use)
                light = self._direct_light(scene, emitter, x1.spawn_ray(w_side), shadow.light_sample, use)
                reflected.append(value * light)
            jump = (reflected[0] - reflected[1]) * (dr.norm(tangent) * shadow.weight)
            use &= dr.all(dr.isfinite(jump)) & dr.all(dr.isfinite(normal))
        motion = dr.dot(normal, w_moving - w)
        return sensor.film().develop(film_position, dr.select(use, jump * motion, 0), spp)

    def _direct_light(self, scene, emitter, ray, light_sample, active):
        """Light from the point of ``emitter`` that ``light_sample`` picks by area
        (``shape.sample_position``, as :func:`_shadow_edge_points` does; a point or
        spot light has one point) reflected back along ``ray`` (Ray3f) at its first
        hit, divided by the point's density per area (Color3f):
        BSDF cos L_e cos_light / r^2, or BSDF cos I / r^2 for a point light."""
        si = scene.ray_intersect(ray, active)
        active = active & si.is_valid()
        if emitter.flags() & EmitterFlags.DeltaPosition:
            # A point or spot light: its weight is already I / r^2 (times the spot's falloff).
            ds, incident = emitter.sample_direction(si, light_sample, active)
            d, dist = ds.d, ds.dist
            active &= ds.pdf > 0
        else:
            y, n_light, _ = emitter.shape.sample_position(light_sample)
            to_light = y - si.p
            dist = dr.norm(to_light)
            d = to_light / dist
            cos_light = -dr.dot(n_light, d)
            active &= cos_light > 0
            incident = emitter.radiance.eval(None, active) * (cos_light / dr.square(dist))
        shadow_origin = si.offset_origin(d)
        blocked = scene.ray_test(Ray3f(shadow_origin, d, dist * (1 - SHADOW_EPSILON)), active)
        value = scene.bsdf_ptr(si).eval(BSDFContext(), si, si.to_local(d), active)
        return dr.select(active & ~blocked, value * incident, 0)

    def _reflected(self, scene, sensor, si, direction, active, lanes, seed):
        """BSDF(x, direction) cos times the radiance arriving at x from ``direction``."""
        # Lanes without an edge sample may hold no direction at all (NaN where the
        # camera ray missed): give them a harmless one, or a ray with NaN in it
        # would visit every node of the BVH, and trace nothing for them.
        direction = dr.select(active, direction, si.n)
        value = scene.bsdf_ptr(si).eval(BSDFContext(), si, si.to_local(direction), active)
        origin = dr.select(active, si.offset_origin(direction), 0)
        sampler = seeded_sampler(sensor, mix64(seed + 4), lanes)  # the same numbers on both sides
        # The light arriving at the camera path's second vertex: a path starting at depth 1.
        ray = Ray3f(origin, direction, dr.full(bk.Float, dr.inf, lanes))
        incoming = self.sample(dr.ADMode.Primal, scene, sampler, ray, active=active, depth=1)[0]
        # Area lights seen directly are the shadow part's (shadow_boundary): leave them out.
        hit = scene.ray_intersect(Ray3f(origin, direction), active)
        incoming -= scene.emission(hit, direction, active & hit.is_valid())[0]
        return dr.select(active, value * incoming, 0)


class _ShadowEdgePoints:
    """Points on the edges of one area light's shadows, one per lane (see
    :func:`_shadow_edge_points`)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def _shadow_edge_points(scene, edges, emitter, sampler):
    """Sample points of the edges of ``emitter``'s shadows, one per lane of ``sampler``
    (a seeded Sampler).

    A moving edge is chosen in proportion to length among those that can be
    silhouettes seen from the light (:meth:`Edges.silhouette_from_any`; on a
    sphere lit by a small lamp a band of a few percent of its edges), a point ``p`` on it
    (parameter ``s``), and a point ``y`` on the light; where the edge is a
    silhouette seen from ``y`` and ``y`` sees ``p``, the ray ``y -> p``
    grazes the occluder and lands on a receiver at ``x``, a point of the
    shadow's edge. Returns None without edges, else an object with

    - ``x``: Array3f, differentiable in the edge's (and the receiver's) vertices;
    - ``x_before``, ``x_after``: detached points of the same shadow edge for
      ``s -/+ h`` (on the receiver's tangent plane), the edge's tangent;
    - ``h``: that step in ``s``;
    - ``light_sample``: the Array2f that chose ``y`` (to re-evaluate the light);
    - ``weight``: Float, ``1 / (pdf(edge, s) pdf(y))`` per unit ``s`` and area;
    - ``use``: Bool, the lanes with a shadow edge point.
    """
    p = edges.positions
    light_points = _light_points(emitter)
    if len(light_points) > 64:                # the bounding box's corners hold the light too
        lo, hi = light_points.min(axis=0), light_points.max(axis=0)
        light_points = np.array([[(lo, hi)[k >> i & 1][i] for i in range(3)] for k in range(8)])
    candidate = edges.silhouette_from_any(light_points)
    length = np.linalg.norm(p[edges.v1] - p[edges.v0], axis=1)[candidate]
    if not length.sum() > 0:
        return None
    v0, v1, c0, c1, _ = edges.device(candidate)
    lanes = sampler.wavefront_size()
    edge = _sample_discrete(_cdf(length), sampler.next_1d())
    s = sampler.next_1d()
    light_sample = sampler.next_2d()
    a, b = (dr.gather(bk.Array3f, edges.vertices, dr.gather(bk.UInt32, v, edge))
            for v in (v0, v1))
    point = a + (b - a) * s
    with dr.suspend_grad():
        y, pdf_y = _sample_light_point(emitter, light_sample)
        to_edge = dr.detach(point) - y
        dist = dr.norm(to_edge)
        thirds = [dr.gather(bk.Array3f, edges.vertices, dr.gather(bk.UInt32, c, edge))
                  for c in (c0, c1)]
        plane = dr.cross(dr.detach(a) - y, dr.detach(b) - y)
        use = dr.dot(plane, thirds[0] - y) * dr.dot(plane, thirds[1] - y) > 0
        use &= ~scene.ray_test(Ray3f(y, to_edge / dist, dist * (1 - 1e-4)), use)   # the light sees p
    # Where the grazing ray lands, differentiably in the edge (and receiver) positions.
    direction = dr.normalize(point - dr.detach(y))
    start = point + direction * (1e-4 * dr.detach(dist))
    receiver = scene.ray_intersect(Ray3f(start, direction), use)
    h = 1e-3
    with dr.suspend_grad():
        x0, n_r = dr.detach(receiver.p), dr.detach(receiver.n)
        along = dr.detach(b - a)
        ends = []
        for step in (-h, h):
            q = dr.detach(point) + along * step
            w = dr.normalize(q - y)
            ends.append(q + w * (dr.dot(x0 - q, n_r) / dr.dot(w, n_r)))
        weight = dr.opaque(bk.Float, float(length.sum())) / (dr.norm(along) * pdf_y)
    return _ShadowEdgePoints(x=receiver.p, x_before=ends[0], x_after=ends[1], h=h,
                             light_sample=light_sample, weight=weight, use=use & receiver.is_valid())


def _shadow_casting_lights(scene):
    """The lights whose shadows have edges at finite distance: area lights, then
    lights at a point (``point``, ``spot``). A directional light's shadow edges
    would need edges sampled across the scene's width; they are left out."""
    points = [e for e in scene.emitters() if e.flags() & EmitterFlags.DeltaPosition]
    return list(scene.area_emitters) + points


def _light_points(emitter):
    """Points (NumPy (N, 3)) whose convex hull holds the light: its shape's vertices,
    or its position."""
    if emitter.flags() & EmitterFlags.DeltaPosition:
        return dr.detach(emitter.position).numpy().reshape(-1, 3).astype(np.float64)
    return dr.detach(emitter.shape.triangle_proxy()[0]).numpy().reshape(-1, 3).astype(np.float64)


def _sample_light_point(emitter, sample):
    """``(y, pdf)``: a point on the light (Array3f) and its density per area (Float),
    which is 1 for a light at a single point."""
    if emitter.flags() & EmitterFlags.DeltaPosition:
        width = dr.width(sample)
        return dr.zeros(bk.Array3f, width) + dr.detach(emitter.position), dr.ones(bk.Float, width)
    y, _, pdf = emitter.shape.sample_position(sample)
    return y, pdf


def _cdf(weights):
    """The normalised running sum of ``weights`` (NumPy, positive total) as a Float,
    padded with ones to a power of two so that a new number of edges seldom
    changes the compiled kernels (the search below unrolls log2(size) steps)."""
    size = 1 << max(int(len(weights) - 1).bit_length(), 0)
    cdf = np.ones(size, np.float32)
    cdf[:len(weights)] = np.cumsum(weights) / np.sum(weights)
    return bk.from_numpy(bk.Float, cdf), len(weights)


def _sample_discrete(cdf, u):
    """Index i with probability cdf[i] - cdf[i - 1] (``cdf``: a pair from :func:`_cdf`)."""
    values, count = cdf
    index = dr.binary_search(0, dr.width(values) - 1, lambda i: dr.gather(bk.Float, values, i) <= u)
    # Rounding may leave the last real entry a little below 1.
    return dr.minimum(index, dr.opaque(bk.UInt32, count - 1))

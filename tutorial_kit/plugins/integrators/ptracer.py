"""``ptracer``: the particle tracer, light paths connected to the camera.

A camera path tracer (``path``) follows rays from the eye and asks, at each
surface, where the light comes from. It cannot find light that reaches a
diffuse surface only through a specular chain from a small source: a
caustic under glass lit by a point light. Its BSDF-sampled rays would have
to hit a single point, and the light sample from the diffuse surface is
blocked by, or refracted away by, the glass. The particle tracer runs the
other way (Veach, *Robust Monte Carlo Methods for Light Transport
Simulation*, 1997, ch. 3 and sec. 4.A; PBR 4th ed., sec. 13.8): it

1. starts a ray on a light, carrying its power (``scene.sample_emitter_ray``),
2. at each surface it meets, *connects* the point to the camera: if the
   point is visible, the camera's importance ``We / dist^2`` (what
   ``sensor.sample_direction`` returns) times the BSDF towards the camera
   is splatted onto the film where the point appears
   (``film.splat_into``),
3. samples the BSDF in importance mode (``TransportMode.Importance``: no
   radiance compression across refraction, Veach 1997, sec. 5.2) and
   corrects for shading normals (Veach 1997, sec. 5.3, eq. 5.17),
4. after ``rr_depth`` bounces stops at random (Russian roulette).

Points of lights the camera sees directly are connected on their own
(:meth:`ParticleTracer.sample_visible_emitters`) unless ``hide_emitters``.
Light focused by glass onto a diffuse wall is then found as easily as
direct light: the refraction is sampled from the light's side, and only
the diffuse wall is connected to the camera.

The counting follows Mitsuba 3's ``ptracer``: ``max_depth`` counts the same
path vertices as ``path`` does (1: emitters only, 2: direct light, -1:
unlimited), and one sample per pixel is one light path per pixel of the
whole film. Both integrators estimate the same image (a diffuse scene
renders the same within noise; tests/test_ptracer.py).

Derivatives: the particle tracer's image is differentiated by recording the
light paths (Dr.Jit's loops evaluated) and propagating adjoints back
through them, as Mitsuba 3 does for its ``ptracer``. The image is linear in
what the paths deposit, so its adjoint (transpose) sends each pixel's
gradient back to the path vertices that landed near it, weighted by the
reconstruction filter; where a vertex moves on the film (a caustic
shifting as the glass changes shape), the derivative of the filter's
weights carries the change, so a filter wider than a pixel (``gaussian``)
gives smooth derivatives there.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.bsdf import BSDFContext, TransportMode
from tutorial_kit.renderer.emitter import EmitterFlags
from tutorial_kit.renderer.integrator import AdjointIntegrator
from tutorial_kit.renderer.interaction import Interaction3f, SurfaceInteraction3f

#: Paths of at most this many vertices are unrolled when their derivatives are
#: recorded (a longer or unlimited ``max_depth`` loops, evaluated).
MAX_UNROLLED_DEPTH = 16


@register('integrator', 'ptracer')
class ParticleTracer(AdjointIntegrator):
    """``max_depth`` (-1), ``rr_depth`` (5), ``hide_emitters`` (false),
    ``samples_per_pass`` (-1): see :class:`AdjointIntegrator`."""

    def sample(self, scene, sensor, sampler, image, sample_scale, active=True):
        """See :meth:`AdjointIntegrator.sample`."""
        if not self.hide_emitters and any(visible_emitter(e) for e in scene.emitters()):
            self.sample_visible_emitters(scene, sensor, sampler, image, sample_scale, active)
        ray, throughput, _ = scene.sample_emitter_ray(0.0, sampler.next_1d(), sampler.next_2d(),
                                                      sampler.next_2d(), active)
        active = bk.Bool(active) & (dr.max(dr.detach(throughput)) != 0)
        self.trace_light_ray(scene, sensor, sampler, ray, throughput, image, sample_scale, active)

    def sample_visible_emitters(self, scene, sensor, sampler, image, sample_scale, active=True):
        """Connect a point on a light straight to the camera: the lights the
        camera sees. A light is chosen uniformly; a surface light gives a point
        on its surface, an environment a direction as seen from the camera
        (placed far outside the scene). Delta lights (points, directions,
        ``directionalarea``) cannot be seen."""
        choice, sample = sampler.next_1d(), sampler.next_2d()
        ps, emitted, chosen = scene.sample_emitter_position(0.0, choice, sample, active)
        si = SurfaceInteraction3f(t=dr.zeros(bk.Float, dr.width(ps.p)), p=ps.p, n=ps.n, uv=ps.uv,
                                  sh_frame=Frame(ps.n))
        sensor_ds, sensor_weight = sensor.sample_direction(si, sampler.next_2d(), active)
        self.connect_sensor(scene, sensor, si, sensor_ds, None, emitted * sensor_weight, image,
                            sample_scale, bk.Bool(active) & dr.any(emitted != 0))
        if scene.environment is not None:
            self._connect_environment(scene, sensor, chosen == scene.environment_index, sample, image,
                                      sample_scale, active)

    def _connect_environment(self, scene, sensor, chosen, sample, image, sample_scale, active):
        """The environment seen by the camera: a direction ``d`` from the camera as
        the environment samples it (``sample``), its light arriving from a point
        ``D`` along it, beyond the scene: ``L / pdf`` times the camera's
        importance ``We / D^2`` times ``D^2``."""
        environment = scene.environment
        camera = bk.Array3f(*(float(c) for c in sensor.origin()))
        center, radius = environment.bsphere
        distance = 2 * (radius + float(((sensor.origin() - center) ** 2).sum() ** 0.5))
        width = dr.width(chosen)
        active = bk.Bool(active) & chosen
        reference = Interaction3f(p=dr.zeros(bk.Array3f, width) + camera)
        ds, radiance_over_pdf = environment.sample_direction(reference, sample, active)
        point = reference.p + ds.d * distance
        si = SurfaceInteraction3f(t=dr.zeros(bk.Float, width), p=point, n=-ds.d, sh_frame=Frame(-ds.d))
        sensor_ds, sensor_weight = sensor.sample_direction(si, sample, active)
        count = len(scene.emitters())
        weight = radiance_over_pdf * (count * distance * distance) * sensor_weight
        self.connect_sensor(scene, sensor, si, sensor_ds, None, weight, image, sample_scale,
                            active & dr.any(radiance_over_pdf != 0))

    def trace_light_ray(self, scene, sensor, sampler, ray, throughput, image, sample_scale, active):
        """Follow the light path from ``ray`` (Ray3f) carrying ``throughput``
        (Color3f power), connecting every surface it meets to the camera.

        The bounces run in a Dr.Jit loop. A render that records derivatives
        (Dr.Jit's symbolic loops switched off) instead unrolls a bounded
        path into straight-line code, which automatic differentiation
        records without evaluating the loop state after every bounce; the
        paths and their random numbers are the same either way.
        """
        width = dr.width(ray.d)
        # Opaque: another max_depth or rr_depth reuses the compiled kernel.
        limits = (dr.opaque(bk.UInt32, self.max_depth), dr.opaque(bk.UInt32, self.rr_depth))
        depth = dr.full(bk.UInt32, 1, width)     # the light's vertex is depth 0
        state = (sampler, bk.Bool(active) & (depth < limits[0]), depth, dr.full(bk.Float, 1, width),
                 bk.Array3f(ray.o), bk.Array3f(ray.d), bk.Color3f(throughput))

        def bounce(*state):
            return self._bounce(scene, sensor, image, sample_scale, limits, *state)
        if not dr.flag(dr.JitFlag.SymbolicLoops) and self.max_depth <= MAX_UNROLLED_DEPTH:
            for _ in range(self.max_depth - 1):
                state = bounce(*state)
            return
        with dr.scoped_set_flag(dr.JitFlag.OptimizeLoops, False):
            dr.while_loop(state, lambda sampler, active, *_: active, bounce, label='ptracer',
                          labels=('sampler', 'active', 'depth', 'eta', 'origin', 'direction', 'throughput'))

    def _bounce(self, scene, sensor, image, sample_scale, limits, sampler, active, depth, eta, origin,
                direction, throughput):
        """One vertex of the light path: find it, connect it to the camera, sample the
        BSDF onwards. Returns the path's state after it (the arguments from ``sampler``)."""
        max_depth, rr_depth = limits
        si = scene.ray_intersect(Ray3f(origin, direction, dr.inf), active)
        active = active & si.is_valid()
        bsdf = scene.bsdf_ptr(si)

        # Connect this vertex to the camera.
        sensor_ds, sensor_weight = sensor.sample_direction(si, sampler.next_2d(), active)
        self.connect_sensor(scene, sensor, si, sensor_ds, bsdf, throughput * sensor_weight, image,
                            sample_scale, active)

        # Continue by sampling the BSDF for light (importance) transport.
        bs, bsdf_weight = bsdf.sample(BSDFContext(TransportMode.Importance), si, sampler.next_1d(),
                                      sampler.next_2d(), active)
        wo_world = si.to_world(bs.wo)
        wi_dot_n = dr.dot(si.n, -direction)
        wo_dot_n = dr.dot(si.n, wo_world)
        # Light must not leak through the surface where shading normals disagree with the geometry.
        active &= (wi_dot_n * si.wi.z > 0) & (wo_dot_n * bs.wo.z > 0)
        throughput = throughput * bsdf_weight * shading_normal_correction(si.wi.z, wo_dot_n, bs.wo.z,
                                                                          wi_dot_n, active)
        eta = eta * bs.eta
        active &= dr.any(dr.detach(throughput) != 0)
        depth = depth + 1
        active &= depth < max_depth

        # Russian roulette, as Mitsuba 3's: look through the eta^2 scaling.
        use_rr = depth > rr_depth
        q = dr.minimum(dr.max(dr.detach(throughput)) * dr.square(dr.detach(eta)), 0.95)
        survive = sampler.next_1d() < q
        active &= ~use_rr | survive
        throughput = dr.select(use_rr, throughput / dr.maximum(q, 1e-8), throughput)
        return sampler, active, depth, eta, si.offset_origin(wo_world), wo_world, throughput

    def connect_sensor(self, scene, sensor, si, sensor_ds, bsdf, weight, image, sample_scale, active):
        """Splat the light leaving ``si`` towards the camera, if it sees ``si``.

        ``bsdf``: the BSDFPtr at ``si`` (its value towards the camera, with the
        shading-normal correction) or None for a point on a light (the cosine
        of the emitting surface instead). ``weight``: Color3f, the power at
        ``si`` times the camera's importance.
        """
        active = bk.Bool(active) & (sensor_ds.pdf > 0) & dr.any(dr.detach(weight) != 0)
        ray = si.spawn_ray_to(sensor_ds.p)
        active &= ~scene.ray_test(ray, active)
        local = si.to_local(ray.d)
        if bsdf is None:
            surface = bk.Color3f(dr.maximum(0, local.z))
        else:
            ctx = BSDFContext(TransportMode.Importance)
            wi_dot_n = dr.dot(si.n, si.to_world(si.wi))
            wo_dot_n = dr.dot(si.n, ray.d)
            valid = (wi_dot_n * si.wi.z > 0) & (wo_dot_n * local.z > 0)
            correction = shading_normal_correction(si.wi.z, wo_dot_n, local.z, wi_dot_n, valid)
            surface = bsdf.eval(ctx, si, local, active & valid) * correction
        sensor.film().splat_into(image, sensor_ds.uv, weight * surface * sample_scale, active)


def visible_emitter(emitter):
    """Whether a camera can see ``emitter`` directly: a light with a surface that
    emits over a range of directions, or an environment (not a point, a
    direction, nor a ``directionalarea``)."""
    return bool(emitter.flags() & EmitterFlags.Surface or emitter.is_environment()) and not emitter.is_delta()


def shading_normal_correction(cos_wi, wo_dot_n, cos_wo, wi_dot_n, active):
    """The factor that makes a BSDF with shading normals adjoint-consistent
    for light paths: ``|cos_s(wi) cos_g(wo) / (cos_s(wo) cos_g(wi))|``, s the
    shading and g the geometric normal (Veach 1997, sec. 5.3, eq. 5.17); zero
    where ``active`` is False."""
    denominator = cos_wo * wi_dot_n
    ok = bk.Bool(active) & (denominator != 0)
    return dr.select(ok, dr.abs(cos_wi * wo_dot_n / dr.select(ok, denominator, 1)), 0)

"""``volpath``: volumetric path tracing, with path replay for derivatives.

:meth:`VolumetricPathIntegrator.sample` follows a path from the camera
through surfaces *and* participating media (:mod:`tutorial_kit.renderer.medium`),
solving the radiative transfer equation by Monte Carlo (Novák et al.,
"Monte Carlo Methods for Volumetric Light Transport Simulation", 2018):

1. **Free flight.** In a medium, a tentative collision is drawn from the
   majorant's exponential density (for one colour channel chosen per path,
   the others reweighted by the ratio of transmittance to that density).
   It is real with probability sigma_t / majorant and null otherwise:
   *delta tracking* continues straight on through null collisions. Where
   no collision comes before the next surface, the path reaches it.
2. **At a real collision** the path gathers light: a point on an emitter is
   sampled and its contribution attenuated by the transmittance along the
   shadow ray, estimated by *ratio tracking* (the product of
   sigma_n / majorant over tentative collisions, exactly exp(-sigma_t d) in a
   homogeneous medium) and let through ``null`` surfaces; the phase function
   then samples the next direction. Emitter and phase sampling are joined by
   multiple importance sampling.
3. **At a surface** the path tracer's steps: emission, emitter sampling,
   BSDF sampling. A ``null`` BSDF only changes the medium: the path crosses
   it without counting a bounce. A shape's ``interior``/``exterior`` media
   decide which medium the path is in next.
4. Russian roulette after ``rr_depth`` bounces.

A null collision and a ratio-tracking step change little (a ray's origin,
a weight), so each goes round a small loop of its own inside the bounce
rather than through the whole bounce with its surface and emitter code:
the same steps with the same random numbers in the same order, several
times faster in a dense grid, where most tentative collisions are null.

**Derivatives** (path replay, Vicini, Speierer and Jakob 2021, and its
differential delta tracking): the replay draws the same paths and, at each
step, re-evaluates with derivatives the factor that step multiplied into
the path weight (sigma_s / P(real) at a real collision, sigma_n / P(null)
at a null one, the phase function, the BSDF, the transmittance factors of
shadow rays), pushing d(factor) / factor times the light still to come to
the parameters. The sampled distances and directions stay fixed; since the
majorant does not depend on the density in a heterogeneous medium, the
derivative of the collision probabilities is carried by sigma_s and sigma_n.
Both ``Backward`` (reverse) and ``Forward`` mode are supported.

Parameters (Mitsuba 3's): ``max_depth`` (-1 = unlimited; 1 shows emitters
only), ``rr_depth`` (5), ``hide_emitters`` (false). ``prbvolpath`` is the
same algorithm under that name, with Mitsuba 3's default ``max_depth`` of 6.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.integrators.path import is_replay, mis_weight
from tutorial_kit.renderer.bsdf import BSDFContext, BSDFFlags, has_flag
from tutorial_kit.renderer.integrator import RBIntegrator
from tutorial_kit.renderer.interaction import SHADOW_EPSILON, DirectionSample3f, Interaction3f, SurfaceInteraction3f
from tutorial_kit.renderer.medium import NO_MEDIUM, MediumInteraction3f, PhaseFunctionContext, select_channel


def interaction_of(si):
    """The plain Interaction3f (t, time, p, n) of a surface or medium interaction."""
    return Interaction3f(t=si.t, time=si.time, p=si.p, n=si.n)


def tracks_derivatives(value):
    """Whether ``value`` depends on a parameter that tracks derivatives, asked where
    derivatives are switched on (a replay runs with them suspended between its steps)."""
    with dr.resume_grad():
        return dr.grad_enabled(value)


def push_derivative(mode, δL, value):
    """Send the derivative of ``value`` (Color3f, derivatives switched on) to the
    parameters, weighted by the adjoint radiance ``δL`` (Backward), or return it
    (Forward: a Color3f to add to the derivative of the radiance)."""
    if mode == dr.ADMode.Backward:
        dr.backward_from(δL * value)
        return dr.zeros(bk.Color3f, dr.width(value))
    return dr.forward_to(value)


def shadow_ray(ref, ds):
    """The ray from ``ref`` (Interaction3f) towards the emitter point of ``ds``,
    ending just short of it (unbounded towards an environment)."""
    origin = ref.offset_origin(ds.d)
    return Ray3f(origin, ds.d, dr.select(dr.isinf(ds.dist), dr.inf, ds.dist * (1 - SHADOW_EPSILON)))


@register('integrator', 'volpath')
class VolumetricPathIntegrator(RBIntegrator):
    """``max_depth`` (-1), ``rr_depth`` (5), ``hide_emitters`` (false)."""
    DEFAULT_MAX_DEPTH = -1
    #: The largest survival probability of Russian roulette.
    MAX_SURVIVAL = 0.95

    def settings(self):
        return dict(super().settings(), hide_emitters=self.hide_emitters)

    def sample(self, mode, scene, sampler, ray, δL=None, state_in=None, active=True, medium=None, **kwargs):
        """See :meth:`Integrator.sample`; ``medium`` (a Medium or None): the medium
        the camera rays start in (the sensor's)."""
        # Dr.Jit's loop optimisation traces a loop's body twice (to find the state that
        # never changes), a loop inside a loop four times: for these nested loops the
        # tracing costs more than it saves in the kernels (three times the Python time
        # of a step of the volume optimisation at 16^3, for the same kernel time at 64^3).
        with dr.scoped_set_flag(dr.JitFlag.OptimizeLoops, False):
            return self.trace_paths(mode, scene, sampler, ray, δL, state_in, active, medium)

    @dr.syntax
    def trace_paths(self, mode, scene, sampler, ray, δL, state_in, active, medium):
        """The body of :meth:`sample`: ``(L or its derivative, valid, [], L)``."""
        replay = is_replay(mode)
        media = scene.media()
        has_media = len(media) > 0
        width = dr.width(ray.d)
        ctx = BSDFContext()
        phase_ctx = PhaseFunctionContext(sampler)

        L = bk.Color3f(dr.detach(state_in)) if replay else dr.zeros(bk.Color3f, width)
        dL = dr.zeros(bk.Color3f, width)            # the derivative, in Forward mode
        δL = bk.Color3f(δL) if δL is not None else dr.zeros(bk.Color3f, width)
        throughput = dr.full(bk.Color3f, 1, width)
        eta = dr.full(bk.Float, 1, width)
        ray = Ray3f(bk.Array3f(ray.o), bk.Array3f(ray.d), bk.Float(ray.maxt) + dr.zeros(bk.Float, width))
        depth = dr.zeros(bk.UInt32, width)
        current = dr.full(bk.UInt32, scene.medium_index(medium), width)
        # One colour channel drives the free-flight distances of each path.
        channel = bk.UInt32(dr.minimum(sampler.next_1d() * 3, 2))
        si = dr.zeros(SurfaceInteraction3f, width)
        needs_intersection = dr.full(bk.Bool, True, width)
        last_scatter = dr.zeros(Interaction3f, width)
        last_scatter_pdf = dr.full(bk.Float, 1, width)
        hide = self.hide_emitters
        specular_chain = dr.full(bk.Bool, not hide, width)
        valid_ray = dr.full(bk.Bool, (not hide) and scene.environment is not None, width)
        max_depth = dr.opaque(bk.UInt32, self.max_depth)
        rr_depth = dr.opaque(bk.UInt32, self.rr_depth)
        active = bk.Bool(active) & (depth < max_depth)

        while dr.hint(active, label='volpath', exclude=[max_depth, rr_depth, channel]):
            active, throughput = self.russian_roulette(sampler, throughput, eta, depth, rr_depth, max_depth, active)

            in_medium = active & (current != NO_MEDIUM)
            on_surface = active & ~in_medium
            # One search for the next surface per bounce, for paths in media and
            # out of them alike: each search is a traversal loop of its own.
            intersect = active & needs_intersection
            si = dr.select(intersect, scene.ray_intersect(ray, intersect), si)
            needs_intersection &= ~intersect
            real_event = dr.zeros(bk.Bool, width)
            escaped_medium = dr.zeros(bk.Bool, width)
            mei = dr.zeros(MediumInteraction3f, width)
            mei.t = dr.full(bk.Float, dr.inf, width)

            # -- 1. free flight in a medium ------------------------------------------
            if dr.hint(has_media, mode='scalar'):
                # Tentative collisions until a real one, the surface, or the end of the
                # path. A null collision only moves the ray's origin (and, replayed,
                # pushes the derivative of sigma_n), so its lanes go round this small
                # loop instead of the whole bounce: the same steps, the same random
                # numbers, in the same order as one bounce per collision, but without
                # the cost of the surface and emitter code that a bounce masks off.
                tracking = bk.Bool(in_medium)
                while dr.hint(tracking, label='volpath_free_flight', exclude=[max_depth, rr_depth, channel]):
                    in_medium = bk.Bool(tracking)
                    medium_ptr = scene.medium_ptr(current)
                    with dr.resume_grad(when=replay):
                        mei = medium_ptr.sample_interaction(ray, sampler.next_1d(in_medium), channel, in_medium)
                    mei.t = dr.detach(mei.t)
                    mei.p = dr.detach(mei.p)
                    mei.t = dr.select(in_medium & (si.t < mei.t), dr.inf, mei.t)
                    with dr.resume_grad(when=replay):
                        tr, free_flight_pdf = medium_ptr.transmittance_eval_pdf(mei, si, in_medium)
                        tr_pdf = dr.detach(select_channel(free_flight_pdf, channel))
                        weight = dr.select(in_medium & (tr_pdf > 0), tr / tr_pdf, 1)
                        weight = dr.select(in_medium & (tr_pdf <= 0), 0, weight)
                    escaped_medium = in_medium & ~mei.is_valid()
                    in_medium &= mei.is_valid()
                    with dr.resume_grad(when=replay):
                        # Null with probability sigma_n / majorant (averaged over channels).
                        ratio = dr.select(mei.combined_extinction > 0, mei.sigma_n / mei.combined_extinction, 0)
                        null_probability = dr.detach(ratio.x + ratio.y + ratio.z) / 3
                        null_event = in_medium & (sampler.next_1d(in_medium) < null_probability)
                        real_event = in_medium & ~null_event
                        weight = dr.select(null_event, weight * mei.sigma_n / null_probability, weight)
                        weight = dr.select(real_event, weight * mei.sigma_s / (1 - null_probability), weight)
                    throughput *= dr.detach(weight)
                    if dr.hint(replay and tracks_derivatives(weight), mode='scalar'):
                        with dr.resume_grad():
                            rest = dr.detach(dr.select(in_medium | escaped_medium, L / dr.maximum(1e-8, weight), 0))
                            dL += push_derivative(mode, δL, weight * rest)
                    depth = dr.select(real_event, depth + 1, depth)
                    last_scatter = dr.select(real_event, interaction_of(mei), last_scatter)
                    active &= depth < max_depth
                    real_event &= active
                    ray.o = dr.select(null_event, mei.p, ray.o)
                    si.t = dr.select(null_event, si.t - mei.t, si.t)
                    # After a null collision the next bounce would begin: its roulette.
                    survives, throughput = self.russian_roulette(sampler, throughput, eta, depth, rr_depth,
                                                                 max_depth, null_event)
                    active &= survives | ~null_event
                    tracking = survives
                in_medium &= active

            # -- 2. surfaces (and rays that left the medium) ---------------------------
            on_surface |= escaped_medium

            # Light found by the ray: full weight straight from the camera or after
            # Dirac lobes, else weighed against emitter sampling from the last scatter.
            hits_emitter = on_surface & scene.is_emitter(si)
            if dr.hint(hide, mode='scalar'):
                hits_emitter &= depth > 0
            count_direct = (depth == 0) | specular_chain
            with dr.resume_grad(when=replay):
                emitted = scene.emission(si, ray.d, hits_emitter)[0]
                seen = DirectionSample3f.from_hit(si, ray.d, scene.emitter_ptr(si, hits_emitter).index)
                seen.dist = dr.select(si.is_valid(), dr.norm(si.p - last_scatter.p), dr.inf)
                emitter_pdf = scene.pdf_emitter_direction(last_scatter, seen, hits_emitter & ~count_direct)
                Le = dr.select(hits_emitter, throughput * emitted *
                               dr.select(count_direct, 1, mis_weight(last_scatter_pdf, emitter_pdf)), 0)
            L = dr.detach(L - Le) if replay else L + Le
            if dr.hint(replay and tracks_derivatives(Le), mode='scalar'):
                with dr.resume_grad():
                    dL += push_derivative(mode, δL, Le)

            on_surface &= si.is_valid()
            bsdf = scene.bsdf_ptr(si, on_surface)
            flags = bsdf.flags(on_surface)

            # -- 3. emitter sampling, from a real collision or a surface ---------------
            sample_emitters = real_event
            if dr.hint(has_media, mode='scalar'):
                sample_emitters = real_event & scene.medium_ptr(current).use_emitter_sampling(real_event)
                valid_ray |= real_event
                specular_chain &= ~real_event
                specular_chain |= real_event & ~sample_emitters
            nee_surface = on_surface & has_flag(flags, BSDFFlags.Smooth) & (depth + 1 < max_depth)
            nee = nee_surface | sample_emitters
            ref = dr.select(sample_emitters, interaction_of(mei), interaction_of(si))
            nee_sampler = sampler.clone() if replay else None
            with dr.resume_grad(when=replay):
                emitted, ds, _ = self.transmitted_emission(scene, sampler, ref, si, nee_surface, current, channel,
                                                           nee, dr.ADMode.Primal)
                wo_local = si.to_local(ds.d)
                bsdf_value, bsdf_pdf = bsdf.eval_pdf(ctx, si, wo_local, nee_surface)
                if dr.hint(has_media, mode='scalar'):
                    phase_value, phase_pdf = scene.medium_ptr(current).phase_eval_pdf(phase_ctx, mei, ds.d,
                                                                                      sample_emitters)
                else:
                    phase_value, phase_pdf = dr.zeros(bk.Float, width), dr.zeros(bk.Float, width)
                nee_weight = dr.select(nee_surface, bsdf_value, bk.Color3f(phase_value))
                direction_pdf = dr.select(ds.delta, 0, dr.select(nee_surface, bsdf_pdf, phase_pdf))
                Lr_direct = dr.select(nee, throughput * nee_weight * mis_weight(ds.pdf, dr.detach(direction_pdf))
                                      * emitted, 0)
            L = dr.detach(L - Lr_direct) if replay else L + Lr_direct
            if dr.hint(replay, mode='scalar'):
                # The same shadow ray again, now pushing the derivatives of its transmittance.
                _, _, dL_shadow = self.transmitted_emission(scene, nee_sampler, ref, si, nee_surface, current,
                                                            channel, nee, mode, δL=δL, adjoint=dr.detach(Lr_direct))
                dL += dL_shadow
                if dr.hint(tracks_derivatives(Lr_direct), mode='scalar'):
                    with dr.resume_grad():
                        dL += push_derivative(mode, δL, Lr_direct)

            # -- 4. the next direction: phase function in a medium ----------------------
            if dr.hint(has_media, mode='scalar'):
                medium_ptr = scene.medium_ptr(current)
                wo, phase_weight, phase_pdf = medium_ptr.phase_sample(phase_ctx, mei, sampler.next_1d(real_event),
                                                                      sampler.next_2d(real_event), real_event)
                wo, phase_weight, phase_pdf = dr.detach(wo), dr.detach(phase_weight), dr.detach(phase_pdf)
                real_event &= phase_pdf > 0
                if dr.hint(replay, mode='scalar'):
                    with dr.resume_grad():
                        phase_eval = medium_ptr.phase_eval_pdf(phase_ctx, mei, wo, real_event)[0]
                        if dr.hint(dr.grad_enabled(phase_eval), mode='scalar'):
                            rest = dr.detach(dr.select(real_event, L / dr.maximum(1e-8, phase_eval), 0))
                            dL += push_derivative(mode, δL, bk.Color3f(phase_eval) * rest)
                throughput = dr.select(real_event, throughput * phase_weight, throughput)
                ray = dr.select(real_event, mei.spawn_ray(wo), ray)
                needs_intersection |= real_event
                last_scatter_pdf = dr.select(real_event, phase_pdf, last_scatter_pdf)

            # -- 5. ... or the BSDF at a surface -----------------------------------------
            with dr.suspend_grad():
                bs, bsdf_weight = bsdf.sample(ctx, si, sampler.next_1d(on_surface), sampler.next_2d(on_surface),
                                              on_surface)
            on_surface &= bs.pdf > 0
            if dr.hint(replay, mode='scalar'):
                with dr.resume_grad():
                    bsdf_eval = bsdf.eval(ctx, si, bs.wo, on_surface)
                    if dr.hint(dr.grad_enabled(bsdf_eval), mode='scalar'):
                        rest = dr.detach(dr.select(on_surface, L / dr.maximum(1e-8, bsdf_eval), 0))
                        dL += push_derivative(mode, δL, bsdf_eval * rest)
            throughput = dr.select(on_surface, throughput * bsdf_weight, throughput)
            eta = dr.select(on_surface, eta * bs.eta, eta)
            ray = dr.select(on_surface, si.spawn_ray(si.to_world(bs.wo)), ray)
            needs_intersection |= on_surface
            scattered = on_surface & ~has_flag(bs.sampled_type, BSDFFlags.Null)
            depth = dr.select(scattered, depth + 1, depth)
            last_scatter = dr.select(scattered, interaction_of(si), last_scatter)
            last_scatter_pdf = dr.select(scattered, bs.pdf, last_scatter_pdf)
            valid_ray |= scattered
            specular_chain |= scattered & has_flag(bs.sampled_type, BSDFFlags.Delta)
            specular_chain &= ~(on_surface & has_flag(bs.sampled_type, BSDFFlags.Smooth))
            if dr.hint(has_media, mode='scalar'):
                crossing = on_surface & scene.is_medium_transition(si)
                current = dr.select(crossing, scene.target_medium(si, ray.d), current)
            active &= on_surface | in_medium

        return (dL if mode == dr.ADMode.Forward else L), valid_ray, [], L

    def russian_roulette(self, sampler, throughput, eta, depth, rr_depth, max_depth, active):
        """The start of a bounce: paths of zero ``throughput`` end, and past ``rr_depth``
        bounces a path survives with probability q = min(max(throughput) eta^2,
        MAX_SURVIVAL), its throughput divided by q. Returns ``(active, throughput)``:
        the lanes of ``active`` (Bool) that go on below ``max_depth``, and the
        throughput (Color3f). ``sampler`` draws one number per active lane."""
        active = active & dr.any(throughput != 0)
        q = dr.minimum(dr.max(throughput) * dr.square(eta), self.MAX_SURVIVAL)
        roulette = active & (depth > rr_depth)
        active &= (sampler.next_1d(active) < q) | ~roulette
        throughput = dr.select(roulette, throughput / q, throughput)
        return active & (depth < max_depth), throughput

    @dr.syntax
    def transmitted_emission(self, scene, sampler, ref, si, from_surface, current, channel, active, mode,
                             δL=None, adjoint=None):
        """A point on an emitter seen from ``ref`` (Interaction3f: a real collision,
        or the surface ``si`` where ``from_surface``), attenuated along the way.

        The shadow ray crosses media by ratio tracking (in closed form through
        homogeneous ones) and passes ``null`` surfaces, changing medium as it
        crosses their shapes; any other surface blocks it. Returns
        ``(emitted, ds, dL)``: the emitter's weight (radiance / pdf) times the
        transmittance (Color3f, the transmittance detached), the
        DirectionSample3f, and in Forward mode the derivative of the
        transmittance's share of ``adjoint`` (the contribution the primal pass
        found, Color3f); in Backward mode that derivative is pushed to the
        parameters with ``δL``.
        """
        width = dr.width(ref.p)
        replay = is_replay(mode)
        active = bk.Bool(active)
        dL = dr.zeros(bk.Color3f, width)
        ds, emitter_value = scene.sample_emitter_direction(ref, sampler.next_2d(active), False, active)
        ds = dr.detach(ds)
        emitter_value = dr.select(ds.pdf > 0, emitter_value, 0)
        active &= ds.pdf > 0
        if dr.hint(len(scene.media()) == 0, mode='scalar'):
            # No medium anywhere: a plain shadow ray, blocked by any surface but a null one.
            medium = dr.full(bk.UInt32, NO_MEDIUM, width)
        else:
            medium = dr.select(active, current, NO_MEDIUM)
            crossing = from_surface & scene.is_medium_transition(si)
            medium = dr.select(crossing, scene.target_medium(si, ds.d), medium)
        ray = shadow_ray(ref, ds)
        max_dist = bk.Float(ray.maxt)
        total_dist = dr.zeros(bk.Float, width)
        hit = dr.zeros(SurfaceInteraction3f, width)
        needs_intersection = dr.full(bk.Bool, True, width)
        transmittance = dr.full(bk.Color3f, 1, width)

        # The pass that only measures the transmittance records no derivatives:
        # lookups in a grid that tracks them would compile to slower code.
        with dr.suspend_grad(when=not replay):
            while dr.hint(active, label='volpath_shadow', exclude=[channel]):
                remaining = max_dist - total_dist
                ray.maxt = remaining
                active &= remaining > 0
                needs_intersection &= active
                hit = dr.select(needs_intersection, scene.ray_intersect(ray, needs_intersection), hit)
                needs_intersection = dr.zeros(bk.Bool, width)
                in_medium = active & (medium != NO_MEDIUM)
                on_surface = active & ~in_medium
                factor = dr.full(bk.Color3f, 1, width)
                mei = dr.zeros(MediumInteraction3f, width)
                mei.t = dr.full(bk.Float, dr.inf, width)
                escaped = dr.zeros(bk.Bool, width)
                if dr.hint(len(scene.media()) > 0, mode='scalar'):
                    mei, factor, escaped, in_medium = self.shadow_medium_step(scene, sampler, ray, hit, remaining,
                                                                              medium, channel, in_medium, replay)
                    if dr.hint(replay and tracks_derivatives(factor), mode='scalar'):
                        dL += let_through(mode, δL, factor, in_medium, adjoint)
                    # Ratio tracking: a tentative collision lets sigma_n / majorant through
                    # and the shadow ray goes on from there. Such steps loop here, not in
                    # the whole shadow-ray step with its surface code: the same steps and
                    # random numbers, in the same order. (Each step's derivative is pushed
                    # where the step is taken: the loop carries values only.)
                    looped = bk.Bool(in_medium)
                    step_factor = dr.detach(factor)
                    while dr.hint(in_medium, label='volpath_ratio_tracking', exclude=[channel]):
                        transmittance *= step_factor
                        active &= dr.any(transmittance != 0)
                        total_dist = dr.select(active, total_dist + mei.t, total_dist)
                        # The next step, from the collision.
                        remaining = max_dist - total_dist
                        ray.maxt = remaining
                        active &= remaining > 0
                        in_medium = active & (medium != NO_MEDIUM)
                        mei, step_factor, escaped, in_medium = self.shadow_medium_step(
                            scene, sampler, ray, hit, remaining, medium, channel, in_medium, replay)
                        if dr.hint(replay and tracks_derivatives(step_factor), mode='scalar'):
                            dL += let_through(mode, δL, step_factor, in_medium, adjoint)
                        step_factor = dr.detach(step_factor)
                    # The lanes that looped left it at a step without a collision.
                    factor = dr.select(looped, step_factor, factor)
                    on_surface |= escaped
                on_surface &= hit.is_valid() & ~in_medium
                with dr.resume_grad(when=replay):
                    passes = scene.bsdf_ptr(hit, on_surface).eval_null_transmission(hit, on_surface)
                    factor = dr.select(on_surface, factor * passes, factor)
                if dr.hint(replay and tracks_derivatives(factor), mode='scalar'):
                    dL += let_through(mode, δL, factor, on_surface | escaped, adjoint)
                transmittance *= dr.detach(factor)
                ray = dr.select(on_surface, hit.spawn_ray(ray.d), ray)
                ray.maxt = remaining
                needs_intersection |= on_surface
                active &= (in_medium | on_surface) & dr.any(transmittance != 0)
                total_dist = dr.select(active, total_dist + dr.select(in_medium, mei.t, hit.t), total_dist)
                if dr.hint(len(scene.media()) > 0, mode='scalar'):
                    crossing = on_surface & scene.is_medium_transition(hit)
                    medium = dr.select(crossing, scene.target_medium(hit, ray.d), medium)
        return emitter_value * transmittance, ds, dL

    def shadow_medium_step(self, scene, sampler, ray, hit, remaining, medium, channel, in_medium, replay):
        """One step of a shadow ray in its medium (``in_medium`` lanes): a tentative
        collision sampled along ``ray`` (whose origin moves to it, and ``hit.t`` with
        it), or, in a homogeneous medium, the exact transmittance up to ``hit`` or
        ``remaining``. Returns ``(mei, factor, escaped, in_medium)``: the collision
        (MediumInteraction3f), the transmittance factor of the step (Color3f:
        sigma_n / majorant at a collision), the lanes that left the medium (no
        collision before the surface or the end) and those at a collision."""
        width = dr.width(ray.d)
        medium_ptr = scene.medium_ptr(medium)
        factor = dr.full(bk.Color3f, 1, width)
        with dr.resume_grad(when=replay):
            mei = medium_ptr.sample_interaction(ray, sampler.next_1d(in_medium), channel, in_medium)
            mei.t = dr.detach(mei.t)
            mei.p = dr.detach(mei.p)
            mei.t = dr.select(in_medium & (hit.t < mei.t), dr.inf, mei.t)
            # Homogeneous: the exact transmittance to the next surface or the end.
            homogeneous = in_medium & medium_ptr.is_homogeneous(in_medium)
            span = dr.minimum(remaining, hit.t) - mei.mint
            factor = dr.select(homogeneous, dr.exp(-span * mei.combined_extinction), factor)
            mei.t = dr.select(homogeneous, dr.inf, mei.t)
            escaped = in_medium & ~mei.is_valid()
            in_medium = in_medium & mei.is_valid()
            # Ratio tracking: each tentative collision lets sigma_n / majorant through.
            factor = dr.select(in_medium, factor * mei.sigma_n / mei.combined_extinction, factor)
        ray.o = dr.select(in_medium, mei.p, ray.o)
        hit.t = dr.select(in_medium, hit.t - mei.t, hit.t)
        return mei, factor, escaped, in_medium


def let_through(mode, δL, factor, moved, adjoint):
    """The derivative of a shadow ray's transmittance ``factor`` (Color3f, derivatives
    on) on the lanes that ``moved``: its share of the contribution ``adjoint``
    (Color3f) that the whole transmittance let through; see :func:`push_derivative`."""
    with dr.resume_grad():
        moved = moved & dr.all(factor > 0)
        share = dr.detach(dr.select(moved, adjoint / dr.select(moved, factor, 1), 0))
        return push_derivative(mode, δL, factor * share)


@register('integrator', 'prbvolpath')
class PRBVolpathIntegrator(VolumetricPathIntegrator):
    """Path replay backpropagation through media (Vicini, Speierer and Jakob 2021):
    ``volpath``'s algorithm under Mitsuba 3's name and defaults, ``max_depth``
    (6), ``rr_depth`` (5), ``hide_emitters`` (false)."""
    DEFAULT_MAX_DEPTH = 6

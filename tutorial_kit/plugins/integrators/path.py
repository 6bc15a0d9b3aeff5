"""``path``: unidirectional path tracing with emitter and BSDF sampling joined by MIS.

:meth:`PathIntegrator.sample` follows a path from the camera, bounce by
bounce (Kajiya 1986; Veach 1997, ch. 9; PBR 4th ed., sec. 13.4). At each
surface it

1. adds the light the surface emits (if the previous bounce sampled the BSDF,
   weighted by multiple importance sampling, MIS),
2. samples a point on a light and adds its contribution (MIS-weighted,
   except for delta lights such as ``point``, which only this strategy finds;
   the shadow ray that tests whether the point is visible is traced only
   where that contribution would not be zero, see :func:`shadow_ray_needed`),
3. samples the BSDF for the next direction and multiplies the path
   throughput by the BSDF weight,
4. after ``rr_depth`` bounces, stops at random with Russian roulette,
   dividing survivors by their survival probability to stay unbiased.

``max_depth`` counts path vertices as Mitsuba does: 1 shows only emitters,
2 adds direct light, -1 means unlimited. ``hide_emitters`` hides the
emitters that camera rays see directly, as in Mitsuba 3: they look through
area lights at what lies behind, and see black where the environment
would be. All quantities are linear RGB.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer.bsdf import BSDFContext, BSDFSample3f
from tutorial_kit.renderer.integrator import RBIntegrator, skip_area_emitters
from tutorial_kit.core.registry import register


def bsdf_ratio(scene, si, bs, bsdf_weight, direction, active):
    """Color3f of value 1 whose derivative is d(BSDF) / BSDF at the sampled direction.

    Derivatives keep each sampled direction fixed *in world space*
    (``direction``, Array3f, detached) and differentiate what the BSDF makes
    of it. A smooth lobe is evaluated there with derivatives (its sampling
    density stays detached): when the surface moves or turns, the direction's
    angle to the shading normal changes, and so does ``BSDF cos``. A Dirac
    lobe (mirror, glass) has no value to evaluate, ``eval`` being zero, so its
    sample weight, which
    ``sample`` computed with derivatives switched on (reflectance times
    Fresnel term over the detached lobe probability), stands in for it.
    """
    value = scene.bsdf_ptr(si).eval(BSDFContext(), si, si.to_local(direction), active)
    value = dr.select(bs.is_delta(), bsdf_weight * dr.detach(bs.pdf), value)
    value_detached = dr.detach(bsdf_weight * bs.pdf)
    ratio = dr.select(value_detached > 0, value / value_detached, 0)
    return dr.replace_grad(dr.full(bk.Color3f, 1, dr.width(ratio)), ratio)


def mis_weight(pdf_a, pdf_b):
    """Power heuristic: weight of strategy a when strategies a and b may create a sample."""
    a2, b2 = dr.square(pdf_a), dr.square(pdf_b)
    return dr.select(a2 + b2 > 0, a2 / (a2 + b2), 0)


def shadow_ray_needed(Lr_direct, active):
    """Bool: where the shadow ray of emitter sampling must be traced.

    Where the unoccluded contribution ``Lr_direct`` (Color3f) is zero, as
    for a light below a diffuse surface, visibility cannot change it, and
    the ray is skipped (PBR 4th ed., sec. 13.4: the shadow ray is the costly
    part; benchmarks/README.md, "Rendering"), and the image stays the same
    (to the last bit, or to within a unit in the last place where the
    compiled arithmetic is ordered differently). While derivatives are recorded, every ray is traced: a
    zero value can have a non-zero derivative (a reflectance of zero that
    the optimizer is raising).
    """
    if dr.grad_enabled(Lr_direct):
        return active
    return active & dr.any(Lr_direct != 0)


def is_replay(mode):
    """False for the primal pass, True for a replay (Backward or Forward)."""
    if not isinstance(mode, dr.ADMode):
        raise TypeError(f'mode must be a drjit.ADMode, got {mode!r}')
    return mode != dr.ADMode.Primal


@register('integrator', 'path')
class PathIntegrator(RBIntegrator):
    """``max_depth`` (-1), ``rr_depth`` (5), ``hide_emitters`` (false)."""
    DEFAULT_MAX_DEPTH = -1

    def settings(self):
        return dict(super().settings(), hide_emitters=self.hide_emitters)

    @dr.syntax
    def sample(self, mode, scene, sampler, ray, δL=None, state_in=None, active=True, depth=0,
               **kwargs):
        """See :meth:`Integrator.sample`; ``depth`` (int or UInt32): the path
        depth of ``ray``, 0 for camera rays. A path that starts deeper (the
        light arriving at a later vertex) stops and begins its roulette as
        the rest of the camera path would, and sees hidden emitters.

        In replay (``mode`` Backward or Forward) ``L`` starts as the whole
        radiance the primal pass found (``state_in``) and each vertex
        subtracts what it added, so that ``L`` is always the light still to
        come along the path. Each vertex's contribution is then re-evaluated
        with derivatives switched on locally and pushed to the parameters at
        once (backward, weighted by the adjoint radiance ``δL``) or gathered
        into the returned derivative (forward): this costs about one more
        primal pass and no memory per bounce.
        """
        replay = is_replay(mode)
        ctx = BSDFContext()
        origin, direction, t_max = ray.o, ray.d, ray.maxt
        width = dr.width(ray)
        L = bk.Color3f(dr.detach(state_in)) if replay else dr.zeros(bk.Color3f, width)
        dL_forward = dr.zeros(bk.Color3f, width)
        throughput = dr.full(bk.Color3f, 1, width)
        depth = dr.zeros(bk.UInt32, width) + depth
        eta = dr.full(bk.Float, 1, width)                # relative IOR crossed so far
        prev_bsdf_pdf = dr.full(bk.Float, 1, width)     # 'from the camera' at depth 0
        prev_bsdf_delta = dr.full(bk.Bool, True, width)  # the camera ray: no MIS
        valid = dr.zeros(bk.Bool, width)                 # the ray met a surface
        # Opaque: a new max_depth reuses the compiled kernel instead of making another.
        max_depth = dr.opaque(bk.UInt32, self.max_depth)
        rr_depth = dr.opaque(bk.UInt32, self.rr_depth)
        hide_emitters = dr.opaque(bk.Bool, self.hide_emitters)
        active = bk.Bool(active) & (depth < max_depth)
        if self.hide_emitters:
            # Camera rays look through area emitters at what lies behind, as in Mitsuba 3.
            ray = skip_area_emitters(scene, ray, active & (depth == 0))
            origin, direction = ray.o, ray.d

        # Read-only values stay out of the loop state, and Dr.Jit is asked not to
        # prune unchanged state: either would make it trace the body a second time.
        # The loop runs symbolically, or evaluated where Dr.Jit's JitFlag.SymbolicLoops
        # is off (a render that records derivatives: renderer.integrator.evaluated_loops).
        with dr.scoped_set_flag(dr.JitFlag.OptimizeLoops, False):
            while dr.hint(active, label='path', exclude=[max_depth, rr_depth, hide_emitters]):
                si = scene.ray_intersect(Ray3f(origin, direction, t_max), active)
                bsdf = scene.bsdf_ptr(si)
                valid |= active & si.is_valid()

                # A camera ray that escapes while emitters are hidden does not see the
                # environment, as in Mitsuba 3: the pixel is black there.
                active &= ~(hide_emitters & (depth == 0) & scene.is_emitter(si))

                # 1. Emission found by the previous BSDF sample (or the camera).
                with dr.resume_grad(when=replay):
                    emitted, emitter_pdf = scene.emission(si, direction, active)
                    weight = dr.select(prev_bsdf_delta, 1, mis_weight(prev_bsdf_pdf, emitter_pdf))
                    Le = throughput * emitted * weight

                # Stop after this vertex when the next would exceed max_depth or the ray escaped.
                active &= si.is_valid() & (depth + 1 < max_depth)

                # 2. Emitter sampling.
                with dr.resume_grad(when=replay):
                    ds, emitter_weight = scene.sample_emitter(si, sampler.next_1d(), sampler.next_2d(),
                                                              active, test_visibility=False)
                    wo = si.to_local(ds.d)
                    bsdf_value, bsdf_pdf = bsdf.eval_pdf(ctx, si, wo, active)
                    # The MIS weight stays detached: its partner at the next vertex (the
                    # weight of the BSDF-sampled hit) is, and the two must sum to one. A
                    # delta light (point, spot, directional) has no partner: weight 1.
                    emitter_mis = dr.select(ds.delta, 1, mis_weight(ds.pdf, dr.detach(bsdf_pdf)))
                    Lr_direct = dr.select(active, throughput * bsdf_value * emitter_weight * emitter_mis, 0)
                    visible = scene.emitter_visible(si, ds, shadow_ray_needed(Lr_direct, active))
                    Lr_direct = dr.select(visible, Lr_direct, 0)

                # 3. BSDF sampling: the direction of the next bounce.
                sample1 = sampler.next_1d()
                sample2 = sampler.next_2d()
                with dr.resume_grad(when=replay):
                    bs, bsdf_weight = bsdf.sample(ctx, si, sample1, sample2, active)
                L = dr.detach(L - Le - Lr_direct) if replay else L + Le + Lr_direct

                fixed = dr.detach(si.to_world(bs.wo))      # the sampled direction, in world space
                if replay:
                    # What this vertex adds, differentiably: its emission, its direct
                    # light, and the light still to come scaled by d(BSDF)/BSDF.
                    with dr.resume_grad():
                        Lr_indirect = L * bsdf_ratio(scene, si, bs, bsdf_weight, fixed, active)
                        Lo = Le + Lr_direct + Lr_indirect
                        if mode == dr.ADMode.Backward:
                            dr.backward_from(δL * Lo)
                        else:
                            dL_forward += dr.forward_to(Lo)
                    # The path itself follows the detached sample, as in the primal pass.
                    bs = BSDFSample3f(dr.detach(bs.wo), dr.detach(bs.pdf), dr.detach(bs.eta),
                                      bs.sampled_type, bs.sampled_component)
                    bsdf_weight = dr.detach(bsdf_weight)
                elif dr.grad_enabled(si.sh_frame.n):
                    # Derivatives recorded in full (geometry): a direction drawn in the
                    # shading frame would turn with the normal while its weight
                    # BSDF cos / pdf stays constant, losing how the light a surface
                    # reflects changes as it turns. As in replay, the path follows the
                    # direction fixed in world space and the weight carries d(BSDF)/BSDF.
                    bsdf_weight = dr.detach(bsdf_weight) * bsdf_ratio(scene, si, bs, bsdf_weight, fixed, active)

                # A Dirac lobe's direction (mirror, refraction) turns with the surface.
                direction = dr.select(bs.is_delta(), si.to_world(bs.wo), fixed)
                origin = si.offset_origin(direction)
                t_max = dr.full(bk.Float, dr.inf, width)
                throughput *= bsdf_weight
                eta *= bs.eta
                prev_bsdf_pdf = bs.pdf
                prev_bsdf_delta = bs.is_delta()
                depth += 1
                active &= bs.pdf > 0

                # 4. Russian roulette: continue with probability rr_prob, reweighted.
                # Radiance is compressed by eta^2 on entering a denser medium and expanded
                # on leaving it; the roulette looks through that, as Mitsuba's does.
                rr_prob = dr.minimum(dr.max(dr.detach(throughput)) * dr.square(dr.detach(eta)), 0.95)
                roulette = depth >= rr_depth
                survive = sampler.next_1d() < rr_prob
                throughput = dr.select(roulette, throughput / dr.maximum(rr_prob, 1e-8), throughput)
                active &= (~roulette | survive) & (dr.max(dr.detach(throughput)) > 0)
        return (dL_forward if mode == dr.ADMode.Forward else L), valid, [], L

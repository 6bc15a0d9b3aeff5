"""The path tracer: estimates the light arriving along each camera ray.

``PathIntegrator.sample`` follows a path from the camera, bounce by bounce.
At each surface it

1. adds the light the surface emits (if the previous bounce sampled the BSDF,
   weighted by multiple importance sampling, MIS),
2. samples a point on a light and adds its contribution (MIS-weighted),
3. samples the BSDF for the next direction and multiplies the path
   throughput by the BSDF weight,
4. after ``rr_depth`` bounces, stops at random with Russian roulette,
   dividing survivors by their survival probability to stay unbiased.

``max_depth`` counts path vertices as Mitsuba does: 1 shows only emitters,
2 adds direct light, -1 means unlimited. All quantities are linear RGB.
"""
import numbers

import drjit as dr

from . import backend as bk
from .plugins import register

UNLIMITED = 2 ** 32 - 1


class Integrator:
    """Base class of integrators."""

    def traverse(self, visitor):
        pass


def mis_weight(pdf_a, pdf_b):
    """Power heuristic: weight of strategy a when strategies a and b may create a sample."""
    a2, b2 = dr.square(pdf_a), dr.square(pdf_b)
    return dr.select(a2 + b2 > 0, a2 / (a2 + b2), 0)


@register('integrator', 'path')
class PathIntegrator(Integrator):
    """Unidirectional path tracing with emitter and BSDF sampling joined by MIS."""

    def __init__(self, props):
        self.max_depth = _depth(props, 'max_depth', -1)
        self.rr_depth = _depth(props, 'rr_depth', 5)
        props.bool('hide_emitters', False)

    @dr.syntax
    def sample(self, scene, sampler, origin, direction, t_max, mode='primal', dL=None, L_path=None,
               loop_mode='symbolic'):
        """Radiance (Color3f) along rays ``origin + t direction``, t < ``t_max``.

        ``sampler`` is a PCG32 with one stream per ray.

        ``mode='primal'`` computes the radiance. If a parameter tracks
        derivatives and ``loop_mode='evaluated'``, automatic differentiation
        records the whole computation (simple, but memory-hungry and slow).

        ``mode='backward'`` and ``mode='forward'`` *replay* the same paths
        (same sampler seed) to propagate derivatives without recording them:
        given the radiance ``L_path`` that the primal pass found, each
        vertex's contribution is re-evaluated with derivatives switched on
        locally, and its derivative is pushed to the parameters at once
        (backward: ``dL`` is the adjoint radiance per ray) or gathered into the
        returned derivative of the radiance (forward). This is path replay
        backpropagation; it costs about one more primal pass and no memory
        per bounce.
        """
        replay = mode != 'primal'
        width = dr.width(origin)
        # In replay, L is the radiance still to come along the path.
        L = bk.Color3f(dr.detach(L_path)) if replay else dr.zeros(bk.Color3f, width)
        dL_forward = dr.zeros(bk.Color3f, width)
        throughput = dr.full(bk.Color3f, 1, width)
        depth = dr.zeros(bk.UInt32, width)
        prev_bsdf_pdf = dr.full(bk.Float, 1, width)   # 'from the camera' at depth 0
        active = dr.full(bk.Bool, self.max_depth > 0, width)
        # Opaque: a new max_depth reuses the compiled kernel instead of making another.
        max_depth = dr.opaque(bk.UInt32, self.max_depth)
        rr_depth = dr.opaque(bk.UInt32, self.rr_depth)

        while dr.hint(active, mode=loop_mode, label='path'):
            si = scene.ray_intersect(origin, direction, t_max, active)

            # 1. Emission found by the previous BSDF sample (or the camera).
            with dr.resume_grad(when=replay):
                emitted, emitter_pdf = scene.emission(si, direction, active)
                weight = dr.select(depth == 0, 1, mis_weight(prev_bsdf_pdf, emitter_pdf))
                Le = throughput * emitted * weight

            # Stop after this vertex when the next would exceed max_depth or the ray escaped.
            active &= si.valid & (depth + 1 < max_depth)

            # 2. Emitter sampling.
            with dr.resume_grad(when=replay):
                ds, emitter_weight = scene.sample_emitter(si, sampler.next_float32(),
                                                          bk.Array2f(sampler.next_float32(),
                                                                     sampler.next_float32()), active)
                wo = si.to_local(ds.d)
                bsdf_value, bsdf_pdf = scene.bsdf_eval_pdf(si, wo)
                Lr_direct = dr.select(active, throughput * bsdf_value * emitter_weight
                                      * mis_weight(ds.pdf, bsdf_pdf), 0)

            # 3. BSDF sampling: the direction of the next bounce.
            wo, bsdf_pdf, bsdf_weight = scene.bsdf_sample(
                si, bk.Array2f(sampler.next_float32(), sampler.next_float32()))
            L = dr.detach(L - Le - Lr_direct) if replay else L + Le + Lr_direct

            if replay:
                # What this vertex adds, differentiably: its emission, its direct
                # light, and the light still to come scaled by d(BSDF)/BSDF.
                with dr.resume_grad():
                    value = scene.bsdf_eval_pdf(si, wo)[0]
                    value_detached = dr.detach(bsdf_weight * bsdf_pdf)
                    ratio = dr.select(value_detached > 0, value / value_detached, 0)
                    Lr_indirect = L * dr.replace_grad(dr.full(bk.Color3f, 1, width), ratio)
                    Lo = Le + Lr_direct + Lr_indirect
                    if mode == 'backward':
                        dr.backward_from(dL * Lo)
                    else:
                        dL_forward += dr.forward_to(Lo)

            direction = si.to_world(wo)
            origin = si.offset_origin(direction)
            t_max = dr.full(bk.Float, dr.inf, width)
            throughput *= bsdf_weight if not replay else dr.detach(bsdf_weight)
            prev_bsdf_pdf = bsdf_pdf
            depth += 1
            active &= bsdf_pdf > 0

            # 4. Russian roulette: continue with probability rr_prob, reweighted.
            rr_prob = dr.minimum(dr.max(dr.detach(throughput)), 0.95)
            roulette = depth >= rr_depth
            survive = sampler.next_float32() < rr_prob
            throughput = dr.select(roulette, throughput / dr.maximum(rr_prob, 1e-8), throughput)
            active &= (~roulette | survive) & (dr.max(dr.detach(throughput)) > 0)
        return dL_forward if mode == 'forward' else L


@register('integrator', 'direct')
class DirectIntegrator(PathIntegrator):
    """Direct illumination only: a path tracer stopped after the first surface.

    Emitter and BSDF sampling are combined with MIS as in ``path``; there is
    no Russian roulette.
    """

    def __init__(self, props):
        props.int('emitter_samples', 1)
        props.int('bsdf_samples', 1)
        props.bool('hide_emitters', False)
        self.max_depth, self.rr_depth = 2, UNLIMITED


def depth_limit(value, name='max_depth'):
    """A path depth as the integrator stores it: -1 (unlimited) becomes ``UNLIMITED``.

    Raises ValueError for other negative values or non-integers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < -1:
        raise ValueError(f'{name} must be -1 (unlimited) or a non-negative integer, got {value!r}')
    return UNLIMITED if value == -1 else int(value)


def _depth(props, name, default):
    """A depth parameter of the scene file, checked by ``depth_limit``."""
    value = props.int(name, default)
    try:
        return depth_limit(value, name)
    except ValueError as error:
        raise props.error(name, str(error)) from None

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
    def sample(self, scene, sampler, origin, direction, t_max, loop_mode='symbolic'):
        """Radiance (Color3f) along rays ``origin + t direction``, t < ``t_max``.

        ``sampler`` is a PCG32 with one stream per ray. ``loop_mode`` is
        'symbolic' (one compiled kernel) or 'evaluated' (one step at a time;
        used when derivatives are tracked, so the AD graph can follow it).
        """
        width = dr.width(origin)
        L = dr.zeros(bk.Color3f, width)
        throughput = dr.full(bk.Color3f, 1, width)
        depth = dr.zeros(bk.UInt32, width)
        prev_bsdf_pdf = dr.full(bk.Float, 1, width)   # 'from the camera' at depth 0
        active = dr.full(bk.Bool, self.max_depth > 0, width)
        max_depth = bk.UInt32(self.max_depth)
        rr_depth = bk.UInt32(self.rr_depth)

        while dr.hint(active, mode=loop_mode, label='path'):
            si = scene.ray_intersect(origin, direction, t_max, active)

            # 1. Emission found by the previous BSDF sample (or the camera).
            emitted, emitter_pdf = scene.emission(si, direction, active)
            weight = dr.select(depth == 0, 1, mis_weight(prev_bsdf_pdf, emitter_pdf))
            L += throughput * emitted * weight

            # Stop here when the next vertex would exceed max_depth or the ray escaped.
            active &= si.valid & (depth + 1 < max_depth)

            # 2. Emitter sampling.
            ds, emitter_weight = scene.sample_emitter(si, sampler.next_float32(),
                                                      bk.Array2f(sampler.next_float32(),
                                                                 sampler.next_float32()), active)
            wo = si.to_local(ds.d)
            bsdf_value, bsdf_pdf = scene.bsdf_eval_pdf(si, wo)
            L += dr.select(active, throughput * bsdf_value * emitter_weight
                           * mis_weight(ds.pdf, bsdf_pdf), 0)

            # 3. BSDF sampling: the direction of the next bounce.
            wo, bsdf_pdf, bsdf_weight = scene.bsdf_sample(
                si, bk.Array2f(sampler.next_float32(), sampler.next_float32()))
            direction_world = si.to_world(wo)
            origin = si.offset_origin(direction_world)
            direction = direction_world
            t_max = dr.full(bk.Float, dr.inf, width)
            throughput *= bsdf_weight
            prev_bsdf_pdf = bsdf_pdf
            depth += 1
            active &= bsdf_pdf > 0

            # 4. Russian roulette: continue with probability rr_prob, reweighted.
            rr_prob = dr.minimum(dr.max(dr.detach(throughput)), 0.95)
            roulette = depth >= rr_depth
            survive = sampler.next_float32() < rr_prob
            throughput = dr.select(roulette, throughput / dr.maximum(rr_prob, 1e-8), throughput)
            active &= (~roulette | survive) & (dr.max(dr.detach(throughput)) > 0)
        return L


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


def _depth(props, name, default):
    """A depth parameter: -1 means unlimited; other negative values are errors."""
    value = props.int(name, default)
    if value < -1:
        raise props.error(name, f'{name} must be -1 (unlimited) or non-negative, got {value}')
    return UNLIMITED if value == -1 else value

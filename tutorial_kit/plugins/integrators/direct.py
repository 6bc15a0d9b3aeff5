"""``direct``: direct illumination only: light that reaches the first surface
straight from an emitter, and the emitters a camera ray sees.

At the surface a camera ray meets, ``emitter_samples`` points are drawn on
the lights and ``bsdf_samples`` directions from the BSDF; each strategy's
estimates are averaged and the two are joined by multiple importance
sampling with the power heuristic, each density scaled by its strategy's
share of the samples (Veach 1997, sec. 9.2: the heuristic for unequal
sample counts). Delta lights (``point``, ``spot``, ``directional``) are
found only by emitter sampling and take weight 1; mirror and glass lobes
only by BSDF sampling. No Russian roulette, no second bounce.

Parameters as Mitsuba 3's ``direct``: ``emitter_samples`` and
``bsdf_samples`` (each defaults to ``shading_samples``, 1; not both forms;
at least one sample in total), ``hide_emitters`` (false: camera rays look
through area lights and do not see the environment).

Derivatives (path replay): the estimate of one camera ray involves a single
surface, so the replay pass simply computes it again with derivatives
switched on and pushes (or pulls) them through it.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.integrators.path import is_replay, mis_weight
from tutorial_kit.renderer.bsdf import BSDFContext, BSDFFlags
from tutorial_kit.renderer.integrator import UNLIMITED, RBIntegrator, skip_area_emitters


def read_sample_counts(props):
    """``(emitter_samples, bsdf_samples)`` as Mitsuba 3's ``direct`` reads them:
    each defaults to ``shading_samples`` (1); not both forms; at least one in all."""
    if 'shading_samples' in props and ('emitter_samples' in props or 'bsdf_samples' in props):
        raise props.error('shading_samples', 'give "shading_samples" or "emitter_samples" and '
                                             '"bsdf_samples", not both')
    shading = _count(props, 'shading_samples', 1)
    counts = _count(props, 'emitter_samples', shading), _count(props, 'bsdf_samples', shading)
    if sum(counts) == 0:
        raise props.error('emitter_samples', 'direct needs at least one emitter or BSDF sample')
    return counts


def emitter_sample_weight(ds, bsdf_pdf, counts):
    """Float: the MIS weight of one of ``counts = (emitter_samples, bsdf_samples)``
    emitter samples (the power heuristic with each density scaled by its
    strategy's share of the samples, Veach 1997, sec. 9.2), divided by their
    number; 1 for a delta light, which only this strategy finds."""
    emitter_count, bsdf_count = counts
    total = emitter_count + bsdf_count
    weight = mis_weight(ds.pdf * (emitter_count / total), bsdf_pdf * (bsdf_count / total)) / emitter_count
    return dr.select(ds.delta, 1, weight)


def bsdf_sample_weight(bs, emitter_pdf, counts):
    """Float: the MIS weight of one of the BSDF samples (as :func:`emitter_sample_weight`);
    a Dirac lobe's direction, which emitter sampling cannot find, takes it all."""
    emitter_count, bsdf_count = counts
    total = emitter_count + bsdf_count
    emitter_pdf = dr.select(bs.is_delta(), 0, emitter_pdf)
    return mis_weight(bs.pdf * (bsdf_count / total), emitter_pdf * (emitter_count / total)) / bsdf_count


def _count(props, name, default):
    value = props.int(name, default)
    if value < 0:
        raise props.error(name, f'"{name}" must be a non-negative integer, got {value}')
    return value


@register('integrator', 'direct')
class DirectIntegrator(RBIntegrator):
    """``emitter_samples``, ``bsdf_samples`` (ints), ``hide_emitters`` (bool)."""

    def __init__(self, props):
        self.emitter_samples, self.bsdf_samples = read_sample_counts(props)
        self.hide_emitters = props.bool('hide_emitters', False)
        # One surface, no roulette: what code reading these generic settings expects.
        self.max_depth, self.rr_depth = 2, UNLIMITED

    def settings(self):
        return dict(emitter_samples=self.emitter_samples, bsdf_samples=self.bsdf_samples,
                    hide_emitters=self.hide_emitters)

    def sample(self, mode, scene, sampler, ray, δL=None, state_in=None, active=True, **kwargs):
        """See :meth:`Integrator.sample`."""
        replay = is_replay(mode)
        with dr.resume_grad(when=replay):
            L, valid = self.estimate(scene, sampler, ray, bk.Bool(active))
            if mode == dr.ADMode.Backward:
                dr.backward_from(δL * L)
            elif mode == dr.ADMode.Forward:
                return dr.forward_to(L), valid, [], state_in
        L = dr.detach(L)
        return L, valid, [], L

    def estimate(self, scene, sampler, ray, active):
        """``(L, valid)``: the direct light along ``ray`` (Color3f) and where the ray met a surface."""
        ctx = BSDFContext()
        counts = (self.emitter_samples, self.bsdf_samples)
        if self.hide_emitters:
            ray = skip_area_emitters(scene, ray, active)
        si = scene.ray_intersect(ray, active)
        L = dr.zeros(bk.Color3f, dr.width(ray.d))
        if not self.hide_emitters:
            L += scene.emission(si, ray.d, active)[0]
        active &= si.is_valid()
        valid = bk.Bool(active)
        bsdf = scene.bsdf_ptr(si)

        smooth = active & ((bsdf.flags(active) & int(BSDFFlags.Smooth)) != 0)
        for _ in range(self.emitter_samples):
            ds, emitter_weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, smooth)
            found = smooth & (ds.pdf != 0)
            value, bsdf_pdf = bsdf.eval_pdf(ctx, si, si.to_local(ds.d), found)
            weight = emitter_sample_weight(ds, bsdf_pdf, counts)
            L += dr.select(found, value * emitter_weight * weight, 0)

        for _ in range(self.bsdf_samples):
            sample1, sample2 = sampler.next_1d(), sampler.next_2d()
            bs, bsdf_weight = bsdf.sample(ctx, si, sample1, sample2, active)
            found = active & dr.any(bsdf_weight != 0)
            direction = si.to_world(bs.wo)
            hit = scene.ray_intersect(si.spawn_ray(direction), found)
            emitted, emitter_pdf = scene.emission(hit, direction, found)
            weight = bsdf_sample_weight(bs, emitter_pdf, counts)
            L += dr.select(found, bsdf_weight * emitted * weight, 0)
        return L, valid

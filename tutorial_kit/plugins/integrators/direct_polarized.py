"""``direct`` in the polarised variants: direct illumination with light as Stokes vectors.

The estimator of :mod:`tutorial_kit.plugins.integrators.direct` (emitter and
BSDF samples at the first surface, joined by MIS with each strategy's share
of the samples), with Mueller matrices (Matrix43f) in place of colours, as in
:mod:`tutorial_kit.plugins.integrators.path_polarized`: the light arriving
is unpolarised, the surface's BSDF contributes its Mueller matrix turned
into world bases. Derivatives are recorded (a ``SamplingIntegrator``).

Parameters as ``direct``: ``emitter_samples``, ``bsdf_samples`` (or
``shading_samples``), ``hide_emitters``.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.integrators.direct import bsdf_sample_weight, emitter_sample_weight, read_sample_counts
from tutorial_kit.renderer.bsdf import BSDFContext, BSDFFlags
from tutorial_kit.renderer.integrator import UNLIMITED, SamplingIntegrator, skip_area_emitters


@register('integrator', 'direct', polarized=True)
class PolarizedDirectIntegrator(SamplingIntegrator):
    """``emitter_samples``, ``bsdf_samples`` (ints), ``hide_emitters`` (bool)."""

    def __init__(self, props):
        SamplingIntegrator.__init__(self, props)
        self.emitter_samples, self.bsdf_samples = read_sample_counts(props)
        self.max_depth, self.rr_depth = 2, UNLIMITED

    def settings(self):
        return dict(emitter_samples=self.emitter_samples, bsdf_samples=self.bsdf_samples,
                    hide_emitters=self.hide_emitters)

    def sample(self, scene, sampler, ray, medium=None, active=True):
        """The intensity (Color3f) along ``ray``: the (0, 0) entry of :meth:`sample_mueller`."""
        spectrum, valid = self.sample_mueller(scene, sampler, ray, active)
        return mueller.unpolarized(spectrum), valid, []

    def sample_mueller(self, scene, sampler, ray, active=True):
        """``(L, valid)``: the Mueller matrix (Matrix43f) of the direct light along
        ``ray`` (its first column the Stokes vector, in the basis
        ``mueller.stokes_basis(-ray.d)``) and where the ray met a surface (Bool)."""
        ctx = BSDFContext()
        active = bk.Bool(active)
        counts = (self.emitter_samples, self.bsdf_samples)
        if self.hide_emitters:
            ray = skip_area_emitters(scene, ray, active)
        si = scene.ray_intersect(ray, active)
        L = dr.zeros(bk.Matrix43f, dr.width(ray.d))
        if not self.hide_emitters:
            L += mueller.depolarizer(dr.select(active, scene.emission(si, ray.d, active)[0], 0))
        active &= si.is_valid()
        valid = bk.Bool(active)
        bsdf = scene.bsdf_ptr(si)

        smooth = active & ((bsdf.flags(active) & int(BSDFFlags.Smooth)) != 0)
        for _ in range(self.emitter_samples):
            ds, emitter_weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, smooth)
            found = smooth & (ds.pdf != 0)
            wo = si.to_local(ds.d)
            value = si.to_world_mueller(bsdf.eval_mueller(ctx, si, wo, found), -wo, si.wi)
            bsdf_pdf = bsdf.pdf(ctx, si, wo, found)
            weight = emitter_sample_weight(ds, bsdf_pdf, counts)
            # Selected, not multiplied by zero: where nothing was found the matrices may hold NaN.
            L += dr.select(found, value @ mueller.depolarizer(emitter_weight * weight), 0)

        for _ in range(self.bsdf_samples):
            sample1, sample2 = sampler.next_1d(), sampler.next_2d()
            bs, bsdf_weight = bsdf.sample_mueller(ctx, si, sample1, sample2, active)
            found = active & (bs.pdf > 0)
            bsdf_weight = si.to_world_mueller(bsdf_weight, -bs.wo, si.wi)
            direction = si.to_world(bs.wo)
            hit = scene.ray_intersect(si.spawn_ray(direction), found)
            emitted, emitter_pdf = scene.emission(hit, direction, found)
            weight = bsdf_sample_weight(bs, emitter_pdf, counts)
            L += dr.select(found, bsdf_weight @ mueller.depolarizer(emitted * weight), 0)
        return L, valid

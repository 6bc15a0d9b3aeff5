"""Two integrators as a student writes them on Mitsuba 3's ``SamplingIntegrator``
contract, with the scene queries of Mitsuba 3's tutorials.

The code names its renderer ``mi`` and never imports it: the tests load this
file once per renderer (``load_for(tutorial_kit)``, ``load_for(mitsuba)``),
so that the very same classes run in both. ``@dr.syntax`` reads the source
of ``sample`` from this file, which is why they live in one.
"""
import importlib.util

import drjit as dr


def load_for(renderer):
    """This file as a module whose ``mi`` is ``renderer`` (tutorial_kit or mitsuba)."""
    spec = importlib.util.spec_from_file_location(f'student_integrators_{renderer.__name__}', __file__)
    module = importlib.util.module_from_spec(spec)
    module.mi = renderer
    spec.loader.exec_module(module)
    return module


if 'mi' in globals():           # loaded by load_for: the student's code proper
    class AmbientOcclusion(mi.SamplingIntegrator):   # noqa: F821 (mi: set by load_for)
        """The fraction of cosine-weighted directions in which nothing is hit,
        from ``samples`` shadow rays per camera ray (0 where the ray escapes)."""

        def __init__(self, props):
            mi.SamplingIntegrator.__init__(self, props)  # noqa: F821
            self.samples = props.get('samples', 4)

        @dr.syntax
        def sample(self, scene, sampler, ray, medium=None, active=True):
            si = scene.ray_intersect(ray, active)
            hit = active & si.is_valid()
            unoccluded = mi.Float(0)  # noqa: F821
            i = mi.UInt32(0)  # noqa: F821
            while i < self.samples:
                local = mi.warp.square_to_cosine_hemisphere(sampler.next_2d())  # noqa: F821
                blocked = scene.ray_test(si.spawn_ray(si.to_world(local)), hit)
                unoccluded += dr.select(hit & ~blocked, 1.0, 0.0)
                i += 1
            return dr.select(hit, unoccluded / self.samples, 0.0), si.is_valid(), []

    class DirectLight(mi.SamplingIntegrator):   # noqa: F821
        """Emitters seen directly (unless ``hide_emitters``) plus light reflected
        once, from ``light_samples`` emitter samples per camera ray."""

        def __init__(self, props):
            mi.SamplingIntegrator.__init__(self, props)  # noqa: F821
            self.light_samples = props.get('light_samples', 2)

        @dr.syntax
        def sample(self, scene, sampler, ray, medium=None, active=True):
            si = scene.ray_intersect(ray, active)
            seen = 0.0 if self.hide_emitters else 1.0
            L = si.emitter(scene, active).eval(si, active) * seen
            bsdf = si.bsdf()
            ctx = mi.BSDFContext()  # noqa: F821
            hit = active & si.is_valid()
            i = mi.UInt32(0)  # noqa: F821
            while i < self.light_samples:
                ds, emitter_weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, hit)
                f = bsdf.eval(ctx, si, si.to_local(ds.d), hit)
                L += dr.select(hit, f * emitter_weight, 0.0) / self.light_samples
                i += 1
            return L, si.is_valid(), []

"""Plugins as a student writes them against Mitsuba 3's Python API: a direct-light
integrator with path replay (``mi.ad.integrators.common.RBIntegrator``), a radiance field
stored in Dr.Jit 3D textures (after Mitsuba 3's gallery), and a diffuse BSDF
(``mi.BSDF``, after its custom-plugin tutorial).

The code names its renderer ``mi`` and never imports it: the tests load this
file once per renderer (``load_for(tutorial_kit)``, ``load_for(mitsuba)``),
so that the very same classes run in both.
"""
import importlib.util

import drjit as dr


def load_for(renderer):
    """This file as a module whose ``mi`` is ``renderer`` (tutorial_kit or mitsuba)."""
    spec = importlib.util.spec_from_file_location(f'student_rb_plugins_{renderer.__name__}', __file__)
    module = importlib.util.module_from_spec(spec)
    module.mi = renderer
    spec.loader.exec_module(module)
    return module


if 'mi' in globals():           # loaded by load_for: the student's code proper
    class DirectReplay(mi.ad.integrators.common.RBIntegrator):   # noqa: F821 (mi: set by load_for)
        """Emitters seen directly plus one emitter sample reflected, and the
        derivatives of both by replaying the same samples."""

        def __init__(self, props=None):
            super().__init__(props if props is not None else mi.Properties())  # noqa: F821

        def sample(self, mode, scene, sampler, ray, δL, state_in, active, **kwargs):
            primal = mode == dr.ADMode.Primal
            ray = mi.Ray3f(ray)  # noqa: F821
            si = scene.ray_intersect(ray, active)
            hit = active & si.is_valid()
            with dr.resume_grad(when=not primal):
                L = si.emitter(scene, hit).eval(si, hit)
                bsdf = si.bsdf(ray)
                ds, em_weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, hit)
                wo = si.to_local(ds.d)
                value = bsdf.eval(mi.BSDFContext(), si, wo, hit & (ds.pdf > 0))  # noqa: F821
                L = L + dr.select(hit & (ds.pdf > 0), em_weight * value, 0.0)
                if mode == dr.ADMode.Backward:
                    dr.backward_from(δL * L)
                elif mode == dr.ADMode.Forward:
                    δL = dr.forward_to(L)
            return (dr.detach(L) if primal else δL), si.is_valid(), [], dr.detach(L)

    class RadianceField(mi.ad.integrators.common.RBIntegrator):   # noqa: F821
        """An emissive, absorbing volume in the unit cube: density and colour on
        ``res``^3 grids (trilinear Texture3f), marched in steps of one voxel."""

        def __init__(self, props=None, res=4, density=0.5, colour=(0.2, 0.5, 0.8)):
            super().__init__(props if props is not None else mi.Properties())  # noqa: F821
            self.bbox = mi.ScalarBoundingBox3f([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])  # noqa: F821
            self.res = res
            self.density = mi.Texture3f(dr.full(mi.TensorXf, density, shape=(res, res, res, 1)))  # noqa: F821
            self.colour = mi.Texture3f(mi.TensorXf(dr.tile(mi.Float(colour), res ** 3),  # noqa: F821
                                                   shape=(res, res, res, 3)))

        @dr.syntax
        def sample(self, mode, scene, sampler, ray, δL, state_in, active, **kwargs):
            primal = mode == dr.ADMode.Primal
            ray = mi.Ray3f(ray)  # noqa: F821
            hit, mint, maxt = self.bbox.ray_intersect(ray)
            active = mi.Bool(active) & hit  # noqa: F821
            step = mi.Float(1.0 / self.res)  # noqa: F821
            t = mi.Float(mint) + sampler.next_1d(active) * step  # noqa: F821
            L = mi.Spectrum(0.0 if primal else state_in)  # noqa: F821
            δL = mi.Spectrum(δL if δL is not None else 0)  # noqa: F821
            β = mi.Spectrum(1.0)  # noqa: F821
            while active:
                p = ray(t)
                with dr.resume_grad(when=not primal):
                    sigma = dr.maximum(self.density.eval(p)[0], 0.0)
                    tr = dr.exp(-sigma * step)
                    c = self.colour.eval(p)
                    Le = β * (1.0 - tr) * mi.Spectrum(c[0], c[1], c[2])  # noqa: F821
                    if mode == dr.ADMode.Forward:
                        # Exact for the colours; a density's effect on the
                        # throughput of later steps is left out.
                        δL += dr.forward_to(Le)
                β *= tr
                L = L + Le if primal else L - Le
                with dr.resume_grad(when=not primal):
                    if mode == dr.ADMode.Backward:
                        dr.backward_from(δL * (L * tr / dr.detach(tr) + Le))

                t += step
                active &= (t < maxt) & dr.any(β != 0.0)
            return L if primal else δL, mi.Bool(True), [], L  # noqa: F821

        def traverse(self, cb):
            cb.put('density', self.density.tensor(), mi.ParamFlags.Differentiable)  # noqa: F821
            cb.put('colour', self.colour.tensor(), mi.ParamFlags.Differentiable)  # noqa: F821

        def parameters_changed(self, keys):
            self.density.update_inplace()
            self.colour.update_inplace()
            self.res = self.density.shape[0]

    class Lambert(mi.BSDF):   # noqa: F821
        """A diffuse reflector of albedo ``reflectance`` (an RGB triple), one-sided."""

        def __init__(self, props):
            mi.BSDF.__init__(self, props)  # noqa: F821
            self.reflectance = mi.Color3f(props['reflectance'])  # noqa: F821
            self.m_flags = mi.BSDFFlags.DiffuseReflection | mi.BSDFFlags.FrontSide  # noqa: F821
            self.m_components = [self.m_flags]

        def sample(self, ctx, si, sample1, sample2, active):
            cos_theta_i = mi.Frame3f.cos_theta(si.wi)  # noqa: F821
            active &= cos_theta_i > 0
            bs = mi.BSDFSample3f()  # noqa: F821
            bs.wo = mi.warp.square_to_cosine_hemisphere(sample2)  # noqa: F821
            bs.pdf = mi.warp.square_to_cosine_hemisphere_pdf(bs.wo)  # noqa: F821
            bs.eta = 1.0
            bs.sampled_type = mi.UInt32(+mi.BSDFFlags.DiffuseReflection)  # noqa: F821
            bs.sampled_component = mi.UInt32(0)  # noqa: F821
            active &= bs.pdf > 0
            return bs, dr.select(active, mi.Color3f(self.reflectance), 0.0)  # noqa: F821

        def eval(self, ctx, si, wo, active):
            cos_theta_i = mi.Frame3f.cos_theta(si.wi)  # noqa: F821
            cos_theta_o = mi.Frame3f.cos_theta(wo)  # noqa: F821
            value = self.reflectance * dr.inv_pi * cos_theta_o
            return dr.select(active & (cos_theta_i > 0) & (cos_theta_o > 0), value, 0.0)

        def pdf(self, ctx, si, wo, active):
            cos_theta_i = mi.Frame3f.cos_theta(si.wi)  # noqa: F821
            pdf = mi.warp.square_to_cosine_hemisphere_pdf(wo)  # noqa: F821
            return dr.select(active & (cos_theta_i > 0) & (mi.Frame3f.cos_theta(wo) > 0), pdf, 0.0)  # noqa: F821

        def eval_pdf(self, ctx, si, wo, active):
            return self.eval(ctx, si, wo, active), self.pdf(ctx, si, wo, active)

        def traverse(self, cb):
            cb.put('reflectance', self.reflectance, mi.ParamFlags.Differentiable)  # noqa: F821

        def parameters_changed(self, keys):
            pass

        def to_string(self):
            return f'Lambert[reflectance={self.reflectance}]'

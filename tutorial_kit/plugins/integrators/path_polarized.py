"""``path`` in the polarised variants: the path tracer with light as Stokes vectors.

The same algorithm as :mod:`tutorial_kit.plugins.integrators.path` (emission,
emitter sampling and BSDF sampling joined by MIS, Russian roulette), with
one change: what a path carries is no longer a colour but a Mueller matrix
of RGB values (Matrix43f, :mod:`tutorial_kit.core.mueller`). Light sources
emit unpolarised light (a depolariser of their radiance), each surface
contributes the Mueller matrix of its BSDF (:meth:`BSDF.eval_mueller`,
:meth:`BSDF.sample_mueller`), turned from its local bases into the world's
(:meth:`SurfaceInteraction3f.to_world_mueller`), and the path's throughput
is their product, camera side first::

    L = sum over vertices k of  M_1 M_2 ... M_k  depolarizer(L_e)

The first column of ``L`` is the Stokes vector arriving at the camera, in
the implicit basis of the ray's reverse direction; its (0, 0) entry, the
intensity, is what an RGB render shows, and equals the RGB path tracer's
radiance (Wilkie and Weidlich, "Polarised light in computer graphics",
SIGGRAPH Asia 2012 course; Mitsuba 3's ``path`` in its polarised variants).

Derivatives are recorded, as Mitsuba 3 records its polarised renders: this
is a :class:`~tutorial_kit.renderer.integrator.SamplingIntegrator`, with no
path replay (the replay's bookkeeping divides by BSDF values, and matrices
do not divide). A sampled direction stays fixed in world space while the
surface moves, and smooth lobes are evaluated there with derivatives,
turned into world bases like every other Mueller matrix (Mitsuba 3 leaves
that turn out on this branch).

Parameters as ``path``: ``max_depth`` (-1), ``rr_depth`` (5), ``hide_emitters``.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.integrators.path import mis_weight
from tutorial_kit.renderer.bsdf import BSDFContext
from tutorial_kit.renderer.integrator import SamplingIntegrator, read_depth, skip_area_emitters


@register('integrator', 'path', polarized=True)
class PolarizedPathIntegrator(SamplingIntegrator):
    """``max_depth`` (-1), ``rr_depth`` (5), ``hide_emitters`` (false)."""

    def __init__(self, props):
        SamplingIntegrator.__init__(self, props)
        self.max_depth = read_depth(props, 'max_depth', -1)
        self.rr_depth = read_depth(props, 'rr_depth', 5)

    def settings(self):
        return dict(max_depth=self.max_depth, rr_depth=self.rr_depth, hide_emitters=self.hide_emitters)

    def sample(self, scene, sampler, ray, medium=None, active=True):
        """The intensity (Color3f) along ``ray``: the (0, 0) entry of :meth:`sample_mueller`."""
        spectrum, valid = self.sample_mueller(scene, sampler, ray, active)
        return mueller.unpolarized(spectrum), valid, []

    @dr.syntax
    def sample_mueller(self, scene, sampler, ray, active=True):
        """``(L, valid)``: the Mueller matrix (Matrix43f) whose first column is the
        Stokes vector arriving along ``ray``, in the basis
        ``mueller.stokes_basis(-ray.d)``; and where the ray met the scene (Bool)."""
        ctx = BSDFContext()
        width = dr.width(ray)
        result = dr.zeros(bk.Matrix43f, width)
        throughput = bk.Matrix43f(dr.full(bk.Color3f, 1, width))     # the identity
        depth = dr.zeros(bk.UInt32, width)
        eta = dr.full(bk.Float, 1, width)
        prev_bsdf_pdf = dr.full(bk.Float, 1, width)
        prev_bsdf_delta = dr.full(bk.Bool, True, width)
        valid = dr.zeros(bk.Bool, width)
        active = bk.Bool(active) & (depth < self.max_depth)
        if self.hide_emitters:
            ray = skip_area_emitters(scene, ray, active)
        origin, direction, t_max = bk.Array3f(ray.o), bk.Array3f(ray.d), bk.Float(ray.maxt)
        max_depth, rr_depth = self.max_depth, self.rr_depth
        hide_emitters = self.hide_emitters

        while active:
            si = scene.ray_intersect(Ray3f(origin, direction, t_max), active)
            bsdf = scene.bsdf_ptr(si)
            valid |= active & si.is_valid()
            if hide_emitters:
                active &= ~((depth == 0) & scene.is_emitter(si))

            # 1. Emission found by the previous BSDF sample (or the camera): unpolarised.
            emitted, emitter_pdf = scene.emission(si, direction, active)
            weight = dr.select(prev_bsdf_delta, 1, mis_weight(prev_bsdf_pdf, emitter_pdf))
            result += throughput @ mueller.depolarizer(dr.select(active, emitted * weight, 0))

            active &= si.is_valid() & (depth + 1 < max_depth)

            # 2. Emitter sampling: the light's path through this surface to the camera.
            ds, emitter_weight = scene.sample_emitter(si, sampler.next_1d(), sampler.next_2d(),
                                                      active, test_visibility=False)
            wo = si.to_local(ds.d)
            bsdf_value = si.to_world_mueller(bsdf.eval_mueller(ctx, si, wo, active), -wo, si.wi)
            bsdf_pdf = bsdf.pdf(ctx, si, wo, active)
            emitter_mis = dr.select(ds.delta, 1, mis_weight(ds.pdf, dr.detach(bsdf_pdf)))
            visible = scene.emitter_visible(si, ds, active)
            light = mueller.depolarizer(emitter_weight * emitter_mis)
            # Selected, not multiplied by zero: a lane with no surface has no frame,
            # and its matrices may hold NaN.
            result += dr.select(visible, throughput @ bsdf_value @ light, 0)

            # 3. BSDF sampling: the next direction and this surface's Mueller matrix.
            bs, bsdf_weight = bsdf.sample_mueller(ctx, si, sampler.next_1d(), sampler.next_2d(), active)
            # Where nothing was sampled the direction may be undefined, and so its basis.
            bsdf_weight = dr.select(bs.pdf > 0, si.to_world_mueller(bsdf_weight, -bs.wo, si.wi), 0)
            fixed = dr.detach(si.to_world(bs.wo))
            if dr.grad_enabled(si.sh_frame.n):
                # The surface moves: keep the sampled direction in world space and
                # evaluate the smooth lobes there, with their derivatives.
                wo_fixed = si.to_local(fixed)
                value = si.to_world_mueller(bsdf.eval_mueller(ctx, si, wo_fixed, active), -wo_fixed, si.wi)
                pdf = dr.detach(bsdf.pdf(ctx, si, wo_fixed, active))
                smooth = ~bs.is_delta() & (pdf > 0)
                bsdf_weight = dr.select(smooth, value * dr.rcp(dr.select(smooth, pdf, 1)), bsdf_weight)
            direction = dr.select(bs.is_delta(), si.to_world(bs.wo), fixed)
            origin = si.offset_origin(direction)
            t_max = dr.full(bk.Float, dr.inf, width)
            throughput = throughput @ bsdf_weight
            eta *= bs.eta
            prev_bsdf_pdf = bs.pdf
            prev_bsdf_delta = bs.is_delta()
            depth += 1
            active &= bs.pdf > 0

            # 4. Russian roulette on the intensity the path still carries.
            intensity = dr.max(dr.detach(mueller.unpolarized(throughput)))
            rr_prob = dr.minimum(intensity * dr.square(dr.detach(eta)), 0.95)
            roulette = depth >= rr_depth
            survive = sampler.next_1d() < rr_prob
            throughput = dr.select(roulette, throughput * dr.rcp(dr.maximum(rr_prob, 1e-8)), throughput)
            active &= (~roulette | survive) & (intensity > 0)
        return result, valid

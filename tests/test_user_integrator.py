"""An integrator written outside the package on the radiative-backpropagation
contract (``tk.ad.common.RBIntegrator``), as a student following Mitsuba 3's
tutorials would write it: registered with ``tk.register_integrator``, loaded
from a scene file, rendered, and differentiated in both modes by ``tk.render``.

The scene: a diffuse square of reflectance rho facing the camera under a
constant sky of radiance E. The square sees only sky in its upper
hemisphere, so it reflects rho * E; the sky seen directly is E. The
student's estimator is linear in rho, so its derivative is the image over
rho exactly, and central differences with the same seed reproduce it.
"""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from helpers import colour_finite_difference, scene_xml
from test_scripting_api import mirror_plugin, mirror_scene  # noqa: F401 (a fixture)

SKY = 0.8
RHO = 0.5
KEY = 'square.reflectance.value'


class StudentDirect(tk.ad.common.RBIntegrator):
    """Direct light by emitter sampling only, ``samples`` light samples per ray
    in a loop (the sampler is loop state). In replay each sample's contribution
    is differentiated where it is made, inside the loop, as Mitsuba 3's
    ``prb`` does: a symbolic loop runs without derivatives."""
    samples = 2

    @dr.syntax
    def sample(self, mode, scene, sampler, ray, δL, state_in, active, **kwargs):
        primal = mode == dr.ADMode.Primal
        si = scene.ray_intersect(ray, active)
        # The sky seen directly: no parameter to differentiate.
        L = dr.select(active, si.emitter(scene).eval(si, active), 0)
        δ = dr.zeros(tk.Color3f, dr.width(ray))
        ctx = tk.BSDFContext()
        i = tk.UInt32(0)
        while i < self.samples:
            lit = active & si.is_valid()
            with dr.resume_grad(when=not primal):
                ds, weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, lit)
                f = si.bsdf().eval(ctx, si, si.to_local(ds.d), lit)
                Lr = dr.select(lit, f * weight, 0) / self.samples
                if mode == dr.ADMode.Backward:
                    dr.backward_from(δL * Lr)
                elif mode == dr.ADMode.Forward:
                    δ += dr.forward_to(Lr)
            L += dr.detach(Lr)
            i += 1
        return (L if primal else δ), si.is_valid(), [], L


tk.register_integrator('student_direct', lambda props: StudentDirect(props))


def load(integrator='student_direct', size=16, spp=64):
    body = f'''<integrator type="{integrator}"/>
    <emitter type="constant"><rgb name="radiance" value="{SKY}"/></emitter>
    <shape type="rectangle">
        <bsdf type="diffuse" id="square"><rgb name="reflectance" value="{RHO}"/></bsdf>
    </shape>'''
    return tk.load_string(scene_xml(body, width=size, height=size, spp=spp))


def square_pixels(size=16):
    """Pixels well inside the square (a 2 x 2 square at distance 5, fov 40)."""
    half = size * np.tan(np.radians(20)) ** -1 / 5 / 2        # the square's half width in pixels
    centre = np.abs(np.arange(size) + 0.5 - size / 2) < half - 1
    return np.outer(centre, centre)


def test_the_student_integrator_is_loaded_from_xml():
    scene = load()
    assert isinstance(scene.integrator(), StudentDirect)
    assert isinstance(scene.integrator(), tk.ad.integrators.common.RBIntegrator)


def test_primal_image_matches_the_analytic_value_and_direct():
    scene = load()
    image = tk.render(scene, spp=256, seed=1).numpy()
    inside = square_pixels()
    corners = image[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert np.allclose(corners, SKY, rtol=1e-5)                # the sky seen directly
    assert image[inside].mean() == pytest.approx(RHO * SKY, rel=0.02)
    # Our direct integrator (MIS of emitter and BSDF samples) has the same expected image.
    reference = tk.render(load('direct'), spp=256, seed=2).numpy()
    assert np.abs(image - reference).mean() < 0.01 * SKY
    assert image.mean() == pytest.approx(reference.mean(), rel=0.01)


def finite_difference(scene, spp=16, seed=3):
    """Central difference of the image with respect to rho (all channels), same seed."""
    return colour_finite_difference(scene, KEY, RHO, spp=spp, seed=seed)


def test_forward_derivative_matches_finite_differences():
    scene = load()
    reference = finite_difference(scene)
    params = tk.traverse(scene)
    dr.enable_grad(params[KEY])
    params.update()
    image = tk.render(scene, params=params, spp=16, seed=3, unbiased=False)
    dr.set_grad(params[KEY], [1, 1, 1])
    gradient = dr.forward_to(image).numpy()
    assert np.abs(reference[square_pixels()]).min() > 0.1 * SKY     # the derivative is not zero
    assert np.allclose(gradient, reference, atol=1e-4 * SKY)


def test_reverse_derivative_matches_finite_differences():
    scene = load()
    reference = finite_difference(scene)
    params = tk.traverse(scene)
    dr.enable_grad(params[KEY])
    params.update()
    image = tk.render(scene, params=params, spp=16, seed=3, unbiased=False)
    weights = np.random.default_rng(0).uniform(size=image.shape).astype(np.float32)
    dr.backward(dr.sum(image * tk.TensorXf(weights)))
    gradient = dr.grad(params[KEY]).numpy().ravel()
    expected = (reference * weights).sum(axis=(0, 1))
    assert np.all(expected > 1)
    assert np.allclose(gradient, expected, rtol=1e-4)


def test_unbiased_render_takes_seed_grad_and_spp_grad():
    """With independent samples for the derivative pass, the image is the primal
    render of ``seed`` and the derivative that of ``seed_grad`` and ``spp_grad``."""
    scene = load()
    primal = tk.render(scene, spp=4, seed=5).numpy()
    params = tk.traverse(scene)
    dr.enable_grad(params[KEY])
    params.update()
    image = tk.render(scene, params=params, spp=4, seed=5, seed_grad=6, spp_grad=8)
    assert np.array_equal(image.numpy(), primal)
    dr.backward(dr.mean(image))
    gradient = dr.grad(params[KEY]).numpy().ravel()
    # d mean(image) / d rho_c: the mean over all H * W * 3 entries, one channel in three.
    expected = finite_difference(scene, spp=8, seed=6).mean(axis=(0, 1)) / 3
    assert np.allclose(gradient, expected, rtol=1e-3)
    assert not np.allclose(expected, finite_difference(scene, spp=4, seed=5).mean(axis=(0, 1)) / 3,
                           rtol=1e-3)


def test_register_plugin_refuses_bad_input():
    from tutorial_kit.core.registry import register_plugin
    with pytest.raises(tk.PluginError, match='category'):
        register_plugin('lens', 'thin', StudentDirect)
    with pytest.raises(tk.PluginError, match='callable'):
        tk.register_integrator('broken', 3)
    with pytest.raises(tk.PluginError, match='name'):
        tk.register_integrator('', StudentDirect)


# -- Mitsuba 3's prb pattern: the previous interaction in the loop state ---------------------

def power_heuristic(pdf_a, pdf_b):
    a2, b2 = dr.square(pdf_a), dr.square(pdf_b)
    return dr.select(a2 + b2 > 0, a2 / (a2 + b2), 0)


class StudentPath(tk.ad.common.RBIntegrator):
    """A path tracer (primal only) written as Mitsuba 3's ``prb`` is: each lane's
    BSDF comes from ``si.bsdf(ray)`` alone, and the interaction of the previous
    bounce stays in the loop state (``prev_si``), the reference point against
    which a BSDF-sampled hit on a light is weighed (multiple importance sampling)."""
    DEFAULT_MAX_DEPTH = 4

    @dr.syntax
    def sample(self, mode, scene, sampler, ray, δL, state_in, active, **kwargs):
        L = tk.Color3f(0)
        β = tk.Color3f(1)
        depth = tk.UInt32(0)
        prev_si = dr.zeros(tk.SurfaceInteraction3f)
        prev_bsdf_pdf = tk.Float(1)
        prev_bsdf_delta = tk.Bool(True)
        ctx = tk.BSDFContext()
        active = tk.Bool(active)
        while active:
            si = scene.ray_intersect(ray, active)
            # Light found by the previous BSDF sample, weighed against emitter sampling
            # from the previous vertex (Mitsuba's DirectionSample3f(scene, si, prev_si)).
            emitter = si.emitter(scene)
            d = dr.select(si.is_valid(), si.p - prev_si.p, -si.wi)
            dist = dr.norm(d)
            ds = tk.DirectionSample3f(p=si.p, n=si.n, d=d / dist, emitter=emitter.index,
                                      dist=dr.select(si.is_valid(), dist, dr.inf))
            em_pdf = scene.pdf_emitter_direction(prev_si, ds, ~prev_bsdf_delta)
            mis = dr.select(prev_bsdf_delta, 1, power_heuristic(prev_bsdf_pdf, em_pdf))
            L += β * mis * emitter.eval(si, active)

            active_next = active & si.is_valid() & (depth + 1 < self.max_depth)
            bsdf = si.bsdf(ray)
            ds, em_weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, active_next)
            bsdf_value, bsdf_pdf = bsdf.eval_pdf(ctx, si, si.to_local(ds.d), active_next)
            mis = dr.select(ds.delta, 1, power_heuristic(ds.pdf, bsdf_pdf))
            L += dr.select(active_next, β * mis * bsdf_value * em_weight, 0)

            bs, bsdf_weight = bsdf.sample(ctx, si, sampler.next_1d(), sampler.next_2d(), active_next)
            ray = si.spawn_ray(si.to_world(bs.wo))
            β *= bsdf_weight
            prev_si = dr.detach(si, True)
            prev_bsdf_pdf = bs.pdf
            prev_bsdf_delta = bs.is_delta()
            depth += 1
            active = active_next & dr.any(β != 0)
        return L, depth > 0, [], L


tk.register_integrator('student_path', lambda props: StudentPath(props))

#: A grey floor and a red wall under a small lamp and a dim sky: direct and
#: indirect light, emitter and BSDF sampling both matter.
ROOM = '''<emitter type="constant"><rgb name="radiance" value="0.2"/></emitter>
    <shape type="rectangle"><transform name="to_world"><scale value="2"/><rotate x="1" angle="-60"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.6"/></bsdf></shape>
    <shape type="rectangle"><transform name="to_world"><rotate y="1" angle="70"/><translate x="-1.2"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.1, 0.1"/></bsdf></shape>
    <shape type="rectangle"><transform name="to_world"><scale value="0.8"/><rotate x="1" angle="150"/>
        <translate y="1" z="1.5"/></transform>
        <emitter type="area"><rgb name="radiance" value="4"/></emitter></shape>'''


def room(integrator, spp):
    body = f'<integrator type="{integrator}"><integer name="max_depth" value="4"/></integrator>' + ROOM
    return tk.load_string(scene_xml(body, width=16, height=16, spp=spp))


def test_prb_pattern_with_si_bsdf_matches_path():
    image = tk.render(room('student_path', 256), seed=1).numpy()
    # More samples for the reference: its noise must stay well below the tolerance below.
    reference = tk.render(room('path', 2048), seed=2).numpy()
    # The lamp lights the floor beyond the sky's 0.2, and the red wall shows.
    assert reference.max() > 0.6 and reference[..., 0].mean() > 1.1 * reference[..., 2].mean()
    assert np.abs(image - reference).mean() < 0.08 * reference.mean()
    # The mean is tighter: with prev_si left at zeros the MIS weights of lamp hits
    # no longer sum to one, and the mean is 0.4 % low.
    assert image.mean() == pytest.approx(reference.mean(), rel=0.002)


def test_prb_pattern_reaches_a_python_bsdf(mirror_plugin):
    scene = mirror_scene('<bsdf type="tinted_mirror"><rgb name="tint" value="0.2, 0.9, 0.3"/></bsdf>')
    reference = tk.render(scene, spp=64, seed=2).numpy()
    image = tk.render(scene, integrator=StudentPath(tk.Properties('student_path')), spp=64, seed=1).numpy()
    # Pixels that see only the mirror see the sky, tinted, exactly.
    assert np.allclose(image[0, 0], [0.2, 0.9, 0.3], rtol=1e-5)
    assert (image[..., 0] > 0.3).sum() > 10            # the diffuse square and its reflection
    assert image.mean() == pytest.approx(reference.mean(), rel=0.02)


def test_the_emitter_queries_of_mitsuba3s_integrators():
    # What Mitsuba 3's prb.py asks of a hit and of an emitter sample.
    from tutorial_kit.ad.integrators.common import mis_weight
    scene = tk.load_dict(tk.cornell_box())
    sensor = scene.sensors()[0]
    sampler = sensor.sampler().clone()
    sampler.seed(0, 32 * 32)
    ray, _ = sensor.sample_ray(0, sampler.next_1d(), sampler.next_2d(), sampler.next_2d())
    camera = dr.zeros(tk.Interaction3f, 32 * 32)
    camera.p = ray.o
    si = scene.ray_intersect(ray)
    ds = tk.DirectionSample3f(scene, si=si, ref=camera)
    # The hit as emitter sampling from the camera would describe it.
    valid = si.is_valid()
    assert dr.allclose(dr.select(valid, ds.d, 0), dr.select(valid, ray.d, 0))
    assert dr.allclose(dr.select(valid, ds.p, 0), dr.select(valid, si.p, 0))
    lamp = si.is_valid() & scene.is_emitter(si)
    assert dr.any(lamp) and dr.all(dr.select(lamp, ds.emitter != None, ds.emitter == None))  # noqa: E711
    assert dr.allclose(ds.emitter.eval(si), scene.emission(si, ray.d, True)[0])

    ds, weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, si.is_valid())
    surface = tk.has_flag(ds.emitter.flags(), tk.EmitterFlags.Surface)
    assert dr.all(dr.select(ds.pdf > 0, surface, True))
    again = scene.eval_emitter_direction(si, ds, ds.pdf > 0)
    assert dr.allclose(dr.select(weight.x > 0, again / ds.pdf, 0), weight, rtol=1e-4)
    assert mis_weight(tk.Float(1.0), tk.Float(0.0))[0] == 1 and mis_weight(tk.Float(0.0), tk.Float(0.0))[0] == 0

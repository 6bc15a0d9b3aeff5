"""Integrators written on Mitsuba 3's simpler contract, ``tk.SamplingIntegrator``
(``sample(scene, sampler, ray, medium, active) -> (L, valid, aovs)``): loaded
from a scene file or a dictionary, rendered, differentiated in both modes by
recording the render, and compared with Mitsuba 3 running the same classes.

The students' code is in ``student_sampling_integrators.py``: an ambient
occlusion integrator and a direct-lighting one. The first scene is a diffuse
square of reflectance rho facing the camera under a constant sky of radiance
E: every point of the square sees open sky only, so its ambient occlusion is
1 and the light it reflects is rho * E. The direct-lighting estimator is
linear in rho, so central differences with the same seed give its
derivative exactly.
"""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import colour_finite_difference, scene_xml
import student_sampling_integrators

SKY = 0.8
RHO = 0.5
KEY = 'square.reflectance.value'

student = student_sampling_integrators.load_for(tk)
tk.register_integrator('student_ao', lambda props: student.AmbientOcclusion(props))
tk.register_integrator('student_direct_light', lambda props: student.DirectLight(props))


def sky_scene(integrator='student_direct_light', size=16, spp=16, integrator_xml=None):
    """The square under the sky, rendered by ``integrator`` (a plugin name) or ``integrator_xml``."""
    body = f'''{integrator_xml or f'<integrator type="{integrator}"/>'}
    <emitter type="constant"><rgb name="radiance" value="{SKY}"/></emitter>
    <shape type="rectangle">
        <bsdf type="diffuse" id="square"><rgb name="reflectance" value="{RHO}"/></bsdf>
    </shape>'''
    return tk.load_string(scene_xml(body, width=size, height=size, spp=spp))


def square_pixels(size=16):
    """Pixels wholly inside the square (a 2 x 2 square at distance 5, fov 40)."""
    half = size / np.tan(np.radians(20)) / 5 / 2        # the square's half width in pixels
    centre = np.abs(np.arange(size) + 0.5 - size / 2) < half - 1
    return np.outer(centre, centre)


def sky_pixels(size=16):
    """Pixels wholly outside the square."""
    half = size / np.tan(np.radians(20)) / 5 / 2
    outside = np.abs(np.arange(size) + 0.5 - size / 2) > half + 1
    return outside[:, None] | outside[None, :]


#: A floor under a small area light, with a square blocker between them that
#: casts a shadow and occludes the floor's view of the sky. Mitsuba 3 reads it too.
SHADOW_SCENE = '''<integrator type="{integrator}"/>
    <shape type="rectangle">
        <transform name="to_world"><scale value="3"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.6, 0.5, 0.4"/></bsdf>
    </shape>
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.6"/><translate value="0.4, 0.2, 1"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.3"/></bsdf>
    </shape>
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.5"/><rotate x="1" angle="180"/><translate value="0, 0, 3"/></transform>
        <emitter type="area"><rgb name="radiance" value="12"/></emitter>
    </shape>'''


def shadow_scene_xml(integrator, size=32, spp=64):
    return scene_xml(SHADOW_SCENE.format(integrator=integrator), width=size, height=size, spp=spp,
                     origin=(0, -6, 5), target=(0, 0, 0.3), up=(0, 0, 1), fov=45)


# -- loading and rendering ----------------------------------------------------------------

def test_the_student_integrators_load_from_xml_and_from_a_dict():
    scene = sky_scene('student_ao')
    assert isinstance(scene.integrator(), student.AmbientOcclusion)
    assert isinstance(scene.integrator(), tk.SamplingIntegrator)
    assert not scene.integrator().replays_paths
    integrator = tk.load_dict({'type': 'student_direct_light', 'light_samples': 3, 'hide_emitters': True})
    assert isinstance(integrator, student.DirectLight)
    assert integrator.light_samples == 3 and integrator.hide_emitters


def test_ambient_occlusion_of_an_open_square_is_one():
    image = tk.render(sky_scene('student_ao'), spp=8, seed=1).numpy()
    assert np.all(image[square_pixels()] == 1)
    assert np.all(image[sky_pixels()] == 0)          # the rays that escape
    assert np.all((0 <= image) & (image <= 1))


def test_ambient_occlusion_sees_the_blocker():
    """Under the blocker the floor's AO drops clearly below 1, elsewhere it stays near 1."""
    image = tk.render(tk.load_string(shadow_scene_xml('student_ao', spp=16)), seed=2).numpy()[..., 0]
    assert image.min() < 0.6
    assert np.median(image[image > 0]) > 0.85


def test_direct_light_matches_the_analytic_value():
    # One light sample has a relative standard deviation of about 1.3 (uniform directions):
    # 36 pixels x 1024 spp x 2 samples bring the mean's to 0.5 %.
    scene = sky_scene(spp=1024)
    image = tk.render(scene, seed=1).numpy()
    assert np.allclose(image[sky_pixels()], SKY, rtol=1e-6)         # the sky seen directly
    assert image[square_pixels()].mean() == pytest.approx(RHO * SKY, rel=0.02)


def test_direct_light_matches_our_direct_integrator_within_noise():
    spp = 64
    theirs = tk.render(tk.load_string(shadow_scene_xml('student_direct_light', spp=spp)), seed=3).numpy()
    ours = tk.render(tk.load_string(shadow_scene_xml('direct', spp=spp)), seed=4).numpy()
    assert theirs.mean() == pytest.approx(ours.mean(), rel=0.02)
    blocks = [image.reshape(8, 4, 8, 4, 3).mean(axis=(1, 3)) for image in (theirs, ours)]
    assert np.abs(blocks[0] - blocks[1]).mean() < 0.02 * ours.mean()


def test_a_seed_gives_the_same_image_and_another_seed_another():
    scene = sky_scene(spp=4)
    first = tk.render(scene, seed=7).numpy()
    assert np.array_equal(first, tk.render(scene, seed=7).numpy())
    assert not np.array_equal(first, tk.render(scene, seed=8).numpy())
    assert not np.array_equal(tk.render(scene).numpy(), tk.render(scene).numpy())   # fresh samples


def test_hide_emitters_is_read_from_the_scene_file():
    scene = sky_scene(integrator_xml='<integrator type="student_direct_light">'
                                     '<boolean name="hide_emitters" value="true"/></integrator>')
    image = tk.render(scene, spp=4, seed=1).numpy()
    assert np.all(image[sky_pixels()] == 0)
    assert image[square_pixels()].mean() > 0.1


def test_render_takes_an_integrator_object():
    scene = sky_scene('direct')
    integrator = tk.load_dict({'type': 'student_ao', 'samples': 2})
    image = tk.render(scene, integrator=integrator, spp=2, seed=1).numpy()
    assert np.all(image[square_pixels()] == 1)


# -- derivatives: the render is recorded ------------------------------------------------------

def finite_difference(scene, spp=16, seed=3):
    """Central difference of the image with respect to rho (all channels), same seed."""
    return colour_finite_difference(scene, KEY, RHO, spp=spp, seed=seed)


def tracked(scene):
    """The scene's parameters, rho with gradients enabled."""
    params = tk.traverse(scene)
    dr.enable_grad(params[KEY])
    params.update()
    return params


def test_forward_derivative_matches_finite_differences():
    scene = sky_scene()
    reference = finite_difference(scene)
    params = tracked(scene)
    image = tk.render(scene, params=params, spp=16, seed=3, unbiased=False)
    dr.set_grad(params[KEY], [1, 1, 1])
    gradient = dr.forward_to(image).numpy()
    assert np.abs(reference[square_pixels()]).min() > 0.05 * SKY     # the derivative is not zero
    assert np.allclose(gradient, reference, atol=1e-4 * SKY)


def test_reverse_derivative_matches_finite_differences():
    scene = sky_scene()
    reference = finite_difference(scene)
    params = tracked(scene)
    image = tk.render(scene, params=params, spp=16, seed=3, unbiased=False)
    weights = np.random.default_rng(0).uniform(size=image.shape).astype(np.float32)
    dr.backward(dr.sum(image * tk.TensorXf(weights)))
    gradient = dr.grad(params[KEY]).numpy().ravel()
    expected = (reference * weights).sum(axis=(0, 1))
    assert np.all(expected > 1)
    assert np.allclose(gradient, expected, rtol=1e-4)


def test_unbiased_render_takes_its_derivative_from_seed_grad():
    scene = sky_scene()
    params = tracked(scene)
    image = tk.render(scene, params=params, spp=4, seed=5, seed_grad=6, spp_grad=8)
    dr.backward(dr.mean(image))
    gradient = dr.grad(params[KEY]).numpy().ravel()
    with dr.suspend_grad():
        assert np.array_equal(image.numpy(), tk.render(scene, spp=4, seed=5).numpy())
    # d mean(image) / d rho_c: the mean over all H * W * 3 entries, one channel in three.
    expected = finite_difference(scene, spp=8, seed=6).mean(axis=(0, 1)) / 3
    assert np.allclose(gradient, expected, rtol=1e-3)


# -- what sample may return -------------------------------------------------------------------

class Returns(tk.SamplingIntegrator):
    """An integrator whose ``sample`` returns ``result(ray)``, or raises what that raises."""

    def __init__(self, result, aovs=()):
        super().__init__()
        self.result, self.aovs = result, list(aovs)

    def sample(self, scene, sampler, ray, medium=None, active=True):
        return self.result(ray)

    def aov_names(self):
        return self.aovs


def lanes(ray):
    return dr.width(ray.d)


#: Results Mitsuba 3 accepts too, and the colour each gives every pixel.
ACCEPTED = {
    'number': (lambda ray: (0.5, True, []), [0.5] * 3),
    'int': (lambda ray: (1, True, []), [1] * 3),
    'list': (lambda ray: ([0.1, 0.2, 0.3], True, []), [0.1, 0.2, 0.3]),
    'tuple': (lambda ray: ((0.1, 0.2, 0.3), tk.Bool(True), ()), [0.1, 0.2, 0.3]),
    'Float': (lambda ray: (tk.Float(0.25), True, []), [0.25] * 3),
    'wide Float': (lambda ray: (dr.full(tk.Float, 0.25, lanes(ray)), dr.full(tk.Bool, True, lanes(ray)), []),
                   [0.25] * 3),
    'Color3f': (lambda ray: (tk.Color3f(0.1, 0.2, 0.3), True, []), [0.1, 0.2, 0.3]),
}


@pytest.mark.parametrize('case', ACCEPTED)
def test_sample_results_are_widened_as_in_mitsuba(case):
    result, colour = ACCEPTED[case]
    image = tk.render(sky_scene(size=4), integrator=Returns(result), spp=2, seed=1).numpy()
    assert np.allclose(image, np.broadcast_to(colour, image.shape), rtol=1e-6)


def test_aovs_are_checked_and_follow_the_image_as_in_mitsuba():
    # Mitsuba 3.9.1 returns (4, 4, 5) here: R, G, B, then one channel per AOV.
    integrator = Returns(lambda ray: (0.5, True, [tk.Float(1), 2.0]), aovs=['depth', 'index'])
    scene = sky_scene(size=4)
    image = tk.render(scene, integrator=integrator, spp=1, seed=1).numpy()
    assert image.shape == (4, 4, 5)
    assert np.allclose(image[..., :3], 0.5) and np.allclose(image[..., 3], 1) and np.allclose(image[..., 4], 2)
    assert scene.sensors()[0].film().channel_names() == ['R', 'G', 'B', 'depth', 'index']


def fail(ray):
    raise ZeroDivisionError('the student divided by zero')


#: Bad results and what the error says, besides the integrator's name.
REFUSED = {
    'two values': (lambda ray: (0.5, True), r'tuple \(L, valid, aovs\), got a tuple of 2'),
    'four values': (lambda ray: (0.5, True, [], 0.5), r'tuple \(L, valid, aovs\), got a tuple of 4'),
    'None': (lambda ray: None, r'got a NoneType'),
    'two channels': (lambda ray: ([0.1, 0.2], True, []), r'radiance L .* got a list of 2'),
    'a string': (lambda ray: ('red', True, []), r'radiance L .* got a str'),
    'two components': (lambda ray: (tk.Point2f(1, 2), True, []), r'radiance L .* got a Array2f'),
    'a tensor': (lambda ray: (tk.TensorXf([1, 2, 3]), True, []), r'radiance L .* got a TensorXf'),
    'wrong width': (lambda ray: (dr.full(tk.Color3f, 1, 3), True, []), r'L .* is 3 wide, for \d+ rays'),
    'valid a float': (lambda ray: (0.5, 1.0, []), r'valid as a Bool'),
    'an AOV too many': (lambda ray: (0.5, True, [tk.Float(1)]), r'list of 0 AOVs .* got 1 of them'),
    'an exception': (fail, r'sample failed: ZeroDivisionError: the student divided by zero'),
}


@pytest.mark.parametrize('case', REFUSED)
def test_bad_sample_results_raise_a_render_error_naming_the_integrator(case):
    result, message = REFUSED[case]
    with pytest.raises(tk.RenderError, match=message) as caught:
        tk.render(sky_scene(size=4), integrator=Returns(result), spp=1, seed=1)
    assert 'Returns' in str(caught.value)


def test_a_bad_result_is_refused_in_a_render_that_records_derivatives_too():
    scene = sky_scene()
    params = tracked(scene)
    with pytest.raises(tk.RenderError, match='Returns.sample must return'):
        tk.render(scene, params=params, integrator=Returns(lambda ray: (0.5, True)), spp=1, seed=1)


def test_an_integrator_without_sample_is_refused_when_loaded():
    class Unfinished(tk.SamplingIntegrator):
        pass
    tk.register_integrator('unfinished', lambda props: Unfinished(props))
    with pytest.raises(tk.PluginError, match='integrator plugin "unfinished" failed.*abstract'):
        tk.load_dict({'type': 'unfinished'})


def test_a_sampling_integrator_has_no_replay_pass():
    from tutorial_kit.renderer.integrator import sample_radiance
    with pytest.raises(tk.RenderError, match='no Backward pass'):
        sample_radiance(Returns(lambda ray: (0.5, True, [])), dr.ADMode.Backward, None, None, None)


# -- Mitsuba 3 runs the same classes ------------------------------------------------------------

@pytest.fixture(scope='module')
def mitsuba():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    theirs = student_sampling_integrators.load_for(mi)
    mi.register_integrator('student_ao', lambda props: theirs.AmbientOcclusion(props))
    mi.register_integrator('student_direct_light', lambda props: theirs.DirectLight(props))
    return mi


@pytest.mark.mitsuba
@pytest.mark.parametrize('integrator, spp', [('student_ao', 64), ('student_direct_light', 128)])
def test_mitsuba_renders_the_same_student_integrator_alike(mitsuba, integrator, spp):
    xml = shadow_scene_xml(integrator, spp=spp)
    theirs = np.array(mitsuba.render(mitsuba.load_string(xml), seed=1))
    ours = tk.render(tk.load_string(xml), seed=2).numpy()
    assert theirs.mean() == pytest.approx(ours.mean(), rel=0.02)
    blocks = [image.reshape(8, 4, 8, 4, 3).mean(axis=(1, 3)) for image in (theirs, ours)]
    assert np.abs(blocks[0] - blocks[1]).mean() < 0.02 * ours.mean()
    assert np.abs(blocks[0] - blocks[1]).max() < 0.08 * blocks[1].max()


@pytest.mark.mitsuba
@pytest.mark.parametrize('case', ACCEPTED)
def test_mitsuba_accepts_the_same_results(mitsuba, case):
    """The same results (tk's arrays are Dr.Jit's, which Mitsuba 3 takes too)."""
    result, colour = ACCEPTED[case]

    class Constant(mitsuba.SamplingIntegrator):
        def sample(self, scene, sampler, ray, medium=None, active=True):
            return result(ray)

    scene = mitsuba.load_string(scene_xml('<shape type="rectangle"/>', width=4, height=4))
    image = np.array(mitsuba.render(scene, integrator=Constant(mitsuba.Properties()), spp=2))
    assert np.allclose(image, np.broadcast_to(colour, image.shape), rtol=1e-6)

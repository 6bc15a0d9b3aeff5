"""Polarised rendering: the Mueller calculus, the polariser and retarder, the
polarised path tracer and the ``stokes`` integrator, and their derivatives.

Oracles: optics that has closed forms (Malus's law for two polarisers, a
quarter-wave plate between polarisers, Brewster's angle, the conservation
of intensity by rotators), the RGB path tracer (a scene that polarises
nothing renders the same), and analytic derivatives of those closed forms.
Mitsuba 3 is compared in ``test_polarization_mitsuba.py``.
"""
import math

import numpy as np
import pytest
import drjit as dr

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core.errors import PluginError

T = tk.ScalarTransform4f
ENV = 0.8           # the constant environment's radiance
SIZE = 8


@pytest.fixture(autouse=True)
def polarized():
    """Each test runs in the polarised variant and leaves the variant as it was."""
    before = tk.variant()
    tk.set_variant('llvm_ad_rgb_polarized')
    yield
    tk.set_variant(before)


def entries(M):
    """A Mueller matrix of one lane as a (4, 4) array (first colour channel)."""
    array = np.array(M)
    return array.reshape(4, 4, -1)[:, :, 0] if isinstance(M, bk.Matrix4f) else array.reshape(4, 4, 3, -1)[:, :, 0, 0]


def filter_stack(*bsdfs, integrator='path', spacing=0.2):
    """An orthographic camera looking along -z through square filters (one per BSDF,
    the first nearest to the camera) at a constant environment."""
    scene = {'type': 'scene',
             'integrator': {'type': 'stokes', 'nested': {'type': 'path'}} if integrator == 'stokes'
             else {'type': integrator},
             'sensor': {'type': 'orthographic',
                        'to_world': T().look_at(origin=[0, 0, 5], target=[0, 0, 0], up=[0, 1, 0]).scale([0.5, 0.5, 1]),
                        'film': {'type': 'hdrfilm', 'width': SIZE, 'height': SIZE, 'rfilter': {'type': 'box'}},
                        'sampler': {'type': 'independent', 'sample_count': 1}},
             'env': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': ENV}}}
    for k, bsdf in enumerate(bsdfs):
        scene[f'filter{k}'] = {'type': 'rectangle', 'to_world': T().translate([0, 0, -k * spacing]), 'bsdf': bsdf}
    return tk.load_dict(scene)


def polarizer(theta, **extra):
    return dict(type='polarizer', theta=theta, **extra)


# -- the Mueller calculus ------------------------------------------------------------------

def test_rotators_keep_intensity_and_compose():
    R = mueller.rotator(bk.Float(0.3)) @ mueller.rotator(bk.Float(0.2))
    assert np.allclose(entries(R), entries(mueller.rotator(bk.Float(0.5))), atol=1e-6)
    # Horizontal light read in a basis turned by 45 degrees is -45 degree light.
    stokes = entries(mueller.rotator(bk.Float(math.pi / 4))) @ np.array([1, 1, 0, 0])
    assert np.allclose(stokes, [1, 0, -1, 0], atol=1e-6)


def test_polarizer_and_retarder_matrices():
    P = entries(mueller.linear_polarizer(bk.Float(1)))
    assert np.allclose(P @ [1, 0, 0, 0], [0.5, 0.5, 0, 0])            # half passes, horizontal
    assert np.allclose(P @ [1, -1, 0, 0], 0)                          # vertical light is blocked
    Q = entries(mueller.rotated_element(bk.Float(math.pi / 4), mueller.linear_retarder(bk.Float(math.pi / 2))))
    circular = Q @ [1, 1, 0, 0]                                       # a quarter-wave plate at 45 degrees
    assert np.allclose(np.abs(circular), [1, 0, 0, 1], atol=1e-6)


def test_specular_reflection_is_fresnel_and_vanishes_for_p_at_brewster():
    eta = 1.5
    for cos_theta in (1.0, 0.7, 0.3):
        M = entries(mueller.specular_reflection(bk.Float(cos_theta), bk.Float(eta)))
        F = tk.fresnel(bk.Float(cos_theta), bk.Float(eta))[0]
        assert M[0, 0] == pytest.approx(float(F[0]), rel=1e-5)
    brewster = math.cos(math.atan(eta))
    M = entries(mueller.specular_reflection(bk.Float(brewster), bk.Float(eta)))
    # Only s-polarised light is reflected: unpolarised light comes back fully polarised.
    reflected = M @ [1, 0, 0, 0]
    assert reflected[1] == pytest.approx(reflected[0], rel=1e-4) and reflected[0] > 0.01


def test_transmission_and_reflection_share_the_energy():
    eta = 1.5
    for cos_theta in (0.9, 0.5, 0.2):
        R = entries(mueller.specular_reflection(bk.Float(cos_theta), bk.Float(eta)))
        Tm = entries(mueller.specular_transmission(bk.Float(cos_theta), bk.Float(eta)))
        assert R[0, 0] + Tm[0, 0] == pytest.approx(1, abs=1e-5)
        assert R[0, 1] + Tm[0, 1] == pytest.approx(0, abs=1e-5)      # s and p each conserved


# -- renders with closed forms ---------------------------------------------------------------

@pytest.mark.parametrize('angle', [0, 30, 60, 90])
def test_malus_law(angle):
    image = tk.render(filter_stack(polarizer(0), polarizer(angle)), spp=1).numpy()
    expected = 0.5 * ENV * math.cos(math.radians(angle)) ** 2
    assert np.allclose(image, expected, atol=1e-5), (image.mean(), expected)


def test_outside_the_polarised_variant_a_polarizer_passes_half():
    tk.set_variant('llvm_ad_rgb')
    image = tk.render(filter_stack(polarizer(0), polarizer(90)), spp=1).numpy()
    assert np.allclose(image, 0.25 * ENV, atol=1e-6)


def test_a_neutral_polarizer_and_transmittance():
    image = tk.render(filter_stack(polarizer(0, polarizing=False), polarizer(90, transmittance=0.5)),
                      spp=1).numpy()
    assert np.allclose(image, 0.5 * 0.5 * 0.5 * ENV, atol=1e-6)


def test_quarter_wave_plate_makes_circular_light_and_stokes_channels():
    # Camera <- retarder (45 deg, quarter wave) <- polariser (0 deg) <- environment.
    scene = filter_stack({'type': 'retarder', 'theta': 45.0, 'delta': 90.0}, polarizer(0), integrator='stokes')
    image = tk.render(scene, spp=1).numpy()
    assert image.shape == (SIZE, SIZE, 15)
    assert scene.integrator().aov_names()[:4] == ['S0.R', 'S0.G', 'S0.B', 'S1.R']
    s0, s1, s2, s3 = (image[..., 3 + 3 * i] for i in range(4))
    assert np.allclose(s0, 0.5 * ENV, atol=1e-5) and np.allclose(image[..., 0], s0)
    assert np.allclose(s1, 0, atol=1e-5) and np.allclose(s2, 0, atol=1e-5)
    assert np.allclose(np.abs(s3), 0.5 * ENV, atol=1e-5)
    # A half-wave plate at 45 degrees turns horizontal light vertical: S1 = -S0.
    image = tk.render(filter_stack({'type': 'retarder', 'theta': 45.0, 'delta': 180.0}, polarizer(0),
                                   integrator='stokes'), spp=1).numpy()
    assert np.allclose(image[..., 6], -image[..., 3], atol=1e-5)


def test_linear_polarisation_is_read_in_the_sensors_basis():
    # Light through a polariser at theta: S1 = S0 cos 2 theta, S2 = +-S0 sin 2 theta.
    for theta in (0, 30, 90):
        image = tk.render(filter_stack(polarizer(theta), integrator='stokes'), spp=1).numpy()
        s0, s1, s2 = image[..., 3], image[..., 6], image[..., 9]
        assert np.allclose(s1, s0 * math.cos(2 * math.radians(theta)), atol=1e-5)
        assert np.allclose(np.abs(s2), s0 * abs(math.sin(2 * math.radians(theta))), atol=1e-5)


@pytest.mark.parametrize('integrator', [{'type': 'path'}, {'type': 'direct', 'bsdf_samples': 2}])
def test_a_scene_that_polarises_nothing_renders_as_in_rgb(integrator):
    description = tk.cornell_box()
    description['sensor']['film']['width'] = description['sensor']['film']['height'] = 32
    description['integrator'] = integrator
    polarised = tk.render(tk.load_dict(description), spp=16, seed=5).numpy()
    tk.set_variant('llvm_ad_rgb')
    rgb = tk.render(tk.load_dict(description), spp=16, seed=5).numpy()
    # The same samples and the same arithmetic on the intensity: equal to rounding.
    assert np.allclose(polarised, rgb, rtol=1e-4, atol=1e-5)


def test_integrators_without_polarisation_are_refused():
    with pytest.raises(PluginError, match='does not track polarisation'):
        tk.load_dict({'type': 'scene', 'integrator': {'type': 'prb'}})
    tk.set_variant('llvm_ad_rgb')
    with pytest.raises(PluginError, match='needs a polarised variant'):
        tk.load_dict({'type': 'scene', 'integrator': {'type': 'stokes', 'nested': {'type': 'path'}}})
    assert tk.variant() == 'llvm_ad_rgb' and not tk.is_polarized


def test_variant_names_and_types():
    assert tk.variant() == 'llvm_ad_rgb_polarized' and tk.is_polarized
    assert tk.Spectrum is bk.Matrix43f and tk.UnpolarizedSpectrum is bk.Array3f
    assert 'llvm_ad_rgb_polarized' in tk.variants()
    M = tk.depolarizer(bk.Color3f(0.5, 0.25, 1))
    assert np.allclose(np.array(tk.unpolarized_spectrum(M)).ravel(), [0.5, 0.25, 1])


# -- derivatives -------------------------------------------------------------------------

def mean_intensity(image):
    return dr.mean(image[..., 0], axis=None)


def derivative(objective, parameter, mode):
    """d objective / d parameter (all its entries together), in reverse or forward mode."""
    if mode == 'reverse':
        dr.backward(objective)
        return float(np.array(dr.grad(parameter)).sum())
    dr.forward_from(parameter)
    return float(np.array(dr.grad(objective)).ravel()[0])


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_polarizer_angle_derivative(mode):
    # I = 0.5 L cos^2(theta), theta in degrees: dI/dtheta = -0.5 L sin(2 theta) pi / 180.
    scene = filter_stack(polarizer(0), polarizer(25.0))
    params = tk.traverse(scene)
    key = 'filter1.bsdf.theta.value'
    dr.enable_grad(params[key])
    params.update()
    image = tk.render(scene, params, spp=1, seed=1)
    expected = -0.5 * ENV * math.sin(2 * math.radians(25)) * math.pi / 180
    objective = mean_intensity(image)
    grad = derivative(objective, params[key], mode)
    # Each colour channel has its own angle; the red channel's intensity depends on red's only.
    assert grad == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_retarder_delay_derivative(mode):
    # Crossed polarisers with a plate at 45 degrees between: I = 0.5 L sin^2(delta / 2).
    delta = 70.0
    scene = filter_stack(polarizer(90), {'type': 'retarder', 'theta': 45.0, 'delta': delta}, polarizer(0))
    image = tk.render(scene, spp=1).numpy()
    assert np.allclose(image, 0.5 * ENV * math.sin(math.radians(delta) / 2) ** 2, atol=1e-5)
    params = tk.traverse(scene)
    key = 'filter1.bsdf.delta.value'
    dr.enable_grad(params[key])
    params.update()
    objective = mean_intensity(tk.render(scene, params, spp=1, seed=2))
    grad = derivative(objective, params[key], mode)
    expected = 0.25 * ENV * math.sin(math.radians(delta)) * math.pi / 180
    assert grad == pytest.approx(expected, rel=1e-3)


def test_turning_a_filter_by_its_vertices_has_the_derivative_of_malus_law():
    # The gallery's way: the filter's mesh is rotated about the optical axis.
    scene = filter_stack(polarizer(0), polarizer(0))
    params = tk.traverse(scene)
    key = 'filter1.vertex_positions'
    initial = dr.unravel(tk.Point3f, params[key])
    angle = tk.Float(20.0)
    dr.enable_grad(angle)
    params[key] = dr.ravel(tk.Transform4f().rotate([0, 0, 1], angle) @ initial)
    params.update()
    image = tk.render(scene, params, spp=1, seed=3)
    dr.backward(mean_intensity(image))
    # The filter is a square at the centre; the camera sees only it, whatever the turn.
    value = 0.5 * ENV * math.cos(math.radians(20)) ** 2
    assert float(mean_intensity(image).array[0]) == pytest.approx(value, rel=1e-4)
    expected = -0.5 * ENV * math.sin(math.radians(40)) * math.pi / 180
    assert float(dr.grad(angle)[0]) == pytest.approx(expected, rel=2e-2)


def test_polarizer_explorer_turns_the_filter_and_restores_it():
    pytest.importorskip('ipywidgets')
    from tutorial_kit.widgets import PolarizerExplorer
    scene = filter_stack(polarizer(0), polarizer(0))
    explorer = PolarizerExplorer(scene, 'filter1.bsdf.theta.value', spp=1)
    assert np.allclose(explorer.last_image, 0.5 * ENV, atol=1e-5)
    explorer.slider.value = 90.0                      # what moving the slider does
    assert np.allclose(explorer.last_image, 0, atol=1e-5) and '90 degrees' in explorer.info.value
    assert np.allclose(explorer.render(60), 0.5 * ENV * 0.25, atol=1e-5)
    # The scene keeps its own angle between renders.
    assert float(np.ravel(tk.traverse(scene)['filter1.bsdf.theta.value'])[0]) == 0
    with pytest.raises(KeyError, match='theta.value'):
        PolarizerExplorer(scene, 'filter1.bsdf.nothing')
    tk.set_variant('llvm_ad_rgb')
    with pytest.raises(RuntimeError, match='polarised variant'):
        PolarizerExplorer(scene, 'filter1.bsdf.theta.value')


def test_bad_polarisation_inputs_are_refused():
    with pytest.raises(PluginError, match='stokes needs exactly one nested integrator'):
        tk.load_dict({'type': 'scene', 'integrator': {'type': 'stokes'}})
    with pytest.raises(tk.SceneError, match='theta'):
        tk.load_dict({'type': 'polarizer', 'theta': float('nan')})
    scene = filter_stack(polarizer(10))
    params = tk.traverse(scene)
    with pytest.raises(tk.ParameterError, match='theta'):
        params['filter0.bsdf.theta.value'] = tk.Float(float('inf'))
    assert float(np.ravel(params['filter0.bsdf.theta.value'])[0]) == 10
    with pytest.raises(tk.BackendError, match='llvm_ad_rgb_polarized'):
        tk.set_variant('llvm_ad_spectral_polarized')
    assert tk.variant() == 'llvm_ad_rgb_polarized'


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
def test_stokes_channels_carry_derivatives(mode):
    # Through a polariser at theta: S1 = 0.5 L cos(2 theta), so dS1/dtheta = -L sin(2 theta) pi / 180.
    theta = 25.0
    scene = filter_stack(polarizer(theta), integrator='stokes')
    params = tk.traverse(scene)
    key = 'filter0.bsdf.theta.value'
    dr.enable_grad(params[key])
    params.update()
    image = tk.render(scene, params, spp=1, seed=4)
    s1 = dr.mean(image[..., 6], axis=None)
    assert float(s1.array[0]) == pytest.approx(0.5 * ENV * math.cos(math.radians(2 * theta)), rel=1e-4)
    expected = -ENV * math.sin(math.radians(2 * theta)) * math.pi / 180
    grad = derivative(s1, params[key], mode)
    assert grad == pytest.approx(expected, rel=1e-3)


def test_a_scene_renders_in_the_variant_it_was_loaded_in():
    polarised = filter_stack(polarizer(0))
    tk.set_variant('llvm_ad_rgb')
    unpolarised = filter_stack(polarizer(0))
    with pytest.raises(tk.RenderError, match='load it again after set_variant'):
        tk.render(polarised)
    tk.set_variant('llvm_ad_rgb_polarized')
    with pytest.raises(tk.RenderError, match='loaded in an unpolarised variant'):
        tk.render(unpolarised)
    assert np.allclose(tk.render(polarised, spp=1).numpy(), 0.5 * ENV, atol=1e-5)

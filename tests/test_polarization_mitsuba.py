"""Polarised rendering against Mitsuba 3 (skipped when it is not installed).

Mitsuba 3's wheels have polarised variants in monochrome and spectral form
only; with grey and white materials, whose spectra are flat, its
``llvm_ad_spectral_polarized`` and our ``llvm_ad_rgb_polarized`` must agree
on every Stokes channel: a glossy and a smooth metal, glass, a diffuse
floor, a polariser and a quarter-wave plate in front of a second polariser,
under an environment and an area light. The Mueller calculus is compared
function by function, and the derivatives of a filter's angle too.
"""
import numpy as np
import pytest
import drjit as dr

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller

mi = pytest.importorskip('mitsuba')
pytestmark = pytest.mark.mitsuba

SIZE = 48


@pytest.fixture(autouse=True)
def polarized():
    before = tk.variant()
    tk.set_variant('llvm_ad_rgb_polarized')
    mi.set_variant('llvm_ad_spectral_polarized')
    yield
    tk.set_variant(before)
    mi.set_variant('llvm_ad_rgb')


def glossy_scene(module, spp, nested=None):
    """The scene, described for ``module`` (tutorial_kit or mitsuba), rendered by
    ``stokes`` around ``nested`` (default: ``path`` to depth 6)."""
    T = module.ScalarTransform4f
    grey = {'type': 'rgb', 'value': 0.5}
    return {
        'type': 'scene',
        'integrator': {'type': 'stokes', 'nested': nested or {'type': 'path', 'max_depth': 6}},
        'sensor': {'type': 'perspective', 'fov': 45,
                   'to_world': T().look_at(origin=[0.3, 1.2, 4.5], target=[0, 0.3, 0], up=[0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': SIZE, 'height': SIZE, 'rfilter': {'type': 'box'}},
                   'sampler': {'type': 'independent', 'sample_count': spp}},
        'env': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': 0.8}},
        'light': {'type': 'rectangle', 'to_world': T().translate([1.5, 3, 1]).rotate([1, 0, 0], 90).scale(0.8),
                  'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': 6}}},
        'metal': {'type': 'sphere', 'center': [-0.8, 0.5, 0], 'radius': 0.5,
                  'bsdf': {'type': 'conductor', 'eta': 0.2, 'k': 3.0}},
        'glass': {'type': 'sphere', 'center': [0.45, 0.45, 0.4], 'radius': 0.45,
                  'bsdf': {'type': 'dielectric', 'int_ior': 1.5}},
        'rough': {'type': 'rectangle', 'to_world': T().translate([0.6, 0.6, -1]).scale(0.7),
                  'bsdf': {'type': 'roughconductor', 'alpha': 0.2, 'eta': 1.2, 'k': 2.0}},
        'floor': {'type': 'rectangle', 'to_world': T().rotate([1, 0, 0], -90).scale(4),
                  'bsdf': {'type': 'diffuse', 'reflectance': grey}},
        'polarizer': {'type': 'rectangle', 'to_world': T().translate([-0.9, 0.9, 2.2]).scale([0.35, 0.35, 1]),
                      'bsdf': {'type': 'polarizer', 'theta': 30.0}},
        'plate': {'type': 'rectangle',
                  'to_world': T().translate([0.6, 0.4, 2.4]).rotate([0, 1, 0], 20).scale([0.3, 0.3, 1]),
                  'bsdf': {'type': 'retarder', 'theta': 45.0, 'delta': 90.0}},
        'behind': {'type': 'rectangle',
                   'to_world': T().translate([0.6, 0.4, 2.2]).rotate([0, 1, 0], 20).scale([0.3, 0.3, 1]),
                   'bsdf': {'type': 'polarizer', 'theta': 0.0}},
    }


def blocks(image, block=8):
    h, w, c = image.shape
    return image.reshape(h // block, block, w // block, block, c).mean(axis=(1, 3))


@pytest.mark.parametrize('nested', [None, {'type': 'direct', 'emitter_samples': 2}])
def test_stokes_images_match_mitsuba_spectral_polarized(nested):
    ours = tk.render(tk.load_dict(glossy_scene(tk, 512, nested)), seed=1).numpy()
    theirs = np.array(mi.render(mi.load_dict(glossy_scene(mi, 512, nested)), seed=2))
    assert ours.shape == theirs.shape == (SIZE, SIZE, 15)
    intensity = theirs[..., 3:6].mean()
    for channel in range(3, 15):
        a, b = ours[..., channel], theirs[..., channel]
        # Means within 1.5 % of the intensity, 8 x 8 blocks within 6 % (noise of 512 spp).
        assert abs(a.mean() - b.mean()) < 0.015 * intensity, channel
        difference = np.abs(blocks(a[..., None]) - blocks(b[..., None])).max()
        assert difference < 0.06 * intensity, (channel, difference)
    # The scene polarises light: S1, S2 and (along paths) S3 are not all noise.
    for channel in (6, 9, 12) if nested is None else (6, 9):
        assert np.abs(blocks(theirs[..., channel:channel + 1])).max() > 0.05 * intensity


def entries(M):
    array = np.array(M)
    return array.reshape(4, 4, -1)[:, :, 0]


@pytest.mark.parametrize('cos_theta', [0.9, 0.3, -0.4, 1.0])
def test_mueller_functions_match(cos_theta):
    for eta in (1.5, 0.67):
        ours = entries(mueller.specular_reflection(bk.Float(cos_theta), bk.Float(eta)))
        theirs = entries(mi.mueller.specular_reflection(mi.Float(cos_theta), mi.Float(eta)))
        assert np.allclose(ours, theirs, atol=1e-5)
        ours = entries(mueller.specular_transmission(bk.Float(cos_theta), bk.Float(eta)))
        theirs = entries(mi.mueller.specular_transmission(mi.Float(cos_theta), mi.Float(eta)))
        assert np.allclose(ours, theirs, atol=1e-5)
    for eta, k in ((0.2, 3.0), (1.5, 0.5)):
        ours = entries(mueller.specular_reflection(bk.Float(cos_theta), bk.Float(eta), bk.Float(k)))
        theirs = entries(mi.mueller.specular_reflection(mi.Float(cos_theta), mi.Complex2f(eta, k)))
        assert np.allclose(ours, theirs, atol=1e-5)


def test_stokes_bases_and_rotations_match():
    rng = np.random.default_rng(3)
    for _ in range(8):
        forward = rng.normal(size=3)
        forward /= np.linalg.norm(forward)
        current, target = (np.cross(forward, rng.normal(size=3)) for _ in range(2))
        current, target = current / np.linalg.norm(current), target / np.linalg.norm(target)
        ours_vec = [bk.Array3f(*map(float, v)) for v in (forward, current, target)]
        theirs_vec = [mi.Vector3f(*map(float, v)) for v in (forward, current, target)]
        assert np.allclose(np.ravel(mueller.stokes_basis(ours_vec[0])),
                           np.ravel(mi.mueller.stokes_basis(theirs_vec[0])), atol=1e-6)
        assert np.allclose(entries(mueller.rotate_stokes_basis(*ours_vec)),
                           entries(mi.mueller.rotate_stokes_basis(*theirs_vec)), atol=1e-5)


def test_polarizer_angle_gradient_matches():
    def filters(module):
        T = module.ScalarTransform4f
        scene = {'type': 'scene', 'integrator': {'type': 'path'},
                 'sensor': {'type': 'perspective', 'fov': 30,
                            'to_world': T().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]),
                            'film': {'type': 'hdrfilm', 'width': 16, 'height': 16}},
                 'env': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': 1.0}}}
        for k, theta in enumerate((10.0, 50.0)):
            scene[f'f{k}'] = {'type': 'rectangle', 'to_world': T().translate([0, 0, -0.3 * k]).scale(2),
                              'bsdf': {'type': 'polarizer', 'theta': theta}}
        return module.load_dict(scene)

    def gradient(module):
        scene = filters(module)
        params = module.traverse(scene)
        key = 'f1.bsdf.theta.value'
        dr.enable_grad(params[key])
        params.update()
        image = module.render(scene, params, spp=4, seed=0)
        dr.backward(dr.mean(image, axis=None))
        return float(np.sum(np.array(dr.grad(params[key]))))

    ours, theirs = gradient(tk), gradient(mi)
    assert ours == pytest.approx(theirs, rel=0.02)


@pytest.mark.parametrize('polarised', [False, True])
def test_pplastic_matches_mitsuba(polarised):
    """Baek et al.'s polarising plastic, as Mitsuba 3's pplastic, in RGB and polarised."""
    if not polarised:
        tk.set_variant('llvm_ad_rgb')
        mi.set_variant('llvm_ad_rgb')

    def scene(module):
        description = glossy_scene(module, 512)
        description['floor']['bsdf'] = {'type': 'pplastic', 'alpha': 0.15,
                                        'diffuse_reflectance': {'type': 'rgb', 'value': 0.5}}
        description['rough']['bsdf'] = {'type': 'pplastic', 'alpha': 0.05, 'distribution': 'ggx',
                                        'diffuse_reflectance': {'type': 'rgb', 'value': 0.2}}
        if not polarised:
            description['integrator'] = {'type': 'path', 'max_depth': 6}
        return module.load_dict(description)

    ours = tk.render(scene(tk), seed=1).numpy()
    theirs = np.array(mi.render(scene(mi), seed=2))
    intensity = theirs[..., :3].mean()
    for channel in range(0, ours.shape[-1], 3):
        a, b = ours[..., channel:channel + 1], theirs[..., channel:channel + 1]
        assert abs(a.mean() - b.mean()) < 0.015 * intensity, channel
        assert np.abs(blocks(a) - blocks(b)).max() < 0.06 * intensity, channel

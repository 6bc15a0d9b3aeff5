"""Participating media against Mitsuba 3 (skipped when it is not installed).

The same scene description, given to both, must give the same picture with
``volpath`` (channel means within 1.5 %, the means of an 8 x 8 grid of blocks
within 4 %) and the same density gradients with ``prbvolpath``.
"""
import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk

mi = pytest.importorskip('mitsuba')
pytestmark = [pytest.mark.mitsuba, pytest.mark.slow]

SIZE, SPP = 32, 1024


@pytest.fixture(scope='module', autouse=True)
def mitsuba_variant():
    mi.set_variant('llvm_ad_rgb')


def rgb(*values):
    return {'type': 'rgb', 'value': list(values)}


def grid_volume(module, data, transform):
    return {'type': 'gridvolume', 'data': module.TensorXf(data), 'to_world': transform}


def sensor(T, medium=None, origin=(0, 0.5, 4)):
    description = {'type': 'perspective', 'fov': 45,
                   'to_world': T().look_at(origin=list(origin), target=[0, 0, 0], up=[0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': SIZE, 'height': SIZE, 'filter': {'type': 'gaussian'}}}
    if medium is not None:
        description['medium'] = medium
    return description


def lights(T):
    return {'sky': {'type': 'constant', 'radiance': rgb(0.3, 0.4, 0.6)},
            'lamp': {'type': 'rectangle', 'to_world': T().look_at(origin=[1.5, 3, 1], target=[0, 0, 0], up=[0, 0, 1]),
                     'emitter': {'type': 'area', 'radiance': rgb(6, 5, 4)}}}


def homogeneous_scene(module, integrator='volpath'):
    """A coloured, forward-scattering fog in a cube above a diffuse floor."""
    T = module.ScalarTransform4f
    return dict({'type': 'scene', 'integrator': {'type': integrator, 'max_depth': 12}, 'sensor': sensor(T),
                 'fog': {'type': 'cube', 'to_world': T().scale(0.8), 'bsdf': {'type': 'null'},
                         'interior': {'type': 'homogeneous', 'sigma_t': rgb(0.5, 0.7, 0.9), 'scale': 3.0,
                                      'albedo': rgb(0.9, 0.7, 0.5), 'phase': {'type': 'hg', 'g': 0.6}}},
                 'floor': {'type': 'rectangle', 'to_world': T().translate([0, -1, 0]).rotate([1, 0, 0], -90).scale(3),
                           'bsdf': {'type': 'diffuse', 'reflectance': rgb(0.6, 0.6, 0.6)}}}, **lights(T))


def smoke_grid():
    rng = np.random.default_rng(7)
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, 12),) * 3, indexing='ij')
    blob = np.exp(-3 * (x ** 2 + (y + 0.2) ** 2 + z ** 2)) * rng.uniform(0.5, 1.5, x.shape)
    return blob[..., None].astype(np.float32)


def heterogeneous_scene(module, integrator='volpath'):
    """Smoke from a grid, with a colour albedo grid, seen from inside a thin fog."""
    T = module.ScalarTransform4f
    albedo = np.stack([np.linspace(0.3, 0.9, 6 ** 3), np.full(6 ** 3, 0.7), np.linspace(0.9, 0.4, 6 ** 3)],
                      axis=-1).reshape(6, 6, 6, 3).astype(np.float32)
    place = T().translate([-1, -1, -1]).scale(2)
    return dict({'type': 'scene', 'integrator': {'type': integrator, 'max_depth': 12},
                 'air_medium': {'type': 'homogeneous', 'id': 'air', 'sigma_t': 0.05, 'albedo': 0.5},
                 'sensor': sensor(T, medium={'type': 'ref', 'id': 'air'}),
                 'bubble': {'type': 'sphere', 'radius': 8, 'bsdf': {'type': 'null'},
                         'interior': {'type': 'ref', 'id': 'air'}},
                 'smoke': {'type': 'cube', 'bsdf': {'type': 'null'}, 'exterior': {'type': 'ref', 'id': 'air'},
                           'interior': {'type': 'heterogeneous', 'scale': 6,
                                        'sigma_t': grid_volume(module, smoke_grid(), place),
                                        'albedo': grid_volume(module, albedo, place),
                                        'phase': {'type': 'hg', 'g': -0.3}}},
                 'ball': {'type': 'sphere', 'center': [0.6, -0.2, 0.3], 'radius': 0.3,
                          'bsdf': {'type': 'diffuse', 'reflectance': rgb(0.8, 0.3, 0.2)}}}, **lights(T))


def block_means(image, blocks=8):
    h, w, _ = image.shape
    return image.reshape(blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))


def assert_same_picture(ours, theirs):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape
    means = ours.mean(axis=(0, 1)), theirs.mean(axis=(0, 1))
    assert np.allclose(means[0], means[1], rtol=0.015), means
    blocks = block_means(ours), block_means(theirs)
    relative = np.abs(blocks[0] - blocks[1]) / np.maximum(blocks[1], 0.02 * theirs.mean())
    assert relative.max() < 0.04, relative.max()


@pytest.mark.parametrize('build', [homogeneous_scene, heterogeneous_scene])
def test_volpath_matches_mitsuba(build):
    theirs = np.array(mi.render(mi.load_dict(build(mi)), spp=SPP, seed=1))
    ours = np.array(tk.render(tk.load_dict(build(tk)), spp=SPP, seed=2))
    assert ours.mean() > 0.05
    assert_same_picture(ours, theirs)


def test_prbvolpath_primal_matches_mitsuba_volpath():
    theirs = np.array(mi.render(mi.load_dict(heterogeneous_scene(mi, 'volpath')), spp=SPP, seed=1))
    ours = np.array(tk.render(tk.load_dict(heterogeneous_scene(tk, 'prbvolpath')), spp=SPP, seed=3))
    assert_same_picture(ours, theirs)


def coarse_smoke():
    return np.random.default_rng(5).uniform(0.1, 1.0, (4, 4, 4, 1)).astype(np.float32)


def density_gradient(module, spp=256, passes=4):
    """The gradient of a weighted image sum with respect to each voxel of a coarse smoke grid."""
    description = heterogeneous_scene(module, 'prbvolpath')
    del description['bubble'], description['air_medium'], description['sensor']['medium']
    description['smoke'].pop('exterior')
    description['smoke']['interior']['sigma_t']['data'] = module.TensorXf(coarse_smoke())
    scene = module.load_dict(description)
    params = module.traverse(scene)
    key = 'smoke.interior_medium.sigma_t.data'
    weights = module.TensorXf(np.random.default_rng(3).uniform(0, 1, (SIZE, SIZE, 3)).astype(np.float32))
    total = 0
    for k in range(passes):
        x = module.TensorXf(coarse_smoke())
        dr.enable_grad(x)
        params[key] = x
        params.update()
        image = module.render(scene, params, spp=spp, seed=k, seed_grad=100 + k)
        dr.backward(dr.sum(image * weights))
        total = total + np.array(dr.grad(x)).ravel()
    return total / passes


def test_prbvolpath_density_gradients_match_mitsuba():
    ours, theirs = density_gradient(tk), density_gradient(mi)
    assert np.corrcoef(ours, theirs)[0, 1] > 0.95
    assert ours.sum() == pytest.approx(theirs.sum(), rel=0.05)


def lumpy_grid():
    """A dense, lumpy ball of smoke on a 10^3 grid, empty in the corners: most tentative
    collisions inside are null ones."""
    z, y, x = np.meshgrid(*(np.linspace(-1, 1, 10),) * 3, indexing='ij')
    lumps = (np.sin(3 * x) * np.cos(2 * y) + 1.2) * np.random.default_rng(11).uniform(0.3, 1.0, x.shape)
    return (lumps * (x ** 2 + y ** 2 + z ** 2 < 1))[..., None].astype(np.float32)


def rotated_smoke_scene(module):
    """The grid turned with its null cube about a slanted (unit) axis, lit by a sun and the sky;
    Russian roulette from the third bounce on, so that it also plays between null collisions."""
    T = module.ScalarTransform4f
    turn = T().rotate([0, 0.70710678, 0.70710678], 30)
    return {'type': 'scene', 'integrator': {'type': 'volpath', 'max_depth': -1, 'rr_depth': 3},
            'sensor': {'type': 'perspective', 'fov': 45,
                       'to_world': T().look_at(origin=[0.5, 0.8, 3.5], target=[0, 0, 0], up=[0, 1, 0]),
                       'film': {'type': 'hdrfilm', 'width': SIZE, 'height': SIZE, 'filter': {'type': 'box'}}},
            'box': {'type': 'cube', 'to_world': turn @ T().scale(0.8), 'bsdf': {'type': 'null'},
                    'interior': {'type': 'heterogeneous', 'scale': 5.0, 'albedo': 0.85, 'phase': {'type': 'hg', 'g': 0.4},
                                 'sigma_t': grid_volume(module, lumpy_grid(),
                                                        turn @ T().translate([-0.8, -0.8, -0.8]).scale(1.6))}},
            'sun': {'type': 'directional', 'direction': [1, -1, -0.3], 'irradiance': rgb(3, 2.8, 2.5)},
            'sky': {'type': 'constant', 'radiance': rgb(0.3, 0.4, 0.6)}}


def test_dense_rotated_grid_with_roulette_matches_mitsuba():
    theirs = np.array(mi.render(mi.load_dict(rotated_smoke_scene(mi)), spp=SPP, seed=1))
    ours = np.array(tk.render(tk.load_dict(rotated_smoke_scene(tk)), spp=SPP, seed=2))
    assert ours.mean() > 0.2
    assert_same_picture(ours, theirs)

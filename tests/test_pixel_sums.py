"""Developing a render by per-pixel sums (plugins/films/pixel_sums.py) gives the
image of the per-sample scatters, for every filter, crop window and border."""
import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk
from tutorial_kit.plugins.films import hdrfilm


def scene(rfilter, **film):
    return tk.load_dict({
        'type': 'scene', 'integrator': {'type': 'aov', 'aovs': 'dd:depth', 'integrator': {'type': 'path'}},
        'sensor': {'type': 'perspective', 'fov': 50,
                   'to_world': tk.ScalarTransform4f().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': 29, 'height': 17, 'rfilter': rfilter, **film}},
        'ball': {'type': 'sphere', 'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'checkerboard'}}},
        'sky': {'type': 'constant'},
        'lamp': {'type': 'point', 'position': [1, 2, 3], 'intensity': {'type': 'rgb', 'value': [5, 5, 5]}}})


@pytest.mark.parametrize('rfilter', [{'type': 'gaussian'}, {'type': 'tent', 'radius': 1.3},
                                     {'type': 'gaussian', 'stddev': 0.2}])
@pytest.mark.parametrize('film', [{}, {'sample_border': True},
                                  {'crop_offset_x': 5, 'crop_offset_y': 3, 'crop_width': 11, 'crop_height': 9}])
def test_same_image_as_scattering_each_sample(monkeypatch, rfilter, film):
    s = scene(rfilter, **film)
    by_pixel = np.array(tk.render(s, spp=6, seed=4))
    monkeypatch.setattr(hdrfilm, 'PIXEL_SUMS_SPP', 10 ** 9)
    by_sample = np.array(tk.render(s, spp=6, seed=4))
    assert by_pixel.shape == by_sample.shape and np.abs(by_sample).max() > 0.1
    np.testing.assert_allclose(by_pixel, by_sample, rtol=1e-5, atol=1e-6)


def test_used_only_where_it_pays_and_derivatives_can_follow(monkeypatch):
    """Not at one sample per pixel; and derivatives still reach the parameters."""
    calls = []
    real = hdrfilm.develop_by_pixel
    monkeypatch.setattr(hdrfilm, 'develop_by_pixel', lambda *a: calls.append(a[3]) or real(*a))
    s = scene({'type': 'gaussian'})
    tk.render(s, spp=1)
    assert calls == []
    tk.render(s, spp=3)
    assert calls and calls[-1] == 3
    calls.clear()
    params = tk.traverse(s)
    key = 'ball.bsdf.reflectance.color0.value'
    dr.enable_grad(params[key])
    params.update()
    image = tk.render(s, params, spp=3)
    dr.backward(dr.mean(image, axis=None))
    assert dr.grad(params[key]).numpy().max() > 0

"""What the gallery's caustic design relies on besides the particle tracer: a
heightmap texture optimised coarse to fine (its ``data`` takes a new resolution,
the optimizer follows ``dr.upsample``), the clip-then-render idiom, a mesh whose
vertices move every iteration, and Mitsuba 3's naming conventions in ``load_dict``."""
import warnings

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core.errors import ParameterError


def heightmap(resolution):
    texture = tk.load_dict({'type': 'bitmap', 'raw': True,
                            'bitmap': tk.Bitmap(dr.zeros(tk.TensorXf, (resolution, resolution, 1)))})
    params = tk.traverse(texture)
    params.keep(['data'])
    return texture, params


def lookup(u, v):
    si = dr.zeros(tk.SurfaceInteraction3f, len(u))
    si.uv = tk.Array2f(u, v)
    return si


def test_bitmap_data_takes_a_new_resolution_with_the_same_channels():
    texture, params = heightmap(2)
    params['data'] = tk.TensorXf(np.arange(16, dtype=np.float32).reshape(4, 4, 1))
    params.update()
    assert texture.resolution == (4, 4, 1)
    # Nearest lookups would read texel (row 3, column 0) at the bottom left; bilinear
    # at a texel centre reads it exactly.
    assert np.isclose(texture.eval_1(lookup([0.125], [0.875]))[0], 12.0)
    with pytest.raises(ParameterError, match='shape'):
        params['data'] = dr.zeros(tk.TensorXf, (4, 4, 3))
    assert texture.resolution == (4, 4, 1)


def test_optimizer_follows_clip_then_render_and_upsampling():
    # The gallery's loop: clip the optimizer's value into the texture, enable its
    # gradient, use it, step; refine with dr.upsample midway.
    texture, params = heightmap(2)
    opt = tk.Adam(lr=0.1, params=params)
    target = 0.5
    si = lookup(np.linspace(0.1, 0.9, 16), np.linspace(0.9, 0.1, 16))
    for it in range(20):
        params['data'] = dr.clip(params['data'], -1, 1)
        dr.enable_grad(params['data'])
        params.update()
        loss = dr.mean(dr.square(texture.eval_1(si) - target))
        dr.backward(loss)
        opt.step()
        if it == 9:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', DeprecationWarning)
                opt['data'] = dr.upsample(opt['data'], scale_factor=(2, 2, 1))
        params.update(opt)
    assert texture.resolution == (4, 4, 1)
    assert np.allclose(texture.eval_1(si).numpy(), target, atol=0.05)


def test_load_dict_finds_an_entry_by_its_key_and_ids_can_be_called():
    scene = tk.load_dict({
        'type': 'scene',
        'glass': {'type': 'dielectric', 'id': 'glass-bsdf'},
        'white': {'type': 'diffuse', 'id': 'white'},
        'a': {'type': 'rectangle', 'bsdf': {'type': 'ref', 'id': 'glass'}},
        'b': {'type': 'rectangle', 'bsdf': {'type': 'ref', 'id': 'glass-bsdf'}},
        'c': {'type': 'rectangle', 'bsdf': {'type': 'ref', 'id': 'white'}},
    })
    a, b, c = scene.shapes()
    assert a.bsdf() is b.bsdf() and type(a.bsdf()).__name__ == 'SmoothDielectric'
    assert [shape.id() for shape in scene.shapes()] == ['a', 'b', 'c']
    assert a.id == 'a' and a.bsdf().id() == 'glass-bsdf'

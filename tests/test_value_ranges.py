"""Values checked against one table of ranges, whichever way they arrive.

A colour given as a number (``<float name="reflectance">``) passes the same
checks as an ``<rgb>``; an image's pixels are checked like colours; a
``ParameterMap`` assignment is checked against the range the loader uses
(``tutorial_kit/core/value_ranges.py``); extreme values inside the ranges
give finite images and derivatives.
"""
import struct
import warnings

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.ad import gradients
from tutorial_kit.core import value_ranges
from helpers import scene_xml, small_cbox

LIGHT = ('<shape type="rectangle"><transform name="to_world"><rotate x="1" angle="180"/>'
         '<translate z="3"/></transform><emitter type="area"><rgb name="radiance" value="4"/></emitter></shape>')


def load(body, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', tk.SceneWarning)
        return tk.load_string(scene_xml(body, width=8, height=8, spp=2, **kwargs))


def finite_render(scene, **kwargs):
    image = np.asarray(tk.render(scene, seed=0, **kwargs))
    assert np.all(np.isfinite(image)), 'the image holds NaN or infinity'
    return image


# -- numbers given as colours ---------------------------------------------------------------

@pytest.mark.parametrize('element, message', [
    ('<bsdf type="diffuse"><float name="reflectance" value="3e38"/></bsdf>', 'at most 1e\\+15'),
    ('<bsdf type="diffuse"><integer name="reflectance" value="-1"/></bsdf>', 'not be negative'),
    ('<bsdf type="diffuse"><float name="reflectance" value="-1"/></bsdf>', 'not be negative'),
    ('<bsdf type="diffuse"><float name="reflectance" value="2"/></bsdf>', r'\[0, 1\] \(a reflectance\)'),
    ('<bsdf type="conductor"><float name="specular_reflectance" value="3e38"/></bsdf>', 'at most'),
    ('<bsdf type="plastic"><integer name="diffuse_reflectance" value="5"/></bsdf>', 'a reflectance'),
    ('<bsdf type="dielectric"><float name="specular_transmittance" value="1e15"/></bsdf>', 'a reflectance'),
    ('<bsdf type="diffuse"><texture type="checkerboard" name="reflectance">'
     '<float name="color0" value="3e38"/></texture></bsdf>', 'at most'),
    ('<emitter type="area"><float name="radiance" value="3e38"/></emitter>', 'at most'),
    ('<emitter type="area"><integer name="radiance" value="-2"/></emitter>', 'not be negative'),
    ('<bsdf type="roughconductor"><float name="k" value="1e20"/></bsdf>', 'at most'),
    ('<bsdf type="diffuse"><texture type="uniform" name="reflectance">'
     '<float name="value" value="3"/></texture></bsdf>', 'a reflectance'),
])
def test_numbers_given_as_colours_pass_the_colour_checks(element, message):
    with pytest.raises(tk.PluginError, match=message) as error:
        load(f'<shape type="rectangle">{element}</shape>' + LIGHT)
    assert ':12:' in str(error.value)          # the line of the offending parameter


def test_dict_scenes_check_numbers_as_colours_too():
    with pytest.raises(tk.SceneError, match='at most 1e\\+15'):
        tk.load_dict({'type': 'scene', 'shape': {'type': 'rectangle',
                                                  'bsdf': {'type': 'diffuse', 'reflectance': 3e38}}})


def test_numbers_within_the_ranges_render_finite_images():
    scene = load('<shape type="rectangle"><bsdf type="diffuse"><float name="reflectance" value="1"/></bsdf>'
                 '</shape><emitter type="constant"><float name="radiance" value="1e15"/></emitter>')
    image = finite_render(scene)
    assert image.max() > 1e14
    params = tk.traverse(scene)
    assert params.parameter('Rectangle.bsdf.reflectance.value').value_range is value_ranges.REFLECTANCE


# -- image pixels ---------------------------------------------------------------------------

def write_pfm(path, pixels):
    """A colour PFM (little-endian floats, rows bottom to top) holding ``pixels`` (H, W, 3)."""
    height, width, _ = pixels.shape
    with open(path, 'wb') as file:
        file.write(f'PF\n{width} {height}\n-1.0\n'.encode())
        file.write(np.ascontiguousarray(pixels[::-1], dtype='<f4').tobytes())


def write_rgbe_of_largest_values(path, width=2, height=2):
    """A flat (not run-length encoded) RGBE file whose every pixel is the largest
    value RGBE can store (mantissas 255, exponent 255: about 1.7e38)."""
    header = f'#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y {height} +X {width}\n'.encode()
    with open(path, 'wb') as file:
        file.write(header + struct.pack('4B', 255, 255, 255, 255) * (width * height))


def textured(filename, role='<bsdf type="diffuse">{}</bsdf>'):
    texture = f'<texture type="bitmap" name="reflectance"><string name="filename" value="{filename}"/></texture>'
    return f'<shape type="rectangle">{role.format(texture)}</shape>' + LIGHT


@pytest.mark.parametrize('name, pixel', [('inf.pfm', np.inf), ('huge.pfm', 3e38), ('nan.pfm', np.nan),
                                         ('bright.pfm', 1.5), ('negative.pfm', -1.5)])
def test_image_pixels_are_checked_like_colours(tmp_path, name, pixel):
    pixels = np.full((2, 3, 3), 0.5, np.float32)
    pixels[1, 2, 1] = pixel
    write_pfm(tmp_path / name, pixels)
    with pytest.raises(tk.PluginError, match=name.replace('.', r'\.') + '|reflectance') as error:
        tk.load_string(scene_xml(textured(name), width=8, height=8), base_dir=str(tmp_path))
    assert 'must lie in' in str(error.value)


def test_an_rgbe_file_of_the_largest_values_is_refused(tmp_path):
    write_rgbe_of_largest_values(tmp_path / 'largest.hdr')
    with pytest.raises(tk.PluginError, match=r'largest\.hdr.*\[-1e\+15, 1e\+15\]'):
        tk.load_string(scene_xml(textured('largest.hdr'), width=8, height=8), base_dir=str(tmp_path))


def test_openexr_pixels_beyond_the_colour_bound_are_refused(tmp_path):
    pixels = np.full((2, 2, 3), 0.25, np.float32)
    pixels[0, 0] = 3e38
    tk.Bitmap(pixels).write(str(tmp_path / 'huge.exr'))
    with pytest.raises(tk.PluginError, match='huge.exr'):
        tk.load_string(scene_xml(textured('huge.exr'), width=8, height=8), base_dir=str(tmp_path))


def test_environment_maps_refuse_pixels_beyond_the_colour_bound(tmp_path):
    pixels = np.full((2, 4, 3), 0.5, np.float32)
    pixels[1, 1] = 3e38
    write_pfm(tmp_path / 'sky.pfm', pixels)
    body = '<emitter type="envmap"><string name="filename" value="sky.pfm"/></emitter>'
    with pytest.raises(tk.PluginError, match='above 1e\\+15'):
        tk.load_string(scene_xml(body, width=8, height=8), base_dir=str(tmp_path))


def test_an_environment_map_of_one_pixel_row_renders(tmp_path):
    write_pfm(tmp_path / 'row.pfm', np.full((1, 2, 3), 0.5, np.float32))
    body = '<emitter type="envmap"><string name="filename" value="row.pfm"/></emitter>'
    image = finite_render(tk.load_string(scene_xml(body, width=8, height=8), base_dir=str(tmp_path)))
    np.testing.assert_allclose(image, 0.5, rtol=1e-5)


def test_images_within_the_ranges_render(tmp_path):
    write_pfm(tmp_path / 'ok.pfm', np.linspace(0, 1, 18, dtype=np.float32).reshape(2, 3, 3))
    scene = tk.load_string(scene_xml(textured('ok.pfm'), width=8, height=8), base_dir=str(tmp_path))
    finite_render(scene)
    # The same pixels, assigned: a reflectance texture's pixels keep [-1, 1].
    params = tk.traverse(scene)
    key = 'Rectangle.bsdf.reflectance.data'
    with pytest.raises(tk.ParameterError, match=r'must lie in \[-1, 1\]'):
        params[key] = np.full((2, 3, 3), 3e38)
    with pytest.raises(tk.ParameterError, match='finite'):
        params[key] = tk.TensorXf(np.full((2, 3, 3), np.inf, np.float32))


# -- ParameterMap: the loader's ranges on assignment ----------------------------------------

def rough_scene():
    return load('<shape type="rectangle"><bsdf type="roughdielectric"><float name="alpha" value="0.3"/></bsdf>'
                '</shape><emitter type="constant"/>')


@pytest.mark.parametrize('key, value, message', [
    ('Rectangle.bsdf.alpha.value', -1.0, r'\[0, 1e\+15\] \(a roughness\)'),
    ('Rectangle.bsdf.eta', 0.0, r'\(0, 3\.40282e\+38\] \(an index of refraction\)'),
    ('Rectangle.bsdf.eta', -2.0, 'index of refraction'),
    ('ConstantEmitter.radiance.value', 3e38, r'\[0, 1e\+15\] \(a colour\)'),
    ('ConstantEmitter.radiance.value', [1, -1, 1], 'a colour'),
])
def test_assignments_are_checked_against_the_loaders_ranges(key, value, message):
    params = tk.traverse(rough_scene())
    before = params[key].numpy().copy()
    with pytest.raises(tk.ParameterError, match=message):
        params[key] = value
    np.testing.assert_array_equal(params[key].numpy(), before)


@pytest.mark.parametrize('value', [3e38, -1.5, [0.5, 1.5, 0.5]])
def test_reflectances_are_assigned_within_minus_1_and_1(value):
    params = tk.traverse(small_cbox(8))
    with pytest.raises(tk.ParameterError, match=r'red\.reflectance\.value" must lie in \[-1, 1\]'):
        params['red.reflectance.value'] = value


def test_an_optimizer_may_take_a_reflectance_below_zero():
    # As notebook 3 shows: the optimizer knows nothing about physics; a
    # magnitude up to 1 keeps every path's throughput bounded.
    scene = small_cbox(8)
    params = tk.traverse(scene)
    params['red.reflectance.value'] = [0.5, -0.35, 0.04]
    params.update()
    finite_render(scene)


@pytest.mark.parametrize('make', [lambda: tk.Float(float('nan')), lambda: dr.llvm.ad.Float(float('inf')),
                                  lambda: tk.TensorXf([float('nan')])])
def test_a_drjit_value_of_width_one_must_be_finite(make):
    params = tk.traverse(rough_scene())
    with pytest.raises(tk.ParameterError, match='finite'):
        params['Rectangle.bsdf.alpha.value'] = make()
    with pytest.raises(tk.ParameterError, match='finite'):
        params['ConstantEmitter.radiance.value'] = make()


def test_an_optimizer_cannot_store_nan_through_update():
    scene = small_cbox(8)
    params = tk.traverse(scene)
    key = 'red.reflectance.value'
    before = params[key].numpy().copy()
    opt = tk.ad.Adam(lr=0.1)
    opt[key] = params[key]
    opt[key] = tk.Color3f(float('nan'), 0.5, 0.5)
    with pytest.raises(tk.ParameterError, match='finite'):
        params.update(opt)
    np.testing.assert_array_equal(params[key].numpy(), before)


def test_a_step_that_would_overflow_is_skipped():
    scene = small_cbox(8)
    params = tk.traverse(scene)
    opt = tk.ad.Adam(lr=3e38)
    key = 'red.reflectance.value'
    opt[key] = tk.Color3f(3e38, 3e38, 3e38)
    dr.set_grad(opt[key], tk.Color3f(-1, -1, -1))
    with pytest.warns(RuntimeWarning, match='would not be finite'):
        opt.step()
    assert np.all(opt[key].numpy() == np.float32(3e38))
    assert key not in opt.state


def test_bound_optimizers_keep_steps_inside_the_range():
    params = tk.traverse(rough_scene())
    params.keep(['Rectangle.bsdf.alpha.value', 'Rectangle.bsdf.eta'])
    opt = tk.SGD(params, lr=10)
    dr.set_grad(params['Rectangle.bsdf.alpha.value'], 1.0)
    dr.set_grad(params['Rectangle.bsdf.eta'], 1.0)
    opt.step()
    assert params['Rectangle.bsdf.alpha.value'].numpy()[0] == 0
    assert 0 < params['Rectangle.bsdf.eta'].numpy()[0] <= 1e-37


def test_emptying_normals_with_an_empty_float():
    scene = small_cbox(8)
    params = tk.traverse(scene)
    params['OBJMesh.vertex_normals'] = tk.Float()
    params.update()
    assert dr.width(params['OBJMesh.vertex_normals']) == 0
    finite_render(scene)
    with pytest.raises(tk.ParameterError, match='expects'):
        params['OBJMesh.vertex_positions'] = tk.Float()


# -- extreme but valid values ---------------------------------------------------------------

SPHERE = ('<shape type="sphere"><transform name="to_world"><scale value="1.2"/></transform>{}</shape>'
          '<shape type="rectangle"><transform name="to_world"><translate z="-2"/><scale value="5"/></transform>'
          '<bsdf type="diffuse"/></shape><emitter type="constant"/>')


def derivatives(scene, key, spp=4):
    """(forward, reverse) derivatives of the mean pixel along all ones of ``key``."""
    params = tk.traverse(scene)
    original = dr.detach(params[key])
    direction = np.ones(original.numpy().shape)
    forward = gradients._forward(scene, params, key, original, direction, gradients.mean_objective, spp, 0)
    reverse = gradients._reverse(scene, params, key, original, direction, gradients.mean_objective, spp, 0)
    return forward, reverse


@pytest.mark.parametrize('bsdf, key', [
    ('<bsdf type="roughdielectric"><float name="alpha" value="1e10"/></bsdf>', 'Sphere.bsdf.alpha.value'),
    ('<bsdf type="roughconductor"><float name="alpha" value="1e15"/>'
     '<string name="distribution" value="ggx"/></bsdf>', 'Sphere.bsdf.alpha.value'),
    ('<bsdf type="dielectric"><float name="int_ior" value="1e-30"/></bsdf>', 'Sphere.bsdf.eta'),
    ('<bsdf type="roughdielectric"><float name="int_ior" value="1e-30"/></bsdf>', 'Sphere.bsdf.eta'),
    ('<bsdf type="thindielectric"><float name="int_ior" value="1e30"/></bsdf>', 'Sphere.bsdf.eta'),
    ('<bsdf type="roughconductor"><float name="eta" value="0"/><float name="k" value="1e15"/></bsdf>',
     'Sphere.bsdf.k.value'),
    ('<bsdf type="roughconductor"><float name="eta" value="1e15"/><float name="k" value="0"/></bsdf>',
     'Sphere.bsdf.eta.value'),
    ('<bsdf type="roughplastic"><float name="alpha" value="1e15"/><float name="int_ior" value="1e-30"/></bsdf>',
     'Sphere.bsdf.eta'),
])
def test_extreme_valid_values_give_finite_images_and_derivatives(bsdf, key):
    scene = load(SPHERE.format(bsdf))
    finite_render(scene, spp=4)
    forward, reverse = derivatives(scene, key)
    assert np.isfinite(forward) and np.isfinite(reverse), (forward, reverse)

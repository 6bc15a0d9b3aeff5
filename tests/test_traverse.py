"""traverse and ParameterMap: names, printing, keep, checked assignment, update."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX, scene_xml

RED = 'red.reflectance.value'


@pytest.fixture
def cbox():
    return tk.load_file(CBOX)


def test_names_follow_mitsuba(cbox):
    keys = tk.traverse(cbox).keys()
    for key in ['box.reflectance.value', 'white.reflectance.value', RED, 'green.reflectance.value',
                'light.reflectance.value', 'OBJMesh.emitter.radiance.value', 'OBJMesh.vertex_positions',
                'OBJMesh.vertex_normals', 'OBJMesh.vertex_texcoords', 'OBJMesh.faces',
                'OBJMesh.vertex_count', 'OBJMesh.face_count', 'OBJMesh_1.vertex_positions',
                'OBJMesh_7.vertex_positions', 'PerspectiveCamera.to_world', 'PerspectiveCamera.fov']:
        assert key in keys, key
    assert 'OBJMesh_8.vertex_positions' not in keys
    # BSDFs come in file order, before the meshes that reference them.
    bsdfs = [k for k in keys if k.endswith('reflectance.value')]
    assert bsdfs == ['box.reflectance.value', 'white.reflectance.value', RED,
                     'green.reflectance.value', 'light.reflectance.value']


def test_red_reflectance_prints_as_in_the_tutorial(cbox):
    value = tk.traverse(cbox)[RED]
    assert np.allclose(value.numpy().ravel(), [0.569717, 0.0430141, 0.0443234], atol=1e-3)
    assert str(value).startswith('[[0.5697')


def test_printing_and_keep(cbox):
    params = tk.traverse(cbox)
    text = repr(params)
    assert text.startswith('ParameterMap[\n') and '  * red.reflectance.value,\n' in text
    assert '    OBJMesh.faces,' in text            # integers are not differentiable
    params.keep([RED])
    assert repr(params) == 'ParameterMap[\n  * red.reflectance.value\n]'


def test_keep_regex(cbox):
    params = tk.traverse(cbox)
    params.keep(r'.*reflectance\.value')
    assert len(params) == 5


def test_keep_unknown_key(cbox):
    params = tk.traverse(cbox)
    with pytest.raises(tk.ParameterError, match='no parameter named "blue.reflectance.value"'):
        params.keep(['blue.reflectance.value'])
    assert len(params) > 5                          # nothing was dropped
    with pytest.raises(tk.ParameterError, match='no parameter matches'):
        params.keep('nothing.*')


@pytest.mark.parametrize('value', [[.9, .8, .7], (.9, .8, .7), np.array([.9, .8, .7]),
                                   np.array([[.9, .8, .7]]), 'color3f'])
def test_assign_colour(cbox, value):
    params = tk.traverse(cbox)
    if isinstance(value, str):
        value = tk.Color3f(.9, .8, .7)
    params[RED] = value
    params.update()
    assert np.allclose(params[RED].numpy().ravel(), [.9, .8, .7])
    assert np.allclose(cbox.shapes()[5].bsdf().reflectance.value.numpy().ravel(), [.9, .8, .7])


@pytest.mark.parametrize('value, message', [
    ([1, 2], '3 numbers'), ('red', 'expects an RGB'), ([1, float('nan'), 0], 'finite'), (None, 'expects'),
])
def test_bad_colour_keeps_old_value(cbox, value, message):
    params = tk.traverse(cbox)
    before = params[RED].numpy().copy()
    with pytest.raises(tk.ParameterError, match=message):
        params[RED] = value
    assert np.array_equal(params[RED].numpy(), before)


def test_bad_assignments_to_meshes(cbox):
    params = tk.traverse(cbox)
    with pytest.raises(tk.ParameterError, match='multiple of 3'):
        params['OBJMesh.vertex_positions'] = np.zeros(10)
    with pytest.raises(tk.ParameterError, match='outside'):
        params['OBJMesh.faces'] = np.array([0, 1, 7, 0, 2, 3])
    with pytest.raises(tk.ParameterError, match='integers'):
        params['OBJMesh.faces'] = np.array([0.5, 1, 2])
    with pytest.raises(tk.ParameterError, match='read-only'):
        params['OBJMesh.vertex_count'] = 3
    with pytest.raises(tk.ParameterError, match='invertible'):
        params['PerspectiveCamera.to_world'] = np.zeros((4, 4))
    with pytest.raises(tk.ParameterError, match=r'in \(0, 179\] degrees'):
        params['PerspectiveCamera.fov'] = 200
    with pytest.raises(tk.ParameterError, match='no parameter named'):
        params['nope'] = 1
    assert params['OBJMesh.vertex_count'] == 4


def test_update_moves_geometry(cbox):
    """Moving the light's vertices rebuilds the BVH: the light leaves the picture."""
    params = tk.traverse(cbox)
    before = tk.render(cbox, spp=2, seed=1).numpy()
    positions = params['OBJMesh.vertex_positions'].numpy().reshape(-1, 3)
    params['OBJMesh.vertex_positions'] = positions + [0, -5000, 0]   # below the floor
    params.update()
    after = tk.render(cbox, spp=2, seed=1).numpy()
    assert after.mean() < 0.05 * before.mean()
    assert cbox.shapes()[0].surface_area() == pytest.approx(130 * 105, rel=1e-4)


def test_live_value_is_returned(cbox):
    params = tk.traverse(cbox)
    value = params[RED]
    dr.enable_grad(value)
    assert dr.grad_enabled(tk.traverse(cbox)[RED])


def test_unnamed_objects_are_numbered():
    scene = tk.load_string(scene_xml('<shape type="cube"/><shape type="cube"><bsdf type="diffuse"/></shape>'
                                     '<shape type="rectangle"><emitter type="area"/></shape>'))
    keys = tk.traverse(scene).keys()
    assert 'Cube.bsdf.reflectance.value' in keys
    assert 'Cube_1.bsdf.reflectance.value' in keys
    assert 'Rectangle.emitter.radiance.value' in keys


@pytest.mark.parametrize('key, value, message', [
    ('red.reflectance.value', 10 ** 400, 'RGB colour'),         # beyond float64: not an OverflowError
    ('OBJMesh.faces', [True, 1, 2], 'integers'),                # NumPy would make the bool a 1
])
def test_assignments_refuse_what_numpy_would_mangle(cbox, key, value, message):
    params = tk.traverse(cbox)
    before = np.array(params[key])
    with pytest.raises(tk.ParameterError, match=message):
        params[key] = value
    assert np.array_equal(np.array(params[key]), before)


def test_a_dr_jit_float_parameter_must_be_finite():
    scene = tk.load_string(scene_xml('<shape type="rectangle"><bsdf type="roughconductor">'
                                     '<float name="alpha" value="0.2"/></bsdf></shape>'))
    params = tk.traverse(scene)
    key = next(k for k in params.keys() if k.endswith('alpha.value') or k.endswith('.alpha'))
    with pytest.raises(tk.ParameterError, match='finite'):
        params[key] = tk.Float(float('nan'))
    params[key] = tk.Float(0.3)                                 # a finite one is kept as it is


def test_an_empty_dr_jit_float_clears_texture_coordinates(cbox):
    params = tk.traverse(cbox)
    key = 'OBJMesh.vertex_texcoords'
    assert dr.width(params[key]) == 0
    params[key] = params[key]
    assert params.update() == [key]

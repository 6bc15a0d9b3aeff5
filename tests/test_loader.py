"""The XML loader: versions, parameters, references, values and every bad input."""
import os
import warnings

import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.io.loader import upgrade_tree, parse_text
from helpers import CBOX, CBOX_RGB, SECOND, scene_xml

RECT = '<shape type="rectangle"><bsdf type="diffuse"/></shape>'


def load(text, tmp_path=None, **kwargs):
    return tk.load_string(text, base_dir=str(tmp_path or '.'), **kwargs)


def test_bundled_scenes_load():
    for path in (CBOX, CBOX_RGB, SECOND):
        scene = tk.load_file(path)
        assert len(scene.shapes()) > 0 and len(scene.emitters()) > 0


def test_version_0_5_cbox_is_upgraded():
    scene = tk.load_file(CBOX)
    sensor = scene.sensors()[0]
    assert sensor.film().crop_size() == (512, 512)
    assert sensor.sampler().sample_count() == 64
    assert sensor.fov_axis == 'smaller' and sensor.fov == pytest.approx(39.3077)
    assert scene.integrator().max_depth == 3
    assert np.allclose(sensor.to_world[:3, 3], [278, 273, -800])


def test_upgrade_renames_camel_case_and_lookAt():
    root = parse_text(b'<scene version="0.5.0"><sensor type="perspective"><transform name="toWorld">'
                       b'<lookAt origin="0,0,0" target="0,0,1" up="0,1,0"/></transform>'
                       b'<float name="nearClip" value="1"/></sensor></scene>', 'x.xml')
    upgrade_tree(root)
    sensor = root.children[0]
    assert sensor.children[0].attrib['name'] == 'to_world'
    assert sensor.children[0].children[0].tag == 'lookat'
    assert sensor.children[1].attrib['name'] == 'near_clip'


def test_version_3_and_0_give_the_same_scene():
    body = '<integrator type="path"><integer name="{}" value="4"/></integrator>' + RECT
    old = load(scene_xml(body.format('maxDepth'), version='0.6.0'))
    new = load(scene_xml(body.format('max_depth'), version='3.0.0'))
    assert old.integrator().max_depth == new.integrator().max_depth == 4


@pytest.mark.parametrize('version', ['4.0.0', '0.5', 'abc'])
def test_unsupported_version(version):
    with pytest.raises(tk.XMLError, match='version'):
        load(scene_xml(RECT, version=version))


def test_missing_version():
    with pytest.raises(tk.XMLError, match='version'):
        load('<scene><shape type="rectangle"/></scene>')


def test_defaults_and_substitution():
    text = '<scene version="3.0.0"><default name="depth" value="7"/>' \
           '<integrator type="path"><integer name="max_depth" value="$depth"/></integrator></scene>'
    assert load(text).integrator().max_depth == 7
    assert load(text, depth=2).integrator().max_depth == 2
    with pytest.raises(tk.XMLError, match=r'\$spp'):
        load(scene_xml(RECT, spp='$spp'))


def test_ref_and_nested_bsdfs():
    text = scene_xml('''
        <bsdf type="diffuse" id="grey"><rgb name="reflectance" value="0.25"/></bsdf>
        <bsdf type="twosided" id="both"><bsdf type="diffuse"><rgb name="reflectance" value="0.1, 0.2, 0.3"/></bsdf></bsdf>
        <shape type="rectangle"><ref id="grey"/></shape>
        <shape type="cube"><ref name="bsdf" id="both"/></shape>''')
    scene = load(text)
    assert scene.shapes()[0].bsdf().id == 'grey'
    assert np.allclose(scene.shapes()[0].bsdf().reflectance.value.numpy(), 0.25)
    assert np.allclose(scene.shapes()[1].bsdf().front.reflectance.value.numpy().ravel(), [0.1, 0.2, 0.3])


def test_include(tmp_path):
    (tmp_path / 'part.xml').write_text('<scene version="3.0.0"><bsdf type="diffuse" id="inc"/></scene>')
    text = scene_xml('<include filename="part.xml"/><shape type="rectangle"><ref id="inc"/></shape>')
    scene = load(text, tmp_path)
    assert scene.shapes()[0].bsdf().id == 'inc'


def test_include_cycle(tmp_path):
    (tmp_path / 'a.xml').write_text('<scene version="3.0.0"><include filename="b.xml"/></scene>')
    (tmp_path / 'b.xml').write_text('<scene version="3.0.0"><include filename="a.xml"/></scene>')
    with pytest.raises(tk.XMLError, match='includes itself'):
        tk.load_file(tmp_path / 'a.xml')


def test_values():
    text = scene_xml('''<shape type="rectangle">
        <transform name="to_world">
            <scale value="2"/><scale x="1" y="3"/><rotate x="1" angle="90"/>
            <rotate value="0, 0, 1" angle="90"/><translate x="1" z="-2"/>
            <matrix value="1 0 0 0  0 1 0 0  0 0 1 0  0 0 0 1"/>
        </transform>
        <bsdf type="diffuse"><spectrum name="reflectance" value="0.5"/></bsdf>
        <emitter type="area"><rgb name="radiance" value="1, 2, 3"/></emitter>
    </shape>''')
    mesh = load(text).shapes()[0]
    positions = mesh.vertex_positions.numpy().reshape(-1, 3)
    # (-1,-1,0) -> scale (-2,-6,0) -> rot x 90 (-2,0,-6) -> rot z 90 (0,-2,-6) -> translate (1,-2,-8)
    assert np.allclose(positions[0], [1, -2, -8], atol=1e-5)
    assert np.allclose(mesh.bsdf().reflectance.value.numpy(), 0.5)
    assert np.allclose(mesh.emitter().radiance.value.numpy().ravel(), [1, 2, 3])


def test_spectrum_pairs_become_rgb():
    scene = tk.load_file(CBOX)
    red = tk.traverse(scene)['red.reflectance.value']
    assert np.allclose(red.numpy().ravel(), [0.569717, 0.0430141, 0.0443234], atol=1e-3)


def test_unused_parameter_is_refused_naming_line_and_nearest_name():
    with pytest.raises(tk.PluginError, match=r'<string>:12: parameter "reflectanse" is not used by plugin "diffuse" '
                                             r'\(did you mean "reflectance"\?\)'):
        load(scene_xml('<shape type="rectangle"><bsdf type="diffuse"><rgb name="reflectanse" value="1"/></bsdf></shape>'))
    with tk.lenient_loading():
        with pytest.warns(tk.SceneWarning, match='"colour" is not used by plugin "diffuse"'):
            load(scene_xml('<shape type="rectangle"><bsdf type="diffuse"><rgb name="colour" value="1"/></bsdf></shape>'))


@pytest.mark.parametrize('element, message', [
    ('<bsdf type="diffuse"><rgb name="reflectance" valeu="1"/></bsdf>',
     r'<rgb> requires the attribute "value" \(found "valeu": did you mean "value"\?\)'),
    ('<float nmae="radius" value="1"/>', r'<float> requires the attribute "name" \(found "nmae"'),
    ('<transform name="to_world"><translat x="1"/></transform>',
     r'unknown transform operation <translat> \(did you mean <translate>\?'),
])
def test_misspelt_attributes_and_transform_operations_are_named(element, message):
    with pytest.raises(tk.XMLError, match=r'<string>:\d+: ' + message):
        load(scene_xml(f'<shape type="sphere">{element}</shape>'))


def test_arguments_that_set_no_parameter_are_refused_with_the_nearest_name():
    text = ('<scene version="3.0.0"><default name="res" value="8"/>'
            '<sensor type="perspective"><film type="hdrfilm"><integer name="width" value="$res"/>'
            '<integer name="height" value="$res"/></film></sensor></scene>')
    with pytest.raises(tk.SceneError, match=r'the argument rez=64 sets no \$parameter of the scene '
                                           r'\(did you mean "res"\?\)'):
        load(text, rez=64)
    with pytest.raises(tk.SceneError, match=r'the argument spp=4 sets no \$parameter of the scene$'):
        tk.load_file(CBOX, spp=4)
    with tk.lenient_loading():
        with pytest.warns(tk.SceneWarning, match='rez=64'):
            scene = load(text, rez=64)
    assert scene.sensors()[0].film().crop_size() == (8, 8)
    assert load(text, res=4).sensors()[0].film().crop_size() == (4, 4)


def test_bundled_scenes_load_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for path in (CBOX, CBOX_RGB, SECOND):
            tk.load_file(path)


BAD_SCENES = {
    'malformed': ('<scene version="3.0.0"><shape type="cube"></scene>', tk.XMLError, 'malformed XML'),
    'truncated': ('<scene version="3.0.0"><shape type="cube">', tk.XMLError, 'malformed XML'),
    'entity': ('<?xml version="1.0"?><!DOCTYPE scene [<!ENTITY x "y">]><scene version="3.0.0"/>',
               tk.XMLError, 'entity'),
    'unknown plugin': (scene_xml('<shape type="teapot"/>'), tk.PluginError, 'unknown shape plugin "teapot"'),
    'unknown element': (scene_xml('<shap type="cube"/>'), tk.XMLError, 'unknown element <shap>'),
    'wrong type': (scene_xml('<integrator type="path"><string name="max_depth" value="3"/></integrator>'),
                   tk.PluginError, 'must be an <integer>'),
    'bad number': (scene_xml('<integrator type="path"><integer name="max_depth" value="three"/></integrator>'),
                   tk.XMLError, 'expects an integer'),
    'bad rgb count': (scene_xml('<shape type="cube"><bsdf type="diffuse"><rgb name="reflectance" value="1, 2"/></bsdf></shape>'),
                      tk.XMLError, 'expects 1 or 3'),
    'bad spectrum': (scene_xml('<shape type="cube"><bsdf type="diffuse"><spectrum name="reflectance" value="400:a, 500:1"/></bsdf></shape>'),
                     tk.XMLError, 'spectrum'),
    'dangling ref': (scene_xml('<shape type="cube"><ref id="nowhere"/></shape>'), tk.SceneError, 'nowhere'),
    'duplicate id': (scene_xml('<bsdf type="diffuse" id="a"/><bsdf type="diffuse" id="a"/>'),
                     tk.XMLError, 'used twice'),
    'empty film': (scene_xml(RECT, width=0), tk.PluginError, 'positive size'),
    'negative film': (scene_xml(RECT, height=-5), tk.PluginError, 'positive size'),
    'missing mesh': (scene_xml('<shape type="obj"><string name="filename" value="nope.obj"/></shape>'),
                     tk.MeshError, 'nope.obj'),
    'bad fov axis': (scene_xml(RECT, extra_sensor='<string name="fov_axis" value="z"/>'),
                     tk.PluginError, 'fov_axis'),
    'zero rotate axis': (scene_xml('<shape type="cube"><transform name="to_world"><rotate angle="3"/></transform></shape>'),
                         tk.XMLError, 'non-zero axis'),
    'singular transform': (scene_xml('<shape type="cube"><transform name="to_world"><scale value="0"/></transform></shape>'),
                           tk.XMLError, 'invertible'),
    'no type': (scene_xml('<shape/>'), tk.XMLError, 'requires the attribute "type"'),
    'two bsdfs': (scene_xml('<shape type="cube"><bsdf type="diffuse"/><bsdf type="diffuse"/></shape>'),
                  tk.PluginError, 'at most one <bsdf>'),
    'repeated parameter': (scene_xml('<integrator type="path"><integer name="max_depth" value="1"/>'
                                     '<integer name="max_depth" value="2"/></integrator>'), tk.PluginError, 'twice'),
    'negative depth': (scene_xml('<integrator type="path"><integer name="max_depth" value="-3"/></integrator>'),
                       tk.PluginError, 'max_depth'),
}


@pytest.mark.parametrize('name', list(BAD_SCENES))
def test_bad_scene(name, tmp_path):
    text, error, message = BAD_SCENES[name]
    path = tmp_path / 'bad.xml'
    path.write_text(text)
    with pytest.raises(error, match=message) as info:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            tk.load_file(path)
    assert 'bad.xml' in str(info.value)


def test_error_names_the_line(tmp_path):
    path = tmp_path / 'bad.xml'
    path.write_text('<scene version="3.0.0">\n\n  <integrator type="path">\n'
                    '    <integer name="max_depth" value="x"/>\n  </integrator>\n</scene>')
    with pytest.raises(tk.XMLError) as info:
        tk.load_file(path)
    assert info.value.line == 4 and f'{path}:4:' in str(info.value)


def test_missing_file():
    with pytest.raises(tk.XMLError, match='cannot read'):
        tk.load_file('does/not/exist.xml')


def test_binary_garbage(tmp_path):
    path = tmp_path / 'garbage.xml'
    path.write_bytes(os.urandom(2000))
    with pytest.raises(tk.SceneError):
        tk.load_file(path)


@pytest.mark.parametrize('content, message', [
    ('v 0 0 0\nv 1 0 0\nv 0 1 x\nf 1 2 3\n', 'x'),
    ('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n', 'out of range'),
])
def test_malformed_mesh_names_both_files(tmp_path, content, message):
    (tmp_path / 'bad.obj').write_text(content)
    scene = tmp_path / 'scene.xml'
    scene.write_text(scene_xml('<shape type="obj"><string name="filename" value="bad.obj"/></shape>'))
    with pytest.raises(tk.MeshError, match=message) as info:
        tk.load_file(scene)
    assert 'bad.obj' in str(info.value) and 'scene.xml' in str(info.value)


def test_field_of_view_axes():
    from tutorial_kit.plugins.sensors.perspective import x_fov
    assert x_fov(40, 'x', 400, 200) == pytest.approx(40)
    half_y = np.tan(np.radians(20))
    assert x_fov(40, 'y', 400, 200) == pytest.approx(np.degrees(2 * np.arctan(2 * half_y)))
    assert x_fov(40, 'smaller', 400, 200) == pytest.approx(x_fov(40, 'y', 400, 200))
    assert x_fov(40, 'larger', 400, 200) == pytest.approx(40)
    assert x_fov(40, 'smaller', 200, 400) == pytest.approx(40)
    diagonal = np.degrees(2 * np.arctan(half_y * 2 / np.sqrt(5)))
    assert x_fov(40, 'diagonal', 400, 200) == pytest.approx(diagonal)

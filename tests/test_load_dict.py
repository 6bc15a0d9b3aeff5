"""``tk.load_dict``: scenes and plugins from nested dictionaries, as Mitsuba 3 reads them.

A dictionary scene must equal the same scene written in XML (same seed: the
same image, bit for bit), bad dictionaries are refused with the loader's
errors naming the key path, and Mitsuba 3 renders a simple dictionary scene
like we do.
"""
import warnings

import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.renderer.bsdf import BSDF

T = tk.ScalarTransform4f

XML = """<scene version="3.0.0">
    <integrator type="path"><integer name="max_depth" value="4"/></integrator>
    <sensor type="perspective">
        <float name="fov" value="45"/>
        <transform name="to_world"><lookat origin="0, -4, 2.5" target="0, 0, 0.3" up="0, 0, 1"/></transform>
        <film type="hdrfilm"><integer name="width" value="32"/><integer name="height" value="24"/>
            <rfilter type="box"/></film>
        <sampler type="independent"><integer name="sample_count" value="4"/></sampler>
    </sensor>
    <bsdf type="diffuse" id="red"><rgb name="reflectance" value="0.7, 0.1, 0.1"/></bsdf>
    <emitter type="constant"><rgb name="radiance" value="0.2, 0.25, 0.3"/></emitter>
    <shape type="rectangle">
        <transform name="to_world"><scale value="3"/></transform>
        <bsdf type="diffuse">
            <texture type="checkerboard" name="reflectance">
                <rgb name="color0" value="0.8"/><rgb name="color1" value="0.2"/>
            </texture>
        </bsdf>
    </shape>
    <shape type="cube">
        <transform name="to_world"><scale value="0.4"/><rotate z="1" angle="30"/>
            <translate x="0.2" y="0" z="0.4"/></transform>
        <ref id="red"/>
    </shape>
    <shape type="rectangle">
        <transform name="to_world"><scale value="0.5"/><rotate x="1" angle="180"/>
            <translate z="2.5"/></transform>
        <emitter type="area"><rgb name="radiance" value="12, 11, 10"/></emitter>
    </shape>
</scene>"""


def scene_dict():
    """XML as a dictionary: the same objects in the same order."""
    return {
        'type': 'scene',
        'integrator': {'type': 'path', 'max_depth': 4},
        'sensor': {
            'type': 'perspective', 'fov': 45,
            'to_world': T().look_at(origin=[0, -4, 2.5], target=[0, 0, 0.3], up=[0, 0, 1]),
            'film': {'type': 'hdrfilm', 'width': 32, 'height': 24, 'rfilter': {'type': 'box'}},
            'sampler': {'type': 'independent', 'sample_count': 4},
        },
        'red': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.7, 0.1, 0.1]}},
        'sky': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': [0.2, 0.25, 0.3]}},
        'floor': {'type': 'rectangle', 'to_world': T().scale(3),
                  'bsdf': {'type': 'diffuse',
                           'reflectance': {'type': 'checkerboard',
                                           'color0': {'type': 'rgb', 'value': 0.8},
                                           'color1': {'type': 'rgb', 'value': 0.2}}}},
        'box': {'type': 'cube',
                'to_world': T().translate([0.2, 0, 0.4]).rotate([0, 0, 1], 30).scale(0.4),
                'bsdf': {'type': 'ref', 'id': 'red'}},
        'lamp': {'type': 'rectangle',
                 'to_world': T().translate([0, 0, 2.5]).rotate([1, 0, 0], 180).scale(0.5),
                 'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': [12, 11, 10]}}},
    }


def image(scene, seed=5):
    return np.asarray(tk.render(scene, seed=seed).numpy(), dtype=np.float64)


def test_dict_scene_renders_as_the_xml_scene():
    from_xml, from_dict = tk.load_string(XML), tk.load_dict(scene_dict())
    assert np.array_equal(image(from_xml), image(from_dict))
    assert image(from_dict).mean() > 0.05


def test_keys_of_scene_objects_are_their_ids():
    scene = tk.load_dict(scene_dict())
    params = tk.traverse(scene)
    assert {'red.reflectance.value', 'sky.radiance.value', 'floor.bsdf.reflectance.color0.value',
            'box.vertex_positions', 'lamp.emitter.radiance.value', 'sensor.fov'} <= set(params.keys())
    assert [shape.id for shape in scene.shapes()] == ['floor', 'box', 'lamp']
    assert scene.shapes()[1].bsdf() is scene.children[2]      # the reference is the object
    assert scene.shapes()[0].bsdf().id == ''                   # nested objects are named by role


def test_explicit_id_wins_over_the_key():
    description = scene_dict()
    description['red']['id'] = 'crimson'
    description['box']['bsdf'] = {'type': 'ref', 'id': 'crimson'}
    params = tk.traverse(tk.load_dict(description))
    assert 'crimson.reflectance.value' in params and 'red.reflectance.value' not in params


def test_single_plugin_and_object_passed_in():
    bsdf = tk.load_dict({'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.1, 0.5, 0.2]}})
    assert isinstance(bsdf, BSDF) and bsdf.id == '' and bsdf.id() == ''
    description = scene_dict()
    description['box']['bsdf'] = bsdf
    scene = tk.load_dict(description)
    assert scene.shapes()[1].bsdf() is bsdf
    assert 'box.bsdf.reflectance.value' in tk.traverse(scene)


def test_spectrum_and_plain_values():
    bsdf = tk.load_dict({'type': 'diffuse', 'reflectance': {'type': 'spectrum', 'value': 0.25}})
    assert np.allclose(bsdf.reflectance.value.numpy(), 0.25)
    pairs = [(400, 0.5), (500, 0.5), (600, 0.5), (700, 0.5)]
    as_pairs = tk.load_dict({'type': 'diffuse', 'reflectance': {'type': 'spectrum', 'value': pairs}})
    as_text = tk.load_string('<scene version="3.0.0"><bsdf type="diffuse" id="b"><spectrum name="reflectance" '
                             'value="400:0.5, 500:0.5, 600:0.5, 700:0.5"/></bsdf></scene>').children[0]
    assert np.allclose(as_pairs.reflectance.value.numpy(), as_text.reflectance.value.numpy())


def test_unused_entries_are_refused_with_the_key_path_and_the_nearest_name():
    with pytest.raises(tk.PluginError, match=r'^dict: parameter "colour" is not used by plugin "diffuse" '
                                             r'\(valid names: reflectance\)'):
        tk.load_dict({'type': 'diffuse', 'colour': 0.5})
    with pytest.raises(tk.PluginError, match=r'^floor\.bsdf: parameter "reflectanse" is not used by plugin '
                                             r'"diffuse" \(did you mean "reflectance"\?\)'):
        tk.load_dict({'type': 'scene', 'floor': {'type': 'rectangle',
                                                 'bsdf': {'type': 'diffuse', 'reflectanse': 0.5}}})
    with pytest.raises(tk.PluginError, match=r'"max_depht" is not used by plugin "path" \(did you mean "max_depth"'):
        tk.load_dict({'type': 'path', 'max_depht': 3})


def test_lenient_loading_warns_about_unused_entries_instead():
    with tk.lenient_loading():
        with pytest.warns(tk.SceneWarning, match=r'dict: parameter "colour" is not used by plugin "diffuse"'):
            bsdf = tk.load_dict({'type': 'diffuse', 'colour': 0.5})
    assert bsdf.reflectance.value.numpy().ravel()[0] == pytest.approx(0.5)
    with pytest.raises(tk.PluginError):
        tk.load_dict({'type': 'diffuse', 'colour': 0.5})


def test_keys_that_a_dotted_path_cannot_show_plainly_are_bracketed():
    with pytest.raises(tk.SceneError, match=r"^\['a\.b'\]\.bsdf: .*needs a \"type\""):
        tk.load_dict({'type': 'scene', 'a.b': {'type': 'rectangle', 'bsdf': {}}})


def recursive():
    pattern = {'type': 'checkerboard'}
    pattern['color0'] = pattern
    return {'type': 'scene', 'pattern': pattern}


def deep(levels):
    bsdf = {'type': 'diffuse'}
    for _ in range(levels):
        bsdf = {'type': 'twosided', 'bsdf': bsdf}
    return {'type': 'scene', 'shape': {'type': 'rectangle', 'bsdf': bsdf}}


@pytest.mark.parametrize('description, error, message', [
    ([1, 2], tk.SceneError, 'load_dict expects a dict, got list'),
    ({'type': 'scene', 'sphere': {'type': 'rectangle', 'bsdf': {'type': 'x'}}}, tk.PluginError,
     r"^sphere\.bsdf: unknown bsdf plugin \"x\" \(known: conductor, .*diffuse"),
    ({'type': 'scene', 'thing': {'type': 'x'}}, tk.PluginError, r"^thing: unknown plugin \"x\""),
    ({'type': 'nothing'}, tk.PluginError, r'^dict: unknown plugin "nothing"'),
    ({'type': 'scene', 's': {'bsdf': {}}}, tk.SceneError, r"s: .*needs a \"type\""),
    ({'type': 'scene', 's': {'type': 'rectangle', 'bsdf': {'type': 'diffuse', 'reflectance':
                                                           {'type': 'rgb', 'value': 'a'}}}},
     tk.SceneError, r"s\.bsdf\.reflectance: expected a number, got 'a'"),
    ({'type': 'scene', 's': {'type': 'rectangle', 'bsdf': {'type': 'diffuse', 'reflectance':
                                                           {'type': 'rgb', 'value': [1, 2]}}}},
     tk.SceneError, 'an rgb value is 1 or 3 numbers, got 2'),
    ({'type': 'scene', 's': {'type': 'rectangle', 'to_world': 3}}, tk.PluginError,
     r"s: parameter \"to_world\" of plugin \"rectangle\" must be a <transform>"),
    ({'type': 'scene', 's': {'type': 'rectangle', 'to_world': T().scale(0)}}, tk.SceneError,
     r"s\.to_world: the transform is not an invertible affine transform"),
    ({'type': 'scene', 's': {'type': 'rectangle', 'flip_normals': None}}, tk.SceneError,
     r"s\.flip_normals: parameter \"flip_normals\" cannot be a NoneType"),
    ({'type': 'scene', 'e': {'type': 'constant', 'radiance': 1e39}}, tk.SceneError,
     r"e\.radiance: expected numbers within the 32-bit float range"),
    ({'type': 'scene', 'e': {'type': 'constant', 'radiance': float('nan')}}, tk.SceneError,
     'within the 32-bit float range'),
    ({'type': 'scene', 'i': {'type': 'path', 'max_depth': 2 ** 40}}, tk.SceneError,
     r"i\.max_depth: an integer must lie in"),
    ({'type': 'scene', 'x': {'type': 'ref', 'id': 'zz'}}, tk.SceneError,
     r"x: the reference to \"zz\" names no object defined before it"),
    ({'type': 'scene', 'inner': {'type': 'scene'}}, tk.SceneError, 'a scene cannot be nested'),
    ({'type': 'scene', 's': {'type': 'rectangle', 'film': {'type': 'hdrfilm'}}}, tk.PluginError,
     r"s\.film: <film> cannot stand inside <shape>"),
    ({'type': 'scene', 'a': {'type': 'path'}, 'b': {'type': 'path'}}, tk.PluginError,
     'takes at most one <integrator>'),
    ({'type': 'scene', 'a': {'type': 'diffuse', 'id': 'x'}, 'b': {'type': 'diffuse', 'id': 'x'}},
     tk.SceneError, r"b: the id \"x\" is used twice"),
    ({'type': 'scene', 'a': {'type': 'diffuse', 'id': 3}}, tk.SceneError, 'an id must be a non-empty string'),
    ({'type': 'scene', 3: {'type': 'diffuse'}}, tk.SceneError, 'parameter names are non-empty strings'),
    (recursive(), tk.SceneError, 'the dictionary contains itself'),
    (deep(300), tk.PluginError, 'nested more than 256 deep'),
])
def test_bad_dicts_are_refused(description, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', tk.SceneWarning)
        with pytest.raises(error, match=message):
            tk.load_dict(description)


def test_failed_load_leaves_objects_passed_in_unchanged():
    bsdf = tk.load_dict({'type': 'diffuse'})
    description = {'type': 'scene', 'a': {'type': 'rectangle', 'bsdf': bsdf},
                   'b': {'type': 'rectangle', 'bsdf': {'type': 'nope'}}}
    with pytest.raises(tk.PluginError, match='unknown bsdf plugin "nope"'):
        tk.load_dict(description)
    assert bsdf.id == '' and not hasattr(bsdf, 'shape')
    # The same dictionary, repaired, loads.
    description['b']['bsdf'] = {'type': 'diffuse'}
    assert len(tk.load_dict(description).shapes()) == 2


@pytest.mark.mitsuba
def test_same_image_as_mitsuba_load_dict():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')

    def description(lib):
        return {
            'type': 'scene',
            'integrator': {'type': 'path', 'max_depth': 3},
            'sensor': {'type': 'perspective', 'fov': 40,
                       'to_world': lib.ScalarTransform4f().look_at(origin=[0, -3, 3], target=[0, 0, 0],
                                                                   up=[0, 0, 1]),
                       'film': {'type': 'hdrfilm', 'width': 32, 'height': 32, 'rfilter': {'type': 'box'}}},
            'light': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': [0.8, 0.9, 1.0]}},
            'floor': {'type': 'rectangle',
                      'bsdf': {'type': 'diffuse',
                               'reflectance': {'type': 'rgb', 'value': [0.6, 0.3, 0.2]}}},
        }
    ours = np.asarray(tk.render(tk.load_dict(description(tk)), spp=64, seed=1).numpy())
    theirs = np.asarray(mi.render(mi.load_dict(description(mi)), spp=64, seed=1).numpy())
    assert ours.shape == theirs.shape == (32, 32, 3)
    # Channel means within 1.5 % (noise at 64 spp is far below that for this scene).
    assert np.allclose(ours.mean(axis=(0, 1)), theirs.mean(axis=(0, 1)), rtol=0.015)


def test_a_bitmap_texture_takes_its_pixels_as_an_array(tmp_path):
    pixels = np.random.default_rng(1).random((4, 6, 3)).astype(np.float32)
    path = str(tmp_path / 'pixels.exr')
    tk.write_bitmap(path, pixels)
    from_file = tk.load_dict({'type': 'bitmap', 'filename': path})
    for data in (pixels, tk.TensorXf(pixels)):
        from_array = tk.load_dict({'type': 'bitmap', 'data': data})
        assert from_array.resolution == (4, 6, 3)
        assert np.allclose(from_array.data.numpy(), from_file.data.numpy())
    scene = tk.load_dict({'type': 'scene', 'r': {'type': 'rectangle', 'bsdf': {
        'type': 'diffuse', 'reflectance': {'type': 'bitmap', 'data': pixels[:, :, :1]}}}})
    assert tk.traverse(scene)['r.bsdf.reflectance.data'].shape == (4, 6, 1)


def test_a_bitmap_texture_takes_a_bitmap_as_a_file_with_its_pixels(tmp_path):
    rng = np.random.default_rng(2)
    for shape in ((5, 7, 3), (4, 3, 4), (3, 5, 1)):
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        path = str(tmp_path / 'pixels.png')
        bitmap = tk.Bitmap(pixels)                  # 8-bit: sRGB-encoded, as a PNG's
        bitmap.write(path)
        for raw in (False, True):
            from_file = tk.load_dict({'type': 'bitmap', 'filename': path, 'raw': raw}).data.numpy()
            given = tk.load_dict({'type': 'bitmap', 'bitmap': bitmap, 'raw': raw}).data.numpy()
            channels = 1 if shape[2] == 1 else 3
            assert given.shape == from_file.shape == shape[:2] + (channels,)
            assert np.allclose(given, from_file, atol=1e-6)
            if raw:         # the stored numbers, alpha dropped
                assert np.allclose(given, pixels[:, :, :given.shape[2]] / 255, atol=1e-6)
        assert bitmap.srgb_gamma()                  # the Bitmap given is left as it was
    linear = rng.random((3, 4, 3)).astype(np.float32)
    texture = tk.load_dict({'type': 'bitmap', 'bitmap': tk.Bitmap(linear)})
    assert np.array_equal(texture.data.numpy(), linear)


@pytest.mark.mitsuba
def test_a_bitmap_texture_reads_a_bitmap_as_mitsuba():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    rng = np.random.default_rng(4)
    for pixels in (rng.integers(0, 256, (5, 7, 4), dtype=np.uint8), rng.random((3, 4, 2)).astype(np.float32)):
        for raw in (False, True):
            ours = tk.load_dict({'type': 'bitmap', 'bitmap': tk.Bitmap(pixels), 'raw': raw}).data.numpy()
            theirs = mi.load_dict({'type': 'bitmap', 'bitmap': mi.Bitmap(pixels), 'raw': raw,
                                   'format': 'variant'})
            assert np.allclose(ours, np.array(mi.traverse(theirs)['data']), atol=1e-6)


@pytest.mark.parametrize('value, message', [
    (np.ones((2, 2, 3)), '"bitmap" must be a tk.Bitmap, got an array'),
    ('image.png', '"bitmap" must be a tk.Bitmap, got a str'),
    (tk.Bitmap(np.ones((2, 2, 5), np.float32)),
     'pixel format must be Y, YA, RGB, RGBA, XYZ or XYZA, got MultiChannel'),
])
def test_a_bitmap_texture_refuses_what_is_not_an_image(value, message):
    description = {'type': 'scene', 's': {'type': 'rectangle', 'bsdf': {
        'type': 'diffuse', 'reflectance': {'type': 'bitmap', 'bitmap': value}}}}
    with pytest.raises(tk.PluginError, match=r'^s\.bsdf\.reflectance: .*' + message):
        tk.load_dict(description)
    with pytest.raises(tk.PluginError, match='exactly one of .* got filename and bitmap'):
        tk.load_dict({'type': 'bitmap', 'filename': 'x.png', 'bitmap': tk.Bitmap(np.ones((2, 2, 3), np.float32))})


@pytest.mark.parametrize('texture, message', [
    ({'type': 'bitmap'}, 'exactly one of "filename" .*, "bitmap" .* and "data" .*, got none of them'),
    ({'type': 'bitmap', 'filename': 'x.png', 'data': np.ones((2, 2, 3))}, 'got filename and data'),
    ({'type': 'bitmap', 'data': np.ones((2, 2))}, r'shape \(height, width, 1 or 3\), got \(2, 2\)'),
    ({'type': 'bitmap', 'data': np.ones((2, 2, 2))}, r'got \(2, 2, 2\)'),
    ({'type': 'bitmap', 'data': np.full((2, 2, 3), np.inf)}, r'^s\.bsdf\.reflectance\.data: .*NaN or infinite'),
])
def test_bad_texture_arrays_are_refused(texture, message):
    description = {'type': 'scene', 's': {'type': 'rectangle', 'bsdf': {'type': 'diffuse', 'reflectance': texture}}}
    with pytest.raises(tk.SceneError, match=message):
        tk.load_dict(description)


def test_cornell_box_is_mitsuba_3s_description():
    description = tk.cornell_box()
    assert list(description) == ['type', 'integrator', 'sensor', 'white', 'green', 'red', 'light', 'floor',
                                 'ceiling', 'back', 'green-wall', 'red-wall', 'small-box', 'large-box']
    scene = tk.load_dict(description)
    assert len(scene.shapes()) == 8 and len(scene.emitters()) == 1
    assert scene.sensors()[0].film().crop_size() == (256, 256)
    box = scene.bbox()
    # The large box (centre y = -0.4, half height 0.61) reaches 0.01 below the floor, as in Mitsuba 3.
    assert np.allclose(box.min, [-1, -1.01, -1], atol=1e-5) and np.allclose(box.max, [1, 1, 1], atol=1e-5)
    # A description to change before loading: each call gives a fresh one.
    description['red']['reflectance']['value'] = [0, 0, 1]
    assert tk.cornell_box()['red']['reflectance']['value'][2] < 0.05


@pytest.mark.mitsuba
@pytest.mark.slow
def test_cornell_box_renders_as_mitsuba_3s():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    ours = tk.render(tk.load_dict(tk.cornell_box()), spp=128, seed=0).numpy()
    theirs = np.array(mi.render(mi.load_dict(mi.cornell_box()), spp=128, seed=0))
    assert abs(ours.mean() / theirs.mean() - 1) < 0.015

    def blocks(image):
        return image.reshape(8, 32, 8, 32, 3).mean(axis=(1, 3))
    assert np.all(np.abs(blocks(ours) - blocks(theirs)) <= 0.04 * blocks(theirs).mean() + 0.04 * blocks(theirs))


@pytest.mark.parametrize('description', [
    {'type': 'perspective', 'shutter_open': 0.0, 'shutter_close': 0.5, 'principal_point_offset_x': 0.0,
     'principal_point_offset_y': 0.0, 'focus_distance': 5},
    {'type': 'orthographic', 'shutter_open': 0.0, 'shutter_close': 0.5},
    {'type': 'hdrfilm', 'compensate': True},
])
def test_parameters_mitsuba_3_takes_and_this_renderer_needs_not_still_load(description):
    tk.load_dict(description)


@pytest.mark.parametrize('description, message', [
    ({'type': 'perspective', 'shutter_open': 1.0, 'shutter_close': 0.5}, 'shutter_open <= shutter_close'),
    ({'type': 'perspective', 'principal_point_offset_x': 0.1}, 'off-centre projection'),
])
def test_sensor_options_that_cannot_be_honoured_are_refused(description, message):
    with pytest.raises(tk.PluginError, match=message):
        tk.load_dict(description)

"""Property-based and mutation tests ("fuzzing") of everything that reads user input.

Each property says what the toolkit promises for *any* input: a scene file,
a mesh file, an image file or an API call either works (and then gives
finite numbers) or raises our :class:`tk.SceneError` family. Hypothesis
generates the inputs: it mutates small valid files (changes values, removes,
duplicates and moves elements, flips bytes) and draws argument values, and
shrinks any failure to a small example.

Every case runs under a time limit, so that a hang is a failure. By default
a small, seeded (derandomized) set of cases runs with the test suite;
``make fuzz`` (``TK_FUZZ=1``) runs many more, with fresh random inputs.
"""
import os
import re
import warnings
import xml.etree.ElementTree as ElementTree

import drjit as dr
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

import tutorial_kit as tk
from tutorial_kit.core.limits import FLOAT32_MAX
from tutorial_kit.io.obj import read_obj
from tutorial_kit.io.ply import read_ply
from helpers import scene_xml, small_cbox
from time_limit import time_limit

#: ``make fuzz`` sets TK_FUZZ=1: many fresh cases instead of a few seeded ones.
LONG_RUN = os.environ.get('TK_FUZZ') == '1'
#: Seconds one case may take (a render compiles its kernels on first use).
CASE_SECONDS = 60


def fuzz_settings(examples):
    """``examples`` seeded cases in the test suite; 50 times as many, random, in ``make fuzz``."""
    return settings(max_examples=examples * (50 if LONG_RUN else 1), derandomize=not LONG_RUN,
                    deadline=None, database=None, print_blob=LONG_RUN,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much])


#: Values a careless or hostile user might write where a scene expects something.
NASTY_VALUES = ['', ' ', '0', '-0', '1', '-1', '0.5', '2', '3', '1e-30', '1e30', '3e38', '1e39',
                '-1e39', 'nan', 'inf', '-inf', '4_0', '\u0664', '1,2', '1, 2, 3', '1 2 3 4',
                '0, 0, 0', '400:1, 500:2', '100:1', 'true', 'false', 'x', '$missing', '$',
                '99999999999999999999', '-2147483649', '0mm', '-50mm', '50mm', '179.9999', '180',
                'diagonal', 'smaller', '0x10', '1e', '.', '-', '0:0', '  7  ']

#: Plugin type names to swap in for one another.
PLUGIN_TYPES = ['diffuse', 'twosided', 'area', 'constant', 'rectangle', 'cube', 'obj', 'ply',
                'perspective', 'hdrfilm', 'box', 'tent', 'gaussian', 'independent', 'path',
                'direct', 'scene', 'nonexistent']
TAGS = ['float', 'integer', 'rgb', 'spectrum', 'string', 'boolean', 'point', 'vector',
        'transform', 'bsdf', 'emitter', 'shape', 'sensor', 'film', 'rfilter', 'sampler',
        'integrator', 'texture', 'ref', 'include', 'default', 'scale', 'lookat', 'scene']

#: Text that XML can hold in an attribute (no control characters or lone surrogates).
XML_TEXT = st.text(st.characters(blacklist_categories=('Cs', 'Cc')), max_size=12)

TRIANGLE_OBJ = 'v -1 -1 0\nv 1 -1 0\nv 0 1 0\nvn 0 0 1\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1/1 2/2/1 3/3/1\n'


def seed_scenes(mesh_dir):
    """Small valid scene documents that the mutations start from."""
    mesh = os.path.join(mesh_dir, 'triangle.obj')
    return [
        scene_xml('<shape type="rectangle"><bsdf type="diffuse"><rgb name="reflectance" value="0.5"/>'
                  '</bsdf><emitter type="area"><rgb name="radiance" value="1, 2, 3"/></emitter></shape>',
                  width=8, height=8, spp=1),
        scene_xml('<integrator type="path"><integer name="max_depth" value="3"/></integrator>'
                  '<emitter type="constant"><spectrum name="radiance" value="400:1, 700:0.5"/></emitter>'
                  '<bsdf type="twosided" id="m"><bsdf type="diffuse"/></bsdf>'
                  '<shape type="cube"><transform name="to_world"><rotate y="1" angle="30"/>'
                  '<scale value="0.5"/></transform><ref id="m"/></shape>', width=8, height=6, spp=1),
        scene_xml(f'<default name="level" value="2"/><integrator type="direct"/>'
                  f'<shape type="obj"><string name="filename" value="{mesh}"/>'
                  f'<boolean name="face_normals" value="true"/>'
                  f'<emitter type="area"><rgb name="radiance" value="$level"/></emitter></shape>'
                  f'<shape type="rectangle"><transform name="to_world"><translate z="-1"/>'
                  f'<scale value="3"/></transform></shape>', width=6, height=8, spp=1),
        '''<scene version="0.6.0">
            <sensor type="perspective"><float name="fov" value="45"/>
                <transform name="toWorld"><lookAt origin="0, 0, 4" target="0, 0, 0" up="0, 1, 0"/></transform>
                <film type="hdrfilm"><integer name="width" value="8"/><integer name="height" value="8"/>
                    <rfilter type="gaussian"><float name="stddev" value="0.5"/></rfilter></film>
                <sampler type="independent"><integer name="sampleCount" value="1"/></sampler>
            </sensor>
            <shape type="rectangle"><emitter type="area"><rgb name="radiance" value="1"/></emitter></shape>
        </scene>''',
    ]


@pytest.fixture(scope='module')
def seeds(tmp_path_factory):
    directory = tmp_path_factory.mktemp('fuzz_meshes')
    (directory / 'triangle.obj').write_text(TRIANGLE_OBJ)
    return str(directory), seed_scenes(str(directory))


# -- mutating XML ------------------------------------------------------------------------------

MUTATIONS = ('value', 'type', 'name', 'tag', 'delete', 'duplicate', 'move', 'attribute')


def mutate_tree(data, text, kinds=MUTATIONS):
    """Apply a few random mutations of the given ``kinds`` to the XML ``text``."""
    root = ElementTree.fromstring(text)
    for _ in range(data.draw(st.integers(1, 4), label='mutations')):
        elements = list(root.iter())
        element = data.draw(st.sampled_from(elements), label='element')
        parents = {child: parent for parent in root.iter() for child in parent}
        kind = data.draw(st.sampled_from(kinds), label='kind')
        if kind == 'value' and element.attrib:
            key = data.draw(st.sampled_from(sorted(element.attrib)), label='attribute')
            element.set(key, data.draw(st.sampled_from(NASTY_VALUES) | XML_TEXT, label='value'))
        elif kind == 'type':
            element.set('type', data.draw(st.sampled_from(PLUGIN_TYPES), label='type'))
        elif kind == 'name':
            element.set('name', data.draw(st.sampled_from(
                ['radiance', 'reflectance', 'to_world', 'fov', 'width', 'radius', 'stddev',
                 'max_depth', 'sample_count', 'filename', 'x', '']), label='name'))
        elif kind == 'tag':
            element.tag = data.draw(st.sampled_from(TAGS), label='tag')
        elif kind == 'attribute':
            element.set(data.draw(st.sampled_from(['value', 'id', 'x', 'angle', 'origin', 'up']),
                                  label='new attribute'),
                        data.draw(st.sampled_from(NASTY_VALUES), label='its value'))
        elif element in parents and kind == 'delete':
            parents[element].remove(element)
        elif element in parents and kind == 'duplicate':
            parents[element].append(ElementTree.fromstring(ElementTree.tostring(element)))
        elif element in parents and kind == 'move':
            target = data.draw(st.sampled_from(elements), label='new parent')
            if element not in target.iter():            # no cycles
                parents[element].remove(element)
                target.append(element)
    return ElementTree.tostring(root, encoding='unicode')


def mutate_bytes(data, blob):
    """Insert, delete, overwrite or truncate bytes of ``blob``."""
    blob = bytearray(blob)
    for _ in range(data.draw(st.integers(1, 4), label='byte mutations')):
        position = data.draw(st.integers(0, len(blob)), label='position')
        kind = data.draw(st.sampled_from(['insert', 'delete', 'overwrite', 'truncate']), label='op')
        chunk = data.draw(st.binary(min_size=1, max_size=8), label='bytes')
        if kind == 'insert':
            blob[position:position] = chunk
        elif kind == 'delete':
            del blob[position:position + len(chunk)]
        elif kind == 'overwrite':
            blob[position:position + len(chunk)] = chunk
        else:
            del blob[position:]
    return bytes(blob)


def load_or_error(text, base_dir):
    """The scene, or None when the loader refused it with a SceneError (anything else fails)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            return tk.load_string(text, base_dir=base_dir)
        except tk.SceneError:
            return None


def render_small(scene):
    """A render of ``scene`` on a film of at most 8 x 8 pixels, 1 spp; None if refused."""
    film = scene.sensors()[0].film()
    film.width, film.height = min(film.width, 8), min(film.height, 8)
    try:
        image = tk.render(scene, spp=1, seed=0)
    except tk.SceneError:
        return None
    values = np.asarray(image)
    assert values.shape == (film.height, film.width, 3)
    assert np.all(np.isfinite(values)), 'the render has NaN or infinite pixels'
    return values


def mutated_document(data, documents, level):
    """One of ``documents``, mutated as an element tree (``level='tree'``) or as bytes."""
    seed = data.draw(st.sampled_from(documents), label='seed')
    return mutate_tree(data, seed) if level == 'tree' else mutate_bytes(data, seed.encode())


@pytest.mark.parametrize('level', ['tree', 'bytes'])
@fuzz_settings(40)
@given(data=st.data())
def test_mutated_scenes_load_or_raise_scene_errors(seeds, level, data):
    base_dir, documents = seeds
    text = mutated_document(data, documents, level)
    with time_limit(CASE_SECONDS):
        load_or_error(text, base_dir)


@fuzz_settings(10)
@given(data=st.data())
def test_mutated_scenes_that_load_render_finite_images(seeds, data):
    base_dir, documents = seeds
    # Values only: most such scenes still load, so that they get rendered.
    text = mutate_tree(data, data.draw(st.sampled_from(documents), label='seed'),
                       kinds=('value', 'duplicate', 'delete'))
    with time_limit(CASE_SECONDS):
        scene = load_or_error(text, base_dir)
        event('loaded' if scene is not None else 'refused')
        if scene is not None:
            event('rendered' if render_small(scene) is not None else 'render refused')


# -- mesh files ----------------------------------------------------------------------------------

def ply_file(binary):
    header = ('ply\nformat {} 1.0\nelement vertex 3\nproperty float x\nproperty float y\n'
              'property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n')
    positions = np.array([[-1, -1, 0], [1, -1, 0], [0, 1, 0]], np.float32)
    if not binary:
        body = ''.join(' '.join(map(str, p)) + '\n' for p in positions) + '3 0 1 2\n'
        return (header.format('ascii') + body).encode()
    face = np.array([3], np.uint8).tobytes() + np.array([0, 1, 2], '<i4').tobytes()
    return header.format('binary_little_endian').encode() + positions.astype('<f4').tobytes() + face


MESH_SEEDS = [('obj', TRIANGLE_OBJ.encode()),
              ('obj', b'v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\nf -4 -2 -1\n'),
              ('ply', ply_file(binary=False)), ('ply', ply_file(binary=True))]


def check_mesh(data):
    """A MeshData that a reader returned: finite positions, faces that index them."""
    assert data.positions.ndim == 2 and data.positions.shape[1] == 3
    assert np.all(np.isfinite(data.positions))
    assert data.faces.ndim == 2 and data.faces.shape[1] == 3
    if data.faces.size:
        assert data.faces.max() < data.positions.shape[0]


@fuzz_settings(60)
@given(data=st.data())
def test_mutated_mesh_files_read_or_raise_mesh_errors(tmp_path_factory, data):
    kind, blob = data.draw(st.sampled_from(MESH_SEEDS), label='seed')
    path = tmp_path_factory.mktemp('mesh') / f'mesh.{kind}'
    path.write_bytes(mutate_bytes(data, blob))
    with time_limit(CASE_SECONDS):
        try:
            check_mesh((read_obj if kind == 'obj' else read_ply)(path))
        except tk.MeshError:
            pass


# -- image files ---------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def image_seeds(tmp_path_factory):
    directory = tmp_path_factory.mktemp('images')
    pixels = np.random.default_rng(1).random((3, 5, 3)).astype(np.float32)
    seeds = []
    for extension in ('exr', 'hdr', 'pfm', 'png', 'jpg'):
        path = directory / f'seed.{extension}'
        tk.write_bitmap(path, pixels)
        seeds.append((extension, path.read_bytes()))
    return seeds


@fuzz_settings(60)
@given(data=st.data())
def test_mutated_image_files_read_or_raise_image_errors(image_seeds, tmp_path_factory, data):
    extension, blob = data.draw(st.sampled_from(image_seeds), label='seed')
    path = tmp_path_factory.mktemp('image') / f'image.{extension}'
    path.write_bytes(mutate_bytes(data, blob))
    with time_limit(CASE_SECONDS):
        try:
            image = tk.read_bitmap(path)
        except tk.ImageError:
            return
    assert image.dtype == np.float32 and image.ndim == 3 and image.size > 0


# -- the public API ------------------------------------------------------------------------------

NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 40, 10 ** 40),
                    st.booleans())
ANYTHING = st.one_of(st.none(), NUMBERS, st.text(max_size=8), st.binary(max_size=4),
                     st.lists(NUMBERS, max_size=20), st.tuples(NUMBERS, NUMBERS),
                     st.dictionaries(st.text(max_size=3), NUMBERS, max_size=2),
                     st.lists(st.lists(NUMBERS, min_size=4, max_size=4), min_size=4, max_size=4))


@pytest.fixture(scope='module')
def cbox():
    return small_cbox(8)


@fuzz_settings(80)
@given(data=st.data(), value=ANYTHING)
def test_assignments_are_checked_and_change_nothing_when_refused(cbox, data, value):
    params = tk.traverse(cbox)
    key = data.draw(st.sampled_from(sorted(params.keys())), label='key')
    before = params[key]
    before = before.numpy().copy() if dr.is_array_v(before) else np.array(before)
    try:
        params[key] = value
    except tk.ParameterError:
        after = params[key]
        assert np.array_equal(after.numpy() if dr.is_array_v(after) else np.array(after), before)
        return
    stored = params[key]
    values = np.asarray(stored.numpy() if dr.is_array_v(stored) else stored, dtype=np.float64)
    assert np.all(np.isfinite(values))
    params[key] = before if before.ndim else before.item()       # restore the scene for the next case
    params.update()


@fuzz_settings(40)
@given(keys=ANYTHING | st.lists(st.text(max_size=12), max_size=3) | st.text(max_size=10))
def test_keep_and_lookup_accept_names_or_raise(cbox, keys):
    """keep: a list (tuple, set) of existing names, or a regular expression
    that matches at least one name whole; a lookup: an existing name. Any
    other argument raises ParameterError."""
    params = tk.traverse(cbox)
    names = set(params.keys())
    if isinstance(keys, str):
        try:
            pattern = re.compile(keys)
            kept = {name for name in names if pattern.fullmatch(name) or name == keys}
        except re.error:
            kept = set()
    elif isinstance(keys, (list, tuple, set, frozenset)):
        kept = set(keys) if all(isinstance(k, str) and k in names for k in keys) else set()
        if not keys:
            kept = None                     # an empty list is accepted and keeps nothing
    else:
        kept = set()
    if kept or kept is None:
        params.keep(keys)
        assert set(params.keys()) == (kept or set())
    else:
        with pytest.raises(tk.ParameterError):
            params.keep(keys)
        assert set(params.keys()) == names           # nothing half-changed
    if isinstance(keys, str) and keys in params:
        params[keys]
    else:
        with pytest.raises(tk.ParameterError):
            params[keys]


@fuzz_settings(40)
@given(spp=st.one_of(st.none(), st.integers(-3, 16), st.integers(2 ** 27, 2 ** 80), st.floats(),
                     st.text(max_size=3), st.tuples(st.integers(0, 4), st.integers(0, 4))),
       seed=st.one_of(st.none(), st.integers(-5, 2 ** 70), st.floats(), st.text(max_size=3)),
       sensor_index=st.one_of(st.integers(-2, 2), st.none(), st.floats(), st.booleans()))
def test_render_arguments_give_an_image_or_a_render_error(cbox, spp, seed, sensor_index):
    """An image for valid arguments, RenderError for any invalid one: ``spp``
    None, an int >= 0 whose samples fit in 2^32 (0: the sampler's count) or
    a pair of such; ``seed`` None or an int in [0, 2^64); ``sensor_index``
    None or the index of a sensor (the box has one). Floats, bools, text
    and out-of-range numbers are refused."""
    def is_int(value):
        return isinstance(value, int) and not isinstance(value, bool)
    pixels = 8 * 8
    valid_spp = (spp is None or (is_int(spp) and 0 <= spp and pixels * spp < 2 ** 32)
                 or (isinstance(spp, tuple) and all(is_int(n) and n >= 0 for n in spp)))
    valid_seed = seed is None or (is_int(seed) and 0 <= seed < 2 ** 64)
    valid_sensor = sensor_index is None or (is_int(sensor_index) and sensor_index == 0)
    with time_limit(CASE_SECONDS):
        if not (valid_spp and valid_seed and valid_sensor):
            with pytest.raises(tk.RenderError):
                tk.render(cbox, spp=spp, seed=seed, sensor_index=sensor_index)
            return
        image = tk.render(cbox, spp=spp, seed=seed, sensor_index=sensor_index)
    assert np.asarray(image).shape == (8, 8, 3)
    assert np.all(np.isfinite(np.asarray(image)))


@fuzz_settings(40)
@given(lr=ANYTHING, extra=st.dictionaries(
    st.sampled_from(['momentum', 'beta_1', 'beta_2', 'epsilon', 'clamp']), ANYTHING, max_size=2),
    adam=st.booleans())
def test_optimizer_arguments_are_checked(cbox, lr, extra, adam):
    params = tk.traverse(cbox)
    params.keep(['red.reflectance.value'])
    if not adam:
        extra.pop('beta_1', None), extra.pop('beta_2', None), extra.pop('epsilon', None)
    else:
        extra.pop('momentum', None)
    # Valid: a learning rate in (0, FLOAT32_MAX] (a dict would have to name
    # the kept key, which the drawn ones never do), momentum and betas in
    # [0, 1), epsilon in (0, FLOAT32_MAX], clamp None or an empty dict (the
    # drawn keys name no parameter). Bools are not numbers here.
    def is_real(value):
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def in_range(value, low, high, closed_low):
        return is_real(value) and (low <= value if closed_low else low < value) and value <= high
    checks = {'momentum': lambda v: in_range(v, 0, 1, True) and v < 1,
              'beta_1': lambda v: in_range(v, 0, 1, True) and v < 1,
              'beta_2': lambda v: in_range(v, 0, 1, True) and v < 1,
              'epsilon': lambda v: in_range(v, 0, FLOAT32_MAX, False),
              'clamp': lambda v: v is None or v == {}}
    valid = in_range(lr, 0, FLOAT32_MAX, False) and all(checks[name](v) for name, v in extra.items())
    try:
        if valid:
            (tk.Adam if adam else tk.SGD)(params, lr=lr, **extra)
        else:
            with pytest.raises(tk.ParameterError):
                (tk.Adam if adam else tk.SGD)(params, lr=lr, **extra)
    finally:
        for key in params:
            dr.disable_grad(params[key])


@fuzz_settings(40)
@given(shape=st.lists(st.integers(0, 5), min_size=0, max_size=4),
       crop_size=st.one_of(st.none(), st.tuples(NUMBERS, NUMBERS), st.text(max_size=3)),
       extension=st.sampled_from(['.png', '.jpg', '.exr', '.hdr', '.pfm', '.tif', '']),
       colormap=st.sampled_from([None, 'coolwarm', 'nope']), fill=NUMBERS)
def test_write_bitmap_writes_or_raises_image_errors(tmp_path_factory, shape, crop_size, extension,
                                                    colormap, fill):
    path = tmp_path_factory.mktemp('out') / f'image{extension}'
    pixels = np.full(shape, float(fill) if not abs(float(fill)) > 1e30 else 1.0, np.float32) \
        if isinstance(fill, (int, float)) else np.zeros(shape)
    try:
        tk.write_bitmap(path, pixels, crop_size=crop_size, colormap=colormap)
    except tk.ImageError:
        assert not path.exists()
        return
    assert path.is_file()
    assume(extension in ('.exr', '.pfm'))
    assert tk.read_bitmap(path).shape[:2] == (pixels.shape[0], pixels.shape[1]) or crop_size

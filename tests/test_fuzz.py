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
import functools
import math
import os
import re
import time
import warnings
import zlib
import xml.etree.ElementTree as ElementTree

import drjit as dr
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, reject, settings, strategies as st
from hypothesis.extra.numpy import arrays

import tutorial_kit as tk
from tutorial_kit.core.limits import FLOAT32_MAX
from tutorial_kit.io.image_size import MAX_IMAGE_PIXELS
from tutorial_kit.io.obj import read_obj
from tutorial_kit.io.ply import read_ply
import oracles
from helpers import scene_xml, small_cbox
from time_limit import time_limit

#: ``make fuzz`` sets TK_FUZZ=1: many fresh cases instead of a few seeded ones.
LONG_RUN = os.environ.get('TK_FUZZ') == '1'
#: ``make fuzz FUZZ_SECONDS=600`` sets TK_FUZZ_SECONDS: the fuzz tests share that
#: time, each running rounds of fresh cases until its share is spent.
BUDGET_SECONDS = float(os.environ.get('TK_FUZZ_SECONDS') or 0) if LONG_RUN else 0
#: Seconds one case may take (a render compiles its kernels on first use).
CASE_SECONDS = 60


def fuzz_settings(examples):
    """``examples`` seeded cases in the test suite; 50 times as many, random, in ``make fuzz``;
    with a time budget, rounds of 5 times as many until the test's share of it is spent."""
    chosen = settings(max_examples=examples * (1 if not LONG_RUN else 5 if BUDGET_SECONDS else 50),
                      derandomize=not LONG_RUN, deadline=None, database=None, print_blob=LONG_RUN,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.function_scoped_fixture,
                                             HealthCheck.filter_too_much])

    def decorate(test):
        test = chosen(test)
        return test if not BUDGET_SECONDS else _in_rounds(test)
    return decorate


def _in_rounds(test):
    """``test`` (a Hypothesis test) run again, with fresh cases each time, until its
    share of BUDGET_SECONDS is spent (at least once)."""
    @functools.wraps(test)
    def rounds(*args, **kwargs):
        deadline = time.monotonic() + BUDGET_SECONDS / max(_FUZZ_ITEMS[0], 1)
        test(*args, **kwargs)
        while time.monotonic() < deadline:
            test(*args, **kwargs)
    return rounds


#: How many fuzz tests this run collected (set by the fixture below), to share the budget.
_FUZZ_ITEMS = [0]


@pytest.fixture(autouse=True, scope='module')
def _count_fuzz_items(request):
    module = request.module
    _FUZZ_ITEMS[0] = sum(1 for item in request.session.items if getattr(item, 'module', None) is module)


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


def as_numpy(value):
    """A parameter's value (a Dr.Jit array or a Python or NumPy number) as a NumPy array."""
    return np.array(value.numpy() if dr.is_array_v(value) else value)


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
def test_arbitrary_scene_mutations_load_or_raise_scene_errors(seeds, level, data):
    """Robustness: whether an arbitrary mutation leaves a valid scene cannot be
    told in advance, so the property is only that the loader either refuses it
    with a SceneError or returns a scene whose parameters are all finite (no
    other exception, no hang). Mutations whose outcome is known are asserted
    exactly by test_scene_mutations_with_known_outcomes."""
    base_dir, documents = seeds
    text = mutated_document(data, documents, level)
    with time_limit(CASE_SECONDS):
        scene = load_or_error(text, base_dir)
        event('loaded' if scene is not None else 'refused')
        if scene is not None:
            params = tk.traverse(scene)
            for key in params.keys():
                assert np.all(np.isfinite(as_numpy(params[key]))), key


#: Numbers of the seed scenes that a mutation may change: (seed, the element
#: holding it, what it is, the parameter it becomes). Seed 2's radiance is
#: "$level", set by its <default>.
SCENE_NUMBERS = [(0, './/bsdf/rgb[@name="reflectance"]', 'reflectance', 'Rectangle.bsdf.reflectance.value'),
                 (0, './/emitter/rgb[@name="radiance"]', 'radiance', 'Rectangle.emitter.radiance.value'),
                 (2, './default[@name="level"]', 'level', 'OBJMesh.emitter.radiance.value'),
                 (3, './/emitter/rgb[@name="radiance"]', 'radiance', 'Rectangle.emitter.radiance.value')] + \
                [(seed, './/sensor/float[@name="fov"]', 'fov', 'PerspectiveCamera.fov') for seed in range(4)]
#: Their documented ranges: a reflectance in [0, 1], a radiance >= 0, a field of view in (0, 179].
SCENE_NUMBER_RANGES = {'reflectance': (0.0, 1.0), 'radiance': (0.0, 1e6), 'level': (0.0, 1e6),
                       'fov': (1e-3, 179.0)}
#: Text that is not a number in a scene file (the loader reads ASCII decimals only).
NOT_NUMBERS = ['nan', 'inf', '-inf', '1e39', '-1e39', 'x', '4_0', '\u0664', '0x10', '1e', '.', '-',
               '', 'true', '$']
#: Elements of which a parent takes at most one (a second is an error, not ignored).
ONCE_ONLY = ('film', 'sampler', 'rfilter', 'integrator')


def decimal(data, value):
    """``value`` written as a scene file (or a mesh file) may write it."""
    style = data.draw(st.sampled_from(['repr', 'g', 'e', 'f']), label='number style')
    return {'repr': repr, 'g': '{:.7g}'.format, 'e': '{:e}'.format, 'f': '{:.4f}'.format}[style](value)


def known_scene_mutation(data, documents):
    """A seed document, changed in a way whose outcome the loader's contract fixes:
    (text, None, check) for one that must load, ``check(scene)`` asserting what it
    holds, or (text, reasons, None) for one that must be refused."""
    index = data.draw(st.integers(0, len(documents) - 1), label='seed')
    root = ElementTree.fromstring(documents[index])
    parents = {child: parent for parent in root.iter() for child in parent}
    kind = data.draw(st.sampled_from(['number', 'bad number', 'out of range', 'type', 'tag', 'root',
                                      'duplicate once-only', 'duplicate shape', 'no version',
                                      'truncate']), label='known mutation')
    if kind in ('number', 'bad number', 'out of range'):
        _, where, what, key = data.draw(st.sampled_from([n for n in SCENE_NUMBERS if n[0] == index]),
                                        label='number')
        element = root.find(where)
        low, high = SCENE_NUMBER_RANGES[what]
        if kind == 'number':
            count = data.draw(st.sampled_from([1, 3]), label='count') if element.tag == 'rgb' else 1
            values = [data.draw(st.floats(low, high), label='value') for _ in range(count)]
            element.set('value', ', '.join(decimal(data, v) for v in values))

            def check(scene):
                stored = as_numpy(tk.traverse(scene)[key]).reshape(-1)
                written = [float(part) for part in element.get('value').split(',')]
                if what == 'fov':
                    np.testing.assert_allclose(stored, written, rtol=1e-6)
                else:
                    np.testing.assert_array_equal(stored, np.broadcast_to(np.float32(written), (3,)))
            return ElementTree.tostring(root, encoding='unicode'), None, check
        if kind == 'bad number':
            element.set('value', data.draw(st.sampled_from(NOT_NUMBERS), label='not a number'))
            return ElementTree.tostring(root, encoding='unicode'), [r'expects|\$'], None
        outside = st.floats(-1e6, -1e-3) if what != 'reflectance' else \
            st.floats(-1e6, -1e-3) | st.floats(1.001, 1e6)
        if what == 'fov':
            outside = st.floats(179.001, 1e6) | st.floats(-1e6, 0)
        element.set('value', decimal(data, data.draw(outside, label='out of range')))
        return ElementTree.tostring(root, encoding='unicode'), [r'negative|\[0, 1\]|\(0, 179\]'], None
    if kind in ('type', 'tag'):
        element = data.draw(st.sampled_from([e for e in root.iter()
                                             if e is not root and (kind == 'tag' or 'type' in e.attrib)]),
                            label='element')
        if kind == 'type':
            element.set('type', 'nonexistent')
            return ElementTree.tostring(root, encoding='unicode'), [r'"nonexistent"'], None
        element.tag = 'unknowntag'
        return ElementTree.tostring(root, encoding='unicode'), [r'unknown .*<unknowntag>'], None
    if kind == 'root':
        root.tag = 'sceen'
        return ElementTree.tostring(root, encoding='unicode'), [r'root element must be <scene>'], None
    if kind == 'duplicate once-only':
        element = data.draw(st.sampled_from(
            [e for e in root.iter() if e.tag in ONCE_ONLY or 'id' in e.attrib
             or (e in parents and parents[e].tag == 'shape' and e.tag in ('bsdf', 'emitter'))]),
            label='element')
        parents[element].append(ElementTree.fromstring(ElementTree.tostring(element)))
        return ElementTree.tostring(root, encoding='unicode'), [r'at most one|used twice'], None
    if kind == 'duplicate shape':
        shapes = [e for e in root if e.tag == 'shape']
        root.append(ElementTree.fromstring(ElementTree.tostring(data.draw(st.sampled_from(shapes),
                                                                           label='shape'))))

        def check(scene):
            assert len(scene.shapes()) == len(shapes) + 1
        return ElementTree.tostring(root, encoding='unicode'), None, check
    if kind == 'no version':
        del root.attrib['version']
        return ElementTree.tostring(root, encoding='unicode'), [r'requires the attribute "version"'], None
    # A proper prefix of a document never closes its root element: malformed XML.
    text = documents[index].strip()
    return text[:data.draw(st.integers(0, len(text) - 1), label='cut')], [r'malformed XML'], None


@fuzz_settings(40)
@given(data=st.data())
def test_scene_mutations_with_known_outcomes(seeds, data):
    """Mutations whose outcome the contract fixes: a number replaced by another in
    its documented range loads and is stored (as float32); text that is not a
    number, a number out of range, an unknown plugin type or element, a wrong
    root, a second film (sampler, rfilter, integrator, shape BSDF or emitter, or
    id), a missing version or a cut-off document is refused with a SceneError
    that names the line and what was wrong; a duplicated shape loads as one more."""
    base_dir, documents = seeds
    text, reasons, check = known_scene_mutation(data, documents)
    with time_limit(CASE_SECONDS), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if reasons is None:
            check(tk.load_string(text, base_dir=base_dir))
            return
        with pytest.raises(tk.SceneError) as error:
            tk.load_string(text, base_dir=base_dir)
    message = str(error.value)
    assert re.search(r':\d+: ', message), f'the message names no line: {message}'
    assert any(re.search(reason, message) for reason in reasons), message


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

def ply_file(binary, positions=None, faces=([0, 1, 2],), vertex_properties='xyz', face_count=None):
    """A PLY file of ``positions`` (float32, default: a triangle) and polygons ``faces``
    (``None``: no face element; ``face_count`` overrides the declared count)."""
    positions = np.array([[-1, -1, 0], [1, -1, 0], [0, 1, 0]] if positions is None else positions,
                         np.float32)
    columns = ['xyz'.index(name) for name in vertex_properties]
    header = ['ply', f'format {"binary_little_endian" if binary else "ascii"} 1.0',
              f'element vertex {len(positions)}'] + [f'property float {name}' for name in vertex_properties]
    if faces is not None:
        header += [f'element face {len(faces) if face_count is None else face_count}',
                   'property list uchar int vertex_indices']
    head = ('\n'.join(header + ['end_header']) + '\n').encode()
    if binary:
        body = positions[:, columns].astype('<f4').tobytes()
        for face in faces or ():
            body += np.array([len(face)], np.uint8).tobytes() + np.array(face, '<i4').tobytes()
    else:
        body = ''.join(' '.join(repr(float(x)) for x in p[columns]) + '\n' for p in positions)
        body += ''.join(f'{len(face)} ' + ' '.join(map(str, face)) + '\n' for face in faces or ())
        body = body.encode()
    return head + body


MESH_SEEDS = [('obj', TRIANGLE_OBJ.encode()),
              ('obj', b'v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\nf -4 -2 -1\n'),
              ('ply', ply_file(binary=False)), ('ply', ply_file(binary=True))]


def check_mesh(data):
    """The invariants of a MeshData a reader returns (io/mesh_data.py): float32
    finite positions (N, 3), uint32 triangles (M, 3), M >= 1, that index them,
    normals (N, 3) and texcoords (N, 2) finite or None."""
    assert data.positions.dtype == np.float32 and data.positions.ndim == 2
    assert data.positions.shape[1] == 3 and np.all(np.isfinite(data.positions))
    assert data.faces.dtype == np.uint32 and data.faces.ndim == 2 and data.faces.shape[1] == 3
    assert data.faces.size and data.faces.max() < data.positions.shape[0]
    for attribute, width in ((data.normals, 3), (data.texcoords, 2)):
        if attribute is not None:
            assert attribute.shape == (data.positions.shape[0], width)
            assert np.all(np.isfinite(attribute))


@fuzz_settings(60)
@given(data=st.data())
def test_arbitrary_mesh_mutations_read_or_raise_mesh_errors(tmp_path_factory, data):
    """Robustness: random byte edits (insert, delete, overwrite, truncate) may or
    may not leave a valid file, so the property is only that the reader refuses
    it with a MeshError or returns a mesh that meets MeshData's invariants.
    Edits whose outcome is known are asserted by the two tests below."""
    kind, blob = data.draw(st.sampled_from(MESH_SEEDS), label='seed')
    path = tmp_path_factory.mktemp('mesh') / f'mesh.{kind}'
    path.write_bytes(mutate_bytes(data, blob))
    with time_limit(CASE_SECONDS):
        try:
            mesh = (read_obj if kind == 'obj' else read_ply)(path)
        except tk.MeshError:
            event('refused')
            return
    event('read')
    check_mesh(mesh)


#: The OBJ seeds as lines, with the mesh each must give: positions, faces,
#: normals, texcoords (v flipped to 1 - v), and which output vertices use the
#: i-th 'v', 'vt' and 'vn' statement.
OBJ_SEEDS = [
    dict(lines=TRIANGLE_OBJ.splitlines(),
         positions=[[-1, -1, 0], [1, -1, 0], [0, 1, 0]], faces=[[0, 1, 2]],
         normals=[[0, 0, 1]] * 3, texcoords=[[0, 1], [1, 1], [0, 0]],
         users={'v': [[0], [1], [2]], 'vt': [[0], [1], [2]], 'vn': [[0, 1, 2]]}),
    dict(lines=['v 0 0 0', 'v 1 0 0', 'v 1 1 0', 'v 0 1 0', 'f 1 2 3 4', 'f -4 -2 -1'],
         positions=[[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], faces=[[0, 1, 2], [0, 2, 3], [0, 2, 3]],
         normals=None, texcoords=None, users={'v': [[0], [1], [2], [3]]}),
]
#: Lines an OBJ reader skips: comments, blanks, and statements without triangles.
IGNORABLE_OBJ_LINES = ['# a comment', '', '   ', 'g group', 'o object', 's 1', 's off', 'usemtl red',
                       'mtllib scene.mtl', 'l 1 2', 'p 1']
#: OBJ tokens that are not finite float32 numbers.
NOT_OBJ_NUMBERS = ['nan', 'inf', '-inf', '1e39', 'x', '0x10', '1e', '--1', '1.2.3', '']


def known_obj_mutation(data):
    """An OBJ seed changed in a way whose outcome the reader's contract fixes:
    (lines, expected mesh as a dict) or (lines, reasons for refusing it)."""
    seed = data.draw(st.sampled_from(OBJ_SEEDS), label='obj seed')
    lines = list(seed['lines'])
    mesh = {name: None if seed[name] is None else np.array(seed[name], np.float64)
            for name in ('positions', 'faces', 'normals', 'texcoords')}
    statements = [(i, line.split()) for i, line in enumerate(lines)]
    defining = [(i, tokens) for i, tokens in statements if tokens[0] in ('v', 'vt', 'vn')]
    faces = [(i, tokens) for i, tokens in statements if tokens[0] == 'f']
    kind = data.draw(st.sampled_from(['number', 'not a number', 'duplicate face', 'delete defining',
                                      'delete faces', 'ignorable', 'unknown statement', 'bad index']),
                     label='known obj mutation')
    if kind in ('number', 'not a number'):
        line, tokens = data.draw(st.sampled_from(defining), label='line')
        column = data.draw(st.integers(1, len(tokens) - 1), label='column')
        if kind == 'not a number':
            bad = data.draw(st.sampled_from(NOT_OBJ_NUMBERS if tokens[0] != 'vt' else NOT_OBJ_NUMBERS[:-1]),
                            label='token')
            tokens[column] = bad
            lines[line] = ' '.join(tokens)
            return lines, [rf'^[^:]*:{line + 1}: .*(not a number|finite|needs at least)']
        text = decimal(data, data.draw(st.floats(width=32, allow_nan=False, allow_infinity=False),
                                       label='number'))
        tokens[column] = text
        lines[line] = ' '.join(tokens)
        value = float(text)
        which = sum(1 for i, t in defining if t[0] == tokens[0] and i < line)
        attribute = {'v': 'positions', 'vt': 'texcoords', 'vn': 'normals'}[tokens[0]]
        rows = seed['users'][tokens[0]][which]
        mesh[attribute][rows, column - 1] = 1 - value if (tokens[0] == 'vt' and column == 2) else value
        return lines, mesh
    if kind == 'duplicate face':
        line, tokens = data.draw(st.sampled_from(faces), label='face')
        lines.append(lines[line])
        # The copy names the same vertices: relative indices count back from the
        # same statements, since all of them come before the faces.
        start = sum(len(t) - 3 for i, t in faces if i < line)
        mesh['faces'] = np.concatenate([mesh['faces'], mesh['faces'][start:start + len(tokens) - 3]])
        return lines, mesh
    if kind == 'delete defining':
        # Every statement of the seeds is used by a face: removing one leaves an index out of range.
        line, _ = data.draw(st.sampled_from(defining), label='line')
        del lines[line]
        return lines, [r':\d+: .*index .* out of range']
    if kind == 'delete faces':
        return [line for line in lines if not line.startswith('f ')], [r'no faces']
    if kind == 'ignorable':
        lines.insert(data.draw(st.integers(0, len(lines)), label='where'),
                     data.draw(st.sampled_from(IGNORABLE_OBJ_LINES), label='line'))
        return lines, mesh
    if kind == 'unknown statement':
        where = data.draw(st.integers(0, len(lines)), label='where')
        lines.insert(where, data.draw(st.sampled_from(['vx 1 2 3', 'face 1 2 3', 'ply', '1 2 3']),
                                      label='line'))
        return lines, [rf':{where + 1}: unknown statement']
    line, tokens = data.draw(st.sampled_from(faces), label='face')
    corner = data.draw(st.integers(1, len(tokens) - 1), label='corner')
    count = len(seed['positions'])
    tokens[corner] = str(data.draw(st.sampled_from([0, count + 1, -count - 1, 2 ** 40]), label='index'))
    lines[line] = ' '.join(tokens)
    return lines, [rf':{line + 1}: (relative )?position index']


def known_ply_mutation(data):
    """A PLY seed changed in a way whose outcome the reader's contract fixes:
    (bytes, expected mesh as a dict) or (bytes, reasons for refusing it)."""
    binary = data.draw(st.booleans(), label='binary')
    positions = np.array([[-1, -1, 0], [1, -1, 0], [0, 1, 0]], np.float32)
    kind = data.draw(st.sampled_from(['number', 'not finite', 'more faces', 'index out of range',
                                      'small face', 'no faces', 'no position', 'truncate', 'magic']),
                     label='known ply mutation')
    finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
    if kind == 'number':
        positions[data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))] = data.draw(finite32)
        return ply_file(binary, positions), dict(positions=positions, faces=[[0, 1, 2]],
                                                 normals=None, texcoords=None)
    if kind == 'not finite':
        positions[data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))] = \
            data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return ply_file(binary, positions), [r'not a finite number']
    if kind == 'more faces':
        polygons = data.draw(st.lists(st.lists(st.integers(0, 2), min_size=3, max_size=6),
                                      min_size=1, max_size=4), label='polygons')
        # Each polygon becomes the fan (a, b, c), (a, c, d), ... from its first corner.
        triangles = [[p[0], p[k], p[k + 1]] for p in polygons for k in range(1, len(p) - 1)]
        return ply_file(binary, positions, [[0, 1, 2]] + polygons), dict(
            positions=positions, faces=[[0, 1, 2]] + triangles, normals=None, texcoords=None)
    if kind == 'index out of range':
        face = [0, 1, 2]
        face[data.draw(st.integers(0, 2))] = data.draw(st.integers(3, 2 ** 31 - 1) | st.integers(-2 ** 31, -1))
        return ply_file(binary, positions, [face]), [r'refers to vertex']
    if kind == 'small face':
        face = data.draw(st.lists(st.integers(0, 2), max_size=2), label='face')
        return ply_file(binary, positions, [[0, 1, 2], face]), [r'a face needs at least 3']
    if kind == 'no faces':
        empty = data.draw(st.booleans(), label='empty face element')
        return ply_file(binary, positions, [] if empty else None), [r'no faces']
    if kind == 'no position':
        kept = data.draw(st.sampled_from(['xy', 'xz', 'yz', 'x', '']), label='kept')
        return ply_file(binary, positions, vertex_properties=kept), [r'lack the position properties']
    blob = ply_file(binary)
    if kind == 'truncate':
        # Any proper prefix of a binary file, or of a text file cut before its last
        # number ends, lacks data that its header declares.
        end = len(blob) if binary else len(blob.rstrip())
        return blob[:data.draw(st.integers(0, end - 1), label='cut')], [r'truncated|malformed|not a PLY']
    return b'plx' + blob[3:], [r'not a PLY file']


@fuzz_settings(40)
@given(data=st.data())
def test_mesh_mutations_with_known_outcomes(tmp_path_factory, data):
    """OBJ: a number replaced by another finite float32 is read back as it (v
    of a texture coordinate as 1 - v); a duplicated face gives its triangles
    once more; a comment, blank or ignored statement changes nothing; a token
    that is not a finite number, a removed statement that a face uses, no
    faces, an unknown statement or an index 0 or out of range is refused,
    naming the line. PLY: a changed coordinate is read back exactly, extra
    polygons are split into fans; a non-finite coordinate, an index out of
    range, a face of fewer than 3 corners, no faces, a missing x, y or z, a
    cut-off file or a wrong magic word is refused."""
    kind = data.draw(st.sampled_from(['obj', 'ply']), label='format')
    if kind == 'obj':
        lines, expected = known_obj_mutation(data)
        blob = ('\n'.join(lines) + '\n').encode()
    else:
        blob, expected = known_ply_mutation(data)
    path = tmp_path_factory.mktemp('mesh') / f'mesh.{kind}'
    path.write_bytes(blob)
    read = read_obj if kind == 'obj' else read_ply
    with time_limit(CASE_SECONDS):
        if isinstance(expected, list):
            with pytest.raises(tk.MeshError) as error:
                read(path)
            message = str(error.value)
            assert str(path) in message and any(re.search(r, message) for r in expected), message
            return
        mesh = read(path)
    check_mesh(mesh)
    np.testing.assert_array_equal(mesh.positions, np.asarray(expected['positions'], np.float32))
    np.testing.assert_array_equal(mesh.faces, np.asarray(expected['faces'], np.uint32))
    for name in ('normals', 'texcoords'):
        if expected[name] is None:
            assert getattr(mesh, name) is None, name
        else:
            np.testing.assert_array_equal(getattr(mesh, name), np.asarray(expected[name], np.float32))


# -- image files ---------------------------------------------------------------------------------

#: The pixels every image seed holds: 3 rows, 5 columns, RGB.
SEED_PIXELS = np.random.default_rng(1).random((3, 5, 3)).astype(np.float32)


@pytest.fixture(scope='module')
def image_seeds(tmp_path_factory):
    directory = tmp_path_factory.mktemp('images')
    seeds = []
    for extension in ('exr', 'hdr', 'pfm', 'png', 'jpg'):
        path = directory / f'seed.{extension}'
        tk.write_bitmap(path, SEED_PIXELS)
        seeds.append((extension, path.read_bytes()))
    return seeds


@fuzz_settings(60)
@given(data=st.data())
def test_arbitrary_image_mutations_read_or_raise_image_errors(image_seeds, tmp_path_factory, data):
    """Robustness: a random byte edit may leave a valid image or not (JPEG and
    EXR have no checksum over their pixels), so the property is only that
    read_bitmap refuses it with an ImageError or returns what it documents: a
    float32 (height, width, 1, 3 or 4 channels) array within the size limit.
    Edits whose outcome is known are asserted by the test below."""
    extension, blob = data.draw(st.sampled_from(image_seeds), label='seed')
    path = tmp_path_factory.mktemp('image') / f'image.{extension}'
    path.write_bytes(mutate_bytes(data, blob))
    with time_limit(CASE_SECONDS):
        try:
            image = tk.read_bitmap(path)
        except tk.ImageError:
            event('refused')
            return
    event('read')
    assert image.dtype == np.float32 and image.ndim == 3 and image.shape[2] in (1, 3, 4)
    assert 0 < image.shape[0] * image.shape[1] <= MAX_IMAGE_PIXELS


def png_chunks(blob):
    """(type, start of its data, length) of each chunk of a PNG file."""
    chunks, position = [], 8
    while position + 8 <= len(blob):
        length = int.from_bytes(blob[position:position + 4], 'big')
        chunks.append((blob[position + 4:position + 8], position + 8, length))
        position += 12 + length
    return chunks


def known_image_mutation(data, seeds):
    """An image seed changed in a way whose outcome the format fixes:
    (extension, bytes, expected pixels) or (extension, bytes, None) for a refusal."""
    extension, blob = data.draw(st.sampled_from(seeds), label='seed')
    # (A changed byte in a PNG's compressed pixels is no known outcome: the reader stops
    # once it has every pixel, and never reaches the checksums after a change at the end.)
    kinds = ['truncate', 'magic'] + {'pfm': ['pixel', 'size'], 'hdr': ['pixel']}.get(extension, [])
    kind = data.draw(st.sampled_from(kinds), label='known image mutation')
    height, width, _ = SEED_PIXELS.shape
    if kind == 'truncate':
        # Every format needs all of its pixel data. (A PNG cut in the zlib checksum
        # after the last compressed byte still decodes, so it is not cut there.)
        end = len(blob)
        if extension == 'png':
            _, start, length = next(c for c in png_chunks(blob) if c[0] == b'IDAT')
            end = start + length - 4
        return extension, blob[:data.draw(st.integers(0, end - 1), label='cut')], None
    if kind == 'magic':
        # No format (Pillow tries them all for PNG and JPEG) takes the file once its first byte changes.
        first = data.draw(st.integers(0, 255).filter(lambda b: b != blob[0]), label='first byte')
        return extension, bytes([first]) + blob[1:], None
    if kind == 'size':
        # A PFM claiming more rows or columns than its data holds is truncated.
        grown = blob.replace(b'5 3', data.draw(st.sampled_from([b'6 3', b'5 4', b'50 30']), label='size'), 1)
        return extension, grown, None
    row, column = data.draw(st.integers(0, height - 1)), data.draw(st.integers(0, width - 1))
    if extension == 'pfm':
        # RGB float32 triples, little-endian (scale -1.0), rows stored bottom to top.
        value = np.array(data.draw(st.lists(st.floats(width=32), min_size=3, max_size=3)), '<f4')
        offset = len(blob) - height * width * 12 + ((height - 1 - row) * width + column) * 12
        changed = blob[:offset] + value.tobytes() + blob[offset + 12:]
        expected = SEED_PIXELS.copy()
        expected[row, column] = value
        return extension, changed, expected
    # RGBE, uncompressed (too narrow for run-length scanlines), rows top to bottom:
    # a channel is its byte times 2 ** (exponent - 136); exponent 0 is black.
    rgbe = data.draw(st.lists(st.integers(0, 255), min_size=4, max_size=4), label='rgbe')
    offset = len(blob) - height * width * 4 + (row * width + column) * 4
    changed = blob[:offset] + bytes(rgbe) + blob[offset + 4:]
    return extension, changed, (row, column, [c * 2.0 ** (rgbe[3] - 136) if rgbe[3] else 0.0 for c in rgbe[:3]])


@fuzz_settings(40)
@given(data=st.data())
def test_image_mutations_with_known_outcomes(image_seeds, tmp_path_factory, data):
    """A file cut short, one whose first (magic) byte changed, a PNG with a
    changed byte of compressed pixels or a PFM claiming more pixels than it
    holds is refused with an ImageError naming the file; a PFM pixel or an
    RGBE pixel overwritten with valid values is read back as those values."""
    extension, blob, expected = known_image_mutation(data, image_seeds)
    path = tmp_path_factory.mktemp('image') / f'image.{extension}'
    path.write_bytes(blob)
    with time_limit(CASE_SECONDS):
        if expected is None:
            with pytest.raises(tk.ImageError, match=re.escape(str(path))):
                tk.read_bitmap(path)
            return
        image = tk.read_bitmap(path)
    if isinstance(expected, tuple):
        row, column, rgb = expected
        np.testing.assert_array_equal(image[row, column], np.float32(rgb))
    else:
        np.testing.assert_array_equal(image, expected)


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


@pytest.fixture(scope='module')
def textured(tmp_path_factory):
    """A scene with the parameter kinds the box lacks: a bitmap's pixels (a tensor),
    a rough plastic's alpha and eta (floats), a rectangle's texture coordinates."""
    directory = tmp_path_factory.mktemp('textured')
    tk.write_bitmap(directory / 'texture.png', np.random.default_rng(0).random((2, 3, 3)))
    return tk.load_string('<scene version="3.0.0"><shape type="rectangle"><bsdf type="roughplastic">'
                          '<float name="alpha" value="0.2"/><texture type="bitmap" name="diffuse_reflectance">'
                          '<string name="filename" value="texture.png"/></texture></bsdf></shape></scene>',
                          base_dir=str(directory))


def slot_of(params, key):
    """What the assignment oracle needs to know of parameter ``key``."""
    parameter = params.parameter(key)
    owner = parameter.owner
    value_range = parameter.value_range
    return oracles.Slot(parameter.kind.name, as_numpy(params[key]).shape,
                        owner.vertex_count() if parameter.kind.is_geometry
                        or parameter.kind.name == 'FACES' else 0,
                        (value_range.low, value_range.high, value_range.low_open))


#: Numbers for assignments: mostly ordinary, sometimes not finite or beyond float32.
ASSIGNED_NUMBERS = st.one_of(st.floats(-2, 2), st.integers(-3, 3),
                             st.sampled_from([1e-30, 3e38, 1e39, -1e39, float('nan'), float('inf'),
                                              -float('inf'), True]))


def value_for(data, slot):
    """A value aimed at parameter ``slot``: often of the right size, in one of the forms
    an assignment takes (list, tuple, NumPy array, nested list, Dr.Jit array)."""
    sizes = {'COLOR': 3, 'FLOAT': 1, 'ANGLE': 1, 'MATRIX': 16, 'COUNT': 1, 'TENSOR': math.prod(slot.shape),
             'POSITIONS': 3 * slot.vertex_count, 'NORMALS': 3 * slot.vertex_count,
             'TEXCOORDS': 2 * slot.vertex_count, 'FACES': math.prod(slot.shape)}
    size = sizes[slot.kind]
    count = data.draw(st.sampled_from([size] * 5 + [0, 1, 3, size + 1, max(size - 1, 0)]), label='count')
    if slot.kind == 'FACES':
        elements = st.sampled_from([st.integers(0, slot.vertex_count - 1)] * 3 + [st.integers(-1, slot.vertex_count)])
        elements = data.draw(elements, label='index range')
        indices = data.draw(st.lists(elements, min_size=count, max_size=count), label='indices')
        form = data.draw(st.sampled_from(['list', 'list', 'int32', 'int64', 'float', 'drjit']), label='form')
        if form == 'list':
            return indices
        if form == 'drjit':
            return tk.UInt32([max(i, 0) for i in indices])
        return np.array(indices, {'int32': np.int32, 'int64': np.int64, 'float': np.float32}[form])
    if slot.kind == 'ANGLE':
        values = data.draw(st.lists(st.floats(-10, 200) | ASSIGNED_NUMBERS, min_size=count, max_size=count))
    elif slot.kind == 'MATRIX' and count == 16:
        rows = data.draw(st.lists(st.floats(-2, 2), min_size=12, max_size=12), label='rows')
        last = data.draw(st.sampled_from([[0, 0, 0, 1]] * 3 + [[0, 0, 0, 2], [1, 0, 0, 1]]), label='last row')
        values = rows + last
    else:
        clean = data.draw(st.sampled_from([True, True, False]), label='clean numbers')
        values = data.draw(st.lists(st.floats(-2, 2) | st.integers(-3, 3) if clean else ASSIGNED_NUMBERS,
                                    min_size=count, max_size=count), label='values')
    forms = ['shaped', 'numpy', 'drjit', 'list'] if slot.kind == 'TENSOR' else ['list', 'tuple', 'numpy', 'shaped', 'drjit']
    form = data.draw(st.sampled_from(forms), label='form')
    if form == 'tuple':
        return tuple(values)
    if form == 'numpy':
        array = np.array(values, np.float64)
        return array.reshape(slot.shape) if slot.kind == 'TENSOR' and count == size else array
    shapes = {'TENSOR': slot.shape, 'MATRIX': (4, 4), 'POSITIONS': (-1, 3), 'NORMALS': (-1, 3),
              'TEXCOORDS': (-1, 2)}
    if form == 'shaped' and count == size and slot.kind in shapes:
        return np.array(values, np.float64).reshape(shapes[slot.kind]).tolist()
    if form == 'drjit' and count:
        # Dr.Jit arrays of finite numbers, not empty: non-finite and empty ones have tests
        # of their own (test_traverse.py), which the oracle does not model.
        finite = [float(v) if abs(float(v)) < 1e30 else 0.5 for v in values]
        if slot.kind == 'COLOR' and count == 3:
            return tk.Color3f(*finite)
        if slot.kind == 'TENSOR' and count == size:
            return tk.TensorXf(np.array(finite, np.float32).reshape(slot.shape))
        return tk.Float(finite)
    return values


def refused_or_taken_whole(params, update, before, keys):
    """An update that changes a mesh's vertex count: either it takes the new values
    (``keys`` changed) or the mesh refuses them (faces that no longer fit), and
    then it raises a ParameterError and everything is as ``before`` (a snapshot)."""
    try:
        changed = update()
    except tk.ParameterError as error:
        assert 'left as it was' in str(error), str(error)
        after = snapshot(params)
        assert all(np.array_equal(after[k], before[k], equal_nan=True) for k in before)
        event('vertex count change refused')
        return False
    assert sorted(changed) == sorted(keys)
    event('vertex count change taken')
    return True


def snapshot(params):
    """Copies of every parameter's value, to tell whether an assignment changed anything."""
    return {key: as_numpy(params[key]).copy() for key in params.keys()}


@pytest.mark.parametrize('kind', ['COLOR', 'FLOAT', 'ANGLE', 'MATRIX', 'POSITIONS', 'NORMALS', 'TEXCOORDS',
                                  'FACES', 'TENSOR', 'COUNT'])
@fuzz_settings(12)
@given(data=st.data())
def test_assignments_are_checked_and_change_nothing_when_refused(cbox, textured, kind, data):
    """``params[key] = value`` does what oracles.assignment_outcome says: an
    accepted value is stored as documented (e.g. a colour as three float32
    numbers equal to the value's, a matrix as float64) and marks only ``key``
    for update; a refused one raises ParameterError naming the key and what was
    wrong, and changes nothing (no value, nothing marked for update)."""
    scene = data.draw(st.sampled_from([s for s in (cbox, textured)
                                       if any(p.kind.name == kind for p in tk.traverse(s)._parameters.values())]),
                      label='scene')
    params = tk.traverse(scene)
    key = data.draw(st.sampled_from(sorted(k for k in params.keys() if params.parameter(k).kind.name == kind)),
                    label='key')
    slot = slot_of(params, key)
    aimed = data.draw(st.sampled_from([True, True, True, False]), label='aimed')
    value = value_for(data, slot) if aimed else data.draw(ANYTHING, label='value')
    if kind == 'FACES' and isinstance(value, (list, tuple)) and any(isinstance(v, bool) for v in value):
        reject()        # booleans among indices: test_traverse.py, which the oracle does not model
    outcome = oracles.assignment_outcome(slot, as_numpy(value) if dr.is_array_v(value) else value)
    event(f'{slot.kind} {"accepted" if outcome.accepted else "refused"}')
    before = snapshot(params)
    original = params[key]
    if not outcome.accepted:
        with pytest.raises(tk.ParameterError) as error:
            params[key] = value
        message = str(error.value)
        assert f'"{key}"' in message and any(re.search(r, message) for r in outcome.reasons), message
        after = snapshot(params)
        assert all(np.array_equal(after[k], before[k], equal_nan=True) for k in before)
        assert params.update() == []
        return
    params[key] = value
    try:
        stored = as_numpy(params[key])
        assert stored.dtype == outcome.result.dtype, (stored.dtype, outcome.result.dtype)
        if slot.kind == 'TENSOR':
            assert stored.shape == outcome.result.shape
        np.testing.assert_array_equal(stored.reshape(-1), outcome.result.reshape(-1))
        if oracles.changes_vertex_count(slot, outcome):
            refused_or_taken_whole(params, lambda: params.update(), before, [key])
        else:
            assert params.update() == [key]
    finally:
        # Restore the scene for the next case (an empty Dr.Jit array as a list, the
        # form the oracle models).
        params[key] = [] if dr.is_array_v(original) and dr.width(original) == 0 else original
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


#: Pixel values to write: ordinary, signed, large, tiny, and not finite.
PIXEL_VALUES = [0.0, 0.25, 0.5, 1.0, 2.5, -0.5, -3.0, 1e-3, 100.0, float('nan'), float('inf'), -float('inf')]


@st.composite
def images_to_write(draw):
    """(pixels, crop_size): often an image write_bitmap takes (as (H, W), (H, W, C)
    or flat with its crop_size), sometimes a wrong shape, channel count or crop_size."""
    shape = draw(st.one_of(
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        st.tuples(st.integers(1, 5), st.integers(1, 5), st.sampled_from([1, 3, 4, 1, 3, 4, 2, 5])),
        st.lists(st.integers(0, 5), max_size=4).map(tuple)), label='shape')
    pixels = draw(arrays(np.float32, shape, elements=st.sampled_from(PIXEL_VALUES)), label='pixels')
    layout = draw(st.sampled_from(['as is', 'as is', 'with its crop_size', 'flat with its crop_size',
                                   'other crop_size']), label='layout')
    if layout == 'as is' or len(shape) not in (2, 3):
        # Not 4-D arrays with a crop_size: test_bitmap.py refuses them on its own.
        return pixels, None
    if layout == 'other crop_size':
        return pixels, draw(st.one_of(st.tuples(NUMBERS, NUMBERS), st.tuples(st.integers(-1, 6), st.integers(-1, 6)),
                                      st.text(max_size=3), st.lists(st.integers(1, 5), min_size=2, max_size=2)),
                            label='crop_size')
    crop_size = (shape[1], shape[0])
    return (pixels.reshape(-1) if layout.startswith('flat') else pixels), crop_size


@pytest.mark.parametrize('format_extension', ['.png', '.jpg', '.exr', '.hdr', '.pfm'])
@fuzz_settings(15)
@given(data=st.data(), image=images_to_write(),
       colormap=st.sampled_from([None, None, None, 'coolwarm', 'viridis', 'nope', '']),
       vmax=st.sampled_from([None, None, None, 1.0, 0.25, 0, -1.0, float('nan'), float('inf'), 'x']))
def test_write_bitmap_writes_or_raises_image_errors(tmp_path_factory, format_extension, data, image,
                                                    colormap, vmax):
    """write_bitmap does what oracles.write_bitmap_outcome says: a valid image is
    written, alone in its directory, and reads back as the pixels (or their
    colormap colours) within the format's precision (oracles.check_read_back);
    an invalid one raises ImageError naming what was wrong and writes nothing."""
    pixels, crop_size = image
    extension = data.draw(st.sampled_from([format_extension] * 4 + [
        format_extension.upper(), {'.jpg': '.jpeg'}.get(format_extension, format_extension), '.tif', '']),
        label='extension')
    directory = tmp_path_factory.mktemp('out')
    path = directory / f'image{extension}'
    outcome = oracles.write_bitmap_outcome(extension, pixels.shape, crop_size, colormap, vmax)
    event(f'{extension.lower() or "no extension"} {"written" if outcome.accepted else "refused"}')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if not outcome.accepted:
            with pytest.raises(tk.ImageError) as error:
                tk.write_bitmap(path, pixels, crop_size=crop_size, colormap=colormap, vmax=vmax)
            assert any(re.search(r, str(error.value)) for r in outcome.reasons), str(error.value)
            assert not any(directory.iterdir()), 'a refused image left a file behind'
            return
        tk.write_bitmap(path, pixels, crop_size=crop_size, colormap=colormap, vmax=vmax)
    assert [p.name for p in directory.iterdir()] == [path.name]
    written = pixels.reshape(outcome.result)
    if colormap is not None:
        written = oracles.colormapped(written, colormap, vmax).astype(np.float32)
    oracles.check_read_back(extension, written, tk.read_bitmap(path), display_ready=colormap is not None)


# == Values against their ranges, all-or-nothing changes, transforms ========================

# Colours given as numbers, image pixels, dict updates mixing good and bad
# values, Ctrl-C injected at any line of update() and step(), transforms.
# Each draws inputs whose outcome the ranges of tutorial_kit/core/value_ranges.py
# decide: a value inside renders finite images, one outside is refused.

from tutorial_kit.core import value_ranges as ranges        # noqa: E402
from interrupts import InterruptAt                         # noqa: E402

#: (scene fragment with a {value} slot, the range of the value's role).
COLOUR_SLOTS = [
    ('<shape type="rectangle"><bsdf type="diffuse">{value}</bsdf></shape>', 'reflectance', ranges.REFLECTANCE),
    ('<shape type="rectangle"><bsdf type="plastic">{value}</bsdf></shape>', 'diffuse_reflectance',
     ranges.REFLECTANCE),
    ('<shape type="rectangle"><bsdf type="conductor">{value}</bsdf></shape>', 'specular_reflectance',
     ranges.REFLECTANCE),
    ('<shape type="rectangle"><bsdf type="dielectric">{value}</bsdf></shape>', 'specular_transmittance',
     ranges.REFLECTANCE),
    ('<shape type="rectangle"><bsdf type="diffuse"><texture type="checkerboard" name="reflectance">{value}'
     '</texture></bsdf></shape>', 'color0', ranges.REFLECTANCE),
    ('<shape type="rectangle"><bsdf type="roughconductor">{value}</bsdf></shape>', 'k', ranges.COLOR),
    ('<shape type="rectangle"><bsdf type="roughdielectric">{value}</bsdf></shape>', 'alpha', ranges.ROUGHNESS),
    ('<shape type="rectangle"><emitter type="area">{value}</emitter></shape>', 'radiance', ranges.COLOR),
    ('<emitter type="constant">{value}</emitter>', 'radiance', ranges.COLOR),
]
#: Numbers a colour may be given: ordinary, at and beyond the bounds.
COLOUR_NUMBERS = st.one_of(st.floats(-2, 2), st.sampled_from(
    [0.0, 1.0, 1.0000001, -1e-30, 1e-30, 1e3, 1e10, 1e15, 1.01e15, 1e20, 3e38, -3e38, 2147483647, -1]))
#: A lamp, so that reflectances are seen.
FUZZ_LIGHT = ('<shape type="rectangle"><transform name="to_world"><rotate x="1" angle="180"/>'
              '<translate z="3"/></transform><emitter type="area"><rgb name="radiance" value="4"/></emitter>'
              '</shape>')


def colour_element(data, name, number):
    """``number`` as a ``<float>``, ``<integer>`` (when whole and 32-bit) or a grey ``<rgb>``."""
    tags = ['float', 'rgb'] + (['integer'] if float(number).is_integer() and abs(number) < 2 ** 31 else [])
    tag = data.draw(st.sampled_from(tags), label='tag')
    text = str(int(number)) if tag == 'integer' else repr(float(number))
    return f'<{tag} name="{name}" value="{text}"/>'


@fuzz_settings(30)
@given(data=st.data())
def test_numbers_as_colours_are_checked_against_their_roles_range(data):
    """A colour given as a number, an integer or an ``<rgb>`` loads and renders a finite
    image exactly when it is not negative and lies in its role's range; otherwise a
    PluginError names it."""
    fragment, name, value_range = data.draw(st.sampled_from(COLOUR_SLOTS), label='slot')
    number = data.draw(COLOUR_NUMBERS, label='number')
    body = fragment.format(value=colour_element(data, name, number)) + FUZZ_LIGHT
    document = scene_xml(body, width=4, height=4, spp=1)
    # The loader checks the number as written; a colour in a scene is never negative.
    if not (number >= 0 and value_range.contains(number)):
        with pytest.raises(tk.PluginError, match=f'"{name}"'):
            tk.load_string(document)
        return
    with time_limit(CASE_SECONDS):
        image = as_numpy(render_small(tk.load_string(document)))
    assert np.all(np.isfinite(image))


#: Pixel values for image files: mostly ordinary, sometimes beyond any colour.
IMAGE_PIXEL_VALUES = st.one_of(st.floats(0, 1, width=32), st.sampled_from(
    [0.0, 1.0, 1.5, -0.5, 1e15, 2e15, 3e38, float('inf'), -float('inf'), float('nan')]))


def write_pfm_file(path, pixels):
    height, width, _ = pixels.shape
    with open(path, 'wb') as file:
        file.write(f'PF\n{width} {height}\n-1.0\n'.encode())
        file.write(np.ascontiguousarray(pixels[::-1], dtype='<f4').tobytes())


@fuzz_settings(15)
@given(data=st.data())
def test_image_pixels_are_checked_against_their_roles_range(tmp_path_factory, data):
    """A PFM or OpenEXR image used as a reflectance (pixels in [0, 1]) or an
    environment (non-negative, at most the colour bound) loads and renders
    finite exactly when every pixel fits; otherwise a PluginError names it."""
    directory = tmp_path_factory.mktemp('pixels')
    height, width = 2, 2            # one size: its kernels compile once
    pixels = np.array(data.draw(st.lists(IMAGE_PIXEL_VALUES, min_size=height * width * 3,
                                         max_size=height * width * 3), label='pixels'),
                      np.float32).reshape(height, width, 3)
    extension = data.draw(st.sampled_from(['.pfm', '.exr']), label='format')
    name = 'image' + extension
    if extension == '.pfm':
        write_pfm_file(directory / name, pixels)
    else:
        tk.Bitmap(pixels).write(str(directory / name))
    role = data.draw(st.sampled_from(['reflectance', 'environment']), label='role')
    if role == 'reflectance':
        body = ('<shape type="rectangle"><bsdf type="diffuse"><texture type="bitmap" name="reflectance">'
                f'<string name="filename" value="{name}"/></texture></bsdf></shape>' + FUZZ_LIGHT)
        fits = ranges.REFLECTANCE.contains(pixels)
    else:
        body = f'<emitter type="envmap"><string name="filename" value="{name}"/></emitter>'
        fits = ranges.COLOR.contains(pixels)
    document = scene_xml(body, width=4, height=4, spp=1)
    if not fits:
        with pytest.raises(tk.PluginError, match=re.escape(name)):
            tk.load_string(document, base_dir=str(directory))
        return
    with time_limit(CASE_SECONDS):
        image = as_numpy(render_small(tk.load_string(document, base_dir=str(directory))))
    assert np.all(np.isfinite(image))


def plane_and_light():
    """A rectangle (id ``plane``, diffuse) under a constant sky: geometry, a
    reflectance, a radiance and a BSDF's float to update together."""
    return tk.load_string(scene_xml(
        '<shape type="rectangle" id="plane"><bsdf type="roughplastic"><float name="alpha" value="0.3"/>'
        '</bsdf></shape><emitter type="constant" id="sky"/>', width=4, height=4, spp=1))


@pytest.fixture(scope='module')
def plane():
    return plane_and_light()


@fuzz_settings(30)
@given(data=st.data())
def test_dict_updates_mixing_good_and_bad_values_are_all_or_nothing(plane, data):
    """``params.update({...})`` stores every value when all are valid (as the
    assignment oracle says), and otherwise raises a ParameterError and changes
    nothing: no value, nothing left to refresh."""
    params = tk.traverse(plane)
    keys = sorted(k for k in params.keys() if params.parameter(k).kind.name in
                  ('COLOR', 'FLOAT', 'POSITIONS', 'TEXCOORDS', 'NORMALS'))
    chosen = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True), label='keys')
    values = {key: value_for(data, slot_of(params, key)) for key in chosen}
    outcomes = {key: oracles.assignment_outcome(slot_of(params, key), as_numpy(value)
                                                if dr.is_array_v(value) else value)
                for key, value in values.items()}
    event(f'{sum(o.accepted for o in outcomes.values())} of {len(outcomes)} valid')
    before = snapshot(params)
    originals = {key: params[key] for key in chosen}
    if not all(outcome.accepted for outcome in outcomes.values()):
        with pytest.raises(tk.ParameterError):
            params.update(values)
        after = snapshot(params)
        assert all(np.array_equal(after[k], before[k], equal_nan=True) for k in before)
        assert params.update() == []
        return
    try:
        if any(oracles.changes_vertex_count(slot_of(params, key), outcome) for key, outcome in outcomes.items()):
            if not refused_or_taken_whole(params, lambda: params.update(values), before, chosen):
                return
        else:
            assert sorted(params.update(values)) == sorted(chosen)
        for key, outcome in outcomes.items():
            np.testing.assert_array_equal(as_numpy(params[key]).reshape(-1), outcome.result.reshape(-1))
    finally:
        params.update({key: [] if dr.width(value) == 0 else value for key, value in originals.items()})


def counts_our_file(filename):
    """Lines of the toolkit count as places to interrupt, except the few lines
    that hold Ctrl-C back (core/errors.py): Python cannot make those immune to
    an exception raised at an arbitrary line, as a trace function does."""
    return 'tutorial_kit' in filename and not filename.endswith(os.path.join('core', 'errors.py'))


def plane_state(scene, params):
    ray = tk.Ray3f(o=tk.Point3f(0.1, 0.2, 5), d=tk.Vector3f(0, 0, -1))
    return (params['plane.vertex_positions'].numpy().copy(), params['sky.radiance.value'].numpy().copy(),
            float(scene.ray_intersect(ray).t.numpy()[0]))


def same_plane_state(a, b):
    return np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and abs(a[2] - b[2]) < 1e-5


@fuzz_settings(20)
@given(data=st.data())
def test_interrupts_anywhere_in_update_and_step_leave_before_or_after(data):
    """Ctrl-C (a KeyboardInterrupt raised by a trace function) at the k-th line
    the toolkit executes during ``params.update(values)`` or ``opt.step()``
    leaves the scene as before or as after (values and the BVH's view), and a
    bound optimizer's state agrees with the scene."""
    action = data.draw(st.sampled_from(['update', 'step']), label='action')
    adam = data.draw(st.booleans(), label='adam')

    def make():
        scene = plane_and_light()
        params = tk.traverse(scene)
        params.keep(['plane.vertex_positions', 'sky.radiance.value'])
        opt = None
        if action == 'step':
            opt = tk.Adam(params, lr=0.25) if adam else tk.SGD(params, lr=0.25, momentum=0.5)
            dr.set_grad(params['plane.vertex_positions'],
                        dr.full(tk.Float, -1, dr.width(params['plane.vertex_positions'])))
            dr.set_grad(params['sky.radiance.value'], tk.Color3f(-1, 1, 0.5))
        return scene, params, opt

    moved_positions = None

    def act(params, opt):
        if opt is not None:
            opt.step()
        else:
            params.update({'plane.vertex_positions': moved_positions, 'sky.radiance.value': [2, 3, 4]})

    scene, params, opt = make()
    before = plane_state(scene, params)
    moved_positions = (params['plane.vertex_positions'].numpy().reshape(-1, 3) + [0, 0, 1]).ravel()
    counter = InterruptAt(0, counts_our_file)
    counter.run(lambda: act(params, opt))
    after = plane_state(scene, params)
    assert not same_plane_state(before, after)
    k = data.draw(st.integers(1, counter.count), label='line')
    scene, params, opt = make()
    # The count of lines may differ a little from run to run (tables of live
    # objects grow with the process's history): a run that ends before line k
    # was not interrupted, and must then leave the scene as after.
    interrupted = InterruptAt(k, counts_our_file).run(lambda: act(params, opt))
    state = plane_state(scene, params)
    which = 'before' if same_plane_state(state, before) else 'after' if same_plane_state(state, after) else None
    event(f'{action}: {which}' if interrupted else f'{action}: not reached')
    assert interrupted or which == 'after', f'a run of fewer than {k} lines left the scene {which}'
    assert which, f'interrupted at line {k} of {counter.count}: neither before nor after: {state}'
    if opt is not None:
        assert opt.iteration == (1 if which == 'after' else 0)


#: Transform operations and arguments, some degenerate (0, NaN, infinity).
TRANSFORM_NUMBERS = st.one_of(st.floats(-3, 3), st.sampled_from([0.0, 1e-30, 1e30, float('nan'),
                                                                 float('inf'), -float('inf')]))


@fuzz_settings(40)
@given(data=st.data())
def test_transforms_give_finite_results_or_transform_errors(data):
    """A chain of translate, rotate, scale (arguments sometimes 0, NaN or infinite),
    then inverse or transform_normal: each step gives finite entries or raises a
    TransformError; a successful inverse undoes the transform (where the result
    is well conditioned)."""
    cls = data.draw(st.sampled_from([tk.Transform4f, tk.ScalarTransform4f]), label='class')
    trafo = cls()
    three = st.lists(TRANSFORM_NUMBERS, min_size=3, max_size=3)
    try:
        for _ in range(data.draw(st.integers(1, 4), label='operations')):
            operation = data.draw(st.sampled_from(['translate', 'rotate', 'scale', 'scale1']), label='op')
            if operation == 'translate':
                trafo = trafo.translate(data.draw(three, label='offset'))
            elif operation == 'rotate':
                axis = data.draw(st.sampled_from([[1, 0, 0], [0, 1, 0], [1, 1, 0]]) | three, label='axis')
                trafo = trafo.rotate(axis, data.draw(TRANSFORM_NUMBERS, label='angle'))
            elif operation == 'scale':
                trafo = trafo.scale(data.draw(three, label='factors'))
            else:
                trafo = trafo.scale(data.draw(TRANSFORM_NUMBERS, label='factor'))
            assert np.all(np.isfinite(trafo.matrix)) or not np.all(np.abs(trafo.matrix) < 1e300)
        finish = data.draw(st.sampled_from(['inverse', 'normal']), label='finish')
        if finish == 'inverse':
            inverse = trafo.inverse()
            assert np.all(np.isfinite(inverse.matrix))
            if np.linalg.cond(trafo.matrix) < 1e3:
                np.testing.assert_allclose((trafo @ inverse).matrix, np.eye(4), atol=1e-3)
        else:
            normal = trafo.transform_normal([0.0, 0.0, 1.0])
            assert np.all(np.isfinite(np.asarray(normal, dtype=np.float64)))
    except tk.TransformError as error:
        assert isinstance(error, ValueError)
        event('refused')
    except ValueError as error:
        assert 'axis must not be zero' in str(error), error
        event('zero axis')


# -- transforms given bad inputs ------------------------------------------------------------------
# Any value where a transform expects a matrix, a vector or an angle: a transform
# with finite entries, or one of our errors (a TransformError is also a ValueError).

#: Things a user might pass as a vector, a matrix or an angle.
TRANSFORM_ARGUMENTS = st.one_of(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6), max_size=5),
    st.lists(st.lists(st.floats(-10, 10), min_size=0, max_size=5), max_size=5),
    st.text(max_size=4), st.none(), st.booleans(), st.floats(-10, 10), st.integers(-3, 3),
    st.sampled_from([[0, 0, 0], [1, 2], [0, 0, 1], [[1, 2], [3, 4]], np.zeros((4, 4)), np.eye(4), 'ab']))


@fuzz_settings(60)
@given(operation=st.sampled_from(['new', 'translate', 'scale', 'rotate', 'look_at', 'inverse']),
       first=TRANSFORM_ARGUMENTS, second=TRANSFORM_ARGUMENTS, third=TRANSFORM_ARGUMENTS,
       scalar=st.booleans())
def test_fuzz_transforms_build_finite_matrices_or_raise_our_errors(operation, first, second, third, scalar):
    cls = tk.ScalarTransform4f if scalar else tk.Transform4f
    calls = {'new': lambda: cls(first), 'translate': lambda: cls().translate(first),
             'scale': lambda: cls().scale(first), 'rotate': lambda: cls().rotate(first, second),
             'look_at': lambda: cls().look_at(origin=first, target=second, up=third),
             'inverse': lambda: cls(first).inverse()}
    with time_limit(CASE_SECONDS), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            result = calls[operation]()
        except tk.SceneError as error:
            assert isinstance(error, ValueError)
            event('refused')
            return
    event('built')
    matrix = np.asarray(result.matrix.numpy() if hasattr(result.matrix, 'numpy') else result.matrix,
                        dtype=np.float64)
    if scalar and operation != 'new':
        assert np.all(np.isfinite(matrix)), (operation, first, second, third)


# -- command-line paths ---------------------------------------------------------------------------
# A scene path of any shape (dots in folder names, no extension, leading ./)
# renders next to the scene, named after it; an output path that cannot be
# written is one line of error, never an internal error; nothing else is written.

PATH_PARTS = st.sampled_from(['s', 'scene', 'dir.v2', 'a.b.c', '.hidden', 'x y', 'ü', 'scene.xml', 'v1.0'])


@fuzz_settings(4)
@given(folders=st.lists(PATH_PARTS, max_size=2), name=PATH_PARTS, dot=st.booleans(),
       output=st.sampled_from([None, 'out.png', 'out.exr', 'missing/out.png', 'out.txt', '/proc/out.exr', '.']))
def test_fuzz_cli_render_paths(tmp_path_factory, folders, name, dot, output):
    import subprocess
    import sys
    root = tmp_path_factory.mktemp('cli')
    folder = root.joinpath(*folders)
    folder.mkdir(parents=True, exist_ok=True)
    scene = folder / name
    if scene.exists():
        reject()
    scene.write_text(scene_xml('<shape type="rectangle"/><emitter type="constant"/>', width=4, height=4, spp=1))
    relative = os.path.relpath(scene, root)
    argument = ('./' + relative) if dot else relative
    arguments = [sys.executable, '-m', 'tutorial_kit', 'render', argument, '--spp', '1']
    if output is not None:
        arguments += ['-o', output]
    before = {p for p in root.rglob('*')}
    with time_limit(CASE_SECONDS * 2):
        result = subprocess.run(arguments, cwd=root, capture_output=True, text=True, timeout=CASE_SECONDS * 2,
                                env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(__file__))))
    written = {p for p in root.rglob('*')} - before
    assert 'internal error' not in result.stderr and 'Traceback' not in result.stderr, result.stderr
    if output is None:
        expected = scene.with_name(os.path.splitext(scene.name)[0] + '.png') if scene.suffix == '.xml' \
            else scene.with_name(scene.name + '.png') if not os.path.splitext(scene.name)[1] \
            else scene.with_name(os.path.splitext(scene.name)[0] + '.png')
        assert result.returncode == 0, result.stderr
        assert written == {expected}, (argument, written)
    elif result.returncode == 0:
        assert written == {root / output}
    else:
        assert result.returncode == 1 and result.stderr.startswith('error: '), result.stderr
        assert not written, written


# -- include fan-outs -----------------------------------------------------------------------------
# Files that include one another, in any pattern of depth and repetition: the
# scene loads, or is refused with an XMLError, in a bounded time.

@fuzz_settings(20)
@given(levels=st.integers(1, 10), fan_out=st.integers(1, 12), cycle=st.booleans())
def test_fuzz_include_fan_outs_load_or_are_refused_quickly(tmp_path_factory, levels, fan_out, cycle):
    import time
    folder = tmp_path_factory.mktemp('includes')
    for level in range(levels):
        last = level == levels - 1
        target = 'level0.xml' if last and cycle else f'level{level + 1}.xml'
        body = '<bsdf type="diffuse"/>' if last and not cycle else \
            ''.join(f'<include filename="{target}"/>' for _ in range(fan_out))
        (folder / f'level{level}.xml').write_text(f'<scene version="3.0.0">{body}</scene>')
    started = time.perf_counter()
    with time_limit(CASE_SECONDS):
        try:
            scene = tk.load_file(str(folder / 'level0.xml'))
        except tk.XMLError:
            event('refused')
        else:
            assert not cycle
            assert fan_out ** (levels - 1) <= 1000
            event('loaded')
    assert time.perf_counter() - started < 20


# -- many shapes ----------------------------------------------------------------------------------
# Scenes of many shapes of any mix (rectangles, cubes, spheres, disks,
# cylinders, BSDFs of their own or shared, some emitting): they load and
# render finite images, with the same kernels launched for two counts of the
# same mix. (At least 70 shapes: with fewer than 65 triangles the triangle
# BVH tests each in straight-line code, which grows up to that bound.)

@fuzz_settings(3)
@given(count=st.integers(70, 160),
       kinds=st.lists(st.sampled_from(['rectangle', 'cube', 'sphere', 'disk', 'cylinder']), min_size=1, max_size=2),
       materials=st.sampled_from(['own', 'shared', 'none', 'mixed']), lights=st.integers(0, 2))
def test_fuzz_many_shapes_load_and_render_with_kernels_independent_of_the_count(count, kinds, materials, lights):
    def document(n):
        side = int(np.ceil(np.sqrt(n)))
        shapes = []
        for i in range(n):
            kind = kinds[i % len(kinds)]
            choice = materials if materials != 'mixed' else ('own', 'shared', 'none')[i % 3]
            material = {'own': f'<bsdf type="diffuse"><rgb name="reflectance" value="{(i % 5) / 5:.2f}"/></bsdf>',
                        'shared': '<ref id="shared"/>', 'none': ''}[choice]
            light = '<emitter type="area"><rgb name="radiance" value="2"/></emitter>' if i < lights else ''
            shapes.append(f'<shape type="{kind}"><transform name="to_world"><scale value="0.3"/>'
                          f'<translate value="{i % side - side / 2}, {i // side - side / 2}, 0"/></transform>'
                          f'{material}{light}</shape>')
        return scene_xml('<emitter type="constant"/><bsdf type="diffuse" id="shared"/>' + ''.join(shapes),
                         width=8, height=8, spp=1, origin=(0, 0, 2.5 * side), fov=45)

    def launched(n):
        dr.sync_thread()
        with dr.scoped_set_flag(dr.JitFlag.KernelHistory, True):
            dr.kernel_history()
            image = tk.render(tk.load_string(document(n)), spp=1, seed=2)
            values = image.numpy()
            dr.sync_thread()
            history = dr.kernel_history()
        assert np.all(np.isfinite(values))
        return sorted((k['input_count'], k['output_count'], k['operation_count'])
                      for k in history if k['type'] == dr.KernelType.JIT)
    with time_limit(CASE_SECONDS * 2):
        launched(count - 1)                     # compiles what the mix needs
        assert launched(count) == launched(2 * count)

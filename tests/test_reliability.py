"""Regression tests for what fuzzing found: every bad input a SceneError, every valid scene an image.

One test (or parameter) per class of problem: hangs, valid scenes that
failed, internal exceptions instead of our errors, values accepted without
a word, loose parsing and misleading messages. Each runs under a time limit,
so that a hang fails the test instead of stalling the suite.
"""
import os
import subprocess
import sys
import time
import warnings

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.io import loader
from tutorial_kit.io.image_size import MAX_IMAGE_PIXELS
from tutorial_kit.ad.render import MAX_SAMPLES
from helpers import CBOX, ROOT, scene_xml, small_cbox
from time_limit import time_limit

EMITTING_RECTANGLE = '<shape type="rectangle"><emitter type="area"/></shape>'


def load(body='', **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', tk.SceneWarning)
        return tk.load_string(scene_xml(body, **kwargs))


def assert_finite_image(image, shape=(16, 16, 3)):
    values = np.asarray(image)
    assert values.shape == shape
    assert np.all(np.isfinite(values))
    return values


# -- hangs -----------------------------------------------------------------------------------

def test_twosided_nested_200_deep_renders_quickly():
    body = ('<shape type="rectangle"><emitter type="area"/>' + '<bsdf type="twosided">' * 200
            + '<bsdf type="diffuse"/>' + '</bsdf>' * 200 + '</shape>')
    with time_limit(60):
        image = assert_finite_image(tk.render(load(body), spp=1, seed=0))
    assert image.max() == pytest.approx(1.0)      # the light seen directly


def test_references_cannot_make_a_small_file_exponentially_costly():
    # b_k and c_k each hold both b_(k-1) and c_(k-1): 2^k evaluations through 2k elements.
    body = '<bsdf type="diffuse" id="b0"/><bsdf type="diffuse" id="c0"/>'
    for k in range(1, 40):
        body += (f'<bsdf type="twosided" id="b{k}"><ref id="b{k - 1}"/><ref id="c{k - 1}"/></bsdf>'
                 f'<bsdf type="twosided" id="c{k}"><ref id="c{k - 1}"/><ref id="b{k - 1}"/></bsdf>')
    with time_limit(10), pytest.raises(tk.PluginError, match=f'more than {loader.MAX_OBJECT_TREE} objects'):
        load(body + '<shape type="rectangle"><ref id="b39"/></shape>')


def test_reference_chains_are_bounded_in_depth():
    body = '<bsdf type="diffuse" id="b0"/>' + ''.join(
        f'<bsdf type="twosided" id="b{k}"><ref id="b{k - 1}"/></bsdf>' for k in range(1, 1500))
    with time_limit(10), pytest.raises(tk.PluginError, match=f'more than {loader.MAX_NESTING_DEPTH} deep'):
        load(body)


def test_shared_objects_in_a_scene_are_not_limited(monkeypatch):
    monkeypatch.setattr(loader, 'MAX_OBJECT_TREE', 8)
    body = '<bsdf type="diffuse" id="white"/>' + ''.join(
        f'<shape type="rectangle"><transform name="to_world"><translate z="{-k}"/></transform>'
        f'<ref id="white"/></shape>' for k in range(12))
    assert len(load(body).shapes()) == 12


@pytest.mark.parametrize('rfilter', [
    '<rfilter type="box"><float name="radius" value="1e6"/></rfilter>',
    '<rfilter type="tent"><float name="radius" value="10"/></rfilter>',
    '<rfilter type="gaussian"><float name="stddev" value="1e30"/></rfilter>',
])
def test_huge_filters_are_refused_with_the_bound(rfilter):
    text = scene_xml(EMITTING_RECTANGLE, rfilter=rfilter)
    with time_limit(10), pytest.raises(tk.PluginError, match=r'\[0\.\d+, [14]\] pixels'):
        tk.load_string(text)


def test_largest_filter_renders():
    text = scene_xml(EMITTING_RECTANGLE, rfilter='<rfilter type="tent"><float name="radius" value="4"/></rfilter>')
    with time_limit(60):
        assert_finite_image(tk.render(tk.load_string(text), spp=1, seed=0))


@pytest.mark.parametrize('spp', [2 ** 40, 2 ** 24 + 1])
def test_spp_beyond_the_sample_budget_is_refused(spp):
    with time_limit(10), pytest.raises(tk.RenderError, match=str(MAX_SAMPLES)):
        tk.render(load(EMITTING_RECTANGLE), spp=spp)


def test_spp_beyond_memory_is_refused_when_tracking_derivatives():
    scene = small_cbox(64)
    params = tk.traverse(scene)
    params.keep(['red.reflectance.value'])
    optimizer = tk.SGD(params, lr=0.1)
    with time_limit(10), pytest.raises(tk.RenderError, match='GiB'):
        tk.render(scene, spp=2 ** 19, optimizer=optimizer, unbiased=True)


@pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='needs named pipes')
def test_fifos_are_refused_not_opened(tmp_path):
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    with time_limit(10):
        with pytest.raises(tk.XMLError, match='not a regular file'):
            tk.load_file(fifo)
        with pytest.raises(tk.XMLError, match='not a regular file'):
            load(f'<include filename="{fifo}"/>')
        with pytest.raises(tk.MeshError, match='not a regular file'):
            load(f'<shape type="obj"><string name="filename" value="{fifo}"/></shape>')
        os.mkfifo(tmp_path / 'pipe.png')
        with pytest.raises(tk.ImageError, match='not a regular file'):
            tk.read_bitmap(tmp_path / 'pipe.png')


# -- valid scenes that failed ------------------------------------------------------------------

@pytest.mark.parametrize('faces, lit', [
    ('f 1 2 3\n', True),                          # one triangle
    ('f 1 2 2\n', False),                         # zero area
])
def test_small_area_emitters_render(tmp_path, faces, lit):
    mesh = tmp_path / 'light.obj'
    mesh.write_text('v -1 -1 0\nv 1 -1 0\nv 0 1 0\n' + faces)
    floor = ('<shape type="rectangle"><transform name="to_world"><scale value="4"/>'
             '<translate z="-1"/></transform></shape>')
    scene = load(f'<shape type="obj"><string name="filename" value="{mesh}"/>'
                 f'<emitter type="area"/></shape>' + floor)
    image = assert_finite_image(tk.render(scene, spp=2, seed=0))
    assert (image.max() > 0.5) == lit


def test_the_cbox_light_reduced_to_one_triangle_renders():
    scene = small_cbox(16)
    params = tk.traverse(scene)
    params['OBJMesh.faces'] = np.array([0, 1, 2], dtype=np.uint32)
    params.update()
    assert assert_finite_image(tk.render(scene, spp=2, seed=0)).mean() > 0


@pytest.mark.parametrize('body', ['<shape type="rectangle"/>', ''])
def test_scenes_without_light_or_shapes_render_black(body):
    image = assert_finite_image(tk.render(load(body), spp=1, seed=0))
    assert np.all(image == 0)


def test_an_environment_without_shapes_renders_it():
    image = tk.render(load('<emitter type="constant"><rgb name="radiance" value="0.5"/></emitter>'),
                      spp=1, seed=0)
    assert np.allclose(assert_finite_image(image), 0.5)


# -- internal exceptions instead of our errors -------------------------------------------------

@pytest.mark.parametrize('version', ['3.0.0', '0.6.0'])
def test_deep_nesting_is_refused_with_the_bound(version):
    depth = 1100
    text = (f'<scene version="{version}">' + '<bsdf type="twosided">' * depth
            + '</bsdf>' * depth + '</scene>')
    with pytest.raises(tk.XMLError, match=f'more than {loader.MAX_NESTING_DEPTH} deep'):
        tk.load_string(text)


def test_include_chains_are_bounded(tmp_path):
    count = loader.MAX_INCLUDE_DEPTH + 3
    for k in range(count):
        inner = f'<include filename="f{k + 1}.xml"/>' if k + 1 < count else ''
        (tmp_path / f'f{k}.xml').write_text(f'<scene version="3.0.0">{inner}</scene>')
    (tmp_path / 'main.xml').write_text(scene_xml('<include filename="f0.xml"/>'))
    with pytest.raises(tk.XMLError, match=f'more than {loader.MAX_INCLUDE_DEPTH} deep'):
        tk.load_file(tmp_path / 'main.xml')


@pytest.mark.parametrize('element, message', [
    ('<integer name="max_depth" value="123456789012345678901"/>', 'integer in'),
    ('<integer name="max_depth" value="' + '9' * 5000 + '"/>', 'integer in'),
])
def test_huge_integers_are_refused(element, message):
    with pytest.raises(tk.XMLError, match=message):
        load(f'<integrator type="path">{element}</integrator>')


@pytest.mark.parametrize('value, message', [
    ('0mm', 'positive length'), ('-50mm', 'positive length'), ('wide', 'positive length'),
    ('1e-300mm', 'field of view'),
])
def test_bad_focal_lengths_name_the_focal_length(value, message):
    text = scene_xml('').replace('<float name="fov" value="40"/>',
                                 f'<string name="focal_length" value="{value}"/>')
    with pytest.raises(tk.PluginError, match=message) as info:
        tk.load_string(text)
    assert 'fov must' not in str(info.value)


def api_misuse():
    """(name, call) pairs of API calls with bad arguments."""
    scene = small_cbox(8)
    params = tk.traverse(scene)
    key = 'red.reflectance.value'
    kept = tk.traverse(scene)
    kept.keep([key])
    return [
        ('keep("(")', lambda: params.keep('(')),
        ('keep(5)', lambda: params.keep(5)),
        ('keep(None)', lambda: params.keep(None)),
        ('keep([5])', lambda: params.keep([5])),
        ('params[["a"]]', lambda: params[['a']]),
        ('params[5]', lambda: params[5]),
        ('params[None]', lambda: params[None]),
        ('del params[key]', lambda: params.__delitem__(key)),
        ('render(None)', lambda: tk.render(None)),
        ('traverse(None)', lambda: tk.traverse(None)),
        ('render(optimizer=5)', lambda: tk.render(scene, optimizer=5, unbiased=True)),
        ('render(seed="a")', lambda: tk.render(scene, seed='a')),
        ('render(sensor_index=True)', lambda: tk.render(scene, sensor_index=True)),
        ('SGD("params")', lambda: tk.SGD('params', lr=.1)),
        ('SGD(momentum=None)', lambda: tk.SGD(kept, lr=.1, momentum=None)),
        ('Adam(clamp={k: 5})', lambda: tk.Adam(kept, lr=.1, clamp={key: 5})),
        ('Adam(clamp=(0, 1))', lambda: tk.Adam(kept, lr=.1, clamp=(0, 1))),
        ('Adam(lr={})', lambda: tk.Adam(kept, lr={})),
        ('Adam(beta_1="x")', lambda: tk.Adam(kept, lr=.1, beta_1='x')),
        ('check_gradient(direction=[1, 2])', lambda: tk.check_gradient(scene, key, direction=[1, 2])),
        ('check_gradient(key=5)', lambda: tk.check_gradient(scene, 5)),
        ('load_file(None)', lambda: tk.load_file(None)),
        ('load_file(5)', lambda: tk.load_file(5)),
        ('load_file(b"missing")', lambda: tk.load_file(b'missing.xml')),
        ('load_string(None)', lambda: tk.load_string(None)),
        ('load_string(**{"": 1})', lambda: tk.load_string(scene_xml(''), **{'': 1})),
        ('read_bitmap(None)', lambda: tk.read_bitmap(None)),
        ('write_bitmap(None)', lambda: tk.write_bitmap(None, np.zeros((2, 2, 3)))),
    ]


def test_api_misuse_raises_our_errors():
    for name, call in api_misuse():
        with pytest.raises(tk.SceneError):
            call()
            pytest.fail(f'{name} was accepted')


def test_failed_calls_change_nothing():
    scene = small_cbox(8)
    params = tk.traverse(scene)
    key = 'red.reflectance.value'
    before = params[key].numpy().copy()
    with pytest.raises(tk.ParameterError):
        params[key] = [1e39, 0.5, 0.5]
    params.keep([key])
    optimizer = tk.Adam(params, lr=0.1)
    with pytest.raises(tk.ParameterError, match='no parameter named "nope"'):
        optimizer.set_learning_rate({key: 0.5, 'nope': 1})
    assert float(optimizer.lr[key][0]) == pytest.approx(0.1)
    assert np.array_equal(params[key].numpy(), before)


def test_writing_images_where_it_cannot_be_done(tmp_path):
    image = np.ones((4, 4, 3), np.float32)
    (tmp_path / 'folder.png').mkdir()
    calls = [
        (tmp_path / 'folder.png', 'directory'),
        (tmp_path / ('a' * 300 + '.png'), 'too long'),
        (str(tmp_path / 'a\0b.png'), 'NUL'),
        (tmp_path / 'missing' / 'x.png', 'does not exist'),
    ]
    for path, message in calls:
        with pytest.raises(tk.ImageError, match=message):
            tk.write_bitmap(path, image)
    with pytest.raises(tk.ImageError, match='65535'):
        tk.write_bitmap(tmp_path / 'wide.jpg', np.zeros((1, 70000, 3), np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['folder.png']


@pytest.mark.skipif(hasattr(os, 'geteuid') and os.geteuid() == 0, reason='root may write anywhere')
def test_writing_into_a_read_only_directory(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(tk.ImageError, match='not writable'):
            tk.write_bitmap(tmp_path / 'x.png', np.ones((2, 2, 3)))
    finally:
        tmp_path.chmod(0o755)


def test_reading_malformed_and_oversized_images(tmp_path):
    png = tmp_path / 'ok.png'
    tk.write_bitmap(png, np.ones((4, 4, 3), np.float32))
    corrupted = bytearray(png.read_bytes())
    corrupted[40:60] = b'\xff' * 20
    (tmp_path / 'bad.png').write_bytes(bytes(corrupted))
    header = b'#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n'
    (tmp_path / 'huge.hdr').write_bytes(header + b'-Y 100000 +X 100000\n')
    (tmp_path / 'negative.hdr').write_bytes(header + b'-Y -5 +X 5\n')
    (tmp_path / 'empty.pfm').write_bytes(b'PF\n0 0\n-1.0\n')
    (tmp_path / 'bomb.png').write_bytes(_png_header(9000, 9000))
    for name, message in [('bad.png', 'cannot read'), ('huge.hdr', str(MAX_IMAGE_PIXELS)),
                          ('negative.hdr', 'positive'), ('empty.pfm', 'positive'),
                          ('bomb.png', str(MAX_IMAGE_PIXELS))]:
        with time_limit(10), pytest.raises(tk.ImageError, match=message):
            tk.read_bitmap(tmp_path / name)


def _png_header(width, height):
    """A grey PNG claiming ``width`` x ``height`` pixels, with (too little) pixel data."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(bytes(width + 1))) + chunk(b'IEND', b''))


# -- values accepted without a word ------------------------------------------------------------

@pytest.mark.parametrize('value', [[float('nan'), 0, 0], [1e39, .5, .5], [float('inf')] * 3])
def test_non_finite_colours_are_refused(value):
    params = tk.traverse(small_cbox(8))
    with pytest.raises(tk.ParameterError, match='finite'):
        params['red.reflectance.value'] = value
    with pytest.raises(tk.ParameterError, match='finite'):
        params['red.reflectance.value'] = tk.Color3f(*value)


@pytest.mark.parametrize('element, error, message', [
    ('<rgb name="radiance" value="3e38"/>', tk.PluginError, 'at most'),
    ('<rgb name="radiance" value="1e39"/>', tk.XMLError, '32-bit float'),
    ('<rgb name="radiance" value="-1, 1, 1"/>', tk.PluginError, 'negative'),
    ('<spectrum name="radiance" value="100:1, 300:2"/>', tk.XMLError, 'visible range'),
    ('<spectrum name="radiance" value="400:1e39, 500:1"/>', tk.XMLError, '32-bit float'),
])
def test_nonsense_colours_are_refused(element, error, message):
    with pytest.raises(error, match=message):
        load(f'<shape type="rectangle"><emitter type="area">{element}</emitter></shape>')


@pytest.mark.parametrize('body, message', [
    ('<shape type="rectangle"><float name="fov" value="1"><shape type="cube"/></float></shape>',
     'cannot contain <shape>'),
    ('<shape type="rectangle"><bsdf type="diffuse"><rgb name="reflectance" value="1">'
     '<film type="hdrfilm"/></rgb></bsdf></shape>', 'cannot contain <film>'),
    ('<shape type="rectangle"><transform name="to_world"><scale value="2">'
     '<transform name="x"/></scale></transform></shape>', 'cannot contain <transform>'),
    ('<shape type="rectangle"><emitter type="area"><bsdf type="diffuse"/></emitter></shape>',
     '<bsdf> cannot stand inside <emitter>'),
    ('<integrator type="path"><integrator type="path"/></integrator>',
     '<integrator> cannot stand inside <integrator>'),
    ('<integrator type="path"><film type="hdrfilm"/></integrator>', '<film> cannot stand inside'),
])
def test_children_that_would_be_ignored_are_refused(body, message):
    with pytest.raises(tk.SceneError, match=message):
        load(body)


@pytest.mark.parametrize('extra, message', [
    ('<film type="hdrfilm"/>', 'at most one <film>'),
    ('<sampler type="independent"/>', 'at most one <sampler>'),
    ('<shape type="rectangle"/>', '<shape> cannot stand inside <sensor>'),
])
def test_a_sensor_takes_one_film_and_one_sampler(extra, message):
    with pytest.raises(tk.PluginError, match=message):
        load('', extra_sensor=extra)


def test_a_film_inside_a_film_and_objects_in_films_are_refused():
    text = scene_xml('', rfilter='<rfilter type="box"/><emitter type="constant"/>')
    with pytest.raises(tk.PluginError, match='<emitter> cannot stand inside <film>'):
        tk.load_string(text)


@pytest.mark.parametrize('rfilter', [
    '<rfilter type="box"><float name="radius" value="0"/></rfilter>',
    '<rfilter type="box"><float name="radius" value="-1"/></rfilter>',
    '<rfilter type="tent"><float name="radius" value="1e-30"/></rfilter>',
    '<rfilter type="gaussian"><float name="stddev" value="0"/></rfilter>',
    '<rfilter type="gaussian"><float name="stddev" value="1e-30"/></rfilter>',
])
def test_filters_too_small_to_reach_a_pixel_are_refused(rfilter):
    with pytest.raises(tk.PluginError, match='pixels'):
        tk.load_string(scene_xml('', rfilter=rfilter))


@pytest.mark.parametrize('fov', ['179.9999', '180', '0'])
def test_degenerate_fields_of_view_are_refused(fov):
    with pytest.raises(tk.PluginError, match=r'\(0, 179\]'):
        tk.load_string(scene_xml('').replace('value="40"', f'value="{fov}"'))
    with pytest.raises(tk.ParameterError, match=r'\(0, 179\]'):
        tk.traverse(load(''))['PerspectiveCamera.fov'] = float(fov)


# -- loose parsing ---------------------------------------------------------------------------------

@pytest.mark.parametrize('element', [
    '<float name="x" value="4_0"/>', '<float name="x" value="٤"/>', '<integer name="x" value="٤"/>',
    '<float name="x" value="nan"/>', '<float name="x" value="inf"/>', '<float name="x" value="1e400"/>',
    '<integer name="x" value="1_000"/>', '<rgb name="x" value="0x10"/>',
])
def test_numbers_are_parsed_strictly(element):
    with pytest.raises(tk.XMLError):
        load(f'<shape type="rectangle">{element}</shape>')


def test_crop_size_must_be_integers(tmp_path):
    with pytest.raises(tk.ImageError, match='integers'):
        tk.write_bitmap(tmp_path / 'x.png', np.zeros(8 * 8 * 3, np.float32), crop_size=(8.5, 8))


# -- the command line --------------------------------------------------------------------------

def run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, '-m', 'tutorial_kit', *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, 'PYTHONPATH': ROOT})


@pytest.mark.parametrize('args, message', [
    (['--seed', '-1'], '--seed must be'),
    (['-D', '=1'], '-D expects name=value'),
    (['-o', '/nonexistent-directory/x.png'], 'does not exist'),
    (['--spp', str(2 ** 40)], 'samples'),
    (['-D', 'x=1', '--spp', 'many'], 'invalid int value'),
])
def test_cli_errors_are_one_line_before_any_rendering(args, message):
    started = time.perf_counter()
    result = run_cli('render', CBOX, *args)
    assert result.returncode in (1, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and message in lines[0], result.stderr
    assert 'Traceback' not in result.stderr and 'spp/s' not in result.stderr
    assert time.perf_counter() - started < 60


def test_cli_refuses_a_directory_as_output_before_rendering(tmp_path):
    (tmp_path / 'out.png').mkdir()
    result = run_cli('render', CBOX, '-o', str(tmp_path / 'out.png'))
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines() == [f'error: {tmp_path / "out.png"}: is a directory, '
                                                  f'not a file name']


def test_cli_reports_a_missing_gpu_in_one_line(tmp_path):
    result = run_cli('render', CBOX, '--backend', 'cuda', '--spp', '1', '-o', str(tmp_path / 'x.png'))
    if result.returncode == 0:
        pytest.skip('a CUDA device is present')
    assert 'Traceback' not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_renders_a_scene_without_emitters(tmp_path):
    scene = tmp_path / 'dark.xml'
    scene.write_text(scene_xml('<shape type="rectangle"/>'))
    out = tmp_path / 'dark.pfm'
    result = run_cli('render', str(scene), '--spp', '1', '-o', str(out))
    assert result.returncode == 0, result.stderr
    assert np.all(tk.read_bitmap(out) == 0)

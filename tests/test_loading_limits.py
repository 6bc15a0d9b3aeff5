"""Scenes of many shapes, the limits on what a file may make the loader do, and
internal failures that reach the user as our errors.

- Loading N shapes and rendering them launches the same kernels whatever N
  (no kernel whose code grows with the count, compiled anew for each count).
- BSDFs that differ only in constant values run as one batch, with the same
  image and the same derivatives as when called one by one.
- Files read whole have a stated size limit; includes are limited in number
  as well as depth; ``$parameter`` substitution is bounded.
- Bad transforms, objectives, sample counts, foreign parameters and
  unwritable paths raise our errors; the command line reports them in a line.
"""
import os
import signal
import subprocess
import sys
import time

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.course import course_files
from tutorial_kit.core.limits import MAX_MESH_FILE_BYTES, MAX_SCENE_FILE_BYTES
from tutorial_kit.io import loader
from tutorial_kit.io.obj import read_obj
from tutorial_kit.io.obj_fast import read_obj_fast
from tutorial_kit.plugins.shapes.mesh import smooth_vertex_normals, smooth_vertex_normals_host
from tutorial_kit.renderer import scene as scene_module
from helpers import scene_xml

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def many_shapes_xml(count, bsdf='own', width=16):
    """``count`` small rectangles on a grid under a constant sky; ``bsdf``: 'own'
    (a diffuse BSDF each, in seven colours), 'shared' (one, by reference) or 'none'."""
    side = int(np.ceil(np.sqrt(count)))
    shapes = []
    for i in range(count):
        material = {'own': f'<bsdf type="diffuse"><rgb name="reflectance" value="{(i % 7) / 7:.3f}, 0.5, 0.5"/>'
                           '</bsdf>',
                    'shared': '<ref id="shared"/>', 'none': ''}[bsdf]
        shapes.append(f'<shape type="rectangle"><transform name="to_world"><scale value="0.4"/>'
                      f'<translate value="{i % side - side / 2}, {i // side - side / 2}, 0"/></transform>'
                      f'{material}</shape>')
    return scene_xml('<emitter type="constant"/><bsdf type="diffuse" id="shared"/>' + ''.join(shapes),
                     width=width, height=width, origin=(0, 0, 2.5 * side), fov=45)


def kernels_of(make):
    """``(result, kernels)``: what ``make()`` returns, and the JIT kernels it launched,
    each as (inputs, outputs), sorted."""
    dr.sync_thread()
    with dr.scoped_set_flag(dr.JitFlag.KernelHistory, True):
        dr.kernel_history()
        result = make()
        dr.sync_thread()
        history = dr.kernel_history()
    return result, sorted((k['input_count'], k['output_count']) for k in history if k['type'] == dr.KernelType.JIT)


# -- many shapes --------------------------------------------------------------------------

@pytest.mark.parametrize('bsdf', ['own', 'none'])
def test_many_shapes_launch_the_same_kernels_whatever_their_count(bsdf):
    """Before, each shape launched kernels of its own and the scene joined its
    meshes with a concatenation of one operation per shape: the number of
    kernels, and the inputs of one of them, grew with the count."""
    def load_and_render(count):
        scene = tk.load_string(many_shapes_xml(count, bsdf))
        image = tk.render(scene, spp=1, seed=1)
        dr.eval(image)
        return scene
    load_and_render(250)                             # first use: compiles, fills caches
    _, small = kernels_of(lambda: load_and_render(251))
    _, large = kernels_of(lambda: load_and_render(503))
    assert small == large
    assert len(small) < 40


def test_bsdfs_that_differ_in_values_only_run_as_one_batch():
    scene = tk.load_string(many_shapes_xml(12, 'own'))
    batches = [c for c in scene.bsdf_callees if isinstance(c, scene_module.BSDFBatch)]
    assert len(batches) == 1 and len(batches[0].members) == 12
    assert scene.bsdf_callees == batches


def one_by_one(monkeypatch):
    """Call every BSDF on its own, as before batches existed."""
    monkeypatch.setattr(scene_module, 'batch_bsdfs',
                        lambda bsdfs: (list(bsdfs), [(k, 0) for k in range(len(bsdfs))]))


def three_colours_xml():
    return scene_xml('''<emitter type="constant"/>
        <shape type="rectangle" id="floor"><transform name="to_world"><scale value="3"/></transform>
            <bsdf type="diffuse" id="a"><rgb name="reflectance" value="0.2, 0.4, 0.6"/></bsdf></shape>
        <shape type="cube"><transform name="to_world"><scale value="0.4"/><translate x="-0.6" z="0.4"/></transform>
            <bsdf type="diffuse" id="b"><rgb name="reflectance" value="0.9, 0.1, 0.1"/></bsdf></shape>
        <shape type="cube"><transform name="to_world"><scale value="0.4"/><translate x="0.6" z="0.4"/></transform>
            <bsdf type="diffuse" id="c"><float name="reflectance" value="0.7"/></bsdf></shape>''',
                     width=16, height=16, origin=(0, -4, 3))


def test_a_batch_renders_the_image_of_its_members_called_one_by_one(monkeypatch):
    batched = tk.render(tk.load_string(three_colours_xml()), spp=4, seed=3).numpy()
    one_by_one(monkeypatch)
    separate = tk.render(tk.load_string(three_colours_xml()), spp=4, seed=3).numpy()
    assert batched.mean() > 0.05
    np.testing.assert_allclose(batched, separate, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('unbiased', [False, True])
def test_a_batch_gives_each_member_its_own_derivative(monkeypatch, unbiased):
    def gradient():
        scene = tk.load_string(three_colours_xml())
        params = tk.traverse(scene)
        dr.enable_grad(params['b.reflectance.value'])
        image = tk.render(scene, spp=4, seed=3, seed_grad=4 if unbiased else None, unbiased=unbiased)
        dr.backward(dr.mean(image, axis=None))
        return dr.grad(params['b.reflectance.value']).numpy().ravel(), \
            dr.grad(params['a.reflectance.value']).numpy().ravel()
    batched, untracked = gradient()
    one_by_one(monkeypatch)
    separate, _ = gradient()
    assert np.all(batched > 0) and np.all(untracked == 0)
    np.testing.assert_allclose(batched, separate, rtol=1e-4)


def test_a_changed_value_reaches_the_batch():
    scene = tk.load_string(three_colours_xml())
    before = tk.render(scene, spp=2, seed=1).numpy()
    params = tk.traverse(scene)
    params['b.reflectance.value'] = bk.color3f([0.1, 0.9, 0.1])
    params.update()
    after = tk.render(scene, spp=2, seed=1).numpy()
    assert (after[..., 1] - before[..., 1]).max() > 0.05


# -- many area lights ----------------------------------------------------------------------------

def many_lights_xml(count, integrator='path'):
    """``count`` small shapes on a grid, each an area light of its own colour (rectangles,
    cubes, one flipped), above a diffuse floor, without a sky, rendered by ``integrator``."""
    side = int(np.ceil(np.sqrt(count)))
    shapes = []
    for i in range(count):
        kind = ('rectangle', 'cube')[i % 2]
        flip = '<boolean name="flip_normals" value="true"/>' if i == 2 else ''
        shapes.append(f'<shape type="{kind}">{flip}<transform name="to_world"><scale value="0.3"/>'
                      f'<translate value="{i % side - side / 2}, {i // side - side / 2}, 1"/></transform>'
                      f'<emitter type="area"><rgb name="radiance" value="{1 + i % 3}, {1 + i % 5}, 2"/></emitter>'
                      '</shape>')
    floor = ('<shape type="rectangle" id="floor"><transform name="to_world"><scale value="20"/></transform>'
             '<bsdf type="diffuse"/></shape>')
    return scene_xml(f'<integrator type="{integrator}"/>' + floor + ''.join(shapes), width=12, height=12,
                     origin=(0, -1.5 * side, 2.5 * side), fov=60)


def lights_one_by_one(monkeypatch):
    """Call every light on its own, as before batches of lights existed."""
    monkeypatch.setattr(scene_module, 'batch_area_lights',
                        lambda emitters, triangles, *_: (list(emitters), [(k, 0) for k in range(len(emitters))]))


def test_many_area_lights_launch_the_same_kernels_whatever_their_count():
    """Before, each light was called on its own: the kernels held a copy of the
    light's code per light, and a new count compiled them anew."""
    def load_and_render(count):
        image = tk.render(tk.load_string(many_lights_xml(count)), spp=1, seed=1)
        dr.eval(image)
    load_and_render(20)
    _, small = kernels_of(lambda: load_and_render(21))
    _, large = kernels_of(lambda: load_and_render(43))
    assert small == large


@pytest.mark.parametrize('integrator', ['path', 'ptracer'])
def test_a_batch_of_lights_renders_the_image_of_its_lights_called_one_by_one(monkeypatch, integrator):
    def image():
        scene = tk.load_string(many_lights_xml(9, integrator))
        return tk.render(scene, spp=8, seed=3).numpy()
    batched = image()
    assert any(isinstance(c, scene_module.AreaLightBatch)
               for c in tk.load_string(many_lights_xml(9)).emitter_callees)
    lights_one_by_one(monkeypatch)
    separate = image()
    assert batched.mean() > 0.01
    np.testing.assert_allclose(batched, separate, rtol=1e-3, atol=1e-4)


def test_a_batch_of_lights_gives_each_its_own_derivative(monkeypatch):
    def gradients():
        scene = tk.load_string(many_lights_xml(9))
        params = tk.traverse(scene)
        keys = sorted(k for k in params.keys() if k.endswith('emitter.radiance.value'))
        dr.enable_grad(params[keys[4]])
        image = tk.render(scene, spp=4, seed=5)
        dr.backward(dr.mean(image, axis=None))
        return [dr.grad(params[k]).numpy().ravel() for k in (keys[4], keys[5])]
    batched, untracked = gradients()
    lights_one_by_one(monkeypatch)
    separate, _ = gradients()
    assert np.all(batched > 0) and np.all(untracked == 0)
    np.testing.assert_allclose(batched, separate, rtol=1e-4)


def test_lights_whose_mesh_tracks_derivatives_are_called_one_by_one():
    """The batch's sampling records are detached copies of the vertices: while a
    light's mesh tracks derivatives, its lights run on their own, so that
    derivatives reach the vertices; the image stays the same."""
    scene = tk.load_string(many_lights_xml(9))
    before = tk.render(scene, spp=4, seed=2).numpy()
    index = tk.UInt32([0, 1, 2])
    assert type(scene.emitters_at(index)).__name__ == 'BatchedEmitterPtr'
    params = tk.traverse(scene)
    key = next(k for k in params.keys() if k.endswith('vertex_positions') and not k.startswith('floor'))
    dr.enable_grad(params[key])
    params.update()
    image = tk.render(scene, spp=4, seed=2)
    assert type(scene.emitters_at(index)).__name__ == 'EmitterPtr'
    np.testing.assert_allclose(dr.detach(image).numpy(), before, rtol=1e-3, atol=1e-4)


def test_normals_computed_on_the_host_match_the_device():
    rng = np.random.default_rng(4)
    positions = rng.normal(size=(60, 3)).astype(np.float32)
    faces = rng.integers(0, 60, size=(90, 3)).astype(np.uint32)
    faces[0] = (1, 1, 2)                    # a degenerate face adds nothing
    host = smooth_vertex_normals_host(positions, faces)
    device = smooth_vertex_normals(bk.from_numpy(bk.Float, positions), bk.from_numpy(bk.UInt32, faces)).numpy()
    np.testing.assert_allclose(host, device, atol=2e-4)
    unreached = np.setdiff1d(np.arange(60), faces.ravel())
    assert len(unreached) and np.all(host.reshape(-1, 3)[unreached] == (1, 0, 0))


def test_a_small_obj_file_reads_as_the_fast_reader_reads_it(tmp_path):
    text = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 3/3 2/2\nf 1/1 2/2 4/3\nf 2 3 4\n'
    text = text.replace('f 2 3 4\n', 'f 2/1 3/2 4/3\n')
    path = tmp_path / 'small.obj'
    path.write_text(text)
    small = read_obj(str(path))
    fast = read_obj_fast(bytearray(text.encode()), str(path), ())
    for field in ('positions', 'faces', 'texcoords'):
        np.testing.assert_array_equal(getattr(small, field), getattr(fast, field))


def test_the_scene_parameter_list_follows_updates():
    """render() keeps the scene's traversal between renders; an update drops it."""
    scene = tk.load_string(three_colours_xml())
    dr.enable_grad(tk.traverse(scene)['a.reflectance.value'])
    tk.render(scene, spp=1)
    kept = scene.traversal_cache
    assert kept is not None
    tk.render(scene, spp=1)
    assert scene.traversal_cache is kept
    params = tk.traverse(scene)
    params['c.reflectance.value'] = 0.5
    params.update()
    assert scene.traversal_cache is None


def test_a_render_without_tracked_parameters_names_none():
    """Before, every render traversed the whole scene, naming each parameter, to
    find those that track derivatives; a scene of 20,000 shapes spent longer
    on that than on the render. Now a render where none does names none, and
    one that does still finds it."""
    scene = tk.load_string(three_colours_xml())
    tk.render(scene, spp=1)
    assert scene.traversal_cache is None
    value = tk.traverse(scene)['b.reflectance.value']
    dr.enable_grad(value)
    image = tk.render(scene, spp=1, seed=1)
    assert dr.grad_enabled(image)
    dr.backward(dr.mean(image, axis=None))
    assert np.abs(dr.grad(value).numpy()).sum() > 0


# -- limits on files and on what they ask for ---------------------------------------------

def sparse_file(path, size):
    with open(path, 'wb') as file:
        file.truncate(size)
    return str(path)


def test_a_scene_file_beyond_the_size_limit_is_refused_stating_it(tmp_path):
    path = sparse_file(tmp_path / 'huge.xml', MAX_SCENE_FILE_BYTES + 1)
    with pytest.raises(tk.XMLError, match='256 MiB'):
        tk.load_file(path)


@pytest.mark.parametrize('extension', ['obj', 'ply'])
def test_a_mesh_file_beyond_the_size_limit_is_refused_stating_it(tmp_path, extension):
    path = sparse_file(tmp_path / f'huge.{extension}', MAX_MESH_FILE_BYTES + 1)
    if extension == 'ply':
        with open(path, 'r+b') as file:
            file.write(b'ply\n')
    started = time.perf_counter()
    with pytest.raises(tk.MeshError, match='2 GiB'):
        tk.load_dict({'type': extension, 'filename': path})
    assert time.perf_counter() - started < 5


def test_includes_are_limited_in_number_not_only_in_depth(tmp_path):
    """Eight levels, each including the next ten times: 10^8 includes, refused at once."""
    for level in range(8):
        body = ''.join(f'<include filename="level{level + 1}.xml"/>' for _ in range(10)) if level < 7 \
            else '<bsdf type="diffuse"/>'
        (tmp_path / f'level{level}.xml').write_text(f'<scene version="3.0.0">{body}</scene>')
    started = time.perf_counter()
    with pytest.raises(tk.XMLError, match=f'more than {loader.MAX_INCLUDED_FILES} files'):
        tk.load_file(str(tmp_path / 'level0.xml'))
    assert time.perf_counter() - started < 10


def test_a_few_includes_still_load(tmp_path):
    (tmp_path / 'material.xml').write_text('<scene version="3.0.0"><bsdf type="diffuse" id="m"/></scene>')
    (tmp_path / 'main.xml').write_text(scene_xml('<include filename="material.xml"/>'
                                                 '<shape type="rectangle"><ref id="m"/></shape>'))
    assert len(tk.load_file(str(tmp_path / 'main.xml')).shapes()) == 1


def test_parameter_substitution_is_bounded():
    """A 40,000-character parameter used 40 times in one attribute: refused before
    the 1.6 MB value (and a message quoting it) is built."""
    started = time.perf_counter()
    with pytest.raises(tk.XMLError, match='longer than') as error:
        tk.load_string(f'<scene version="3.0.0"><default name="p" value="{"7" * 40000}"/>'
                       f'<shape type="rectangle"><float name="x" value="{"$p" * 40}"/></shape></scene>')
    assert len(str(error.value)) < 500
    assert time.perf_counter() - started < 5


def test_substitution_happens_once():
    """A parameter's value is not searched for parameters again."""
    scene = tk.load_string(scene_xml('<default name="a" value="$b"/><default name="b" value="1"/>'
                                     '<shape type="rectangle" id="$a"/>'))
    assert scene.shapes()[0].id == '$b'


# -- internal failures become our errors ---------------------------------------------------

def test_an_unknown_xml_encoding_is_an_xml_error():
    with pytest.raises(tk.XMLError, match='unknown text encoding'):
        tk.load_string(b'<?xml version="1.0" encoding="no-such-encoding"?><scene version="3.0.0"/>')


@pytest.mark.parametrize('call', [
    lambda T: T().scale(0).inverse(),
    lambda T: T([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]).inverse(),
    lambda T: T().look_at(origin=[1, 2, 3], target=[1, 2, 3], up=[0, 1, 0]),
    lambda T: T().look_at(origin=[0, 0, 0], target=[0, 0, 1], up=[0, 0, 2]),
    lambda T: T([[1, 2], [3, 4]]),
    lambda T: T().translate([1, 2]),
    lambda T: T().scale('ab'),
    lambda T: T().rotate([1, 2], 30),
], ids=['singular', 'singular-matrix', 'origin-is-target', 'up-along-view', '2x2', 'translate-2', 'scale-text',
        'rotate-2'])
@pytest.mark.parametrize('transform', ['ScalarTransform4f', 'Transform4f'])
def test_bad_transforms_raise_transform_errors(transform, call):
    cls = getattr(tk, transform)
    try:
        call(cls)
    except tk.SceneError as error:
        assert isinstance(error, ValueError)
        return
    # A Transform4f (Dr.Jit entries) cannot tell a zero determinant before evaluating;
    # only the scalar transform must refuse singular matrices at once.
    assert transform == 'Transform4f'


def test_edge_sampling_of_a_single_degenerate_triangle_gives_zero_derivatives():
    mesh = tk.Mesh('tri', 3, 1)
    params = tk.traverse(mesh)
    params['vertex_positions'] = tk.Float([0, 0, 0, 1, 1, 1, 2, 2, 2])
    params['faces'] = tk.UInt32([0, 0, 0])
    params.update()
    scene = tk.load_dict({'type': 'scene', 'integrator': {'type': 'prb_projective'},
                          'sensor': {'type': 'perspective', 'film': {'type': 'hdrfilm', 'width': 8, 'height': 8}},
                          'tri': mesh, 'light': {'type': 'constant'}})
    params = tk.traverse(scene)
    dr.enable_grad(params['tri.vertex_positions'])
    params.update()
    image = tk.render(scene, params, spp=2)
    dr.backward(dr.sum(image, axis=None))
    assert np.all(dr.grad(params['tri.vertex_positions']).numpy() == 0)


def test_edge_sampling_beyond_the_sample_budget_is_refused_before_rendering():
    scene = tk.load_string(scene_xml('<integrator type="prb_projective"><integer name="sppi" value="100000000"/>'
                                     '</integrator><shape type="rectangle" id="r"/>', width=64, height=64))
    params = tk.traverse(scene)
    dr.enable_grad(params['r.vertex_positions'])
    params.update()
    started = time.perf_counter()
    with pytest.raises(tk.RenderError, match=r'sppi <= 1048575'):
        tk.render(scene, params, spp=1)
    assert time.perf_counter() - started < 2


def test_parameters_and_optimizers_of_another_scene_are_refused():
    a = tk.load_string(scene_xml('<shape type="rectangle" id="r"/>', width=8, height=8))
    b = tk.load_string(scene_xml('<shape type="rectangle" id="r"/>', width=8, height=8))
    params = tk.traverse(b)
    params.keep(['r.bsdf.reflectance.value'])
    dr.enable_grad(params['r.bsdf.reflectance.value'])
    with pytest.raises(tk.RenderError, match='params belong to another scene'):
        tk.render(a, params, spp=1)
    with pytest.raises(tk.RenderError, match='optimizer\'s parameters belong to another scene'):
        tk.render(a, optimizer=tk.Adam(params, lr=0.1), spp=1)
    assert tk.render(b, params, spp=1).shape == (8, 8, 3)


@pytest.mark.parametrize('objective, message', [
    (lambda image: None, 'must return a Dr.Jit value'),
    (lambda image: 3.0, 'must return a Dr.Jit value'),
    (lambda image: image, 'must return a single number'),
])
def test_check_gradient_refuses_objectives_that_are_not_one_number(objective, message):
    scene = tk.load_string(scene_xml('<shape type="rectangle" id="r"/><emitter type="constant"/>',
                                     width=4, height=4))
    with pytest.raises(tk.ParameterError, match=message):
        tk.check_gradient(scene, 'r.bsdf.reflectance.value', objective=objective, spp=1)


def test_writing_where_no_file_can_be_made_is_an_image_error():
    if not os.path.isdir('/proc/self'):
        pytest.skip('needs /proc')
    with pytest.raises(tk.ImageError, match='/proc/x.exr'):
        tk.write_bitmap('/proc/x.exr', tk.TensorXf(np.zeros((4, 4, 3), np.float32)))


# -- the command line ------------------------------------------------------------------------

TINY_SCENE = ('<scene version="3.0.0"><default name="res" value="8"/><sensor type="perspective">'
              '<film type="hdrfilm"><integer name="width" value="$res"/><integer name="height" value="$res"/>'
              '</film></sensor><shape type="rectangle"/><emitter type="constant"/></scene>')


def cli(*args, cwd):
    return subprocess.run([sys.executable, '-m', 'tutorial_kit', *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=REPOSITORY), timeout=300)


def test_cli_writes_next_to_the_scene_whatever_its_name(tmp_path):
    (tmp_path / 'dir.v2').mkdir()
    (tmp_path / 'dir.v2' / 'scene').write_text(TINY_SCENE)
    (tmp_path / 's').write_text(TINY_SCENE)
    for scene, image in (('dir.v2/scene', 'dir.v2/scene.png'), ('./s', 's.png')):
        result = cli('render', scene, '--spp', '1', cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / image).stat().st_size > 0
    assert not (tmp_path / 'dir.png').exists()


def test_cli_reports_an_unwritable_output_as_an_error_not_an_internal_one(tmp_path):
    if not os.path.isdir('/proc/self'):
        pytest.skip('needs /proc')
    (tmp_path / 's.xml').write_text(TINY_SCENE)
    result = cli('render', 's.xml', '--spp', '1', '-o', '/proc/out.exr', cwd=tmp_path)
    assert result.returncode == 1
    assert 'error: /proc/out.exr' in result.stderr and 'internal error' not in result.stderr


def test_cli_names_the_nearest_parameter_of_a_misspelt_define(tmp_path):
    (tmp_path / 's.xml').write_text(TINY_SCENE)
    result = cli('render', 's.xml', '-D', 'rez=4', cwd=tmp_path)
    assert result.returncode == 1
    assert 'rez' in result.stderr and '"res"' in result.stderr
    assert not (tmp_path / 's.png').exists()


def test_cli_notebooks_refuse_a_blocked_folder_before_writing(tmp_path):
    blocked = tmp_path / 'blocked'
    blocked.mkdir()
    (blocked / 'scenes').write_text('not a folder')
    result = cli('notebooks', str(blocked), cwd=tmp_path)
    assert result.returncode == 1 and 'nothing was written' in result.stderr
    assert sorted(p.name for p in blocked.iterdir()) == ['scenes']
    linked = tmp_path / 'linked'
    (linked / 'notebooks').mkdir(parents=True)
    outside = tmp_path / 'outside.ipynb'
    notebook = next(name for name in course_files() if name.suffix == '.ipynb')
    (linked / notebook).symlink_to(outside)         # dangling
    result = cli('notebooks', str(linked), cwd=tmp_path)
    assert result.returncode == 1 and 'symbolic link' in result.stderr
    assert not outside.exists()


def test_ctrl_c_ends_a_cli_render_promptly(tmp_path):
    (tmp_path / 'big.xml').write_text(TINY_SCENE.replace('value="8"', 'value="256"'))
    process = subprocess.Popen([sys.executable, '-m', 'tutorial_kit', 'render', 'big.xml', '--spp', '20000'],
                               cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, PYTHONPATH=REPOSITORY))
    try:
        # Let it start rendering (1.3 billion samples: minutes), then interrupt. The
        # progress bar is not drawn when stderr is not a terminal, so there is
        # nothing to wait for but time.
        time.sleep(6)
        assert process.poll() is None, process.stderr.read()
        process.send_signal(signal.SIGINT)
        started = time.perf_counter()
        returncode = process.wait(timeout=30)
        assert time.perf_counter() - started < 15
        assert returncode == 130
        assert 'interrupted' in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()


# -- typos -------------------------------------------------------------------------------------

@pytest.mark.parametrize('load, typo, nearest', [
    (lambda: tk.load_string(scene_xml('<integrator type="path"><integer name="max_depht" value="2"/>'
                                      '</integrator>')), 'max_depht', 'max_depth'),
    (lambda: tk.load_string(scene_xml('<shape type="rectangle"><bsdf type="diffuse">'
                                      '<rgb name="reflectanse" value="0.5"/></bsdf></shape>')),
     'reflectanse', 'reflectance'),
    (lambda: tk.load_string(scene_xml('<shap type="rectangle"/>')), 'shap', 'shape'),
    (lambda: tk.load_string(scene_xml('<shape type="rectangl"/>')), 'rectangl', 'rectangle'),
    (lambda: tk.load_string(TINY_SCENE, rez=4), 'rez', 'res'),
    (lambda: tk.load_dict({'type': 'scene', 'integrator': {'type': 'path', 'max_depht': 3}}),
     'max_depht', 'max_depth'),
    (lambda: tk.load_dict({'type': 'scene', 's': {'type': 'rectangl'}}), 'rectangl', 'rectangle'),
    (lambda: tk.load_dict({'type': 'scene', 's': {'type': 'rectangle', 'to_wrld': tk.ScalarTransform4f()}}),
     'to_wrld', 'to_world'),
], ids=['xml-property', 'xml-nested-property', 'xml-element', 'xml-plugin', 'keyword', 'dict-property',
        'dict-plugin', 'dict-transform'])
def test_typos_are_scene_errors_naming_the_nearest_valid_name(load, typo, nearest):
    with pytest.raises(tk.SceneError) as error:
        load()
    assert typo in str(error.value) and f'"{nearest}"' in str(error.value)

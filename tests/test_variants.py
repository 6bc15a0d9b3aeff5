"""Mitsuba 3's variants, array types, transforms, frames, warps, logging and file search."""
import os
import subprocess
import sys

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX_RGB


@pytest.fixture
def scalar_variant():
    """``scalar_rgb`` for the test, the JIT variant again afterwards."""
    before = tk.variant()
    tk.set_variant('scalar_rgb')
    yield
    tk.set_variant(before)


@pytest.fixture
def mi():
    mitsuba = pytest.importorskip('mitsuba')
    before = mitsuba.variant()
    yield mitsuba
    if before:
        mitsuba.set_variant(before)


# -- choosing a variant ------------------------------------------------------------------------

def test_variants_and_the_first_usable_one_wins():
    assert tk.variants()[:2] == ['scalar_rgb', 'llvm_ad_rgb']
    assert ('cuda_ad_rgb' in tk.variants()) == dr.has_backend(dr.JitBackend.CUDA)
    jit = tk.variant()
    tk.set_variant('llvm_ad_spectral', 'scalar_rgb', jit)
    try:
        assert tk.variant() == 'scalar_rgb'
    finally:
        tk.set_variant(jit)
    assert tk.variant() == jit and tk.Float is getattr(dr, jit.split('_')[0]).ad.Float


def test_spectral_polarized_and_bad_names_are_refused_and_change_nothing():
    jit = tk.variant()
    for names in (('scalar_spectral',), ('llvm_ad_mono_polarized', 'nonsense')):
        with pytest.raises(tk.BackendError, match='"scalar_rgb", "llvm_ad_rgb".*no spectral'):
            tk.set_variant(*names)
        assert tk.variant() == jit
    with pytest.raises(TypeError, match='strings'):
        tk.set_variant(3)
    with pytest.raises(TypeError, match='at least one'):
        tk.set_variant()
    assert tk.variant() == jit


def test_scalar_rgb_rebinds_the_types(scalar_variant):
    assert tk.Float is float and tk.UInt32 is int and tk.Bool is bool
    assert tk.Point3f is dr.scalar.Array3f and tk.Vector3u is dr.scalar.Array3u
    assert tk.TensorXf is dr.scalar.TensorXf and tk.PCG32 is dr.scalar.PCG32
    assert tk.Transform4f is tk.ScalarTransform4f and tk.Matrix4f is dr.scalar.Matrix4f
    assert tk.Frame3f is tk.ScalarFrame3f and tk.ScalarPoint3f is dr.scalar.Array3f
    p = tk.Transform4f().translate([1, 2, 3]) @ tk.Point3f(1, 1, 1)
    assert type(p) is dr.scalar.Array3f and list(p) == [2, 3, 4]


def test_jit_variant_types():
    assert tk.Float is tk.backend.Float and tk.Point3f is tk.backend.Array3f
    assert tk.Matrix4f is getattr(dr, tk.backend.name).ad.Matrix4f
    assert tk.TensorXu is getattr(dr, tk.backend.name).ad.TensorXu
    assert tk.ScalarPoint3f is dr.scalar.Array3f and tk.ScalarFloat is float
    assert tk.Transform4f().translate([1, 2, 3]).translation().numpy().ravel().tolist() == [1, 2, 3]


def test_a_scene_renders_in_scalar_rgb_as_a_scalar_tensor(scalar_variant):
    scene = tk.load_file(CBOX_RGB, res=8, spp=1)
    image = tk.render(scene, seed=1)
    assert type(image) is dr.scalar.TensorXf and image.shape == (8, 8, 3)
    tk.set_variant('llvm_ad_rgb')
    assert np.array_equal(np.asarray(image), tk.render(scene, seed=1).numpy())


def test_variant_modules_under_the_name_mitsuba():
    """As the gallery runner does it: the module object is aliased, and both
    attribute access and ``from mitsuba.scalar_rgb import`` reach each variant's types."""
    code = ('import sys, tutorial_kit\n'
            'sys.modules["mitsuba"] = tutorial_kit\n'
            'import mitsuba as mi\n'
            'from mitsuba.scalar_rgb import Transform4f as T, Point3f, Float\n'
            'from mitsuba.llvm_ad_rgb import Float as F\n'
            'from mitsuba import ScalarTransform4f as S\n'
            'import drjit as dr\n'
            'assert T is S is mi.scalar_rgb.Transform4f and Float is float and Point3f is dr.scalar.Array3f\n'
            'assert F is dr.llvm.ad.Float and mi.llvm_ad_rgb.Transform4f is mi.Transform4f\n'
            'assert mi.cuda_ad_rgb.Float is dr.cuda.ad.Float\n'
            'print(T().translate([1, 2, 3]) @ Point3f(0, 0, 0))\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[1, 2, 3]'


# -- transforms ---------------------------------------------------------------------------------

def test_transform_constructors_and_bad_input():
    assert np.array_equal(tk.ScalarTransform3f(3).matrix, 3 * np.eye(3))
    assert np.array_equal(tk.ScalarTransform3f([3, 2, 3]).matrix, [[3, 3, 3], [2, 2, 2], [3, 3, 3]])
    assert np.array_equal(tk.ScalarTransform4f(dr.scalar.Matrix4f(2)).matrix, 2 * np.eye(4))
    assert np.array_equal(tk.ScalarTransform4f.scale(2).matrix, tk.ScalarTransform4f().scale(2).matrix)
    with pytest.raises(ValueError, match='4x4 matrix'):
        tk.ScalarTransform4f([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match='4x4 matrix'):
        tk.ScalarTransform4f(object())
    with pytest.raises(TypeError, match='numbers'):
        tk.ScalarTransform4f([['a'] * 4] * 4)
    with pytest.raises(ValueError, match='3 values'):
        tk.ScalarTransform4f().translate([1, 2])
    with pytest.raises(ValueError, match='0 <= near < far'):
        tk.ScalarProjectiveTransform4f().perspective(90, 1, 0.5)
    with pytest.raises(ValueError, match='fov'):
        tk.ScalarProjectiveTransform4f().perspective(180, 0.1, 1)


def test_projective_transform_divides_and_inverts():
    p = tk.ScalarProjectiveTransform4f().perspective(fov=90, near=0.1, far=10)
    q = p @ [2, -2, 2]
    assert np.allclose(list(q), [1, -1, (10 / 9.9) * (1 - 0.1 / 2)])
    assert np.allclose((p.inverse() @ p).matrix, np.eye(4), atol=1e-6)
    assert np.allclose(list(p.inverse() @ q), [2, -2, 2], atol=1e-5)


def test_frames_of_single_vectors():
    frame = tk.ScalarFrame3f([0, 0, 1], [0, 1, 0], [1, 0, 0])
    assert list(frame.to_local([3, 2, 1])) == [1, 2, 3]
    assert list(frame.to_world(frame.to_local([3, 2, 1]))) == [3, 2, 1]
    around_y = tk.ScalarFrame3f([0, 1, 0])
    assert np.allclose([dr.dot(around_y.s, around_y.t), dr.dot(around_y.s, around_y.n)], 0)
    assert tk.ScalarFrame3f.cos_theta([0.3, 0.4, 0.5]) == 0.5
    jit = tk.Frame3f([0, 1, 0])
    assert np.allclose(jit.to_local(tk.Array3f(0, 1, 0)).numpy().ravel(), [0, 0, 1])
    with pytest.raises(TypeError, match='no axes, the normal n, or s, t and n'):
        tk.Frame3f([1, 0, 0], [0, 1, 0])


@pytest.mark.mitsuba
def test_transforms_and_frames_agree_with_mitsuba(mi):
    mi.set_variant('scalar_rgb')
    chains = [lambda T: T().translate([1, 2, 3]).rotate([0, 1, 0], 30).scale([2, 3, 4]),
              lambda T: T().look_at(origin=[1, 2, 5], target=[0, 1, 0], up=[0, 1, 0]).scale(0.5),
              lambda T: T().orthographic(near=0.1, far=10).translate([1, 0, 0]),
              lambda T: T().to_frame(mi.Frame3f([0.48, 0.6, 0.64])),
              lambda T: T().from_frame(mi.Frame3f([0.48, 0.6, 0.64]))]
    for chain in chains:
        ours, theirs = chain(tk.ScalarTransform4f), chain(mi.ScalarTransform4f)
        assert np.allclose(ours.matrix, np.array(theirs.matrix), atol=1e-5)
        assert np.allclose(ours.inverse().matrix, np.array(theirs.inverse().matrix), atol=1e-4)
        assert np.allclose(list(ours @ [1, 2, 3]), list(theirs @ mi.ScalarPoint3f(1, 2, 3)), atol=1e-4)
    ours = tk.ScalarProjectiveTransform4f().perspective(fov=60, near=0.5, far=20)
    theirs = mi.ScalarProjectiveTransform4f().perspective(fov=60, near=0.5, far=20)
    assert np.allclose(ours.matrix, np.array(theirs.matrix)[0] if np.ndim(theirs.matrix) == 3
                       else np.array(theirs.matrix), atol=1e-5)
    assert np.allclose(list(ours @ [1, 2, 3]), list(theirs @ mi.ScalarPoint3f(1, 2, 3)), atol=1e-5)
    plane = lambda T: T().translate([1, 2]).rotate(30).scale([2, 3])  # noqa: E731
    assert np.allclose(plane(tk.ScalarTransform3f).matrix, np.array(plane(mi.ScalarTransform3f).matrix),
                       atol=1e-5)
    assert np.allclose(list(plane(tk.ScalarTransform3f) @ [1, 1]),
                       list(plane(mi.ScalarTransform3f) @ mi.ScalarPoint2f(1, 1)), atol=1e-5)
    for n in ([0, 1, 0], [0.48, 0.6, 0.64], [0, 0, -1]):
        ours, theirs = tk.ScalarFrame3f(n), mi.Frame3f(n)
        for axis in 'stn':
            assert np.allclose(list(getattr(ours, axis)), list(getattr(theirs, axis)), atol=1e-6)
    v = [0.3, 0.4, 0.5]
    for name in ('cos_theta', 'cos_theta_2', 'sin_theta', 'sin_theta_2', 'tan_theta', 'tan_theta_2',
                 'sin_phi', 'cos_phi', 'sin_phi_2', 'cos_phi_2'):
        assert np.isclose(getattr(tk.ScalarFrame3f, name)(v), getattr(mi.Frame3f, name)(mi.Vector3f(v)),
                          rtol=1e-6), name


# -- warps and helpers ---------------------------------------------------------------------------

WARPS = ['square_to_uniform_disk', 'square_to_uniform_disk_concentric', 'square_to_uniform_triangle',
         'square_to_uniform_sphere', 'square_to_uniform_hemisphere', 'square_to_cosine_hemisphere']


@pytest.mark.mitsuba
def test_warps_agree_with_mitsuba(mi):
    mi.set_variant('llvm_ad_rgb')
    u = np.random.default_rng(1).random((2, 64)).astype(np.float32)
    for name in WARPS:
        ours = getattr(tk.warp, name)(tk.Array2f(*u))
        theirs = getattr(mi.warp, name)(mi.Point2f(*u))
        assert np.allclose(ours.numpy(), theirs.numpy(), atol=1e-5), name
        pdf = getattr(tk.warp, name + '_pdf')(ours)
        assert np.allclose(pdf.numpy(), getattr(mi.warp, name + '_pdf')(theirs).numpy(), rtol=1e-5), name
    cone = tk.warp.square_to_uniform_cone(tk.Array2f(*u), 0.7)
    assert np.allclose(cone.numpy(), mi.warp.square_to_uniform_cone(mi.Point2f(*u), 0.7).numpy(), atol=1e-5)
    assert np.allclose(tk.warp.square_to_uniform_cone_pdf(cone, 0.7).numpy(),
                       mi.warp.square_to_uniform_cone_pdf(mi.Vector3f(cone.numpy()), 0.7).numpy())
    mi.set_variant('scalar_rgb')
    for name in WARPS:        # one sample given as two numbers, as in scalar_rgb
        assert np.allclose(list(getattr(tk.warp, name)([0.2, 0.7])),
                           list(getattr(mi.warp, name)([0.2, 0.7])), atol=1e-6), name


def test_warp_densities_integrate_to_one():
    """Each warp's density, averaged over its own samples' reciprocal, gives the
    measure of its domain: the pdf is normalised and consistent with the warp."""
    rng = np.random.default_rng(2)
    u = tk.Array2f(*rng.random((2, 200_000)).astype(np.float32))
    domains = {'square_to_uniform_disk': np.pi, 'square_to_uniform_triangle': 0.5,
               'square_to_uniform_sphere': 4 * np.pi, 'square_to_uniform_hemisphere': 2 * np.pi}
    for name, measure in domains.items():
        points = getattr(tk.warp, name)(u)
        inverse_pdf = 1 / getattr(tk.warp, name + '_pdf')(points).numpy()
        assert np.isclose(inverse_pdf.mean(), measure, rtol=1e-3), name
    cone = tk.warp.square_to_uniform_cone(u, 0.5)
    assert np.all(cone.z.numpy() >= 0.5 - 1e-6) and np.isclose(cone.z.numpy().mean(), 0.75, atol=2e-3)
    assert np.allclose(dr.norm(cone).numpy(), 1, atol=1e-5)


@pytest.mark.mitsuba
def test_luminance_reflect_refract_fresnel_agree_with_mitsuba(mi):
    mi.set_variant('llvm_ad_rgb')
    assert np.allclose(tk.luminance(tk.Color3f(0.2, 0.3, 0.4)).numpy(),
                       mi.luminance(mi.Color3f(0.2, 0.3, 0.4)).numpy())
    wi = tk.Array3f(0.0, 0.6, 0.8)
    assert np.allclose(tk.reflect(wi).numpy(), mi.reflect(mi.Vector3f(0.0, 0.6, 0.8)).numpy())
    ours = tk.fresnel(tk.Float(0.5), tk.Float(1.5))
    theirs = mi.fresnel(mi.Float(0.5), mi.Float(1.5))
    assert all(np.allclose(a.numpy(), b.numpy(), rtol=1e-6) for a, b in zip(ours, theirs))
    assert np.allclose(tk.refract(wi, tk.Float(0.5), tk.Float(0.7)).numpy(),
                       mi.refract(mi.Vector3f(0.0, 0.6, 0.8), mi.Float(0.5), mi.Float(0.7)).numpy())


def test_pcg32_and_tensors_are_dr_jits_own():
    assert tk.PCG32 is getattr(dr, tk.backend.name).ad.PCG32
    assert tk.TensorXu(tk.UInt32(1, 2, 3, 4), shape=(2, 2)).shape == (2, 2)


# -- logging and file search --------------------------------------------------------------------

def test_log_levels(capsys):
    before = tk.log_level()
    try:
        tk.set_log_level(tk.LogLevel.Info)
        assert tk.log_level() is tk.LogLevel.Info and tk.logger().log_level() is tk.LogLevel.Info
        tk.Log(tk.LogLevel.Info, 'shown')
        tk.Log(tk.LogLevel.Debug, 'hidden')
        assert capsys.readouterr().err == 'INFO  shown\n'
        with pytest.raises(RuntimeError, match='stop here'):
            tk.Log(tk.LogLevel.Error, 'stop here')
        with pytest.raises(ValueError, match='unknown log level 7'):
            tk.set_log_level(7)
        with pytest.raises(TypeError, match='LogLevel'):
            tk.set_log_level('Warn')
        assert tk.log_level() is tk.LogLevel.Info
    finally:
        tk.set_log_level(before)
    assert [int(level) for level in tk.LogLevel] == [0, 100, 200, 300, 400]


def test_progress_reports(capsys, monkeypatch):
    """Progress is a fraction, as Mitsuba 3's progress reporter gives it; a loop that
    puts its figures into the label still moves one bar."""
    import tutorial_kit.core.log as log
    made = []
    monkeypatch.setattr(log, '_progress_bar', lambda: made.append(log._TextBar()) or made[-1])
    for it in range(3):
        tk.logger().log_progress(it / 2, f'Iteration {it:03d}: loss=0.{it}', 'Optimisation', '')
    err = capsys.readouterr().err
    assert len(made) == 1
    assert '  0.0 % Iteration 000: loss=0.0' in err and ' 50.0 % Iteration 001' in err
    assert err.endswith('100.0 % Iteration 002: loss=0.2\n')
    tk.logger().log_progress(0.5, 'Rendering', '50%', '1s')
    assert len(made) == 2 and capsys.readouterr().err == '\r 50.0 % Rendering 1s'
    tk.logger().log_progress(0, 'Rendering again', '', '')
    assert len(made) == 3, 'a report of 0 starts a new bar'
    tk.logger().log_progress(1, 'Rendering again', '', '')
    for wrong in (50, -0.1, True):
        with pytest.raises(ValueError, match=r'fraction in \[0, 1\]'):
            tk.logger().log_progress(wrong, 'Rendering', '', '')


def test_file_resolver_finds_what_the_scene_directory_lacks(tmp_path):
    (tmp_path / 'assets').mkdir()
    (tmp_path / 'assets' / 'wall.obj').write_text('v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n')
    (tmp_path / 'scene').mkdir()
    xml = '<scene version="3.0.0"><shape type="obj"><string name="filename" value="wall.obj"/></shape></scene>'
    (tmp_path / 'scene' / 'a.xml').write_text(xml)
    with pytest.raises(tk.SceneError, match='wall.obj'):
        tk.load_file(tmp_path / 'scene' / 'a.xml')
    resolver = tk.file_resolver()
    before = list(resolver)
    try:
        resolver.append(tmp_path / 'assets')
        assert resolver.resolve('wall.obj') == str(tmp_path / 'assets' / 'wall.obj')
        assert resolver.resolve('missing.obj') == 'missing.obj'
        scene = tk.load_file(tmp_path / 'scene' / 'a.xml')
        assert len(scene.shapes()) == 1
        scene = tk.load_dict({'type': 'scene', 'wall': {'type': 'obj', 'filename': 'wall.obj'}})
        assert len(scene.shapes()) == 1
        # The scene's own directory comes first.
        (tmp_path / 'scene' / 'wall.obj').write_text('v 0 0 0\nv 2 0 0\nv 0 2 0\nf 1 2 3\n')
        params = tk.traverse(tk.load_file(tmp_path / 'scene' / 'a.xml'))
        assert np.array(params['shape_1.vertex_positions' if 'shape_1.vertex_positions' in params
                               else [k for k in params.keys() if k.endswith('vertex_positions')][0]]).max() == 2
        with pytest.raises(TypeError, match='directory names'):
            resolver.prepend(3)
        assert list(resolver) == before + [str(tmp_path / 'assets')]
    finally:
        resolver.clear()
        for path in before:
            resolver.append(path)

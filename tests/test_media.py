"""Participating media: loading, volume grids and .vol files, phase function
sampling (chi-square), analytic transmittance, derivatives against finite differences."""
import os

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer.medium import MediumInteraction3f, PhaseFunctionContext
from tests.chi2 import chi2_test

T = tk.ScalarTransform4f
DATA = 'object.interior_medium.sigma_t.data'


def cube_scene(medium, integrator='volpath', size=16, extra=None, **integrator_options):
    """A cube of ``medium`` behind a null boundary, under a constant sky."""
    description = {
        'type': 'scene', 'integrator': dict({'type': integrator}, **integrator_options),
        'sensor': {'type': 'perspective', 'fov': 40,
                   'to_world': T().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': size, 'height': size, 'filter': {'type': 'box'}}},
        'object': {'type': 'cube', 'bsdf': {'type': 'null'}, 'interior': medium},
        'emitter': {'type': 'constant', 'radiance': 1.0}}
    description.update(extra or {})
    return tk.load_dict(description)


def grid_medium(grid, **options):
    source = 'grid' if isinstance(grid, tk.VolumeGrid) else 'data'
    return dict({'type': 'heterogeneous', 'sigma_t': {'type': 'gridvolume', source: grid,
                                                        'to_world': T().translate(-1).scale(2)}}, **options)


# -- VolumeGrid and the .vol format -------------------------------------------------------

def test_vol_file_round_trip(tmp_path):
    data = np.arange(2 * 3 * 4 * 3, dtype=np.float32).reshape(2, 3, 4, 3) / 7
    grid = tk.VolumeGrid(data)
    assert grid.size() == (4, 3, 2) and grid.channel_count() == 3
    assert grid.max() == pytest.approx(data.max())
    grid.write(tmp_path / 'g.vol')
    again = tk.VolumeGrid(str(tmp_path / 'g.vol'))
    assert np.array_equal(again.numpy(), data)
    assert again.max_per_channel() == pytest.approx(list(data.reshape(-1, 3).max(axis=0)))
    raw = (tmp_path / 'g.vol').read_bytes()
    assert raw[:4] == b'VOL\x03' and len(raw) == 48 + data.size * 4


def test_vol_file_matches_mitsuba_layout(tmp_path):
    """The gallery's smoke file: header fields and data where Mitsuba 3 reads them."""
    path = '/tmp/mt/scenes/volume.vol'
    if not os.path.exists(path):
        pytest.skip('the gallery scene is not checked out')
    grid = tk.VolumeGrid(path)
    x, y, z = grid.size()
    assert os.path.getsize(path) == 48 + 4 * x * y * z * grid.channel_count()


@pytest.mark.parametrize('content, message', [
    (b'', 'does not start with "VOL"'),
    (b'VOX\x03' + bytes(44), 'does not start with "VOL"'),
    (b'VOL\x03\x01\x00', 'ends inside its header'),
    (b'VOL\x02' + bytes(44), 'version 3'),
])
def test_bad_vol_files_are_refused(tmp_path, content, message):
    path = tmp_path / 'bad.vol'
    path.write_bytes(content)
    with pytest.raises(tk.VolumeGridError, match=message) as error:
        tk.VolumeGrid(str(path))
    assert 'bad.vol' in str(error.value)


def test_truncated_and_odd_vol_files_are_refused(tmp_path):
    tk.VolumeGrid(np.ones((2, 2, 2), np.float32)).write(tmp_path / 'g.vol')
    whole = (tmp_path / 'g.vol').read_bytes()
    (tmp_path / 'short.vol').write_bytes(whole[:-4])
    with pytest.raises(tk.VolumeGridError, match='7 of the 8 values'):
        tk.VolumeGrid(str(tmp_path / 'short.vol'))
    (tmp_path / 'encoding.vol').write_bytes(whole[:4] + (2).to_bytes(4, 'little') + whole[8:])
    with pytest.raises(tk.VolumeGridError, match='encoding 2'):
        tk.VolumeGrid(str(tmp_path / 'encoding.vol'))
    (tmp_path / 'channels.vol').write_bytes(whole[:20] + (2).to_bytes(4, 'little') + whole[24:])
    with pytest.raises(tk.VolumeGridError, match='2 channels'):
        tk.VolumeGrid(str(tmp_path / 'channels.vol'))
    nan = np.ones((2, 2, 2), np.float32)
    nan[0, 1, 0] = np.nan
    (tmp_path / 'nan.vol').write_bytes(whole[:48] + nan.tobytes())
    with pytest.raises(tk.VolumeGridError, match='NaN'):
        tk.VolumeGrid(str(tmp_path / 'nan.vol'))
    with pytest.raises(tk.VolumeGridError, match='cannot read'):
        tk.VolumeGrid(str(tmp_path / 'missing.vol'))
    with pytest.raises(tk.VolumeGridError, match='shape'):
        tk.VolumeGrid(np.ones((2, 2, 2, 2), np.float32))


def test_a_scene_naming_a_bad_grid_file_names_it(tmp_path):
    (tmp_path / 'bad.vol').write_bytes(b'nonsense')
    with pytest.raises(tk.SceneError, match='bad.vol'):
        cube_scene({'type': 'heterogeneous', 'sigma_t': {'type': 'gridvolume',
                                                          'filename': str(tmp_path / 'bad.vol')}})


# -- loading and parameters ---------------------------------------------------------------

def test_traverse_names_and_grid_upsampling():
    scene = cube_scene(grid_medium(tk.VolumeGrid(dr.full(tk.TensorXf, 0.5, (4, 4, 4, 1)))), integrator='prbvolpath')
    params = tk.traverse(scene)
    assert DATA in params and params[DATA].shape == (4, 4, 4, 1)
    assert 'object.interior_medium.albedo.value.value' in params
    assert params['object.interior_medium.scale'] == 1.0
    opt = tk.ad.Adam(lr=0.1)
    opt[DATA] = params[DATA]
    params.update(opt)
    image = tk.render(scene, params, spp=2, seed=0)
    dr.backward(dr.mean(image))
    opt.step()
    assert opt.state[DATA][0] == 1 and dr.any(opt.state[DATA][1].array != 0)     # Adam's step and first moment
    # Upsampled between stages: the optimizer's state starts again at the new size.
    opt[DATA] = dr.upsample(opt[DATA], shape=(8, 8, 8))
    params.update(opt)
    assert params[DATA].shape == (8, 8, 8, 1) and scene.shapes()[0].interior.sigma_t.resolution() == (8, 8, 8)
    assert DATA not in opt.state
    image = tk.render(scene, params, spp=2, seed=1)
    dr.backward(dr.mean(image))
    opt.step()
    assert opt.state[DATA][0] == 1 and dr.width(opt.state[DATA][1]) == 512
    with pytest.raises(tk.ParameterError, match=r'\(z, y, x, 1\)'):
        params[DATA] = dr.zeros(tk.TensorXf, (4, 4, 4, 3))


def test_xml_media_on_shapes_and_sensors():
    scene = tk.load_string('''<scene version="3.0.0">
        <integrator type="volpath"><integer name="max_depth" value="4"/></integrator>
        <medium type="homogeneous" id="fog"><rgb name="albedo" value="0.5, 0.6, 0.7"/>
            <float name="sigma_t" value="0.2"/><phase type="hg"><float name="g" value="0.3"/></phase></medium>
        <sensor type="perspective"><ref name="medium" id="fog"/>
            <film type="hdrfilm"><integer name="width" value="8"/><integer name="height" value="8"/></film></sensor>
        <shape type="sphere"><float name="radius" value="20"/><bsdf type="null"/><ref name="interior" id="fog"/></shape>
        <shape type="sphere"><point name="center" x="0" y="0" z="5"/><bsdf type="null"/><ref name="exterior" id="fog"/>
            <medium type="homogeneous" name="interior"><float name="sigma_t" value="3"/></medium></shape>
        <emitter type="constant"/>
    </scene>''')
    fog = scene.sensors()[0].medium
    assert fog is scene.shapes()[0].interior is scene.shapes()[1].exterior and len(scene.media()) == 2
    assert type(fog.phase_function()).__name__ == 'HGPhaseFunction'
    image = np.array(tk.render(scene, spp=4))
    assert np.all(np.isfinite(image)) and image.mean() > 0
    with pytest.raises(tk.PluginError, match='interior'):
        tk.load_string('<scene version="3.0.0"><shape type="sphere"><medium type="homogeneous"/></shape></scene>')
    with pytest.raises(tk.PluginError, match=r'\(-1, 1\)'):
        tk.load_dict({'type': 'hg', 'g': 1.0})
    with pytest.raises(tk.PluginError, match='exactly one'):
        tk.load_dict({'type': 'gridvolume'})


# -- phase functions -----------------------------------------------------------------------

def medium_interaction(width, wi=(0.3, -0.5, 0.81)):
    mi = dr.zeros(MediumInteraction3f, width)
    mi.wi = dr.normalize(bk.Array3f(*wi)) + dr.zeros(bk.Array3f, width)
    mi.sh_frame = tk.Frame3f(mi.wi)
    return mi


@pytest.mark.parametrize('phase', [{'type': 'isotropic'}, {'type': 'hg', 'g': 0.7}, {'type': 'hg', 'g': -0.4},
                                   {'type': 'hg', 'g': 0.0}])
def test_phase_function_sampling_chi2(phase):
    function = tk.load_dict(phase)
    ctx = PhaseFunctionContext()

    def sample(sample1, sample2):
        wo, weight, pdf = function.sample(ctx, medium_interaction(dr.width(sample1)), sample1, sample2)
        value, pdf_again = function.eval_pdf(ctx, medium_interaction(dr.width(sample1)), wo)
        assert np.allclose(np.array(weight), 1, atol=1e-4)
        assert np.allclose(np.array(pdf), np.array(pdf_again), rtol=1e-3, atol=1e-6)
        return wo, dr.full(bk.Bool, True, dr.width(sample1))

    def pdf(directions):
        return function.eval_pdf(ctx, medium_interaction(dr.width(directions)), directions)[1]
    result = chi2_test(sample, pdf, test_count=4)
    assert result.passed, result.message


def test_hg_scatters_forward_for_positive_g():
    function = tk.load_dict({'type': 'hg', 'g': 0.8})
    mi = medium_interaction(1, wi=(0, 0, 1))          # travelling along -z
    forward, _ = function.eval_pdf(None, mi, bk.Array3f(0, 0, -1))
    backward, _ = function.eval_pdf(None, mi, bk.Array3f(0, 0, 1))
    assert forward[0] == pytest.approx((1 - 0.64) / (4 * np.pi * 0.2 ** 3), rel=1e-4)
    assert backward[0] < forward[0] / 100


# -- light transport -----------------------------------------------------------------------

def test_homogeneous_transmittance_matches_beer_lambert():
    """An absorbing slab seen against a white sky: exp(-sigma_t * 2) through the cube,
    on average (each sample passes or is absorbed; 131,072 samples: 0.4 % noise)."""
    scene = cube_scene({'type': 'homogeneous', 'sigma_t': 0.6, 'albedo': 0.0}, size=16,
                       extra={'sensor': {'type': 'orthographic', 'to_world': T().look_at(
                           origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]).scale([0.5, 0.5, 1]),
                           'film': {'type': 'hdrfilm', 'width': 16, 'height': 16, 'filter': {'type': 'box'}}}})
    image = np.array(tk.render(scene, spp=512))
    assert image.mean() == pytest.approx(np.exp(-1.2), rel=0.015)
    assert set(np.unique(image[:, :, 0] * 512 % 1)) == {0.0}     # each sample 0 or 1


def test_heterogeneous_transmittance_is_unbiased():
    """Delta and ratio tracking through a grid of one value: the same exp(-sigma_t d)."""
    grid = np.full((4, 4, 4, 1), 0.3, np.float32)
    grid[0, 0, 0] = 1.0            # a corner the camera does not look through raises the majorant
    scene = cube_scene(grid_medium(grid, albedo=0.0), size=8,
                       extra={'sensor': {'type': 'orthographic', 'to_world': T().look_at(
                           origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]).scale([0.25, 0.25, 1]),
                           'film': {'type': 'hdrfilm', 'width': 8, 'height': 8, 'filter': {'type': 'box'}}}})
    image = np.array(tk.render(scene, spp=512))
    assert image.mean() == pytest.approx(np.exp(-0.6), rel=0.01)


def test_white_furnace():
    """A non-absorbing medium in a uniform white sky is as bright as the sky (albedo 1)."""
    scene = cube_scene({'type': 'homogeneous', 'sigma_t': 2.0, 'albedo': 1.0,
                        'phase': {'type': 'hg', 'g': 0.5}}, integrator='volpath', size=8, rr_depth=1000)
    image = np.array(tk.render(scene, spp=256))
    assert image.mean() == pytest.approx(1.0, rel=0.01)      # 0.3 % noise


# -- derivatives ---------------------------------------------------------------------------

def slab_scene(medium, size=8):
    """``medium`` in the cube [-1, 1]^3 seen straight through, orthographically."""
    return cube_scene(medium, size=size, integrator='prbvolpath', extra={'sensor': {
        'type': 'orthographic', 'to_world': T().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0])
        .scale([0.5, 0.5, 1]), 'film': {'type': 'hdrfilm', 'width': size, 'height': size, 'filter': {'type': 'box'}}}})


def test_homogeneous_density_derivative_is_beer_lambert():
    """d/d sigma_t of exp(-2 sigma_t), through an absorbing slab: forward and reverse mode."""
    scene = slab_scene({'type': 'homogeneous', 'sigma_t': 0.6, 'albedo': 0.0}, size=16)
    params = tk.traverse(scene)
    key = 'object.interior_medium.sigma_t.value.value'
    dr.enable_grad(params[key])
    params.update()
    image = tk.render(scene, params, spp=256, seed=1)
    dr.forward(params[key])
    expected = -2 * np.exp(-1.2)
    assert np.array(dr.grad(image)).mean() == pytest.approx(expected, rel=0.03)
    value = tk.Float(0.6)
    dr.enable_grad(value)
    params[key] = value
    params.update()
    dr.backward(dr.mean(tk.render(scene, params, spp=256, seed=2)))
    assert dr.grad(value)[0] == pytest.approx(expected, rel=0.03)


def test_albedo_derivative_of_a_grid_medium():
    """Single scattering off a thin grid medium lit by the sky scales with its albedo:
    the derivative of the image with respect to a constant albedo is image / albedo."""
    grid = np.random.default_rng(2).uniform(0.1, 0.3, (3, 3, 3, 1)).astype(np.float32)
    scene = cube_scene(grid_medium(grid, albedo=0.5), integrator='prbvolpath', size=8, max_depth=2)
    params = tk.traverse(scene)
    key = 'object.interior_medium.albedo.value.value'
    dr.enable_grad(params[key])
    params.update()
    image = tk.render(scene, params, spp=256, seed=1)
    dr.forward(params[key])
    gradient, escaped = np.array(dr.grad(image)), np.array(tk.render(scene, spp=256, seed=1))
    # Light that scattered once is proportional to the albedo; the sky seen through is not.
    params[key] = 0.0
    params.update()
    through = np.array(tk.render(scene, spp=256, seed=1))
    assert gradient.sum() == pytest.approx((escaped - through).sum() / 0.5, rel=0.05)


@pytest.mark.slow
def test_density_derivatives_match_finite_differences():
    """Forward mode, reverse mode and central differences of a random change of the grid."""
    rng = np.random.default_rng(1)
    grid = rng.uniform(0.2, 1.0, (3, 3, 3, 1)).astype(np.float32)
    scene = cube_scene(grid_medium(grid, scale=2.0, albedo=0.8), integrator='prbvolpath', size=16)
    params = tk.traverse(scene)
    direction = rng.uniform(-1, 1, grid.shape).astype(np.float32)
    weights = tk.TensorXf(rng.uniform(0, 1, (16, 16, 3)).astype(np.float32))

    x = tk.TensorXf(grid)
    dr.enable_grad(x)
    params[DATA] = x
    params.update()
    image = tk.render(scene, params, spp=2048, seed=3)
    dr.set_grad(x, tk.TensorXf(direction))
    forward = np.array(dr.forward_to(image))
    x = tk.TensorXf(grid)
    dr.enable_grad(x)
    params[DATA] = x
    params.update()
    dr.backward(dr.sum(tk.render(scene, params, spp=2048, seed=4) * weights))
    reverse = float((np.array(dr.grad(x)) * direction).sum())

    h = 0.05
    images = []
    for sign in (1, -1):
        params[DATA] = tk.TensorXf(grid + sign * h * direction)
        params.update()
        images.append(np.array(tk.render(scene, spp=32768, seed=5)))
    fd = (images[0] - images[1]) / (2 * h)
    assert np.corrcoef(forward.ravel(), fd.ravel())[0, 1] > 0.95
    assert forward.sum() == pytest.approx(fd.sum(), rel=0.1)
    assert reverse == pytest.approx(float((fd * np.array(weights)).sum()), rel=0.1)

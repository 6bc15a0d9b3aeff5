"""Emitters ``point``, ``spot``, ``directional``, ``envmap``, scenes with many
emitters, and the integrators' Mitsuba 3 parameters.

Oracles: the inverse-square law and Lambert's cosine law on a diffuse
plane (exact for delta lights), a furnace for the environment map, a
chi-square test and the integral of its density, finite differences of
renders, and Mitsuba 3 rendering the same scenes (skipped without it).
"""
import math

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import warp
from tutorial_kit.renderer.interaction import DirectionSample3f, Interaction3f

from chi2 import chi2_test

ALBEDO = 0.5


def plane_scene(light, integrator=None, size=24, height=3.0, fov=50, extra=None):
    """A diffuse square (side 4, albedo 0.5, facing +z) under ``light`` (a dict),
    seen from straight above at ``height``; ``integrator`` (a dict), default direct light."""
    T = tk.ScalarTransform4f
    scene = {'type': 'scene', 'integrator': integrator or {'type': 'path', 'max_depth': 2},
             'plane': {'type': 'rectangle', 'to_world': T().scale(2),
                       'bsdf': {'type': 'diffuse', 'reflectance': ALBEDO}},
             'light': light,
             'camera': {'type': 'perspective', 'fov': fov,
                        'to_world': T().look_at(origin=[0, 0, height], target=[0, 0, 0], up=[0, 1, 0]),
                        'film': {'type': 'hdrfilm', 'width': size, 'height': size, 'rfilter': {'type': 'box'}}}}
    scene.update(extra or {})
    return tk.load_dict(scene)


def pixel_points(scene):
    """World points (NumPy (H, W, 3)) that the centres of the pixels see."""
    sensor = scene.sensors()[0]
    width, height = sensor.film().crop_size()
    y, x = np.mgrid[0:height, 0:width]
    film = tk.Array2f(tk.Float(((x.ravel() + 0.5) / width).astype(np.float32)),
                      tk.Float(((y.ravel() + 0.5) / height).astype(np.float32)))
    ray, _ = sensor.sample_ray(0.0, 0.0, film, tk.Array2f(0.5, 0.5))
    si = scene.ray_intersect(ray)
    assert bool(dr.all(si.is_valid()))
    return np.asarray(si.p).T.reshape(height, width, 3)


def assert_matches(image, expected, tolerance):
    """Pixel by pixel within ``tolerance`` of the largest expected value."""
    scale = expected.max()
    assert scale > 0
    error = np.abs(image - expected).max() / scale
    assert error < tolerance, f'largest difference {error:.4f} of the brightest pixel'


# -- analytic irradiance on a diffuse plane ---------------------------------------------------------
def test_point_light_follows_the_inverse_square_and_cosine_laws():
    intensity, position = np.array([6.0, 4.0, 2.0]), np.array([0.4, -0.3, 1.5])
    scene = plane_scene({'type': 'point', 'position': position.tolist(),
                         'intensity': {'type': 'rgb', 'value': intensity.tolist()}})
    image = tk.render(scene, spp=64, seed=1).numpy()
    to_light = position - pixel_points(scene)
    r2 = (to_light ** 2).sum(axis=2, keepdims=True)
    cos = to_light[..., 2:] / np.sqrt(r2)
    assert_matches(image, ALBEDO / np.pi * intensity * cos / r2, 0.02)


def test_point_light_by_to_world_is_at_its_translation():
    a = plane_scene({'type': 'point', 'position': [0.2, 0.1, 1]})
    b = plane_scene({'type': 'point', 'to_world': tk.ScalarTransform4f().translate([0.2, 0.1, 1])})
    assert np.allclose(tk.render(a, spp=4, seed=0).numpy(), tk.render(b, spp=4, seed=0).numpy())


def spot_falloff(cos_theta, cutoff, beam):
    theta = np.arccos(np.clip(cos_theta, -1, 1))
    ramp = np.where(theta <= beam, 1.0, (cutoff - theta) / (cutoff - beam))
    return np.where(theta < cutoff, ramp, 0.0)


def test_spot_light_is_a_point_light_with_mitsubas_falloff():
    origin, cutoff, beam = np.array([0.0, 0.0, 1.5]), 35.0, 20.0
    scene = plane_scene({'type': 'spot', 'intensity': 5.0, 'cutoff_angle': cutoff, 'beam_width': beam,
                         'to_world': tk.ScalarTransform4f().look_at(origin=origin.tolist(), target=[0.3, 0, 0],
                                                                    up=[0, 1, 0])})
    image = tk.render(scene, spp=64, seed=1).numpy()
    to_light = origin - pixel_points(scene)
    r = np.linalg.norm(to_light, axis=2, keepdims=True)
    axis = np.array([0.3, 0, 0]) - origin
    axis /= np.linalg.norm(axis)
    cos_axis = (-to_light / r) @ axis
    falloff = spot_falloff(cos_axis, math.radians(cutoff), math.radians(beam))[..., None]
    expected = ALBEDO / np.pi * 5.0 * falloff * (to_light[..., 2:] / r) / r ** 2 * np.ones(3)
    # A pixel is an average over its footprint: leave out those near the profile's two kinks.
    angle = np.degrees(np.arccos(np.clip(cos_axis, -1, 1)))
    smooth = (np.abs(angle - beam) > 4) & (np.abs(angle - cutoff) > 4)
    assert smooth.mean() > 0.5 and (smooth & (angle < cutoff)).sum() > 50
    assert_matches(image[smooth], expected[smooth], 0.025)
    assert abs(image[smooth].sum() / expected[smooth].sum() - 1) < 0.005
    assert image[angle > cutoff + 4].max() == 0


def test_directional_light_gives_the_same_irradiance_everywhere():
    direction = np.array([0.3, -0.4, -1.0])
    scene = plane_scene({'type': 'directional', 'direction': direction.tolist(),
                         'irradiance': {'type': 'rgb', 'value': [1.0, 2.0, 3.0]}})
    image = tk.render(scene, spp=16, seed=1).numpy()
    cos = -direction[2] / np.linalg.norm(direction)
    expected = np.broadcast_to(ALBEDO / np.pi * np.array([1.0, 2.0, 3.0]) * cos, image.shape)
    assert_matches(image, expected, 1e-3)


def test_directional_light_is_blocked_by_what_stands_in_its_way():
    # A roof above the plane: the sampled point lies beyond the scene's bounding sphere.
    roof = {'roof': {'type': 'rectangle', 'to_world': tk.ScalarTransform4f().translate([0, 0, 1]).scale(5),
                     'flip_normals': True}}
    scene = plane_scene({'type': 'directional', 'direction': [0, 0, -1]}, extra=roof, height=0.5)
    assert tk.render(scene, spp=4, seed=0).numpy().max() == 0


def uniform_envmap(value, height=8, width=16, lower=None):
    """An (H, W, 3) image of ``value``, its lower half (below the horizon) ``lower``."""
    pixels = np.full((height, width, 3), value, np.float32)
    if lower is not None:
        pixels[height // 2 + 1:] = lower
    return pixels


def test_envmap_furnace_and_orientation():
    # Upper hemisphere (local +y, turned to world +z) of radiance 2, lower one of 50:
    # a one-sided plane facing up sees only the upper one and reflects albedo * 2.
    T = tk.ScalarTransform4f
    light = {'type': 'envmap', 'bitmap': uniform_envmap(2.0, height=9, lower=50.0),
             'to_world': T().rotate([1, 0, 0], 90)}
    image = tk.render(plane_scene(light, size=8, fov=30), spp=256, seed=1).numpy()
    assert abs(image.mean() / (ALBEDO * 2.0) - 1) < 0.01


# -- sampling: density, weights, chi-square -----------------------------------------------------------
def procedural_envmap(height=16, width=32):
    """A smooth sky with a bright sun and a colour gradient (linear RGB, float32)."""
    v, u = np.mgrid[0:height, 0:width]
    theta, phi = np.pi * v / (height - 1), 2 * np.pi * (u + 0.5) / width
    sun = 30 * np.exp(-((theta - 0.6) ** 2 + (phi - 2.0) ** 2) / 0.05)
    base = 0.5 + 0.4 * np.cos(theta)
    return np.stack([base + sun, base * 0.8 + sun, 0.6 + 0.2 * np.sin(phi) + sun * 0.9], axis=2).astype(np.float32)


@pytest.fixture(scope='module')
def envmap():
    return tk.load_dict({'type': 'envmap', 'bitmap': procedural_envmap(), 'scale': 1.5,
                         'to_world': tk.ScalarTransform4f().rotate([0.3, 1, 0.2], 70)})


def lanes(n, seed=0):
    rng = tk.PCG32(n, seed)
    return tk.Array2f(rng.next_float32(), rng.next_float32())


def test_envmap_sampling_passes_chi2(envmap):
    it = dr.zeros(Interaction3f, 1)

    def sample(_, sample2):
        ds, _ = envmap.sample_direction(it, sample2)
        return ds.d, ds.pdf > 0
    result = chi2_test(sample, lambda d: envmap.pdf_direction(it, DirectionSample3f(d=d)))
    assert result.passed, result.message


def test_envmap_density_integrates_to_one_and_weight_is_eval_over_pdf(envmap):
    n = 1 << 20
    it = dr.zeros(Interaction3f, n)
    uniform = warp.square_to_uniform_sphere(lanes(n, 1))
    integral = dr.mean(envmap.pdf_direction(it, DirectionSample3f(d=uniform)))[0] * 4 * np.pi
    assert abs(integral - 1) < 5e-3
    ds, weight = envmap.sample_direction(it, lanes(n, 2))
    si = dr.zeros(tk.SurfaceInteraction3f, n)
    si.wi = -ds.d
    radiance = envmap.eval(si)
    # Equal up to rounding, except at the poles, where every longitude is the same direction.
    close = np.isclose(np.asarray(weight * ds.pdf), np.asarray(radiance), rtol=1e-4, atol=1e-5).all(axis=0)
    assert close.mean() > 0.9999
    pdf = envmap.pdf_direction(it, ds)
    assert np.mean(np.abs(np.asarray(pdf / ds.pdf) - 1) < 1e-3) > 0.9999
    # Importance sampling and uniform sampling estimate the same integral of radiance.
    si.wi = -uniform
    uniform_estimate = np.asarray(dr.mean(envmap.eval(si), axis=1)).ravel() * 4 * np.pi
    assert np.allclose(np.asarray(dr.mean(weight, axis=1)).ravel(), uniform_estimate, rtol=0.01)


def test_envmap_radiance_follows_the_image_layout():
    pixels = procedural_envmap()
    light = tk.load_dict({'type': 'envmap', 'bitmap': pixels})
    height, width, _ = pixels.shape
    row, column = 5, 9                       # a pixel centre: its own value, unblended
    theta, phi = np.pi * row / (height - 1), 2 * np.pi * (column + 0.5) / width
    d = [float(c) for c in (np.sin(phi) * np.sin(theta), np.cos(theta), -np.cos(phi) * np.sin(theta))]
    si = dr.zeros(tk.SurfaceInteraction3f, 1)
    si.wi = -tk.Array3f(*d)
    assert np.allclose(np.asarray(light.eval(si)).ravel(), pixels[row, column], rtol=1e-4)


@pytest.mark.parametrize('light', [
    {'type': 'point', 'position': [0, 0, 1], 'intensity': 2.0},
    {'type': 'spot', 'to_world': tk.ScalarTransform4f().translate([0, 0, 1]).rotate([1, 0, 0], 180)},
    {'type': 'directional', 'direction': [0, 0.5, -1]},
])
def test_delta_lights_are_sampled_with_certainty_and_never_hit(light):
    emitter = tk.load_dict(light)
    assert emitter.is_delta() and not emitter.is_environment()
    n = 16
    it = dr.zeros(Interaction3f, n)
    it.p = tk.Array3f(tk.Float(np.linspace(-0.2, 0.2, n).astype(np.float32)), 0, 0)
    ds, weight = emitter.sample_direction(it, lanes(n))
    assert bool(dr.all(ds.delta)) and np.allclose(np.asarray(ds.pdf), 1)
    assert np.allclose(np.asarray(weight), np.asarray(emitter.eval_direction(it, ds)), rtol=1e-5)
    assert float(dr.max(weight)[0]) > 0
    assert np.all(np.asarray(emitter.pdf_direction(it, ds)) == 0)
    assert np.all(np.asarray(emitter.eval(dr.zeros(tk.SurfaceInteraction3f, n))) == 0)


def test_scene_chooses_among_all_emitters_uniformly():
    T = tk.ScalarTransform4f
    scene = plane_scene({'type': 'point', 'position': [0, 0, 1]}, extra={
        'sky': {'type': 'constant', 'radiance': 0.1},
        'sun': {'type': 'directional', 'direction': [0, 0, -1]},
        'lamp': {'type': 'rectangle', 'to_world': T().translate([0, 0, 2]).rotate([1, 0, 0], 180).scale(0.2),
                 'emitter': {'type': 'area', 'radiance': 3.0}}})
    assert [type(e).__name__ for e in scene.emitters()] == ['PointLight', 'ConstantEmitter',
                                                            'DirectionalEmitter', 'AreaLight']
    n = 4096
    ref = dr.zeros(Interaction3f, n)
    ref.n = tk.Array3f(0, 0, 1)
    ds, weight = scene.sample_emitter_direction(ref, lanes(n, 3), test_visibility=False)
    chosen = np.bincount(np.asarray(ds.emitter_index), minlength=4) / n
    assert np.allclose(chosen, 0.25, atol=0.03)
    delta = np.asarray(ds.delta)
    assert np.allclose(np.asarray(ds.pdf)[delta], 0.25)      # certain point, chosen with 1/4
    pdf = scene.pdf_emitter_direction(ref, ds)
    assert np.allclose(np.asarray(pdf)[~delta], np.asarray(ds.pdf)[~delta], rtol=1e-4)


# -- bad inputs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('light, words', [
    ({'type': 'point', 'intensity': -1.0}, ['light', 'intensity', 'negative']),
    ({'type': 'point', 'position': [0, 0, 1], 'to_world': tk.ScalarTransform4f()}, ['light', 'not both']),
    ({'type': 'spot', 'cutoff_angle': 95.0}, ['light', 'cutoff_angle', '(0, 90]']),
    ({'type': 'spot', 'cutoff_angle': 0.0}, ['light', 'cutoff_angle']),
    ({'type': 'spot', 'cutoff_angle': 20.0, 'beam_width': 30.0}, ['light', 'beam_width']),
    ({'type': 'directional', 'direction': [0, 0, 0]}, ['light', 'direction']),
    ({'type': 'directional', 'irradiance': {'type': 'rgb', 'value': [1, -1, 1]}}, ['irradiance']),
    ({'type': 'envmap', 'bitmap': np.full((4, 8, 3), np.nan, np.float32)}, ['light.bitmap', 'NaN or infinite']),
    ({'type': 'envmap', 'bitmap': -np.ones((4, 8, 3), np.float32)}, ['light', 'negative']),
    ({'type': 'envmap'}, ['light', 'filename']),
])
def test_bad_emitters_are_refused(light, words):
    with pytest.raises(tk.SceneError) as error:
        plane_scene(light)
    for word in words:
        assert word in str(error.value)


def test_missing_envmap_file_names_the_scene_file_and_line(tmp_path):
    path = tmp_path / 'scene.xml'
    path.write_text('<scene version="3.0.0">\n  <emitter type="envmap">\n'
                    '    <string name="filename" value="nowhere.exr"/>\n  </emitter>\n</scene>\n')
    with pytest.raises(tk.PluginError) as error:
        tk.load_file(str(path))
    assert 'scene.xml:3' in str(error.value) and 'nowhere.exr' in str(error.value)


def test_a_scene_takes_one_environment():
    with pytest.raises(tk.PluginError, match='at most one environment'):
        plane_scene({'type': 'constant'}, extra={'sky': {'type': 'envmap', 'bitmap': uniform_envmap(1.0)}})
    with pytest.raises(tk.PluginError, match='only area emitters'):
        tk.load_dict({'type': 'scene', 'plane': {'type': 'rectangle', 'emitter': {'type': 'point'}}})


# -- derivatives --------------------------------------------------------------------------------------
def test_point_light_intensity_gradient_matches_finite_differences():
    scene = plane_scene({'type': 'point', 'position': [0.2, 0, 1], 'intensity': 3.0},
                        integrator={'type': 'path', 'max_depth': 3}, size=16)
    result = tk.check_gradient(scene, 'light.intensity.value', spp=4, seed=2, step=0.1)
    assert result.relative_error < 1e-3, result


def test_envmap_data_gradient_matches_finite_differences():
    light = {'type': 'envmap', 'bitmap': procedural_envmap(8, 16),
             'to_world': tk.ScalarTransform4f().rotate([1, 0, 0], 90)}
    scene = plane_scene(light, size=16)
    # Brighter in some pixels than others (a direction whose effect does not cancel out).
    direction = np.random.default_rng(0).uniform(0.5, 1.5, size=(8, 16, 3))
    result = tk.check_gradient(scene, 'light.data', direction=direction, spp=64, seed=2, step=0.05)
    assert result.relative_error < 0.02, result


def test_envmap_sampling_is_rebuilt_after_update():
    scene = plane_scene({'type': 'envmap', 'bitmap': uniform_envmap(1.0)})
    params = tk.traverse(scene)
    assert params['light.data'].shape == (8, 16, 3)
    light = scene.emitters()[0]
    before = light.distribution
    params['light.data'] = tk.TensorXf(procedural_envmap(8, 16))
    params.update()
    assert light.distribution is not before
    it = dr.zeros(Interaction3f, 1 << 16)
    ds, weight = light.sample_direction(it, lanes(1 << 16))
    si = dr.zeros(tk.SurfaceInteraction3f, 1 << 16)
    si.wi = -ds.d
    close = np.isclose(np.asarray(weight * ds.pdf), np.asarray(light.eval(si)), rtol=1e-4, atol=1e-5).all(axis=0)
    assert close.mean() > 0.999


def test_envmap_can_be_optimised():
    T = tk.ScalarTransform4f
    target = procedural_envmap(8, 16)
    light = {'type': 'envmap', 'bitmap': target, 'to_world': T().rotate([1, 0, 0], 90)}
    scene = plane_scene(light, size=8)
    reference = tk.render(scene, spp=16, seed=0)
    params = tk.traverse(scene)
    params['light.data'] = tk.TensorXf(np.full(target.shape, 0.5, np.float32))
    params.update()
    params.keep(['light.data'])
    opt = tk.Adam(params, lr=0.2)
    losses = []
    for it in range(8):
        image = tk.render(scene, optimizer=opt, spp=4, seed=it + 1)
        loss = dr.mean(dr.square(image - reference), axis=None)
        dr.backward(loss)
        opt.step()
        losses.append(loss.numpy().item())
    assert losses[-1] < 0.5 * losses[0]


# -- integrators: Mitsuba 3's parameters ---------------------------------------------------------------
def test_direct_counts_its_samples():
    integrator = tk.load_dict({'type': 'direct', 'emitter_samples': 3, 'bsdf_samples': 2})
    assert (integrator.emitter_samples, integrator.bsdf_samples) == (3, 2)
    assert tk.load_dict({'type': 'direct', 'shading_samples': 4}).bsdf_samples == 4
    with pytest.raises(tk.PluginError, match='not both'):
        tk.load_dict({'type': 'direct', 'shading_samples': 2, 'bsdf_samples': 1})
    with pytest.raises(tk.PluginError, match='at least one'):
        tk.load_dict({'type': 'direct', 'emitter_samples': 0, 'bsdf_samples': 0})


@pytest.mark.parametrize('integrator', [
    {'type': 'direct', 'emitter_samples': 4, 'bsdf_samples': 0},
    {'type': 'direct', 'emitter_samples': 0, 'bsdf_samples': 4},
    {'type': 'direct', 'emitter_samples': 2, 'bsdf_samples': 3},
])
def test_direct_sample_counts_keep_the_expected_image(integrator):
    light = {'type': 'constant', 'radiance': 1.0}
    image = tk.render(plane_scene(light, integrator=integrator, size=8), spp=64, seed=0).numpy()
    assert abs(image.mean() / ALBEDO - 1) < 0.02


def test_russian_roulette_keeps_the_expected_image():
    # A furnace: a closed white box lit by nothing but its own inside... simpler: two facing plates
    # under a sky; rr_depth 1 plays roulette from the first bounce and keeps the mean.
    light = {'type': 'constant', 'radiance': 1.0}
    means = [tk.render(plane_scene(light, integrator={'type': 'path', 'max_depth': 6, 'rr_depth': depth},
                                   size=8), spp=256, seed=0).numpy().mean() for depth in (1, 100)]
    assert abs(means[0] / means[1] - 1) < 0.02


# -- Mitsuba 3 renders the same scenes ----------------------------------------------------------------


def exr_envmap(directory):
    path = str(directory / 'sky.exr')
    tk.write_bitmap(path, procedural_envmap(16, 32))
    return path


LIGHTS_XML = {
    'point': '<emitter type="point"><point name="position" x="0.5" y="-0.5" z="2"/>'
             '<rgb name="intensity" value="6, 4, 2"/></emitter>',
    'spot': '<emitter type="spot"><float name="cutoff_angle" value="30"/><float name="beam_width" value="15"/>'
            '<float name="intensity" value="8"/><transform name="to_world">'
            '<lookat origin="0.5, -0.5, 2" target="0, 0, 0" up="0, 0, 1"/></transform></emitter>',
    'directional': '<emitter type="directional"><vector name="direction" x="-0.3" y="0.4" z="-1"/>'
                   '<rgb name="irradiance" value="1, 2, 3"/></emitter>',
    'envmap': '<emitter type="envmap"><string name="filename" value="{sky}"/><float name="scale" value="0.8"/>'
              '<transform name="to_world"><rotate x="1" angle="90"/><rotate z="1" angle="30"/></transform></emitter>',
    'all': None,        # every light above together, and an area light
}

AREA_XML = ('<shape type="rectangle"><transform name="to_world"><scale value="0.3"/><rotate x="1" angle="180"/>'
            '<translate x="-0.6" y="0.4" z="1.5"/></transform>'
            '<emitter type="area"><rgb name="radiance" value="4, 4, 4"/></emitter></shape>')


def mitsuba_scene_xml(light, directory, integrator='<integrator type="path"><integer name="max_depth" value="4"/></integrator>'):
    sky = exr_envmap(directory)
    lights = (''.join(v for k, v in LIGHTS_XML.items() if v) + AREA_XML) if light == 'all' else LIGHTS_XML[light]
    return f'''<scene version="3.0.0">
    {integrator}
    <sensor type="perspective">
        <float name="fov" value="45"/>
        <transform name="to_world"><lookat origin="0, -3, 4" target="0, 0, 0" up="0, 0, 1"/></transform>
        <sampler type="independent"><integer name="sample_count" value="64"/></sampler>
        <film type="hdrfilm"><integer name="width" value="64"/><integer name="height" value="64"/>
            <rfilter type="box"/></film>
    </sensor>
    <shape type="rectangle"><transform name="to_world"><scale value="2"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.5, 0.6, 0.7"/></bsdf></shape>
    <shape type="cube"><transform name="to_world"><scale value="0.3"/><translate x="0.3" y="0" z="0.3"/></transform>
        <bsdf type="roughplastic"><float name="alpha" value="0.2"/></bsdf></shape>
    {lights.format(sky=sky)}
</scene>'''


def block_means(image, blocks=8):
    h, w, _ = image.shape
    return image.reshape(blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))


def assert_same_picture(ours, theirs):
    assert abs(ours.mean() / theirs.mean() - 1) < 0.015, (ours.mean(), theirs.mean())
    a, b = block_means(ours), block_means(theirs)
    lit = b > 0.02 * b.max()
    error = np.abs(a - b)[lit] / b[lit]
    assert error.max() < 0.04, f'worst block differs by {error.max():.3f}'
    assert np.all(a[~lit] < 0.03 * b.max())


def render_both(mi, path, spp):
    ours = tk.render(tk.load_file(path), spp=spp, seed=1).numpy()
    theirs = np.array(mi.render(mi.load_file(path), spp=spp, seed=1))
    return ours, theirs


@pytest.fixture(scope='module')
def mi():
    mitsuba = pytest.importorskip('mitsuba')
    mitsuba.set_variant('llvm_ad_rgb')
    return mitsuba


@pytest.mark.parametrize('light', list(LIGHTS_XML))
@pytest.mark.mitsuba
@pytest.mark.slow
def test_same_picture_as_mitsuba_from_xml(mi, light, tmp_path):
    path = tmp_path / 'scene.xml'
    path.write_text(mitsuba_scene_xml(light, tmp_path))
    assert_same_picture(*render_both(mi, str(path), 1024 if light in ('envmap', 'all') else 256))


INTEGRATORS_XML = {
    'direct 3 + 2': '<integrator type="direct"><integer name="emitter_samples" value="3"/>'
                    '<integer name="bsdf_samples" value="2"/></integrator>',
    'direct hidden': '<integrator type="direct"><boolean name="hide_emitters" value="true"/></integrator>',
    'path rr_depth 1': '<integrator type="path"><integer name="max_depth" value="5"/>'
                       '<integer name="rr_depth" value="1"/></integrator>',
    'prb hidden': '<integrator type="prb"><integer name="max_depth" value="3"/>'
                  '<boolean name="hide_emitters" value="true"/></integrator>',
}


@pytest.mark.parametrize('name', list(INTEGRATORS_XML))
@pytest.mark.mitsuba
@pytest.mark.slow
def test_integrator_parameters_as_mitsuba(mi, name, tmp_path):
    path = tmp_path / 'scene.xml'
    path.write_text(mitsuba_scene_xml('all', tmp_path, INTEGRATORS_XML[name]))
    assert_same_picture(*render_both(mi, str(path), 1024))


def light_dicts(m, sky):
    T = m.ScalarTransform4f
    return {
        'point': {'type': 'point', 'position': [0.5, -0.5, 2], 'intensity': {'type': 'rgb', 'value': [6, 4, 2]}},
        'spot': {'type': 'spot', 'cutoff_angle': 30, 'intensity': 8,
                 'to_world': T().look_at(origin=[0.5, -0.5, 2], target=[0, 0, 0], up=[0, 0, 1])},
        'directional': {'type': 'directional', 'direction': [-0.3, 0.4, -1],
                        'irradiance': {'type': 'rgb', 'value': [1, 2, 3]}},
        'envmap': {'type': 'envmap', 'bitmap': m.Bitmap(sky), 'to_world': T().rotate([1, 0, 0], 90)},
    }


def dict_scene(m, light):
    T = m.ScalarTransform4f
    return m.load_dict({
        'type': 'scene', 'integrator': {'type': 'prb', 'max_depth': 3},
        'camera': {'type': 'perspective', 'fov': 45,
                   'to_world': T().look_at(origin=[0, -3, 4], target=[0, 0, 0], up=[0, 0, 1]),
                   'film': {'type': 'hdrfilm', 'width': 64, 'height': 64, 'rfilter': {'type': 'box'}}},
        'floor': {'type': 'rectangle', 'to_world': T().scale(2),
                  'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.5, 0.6, 0.7]}}},
        'box': {'type': 'cube', 'to_world': T().translate([0.3, 0, 0.3]).scale(0.3), 'bsdf': {'type': 'diffuse'}},
        'light': light_dicts(m, procedural_envmap(16, 32))[light]})


@pytest.mark.parametrize('light', ['point', 'spot', 'directional', 'envmap'])
@pytest.mark.mitsuba
@pytest.mark.slow
def test_same_picture_as_mitsuba_from_dicts(mi, light):
    spp = 1024 if light == 'envmap' else 256
    ours = tk.render(dict_scene(tk, light), spp=spp, seed=1).numpy()
    theirs = np.array(mi.render(dict_scene(mi, light), spp=spp, seed=1))
    assert_same_picture(ours, theirs)

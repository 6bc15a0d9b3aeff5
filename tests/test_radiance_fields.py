"""What Mitsuba 3's radiance-field tutorial builds on: Dr.Jit 3D textures as parameters,
bounding-box ray tests, minibatches of rays from many views, and grid volumes.

Comparisons with Mitsuba 3 itself are in ``test_user_plugins_mitsuba.py``.
"""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import scene_xml
import student_rb_plugins

FIELD = student_rb_plugins.load_for(tk)


# -- bounding boxes ---------------------------------------------------------------------------

def test_ray_box_distances_are_the_slab_crossings():
    box = tk.ScalarBoundingBox3f([0, 0, 0], [1, 2, 3])
    ray = tk.Ray3f(tk.Point3f([-1, 0.5, 0.5, 5], [0.5, 0.5, -1, 5], [0.5, 0.5, 0.5, 5]),
                   tk.Vector3f([1, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]))
    hit, mint, maxt = (v.numpy() for v in box.ray_intersect(ray))
    assert hit.tolist() == [True, True, True, False]
    assert np.allclose(mint[:3], [1, -0.5, 1]) and np.allclose(maxt[:3], [2, 2.5, 3])


# -- textures as parameters -------------------------------------------------------------------

def test_a_texture_tensor_is_a_parameter_of_any_resolution():
    field = FIELD.RadianceField(res=4)
    params = tk.traverse(field)
    assert params.is_differentiable('density') and params['density'].shape == (4, 4, 4, 1)
    params['density'] = dr.resample(params['density'], (8, 8, 8, 1))
    params.update()
    assert field.res == 8 and field.density.shape == (8, 8, 8, 1)
    with pytest.raises(tk.ParameterError, match='4 dimensions'):
        params['density'] = tk.TensorXf(np.zeros((8, 8, 1), np.float32))
    with pytest.raises(tk.ParameterError, match='finite'):
        params['colour'] = tk.TensorXf(np.full((2, 2, 2, 3), np.nan, np.float32))
    assert field.colour.shape == (4, 4, 4, 3)


def test_an_optimizer_step_reaches_the_texture_and_survives_update_inplace():
    field = FIELD.RadianceField(res=4)
    params = tk.traverse(field)
    opt = tk.ad.Adam(lr=0.1, params={'colour': params['colour']})
    params.update(opt)
    dr.backward(dr.sum(field.colour.eval(tk.Point3f(0.5, 0.5, 0.5))))
    opt.step()
    params.update(opt)          # the plugin's parameters_changed calls update_inplace()
    assert np.allclose(field.colour.tensor().numpy(), opt['colour'].numpy())
    assert not np.allclose(field.colour.tensor().numpy()[..., 0], 0.2)


def field_scene(size=16):
    sensor = {'type': 'perspective', 'fov': 45,
              'to_world': tk.ScalarTransform4f().look_at(origin=[1.6, 1.3, 2.2], target=[0.5, 0.5, 0.5], up=[0, 1, 0]),
              'film': {'type': 'hdrfilm', 'width': size, 'height': size, 'rfilter': {'type': 'box'}}}
    return tk.load_dict({'type': 'scene', 'sensor': sensor})


def test_user_radiance_field_forward_derivative_matches_finite_differences():
    scene, field = field_scene(), FIELD.RadianceField(res=4)
    params = tk.traverse(field)
    base = tk.TensorXf(params['colour'])
    h = 0.05
    images = []
    for shift in (h, -h):
        params['colour'] = base + shift
        params.update()
        images.append(tk.render(scene, integrator=field, spp=8, seed=3).numpy())
    params['colour'] = base
    params.update()
    dr.enable_grad(params['colour'])
    params.update()
    dr.set_grad(params['colour'], 1.0)
    image = tk.render(scene, params, integrator=field, spp=8, seed=3, unbiased=False)
    derivative = dr.forward_to(image).numpy()
    expected = (images[0] - images[1]) / (2 * h)
    assert expected.max() > 0.1
    assert np.allclose(derivative, expected, atol=1e-4)


# -- minibatches of rays ----------------------------------------------------------------------

def views(count=3, size=6, channels='rgb'):
    return [tk.load_dict({'type': 'perspective', 'fov': 40,
                          'to_world': tk.ScalarTransform4f().look_at(origin=[3 * np.sin(a), 0.5, 3 * np.cos(a)],
                                                                     target=[0, 0, 0], up=[0, 1, 0]),
                          'film': {'type': 'hdrfilm', 'width': size, 'height': size, 'pixel_format': channels,
                                   'sample_border': False, 'rfilter': {'type': 'box'}}})
            for a in np.linspace(0, 2, count)]


def test_a_pass_visits_every_pixel_once_with_its_target():
    sensors = views()
    pictures = [tk.TensorXf(np.arange(108, dtype=np.float32).reshape(6, 6, 3) + 1000 * k) for k in range(3)]
    loader = tk.ad.loaders.RayDataLoader(sensors, pictures, pixels_per_batch=20, seed=1)
    assert (loader.total_pixels, loader.iter_shuffle, loader.effective_total_pixels) == (108, 6, 120)
    seen = []
    for _ in range(loader.iter_shuffle):
        target, sensor = loader.next()
        pixel = sensor.pixel_index.numpy()
        view, within = np.divmod(pixel, 36)
        assert np.array_equal(target.numpy()[0, :, 0], 1000 * view + 3 * within)
        seen.extend(pixel)
    assert sorted(set(seen)) == list(range(108)) and len(seen) == 120


def test_the_batch_sensor_renders_the_source_pixels():
    body = '''<shape type="sphere"><bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.3, 0.2"/></bsdf></shape>
              <emitter type="constant"/><integrator type="direct"/>'''
    scene = tk.load_string(scene_xml(body))
    sensors = views(channels='rgb')
    full = np.concatenate([tk.render(scene, sensor=s, spp=256, seed=1).numpy().reshape(-1, 3) for s in sensors])
    loader = tk.ad.loaders.RayDataLoader(sensors, [tk.TensorXf(np.zeros((6, 6, 3), np.float32))] * 3,
                                         pixels_per_batch=54, seed=0, tile_size=2)
    _, sensor = loader.next()
    batch = tk.render(scene, sensor=sensor, spp=256, seed=2).numpy()
    assert batch.shape == (1, 54, 3)
    expected = full[sensor.pixel_index.numpy()]
    assert expected.max() > 0.1
    assert np.abs(batch[0] - expected).mean() < 0.03     # Monte Carlo noise (exact rays: the next test)


def test_the_batch_sensor_traces_the_source_rays():
    sensors = views()
    loader = tk.ad.loaders.RayDataLoader(sensors, [tk.TensorXf(np.zeros((6, 6, 3), np.float32))] * 3,
                                         pixels_per_batch=30, seed=4)
    _, sensor = loader.next()
    pixel = sensor.pixel_index.numpy()
    view, within = np.divmod(pixel, 36)
    jitter = np.random.default_rng(0).uniform(size=(2, 30)).astype(np.float32)
    on_film = tk.Point2f((np.arange(30) + jitter[0]) / 30, jitter[1])
    ray, _ = sensor.sample_ray(0.0, 0.0, on_film, tk.Point2f(0.5, 0.5))
    for k, source in enumerate(sensors):
        chosen = view == k
        position = tk.Point2f(((within % 6 + jitter[0]) / 6)[chosen], ((within // 6 + jitter[1]) / 6)[chosen])
        expected, _ = source.sample_ray(0.0, 0.0, position, tk.Point2f(0.5, 0.5))
        assert np.allclose(ray.d.numpy()[:, chosen], expected.d.numpy(), atol=1e-5)
        assert np.allclose(ray.o.numpy()[:, chosen], expected.o.numpy(), atol=1e-5)


@pytest.mark.parametrize('change, message', [
    (dict(pixels_per_batch=0), 'pixels_per_batch'), (dict(tile_size=0), 'tile_size'),
    (dict(target_images='one'), 'one image per sensor'), (dict(channels='rgba'), 'channels')])
def test_bad_loader_arguments_say_what_is_wrong(change, message):
    sensors = views(count=1, channels=change.pop('channels', 'rgb'))
    arguments = dict(sensors=sensors, target_images=[tk.TensorXf(np.zeros((6, 6, 3), np.float32))],
                     pixels_per_batch=8)
    if change.get('target_images') == 'one':
        change['target_images'] = arguments['target_images'] * 2
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        tk.ad.loaders.RayDataLoader(**arguments)


# -- grid volumes ----------------------------------------------------------------------------

def write_vol(path, values, version=3):
    z, y, x, c = values.shape
    path.write_bytes(b'VOL' + bytes([version]) + np.array([1, x, y, z, c], '<i4').tobytes()
                     + np.zeros(6, '<f4').tobytes() + values.astype('<f4').tobytes())
    return path


def grid_scene(path):
    return tk.load_string(f'''<scene version="3.0.0"><bsdf type="diffuse" id="grid_bsdf">
        <texture type="volume" name="reflectance"><volume type="gridvolume" name="volume">
            <string name="filename" value="{path}"/><string name="filter_type" value="nearest"/>
        </volume></texture></bsdf></scene>''')


def test_a_grid_volume_is_read_and_looked_up_in_its_unit_cube(tmp_path):
    values = np.random.default_rng(0).uniform(size=(2, 3, 4, 3)).astype(np.float32)
    scene = grid_scene(write_vol(tmp_path / 'g.vol', values))
    params = tk.traverse(scene)
    assert params['grid_bsdf.reflectance.volume.data'].shape == (2, 3, 4, 3)
    volume = scene.children[0].reflectance.volume
    z, y, x = 1, 2, 3
    it = tk.SurfaceInteraction3f()
    it.p = tk.Point3f((x + 0.5) / 4, (y + 0.5) / 3, (z + 0.5) / 2)
    assert np.allclose(np.array(volume.eval(it)).ravel(), values[z, y, x])


@pytest.mark.parametrize('damage, message', [
    (lambda b: b[:40], 'header'), (lambda b: b[:-4], 'truncated'), (lambda b: b'VOX' + b[3:], 'VOL'),
    (lambda b: b[:3] + bytes([2]) + b[4:], 'version')])
def test_a_broken_grid_file_is_refused_naming_it(tmp_path, damage, message):
    path = write_vol(tmp_path / 'g.vol', np.zeros((2, 2, 2, 1), np.float32))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(tk.SceneError, match=message):
        grid_scene(path)


def test_a_value_changed_in_place_counts_as_changed_on_update():
    """As in Mitsuba 3: params.update() tells the owner of a value read and then
    changed in place (gradients enabled), and no one else."""
    field = FIELD.RadianceField(res=2)
    calls = []
    field.parameters_changed = lambda keys: calls.append(sorted(keys))
    params = tk.traverse(field)
    params['colour'], params['density']
    params.update()
    assert calls == []
    dr.enable_grad(params['density'])
    assert params.update() == ['density'] and calls == [['density']]
    params.update()
    assert len(calls) == 1


# -- a ray query in two steps -----------------------------------------------------------------

def test_a_preliminary_intersection_computes_what_ray_intersect_returns():
    body = '''<shape type="rectangle"><transform name="to_world"><scale value="2"/></transform></shape>
              <shape type="sphere"><float name="radius" value="0.5"/><point name="center" x="0.3" y="0" z="0.5"/></shape>'''
    scene = tk.load_string(scene_xml(body))
    rng = np.random.default_rng(6)
    origin = tk.Point3f(*rng.uniform(-1, 1, (2, 200)), np.full(200, 4.0))
    ray = tk.Ray3f(origin, dr.normalize(tk.Vector3f(*rng.normal(scale=0.2, size=(2, 200)), np.full(200, -1.0))))
    pi = scene.ray_intersect_preliminary(ray)
    si, direct = pi.compute_surface_interaction(ray), scene.ray_intersect(ray)
    valid = direct.is_valid().numpy()
    assert np.array_equal(pi.is_valid().numpy(), valid) and 20 < valid.sum() < 200
    assert set(pi.shape.numpy()[valid]) == {0, 1}
    for field in ('t', 'p', 'n'):
        assert np.allclose(np.array(getattr(si, field))[..., valid], np.array(getattr(direct, field))[..., valid],
                           atol=1e-5)
    blank = dr.zeros(tk.PreliminaryIntersection3f, 200)
    blank[pi.is_valid()] = pi
    assert np.array_equal(blank.t.numpy()[valid], pi.t.numpy()[valid]) and np.all(blank.t.numpy()[~valid] == 0)

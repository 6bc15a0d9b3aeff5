"""The renderer against closed forms: furnace, a patch under a light, the sky."""
import math

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX, scene_xml, small_cbox


def test_furnace_closed_box():
    """Inside a closed box that reflects 50 % and emits L everywhere, radiance is L / (1 - 0.5)."""
    scene = tk.load_string(scene_xml('''
        <integrator type="path"><integer name="max_depth" value="-1"/><integer name="rr_depth" value="3"/></integrator>
        <shape type="cube">
            <transform name="to_world"><scale value="10"/></transform>
            <boolean name="flip_normals" value="true"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.5"/></bsdf>
            <emitter type="area"><rgb name="radiance" value="1, 0.5, 0.25"/></emitter>
        </shape>''', width=32, height=32))
    image = tk.render(scene, spp=64, seed=0).numpy()
    assert np.allclose(image.mean(axis=(0, 1)), [2, 1, 0.5], rtol=0.02)


def test_direct_light_on_a_patch_matches_the_closed_form():
    """A square light above a diffuse floor: reflected radiance is albedo / pi times the
    irradiance of a uniformly emitting polygon (Lambert's formula), pixel by pixel."""
    albedo, radiance, height, half = 0.8, 10.0, 2.0, 0.25
    scene = tk.load_string(scene_xml(f'''
        <integrator type="path"><integer name="max_depth" value="2"/></integrator>
        <shape type="rectangle">
            <transform name="to_world"><scale value="20"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="{albedo}"/></bsdf>
        </shape>
        <shape type="rectangle">
            <transform name="to_world"><rotate x="1" angle="180"/><scale value="{half}"/>
                <translate z="{height}"/></transform>
            <emitter type="area"><rgb name="radiance" value="{radiance}"/></emitter>
        </shape>''', width=24, height=24, origin=(0, -5, 1), up=(0, 0, 1), fov=30))
    image = tk.render(scene, spp=256, seed=1).numpy()[..., 0]
    sensor = scene.sensors()[0]
    # A pixel is the mean over its area: average the formula over 4 x 4
    # points in each pixel (far from the camera, one pixel spans a long
    # stretch of floor, and its centre alone is off by up to 7 %).
    sub = (np.arange(4) + 0.5) / 4
    x = (np.arange(24)[:, None] + sub).ravel() / 24
    u, v = np.meshgrid(x, x)
    ray, _ = sensor.sample_ray(0.0, 0.0, tk.Array2f(u.ravel(), v.ravel()), tk.Array2f(0.5, 0.5))
    o, d = ray.o.numpy().T, ray.d.numpy().T
    hit = o + d * (-o[:, 2:3] / d[:, 2:3])             # where each ray meets z = 0
    corners = np.array([[-half, -half, height], [half, -half, height], [half, half, height],
                        [-half, half, height]])
    points = albedo / math.pi * radiance * np.array([_polygon_irradiance(x, corners) for x in hit])
    expected = points.reshape(24, 4, 24, 4).mean(axis=(1, 3)).ravel()
    assert np.allclose(image.ravel(), expected, rtol=0.03, atol=1e-3)
    assert image.mean() == pytest.approx(expected.mean(), rel=0.005)


def _polygon_irradiance(x, corners, normal=(0, 0, 1)):
    """Irradiance at x from a unit-radiance polygon: 1/2 sum of edge angle times cosine."""
    total = 0.0
    for a, b in zip(corners, np.roll(corners, -1, axis=0)):
        ra, rb = a - x, b - x
        angle = math.acos(np.clip(ra @ rb / np.linalg.norm(ra) / np.linalg.norm(rb), -1, 1))
        gamma = np.cross(ra, rb)
        total += angle * (gamma @ normal) / np.linalg.norm(gamma)
    return abs(total) / 2


def test_constant_environment_on_a_plane():
    """A plane under a uniform sky reflects albedo x sky radiance (it sees only sky)."""
    scene = tk.load_string(scene_xml('''
        <integrator type="path"><integer name="max_depth" value="2"/></integrator>
        <emitter type="constant"><rgb name="radiance" value="2"/></emitter>
        <shape type="rectangle"><transform name="to_world"><scale value="100"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.3, 0.6, 0.9"/></bsdf></shape>''',
                                     width=16, height=16))
    image = tk.render(scene, spp=64, seed=2).numpy()
    assert np.allclose(image.mean(axis=(0, 1)), [0.6, 1.2, 1.8], rtol=0.01)


def test_max_depth_meaning():
    scene = tk.load_file(CBOX)
    integrator = scene.integrator()
    integrator.max_depth = 1                 # emitters only: the light and nothing else
    image = tk.render(scene, spp=1, seed=0).numpy()
    lit = image.max(axis=2) > 0
    assert 0.004 < lit.mean() < 0.008 and image.max() == pytest.approx(20.71, rel=1e-3)
    integrator.max_depth = 0
    assert tk.render(scene, spp=1, seed=0).numpy().max() == 0


@pytest.fixture(scope='module')
def cbox_64():
    return small_cbox(64)


def test_orientation_red_left_green_right(cbox_64):
    image = tk.render(cbox_64, spp=16, seed=0).numpy()
    left, right = image[20:44, 2:8].mean(axis=(0, 1)), image[20:44, -8:-2].mean(axis=(0, 1))
    assert left[0] > 3 * left[1] and right[1] > 1.5 * right[0]
    assert left[0] > 2 * right[0] and right[1] > 2 * left[1]
    top, bottom = image[:8].mean(), image[-8:].mean()     # the light is on the ceiling
    assert image[:16].max() > 10 and bottom < top * 2


def test_seed_determinism_and_fresh_samples(cbox_64):
    a = tk.render(cbox_64, spp=2, seed=7).numpy()
    b = tk.render(cbox_64, spp=2, seed=7).numpy()
    assert np.array_equal(a, b)
    c, d = tk.render(cbox_64, spp=2).numpy(), tk.render(cbox_64, spp=2).numpy()
    assert not np.array_equal(c, d)


def test_renders_in_passes_are_deterministic(monkeypatch):
    """A render split into passes (to bound memory) adds them in a fixed
    order: the same seed gives the same image (to float rounding: the tent
    filter's atomic additions inside a pass have no fixed order), and the
    passes together still estimate the same image. A tent filter spreads samples
    over neighbouring pixels, so the render cannot sum each pixel's samples
    in place and must take the passes: counted here, one camera-ray batch
    per pass."""
    scene = tk.load_string(scene_xml('''
        <shape type="rectangle"><transform name="to_world"><scale value="3"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.6"/></bsdf></shape>
        <shape type="rectangle"><transform name="to_world"><rotate x="1" angle="180"/>
            <scale value="0.3"/><translate z="1"/></transform>
            <emitter type="area"><rgb name="radiance" value="10"/></emitter></shape>''',
        width=64, height=64, rfilter='tent'))
    from tutorial_kit.ad import render as render_module
    batches = []

    def counted_camera_rays(sensor, spp, seed):
        batches.append(spp)
        return camera_rays(sensor, spp, seed)
    camera_rays = render_module.camera_rays
    monkeypatch.setattr(render_module, 'camera_rays', counted_camera_rays)
    one_pass = tk.render(scene, spp=8, seed=3).numpy()
    assert batches == [8]
    monkeypatch.setattr(render_module, 'MAX_SAMPLES_PER_PASS', 64 * 64 * 3)   # 3 passes: 3, 3, 2 spp
    batches.clear()
    a = tk.render(scene, spp=8, seed=3).numpy()
    assert batches == [3, 3, 2]
    b = tk.render(scene, spp=8, seed=3).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert not np.allclose(a, one_pass, rtol=1e-3)          # other samples, the same estimate
    assert abs(a.mean() - one_pass.mean()) < 0.05 * one_pass.mean()


def test_render_returns_tensor(cbox_64):
    image = tk.render(cbox_64, spp=1)
    assert isinstance(image, tk.TensorXf) and image.shape == (64, 64, 3)
    assert cbox_64.sensors()[0].film().crop_size() == (64, 64)


@pytest.mark.parametrize('spp', [-1, 1.5, 'many', True])
def test_bad_spp(cbox_64, spp):
    with pytest.raises(tk.RenderError, match='spp'):
        tk.render(cbox_64, spp=spp)


@pytest.mark.parametrize('size', [(0, 16), (16, -2), (16.5, 16), (None, 16)])
def test_a_film_resized_to_no_pixels_is_refused(size):
    scene = small_cbox(16)
    film = scene.sensors()[0].film()
    film.width, film.height = size
    count = scene.render_count
    with pytest.raises(tk.RenderError, match='positive integer size'):
        tk.render(scene, spp=1)
    assert scene.render_count == count                    # a refused render draws no samples


def test_a_film_resized_with_numpy_integers_renders():
    scene = small_cbox(16)
    film = scene.sensors()[0].film()
    film.width, film.height = np.int64(12), np.int32(8)
    assert tk.render(scene, spp=1).shape == (8, 12, 3)


@pytest.mark.parametrize('index', [1, -1, 'first'])
def test_bad_sensor_index(cbox_64, index):
    with pytest.raises(tk.RenderError, match='sensor_index'):
        tk.render(cbox_64, spp=1, sensor_index=index)


def test_filters_preserve_brightness():
    """Every reconstruction filter averages a uniformly lit scene to the same value."""
    for rfilter in ('box', 'tent', 'gaussian'):
        scene = tk.load_string(scene_xml('<emitter type="constant"><rgb name="radiance" value="0.7"/></emitter>',
                                         rfilter=rfilter))
        image = tk.render(scene, spp=4, seed=0).numpy()
        assert np.allclose(image, 0.7, rtol=1e-5), rfilter


def test_other_spp_and_max_depth_reuse_the_compiled_kernels():
    """spp and max_depth reach the kernels as opaque values: a slider that
    changes them re-renders without compiling anything new."""
    scene = small_cbox(16)

    def kernel_hashes(spp):
        with dr.scoped_set_flag(dr.JitFlag.KernelHistory, True):
            dr.kernel_history()
            tk.render(scene, spp=spp, seed=0).numpy()
            return {k['hash'] for k in dr.kernel_history() if k['type'] == dr.KernelType.JIT}

    tk.render(scene, spp=1, seed=0)                       # the first render also prepares the scene
    with_2_spp = kernel_hashes(2)
    assert kernel_hashes(3) == kernel_hashes(7) == with_2_spp
    assert kernel_hashes(1) <= with_2_spp                 # one sample: no block sums, same tracer
    for depth in (1, 2, 5):
        scene.integrator().max_depth = depth
        assert kernel_hashes(2) == with_2_spp


def test_triangle_records_give_the_image_of_the_vertex_arrays():
    """A hit reads its triangle from per-triangle records while no vertex
    array tracks derivatives, and from the vertex arrays otherwise: on a
    scene with vertex normals, texture coordinates, a bitmap and an area
    light, a primal render and one that differentiates the vertices (same
    seed and samples) give the same image."""
    import os
    scene = tk.load_file(os.path.join(os.path.dirname(__file__), '..', 'scenes', 'materials', 'scene.xml'),
                         spp=4, res=24)
    assert scene.triangle_shading is not None          # the spheres have normals and uv
    from_records = tk.render(scene, seed=3).numpy()
    params = tk.traverse(scene)
    key = next(k for k in params.keys() if k.endswith('vertex_positions'))
    dr.enable_grad(params[key])
    params.update()
    from_vertices = dr.detach(tk.render(scene, seed=3, unbiased=False)).numpy()
    assert np.abs(from_records).max() > 0
    np.testing.assert_allclose(from_records, from_vertices, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('unbiased', [False, True])
def test_shadow_rays_skipped_for_nothing_still_serve_derivatives(unbiased):
    """Shadow rays are traced only where the unoccluded light is non-zero,
    except while derivatives are taken. A black plane (reflectance 0) under
    an area light, half in the shadow of a blocker, direct light only: the
    image is linear in the reflectance, so its derivative there is the image
    at reflectance 1, rendered from the same random numbers. (Up to the light
    that BSDF sampling finds, which path replay cannot differentiate at a
    reflectance of zero, L dρ/ρ: under 0.1 % here, by MIS. Skipping the
    shadow rays would lose all of the rest.)"""
    scene = tk.load_string(scene_xml('''
        <integrator type="path"><integer name="max_depth" value="2"/></integrator>
        <shape type="rectangle"><transform name="to_world"><scale value="3"/></transform>
            <bsdf type="diffuse" id="floor"><rgb name="reflectance" value="0"/></bsdf></shape>
        <shape type="rectangle"><transform name="to_world"><scale value="0.5"/><translate x="0.4" z="1"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf></shape>
        <shape type="rectangle"><transform name="to_world"><rotate x="1" angle="180"/><scale value="0.5"/>
            <translate z="3"/></transform><emitter type="area"><rgb name="radiance" value="5"/></emitter></shape>''',
                                     width=16, height=16))
    params = tk.traverse(scene)
    key = 'floor.reflectance.value'
    params[key] = tk.backend.color3f(1.0)
    params.update()
    with dr.suspend_grad():
        lit = tk.render(scene, spp=16, seed=5).numpy()
    params[key] = tk.backend.color3f(0.0)
    dr.enable_grad(params[key])
    params.update()
    # The derivative pass draws from seed_grad when unbiased, from seed when not.
    seeds = dict(seed=9, seed_grad=5) if unbiased else dict(seed=5)
    image = tk.render(scene, spp=16, unbiased=unbiased, **seeds)
    assert np.all(image.numpy() == 0)
    dr.backward(dr.sum(image, axis=None))
    gradient = dr.grad(params[key]).numpy().ravel()
    shadowed, total = (lit[:, 8:] < 1e-6).mean(), lit.sum(axis=(0, 1))
    assert 0.05 < shadowed < 0.9               # the blocker casts a shadow on the floor
    assert np.allclose(gradient, total, rtol=1e-3)

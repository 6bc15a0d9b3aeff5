"""Orthographic and batch sensors, hdrfilm's crop window, border and pixel formats,
the aov and direct_projective integrators: hand-checked values, finite
differences, and Mitsuba 3 as the reference (skipped when it is absent)."""
import warnings

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk

T = tk.ScalarTransform4f
LOOK_DOWN_Z = T().look_at(origin=[0, 0, 5], target=[0, 0, 0], up=[0, 1, 0])


def ortho_scene(aovs='dd:depth', film=None, scale=(0.5, 0.5, 1), integrator=None, extra=None):
    """An orthographic camera 5 units above the rectangle [-1, 1]^2 at z = 0, looking down."""
    description = {
        'type': 'scene',
        'integrator': integrator or {'type': 'aov', 'aovs': aovs},
        'sensor': {'type': 'orthographic', 'to_world': LOOK_DOWN_Z @ T().scale(list(scale)),
                   'film': film or {'type': 'hdrfilm', 'width': 16, 'height': 8,
                                    'rfilter': {'type': 'box'}},
                   'sampler': {'type': 'independent', 'sample_count': 4}},
        'rect': {'type': 'rectangle', 'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.2, 0.4, 0.6]}}},
        'light': {'type': 'constant'},
    }
    description.update(extra or {})
    return tk.load_dict(description)


# -- orthographic ----------------------------------------------------------------------------

def test_orthographic_rays_start_on_the_scaled_near_plane():
    # Mitsuba 3.9.1 gives these origins for the same camera and samples.
    sensor = tk.load_dict({'type': 'orthographic', 'near_clip': 1.0, 'far_clip': 50,
                           'to_world': T().translate([1, 2, 3]) @ T().scale([2, 3, 4]),
                           'film': {'type': 'hdrfilm', 'width': 8, 'height': 4}})
    ray, weight = sensor.sample_ray(0, 0, tk.Array2f([0, 0.25, 1], [0, 0.5, 1]), tk.Array2f(0.5))
    assert np.allclose(np.array(ray.o).T, [[3, 3.5, 7], [2, 2, 7], [-1, 0.5, 7]])
    assert np.allclose(np.array(ray.d).T, [[0, 0, 1]] * 3) and np.allclose(ray.maxt.numpy(), 49)
    assert np.allclose(np.array(weight).T, 1)


def test_orthographic_rays_of_a_crop_window_and_their_projection():
    sensor = tk.load_dict({'type': 'orthographic', 'near_clip': 1.0, 'far_clip': 50,
                           'to_world': T().translate([1, 2, 3]) @ T().scale([2, 3, 4]),
                           'film': {'type': 'hdrfilm', 'width': 8, 'height': 4, 'crop_offset_x': 2,
                                    'crop_width': 4, 'crop_offset_y': 1, 'crop_height': 2}})
    sample = tk.Array2f([0, 0.25, 1], [0, 0.5, 1])
    ray, _ = sensor.sample_ray(0, 0, sample, tk.Array2f(0.5))
    assert np.allclose(np.array(ray.o).T, [[2, 2.75, 7], [1.5, 2, 7], [0, 1.25, 7]])   # Mitsuba 3.9.1
    # project is the inverse, in pixels of the crop window (4 x 2).
    far = ray.o + ray.d * 10
    assert np.allclose(np.array(sensor.project(far)).T, np.array(sample).T * [4, 2], atol=1e-5)
    assert np.allclose(sensor.project(np.array(far).T.astype(np.float64)), np.array(sample).T * [4, 2],
                       atol=1e-5)


def test_aov_depth_position_and_normal_of_a_plane_at_a_known_distance():
    scene = ortho_scene('dd.y:depth,pp:position,nn:geo_normal,sn:sh_normal,si:shape_index,uv:uv')
    image = tk.render(scene, spp=4, seed=0).numpy()
    assert image.shape == (8, 16, 1 + 3 + 3 + 3 + 1 + 2)
    # Rays leave the near plane (0.01 above the camera) and meet z = 0 after 4.99.
    assert np.allclose(image[..., 0], 4.99, atol=1e-5)
    assert np.allclose(image[..., 3], 0, atol=1e-6)
    assert np.allclose(image[..., 4:7], [0, 0, 1]) and np.allclose(image[..., 7:10], [0, 0, 1])
    assert np.allclose(image[..., 10], 1)                  # the first (only) shape
    # The view is 1 unit wide (scale 0.5): seen from above with +y up, world x runs
    # from -0.5 at the left to +0.5 (local +x, the image's left, is world -x); uv with it.
    x = image[4, :, 1]
    assert x[0] == pytest.approx(-0.5 + 1 / 32, abs=0.03) and x[-1] == pytest.approx(0.5 - 1 / 32, abs=0.03)
    assert np.allclose(image[..., 11], (image[..., 1] + 1) / 2, atol=1e-5)
    names = scene.sensors()[0].film().channel_names()
    assert names == ['R', 'G', 'B', 'dd.y.T', 'pp.X', 'pp.Y', 'pp.Z', 'nn.X', 'nn.Y', 'nn.Z',
                     'sn.X', 'sn.Y', 'sn.Z', 'si.I', 'uv.U', 'uv.V']


def test_aov_channels_are_zero_where_rays_miss_and_albedo_is_the_reflectance():
    scene = ortho_scene('dd:depth,a:albedo,p:prim_index', scale=(2, 2, 1))
    image = tk.render(scene, spp=16, seed=0).numpy()
    inside, outside = image[4, 6:10], image[4, 0]        # the rectangle fills the middle half
    assert np.allclose(outside, 0)
    assert np.allclose(inside[:, 1:4], [0.2, 0.4, 0.6], atol=1e-5)
    assert np.all((inside[:, 4] >= 0) & (inside[:, 4] <= 1))


def test_nested_integrators_come_first_as_in_mitsuba():
    integrator = {'type': 'aov', 'aovs': 'dd.y:depth', 'img': {'type': 'path'},
                  'img2': {'type': 'direct'}}
    scene = ortho_scene(integrator=integrator, film={'type': 'hdrfilm', 'width': 16, 'height': 8,
                                                     'pixel_format': 'rgba'})
    image = tk.render(scene, spp=4, seed=1).numpy()
    assert image.shape == (8, 16, 4 + 4 + 1)
    assert scene.integrator().aov_names() == ['img.R', 'img.G', 'img.B', 'img.A', 'img2.R', 'img2.G',
                                              'img2.B', 'img2.A', 'dd.y.T']
    assert scene.sensors()[0].film().channel_names()[:5] == ['R', 'G', 'B', 'A', 'img.R']
    # The first nested image is what the path integrator renders on its own.
    alone = tk.render(ortho_scene(integrator={'type': 'path'},
                                  film={'type': 'hdrfilm', 'width': 16, 'height': 8}), spp=4, seed=1).numpy()
    assert np.allclose(image[..., :3], alone, rtol=1e-5, atol=1e-6)
    assert np.allclose(image[..., 3], 1) and np.allclose(image[..., 8], 4.99, atol=1e-5)


def test_the_film_writes_every_channel_under_its_name(tmp_path):
    scene = ortho_scene('dd.y:depth,nn:sh_normal', film={'type': 'hdrfilm', 'width': 16, 'height': 8,
                                                        'component_format': 'float32'})
    tk.render(scene, spp=2, seed=0)
    written = scene.sensors()[0].film().write(tmp_path / 'out.png')
    assert written.suffix == '.exr'
    from tutorial_kit.io.exr import read_channels
    pixels, names = read_channels(written)
    channels = {name: pixels[:, :, k] for k, name in enumerate(names)}
    assert sorted(channels) == sorted(['R', 'G', 'B', 'dd.y.T', 'nn.X', 'nn.Y', 'nn.Z'])
    assert np.allclose(channels['dd.y.T'], 4.99, atol=1e-5) and np.allclose(channels['R'], 0)


# -- hdrfilm ---------------------------------------------------------------------------------

def test_a_crop_window_renders_that_part_of_the_film():
    full = tk.render(ortho_scene('p:position'), spp=64, seed=0).numpy()
    film = {'type': 'hdrfilm', 'width': 16, 'height': 8, 'rfilter': {'type': 'box'},
            'crop_offset_x': 5, 'crop_offset_y': 2, 'crop_width': 6, 'crop_height': 4}
    scene = ortho_scene('p:position', film=film)
    crop = tk.render(scene, spp=64, seed=0).numpy()
    assert crop.shape == (4, 6, 3)
    assert scene.sensors()[0].film().size() == (16, 8) and scene.sensors()[0].film().crop_size() == (6, 4)
    # Pixel means of the position: the same pixels, to the jitter's noise (a pixel is
    # 1/16 unit wide; 64 samples leave a standard deviation of 0.003 in each mean).
    assert np.allclose(crop, full[2:6, 5:11], atol=0.015)


def test_sample_border_centres_the_filter_at_the_film_edges():
    # The filtered position is linear across the film, so a symmetric filter gives each
    # pixel its centre's value: at the edges only if samples are also drawn beyond them.
    def position_x(border):
        film = {'type': 'hdrfilm', 'width': 16, 'height': 8, 'sample_border': border,
                'rfilter': {'type': 'tent', 'radius': 1.5}}
        scene = ortho_scene('p:position', film=film)
        return scene, tk.render(scene, spp=512, seed=0).numpy()[..., 0].mean(axis=0)
    centres = (np.arange(16) + 0.5) / 16 - 0.5
    scene, bordered = position_x(True)
    assert scene.sensors()[0].film().sampled_region() == (-1, -1, 18, 10)
    assert np.allclose(bordered, centres, atol=0.002)
    _, plain = position_x(False)
    assert plain[0] > centres[0] + 0.005 and np.allclose(plain[5:11], centres[5:11], atol=0.002)


CHANNELS = {'rgb': 3, 'rgba': 4, 'luminance': 1, 'luminance_alpha': 2, 'xyz': 3, 'xyza': 4}


@pytest.mark.parametrize('pixel_format', CHANNELS)
def test_pixel_formats_give_mitsubas_channels(pixel_format):
    film = {'type': 'hdrfilm', 'width': 16, 'height': 8, 'rfilter': {'type': 'box'},
            'pixel_format': pixel_format}
    scene = ortho_scene(integrator={'type': 'path'}, film=film, scale=(2, 2, 1))
    image = tk.render(scene, spp=4, seed=2).numpy()
    rgb = tk.render(ortho_scene(integrator={'type': 'path'}, scale=(2, 2, 1)), spp=4, seed=2).numpy()
    assert image.shape == (8, 16, CHANNELS[pixel_format])
    if pixel_format.startswith('luminance'):
        assert np.allclose(image[..., 0], rgb @ [0.212671, 0.715160, 0.072169], rtol=1e-5, atol=1e-6)
    elif pixel_format.startswith('xyz'):
        assert np.allclose(image[..., 1], rgb @ [0.212671, 0.715160, 0.072169], rtol=1e-5, atol=1e-6)
        assert np.allclose(image[..., 2], rgb @ [0.019334, 0.119193, 0.950227], rtol=1e-5, atol=1e-6)
    else:
        assert np.allclose(image[..., :3], rgb, rtol=1e-6)
    if pixel_format.endswith('a'):
        # The rectangle fills the middle half of the view: alpha 1 there, 0 outside.
        assert np.allclose(image[4, 6:10, -1], 1) and np.allclose(image[4, :3, -1], 0)


def test_alpha_carries_derivatives_of_the_colour_only():
    film = {'type': 'hdrfilm', 'width': 8, 'height': 4, 'rfilter': {'type': 'box'}, 'pixel_format': 'rgba'}
    scene = ortho_scene(integrator={'type': 'path'}, film=film, scale=(2, 2, 1))
    params = tk.traverse(scene)
    key = 'rect.bsdf.reflectance.value'
    dr.enable_grad(params[key])
    image = tk.render(scene, params, spp=4, seed=0)
    dr.forward_from(params[key])
    gradient = dr.grad(image).numpy()
    assert image.shape == (4, 8, 4) and np.all(gradient[..., 3] == 0)
    assert np.all(gradient[1:3, 3:5, :3] > 0)


# -- batch -----------------------------------------------------------------------------------

def batch_scene(film_width=32):
    return tk.load_dict({
        'type': 'scene', 'integrator': {'type': 'aov', 'aovs': 'dd:depth'},
        'sensor': {'type': 'batch',
                   'persp': {'type': 'perspective', 'fov': 30, 'to_world': LOOK_DOWN_Z,
                             'film': {'type': 'hdrfilm', 'rfilter': {'type': 'box'}}},
                   'ortho': {'type': 'orthographic', 'to_world': LOOK_DOWN_Z @ T().scale([0.5, 0.5, 1])},
                   'film': {'type': 'hdrfilm', 'width': film_width, 'height': 8, 'rfilter': {'type': 'box'}}},
        'rect': {'type': 'rectangle'}})


def test_a_batch_renders_its_sensors_side_by_side():
    scene = batch_scene()
    batch = scene.sensors()[0]
    assert [s.film().size() for s in batch.sensors] == [(16, 8), (16, 8)]
    assert {'sensor.persp.to_world', 'sensor.ortho.to_world'} <= set(tk.traverse(scene).keys())
    image = tk.render(scene, spp=16, seed=0).numpy()[..., 0]
    assert image.shape == (8, 32)
    assert np.allclose(image[:, 16:], 4.99, atol=1e-5)            # the orthographic half
    alone = tk.render(scene, sensor=batch.sensors[0], spp=16, seed=0).numpy()[..., 0]
    # The perspective half, to jitter noise, where the pixel lies wholly on the rectangle.
    covered = (image[:, :16] > 4.9) & (alone > 4.9)
    assert covered.sum() > 50 and np.allclose(image[:, :16][covered], alone[covered], atol=0.01)
    assert np.array_equal(image[:, :16] == 0, alone == 0)
    ray, _ = batch.sample_ray(0, 0, tk.Array2f(0.75, 0.5), tk.Array2f(0.5))
    assert np.allclose(np.array(ray.d).T, [[0, 0, -1]])


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize('sensor, message', [
    ({'type': 'batch', 'film': {'type': 'hdrfilm', 'width': 8}}, 'at least one nested sensor'),
    ({'type': 'batch', 'a': {'type': 'perspective'}, 'b': {'type': 'perspective'},
      'c': {'type': 'orthographic'}, 'film': {'type': 'hdrfilm', 'width': 8}},
     r"width \(8\) must be a multiple of the number of nested sensors \(3\)"),
    ({'type': 'perspective', 'film': {'type': 'hdrfilm', 'width': 8, 'crop_offset_x': 4, 'crop_width': 5}},
     r'crop window does not lie inside the film: crop_offset_x \(4\) \+ crop_width \(5\) > width \(8\)'),
    ({'type': 'perspective', 'film': {'type': 'hdrfilm', 'crop_height': 0}}, 'crop_height must be positive'),
    ({'type': 'perspective', 'film': {'type': 'hdrfilm', 'pixel_format': 'cmyk'}},
     'pixel_format must be one of luminance, luminance_alpha, rgb, rgba, xyz, xyza; got "cmyk"'),
    ({'type': 'perspective', 'film': {'type': 'hdrfilm', 'component_format': 'int8'}},
     'component_format must be one of'),
])
def test_bad_sensors_and_films_are_refused_by_name(sensor, message):
    with pytest.raises(tk.PluginError, match=message):
        tk.load_dict({'type': 'scene', 'sensor': sensor})


@pytest.mark.parametrize('aovs, message', [
    ('dd:depht', r'unknown AOV type "depht" in "dd:depht" \(known: albedo, depth'),
    ('depth', r'each AOV is a <name>:<type> pair, got "depth"'),
    ('a:b:depth', 'each AOV is a <name>:<type> pair'),
    ('d:dp_dv', 'the AOV type "dp_dv" is not available'),
])
def test_bad_aov_lists_are_refused_by_name(aovs, message):
    with pytest.raises(tk.PluginError, match=message):
        tk.load_dict({'type': 'scene', 'integrator': {'type': 'aov', 'aovs': aovs}})


def test_a_bad_crop_in_a_file_names_the_line():
    text = '''<scene version="3.0.0"><sensor type="orthographic">
        <film type="hdrfilm"><integer name="width" value="8"/>
            <integer name="crop_offset_y" value="600"/></film></sensor></scene>'''
    with pytest.raises(tk.PluginError, match=r':3: .*crop_offset_y \(600\) \+ crop_height \(576\) > height'):
        tk.load_string(text)


def test_direct_projective_fixes_max_depth_and_checks_its_options():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        integrator = tk.load_dict({'type': 'direct_projective', 'sppc': 4, 'sppp': 8, 'sppi': 16,
                                   'guiding': 'grid', 'guiding_proj': False, 'guiding_rounds': 2,
                                   'clean': True, 'hide_emitters': True})
    assert (integrator.max_depth, integrator.sppp, integrator.sppi, integrator.hide_emitters) == (2, 8, 16, True)
    with pytest.warns(tk.SceneWarning, match='max_depth=5 is ignored'):
        assert tk.load_dict({'type': 'direct_projective', 'max_depth': 5}).max_depth == 2
    with pytest.raises(tk.PluginError, match='guiding'):
        tk.load_dict({'type': 'direct_projective', 'guiding': 'kdtree'})


# -- direct_projective: derivatives of a pose ------------------------------------------------

def pose_scene(tmp_path):
    """A square hovering over a ground plane, lit by a small area light: its
    silhouette and its shadow both move when it does."""
    square = tmp_path / 'square.obj'
    square.write_text('v -0.4 -0.4 0.6\nv 0.4 -0.4 0.6\nv 0.4 0.4 0.6\nv -0.4 0.4 0.6\nf 1 2 3\nf 1 3 4\n')
    return tk.load_dict({
        'type': 'scene', 'integrator': {'type': 'direct_projective'},
        'sensor': {'type': 'perspective', 'fov': 40, 'to_world': T().look_at(origin=[0, -1, 5], target=[0, 0, 0], up=[0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': 24, 'height': 24, 'rfilter': {'type': 'box'}}},
        'ground': {'type': 'rectangle', 'to_world': T().scale([3, 3, 1]),
                   'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': 0.7}}},
        'square': {'type': 'obj', 'filename': str(square), 'face_normals': True,
                   'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': 0.2}}},
        'lamp': {'type': 'rectangle', 'to_world': T().translate([0.5, 0.3, 3]) @ T().scale([0.2, 0.2, 1]) @ T().rotate([1, 0, 0], 180),
                 'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': 30}}}})


def test_direct_projective_pose_gradient_matches_finite_differences(tmp_path):
    scene = pose_scene(tmp_path)
    key = 'square.vertex_positions'
    positions = tk.traverse(scene)[key].numpy().reshape(-1, 3)
    params = tk.traverse(scene)
    params[key] = (positions + [0.15, 0.1, 0]).ravel()
    params.update()
    target = tk.render(scene, spp=256, seed=7)
    params[key] = positions.ravel()
    params.update()
    translate_x = np.tile([1.0, 0, 0], len(positions))
    check = tk.check_gradient(scene, key, translate_x, objective=lambda image: dr.mean(dr.square(image - target)),
                              spp=512, step=0.02)
    assert check.finite_difference < 0                       # moving towards the target helps
    assert check.relative_error < 0.1, check


# -- Mitsuba 3 as the reference --------------------------------------------------------------

def block_means(image, blocks=8):
    h, w, c = image.shape
    return image[:h // blocks * blocks, :w // blocks * blocks].reshape(
        blocks, h // blocks, blocks, w // blocks, c).mean(axis=(1, 3))


def assert_like_mitsuba(ours, theirs, block_tolerance=0.04, floor=0.02):
    """Means within 1.5 %, 8 x 8 block means within 4 % (blocks darker than ``floor``: absolute)."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape
    assert np.allclose(ours.mean(axis=(0, 1)), theirs.mean(axis=(0, 1)), rtol=0.015, atol=1e-3)
    a, b = block_means(ours), block_means(theirs)
    assert np.all(np.abs(a - b) <= block_tolerance * np.maximum(np.abs(b), floor)), np.abs(a - b).max()


SCENE_XML = '''<scene version="3.0.0">
    <integrator type="{integrator}">{integrator_body}</integrator>
    <sensor type="{sensor}">
        {sensor_body}
        <transform name="to_world"><lookat origin="1.5, -2, 4" target="0, 0, 0" up="0, 0, 1"/>{scale}</transform>
        <sampler type="independent"><integer name="sample_count" value="{spp}"/></sampler>
        <film type="hdrfilm"><integer name="width" value="64"/><integer name="height" value="48"/>
            {film_body}</film>
    </sensor>
    <emitter type="constant"><rgb name="radiance" value="0.3"/></emitter>
    <shape type="rectangle"><transform name="to_world"><scale value="3"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.6, 0.5, 0.4"/></bsdf></shape>
    <shape type="cube"><transform name="to_world"><translate z="0.6"/><scale value="0.6"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.5, 0.8"/></bsdf></shape>
    <shape type="rectangle"><transform name="to_world"><translate x="1" y="1" z="3"/>
        <rotate x="1" angle="180"/><scale value="0.4"/></transform>
        <emitter type="area"><rgb name="radiance" value="20"/></emitter></shape>
</scene>'''

MITSUBA_CASES = {
    'orthographic, aov with a nested path tracer': dict(
        integrator='aov', integrator_body='<string name="aovs" value="dd.y:depth,nn:geo_normal"/>'
                                          '<integrator type="path" name="image"/>',
        sensor='orthographic', sensor_body='', scale='<scale x="2.5" y="2.5"/>', film_body=''),
    'perspective crop, sample_border, rgba': dict(
        integrator='path', integrator_body='', sensor='perspective',
        sensor_body='<float name="fov" value="45"/>', scale='',
        film_body='<integer name="crop_offset_x" value="8"/><integer name="crop_offset_y" value="4"/>'
                  '<integer name="crop_width" value="48"/><integer name="crop_height" value="40"/>'
                  '<boolean name="sample_border" value="true"/><string name="pixel_format" value="rgba"/>'),
    'luminance, tent filter': dict(
        integrator='path', integrator_body='<integer name="max_depth" value="3"/>', sensor='perspective',
        sensor_body='<float name="fov" value="45"/>', scale='',
        film_body='<string name="pixel_format" value="luminance"/><rfilter type="tent"/>'),
}


@pytest.mark.mitsuba
@pytest.mark.slow
@pytest.mark.parametrize('case', MITSUBA_CASES)
def test_images_match_mitsuba(case):
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    text = SCENE_XML.format(spp=256, **MITSUBA_CASES[case])
    ours = tk.render(tk.load_string(text), seed=1).numpy()
    theirs = np.asarray(mi.render(mi.load_string(text), seed=1))
    if 'aov' in case:
        # Depth and normals: deterministic but for pixels on edges; compare as images too.
        assert ours.shape == theirs.shape == (48, 64, 3 + 1 + 3)
        assert_like_mitsuba(ours[..., :4], theirs[..., :4])
        assert np.abs(block_means(ours[..., 4:]) - block_means(theirs[..., 4:])).max() < 0.02
    else:
        assert_like_mitsuba(ours, theirs)


@pytest.mark.mitsuba
@pytest.mark.slow
def test_a_batch_matches_mitsuba():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')

    def description(module):
        M = module.ScalarTransform4f
        return {'type': 'scene', 'integrator': {'type': 'path', 'max_depth': 3},
                'sensor': {'type': 'batch',
                           'left': {'type': 'perspective', 'fov': 40,
                                    'to_world': M().look_at(origin=[0, -3, 3], target=[0, 0, 0], up=[0, 0, 1])},
                           'right': {'type': 'orthographic',
                                     'to_world': M().look_at(origin=[3, 0, 3], target=[0, 0, 0], up=[0, 0, 1])
                                     @ M().scale([2, 2, 1])},
                           'film': {'type': 'hdrfilm', 'width': 96, 'height': 48},
                           'sampler': {'type': 'independent', 'sample_count': 256}},
                'light': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': 0.5}},
                'floor': {'type': 'rectangle', 'to_world': M().scale([3, 3, 1]),
                          'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.7, 0.6, 0.5]}}},
                'box': {'type': 'cube', 'to_world': M().translate([0, 0, 0.5]) @ M().scale([0.5, 0.5, 0.5]),
                        'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.2, 0.5, 0.8]}}}}
    ours = tk.render(tk.load_dict(description(tk)), seed=3).numpy()
    theirs = np.asarray(mi.render(mi.load_dict(description(mi)), seed=3))
    assert ours.shape == theirs.shape == (48, 96, 3)
    for half in (slice(0, 48), slice(48, 96)):
        assert_like_mitsuba(ours[:, half], theirs[:, half])


@pytest.mark.mitsuba
@pytest.mark.slow
def test_direct_projective_image_matches_mitsubas_direct_integrator():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    case = dict(MITSUBA_CASES['luminance, tent filter'], integrator_body='', film_body='')
    ours = tk.render(tk.load_string(SCENE_XML.format(spp=256, **dict(case, integrator='direct_projective'))),
                     seed=1).numpy()
    theirs = np.asarray(mi.render(mi.load_string(SCENE_XML.format(spp=256, **dict(case, integrator='direct'))),
                                  seed=1))
    assert_like_mitsuba(ours, theirs)


def test_world_transform_is_the_sensors_placement():
    scene = tk.load_dict(tk.cornell_box())
    transform = scene.sensors()[0].world_transform()
    camera_origin = transform.inverse() @ tk.Point3f(0, 0, 3.9)
    assert np.allclose(np.array(camera_origin).ravel(), 0, atol=1e-5)
    assert np.allclose(np.array(transform @ tk.Point3f(0, 0, 1)).ravel(), [0, 0, 2.9], atol=1e-5)

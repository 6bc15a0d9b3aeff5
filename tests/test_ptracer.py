"""The particle tracer (``ptracer``), the ``directionalarea`` emitter and light
transport through glass in importance mode.

Oracles: the path tracer on a diffuse Cornell box (both estimate the same
image), an analytic irradiance (a collimated beam on a diffuse plane),
Mitsuba 3's own ``ptracer`` on glass scenes (tests marked ``mitsuba``),
and the adjoint symmetry of refraction (Veach 1997, sec. 5.2).
"""
import numpy as np
import pytest
import drjit as dr

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import PluginError, RenderError
from tutorial_kit.renderer.bsdf import BSDFContext, TransportMode
from helpers import interaction, load_bsdf, scene_xml


def cornell_box(integrator, size=32, **settings):
    description = tk.cornell_box()
    description['sensor']['film']['width'] = description['sensor']['film']['height'] = size
    description['integrator'] = dict(type=integrator, **settings)
    return tk.load_dict(description)


def blocks(image, block=8):
    """Means of block x block tiles, (H / block, W / block, C)."""
    h, w, c = image.shape
    return image.reshape(h // block, block, w // block, block, c).mean(axis=(1, 3))


def block_error(image, reference):
    """Mean absolute difference of 8 x 8 block means, relative to the reference's mean."""
    return float(np.abs(blocks(image) - blocks(reference)).mean() / blocks(reference).mean())


def test_ptracer_matches_path_on_the_cornell_box():
    # Path against path with another seed: about 1 % (8 x 8 blocks); a wrong camera
    # importance (cos^4 instead of cos^3) puts the particle tracer 2-3 % high.
    reference = tk.render(cornell_box('path', max_depth=3), spp=256, seed=1).numpy()
    image = tk.render(cornell_box('ptracer', max_depth=3), spp=256, seed=1).numpy()
    ratio = image.mean(axis=(0, 1)) / reference.mean(axis=(0, 1))
    assert np.all(np.abs(ratio - 1) < 0.01), ratio
    assert block_error(image, reference) < 0.02


def test_ptracer_max_depth_hide_emitters_and_passes():
    scene = cornell_box('ptracer', max_depth=1)
    emitters_only = tk.render(scene, spp=64, seed=3).numpy()
    path = tk.render(cornell_box('path', max_depth=1), spp=64, seed=3).numpy()
    # Only the lamp, as the path tracer sees it.
    assert abs(emitters_only.sum() / path.sum() - 1) < 0.03
    lamp = path.sum(axis=2) > 1
    assert lamp.any() and emitters_only.sum(axis=2)[~lamp].max() < 1

    hidden = tk.render(cornell_box('ptracer', max_depth=1, hide_emitters=True), spp=16, seed=3).numpy()
    assert hidden.max() == 0
    # Passes of 4 samples per pixel estimate the same image as one pass.
    passes = tk.render(cornell_box('ptracer', max_depth=2, samples_per_pass=4), spp=64, seed=3).numpy()
    whole = tk.render(cornell_box('ptracer', max_depth=2), spp=64, seed=3).numpy()
    assert abs(passes.mean() / whole.mean() - 1) < 0.02
    assert not np.array_equal(passes, whole)


def directional_area_scene(integrator, radiance='<rgb name="radiance" value="2, 1, 0.5"/>', size=16):
    """A 2 x 2 directionalarea emitter 1 unit above a diffuse floor (reflectance 0.5),
    shining straight down, seen by a camera inside the beam's footprint."""
    body = f'''<integrator type="{integrator}"><integer name="max_depth" value="3"/></integrator>
    <shape type="rectangle">
        <transform name="to_world"><rotate x="1" angle="90"/><translate y="1"/></transform>
        <emitter type="directionalarea">{radiance}</emitter>
    </shape>
    <shape type="rectangle">
        <transform name="to_world"><rotate x="1" angle="-90"/><scale value="4"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.5"/></bsdf>
    </shape>'''
    return tk.load_string(scene_xml(body, width=size, height=size, origin=(0, 0.5, 0.001),
                                    target=(0, 0, 0), up=(0, 0, 1), fov=60, rfilter='box'))


def test_directionalarea_lights_a_floor_with_its_radiance():
    # A collimated beam of radiance L delivers irradiance L on a surface facing it:
    # a diffuse floor of reflectance 0.5 then has radiance 0.5 L / pi everywhere.
    image = tk.render(directional_area_scene('ptracer'), spp=256, seed=1).numpy()
    expected = 0.5 / np.pi * np.array([2, 1, 0.5])
    assert np.allclose(image[2:-2, 2:-2].mean(axis=(0, 1)), expected, rtol=0.02)
    # No camera path meets the emission direction: the path tracer sees nothing.
    assert tk.render(directional_area_scene('path'), spp=16, seed=1).numpy().max() == 0


def test_directionalarea_radiance_texture_is_read_at_the_emitting_point(tmp_path):
    # Left half of the emitter's texture bright, right half dark: so is the floor.
    path = tmp_path / 'halves.exr'
    tk.write_bitmap(str(path), np.array([[[3, 3, 3], [0, 0, 0]]], np.float32))
    radiance = f'''<texture type="bitmap" name="radiance"><boolean name="raw" value="true"/>
        <string name="filter_type" value="nearest"/><string name="filename" value="{path}"/></texture>'''
    image = tk.render(directional_area_scene('ptracer', radiance), spp=128, seed=2).numpy()[..., 0]
    columns = image[2:-2].mean(axis=0)
    bright, dark = columns[:6].mean(), columns[-6:].mean()
    assert abs(max(bright, dark) - 0.5 * 3 / np.pi) < 0.05 and min(bright, dark) < 0.01


def test_directionalarea_refuses_its_own_placement():
    body = '''<shape type="rectangle"><emitter type="directionalarea">
        <transform name="to_world"><translate y="1"/></transform></emitter></shape>'''
    with pytest.raises(PluginError, match='to_world'):
        tk.load_string(scene_xml(body))


def test_dielectric_importance_has_no_radiance_compression():
    # Refraction into glass (eta 1.5): the radiance weight carries 1 / eta^2, the
    # importance weight does not (Veach 1997, sec. 5.2).
    bsdf = load_bsdf('<bsdf type="dielectric"><float name="int_ior" value="1.5"/><float name="ext_ior" value="1"/></bsdf>')
    si = interaction([0.3, 0.2, 1.0], 4)
    sample1, sample2 = dr.full(bk.Float, 0.99, 4), dr.full(bk.Array2f, 0.5, 4)
    weights = {}
    for mode in TransportMode:
        bs, weight = bsdf.sample(BSDFContext(mode), si, sample1, sample2)
        assert bs.wo.z.numpy()[0] < 0                      # refracted
        weights[mode] = weight.numpy()[0]
    assert np.allclose(weights[TransportMode.Radiance] * 1.5 ** 2, weights[TransportMode.Importance], rtol=1e-5)


def test_roughdielectric_importance_eval_is_walter_equation_21():
    bsdf = load_bsdf('<bsdf type="roughdielectric"><float name="alpha" value="0.3"/>'
                     '<float name="int_ior" value="1.5"/><float name="ext_ior" value="1"/></bsdf>')
    si = interaction([0.2, 0.1, 1.0], 1)
    wo = bk.Array3f(dr.normalize(bk.Array3f(-0.1, 0.05, -1.0)))
    radiance = bsdf.eval(BSDFContext(TransportMode.Radiance), si, wo).numpy()
    importance = bsdf.eval(BSDFContext(TransportMode.Importance), si, wo).numpy()
    assert radiance[0, 0] > 0
    assert np.allclose(importance, radiance * 1.5 ** 2, rtol=1e-5)


def test_ptracer_refuses_what_it_cannot_render():
    ortho = scene_xml('<integrator type="ptracer"/><shape type="sphere"><emitter type="area"/></shape>'
                      ).replace('type="perspective"', 'type="orthographic"').replace(
                          '<float name="fov" value="40"/>', '')
    with pytest.raises(RenderError, match='perspective'):
        tk.render(tk.load_string(ortho), spp=1)
    with pytest.raises(PluginError, match='samples_per_pass'):
        tk.load_string(scene_xml('<integrator type="ptracer"><integer name="samples_per_pass" '
                                 'value="0"/></integrator>'))
    rgba = scene_xml('<integrator type="ptracer"/><shape type="sphere"><emitter type="area"/></shape>'
                     ).replace('<rfilter', '<string name="pixel_format" value="rgba"/><rfilter')
    with pytest.raises(RenderError, match='pixel_format'):
        tk.render(tk.load_string(rgba), spp=1)


# -- against Mitsuba 3 -------------------------------------------------------------------

GLASS_SCENE = '''<integrator type="ptracer"><integer name="max_depth" value="5"/></integrator>
<emitter type="point"><point name="position" x="0" y="2.5" z="0"/><rgb name="intensity" value="10"/></emitter>
<shape type="sphere"><point name="center" x="0" y="1" z="0"/><float name="radius" value="0.5"/>{bsdf}</shape>
<shape type="rectangle"><transform name="to_world"><rotate x="1" angle="-90"/><scale value="3"/></transform>
    <bsdf type="diffuse"><rgb name="reflectance" value="0.7, 0.6, 0.5"/></bsdf></shape>'''

CAUSTIC_CASES = {
    # A point light above a glass ball: the caustic it focuses on the floor.
    'dielectric': GLASS_SCENE.format(bsdf='<bsdf type="dielectric"/>'),
    'roughdielectric': GLASS_SCENE.format(
        bsdf='<bsdf type="roughdielectric"><float name="alpha" value="0.2"/></bsdf>'),
    # A collimated beam through a glass slab onto a floor; the beam's picture in its texture.
    'directionalarea-slab': '''<integrator type="ptracer"><integer name="max_depth" value="4"/></integrator>
        <shape type="rectangle"><transform name="to_world"><rotate x="1" angle="90"/><translate y="2"/></transform>
            <emitter type="directionalarea"><texture type="bitmap" name="radiance">
                <string name="filename" value="{texture}"/><boolean name="raw" value="true"/>
                <string name="filter_type" value="nearest"/></texture></emitter></shape>
        <shape type="cube"><transform name="to_world"><scale x="0.8" y="0.1" z="0.8"/><translate y="1"/></transform>
            <bsdf type="dielectric"/></shape>
        <shape type="rectangle"><transform name="to_world"><rotate x="1" angle="-90"/><scale value="3"/></transform>
            <bsdf type="diffuse"/></shape>''',
    # Lights at infinity and a spot: rays enter the scene's bounding sphere, and the
    # camera sees the environment directly.
    'environment-spot-directional': '''<integrator type="ptracer"><integer name="max_depth" value="3"/></integrator>
        <emitter type="constant"><rgb name="radiance" value="0.4, 0.45, 0.5"/></emitter>
        <emitter type="spot"><transform name="to_world"><lookat origin="1, 3, 1" target="0, 0, 0"/></transform>
            <rgb name="intensity" value="20"/><float name="cutoff_angle" value="30"/></emitter>
        <emitter type="directional"><vector name="direction" x="-0.3" y="-1" z="-0.2"/>
            <rgb name="irradiance" value="2"/></emitter>
        <shape type="sphere"><point name="center" x="0" y="0.6" z="0"/><float name="radius" value="0.5"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.3, 0.5, 0.8"/></bsdf></shape>
        <shape type="rectangle"><transform name="to_world"><rotate x="1" angle="-90"/><scale value="3"/></transform>
            <bsdf type="diffuse"/></shape>''',
}


@pytest.mark.mitsuba
@pytest.mark.parametrize('case', sorted(CAUSTIC_CASES))
def test_ptracer_matches_mitsuba(case, tmp_path):
    # Mitsuba 3 against itself with another seed: block errors of 1-2 %.
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    texture = tmp_path / 'bayer.exr'        # a Bayer-like mosaic, as the gallery's caustic lights
    mosaic = np.zeros((4, 4, 3), np.float32)
    mosaic[::2, ::2, 2] = mosaic[::2, 1::2, 1] = mosaic[1::2, 1::2, 0] = 2.2
    tk.write_bitmap(str(texture), mosaic)
    xml = scene_xml(CAUSTIC_CASES[case].replace('{texture}', str(texture)), width=32, height=32, origin=(0, 4, 4), target=(0, 0, 0),
                    rfilter='gaussian', fov=45)
    image = tk.render(tk.load_string(xml), spp=512, seed=1).numpy()
    reference = np.array(mi.render(mi.load_string(xml), spp=512, seed=1))
    ratio = image.mean(axis=(0, 1)) / reference.mean(axis=(0, 1))
    assert np.all(np.abs(ratio - 1) < 0.02), ratio
    assert block_error(image, reference) < 0.04


# -- derivatives -------------------------------------------------------------------------

def correlation(a, b):
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


@pytest.mark.parametrize('key, step', [('light.emitter.radiance.value', 1.0), ('red.reflectance.value', 0.05)])
def test_ptracer_derivatives_of_emitter_and_bsdf_match_finite_differences(key, step):
    scene = cornell_box('ptracer', size=16, max_depth=3)
    params = tk.traverse(scene)
    value = np.array(params[key]).ravel()

    def image(v):
        params[key] = tk.Color3f(*(float(x) for x in v))
        params.update()
        return tk.render(scene, params, spp=32, seed=3).numpy()
    finite = (image(value + step) - image(value - step)) / (2 * step)
    image(value)

    parameter = params[key]
    dr.enable_grad(parameter)
    params.update()
    rendered = tk.render(scene, params, spp=32, seed=3, unbiased=False)
    dr.forward_from(parameter)
    forward = dr.grad(rendered).numpy()
    # The same samples on both sides: the image is linear in the radiance and
    # smooth in the reflectance, so the two agree to rounding.
    assert correlation(forward, finite) > 0.999
    assert abs(forward.sum() / finite.sum() - 1) < 0.01

    weights = np.random.default_rng(1).random(finite.shape).astype(np.float32)
    parameter = params[key]
    dr.enable_grad(parameter)
    params.update()
    rendered = tk.render(scene, params, spp=32, seed=3, unbiased=False)
    dr.backward(dr.sum(rendered * tk.TensorXf(weights)))
    reverse = np.array(dr.grad(parameter)).ravel().sum()        # a step of 1 in each channel
    assert abs(reverse / (finite * weights).sum() - 1) < 0.01


def flat_lens(resolution):
    """A flat glass sheet of resolution x resolution vertices in the plane y = 0, built
    in Python as the gallery's caustic notebook builds its lens (no normals given:
    they are computed, and follow the vertices)."""
    n = resolution
    u, v = dr.meshgrid(dr.linspace(tk.Float, 0, 1, n), dr.linspace(tk.Float, 0, 1, n), indexing='ij')
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing='ij')
    v00 = (i * n + j).ravel()
    faces = np.stack([np.stack([v00, v00 + 1, v00 + n], 1), np.stack([v00 + 1, v00 + n + 1, v00 + n], 1)],
                     1).reshape(-1, 3).astype(np.uint32)
    mesh = tk.Mesh('lens', n * n, len(faces), has_vertex_texcoords=True)
    params = tk.traverse(mesh)
    params['vertex_positions'] = dr.ravel(tk.Array3f(2 * u - 1, 0, 2 * v - 1))
    params['vertex_texcoords'] = dr.ravel(tk.Array2f(u, v))
    params['faces'] = tk.UInt32(faces.ravel())
    params.update()
    return mesh


def caustic_scene(lens_file, size=24):
    """A directionalarea light shining down through the lens onto a diffuse screen,
    seen by a camera between lens and screen (as in the gallery's caustic design)."""
    T = tk.ScalarTransform4f
    return tk.load_dict({
        'type': 'scene',
        'integrator': {'type': 'ptracer', 'max_depth': 4},
        'sensor': {'type': 'perspective', 'fov': 50,
                   'to_world': T().look_at(origin=[0, -1, 0], target=[0, -3, 0], up=[0, 0, 1]),
                   'film': {'type': 'hdrfilm', 'width': size, 'height': size, 'rfilter': {'type': 'gaussian'}}},
        'glass': {'type': 'dielectric', 'int_ior': 1.5, 'ext_ior': 1.0},
        'lens': {'type': 'ply', 'filename': lens_file, 'bsdf': {'type': 'ref', 'id': 'glass'}},
        'light': {'type': 'rectangle', 'to_world': T().translate([0, 2, 0]).rotate([1, 0, 0], 90).scale(1.2),
                  'emitter': {'type': 'directionalarea', 'radiance': 1.0}},
        'screen': {'type': 'rectangle', 'to_world': T().translate([0, -3, 0]).rotate([1, 0, 0], -90).scale(3)},
    })


def test_ptracer_geometry_derivative_of_a_displaced_lens(tmp_path):
    # A smooth bump of amplitude a displaces the lens along its normals (the gallery's
    # heightmap workflow): d(image)/da by forward mode, against central differences
    # with the same samples. Pixels within the filter's reach of the border are left
    # out: a light point that leaves the field of view stops counting at once there,
    # a jump that differentiation does not see (nor does Mitsuba 3's).
    flat_lens(16).write_ply(str(tmp_path / 'lens.ply'))
    scene = caustic_scene(str(tmp_path / 'lens.ply'))
    params = tk.traverse(scene)
    positions = dr.unravel(tk.Array3f, params['lens.vertex_positions'])
    normals = dr.unravel(tk.Array3f, params['lens.vertex_normals'])
    uv = dr.unravel(tk.Array2f, params['lens.vertex_texcoords'])
    bump = dr.sin(dr.pi * uv.x) * dr.sin(dr.pi * uv.y)

    def displace(amplitude):
        params['lens.vertex_positions'] = dr.ravel(positions + normals * bump * amplitude)
        params.update()

    def render():
        return tk.render(scene, spp=256, seed=5, unbiased=False)
    step = 0.002
    displace(tk.Float(0.05 + step))
    above = render().numpy()
    displace(tk.Float(0.05 - step))
    finite = (above - render().numpy()) / (2 * step)

    amplitude = tk.Float(0.05)
    dr.enable_grad(amplitude)
    displace(amplitude)
    image = render()
    dr.forward_from(amplitude)
    forward = dr.grad(image).numpy()
    inner = (slice(2, -2), slice(2, -2))
    assert np.abs(finite[inner]).max() > 0.3         # the bump focuses light visibly
    assert correlation(forward[inner], finite[inner]) > 0.99

    # Reverse mode gives the same derivative: <w, J> = w . forward.
    weights = np.random.default_rng(2).random(finite.shape).astype(np.float32)
    amplitude = tk.Float(0.05)
    dr.enable_grad(amplitude)
    displace(amplitude)
    image = render()
    dr.backward(dr.sum(image * tk.TensorXf(weights)))
    assert np.isclose(dr.grad(amplitude)[0], (forward * weights).sum(), rtol=1e-3)

"""BSDFs and textures: energy, reciprocity, texture lookups, derivatives and bad input."""

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.plugins.bsdfs.fresnel import fresnel
from helpers import interaction, load_bsdf, scene_xml, write_sphere_obj

DIRECTIONS = [(0.0, 0.0, 1.0), (0.6, 0.3, 0.5), (0.9, -0.2, 0.2)]


def sample_many(bsdf, wi, count=200_000, seed=1):
    rng = bk.PCG32(count, seed)
    si = interaction(wi, count)
    bs, weight = bsdf.sample(tk.BSDFContext(), si, rng.next_float32(), bk.Array2f(rng.next_float32(), rng.next_float32()))
    return si, bs, np.asarray(weight).T


# -- energy ---------------------------------------------------------------------------------

@pytest.mark.parametrize('xml', [
    '<bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf>',
    '<bsdf type="roughconductor"><string name="distribution" value="ggx"/><float name="alpha" value="0.8"/></bsdf>',
    '<bsdf type="roughdielectric"><float name="alpha" value="0.4"/></bsdf>',
    '<bsdf type="plastic"><rgb name="diffuse_reflectance" value="1"/></bsdf>',
    '<bsdf type="roughplastic"><rgb name="diffuse_reflectance" value="1"/><float name="alpha" value="0.4"/></bsdf>',
    '<bsdf type="pplastic"><rgb name="diffuse_reflectance" value="1"/><float name="alpha" value="0.3"/></bsdf>',
    '<bsdf type="thindielectric"/>',
])
@pytest.mark.parametrize('wi', DIRECTIONS)
def test_white_furnace_albedo_at_most_one(xml, wi):
    """The albedo (mean sample weight; radiance compression undone) stays within 1."""
    _, bs, weight = sample_many(load_bsdf(xml), wi)
    albedo = (weight * np.asarray(bs.eta)[:, None] ** 2).mean(axis=0)
    assert np.all(albedo <= 1.005), albedo
    assert np.all(albedo > 0.3), albedo


@pytest.mark.parametrize('wi', DIRECTIONS + [(0.3, 0.2, -0.7), (0.8, 0.1, -0.3)])
@pytest.mark.parametrize('kind', ['dielectric', 'thindielectric', 'conductor'])
def test_lossless_smooth_interfaces_keep_all_energy(kind, wi):
    """A smooth dielectric reflects F and transmits 1 - F: together exactly 1;
    the ideal mirror (conductor without material) reflects everything."""
    if kind == 'conductor' and wi[2] < 0:
        pytest.skip('one-sided')
    _, bs, weight = sample_many(load_bsdf(f'<bsdf type="{kind}"/>'), wi, count=20_000)
    energy = weight * np.asarray(bs.eta)[:, None] ** 2
    assert np.allclose(energy, 1, atol=1e-5)


@pytest.mark.parametrize('wi', [(0.6, 0.3, 0.5), (0.3, 0.2, -0.7), (0.5, 0.0, -0.5)])
def test_dielectric_chooses_reflection_with_the_fresnel_probability(wi):
    bsdf = load_bsdf('<bsdf type="dielectric"><float name="int_ior" value="1.6"/>'
                     '<float name="ext_ior" value="1"/></bsdf>')
    si, bs, _ = sample_many(bsdf, wi)
    reflected = np.asarray(bs.wo)[2] * wi[2] > 0
    expected = fresnel(bk.Float(wi[2] / np.linalg.norm(wi)), bk.Float(1.6))[0].numpy()[0]
    assert reflected.mean() == pytest.approx(expected, abs=4 / np.sqrt(len(reflected)))
    # Snell's law: n_i sin(theta_i) = n_t sin(theta_t) for the refracted samples.
    wo = np.asarray(bs.wo)[:, ~reflected].T
    if len(wo):
        n_i, n_t = (1.0, 1.6) if wi[2] > 0 else (1.6, 1.0)
        sin_i = np.linalg.norm(np.array(wi[:2]) / np.linalg.norm(wi))
        assert np.allclose(np.linalg.norm(wo[:, :2], axis=1) * n_t, sin_i * n_i, atol=1e-5)


@pytest.mark.parametrize('xml', [
    '<bsdf type="roughconductor"><string name="material" value="Cu"/><float name="alpha" value="0.3"/></bsdf>',
    '<bsdf type="roughconductor"><float name="alpha_u" value="0.1"/><float name="alpha_v" value="0.4"/></bsdf>',
    '<bsdf type="plastic"/>',
    '<bsdf type="roughplastic"><float name="alpha" value="0.2"/></bsdf>',
    '<bsdf type="pplastic"><float name="alpha" value="0.2"/></bsdf>',
    '<bsdf type="roughdielectric"><float name="alpha" value="0.3"/></bsdf>',
])
def test_reciprocity(xml):
    """f(wi, wo) = f(wo, wi) for reflection (eval includes |cos theta_o|)."""
    bsdf = load_bsdf(xml)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 3))
    b = rng.normal(size=(500, 3))
    a[:, 2], b[:, 2] = np.abs(a[:, 2]) + 0.05, np.abs(b[:, 2]) + 0.05
    a /= np.linalg.norm(a, axis=1)[:, None]
    b /= np.linalg.norm(b, axis=1)[:, None]

    def f(wi, wo):
        si = interaction((0, 0, 1), len(wi))
        si.wi = bk.Array3f(*(bk.Float(c.astype(np.float32)) for c in wi.T))
        value = bsdf.eval(tk.BSDFContext(), si, bk.Array3f(*(bk.Float(c.astype(np.float32)) for c in wo.T)))
        return np.asarray(value).T / wo[:, 2:3]
    forward, backward = f(a, b), f(b, a)
    assert np.allclose(forward, backward, rtol=2e-3, atol=1e-6)
    assert forward.max() > 0


def test_conductor_presets_as_mitsuba_converts_them():
    scene = tk.load_string('<scene version="3.0.0"><bsdf type="conductor" id="gold">'
                           '<string name="material" value="Au"/></bsdf></scene>')
    params = tk.traverse(scene)
    # Mitsuba 3.9 (llvm_ad_rgb) reports these for its Au preset.
    assert np.allclose(params['gold.eta.value'].numpy().ravel(), [0.143036, 0.375307, 1.44205], rtol=1e-4)
    assert np.allclose(params['gold.k.value'].numpy().ravel(), [3.983, 2.38556, 1.60336], rtol=1e-4)


# -- textures ---------------------------------------------------------------------------------

@pytest.fixture
def image_file(tmp_path):
    pixels = np.random.default_rng(5).random((4, 6, 3)).astype(np.float32)
    path = tmp_path / 'texture.exr'
    tk.write_bitmap(str(path), pixels)
    return tmp_path, pixels


def bitmap(folder, extra=''):
    scene = tk.load_string(f'<scene version="3.0.0"><texture type="bitmap" id="t">'
                           f'<string name="filename" value="texture.exr"/>{extra}</texture></scene>',
                           base_dir=str(folder))
    return scene.children[0]


def lookup(texture, uv):
    uv = np.asarray(uv, dtype=np.float32)
    si = interaction((0, 0, 1), len(uv))
    si.uv = bk.Array2f(bk.Float(uv[:, 0]), bk.Float(uv[:, 1]))
    return np.asarray(texture.eval(si)).T


def test_bitmap_bilinear_and_wrap_modes(image_file):
    folder, pixels = image_file
    h, w, _ = pixels.shape
    # Texel centres give the texels themselves; row 0 is v near 0.
    centres = [((x + 0.5) / w, (y + 0.5) / h) for y in range(h) for x in range(w)]
    assert np.allclose(lookup(bitmap(folder), centres), pixels.reshape(-1, 3), atol=1e-6)
    # Half way between two texel centres: their mean.
    assert np.allclose(lookup(bitmap(folder), [(1 / w, 0.5 / h)]), (pixels[0, 0] + pixels[0, 1]) / 2, atol=1e-6)
    # Repeat: u + 1 is u; mirror: -u is u; clamp: far outside is the border texel.
    u = [(0.3, 0.4)]
    assert np.allclose(lookup(bitmap(folder), [(1.3, 2.4)]), lookup(bitmap(folder), u), atol=1e-5)
    mirror = bitmap(folder, '<string name="wrap_mode" value="mirror"/>')
    assert np.allclose(lookup(mirror, [(-0.3, -0.4)]), lookup(mirror, u), atol=1e-5)
    clamp = bitmap(folder, '<string name="wrap_mode" value="clamp"/>')
    assert np.allclose(lookup(clamp, [(5.0, -3.0)]), pixels[0, -1], atol=1e-6)
    nearest = bitmap(folder, '<string name="filter_type" value="nearest"/>')
    assert np.allclose(lookup(nearest, [(0.99 / w, 1.01 / h)]), pixels[1, 0], atol=1e-6)
    scaled = bitmap(folder, '<transform name="to_uv"><scale x="2"/></transform>')
    assert np.allclose(lookup(scaled, [(0.15, 0.4)]), lookup(bitmap(folder), [(0.3, 0.4)]), atol=1e-5)


def test_bitmap_png_is_decoded_unless_raw(tmp_path):
    grey = np.full((2, 2, 3), 0.5, np.float32)
    tk.write_bitmap(str(tmp_path / 'texture.png'), grey)    # stored as sRGB 188
    xml = '<scene version="3.0.0"><texture type="bitmap"><string name="filename" value="texture.png"/>{}</texture></scene>'
    decoded = tk.load_string(xml.format(''), base_dir=str(tmp_path)).children[0]
    raw = tk.load_string(xml.format('<boolean name="raw" value="true"/>'), base_dir=str(tmp_path)).children[0]
    assert np.allclose(decoded.data.numpy(), 0.5, atol=3e-3)
    assert np.allclose(raw.data.numpy(), 188 / 255, atol=1e-6)


def test_texture_parameters_are_traversed_with_mitsuba_names(image_file):
    folder, pixels = image_file
    scene = tk.load_string(scene_xml('''
        <bsdf type="diffuse" id="red"><rgb name="reflectance" value="0.5, 0.1, 0.1"/></bsdf>
        <shape type="rectangle" id="wall"><bsdf type="diffuse">
            <texture type="bitmap" name="reflectance"><string name="filename" value="texture.exr"/></texture>
        </bsdf></shape>
        <shape type="rectangle"><bsdf type="roughconductor" id="metal">
            <texture type="checkerboard" name="alpha"><float name="color0" value="0.1"/></texture></bsdf></shape>
        <shape type="cube"><ref id="red"/></shape>'''), base_dir=str(folder))
    params = tk.traverse(scene)
    assert params['wall.bsdf.reflectance.data'].shape == (4, 6, 3)
    assert isinstance(params['wall.bsdf.reflectance.data'], bk.TensorXf)
    assert params.is_differentiable('wall.bsdf.reflectance.data')
    assert np.allclose(params['red.reflectance.value'].numpy().ravel(), [0.5, 0.1, 0.1])
    assert 'metal.alpha.color0.value' in params and 'metal.eta.value' in params
    params['wall.bsdf.reflectance.data'] = np.zeros((4, 6, 3))
    params.update()
    with pytest.raises(tk.SceneError, match='shape'):
        params['wall.bsdf.reflectance.data'] = np.zeros((4, 5, 3))


# -- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize('body, message', [
    ('<bsdf type="conductor"><string name="material" value="Unobtainium"/></bsdf>', 'unknown conductor material'),
    ('<bsdf type="roughconductor"><string name="distribution" value="phong"/></bsdf>', 'unknown microfacet distribution'),
    ('<bsdf type="roughconductor"><float name="alpha" value="-0.1"/></bsdf>', 'must not be negative'),
    ('<bsdf type="roughconductor"><float name="alpha" value="0.1"/><float name="alpha_u" value="0.1"/></bsdf>', 'not both'),
    ('<bsdf type="roughconductor"><float name="alpha_u" value="0.1"/></bsdf>', 'both "alpha_u" and "alpha_v"'),
    ('<bsdf type="dielectric"><float name="int_ior" value="-1.5"/></bsdf>', 'must be positive'),
    ('<bsdf type="plastic"><float name="ext_ior" value="0"/></bsdf>', 'must be positive'),
    ('<bsdf type="dielectric"><string name="int_ior" value="unobtainium"/></bsdf>', 'unknown index of refraction'),
    ('<bsdf type="roughdielectric"><float name="int_ior" value="1"/><float name="ext_ior" value="1"/></bsdf>', 'must differ'),
    ('<bsdf type="roughplastic"><texture type="checkerboard" name="alpha"/></bsdf>', 'constant <float>, not a texture'),
    ('<emitter type="constant"><texture type="checkerboard" name="radiance"/></emitter>', 'not a varying texture'),
    ('<bsdf type="diffuse"><rgb name="reflectance" value="1.5, 0, 0"/></bsdf>', 'must lie in \\[0, 1\\]'),
    ('<bsdf type="diffuse"><texture type="bitmap" name="reflectance"><string name="filename" value="missing.png"/></texture></bsdf>', 'missing.png'),
    ('<bsdf type="diffuse"><texture type="bitmap" name="reflectance"><string name="filename" value="bad.png"/></texture></bsdf>', 'bad.png'),
    ('<bsdf type="diffuse"><texture type="bitmap" name="reflectance"><string name="filename" value="cut.exr"/></texture></bsdf>', 'cut.exr'),
    ('<bsdf type="diffuse"><texture type="bitmap" name="reflectance"><string name="filename" value="t.exr"/>'
     '<string name="wrap_mode" value="wobble"/></texture></bsdf>', 'wrap_mode'),
    ('<bsdf type="diffuse"><texture type="noise" name="reflectance"/></bsdf>', 'unknown texture plugin'),
])
def test_bad_material_input_names_file_and_line(tmp_path, body, message):
    (tmp_path / 'bad.png').write_bytes(b'\x89PNG\r\n\x1a\n not really')
    tk.write_bitmap(str(tmp_path / 't.exr'), np.ones((4, 4, 3), np.float32))
    data = (tmp_path / 't.exr').read_bytes()
    (tmp_path / 'cut.exr').write_bytes(data[:len(data) // 2])
    path = tmp_path / 'scene.xml'
    path.write_text('<scene version="3.0.0">\n\n' + body + '\n</scene>\n')
    with pytest.raises(tk.SceneError, match=message) as error:
        tk.load_file(str(path))
    assert str(error.value).startswith(f'{path}:3:'), str(error.value)


# -- derivatives through path replay ------------------------------------------------------------------

def sphere_scene(folder, material, size=12, max_depth=4):
    write_sphere_obj(str(folder / 'sphere.obj'), rings=12, segments=24)
    tk.write_bitmap(str(folder / 'texture.exr'), np.random.default_rng(2).random((4, 8, 3)).astype(np.float32) * 0.8 + 0.1)
    return tk.load_string(scene_xml(f'''
        <integrator type="path"><integer name="max_depth" value="{max_depth}"/></integrator>
        <emitter type="constant"><rgb name="radiance" value="0.3"/></emitter>
        <shape type="rectangle"><transform name="to_world"><rotate x="1" angle="150"/><translate x="1" y="-1" z="3"/></transform>
            <emitter type="area"><rgb name="radiance" value="8"/></emitter></shape>
        <shape type="rectangle"><transform name="to_world"><scale value="3"/><translate z="-1"/></transform>
            <bsdf type="diffuse"><texture type="checkerboard" name="reflectance"><transform name="to_uv"><scale value="4"/></transform></texture></bsdf></shape>
        <shape type="obj" id="ball"><string name="filename" value="sphere.obj"/>{material}</shape>''',
            width=size, height=size, origin=(0, -4, 1), target=(0, 0, 0), up=(0, 0, 1), fov=30), base_dir=str(folder))


#: (material, key, spp, step, tolerance). Where a parameter only scales what a path
#: carries, path replay and finite differences with the same samples agree to
#: rounding. Where it also steers sampling (which lobe is chosen, which facet
#: normal drawn), the two are different unbiased estimates of one derivative:
#: those cases get more samples, a wider step and a statistical tolerance.
GRADIENT_CASES = {
    'bitmap-data': ('<bsdf type="diffuse"><texture type="bitmap" name="reflectance"><string name="filename" value="texture.exr"/></texture></bsdf>',
                    'ball.bsdf.reflectance.data', 16, 1e-2, 0.02),
    'conductor-specular': ('<bsdf type="conductor" id="b"><rgb name="specular_reflectance" value="0.7"/></bsdf>',
                           'b.specular_reflectance.value', 16, 1e-2, 0.02),
    'conductor-eta': ('<bsdf type="conductor" id="b"><string name="material" value="Cu"/></bsdf>', 'b.eta.value', 16, 1e-2, 0.02),
    'conductor-k': ('<bsdf type="conductor" id="b"><string name="material" value="Cu"/></bsdf>', 'b.k.value', 16, 1e-2, 0.02),
    'dielectric-transmittance': ('<bsdf type="dielectric" id="b"><rgb name="specular_transmittance" value="0.8"/></bsdf>',
                                 'b.specular_transmittance.value', 16, 1e-2, 0.02),
    'plastic-diffuse': ('<bsdf type="plastic" id="b"><rgb name="diffuse_reflectance" value="0.3, 0.5, 0.2"/></bsdf>',
                        'b.diffuse_reflectance.value', 256, 5e-2, 0.1),
    'thindielectric-eta': ('<bsdf type="thindielectric" id="b"/>', 'b.eta', 1024, 5e-2, 0.2),
    'roughplastic-specular': ('<bsdf type="roughplastic" id="b"><float name="alpha" value="0.2"/>'
                              '<rgb name="specular_reflectance" value="0.8"/></bsdf>',
                              'b.specular_reflectance.value', 256, 5e-2, 0.1),
}


@pytest.mark.parametrize('case', GRADIENT_CASES)
def test_material_derivatives_match_finite_differences(tmp_path, case):
    material, key, spp, step, tolerance = GRADIENT_CASES[case]
    scene = sphere_scene(tmp_path, material)
    result = tk.check_gradient(scene, key, spp=spp, seed=4, step=step)
    assert abs(result.finite_difference) > 1e-3, result
    assert result.relative_error < tolerance, result


def test_texture_recovered_from_several_sensors(tmp_path):
    """Optimise a bitmap seen by two cameras (render(..., sensor_index=i)) towards references."""
    scene = sphere_scene(tmp_path, '<bsdf type="diffuse"><texture type="bitmap" name="reflectance">'
                                   '<string name="filename" value="texture.exr"/></texture></bsdf>', size=16)
    second = tk.load_string(scene_xml('', width=16, height=16, origin=(0, 4, 1), up=(0, 0, 1),
                                      fov=30)).sensors()[0]
    scene.sensors().append(second)
    key = 'ball.bsdf.reflectance.data'
    params = tk.traverse(scene)
    params.keep([key])
    truth = params[key].numpy().copy()
    references = [tk.render(scene, spp=64, seed=9, sensor_index=i) for i in range(2)]
    params[key] = np.full(truth.shape, 0.5)
    params.update()
    opt = tk.Adam(params, lr=0.1, clamp={key: (0, 1)})
    seen = np.zeros(truth.shape)
    start_error = np.abs(params[key].numpy() - truth)
    for it in range(40):
        for i in range(2):
            image = tk.render(scene, spp=4, seed=it * 2 + i, sensor_index=i, unbiased=True, optimizer=opt)
            dr.backward(dr.mean(dr.square(image - references[i]), axis=None))
        seen += np.abs(dr.grad(params[key]).numpy())
        opt.step()
    # Texels at the sphere's poles and in grazing view hardly reach the images:
    # judge the ones the cameras see best.
    well_seen = seen > np.median(seen)
    end_error = np.abs(params[key].numpy() - truth)
    assert end_error[well_seen].mean() < 0.7 * start_error[well_seen].mean(), \
        (start_error[well_seen].mean(), end_error[well_seen].mean())


def test_index_of_refraction_may_not_be_a_texture(tmp_path):
    path = tmp_path / 'scene.xml'
    path.write_text('<scene version="3.0.0">\n<bsdf type="dielectric">\n'
                    '<texture type="checkerboard" name="int_ior"/>\n</bsdf>\n</scene>\n')
    with pytest.raises(tk.SceneError, match='not a texture') as error:
        tk.load_file(str(path))
    assert str(error.value).startswith(f'{path}:3:')

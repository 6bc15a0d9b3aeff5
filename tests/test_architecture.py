"""The plugin interfaces, and Mitsuba's behaviour where a scene file asks for it:
computed vertex normals, ``face_normals``, ``hide_emitters``, printing, warnings."""
import warnings

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX_RGB, scene_xml
from tutorial_kit.renderer.bsdf import BSDF
from tutorial_kit.plugins.shapes.mesh import smooth_vertex_normals

#: A cube whose eight corners are shared by its twelve triangles (a welded mesh).
WELDED_CUBE = '\n'.join(
    [f'v {x} {y} {z}' for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
    + ['f 1 2 4', 'f 1 4 3', 'f 5 7 8', 'f 5 8 6', 'f 1 5 6', 'f 1 6 2',
       'f 3 4 8', 'f 3 8 7', 'f 1 3 7', 'f 1 7 5', 'f 2 6 8', 'f 2 8 4']) + '\n'


def cube_scene(tmp_path, extra=''):
    (tmp_path / 'cube.obj').write_text(WELDED_CUBE)
    body = f'''<shape type="obj"><string name="filename" value="cube.obj"/>{extra}
                 <bsdf type="diffuse"/></shape>
               <emitter type="constant"/>'''
    path = tmp_path / 'scene.xml'
    path.write_text(scene_xml(body))
    return tk.load_file(str(path))


def test_welded_cube_gets_corner_normals(tmp_path):
    """Each corner sees three faces at equal total angles: its normal is (+-1, +-1, +-1) / sqrt 3."""
    mesh = cube_scene(tmp_path).shapes()[0]
    positions = mesh.vertex_positions.numpy().reshape(-1, 3)
    normals = mesh.vertex_normals.numpy().reshape(-1, 3)
    np.testing.assert_allclose(normals, np.sign(positions) / np.sqrt(3), atol=1e-6)


def test_face_normals_discard_vertex_normals(tmp_path):
    mesh = cube_scene(tmp_path, '<boolean name="face_normals" value="true"/>').shapes()[0]
    assert mesh.face_normals and dr.width(mesh.vertex_normals) == 0


def test_computed_normals_follow_moved_vertices(tmp_path):
    scene = cube_scene(tmp_path)
    params = tk.traverse(scene)
    key = 'OBJMesh.vertex_positions'
    before = scene.shapes()[0].vertex_normals.numpy()
    positions = params[key].numpy().reshape(-1, 3)
    positions[:, 0] += 0.7 * positions[:, 2]        # shear the cube
    params[key] = positions.ravel()
    params.update()
    after = scene.shapes()[0].vertex_normals.numpy()
    expected = smooth_vertex_normals(tk.Float(positions.ravel()), scene.shapes()[0].faces).numpy()
    np.testing.assert_allclose(after, expected, atol=1e-6)
    assert np.abs(after - before).max() > 0.1


def test_smooth_normals_are_differentiable():
    """d(normal)/d(vertex) from AD matches a finite difference."""
    positions = tk.Float([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0.5])
    faces = tk.UInt32([0, 1, 2, 1, 3, 2])
    direction = np.zeros(12)
    direction[11] = 1.0
    dr.enable_grad(positions)
    normals = smooth_vertex_normals(positions, faces)
    dr.set_grad(positions, tk.Float(direction))
    derivative = dr.forward_to(normals).numpy()
    h = 1e-3
    plus = smooth_vertex_normals(tk.Float(positions.numpy() + h * direction), faces).numpy()
    minus = smooth_vertex_normals(tk.Float(positions.numpy() - h * direction), faces).numpy()
    np.testing.assert_allclose(derivative, (plus - minus) / (2 * h), atol=2e-3)


def test_hide_emitters_blackens_directly_seen_emitters():
    scene = tk.load_file(CBOX_RGB, max_depth=3)
    scene.integrator().hide_emitters = True
    film = scene.sensors()[0].film()
    film.width = film.height = 64
    hidden = tk.render(scene, spp=4, seed=0).numpy()
    scene.integrator().hide_emitters = False
    shown = tk.render(scene, spp=4, seed=0).numpy()
    lamp = shown.mean(axis=2) > 5          # only the lamp is this bright
    assert lamp.sum() > 4
    # Pixels wholly on the lamp are black; those on its edge keep their ceiling samples.
    assert np.mean(hidden[lamp] == 0) > 0.5 and hidden[lamp].mean() < 0.01 * shown[lamp].mean()
    elsewhere = shown.max(axis=2) < 1      # no lamp in the pixel: the same light reaches it
    assert np.allclose(hidden[elsewhere].mean(), shown[elsewhere].mean(), rtol=0.05)


def test_hide_emitters_hides_the_environment():
    body = '<integrator type="path"><boolean name="hide_emitters" value="true"/></integrator>' \
           '<emitter type="constant"><rgb name="radiance" value="1, 2, 3"/></emitter>'
    image = tk.render(tk.load_string(scene_xml(body)), spp=2, seed=0).numpy()
    assert np.all(image == 0)


def test_direct_sample_counts_are_read_and_bad_ones_name_file_and_line():
    body = '<integrator type="direct"><integer name="emitter_samples" value="4"/></integrator>'
    assert tk.load_string(scene_xml(body)).integrator().emitter_samples == 4
    body = '<integrator type="direct"><integer name="bsdf_samples" value="-1"/></integrator>'
    with pytest.raises(tk.PluginError, match=r'line 1[0-9]|:1[0-9]: .*bsdf_samples'):
        tk.load_string(scene_xml(body))


def test_print_scene_shows_the_tree():
    text = repr(tk.load_file(CBOX_RGB))
    assert text.startswith('Scene[') and 'PathIntegrator[' in text and 'max_depth = 3' in text
    assert "id = 'red'" in text and 'emitter = AreaLight[' in text and 'HDRFilm[' in text


def test_interfaces_are_abstract():
    class Incomplete(BSDF):
        def eval(self, si, wo, active=True):
            return 0

    with pytest.raises(TypeError, match='abstract'):
        Incomplete()


def test_integrator_mode_is_an_ad_mode():
    scene = tk.load_string(scene_xml('<emitter type="constant"/>'))
    with pytest.raises(TypeError, match='ADMode'):
        scene.integrator().sample(mode='backward', scene=scene, sampler=None, ray=None,
                                  δL=None, state_in=None, active=True)


def test_no_warnings_for_the_bundled_scenes():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        tk.load_file(CBOX_RGB)


def test_unimplemented_film_options_warn():
    option = '<boolean name="banner" value="true"/>'
    text = scene_xml('<emitter type="constant"/>', rfilter=f'<rfilter type="box"/>{option}')
    with pytest.warns(tk.SceneWarning, match='is not implemented'):
        tk.load_string(text)


def test_unknown_film_file_format_is_refused():
    option = '<string name="file_format" value="png"/>'
    text = scene_xml('<emitter type="constant"/>', rfilter=f'<rfilter type="box"/>{option}')
    with pytest.raises(tk.PluginError, match='file_format must be one of openexr, rgbe, pfm; got "png"'):
        tk.load_string(text)


@pytest.mark.parametrize('option', ['<string name="pixel_format" value="rgb"/><string name="component_format" value="float32"/>',
                                    '<string name="pixel_format" value="rgba"/>',
                                    '<boolean name="sample_border" value="true"/>'])
def test_implemented_film_options_are_silent(option):
    text = scene_xml('<emitter type="constant"/>', rfilter=f'<rfilter type="box"/>{option}')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        tk.load_string(text)

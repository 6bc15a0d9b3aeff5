"""Meshes built in Python (tk.Mesh), their attributes, PLY round trips and derivatives."""
import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk

#: A square of two triangles facing +z, and a lower-left vertex colour ramp.
SQUARE_POSITIONS = [-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0]
SQUARE_FACES = [0, 1, 2, 0, 2, 3]


def square_mesh(**kwargs):
    mesh = tk.Mesh('square', vertex_count=4, face_count=2, **kwargs)
    params = tk.traverse(mesh)
    params['vertex_positions'] = SQUARE_POSITIONS
    params['faces'] = SQUARE_FACES
    params.update()
    return mesh


def scene_with(shape, spp=16):
    return tk.load_dict({
        'type': 'scene',
        'integrator': {'type': 'path', 'max_depth': 2},
        'light': {'type': 'constant', 'radiance': 1.0},
        'sensor': {'type': 'perspective', 'fov': 60,
                   'to_world': tk.ScalarTransform4f().look_at([0.3, -0.2, 3], [0, 0, 0], [0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': 24, 'height': 24},
                   'sampler': {'type': 'independent', 'sample_count': spp}},
        'square': shape,
    })


def test_buffers_start_as_zeros_and_take_assignments():
    mesh = tk.Mesh('m', 3, 1, has_vertex_texcoords=True)
    params = tk.traverse(mesh)
    assert mesh.vertex_count() == 3 and mesh.face_count() == 1
    assert np.array_equal(params['vertex_positions'].numpy(), np.zeros(9))
    assert dr.width(params['vertex_texcoords']) == 6 and dr.width(params['vertex_normals']) == 0
    params['vertex_positions'] = [0, 0, 0, 2, 0, 0, 0, 3, 0]
    params['faces'] = [0, 1, 2]
    params.update()
    box = mesh.bbox()
    assert np.allclose(box.min, [0, 0, 0]) and np.allclose(box.max, [2, 3, 0])
    assert params['vertex_count'] == 3 and 'bsdf.reflectance.value' in params


def test_normals_follow_the_positions():
    mesh = square_mesh(has_vertex_normals=True)
    normals = mesh.vertex_normals.numpy().reshape(-1, 3)
    assert np.allclose(normals, [0, 0, 1])
    params = tk.traverse(mesh)
    params['vertex_positions'] = np.array(SQUARE_POSITIONS)[[1, 0, 2, 4, 3, 5, 7, 6, 8, 10, 9, 11]]
    params.update()                         # x and y swapped: the square now faces -z
    assert np.allclose(mesh.vertex_normals.numpy().reshape(-1, 3), [0, 0, -1])
    mesh.vertex_normals = dr.zeros(tk.Float, 12)
    mesh.recompute_vertex_normals()
    assert np.allclose(mesh.vertex_normals.numpy().reshape(-1, 3), [0, 0, -1])
    with pytest.raises(tk.PluginError, match='no vertex normals'):
        square_mesh().recompute_vertex_normals()


def test_renders_as_the_same_mesh_read_from_ply(tmp_path):
    mesh = square_mesh()
    mesh.add_attribute('vertex_color', 3, np.arange(12) / 12)
    mesh.add_attribute('face_id', 1, [0, 1])
    mesh.write_ply(tmp_path / 'square.ply')
    loaded = tk.load_dict({'type': 'ply', 'filename': str(tmp_path / 'square.ply')})
    assert loaded.attribute_sizes == {'vertex_color': 3, 'face_id': 1}
    assert np.allclose(loaded.vertex_color.numpy(), np.arange(12) / 12)
    assert np.allclose(loaded.face_id.numpy(), [0, 1])
    ours = tk.render(scene_with(mesh), seed=3).numpy()
    from_file = tk.render(scene_with(loaded), seed=3).numpy()
    # The file mesh gets computed (smooth) vertex normals: equal to the face normal up to rounding.
    assert ours.mean() > 0.05 and np.abs(ours - from_file).max() < 1e-4


def test_ply_attributes_grouped_as_mitsuba(tmp_path):
    from tutorial_kit.io.ply import attribute_groups
    groups = attribute_groups(['x', 'y', 'z', 'red', 'green', 'blue', 'n_x', 'n_y', 'n_z', 'w_0',
                               'q_r', 'q_g', 'q_b', 'pair_x', 'pair_y', 'loose'], 'vertex_', {'x', 'y', 'z'})
    assert groups == {'vertex_color': ['red', 'green', 'blue'], 'vertex_n': ['n_x', 'n_y', 'n_z'],
                      'vertex_w': ['w_0'], 'vertex_q_color': ['q_r', 'q_g', 'q_b']}


@pytest.mark.mitsuba
def test_mitsuba_reads_our_ply_and_we_read_its(tmp_path):
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    mesh = square_mesh()
    mesh.add_attribute('vertex_color', 3, np.arange(12) / 12)
    mesh.write_ply(tmp_path / 'ours.ply')
    theirs = mi.load_dict({'type': 'ply', 'filename': str(tmp_path / 'ours.ply')})
    assert np.allclose(np.array(mi.traverse(theirs)['vertex_color']), np.arange(12) / 12)
    theirs.write_ply(str(tmp_path / 'theirs.ply'))
    back = tk.load_dict({'type': 'ply', 'filename': str(tmp_path / 'theirs.ply')})
    assert np.allclose(back.vertex_color.numpy(), np.arange(12) / 12)
    assert np.allclose(back.vertex_positions.numpy(), SQUARE_POSITIONS)


def test_derivative_through_python_built_positions():
    # A large floor fills the view (no silhouette moves) under a square light:
    # raising one corner tilts the triangles and changes their shading.
    floor = tk.Mesh('floor', vertex_count=4, face_count=2)
    params = tk.traverse(floor)
    params['vertex_positions'] = np.array(SQUARE_POSITIONS) * 10.0
    params['faces'] = SQUARE_FACES
    params.update()
    scene = tk.load_dict({
        'type': 'scene',
        'integrator': {'type': 'path', 'max_depth': 2},
        'sensor': {'type': 'perspective', 'fov': 40,
                   'to_world': tk.ScalarTransform4f().look_at([0, 0, 3], [0, 0, 0], [0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': 16, 'height': 16}},
        'light': {'type': 'rectangle', 'to_world': tk.ScalarTransform4f().translate([1, 1, 2]),
                  'flip_normals': True, 'emitter': {'type': 'area', 'radiance': 5.0}},
        'floor': floor,
    })
    direction = np.zeros(12)
    direction[8] = 1.0                              # z of the corner (10, 10)
    check = tk.check_gradient(scene, 'floor.vertex_positions', direction=direction, spp=64, seed=1,
                              step=0.05)
    assert abs(check.finite_difference) > 1e-4
    assert check.relative_error < 0.1, check


def test_bad_inputs_change_nothing():
    with pytest.raises(tk.PluginError, match='vertex_count'):
        tk.Mesh('m', 0, 1)
    with pytest.raises(tk.PluginError, match='name'):
        tk.Mesh(3, 3, 1)
    mesh = square_mesh()
    params = tk.traverse(mesh)
    with pytest.raises(tk.ParameterError, match='vertex_positions'):
        params['vertex_positions'] = [0, 0]
    # One vertex is a valid new vertex count, but the faces still index four: refused at update.
    params['vertex_positions'] = [0, 0, 0]
    with pytest.raises(tk.ParameterError, match='faces index vertex 3, but the mesh now has 1'):
        params.update()
    assert mesh.vertex_count() == 4 and np.array_equal(mesh.vertex_positions.numpy(), SQUARE_POSITIONS)
    with pytest.raises(tk.ParameterError, match='outside'):
        params['faces'] = [0, 1, 4, 0, 2, 3]
    with pytest.raises(tk.PluginError, match='vertex_" or "face_'):
        mesh.add_attribute('color', 3, np.zeros(12))
    with pytest.raises(tk.PluginError, match='12 values'):
        mesh.add_attribute('vertex_color', 3, np.zeros(9))
    with pytest.raises(tk.PluginError, match='uses itself'):
        mesh.add_attribute('vertex_positions', 3, np.zeros(12))
    assert mesh.attribute_sizes == {}
    assert np.array_equal(mesh.vertex_positions.numpy(), SQUARE_POSITIONS)
    assert np.array_equal(mesh.faces.numpy(), SQUARE_FACES)

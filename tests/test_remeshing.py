"""A mesh's vertex and face counts change through ``traverse`` and ``update()``,
as after remeshing between optimisation stages: the BVH, normals, area
sampling and derivatives all follow, and an inconsistent update changes nothing."""
import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk
from test_large_steps import icosahedron_sphere


def write_obj(path, positions, faces):
    with open(path, 'w') as f:
        f.writelines(f'v {x:.7f} {y:.7f} {z:.7f}\n' for x, y, z in positions)
        f.writelines(f'f {a + 1} {b + 1} {c + 1}\n' for a, b, c in faces)
    return str(path)


def scene_of(filename, integrator='direct_projective'):
    return tk.load_dict({
        'type': 'scene',
        'integrator': {'type': integrator},
        'light': {'type': 'constant', 'radiance': 1.0},
        'lamp': {'type': 'point', 'position': [2, 3, 4], 'intensity': 20.0},
        'sensor': {'type': 'perspective', 'fov': 40,
                   'to_world': tk.ScalarTransform4f().look_at([0.5, 0.3, 4], [0, 0, 0], [0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': 32, 'height': 32}},
        'shape': {'type': 'obj', 'filename': filename, 'bsdf': {'type': 'diffuse'}},
    })


@pytest.fixture
def coarse_and_fine(tmp_path):
    coarse, fine = icosahedron_sphere(1), icosahedron_sphere(3)
    fine = (fine[0] * np.array([1.0, 0.8, 0.9]), fine[1])          # a different shape too
    return (write_obj(tmp_path / 'coarse.obj', *coarse), coarse), (write_obj(tmp_path / 'fine.obj', *fine), fine)


def test_new_counts_render_as_a_freshly_loaded_mesh(coarse_and_fine):
    (coarse_file, _), (fine_file, (positions, faces)) = coarse_and_fine
    scene = scene_of(coarse_file)
    params = tk.traverse(scene)
    params['shape.vertex_positions'] = tk.Float(positions.ravel().astype(np.float32))
    params['shape.faces'] = tk.Int(faces.ravel().astype(np.int32))        # the tutorial passes Int
    params.update()
    assert (params['shape.vertex_count'], params['shape.face_count']) == (len(positions), len(faces))
    assert dr.width(params['shape.vertex_normals']) == 3 * len(positions)   # recomputed, smooth
    updated = tk.render(scene, spp=8, seed=3).numpy()
    fresh = tk.render(scene_of(fine_file), spp=8, seed=3).numpy()
    assert np.abs(updated - fresh).max() < 1e-4
    # The BVH was rebuilt: a ray through the new surface's silhouette region hits it.
    assert scene.bbox().max[1] == pytest.approx(0.8, abs=1e-3)


def test_derivatives_reach_the_new_vertices(coarse_and_fine):
    (coarse_file, _), (_, (positions, faces)) = coarse_and_fine
    scene = scene_of(coarse_file)
    params = tk.traverse(scene)
    params['shape.vertex_positions'] = tk.Float(positions.ravel().astype(np.float32))
    params['shape.faces'] = faces.ravel().astype(np.uint32)
    params.update()
    dr.enable_grad(params['shape.vertex_positions'])
    params.update()
    image = tk.render(scene, params, spp=4, seed=1)
    dr.backward(dr.mean(image))
    gradient = dr.grad(params['shape.vertex_positions']).numpy().reshape(-1, 3)
    assert gradient.shape == positions.shape
    # Growing the sphere darkens the image: the grey diffuse surface (albedo 0.5 under the unit
    # sky, plus a weak lamp) covers more of the brighter sky behind it.
    assert np.sum(gradient * positions) < 0
    assert np.count_nonzero(np.abs(gradient).sum(axis=1)) > len(positions) // 3


def test_an_inconsistent_update_leaves_the_mesh_as_it_was(coarse_and_fine):
    (coarse_file, (positions, faces)), (_, (fine_positions, _)) = coarse_and_fine
    scene = scene_of(coarse_file)
    before = tk.render(scene, spp=4, seed=2).numpy()
    params = tk.traverse(scene)
    params['shape.vertex_positions'] = tk.Float(fine_positions[:10].ravel().astype(np.float32))
    with pytest.raises(tk.ParameterError, match=r'faces index vertex \d+, but the mesh now has 10'):
        params.update()
    assert params['shape.vertex_count'] == len(positions)
    # The same image, to float rounding (the gaussian filter adds samples in no fixed order).
    assert np.allclose(tk.render(scene, spp=4, seed=2).numpy(), before, atol=1e-5)
    # Faces beyond the current vertex count are refused at assignment, with a hint.
    with pytest.raises(tk.ParameterError, match='assign the new vertex_positions first'):
        params['shape.faces'] = np.arange(3 * 100, dtype=np.uint32)


def test_texture_coordinates_that_no_longer_fit_are_dropped():
    mesh = tk.Mesh('grid', 4, 2, has_vertex_texcoords=True)
    params = tk.traverse(mesh)
    params['vertex_positions'] = [-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0]
    params['faces'] = [0, 1, 2, 0, 2, 3]
    params['vertex_texcoords'] = [0, 0, 1, 0, 1, 1, 0, 1]
    params.update()
    params['vertex_positions'] = [-1, -1, 0, 1, -1, 0, 0, 1, 0]
    params['faces'] = [0, 1, 2]
    params.update()
    assert (mesh.vertex_count(), mesh.face_count(), mesh.has_vertex_texcoords()) == (3, 1, False)
    assert mesh.surface_area() == pytest.approx(2.0)


def test_remeshing_with_gpytoolbox_as_the_tutorial_does(coarse_and_fine):
    gpytoolbox = pytest.importorskip('gpytoolbox')
    (coarse_file, _), _ = coarse_and_fine
    scene = scene_of(coarse_file)
    params = tk.traverse(scene)
    v_np = params['shape.vertex_positions'].numpy().reshape((-1, 3)).astype(np.float64)
    f_np = params['shape.faces'].numpy().reshape((-1, 3))
    v_new, f_new = gpytoolbox.remesh_botsch(v_np, f_np.astype(np.int32), i=3, h=0.15, project=True)
    params['shape.vertex_positions'] = tk.Float(v_new.flatten().astype(np.float32))
    params['shape.faces'] = tk.Int(f_new.flatten())
    params.update()
    assert params['shape.vertex_count'] == len(v_new) > len(v_np)
    ls = tk.ad.LargeSteps(params['shape.vertex_positions'], params['shape.faces'], 25)
    assert ls.n_verts == len(v_new)
    image = tk.render(scene, spp=4).numpy()
    assert image[16, 16].mean() > 0.1 and np.all(np.isfinite(image))

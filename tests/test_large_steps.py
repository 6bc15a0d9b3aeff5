"""``tk.ad.LargeSteps``: the (I + lambda L) system of Nicolet et al. 2021, its solve, and its derivatives."""
import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk
from tutorial_kit.ad.large_steps import laplacian_system

pytest.importorskip('cholespy')


def icosahedron_sphere(subdivisions=2):
    """A unit sphere: an icosahedron whose triangles are split ``subdivisions`` times,
    as (V, 3) float64 positions and (F, 3) int faces, vertices shared."""
    t = (1 + 5 ** 0.5) / 2
    v = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t), (0, -1, -t), (0, 1, -t),
         (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    f = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4), (11, 10, 2),
         (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5),
         (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]
    positions = [np.array(p, float) / np.linalg.norm(p) for p in v]
    faces = f
    for _ in range(subdivisions):
        middle, new_faces = {}, []

        def mid(a, b):
            key = (min(a, b), max(a, b))
            if key not in middle:
                p = positions[a] + positions[b]
                positions.append(p / np.linalg.norm(p))
                middle[key] = len(positions) - 1
            return middle[key]
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new_faces += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new_faces
    return np.array(positions), np.array(faces)


def dense_system(vertex_count, faces, lambda_):
    matrix = np.zeros((vertex_count, vertex_count))
    rows, cols, values = laplacian_system(vertex_count, faces, lambda_)
    np.add.at(matrix, (rows, cols), values)
    return matrix


def as_float(array):
    return tk.Float(np.asarray(array, np.float32).ravel())


def test_system_is_identity_plus_weighted_umbrella_laplacian():
    positions, faces = icosahedron_sphere(1)
    matrix = dense_system(len(positions), faces, 4.0)
    # Symmetric, rows summing to one (L annihilates constants), -lambda per edge.
    assert np.allclose(matrix, matrix.T)
    assert np.allclose(matrix.sum(axis=1), 1.0)
    assert np.all(np.isin(matrix[~np.eye(len(positions), dtype=bool)], (0.0, -4.0)))
    # Each vertex of a subdivided icosahedron has 5 or 6 neighbours: 1 + 4 * degree on the diagonal.
    assert set(np.diag(matrix)) == {21.0, 25.0}
    assert np.all(np.linalg.eigvalsh(matrix) >= 1 - 1e-9)      # positive definite: I + PSD


def test_round_trip_and_values_match_the_dense_solve():
    positions, faces = icosahedron_sphere(2)
    ls = tk.ad.LargeSteps(as_float(positions), tk.UInt32(faces.ravel().astype(np.uint32)), 19)
    matrix = dense_system(len(positions), faces, 19)
    # The unknowns are the distinct positions in sorted order (as in Mitsuba 3): `order` maps them to vertices.
    order = ls.index.numpy()
    u = ls.to_differential(as_float(positions))
    assert dr.width(u) == 3 * len(positions)
    assert np.allclose(u.numpy().reshape(-1, 3), (matrix @ positions)[order], atol=1e-4)
    rhs = np.random.default_rng(1).normal(size=(len(positions), 3))
    v = ls.from_differential(tk.TensorXf(as_float(rhs[order]), (len(positions), 3)))   # a tensor is taken too
    assert np.allclose(v.numpy().reshape(-1, 3), np.linalg.solve(matrix, rhs), atol=1e-4)
    assert np.allclose(ls.from_differential(u).numpy().reshape(-1, 3), positions, atol=1e-5)


def test_derivatives_are_the_same_solve_in_both_modes():
    positions, faces = icosahedron_sphere(1)
    ls = tk.ad.LargeSteps(as_float(positions), faces, 5.0)
    matrix = dense_system(len(positions), faces, 5.0)
    rng = np.random.default_rng(2)
    weights, direction = rng.normal(size=(2, len(positions), 3))
    # Reverse mode through from_differential: d/du sum(w * A^-1 u) = A^-T w = A^-1 w.
    order = ls.index.numpy()
    u = ls.to_differential(as_float(positions))
    dr.enable_grad(u)
    dr.backward(dr.sum(ls.from_differential(u) * as_float(weights)))
    assert np.allclose(dr.grad(u).numpy().reshape(-1, 3), np.linalg.solve(matrix, weights)[order], atol=1e-4)
    # Forward mode: a change of u by `direction` moves v by A^-1 direction.
    u = ls.to_differential(as_float(positions))
    dr.enable_grad(u)
    v = ls.from_differential(u)
    dr.set_grad(u, as_float(direction[order]))
    dr.forward_to(v)
    assert np.allclose(dr.grad(v).numpy().reshape(-1, 3), np.linalg.solve(matrix, direction), atol=1e-4)
    # Reverse mode through to_differential: A^T w = A w.
    flat = as_float(positions)
    dr.enable_grad(flat)
    dr.backward(dr.sum(ls.to_differential(flat) * as_float(weights)))
    in_vertex_order = np.zeros_like(weights)
    in_vertex_order[order] = weights
    assert np.allclose(dr.grad(flat).numpy().reshape(-1, 3), matrix @ in_vertex_order, atol=1e-3)


def test_a_preconditioned_step_spreads_a_single_vertex_gradient_over_its_neighbourhood():
    positions, faces = icosahedron_sphere(3)
    ls = tk.ad.LargeSteps(as_float(positions), faces, 2)
    u = ls.to_differential(as_float(positions))
    dr.enable_grad(u)
    poke = np.zeros_like(positions)
    poke[0] = (0, 0, 1)
    dr.backward(dr.sum(ls.from_differential(u) * as_float(poke)))
    step = dr.grad(u).numpy().reshape(-1, 3)          # the v-space move that a unit step on u makes is A^-1 A^-1 poke
    moved = ls.from_differential(as_float(u.numpy().reshape(-1, 3) + step)).numpy().reshape(-1, 3) - positions
    lengths = np.linalg.norm(moved, axis=1)
    neighbours = np.unique(faces[np.any(faces == 0, axis=1)])
    neighbours = neighbours[neighbours != 0]
    # The poked vertex moves most, its neighbours follow by a good share, and far vertices barely.
    assert lengths.argmax() == 0
    assert np.all(lengths[neighbours] > 0.5 * lengths[0])
    far = np.linalg.norm(positions - positions[0], axis=1) > 1.5
    assert np.all(lengths[far] < 0.1 * lengths[0])


def test_copies_of_a_vertex_are_one_unknown_and_move_together():
    positions, faces = icosahedron_sphere(1)
    # Unweld: every triangle gets its own three vertices, as a file with face normals stores it.
    unwelded = positions[faces.ravel()]
    own_faces = np.arange(len(unwelded)).reshape(-1, 3)
    ls = tk.ad.LargeSteps(as_float(unwelded), own_faces, 10.0)
    assert (ls.vertex_count, ls.n_verts) == (len(unwelded), len(positions))
    u = ls.to_differential(as_float(unwelded))
    moved = u.numpy().reshape(-1, 3) + np.random.default_rng(3).normal(size=(ls.n_verts, 3))
    v = ls.from_differential(as_float(moved)).numpy().reshape(-1, 3)
    groups = {}
    for index, point in enumerate(unwelded):
        groups.setdefault(tuple(point), []).append(index)
    assert all(np.allclose(v[copies], v[copies[0]]) for copies in groups.values())
    # The welded mesh gives the same solve.
    welded = tk.ad.LargeSteps(as_float(positions), faces, 10.0)
    assert np.allclose(np.sort(welded.to_differential(as_float(positions)).numpy().reshape(-1, 3), axis=0),
                       np.sort(u.numpy().reshape(-1, 3), axis=0), atol=1e-4)


def test_optimising_the_differential_form_through_traverse():
    positions, faces = icosahedron_sphere(2)
    mesh = tk.Mesh('ball', len(positions), len(faces))
    params = tk.traverse(mesh)
    params['vertex_positions'] = as_float(positions)
    params['faces'] = faces.ravel().astype(np.uint32)
    params.update()
    ls = tk.ad.LargeSteps(params['vertex_positions'], params['faces'], 10)
    opt = tk.ad.Adam(lr=0.05, uniform=True)
    opt['u'] = ls.to_differential(params['vertex_positions'])
    target = positions * np.array([1.5, 1.0, 0.7])                  # an ellipsoid
    for _ in range(60):
        params['vertex_positions'] = ls.from_differential(opt['u'])
        params.update()
        loss = dr.mean(dr.square(params['vertex_positions'] - as_float(target)))
        dr.backward(loss)
        opt.step()
    final = dr.detach(ls.from_differential(opt['u'])).numpy().reshape(-1, 3)
    assert np.abs(final - target).mean() < 0.3 * np.abs(positions - target).mean()


@pytest.mark.parametrize('faces, lambda_, message', [
    (np.array([[0, 1, 99]]), 1.0, 'outside'),
    (np.array([[0.5, 1, 2]]), 1.0, 'integers'),
    (np.array([[0, 1, 2]]), -1.0, 'lambda_'),
    (np.array([[0, 1, 2]]), float('nan'), 'lambda_'),
])
def test_bad_input_is_refused_clearly(faces, lambda_, message):
    positions = np.eye(3)
    with pytest.raises(tk.ParameterError, match=message):
        tk.ad.LargeSteps(as_float(positions), faces, lambda_)


def test_wrong_sizes_are_refused():
    positions, faces = icosahedron_sphere(0)
    ls = tk.ad.LargeSteps(as_float(positions), faces)
    with pytest.raises(tk.ParameterError, match='3 numbers per vertex'):
        tk.ad.LargeSteps(tk.Float(1, 2), faces)
    with pytest.raises(tk.ParameterError, match='12 x 3 = 36'):
        ls.from_differential(tk.Float(0, 0, 0))
    with pytest.raises(tk.ParameterError, match='12 x 3 = 36'):
        ls.to_differential(tk.Float(0, 0, 0))


@pytest.mark.mitsuba
def test_same_differential_coordinates_as_mitsuba():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    positions, faces = icosahedron_sphere(2)
    ours = tk.ad.LargeSteps(as_float(positions), faces, 25)
    theirs = mi.ad.LargeSteps(mi.Float(positions.astype(np.float32).ravel()),
                              mi.UInt(faces.astype(np.uint32).ravel()), 25)
    assert np.allclose(ours.to_differential(as_float(positions)).numpy(),
                       theirs.to_differential(mi.Float(positions.astype(np.float32).ravel())).numpy(), atol=1e-4)
    rhs = np.random.default_rng(4).normal(size=3 * len(positions)).astype(np.float32)
    assert np.allclose(ours.from_differential(tk.Float(rhs)).numpy(),
                       theirs.from_differential(mi.Float(rhs)).numpy(), atol=1e-4)

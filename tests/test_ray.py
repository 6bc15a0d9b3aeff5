"""``Ray3f``: points along rays, and Dr.Jit's handling of it as one record."""
import drjit as dr
import numpy as np

import tutorial_kit as tk


def test_a_ray_evaluates_to_points_along_it():
    ray = tk.Ray3f(o=tk.Array3f(0, 1, 3), d=tk.Array3f(0, 0, -1))
    # Array3f converts to (3, lanes): one row per coordinate.
    np.testing.assert_allclose(np.array(ray(tk.Float(0, 2.5))).T, [[0, 1, 3], [0, 1, 0.5]])
    assert dr.isinf(ray.maxt)[0]


def test_drjit_takes_a_ray_as_one_record():
    """dr.zeros makes rays of a given width, dr.select picks whole rays per lane."""
    empty = dr.zeros(tk.Ray3f, 3)
    assert dr.width(empty.o) == 3 and np.all(np.array(empty.maxt) == 0)
    ray = tk.Ray3f(o=tk.Array3f(1, 2, 3), d=tk.Array3f(0, 1, 0), maxt=5)
    mixed = dr.select(tk.Bool([True, False, True]), ray, empty)
    np.testing.assert_array_equal(np.array(mixed.o)[0], [1, 0, 1])
    np.testing.assert_array_equal(np.array(mixed.maxt), [5, 0, 5])


def test_derivatives_flow_from_a_rays_origin():
    origin = tk.Array3f(0, 0, 1)
    dr.enable_grad(origin)
    point = tk.Ray3f(o=origin, d=tk.Array3f(1, 0, 0))(2.0)
    dr.backward(point.z)
    assert dr.grad(origin).z[0] == 1


def test_a_ray_copies_another():
    ray = tk.Ray3f(o=tk.Array3f(1, 2, 3), d=tk.Array3f(0, 1, 0), maxt=5)
    copy = tk.Ray3f(ray)
    copy.maxt = tk.Float(2)
    np.testing.assert_array_equal(np.array(copy.o).ravel(), [1, 2, 3])
    assert ray.maxt[0] == 5 and copy.maxt[0] == 2

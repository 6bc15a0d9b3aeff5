"""Records of Mitsuba 3's scripting API that its gallery notebooks use directly.

A scene's bounding sphere as a record with ``center`` and ``radius``, and
masked assignment of a ray batch (``rays[active] = new_rays``), as a
custom light-transport loop written in a notebook uses them.
"""
import drjit as dr
import numpy as np

import tutorial_kit as tk


def test_bounding_sphere_is_a_record_and_unpacks():
    scene = tk.load_dict({'type': 'scene', 'grain': {'type': 'sphere', 'center': [1, 2, 3], 'radius': 2}})
    sphere = scene.bbox().bounding_sphere()
    assert np.allclose(list(sphere.center), [1, 2, 3], atol=1e-5)
    assert abs(sphere.radius - 2 * np.sqrt(3)) < 1e-4
    center, radius = sphere
    assert radius == sphere.radius


def test_masked_assignment_of_rays():
    rays = tk.Ray3f(tk.Point3f([0, 0, 0], [0, 0, 0], [0, 0, 0]), tk.Vector3f(0, 0, 1))
    other = tk.Ray3f(tk.Point3f(1, 2, 3), tk.Vector3f(1, 0, 0), 5.0)
    rays[tk.Bool([True, False, True])] = other
    assert np.allclose(rays.o.numpy().T, [[1, 2, 3], [0, 0, 0], [1, 2, 3]])
    assert np.allclose(rays.d.numpy().T, [[1, 0, 0], [0, 0, 1], [1, 0, 0]])
    assert np.allclose(rays.maxt.numpy(), [5, np.inf, 5])
    assert isinstance(tk.Sampler, type)

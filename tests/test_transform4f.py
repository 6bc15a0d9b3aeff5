"""Transform4f: Mitsuba 3's chained transforms, with derivatives through their entries."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import transform


def test_chain_matches_numpy_composition():
    chained = tk.ScalarTransform4f().translate([1, 2, 3]).rotate([0, 1, 1], 30).scale([2, 3, 4])
    expected = transform.translate([1, 2, 3]) @ transform.rotate([0, 1, 1], 30) @ transform.scale([2, 3, 4])
    assert np.allclose(chained.matrix, expected)
    assert np.allclose(tk.Transform4f().translate([1, 2, 3]).rotate([0, 1, 1], 30)
                       .scale([2, 3, 4]).matrix, expected, atol=1e-6)


def test_points_vectors_normals_and_inverse():
    t = tk.Transform4f().translate([1, 0, 0]).rotate([0, 0, 1], 90).scale([2, 1, 1])
    p = t @ tk.Array3f([1, 0], [0, 1], [0, 0])
    assert np.allclose(p.numpy(), [[1, 0], [2, 0], [0, 0]], atol=1e-6)
    v = t.transform_vector(tk.Array3f(1, 0, 0))
    assert np.allclose(v.numpy().ravel(), [0, 2, 0], atol=1e-6)
    # A normal stays perpendicular to a transformed tangent.
    tangent, normal = tk.Array3f(1, 1, 0), tk.Array3f(1, -1, 0)
    assert abs(dr.dot(t.transform_vector(tangent), t.transform_normal(normal))[0]) < 1e-6
    assert np.allclose((t.inverse() @ t).matrix, np.eye(4), atol=1e-6)


def test_look_at_matches_the_camera_convention():
    m = tk.ScalarTransform4f().look_at([0, 0, 5], [0, 1, 0], [0, 1, 0]).matrix
    assert np.allclose(m, transform.look_at([0, 0, 5], [0, 1, 0], [0, 1, 0]))


def test_derivatives_of_translation_and_angle():
    x, angle = tk.Float(0.5), tk.Float(20.0)
    dr.enable_grad(x, angle)
    t = tk.Transform4f().translate(tk.Array3f(x, 0, 0)).rotate([0, 0, 1], angle)
    p = t @ tk.Array3f(1, 0, 0)
    # p = (0.5 + cos a, sin a, 0): d p.x / d a = -sin(a) * pi / 180 per degree.
    dr.forward_from(angle)
    expected = -np.sin(np.radians(20.0)) * np.pi / 180
    assert p.x.grad[0] == pytest.approx(expected, rel=1e-4)
    dr.backward(p.x)
    assert x.grad[0] == pytest.approx(1.0)


def test_scalar_transform_refuses_tracked_values():
    with pytest.raises(TypeError):
        tk.ScalarTransform4f().translate([tk.Float(1.0), 0, 0])
    with pytest.raises(ValueError):
        tk.Transform4f().rotate([0, 0, 0], 10)

"""Transforms refuse what would silently give NaN: tk.TransformError, a SceneError and a ValueError."""
import math

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk

SINGULAR = 'singular'
NOT_FINITE = 'NaN or infinite|must be finite'


@pytest.mark.parametrize('make, message', [
    (lambda: tk.Transform4f().scale(0).inverse(), SINGULAR),
    (lambda: tk.Transform4f().scale([1, 0, 1]).inverse(), SINGULAR),
    (lambda: tk.Transform4f().scale(1e-30).inverse(), SINGULAR),
    (lambda: tk.ScalarTransform4f().scale(0).inverse(), SINGULAR),
    (lambda: tk.Transform4f().scale([1, 0, 1]).transform_normal([0, 1, 0]), SINGULAR),
    (lambda: tk.ScalarTransform4f().scale(0).transform_normal([0, 0, 1]), SINGULAR),
    (lambda: tk.Transform4f(np.full((4, 4), np.nan)), NOT_FINITE),
    (lambda: tk.Transform4f([[1, 0, 0, math.inf], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), NOT_FINITE),
    (lambda: tk.Transform4f(dr.llvm.ad.Matrix4f(float('nan'))), NOT_FINITE),
    (lambda: tk.ScalarTransform4f([[math.nan] * 4] * 4), NOT_FINITE),
    (lambda: tk.Transform4f().translate([0, math.nan, 0]), NOT_FINITE),
    (lambda: tk.Transform4f().rotate([0, 1, 0], math.nan), NOT_FINITE),
    (lambda: tk.Transform4f().rotate([0, 1, 0], tk.Float(math.inf)), NOT_FINITE),
    (lambda: tk.ScalarTransform4f().rotate([0, math.nan, 0], 30), NOT_FINITE),
    (lambda: tk.Transform3f().rotate(math.nan), NOT_FINITE),
])
def test_what_would_be_nan_is_refused(make, message):
    with pytest.raises(tk.TransformError, match=message) as error:
        make()
    assert isinstance(error.value, ValueError) and isinstance(error.value, tk.SceneError)


def test_valid_transforms_still_invert_and_transform_normals():
    trafo = tk.Transform4f().translate([1, 2, 3]).rotate([0, 1, 0], 30).scale([1, 2, 4])
    identity = (trafo @ trafo.inverse()).matrix
    np.testing.assert_allclose(identity, np.eye(4), atol=1e-5)
    normal = tk.Transform4f().scale([1, 2, 1]).transform_normal(tk.Array3f(0, 1, 0))
    np.testing.assert_allclose(normal.numpy().ravel(), [0, 0.5, 0], atol=1e-7)
    # Derivatives pass through the checks.
    angle = tk.Float(10.0)
    dr.enable_grad(angle)
    point = tk.Transform4f().rotate([0, 0, 1], angle) @ tk.Array3f(1, 0, 0)
    dr.backward(point.y)
    assert dr.grad(angle).numpy()[0] == pytest.approx(math.pi / 180 * math.cos(math.radians(10)), rel=1e-5)


def test_plane_transforms_with_drjit_entries_compose():
    trafo = tk.Transform3f().translate([1, 2]).rotate(90)
    np.testing.assert_allclose(trafo.matrix, [[0, -1, 1], [1, 0, 2], [0, 0, 1]], atol=1e-6)
    np.testing.assert_allclose((trafo @ trafo.inverse()).matrix, np.eye(3), atol=1e-6)

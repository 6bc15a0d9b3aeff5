"""Affine transforms as 4x4 matrices, built the way Mitsuba's XML defines them.

A scene file composes ``<transform>`` from operations listed in order; each
new operation is applied *after* the previous ones, i.e. the matrix is
``op_n @ ... @ op_2 @ op_1``. All matrices here are float64 NumPy arrays of
shape (4, 4) acting on column vectors; angles are in degrees.
"""
import numpy as np


def translate(offset):
    """Translation by ``offset`` (3,)."""
    matrix = np.eye(4)
    matrix[:3, 3] = offset
    return matrix


def scale(factors):
    """Scaling by ``factors`` (3,) along x, y and z."""
    values = np.ravel(factors).tolist()
    x, y, z = values * 3 if len(values) == 1 else values
    return np.diag([x, y, z, 1.0])


def rotate(axis, angle_degrees):
    """Rotation by ``angle_degrees`` about ``axis`` (3,), right-handed."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    x, y, z = axis
    theta = np.radians(angle_degrees)
    c, s = np.cos(theta), np.sin(theta)
    # Rodrigues' formula: R = c I + s [axis]_x + (1 - c) axis axis^T
    cross = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    matrix = np.eye(4)
    matrix[:3, :3] = c * np.eye(3) + s * cross + (1 - c) * np.outer(axis, axis)
    return matrix


def coordinate_system(direction):
    """Two unit vectors that complete ``direction`` (3,) to an orthonormal basis."""
    x, y, z = direction
    sign = np.copysign(1.0, z)
    a = -1.0 / (sign + z)
    b = x * y * a
    return (np.array([1 + sign * x * x * a, sign * b, -sign * x]),
            np.array([b, sign + y * y * a, -y]))


def look_at(origin, target, up=None):
    """Camera-to-world matrix: +z looks from ``origin`` to ``target``, +y is ``up``.

    Mitsuba's convention: the camera's +x axis points to the *left* of the
    image (``left = up x dir``), which keeps the frame right-handed.
    """
    origin, target = np.asarray(origin, float), np.asarray(target, float)
    direction = target - origin
    if not np.linalg.norm(direction) > 0:
        raise ValueError('lookat: origin and target coincide')
    direction /= np.linalg.norm(direction)
    if up is None:
        up = coordinate_system(direction)[1]
    left = np.cross(np.asarray(up, float), direction)
    if not np.linalg.norm(left) > 0:
        raise ValueError('lookat: the up vector is parallel to the viewing direction')
    left /= np.linalg.norm(left)
    new_up = np.cross(direction, left)
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = left, new_up, direction, origin
    return matrix


def transform_points(matrix, points):
    """Apply ``matrix`` (4, 4) to ``points`` (N, 3).

    The identity (a mesh without ``to_world``) returns ``points`` itself:
    for a million vertices the product is a tenth of a second of a load.
    """
    if matrix.tolist() == _IDENTITY_ROWS:     # (cheaper than np.array_equal, once per shape)
        return points
    return points @ matrix[:3, :3].T + matrix[:3, 3]


_IDENTITY = np.eye(4)
_IDENTITY_ROWS = _IDENTITY.tolist()


def transform_normals(matrix, normals):
    """Apply ``matrix`` (4, 4) to normals (N, 3): by the inverse transpose, renormalised."""
    transformed = normals @ np.linalg.inv(matrix[:3, :3])
    length = np.linalg.norm(transformed, axis=1, keepdims=True)
    return transformed / np.where(length > 0, length, 1)


def is_valid_affine(matrix):
    """True for a finite (4, 4) matrix with last row (0, 0, 0, 1) and an invertible 3x3 part."""
    matrix = np.asarray(matrix)
    if matrix.shape != (4, 4) or not np.isfinite(matrix).all():
        return False
    (a, b, c, _), (d, e, f, _), (g, h, i, _), last = matrix.tolist()
    # np.allclose's tolerances (atol 1e-8, rtol 1e-5), written out: this runs once per shape.
    if any(abs(x - y) > 1e-8 + 1e-5 * abs(y) for x, y in zip(last, (0, 0, 0, 1))):
        return False
    return abs(a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)) > 1e-12

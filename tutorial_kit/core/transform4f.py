"""``Transform4f``: affine transforms whose entries may carry derivatives, as in Mitsuba 3.

A transform is a 4x4 matrix acting on column vectors. It is built by
chaining operations, each applied *before* the ones already there, exactly
as Mitsuba 3 composes them::

    to_world = tk.Transform4f().translate([1, 0, 0]).rotate([0, 1, 0], 30).scale(2)
    # = T @ R @ S: a point is scaled first, then rotated, then translated.

``@`` applies a transform to another transform (composition) or to points
(an ``Array3f`` of many points, or a 3-sequence); vectors and normals have
:meth:`Transform4f.transform_vector` and :meth:`Transform4f.transform_normal`
(Dr.Jit array types cannot be subclassed, so unlike Mitsuba there are no
separate ``Point3f``, ``Vector3f`` and ``Normal3f`` types to dispatch on).

The entries of a :class:`Transform4f` are Dr.Jit ``Float`` values of the
active backend, so a translation or an angle with gradients enabled makes
the transformed points differentiable: this is how an object is moved in
pose estimation (Mitsuba 3's ``object_pose_estimation`` tutorial)::

    initial = dr.unravel(tk.Array3f, params['bunny.vertex_positions'])
    angle = tk.Float(0.0); dr.enable_grad(angle)
    trafo = tk.Transform4f().translate([x, y, 0]).rotate([0, 1, 0], angle * 100)
    params['bunny.vertex_positions'] = dr.ravel(trafo @ initial)
    params.update()

:class:`ScalarTransform4f` is the same with plain Python floats (no
derivatives), for building scenes and cameras. Angles are in degrees.
"""
import math

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk


class _Transform4:
    """Shared implementation; subclasses choose the entry type."""

    def __init__(self, matrix=None):
        """``matrix``: anything indexable as 4x4 (nested lists, NumPy, another transform),
        default the identity."""
        if isinstance(matrix, _Transform4):
            matrix = matrix.rows
        if matrix is None:
            matrix = np.eye(4)
        self.rows = [[self._entry(matrix[i][j]) for j in range(4)] for i in range(4)]

    # -- entries -------------------------------------------------------------------
    @staticmethod
    def _entry(value):
        raise NotImplementedError

    @classmethod
    def _from_rows(cls, rows):
        result = cls.__new__(cls)
        result.rows = rows
        return result

    @property
    def matrix(self):
        """The 4x4 matrix as a NumPy float64 array (values only, no derivatives)."""
        return np.array([[_to_float(v) for v in row] for row in self.rows], dtype=np.float64)

    def __repr__(self):
        text = np.array2string(self.matrix, precision=6, suppress_small=True, separator=', ')
        return f'{type(self).__name__}[\n  matrix = {text}\n]'

    # -- composition ---------------------------------------------------------------
    def __matmul__(self, other):
        if isinstance(other, _Transform4):
            a, b = self.rows, other.rows
            return self._from_rows([[sum_products(a[i][k] * b[k][j] for k in range(4))
                                     for j in range(4)] for i in range(4)])
        return self.transform_point(other)

    def _then(self, matrix):
        """``self @ matrix``: ``matrix`` acts on points first."""
        return self @ type(self)(matrix)

    def translate(self, offset):
        """Append a translation by ``offset`` (3 values; each may be a Dr.Jit Float)."""
        m = _identity()
        for i in range(3):
            m[i][3] = offset[i]
        return self._then(m)

    def scale(self, factors):
        """Append a scaling by ``factors`` (one value or three)."""
        factors = [factors] * 3 if _is_scalar(factors) else factors
        m = _identity()
        for i in range(3):
            m[i][i] = factors[i]
        return self._then(m)

    def rotate(self, axis, angle):
        """Append a right-handed rotation by ``angle`` degrees (may be a Dr.Jit Float)
        about ``axis`` (3 values), by Rodrigues' formula."""
        axis = np.asarray([_to_float(a) for a in axis], dtype=np.float64)
        if not np.linalg.norm(axis) > 0:
            raise ValueError('rotate: the axis must not be zero')
        x, y, z = axis / np.linalg.norm(axis)
        theta = angle * (math.pi / 180)
        c, s = (math.cos(theta), math.sin(theta)) if _is_scalar(theta) and not _is_drjit(theta) \
            else (dr.cos(theta), dr.sin(theta))
        k = [[0, -z, y], [z, 0, -x], [-y, x, 0]]
        outer = [[x * x, x * y, x * z], [y * x, y * y, y * z], [z * x, z * y, z * z]]
        m = _identity()
        for i in range(3):
            for j in range(3):
                m[i][j] = c * float(i == j) + s * k[i][j] + (1 - c) * outer[i][j]
        return self._then(m)

    def look_at(self, origin, target, up):
        """Append a camera-to-world transform: +z from ``origin`` towards ``target``,
        +y along ``up``, +x to the left (Mitsuba's camera frame)."""
        o, t, u = (self._vector(v) for v in (origin, target, up))
        direction = _normalize([t[i] - o[i] for i in range(3)])
        left = _normalize(_cross(u, direction))
        new_up = _cross(direction, left)
        m = _identity()
        for i in range(3):
            m[i][0], m[i][1], m[i][2], m[i][3] = left[i], new_up[i], direction[i], o[i]
        return self._then(m)

    def inverse(self):
        """The inverse of an affine transform (bottom row 0, 0, 0, 1)."""
        a = [row[:3] for row in self.rows[:3]]
        cof = [[a[(j + 1) % 3][(i + 1) % 3] * a[(j + 2) % 3][(i + 2) % 3]
                - a[(j + 1) % 3][(i + 2) % 3] * a[(j + 2) % 3][(i + 1) % 3] for j in range(3)]
               for i in range(3)]
        det = sum_products(a[0][k] * cof[k][0] for k in range(3))
        inv = [[cof[i][j] / det for j in range(3)] for i in range(3)]
        shift = [-sum_products(inv[i][k] * self.rows[k][3] for k in range(3)) for i in range(3)]
        return type(self)([inv[i] + [shift[i]] for i in range(3)] + [[0, 0, 0, 1]])

    # -- application ---------------------------------------------------------------
    def transform_point(self, p):
        """``M (p, 1)``: ``p`` an Array3f (any number of points) or 3 values."""
        p = self._vector(p)
        out = [sum_products([self.rows[i][k] * p[k] for k in range(3)] + [self.rows[i][3]])
               for i in range(3)]
        return self._pack(out, p)

    def transform_vector(self, v):
        """``M (v, 0)``: directions ignore the translation."""
        v = self._vector(v)
        return self._pack([sum_products(self.rows[i][k] * v[k] for k in range(3)) for i in range(3)], v)

    def transform_normal(self, n):
        """Normals transform with the inverse transpose (not renormalised, as in Mitsuba)."""
        n = self._vector(n)
        inv = self.inverse().rows
        return self._pack([sum_products(inv[k][i] * n[k] for k in range(3)) for i in range(3)], n)

    def _vector(self, v):
        return [v[i] for i in range(3)]

    def _pack(self, values, like):
        raise NotImplementedError


class Transform4f(_Transform4):
    """A 4x4 transform with Dr.Jit ``Float`` entries (gradients may be enabled).

    Applied to an ``Array3f`` of points it returns an ``Array3f``; the
    result tracks derivatives of every entry that does. Dr.Jit sees its
    entries (``DRJIT_STRUCT``), so ``dr.enable_grad``, ``dr.grad_enabled``,
    ``dr.detach`` and ``dr.eval`` take a transform whole.
    """
    DRJIT_STRUCT = {'rows': list}

    @staticmethod
    def _entry(value):
        return value if _is_drjit(value) else bk.Float(float(value))

    def _pack(self, values, like):
        return bk.Array3f(*values)


class ScalarTransform4f(_Transform4):
    """A 4x4 transform of Python floats, for scene set-up (no derivatives)."""

    @staticmethod
    def _entry(value):
        if _is_drjit(value):
            raise TypeError('ScalarTransform4f holds plain numbers; use Transform4f for Dr.Jit values')
        return float(value)

    def _pack(self, values, like):
        return np.array(values, dtype=np.float64)


def sum_products(terms):
    """The sum of an iterable (Python's ``sum`` starts from the int 0, which is fine
    for floats and Dr.Jit arrays alike)."""
    total = 0
    for term in terms:
        total = total + term
    return total


def _identity():
    return [[1.0 if i == j else 0.0 for j in range(4)] for i in range(4)]


def _is_drjit(value):
    return dr.is_array_v(value)


def _is_scalar(value):
    return isinstance(value, (int, float, np.floating, np.integer)) or \
        (_is_drjit(value) and dr.depth_v(value) == 1)


def _to_float(value):
    if _is_drjit(value):
        return float(np.asarray(dr.detach(value).numpy()).ravel()[0])
    return float(value)


def _cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _normalize(v):
    length = sum_products(x * x for x in v)
    length = dr.sqrt(length) if _is_drjit(length) else math.sqrt(length)
    return [x / length for x in v]

"""Transforms whose entries may carry derivatives, as Mitsuba 3's ``Transform4f``.

A transform is a square matrix acting on column vectors: 4x4 for points in
space (:class:`Transform4f`), 3x3 for points in the plane
(:class:`Transform3f`). It is built by chaining operations, each applied
*before* the ones already there, exactly as Mitsuba 3 composes them::

    to_world = tk.Transform4f().translate([1, 0, 0]).rotate([0, 1, 0], 30).scale(2)
    # = T @ R @ S: a point is scaled first, then rotated, then translated.

An operation called on the class starts from the identity, as in Mitsuba 3:
``tk.Transform4f.translate(offset)`` is ``tk.Transform4f().translate(offset)``.

``@`` applies a transform to another transform (composition) or to points
(an ``Array3f`` of many points, or a 3-sequence); vectors and normals have
:meth:`transform_vector` and :meth:`transform_normal` (Dr.Jit array types
cannot be subclassed, so unlike Mitsuba there are no separate ``Point3f``,
``Vector3f`` and ``Normal3f`` types for ``@`` to tell apart).

The entries of a :class:`Transform4f` are Dr.Jit ``Float`` values of the
active backend, so a translation or an angle with gradients enabled makes
the transformed points differentiable: this is how an object is moved in
pose estimation (Mitsuba 3's ``object_pose_estimation`` tutorial)::

    initial = dr.unravel(tk.Array3f, params['bunny.vertex_positions'])
    angle = tk.Float(0.0); dr.enable_grad(angle)
    trafo = tk.Transform4f().translate([x, y, 0]).rotate([0, 1, 0], angle * 100)
    params['bunny.vertex_positions'] = dr.ravel(trafo @ initial)
    params.update()

The ``Scalar`` classes are the same with plain Python floats (no
derivatives), for building scenes and cameras; they map points to Dr.Jit's
scalar arrays (``drjit.scalar.Array3f``). :class:`ProjectiveTransform4f`
adds the perspective projection, whose points are divided by their fourth
coordinate. Angles are in degrees. ``matrix`` is the matrix's values as a
NumPy float64 array (Mitsuba 3 gives a Dr.Jit ``Matrix4f``; ``np.array``
reads either).
"""
import math
import numbers

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import TransformError, TransformTypeError
from tutorial_kit.core.limits import FLOAT32_MAX


class _BuildsFromIdentity:
    """A method that, called on the class rather than an instance, starts from
    the identity: ``Transform4f.scale(2)`` is ``Transform4f().scale(2)``."""

    def __init__(self, method):
        self.method = method
        self.__doc__ = method.__doc__

    def __get__(self, instance, owner):
        target = owner() if instance is None else instance
        return self.method.__get__(target, owner)


class _Transform:
    """Shared implementation; subclasses choose the size and the entry type."""
    size = 4
    projective = False

    def __init__(self, matrix=None):
        """``matrix``: the identity when omitted; a number (that multiple of the
        identity); ``size`` numbers (row ``i`` filled with the ``i``-th, as
        Mitsuba 3 broadcasts); anything indexable as a size x size matrix
        (nested lists, NumPy, a Dr.Jit matrix, another transform)."""
        square = self._square(matrix)
        rows = [[self._entry(v) for v in row] for row in square]
        # Checked as given (plain numbers need no read-back): NaN or infinity
        # would spread to every point the transform touches.
        _check_finite(square, f'{type(self).__name__}: the matrix')
        self.rows = rows

    def _square(self, matrix):
        n = self.size
        if matrix is None:
            return _identity(n)
        if isinstance(matrix, _Transform):
            if matrix.size != n:
                raise TransformError(f'{type(self).__name__} needs a {n}x{n} matrix, '
                                 f'got a {type(matrix).__name__} ({matrix.size}x{matrix.size})')
            return matrix.rows
        if _is_number(matrix):
            return [[matrix if i == j else 0.0 for j in range(n)] for i in range(n)]
        try:
            rows = [matrix[i] for i in range(len(matrix))]
        except TypeError:
            raise TransformTypeError(f'{type(self).__name__} takes a {n}x{n} matrix, {n} numbers or one number, '
                            f'got {type(matrix).__name__}') from None
        if len(rows) == n and all(_is_number(row) for row in rows):
            return [[row] * n for row in rows]
        try:
            square = len(rows) == n and all(len(row) == n for row in rows)
        except TypeError:
            square = False
        if not square:
            raise TransformError(f'{type(self).__name__} takes a {n}x{n} matrix, {n} numbers or one number, '
                             f'got {np.shape(np.asarray(matrix, dtype=object))}')
        return [[row[j] for j in range(n)] for row in rows]

    # -- entries -------------------------------------------------------------------
    @staticmethod
    def _entry(value):
        raise NotImplementedError

    def _point_type(self):
        raise NotImplementedError

    @classmethod
    def _from_rows(cls, rows):
        result = cls.__new__(cls)
        result.rows = rows
        return result

    @property
    def matrix(self):
        """The matrix as a NumPy float64 array (values only, no derivatives)."""
        return np.array([[_to_float(v) for v in row] for row in self.rows], dtype=np.float64)

    @property
    def inverse_transpose(self):
        """The inverse's transpose as a NumPy float64 array: what normals are multiplied by."""
        return self.inverse().matrix.T

    def __repr__(self):
        text = np.array2string(self.matrix, precision=6, suppress_small=True, separator=', ')
        return f'{type(self).__name__}[\n  matrix = {text}\n]'

    # -- composition ---------------------------------------------------------------
    def __matmul__(self, other):
        if isinstance(other, _Transform):
            if other.size != self.size:
                raise TransformError(f'cannot compose a {self.size}x{self.size} transform with a '
                                 f'{other.size}x{other.size} one')
            a, b, n = self.rows, other.rows, self.size
            kind = type(self) if not other.projective or self.projective else type(other)
            return kind._from_rows([[sum_products(a[i][k] * b[k][j] for k in range(n))
                                     for j in range(n)] for i in range(n)])
        return self.transform_point(other)

    def _then(self, matrix):
        """``self @ matrix``: ``matrix`` acts on points first."""
        return self @ type(self)(matrix)

    @_BuildsFromIdentity
    def translate(self, offset):
        """Append a translation by ``offset`` (``size - 1`` values, each may be a Dr.Jit
        Float; or one value for every axis, as Mitsuba 3 broadcasts it)."""
        offset = [offset] * (self.size - 1) if _is_scalar(offset) else self._vector(offset, 'translate')
        m = _identity(self.size)
        for i in range(self.size - 1):
            m[i][-1] = offset[i]
        return self._then(m)

    @_BuildsFromIdentity
    def scale(self, factors):
        """Append a scaling by ``factors`` (one value, or one per axis)."""
        factors = [factors] * (self.size - 1) if _is_scalar(factors) else self._vector(factors, 'scale')
        m = _identity(self.size)
        for i in range(self.size - 1):
            m[i][i] = factors[i]
        return self._then(m)

    def translation(self):
        """The translation part (the last column), as a point of this transform's kind."""
        return self._pack([self.rows[i][-1] for i in range(self.size - 1)])

    def has_scale(self):
        """Whether the linear part changes lengths (its columns are not all of unit length)."""
        m = self.matrix[:-1, :-1]
        return not np.allclose(np.linalg.norm(m, axis=0), 1, atol=1e-5)

    # -- application ---------------------------------------------------------------
    def transform_point(self, p):
        """``M (p, 1)``, divided by its last coordinate for a projective transform;
        ``p`` an array of any number of points, or ``size - 1`` values."""
        p = self._vector(p, 'a point')
        n = self.size
        rows = self.rows if self.projective else self.rows[:-1]
        out = [sum_products([row[k] * p[k] for k in range(n - 1)] + [row[-1]]) for row in rows]
        if self.projective:
            w = out.pop()
            out = [value / w for value in out]
        return self._pack(out)

    def transform_affine(self, p):
        """``M (p, 1)`` without the division: the affine part applied to a point."""
        p = self._vector(p, 'a point')
        n = self.size
        return self._pack([sum_products([self.rows[i][k] * p[k] for k in range(n - 1)] + [self.rows[i][-1]])
                           for i in range(n - 1)])

    def transform_vector(self, v):
        """``M (v, 0)``: directions ignore the translation."""
        v = self._vector(v, 'a vector')
        n = self.size
        return self._pack([sum_products(self.rows[i][k] * v[k] for k in range(n - 1)) for i in range(n - 1)])

    def transform_normal(self, normal, checked=True):
        """Normals transform with the inverse transpose (not renormalised, as in Mitsuba).
        A singular transform has none: a TransformError (see :meth:`inverse`)."""
        normal = self._vector(normal, 'a normal')
        inv, n = self.inverse(checked).rows, self.size
        return self._pack([sum_products(inv[k][i] * normal[k] for k in range(n - 1)) for i in range(n - 1)])

    def _vector(self, v, what):
        count = self.size - 1
        try:
            values = [v[i] for i in range(count)]
            extra = len(v) if not dr.is_array_v(v) or dr.size_v(v) != dr.Dynamic else count
        except (TypeError, IndexError, KeyError):
            raise TransformError(f'{type(self).__name__}: {what} needs {count} values, got {v!r}') from None
        if extra != count:
            raise TransformError(f'{type(self).__name__}: {what} needs {count} values, got {extra}')
        if not all(_is_scalar(value) or (_is_drjit(value) and not dr.is_jit_v(value)) for value in values):
            raise TransformTypeError(f'{type(self).__name__}: {what} needs {count} numbers, got {v!r}')
        return values

    def _pack(self, values):
        return self._point_type()(*values)

    # -- inverse -------------------------------------------------------------------
    def inverse(self, checked=True):
        """The inverse transform (cofactors of the linear part for an affine one).

        A singular matrix (``scale(0)``) has no inverse: a TransformError, not
        a matrix of NaN and infinity, and so is one whose inverse overflows
        32-bit floats. ``checked=False`` skips the check, which reads the
        entries back: for code running inside a kernel on a transform that
        was checked when it was assigned (a shape's ``to_world``).
        """
        if self.projective:
            inverse = self._general_inverse()
        else:
            n = self.size - 1
            a = [row[:n] for row in self.rows[:n]]
            try:
                inv = _inverse_2x2(a) if n == 2 else _inverse_3x3(a)
            except ZeroDivisionError:           # plain floats: determinant 0
                raise TransformError(f'{type(self).__name__}.inverse: the matrix is singular '
                                     f'(determinant 0), it has no inverse') from None
            shift = [-sum_products(inv[i][k] * self.rows[k][-1] for k in range(n)) for i in range(n)]
            inverse = type(self)._from_rows([[self._entry(v) for v in inv[i] + [shift[i]]] for i in range(n)]
                                            + [[self._entry(v) for v in [0.0] * n + [1.0]]])
        if checked:
            _check_finite(inverse.rows, f'{type(self).__name__}.inverse: the matrix is singular or nearly '
                                        f'so (its inverse would not be finite), it has no inverse',
                          plain_message=True)
        return inverse

    def _general_inverse(self):
        raise NotImplementedError


class _Transform4(_Transform):
    """4x4 transforms: rotations about an axis, cameras, frames."""
    size = 4

    @_BuildsFromIdentity
    def rotate(self, axis, angle):
        """Append a right-handed rotation by ``angle`` degrees (may be a Dr.Jit Float)
        about ``axis`` (3 values), by Rodrigues' formula."""
        axis = np.asarray([_to_float(a) for a in self._vector(axis, 'rotate\'s axis')], dtype=np.float64)
        if not np.all(np.isfinite(axis)):
            raise TransformError(f'rotate: the axis must be finite, got {axis.tolist()}')
        if not np.linalg.norm(axis) > 0:
            raise TransformError('rotate: the axis must not be zero')
        x, y, z = axis / np.linalg.norm(axis)
        _check_finite([[angle]], f'rotate: the angle must be finite, got {angle!r}', plain_message=True)
        c, s = _cos_sin_degrees(angle)
        k = [[0, -z, y], [z, 0, -x], [-y, x, 0]]
        outer = [[x * x, x * y, x * z], [y * x, y * y, y * z], [z * x, z * y, z * z]]
        m = _identity(4)
        for i in range(3):
            for j in range(3):
                m[i][j] = c * float(i == j) + s * k[i][j] + (1 - c) * outer[i][j]
        return self._then(m)

    @_BuildsFromIdentity
    def look_at(self, origin, target, up):
        """Append a camera-to-world transform: +z from ``origin`` towards ``target``,
        +y along ``up``, +x to the left (Mitsuba's camera frame)."""
        o, t, u = (self._vector(v, name) for v, name in ((origin, 'origin'), (target, 'target'), (up, 'up')))
        direction = _normalize([t[i] - o[i] for i in range(3)], 'look_at: origin and target coincide')
        left = _normalize(_cross(u, direction), 'look_at: the up vector is zero or parallel to the viewing direction')
        new_up = _cross(direction, left)
        m = _identity(4)
        for i in range(3):
            m[i][0], m[i][1], m[i][2], m[i][3] = left[i], new_up[i], direction[i], o[i]
        return self._then(m)

    @_BuildsFromIdentity
    def orthographic(self, near, far):
        """Append the orthographic projection that maps z in [near, far] to [0, 1]."""
        _check_near_far(near, far)
        return self.scale([1, 1, 1 / (far - near)]).translate([0, 0, -near])

    @_BuildsFromIdentity
    def to_frame(self, frame):
        """Append the map from ``frame``'s coordinates to the world: columns s, t, n."""
        axes = [self._vector(getattr(frame, name), f'frame.{name}') for name in 'stn']
        m = _identity(4)
        for i in range(3):
            for j in range(3):
                m[i][j] = axes[j][i]
        return self._then(m)

    @_BuildsFromIdentity
    def from_frame(self, frame):
        """Append the map from the world to ``frame``'s coordinates: rows s, t, n."""
        axes = [self._vector(getattr(frame, name), f'frame.{name}') for name in 'stn']
        m = _identity(4)
        for i in range(3):
            for j in range(3):
                m[i][j] = axes[i][j]
        return self._then(m)


class _Projective:
    """Mixin of projective transforms: a perspective projection, points divided by w."""
    projective = True

    @_BuildsFromIdentity
    def perspective(self, fov, near, far):
        """Append the perspective projection of field of view ``fov`` degrees (on
        both axes) that maps z in [near, far] to [0, 1] after the division by z."""
        _check_near_far(near, far)
        if not 0 < _to_float(fov) < 180:
            raise TransformError(f'perspective: fov is in degrees, in (0, 180), got {fov!r}')
        cot = 1 / math.tan(math.radians(_to_float(fov)) / 2)
        depth = 1 / (far - near)
        m = [[cot, 0, 0, 0], [0, cot, 0, 0], [0, 0, far * depth, -near * far * depth], [0, 0, 1, 0]]
        return self._then(m)

    def _general_inverse(self):
        matrix = self._matrix_type()([[self.rows[i][j] for j in range(4)] for i in range(4)])
        inverse = dr.rcp(matrix)
        return type(self)([[inverse[i][j] for j in range(4)] for i in range(4)])


class Transform4f(_Transform4):
    """A 4x4 affine transform with Dr.Jit ``Float`` entries (gradients may be enabled).

    Applied to an ``Array3f`` of points it returns an ``Array3f``; the
    result tracks derivatives of every entry that does. Dr.Jit sees its
    entries (``DRJIT_STRUCT``), so ``dr.enable_grad``, ``dr.grad_enabled``,
    ``dr.detach`` and ``dr.eval`` take a transform whole.
    """
    DRJIT_STRUCT = {'rows': list}

    @staticmethod
    def _entry(value):
        if _is_drjit(value):
            return value
        if isinstance(value, bool) or not _is_number(value):
            raise TransformTypeError(f'Transform4f entries are numbers or Dr.Jit Floats, got {type(value).__name__}')
        return bk.Float(float(value))

    def _point_type(self):
        return bk.Array3f

    def _matrix_type(self):
        return getattr(dr, bk.name).ad.Matrix4f


class ScalarTransform4f(_Transform4):
    """A 4x4 affine transform of Python floats, for scene set-up (no derivatives)."""

    @staticmethod
    def _entry(value):
        return _scalar_entry(value, 'ScalarTransform4f', 'Transform4f')

    def _point_type(self):
        return dr.scalar.Array3f

    def _matrix_type(self):
        return dr.scalar.Matrix4f


class ProjectiveTransform4f(_Projective, Transform4f):
    """A 4x4 projective transform with Dr.Jit ``Float`` entries: ``perspective``."""


class ScalarProjectiveTransform4f(_Projective, ScalarTransform4f):
    """A 4x4 projective transform of Python floats: ``perspective``."""


class _Transform3(_Transform):
    """3x3 transforms of the plane (texture coordinates, 2D points)."""
    size = 3

    @_BuildsFromIdentity
    def rotate(self, angle):
        """Append a counter-clockwise rotation by ``angle`` degrees (may be a Dr.Jit Float)."""
        c, s = _cos_sin_degrees(angle)
        return self._then([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


class Transform3f(_Transform3):
    """A 3x3 affine transform of the plane with Dr.Jit ``Float`` entries."""
    _entry = staticmethod(Transform4f._entry)

    def _point_type(self):
        return bk.Array2f


class ScalarTransform3f(_Transform3):
    """A 3x3 affine transform of the plane of Python floats."""

    @staticmethod
    def _entry(value):
        return _scalar_entry(value, 'ScalarTransform3f', 'Transform3f')

    def _point_type(self):
        return dr.scalar.Array2f


# -- helpers ---------------------------------------------------------------------------

def sum_products(terms):
    """The sum of an iterable (Python's ``sum`` starts from the int 0, which is fine
    for floats and Dr.Jit arrays alike)."""
    total = 0
    for term in terms:
        total = total + term
    return total


def _scalar_entry(value, name, jit_name):
    if _is_drjit(value) and dr.is_jit_v(value):
        raise TransformTypeError(f'{name} holds plain numbers; use {jit_name} for Dr.Jit values')
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)) \
            and not _is_drjit(value):
        raise TransformTypeError(f'{name} entries are numbers, got {type(value).__name__}')
    return float(value)


def _check_finite(rows, what, plain_message=False):
    """A TransformError unless every entry of ``rows`` is finite (as a 32-bit float).

    Plain numbers are checked at once; Dr.Jit entries with one read-back of
    all of them together, skipped inside a symbolic loop or call or while a
    function is being frozen, where no value can be read back (such code
    builds its transforms from checked ones).
    """
    plain = [v for row in rows for v in row if not _is_drjit(v)]
    jit = [v for row in rows for v in row if _is_drjit(v)]
    wrong = [v for v in plain if not _is_number(v)]
    if wrong:
        raise TransformTypeError(f'{what.split(":")[0]}: expected numbers, got {wrong[0]!r}')
    # Points come out as 32-bit floats, so plain entries must fit in one too.
    finite = all(abs(float(v)) <= FLOAT32_MAX for v in plain)
    if finite and jit and not (dr.flag(dr.JitFlag.SymbolicScope) or dr.flag(dr.JitFlag.FreezingScope)):
        every = True
        for value in jit:
            every = every & dr.all(dr.isfinite(dr.detach(value)), axis=None)
        finite = bool(every[0]) if dr.is_array_v(every) else bool(every)
    if not finite:
        raise TransformError(what if plain_message else f'{what} has NaN or infinite entries')


def _identity(n):
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def _inverse_2x2(a):
    det = a[0][0] * a[1][1] - a[0][1] * a[1][0]
    _check_invertible(det)
    return [[a[1][1] / det, -a[0][1] / det], [-a[1][0] / det, a[0][0] / det]]


def _inverse_3x3(a):
    cof = [[a[(j + 1) % 3][(i + 1) % 3] * a[(j + 2) % 3][(i + 2) % 3]
            - a[(j + 1) % 3][(i + 2) % 3] * a[(j + 2) % 3][(i + 1) % 3] for j in range(3)]
           for i in range(3)]
    det = sum_products(a[0][k] * cof[k][0] for k in range(3))
    _check_invertible(det)
    return [[cof[i][j] / det for j in range(3)] for i in range(3)]


def _check_invertible(det):
    """Refuse a plain-number determinant of zero (or not finite): the matrix has no inverse."""
    if not _is_drjit(det) and not (math.isfinite(det) and det != 0):
        raise TransformError(f'the transform is singular (determinant {det}): it has no inverse')


def _cos_sin_degrees(angle):
    if not _is_scalar(angle) and not (_is_drjit(angle) and dr.size_v(angle) == 1):
        raise TransformTypeError(f'rotate: the angle is a number of degrees, got {type(angle).__name__}')
    theta = angle * (math.pi / 180)
    if _is_drjit(theta) and dr.is_jit_v(theta):
        return dr.cos(theta), dr.sin(theta)
    return math.cos(theta), math.sin(theta)


def _check_near_far(near, far):
    if not (_is_number(near) and _is_number(far)) or not 0 <= near < far:
        raise TransformError(f'near and far must be numbers with 0 <= near < far, got near={near!r}, far={far!r}')


def _is_drjit(value):
    return dr.is_array_v(value)


def _is_number(value):
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool)


def _is_scalar(value):
    return _is_number(value) or (_is_drjit(value) and dr.is_jit_v(value) and dr.depth_v(value) == 1)


def _to_float(value):
    if _is_drjit(value):
        return float(np.asarray(dr.detach(value).numpy()).ravel()[0]) if dr.is_jit_v(value) else float(value)
    return float(value)


def _cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _normalize(v, degenerate='cannot normalise a zero vector'):
    """``v`` (3 values) divided by its length; a TransformError saying ``degenerate``
    for a vector of plain numbers whose length is zero or not finite."""
    length = sum_products(x * x for x in v)
    length = dr.sqrt(length) if _is_drjit(length) else math.sqrt(length)
    if not _is_drjit(length) and not (math.isfinite(length) and length > 0):
        raise TransformError(degenerate)
    return [x / length for x in v]

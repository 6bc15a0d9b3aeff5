"""Local shading frames: the coordinate system in which BSDFs are written.

In a :class:`Frame` built around a surface normal ``n``, directions have
``z = cos(theta)``: a BSDF only needs that component to tell the front side
(z > 0) from the back and to weigh light by its cosine.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
def coordinate_system(n):
    """Two unit vectors (s, t) completing the unit vector ``n`` to an orthonormal basis.

    A branch-free construction that stays accurate for every ``n``, which
    matters because a branch per lane would diverge.
    """
    sign = dr.sign(n.z)
    a = -dr.rcp(sign + n.z)
    b = n.x * n.y * a
    vector = type(n)
    s = vector(dr.fma(n.x * n.x, a * sign, 1), sign * b, -sign * n.x)
    t = vector(b, dr.fma(n.y * n.y, a, sign), -n.y)
    return s, t


@bk.drjit_struct(s='Array3f', t='Array3f', n='Array3f')
class Frame:
    """Orthonormal basis (s, t, n); all members are Array3f (Mitsuba 3's ``Frame3f``).

    ``Frame(n)`` completes the unit normal ``n`` with :func:`coordinate_system`;
    ``Frame(s, t, n)`` takes the three axes as given; ``Frame()`` is the
    world frame. A Dr.Jit record: ``dr.zeros``, ``dr.select`` and loops take
    it whole. Differentiable: the axes carry the derivatives of ``n``.

    The static helpers read angles of a *local* direction ``v`` (Array3f)
    as BSDFs need them: theta from the normal (+z), phi around it from s (+x).
    """

    #: The type of the axes; lists and tuples given to the constructor become it.
    @staticmethod
    def _vector(v):
        return v if isinstance(v, bk.Array3f) else bk.Array3f(v)

    def __init__(self, *axes):
        if len(axes) not in (0, 1, 3):
            raise TypeError(f'Frame3f takes no axes, the normal n, or s, t and n; got {len(axes)} arguments')
        try:
            axes = [self._vector(axis) for axis in axes]
        except (TypeError, RuntimeError) as error:
            raise TypeError(f'Frame3f axes are 3-vectors: {error}') from None
        if len(axes) == 0:
            self.s, self.t, self.n = self._vector([1, 0, 0]), self._vector([0, 1, 0]), self._vector([0, 0, 1])
        elif len(axes) == 1:
            self.n = axes[0]
            self.s, self.t = coordinate_system(axes[0])
        else:
            self.s, self.t, self.n = axes

    def to_local(self, v):
        """World direction ``v`` (Array3f) in this frame's coordinates."""
        v = self._vector(v)
        return self._vector([dr.dot(v, self.s), dr.dot(v, self.t), dr.dot(v, self.n)])

    def to_world(self, v):
        """Local direction ``v`` (Array3f) in world coordinates."""
        v = self._vector(v)
        return self.s * v.x + self.t * v.y + self.n * v.z

    @classmethod
    def with_tangent(cls, n, tangent):
        """The frame around ``n`` whose ``s`` axis points along ``tangent`` projected
        onto the plane normal to ``n`` (Gram-Schmidt), as Mitsuba 3 orients shading
        frames along dp/du; where the projection vanishes, ``coordinate_system``'s."""
        frame = cls(n)
        projected = tangent - n * dr.dot(n, tangent)
        length = dr.norm(projected)
        usable = length > 1e-12 * dr.norm(tangent)
        frame.s = dr.select(usable, projected / dr.select(usable, length, 1), frame.s)
        frame.t = dr.select(usable, dr.cross(n, frame.s), frame.t)
        return frame

    # -- angles of local directions (Float), as Mitsuba 3's Frame3f offers them -------------
    @staticmethod
    def cos_theta(v):
        return v[2]

    @staticmethod
    def cos_theta_2(v):
        return dr.square(v[2])

    @staticmethod
    def sin_theta_2(v):
        return dr.fma(v[0], v[0], dr.square(v[1]))

    @staticmethod
    def sin_theta(v):
        return dr.safe_sqrt(Frame.sin_theta_2(v))

    @staticmethod
    def tan_theta(v):
        return dr.safe_sqrt(dr.fma(-v[2], v[2], 1)) / v[2]

    @staticmethod
    def tan_theta_2(v):
        return dr.maximum(dr.fma(-v[2], v[2], 1), 0) / dr.square(v[2])

    @staticmethod
    def sincos_phi(v):
        """(sin phi, cos phi); (0, 1) along the normal, where phi is undefined."""
        sin_theta_2 = Frame.sin_theta_2(v)
        inv = dr.rsqrt(sin_theta_2)
        undefined = dr.abs(sin_theta_2) <= 4 * dr.epsilon(bk.Float)
        return (dr.select(undefined, 0, dr.clip(v[1] * inv, -1, 1)),
                dr.select(undefined, 1, dr.clip(v[0] * inv, -1, 1)))

    @staticmethod
    def sin_phi(v):
        return Frame.sincos_phi(v)[0]

    @staticmethod
    def cos_phi(v):
        return Frame.sincos_phi(v)[1]

    @staticmethod
    def sincos_phi_2(v):
        """(sin^2 phi, cos^2 phi); (0, 1) along the normal."""
        sin_theta_2 = Frame.sin_theta_2(v)
        inv = dr.rcp(sin_theta_2)
        undefined = dr.abs(sin_theta_2) <= 4 * dr.epsilon(bk.Float)
        return (dr.select(undefined, 0, dr.clip(dr.square(v[1]) * inv, 0, 1)),
                dr.select(undefined, 1, dr.clip(dr.square(v[0]) * inv, 0, 1)))

    @staticmethod
    def sin_phi_2(v):
        return Frame.sincos_phi_2(v)[0]

    @staticmethod
    def cos_phi_2(v):
        return Frame.sincos_phi_2(v)[1]

    def __repr__(self):
        return f'Frame3f[\n  s = {self.s},\n  t = {self.t},\n  n = {self.n}\n]'


class ScalarFrame3f(Frame):
    """The same frame with Dr.Jit's scalar 3-vectors (Python floats): one frame,
    as the ``scalar_rgb`` variant's ``Frame3f``."""
    DRJIT_STRUCT = {'s': dr.scalar.Array3f, 't': dr.scalar.Array3f, 'n': dr.scalar.Array3f}

    @staticmethod
    def _vector(v):
        return v if isinstance(v, dr.scalar.Array3f) else dr.scalar.Array3f(v)

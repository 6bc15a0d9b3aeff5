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
    s = bk.Array3f(dr.fma(n.x * n.x, a * sign, 1), sign * b, -sign * n.x)
    t = bk.Array3f(b, dr.fma(n.y * n.y, a, sign), -n.y)
    return s, t


class Frame:
    """Orthonormal basis (s, t, n); all members are Array3f."""

    def __init__(self, n):
        self.n = n
        self.s, self.t = coordinate_system(n)

    def to_local(self, v):
        """World direction ``v`` (Array3f) in this frame's coordinates."""
        return bk.Array3f(dr.dot(v, self.s), dr.dot(v, self.t), dr.dot(v, self.n))

    def to_world(self, v):
        """Local direction ``v`` (Array3f) in world coordinates."""
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

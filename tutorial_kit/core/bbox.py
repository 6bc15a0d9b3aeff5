"""``ScalarBoundingBox3f``: an axis-aligned box, what ``scene.bbox()`` returns.

The box of all points ``min <= p <= max`` (componentwise), as Mitsuba 3's
``ScalarBoundingBox3f``: one box, held in Dr.Jit's scalar ``Array3f``
(Python floats), for sizing a camera or a light to a scene. A box with
``min > max`` on some axis is empty (``valid()`` is False); the default box
is the empty one that ``expand`` grows from.
"""
from typing import NamedTuple

import drjit as dr

ScalarArray3f = dr.scalar.Array3f


class ScalarBoundingBox3f:
    """``min``, ``max``: ScalarArray3f corners (scene units)."""

    def __init__(self, min=None, max=None):
        if min is not None and max is None:
            max = min                     # the box of a single point
        self.min = ScalarArray3f(float('inf')) if min is None else ScalarArray3f(*(float(v) for v in min))
        self.max = ScalarArray3f(-float('inf')) if max is None else ScalarArray3f(*(float(v) for v in max))

    def valid(self):
        """Whether the box holds at least one point (min <= max on every axis)."""
        return all(self.min[i] <= self.max[i] for i in range(3))

    def collapsed(self):
        """Whether the box has no volume (flat or a point on some axis)."""
        return any(self.min[i] == self.max[i] for i in range(3))

    def center(self):
        return (self.min + self.max) * 0.5

    def extents(self):
        """``max - min``: the edge lengths."""
        return self.max - self.min

    def major_axis(self):
        """Index (0, 1, 2) of the longest edge."""
        e = self.extents()
        return max(range(3), key=lambda i: e[i])

    def minor_axis(self):
        """Index (0, 1, 2) of the shortest edge."""
        e = self.extents()
        return min(range(3), key=lambda i: e[i])

    def surface_area(self):
        e = self.extents()
        return 2 * (e[0] * e[1] + e[1] * e[2] + e[2] * e[0])

    def volume(self):
        e = self.extents()
        return e[0] * e[1] * e[2]

    def corner(self, index):
        """Corner ``index`` (0 to 7): bit ``k`` chooses max over min on axis ``k``."""
        return ScalarArray3f(*((self.max if index & (1 << k) else self.min)[k] for k in range(3)))

    def contains(self, p):
        """Whether the point ``p`` (three numbers) lies in the box (its boundary included)."""
        return all(self.min[i] <= p[i] <= self.max[i] for i in range(3))

    def expand(self, other):
        """Grow to hold ``other``: a point (three numbers) or another box."""
        low, high = (other.min, other.max) if isinstance(other, ScalarBoundingBox3f) else (other, other)
        self.min = dr.minimum(self.min, ScalarArray3f(*(float(v) for v in low)))
        self.max = dr.maximum(self.max, ScalarArray3f(*(float(v) for v in high)))

    def ray_intersect(self, ray):
        """Where rays cross the box: ``(hit, mint, maxt)``, as Mitsuba 3's
        ``BoundingBox3f.ray_intersect``.

        ``ray``: anything with ``o`` and ``d`` (a Ray3f; JIT or scalar arrays).
        ``mint``, ``maxt``: the distances along each ray at which it enters and
        leaves the box's slabs (Float; ``mint`` is negative for a ray that
        starts inside); ``hit`` (Bool): whether the slabs' intervals overlap
        (the line meets the box; a ray with ``maxt < 0`` points away from it).
        The slab test of Williams, Barrus, Morley and Shirley, "An Efficient
        and Robust Ray-Box Intersection Algorithm" (JGT 2005): a direction
        component of 0 gives infinite slab distances, which the comparisons
        below pass over without producing NaN.
        """
        vector = type(ray.d)
        low, high = vector(*self.min), vector(*self.max)
        d_rcp = dr.rcp(ray.d)
        positive = d_rcp >= 0
        t_min = (dr.select(positive, low, high) - ray.o) * d_rcp
        t_max = (dr.select(positive, high, low) - ray.o) * d_rcp
        hit = dr.any(ray.d != 0)
        mint, maxt = t_min.x, t_max.x
        for axis in (1, 2):
            a_min, a_max = t_min[axis], t_max[axis]
            hit = hit & ~((mint > a_max) | (a_min > maxt))
            # NaN-safe: an infinite or NaN slab distance leaves the other one.
            mint = dr.select((mint > a_min) | ~dr.isfinite(a_min), mint, a_min)
            maxt = dr.select((maxt < a_max) | ~dr.isfinite(a_max), maxt, a_max)
        return hit, mint, maxt

    def bounding_sphere(self):
        """The sphere through the box's corners: a :class:`BoundingSphere3f` with
        ``center`` and ``radius`` (Mitsuba 3's record), which also unpacks as
        ``center, radius = box.bounding_sphere()``."""
        center = self.center()
        return BoundingSphere3f(center, dr.norm(self.max - center))

    def __eq__(self, other):
        return (isinstance(other, ScalarBoundingBox3f) and bool(dr.all(self.min == other.min))
                and bool(dr.all(self.max == other.max)))

    def __repr__(self):
        return f'BoundingBox3f[\n  min = {self.min},\n  max = {self.max}\n]'


class BoundingSphere3f(NamedTuple):
    """A sphere: ``center`` (a scalar point) and ``radius`` (a float), Mitsuba 3's
    ``BoundingSphere3f`` as ``bbox.bounding_sphere()`` returns it."""
    center: object
    radius: float

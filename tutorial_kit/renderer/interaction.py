"""What the renderer knows about a point where a ray meets the scene.

A :class:`SurfaceInteraction` is returned for every lane of a ray batch;
lanes whose ray escaped have ``valid`` False. Directions in ``wi`` are
*local* (see :mod:`tutorial_kit.core.frame`): ``wi.z`` is the cosine between the
shading normal and the direction back towards the ray's origin.
"""
from dataclasses import dataclass

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.frame import Frame

#: Relative offset that lifts a new ray off the surface it starts on, so that
#: it does not hit that surface again through rounding.
RAY_EPSILON = 2.0 ** -24 * 1500


@dataclass
class SurfaceInteraction:
    t: object          # Float: distance along the (unit-length) ray, inf on a miss
    p: object          # Array3f: hit position
    n: object          # Array3f: unit geometric normal of the front side
    frame: Frame       # shading frame around the shading normal
    wi: object         # Array3f: direction towards the ray origin, local
    uv: object         # Array2f: texture coordinates (barycentrics on meshes without them)
    shape: object      # UInt32: index into scene.shapes
    valid: object      # Bool: whether the ray hit anything

    def to_world(self, v):
        return self.frame.to_world(v)

    def to_local(self, v):
        return self.frame.to_local(v)

    def offset_origin(self, direction):
        """The hit point moved off the surface towards ``direction`` (Array3f)."""
        offset = RAY_EPSILON * (1 + dr.max(dr.abs(dr.detach(self.p))))
        side = dr.select(dr.dot(self.n, direction) >= 0, 1.0, -1.0)
        return self.p + self.n * (offset * side)


@dataclass
class DirectionSample:
    """A point chosen on an emitter, seen from a reference point."""
    p: object          # Array3f: point on the emitter (far away for environments)
    n: object          # Array3f: emitter normal at p
    d: object          # Array3f: unit direction from the reference point to p
    dist: object       # Float: distance to p (inf for environments)
    pdf: object        # Float: density per unit solid angle at the reference point (1/sr)


def miss(width):
    """Placeholder interaction for lanes whose ray hit nothing."""
    zero3 = dr.zeros(bk.Array3f, width)
    n = bk.Array3f(0, 0, 1)
    return SurfaceInteraction(dr.full(bk.Float, dr.inf, width), zero3, n, Frame(n), zero3,
                              dr.zeros(bk.Array2f, width), dr.zeros(bk.UInt32, width),
                              dr.zeros(bk.Bool, width))

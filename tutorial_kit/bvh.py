"""Finding where rays hit a triangle soup: a bounding volume hierarchy (BVH).

Work in progress: the interface is final, the internals are being tuned.
"""
import numpy as np
import drjit as dr

from . import backend as bk

#: ``prim`` value of a ray that hit nothing.
INVALID = 0xFFFFFFFF


def _moller_trumbore(o, d, p0, e1, e2, t_closest):
    pvec = dr.cross(d, e2)
    det = dr.dot(e1, pvec)
    inv_det = dr.rcp(det)
    tvec = o - p0
    u = dr.dot(tvec, pvec) * inv_det
    qvec = dr.cross(tvec, e1)
    v = dr.dot(d, qvec) * inv_det
    t = dr.dot(e2, qvec) * inv_det
    hit = (det != 0) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0) & (t < t_closest)
    return hit, t, u, v


class BVH:
    """Nearest-hit and shadow-ray queries against a fixed set of triangles."""

    def __init__(self, p0, p1, p2):
        p0, p1, p2 = (np.asarray(p, np.float32).reshape(-1, 3) for p in (p0, p1, p2))
        self.triangle_count = len(p0)
        e1, e2 = p1 - p0, p2 - p0
        area = np.linalg.norm(np.cross(e1.astype(np.float64), e2.astype(np.float64)), axis=1)
        keep = np.flatnonzero((area > 0) & np.isfinite(area))
        self._prims = keep.astype(np.uint32)
        self._tris = [bk.Float(x) for x in np.concatenate([p0, e1, e2], 1)[keep].ravel()]
        for x in self._tris:
            dr.make_opaque(x)

    def _rays(self, origin, direction, t_max, active):
        origin, direction = dr.detach(bk.Array3f(origin)), dr.detach(bk.Array3f(direction))
        t_max, active = dr.detach(bk.Float(t_max)), bk.Bool(active)
        n = max(dr.width(origin), dr.width(direction), dr.width(t_max), dr.width(active))
        return origin, direction, t_max, active, n

    def intersect(self, origin, direction, t_max, active=True):
        o, d, t_max, active, n = self._rays(origin, direction, t_max, active)
        t = dr.select(active, t_max, 0.0)
        prim = dr.full(bk.UInt32, INVALID, n)
        u = dr.zeros(bk.Float, n)
        v = dr.zeros(bk.Float, n)
        for k, index in enumerate(self._prims):
            r = self._tris[9 * k: 9 * k + 9]
            hit, tt, uu, vv = _moller_trumbore(o, d, bk.Array3f(r[0:3]), bk.Array3f(r[3:6]),
                                               bk.Array3f(r[6:9]), t)
            hit &= active
            t = dr.select(hit, tt, t)
            u = dr.select(hit, uu, u)
            v = dr.select(hit, vv, v)
            prim = dr.select(hit, int(index), prim)
        missed = prim == INVALID
        t = dr.select(missed, dr.inf, t)
        return t, prim, u, v

    def occluded(self, origin, direction, t_max, active=True):
        o, d, t_max, active, n = self._rays(origin, direction, t_max, active)
        hit = dr.zeros(bk.Bool, n)
        for k in range(len(self._prims)):
            r = self._tris[9 * k: 9 * k + 9]
            h, _, _, _ = _moller_trumbore(o, d, bk.Array3f(r[0:3]), bk.Array3f(r[3:6]),
                                          bk.Array3f(r[6:9]), t_max)
            hit |= h
        return hit & active

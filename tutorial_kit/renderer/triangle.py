"""The ray-triangle test shared by the BVH's search and the differentiable hit.

It is the Moller-Trumbore test: it solves ``o + t d = p0 + u e1 + v e2`` by
Cramer's rule with two cross products. :func:`ray_triangle` gives ``t``,
``u``, ``v`` for any ray and triangle (differentiable in all inputs);
:func:`intersect_triangle` adds the tests that make the hit count.
"""
import drjit as dr


def intersect_triangle(o, d, p0, e1, e2, t_closest):
    """Moller-Trumbore test of rays against one triangle per lane.

    ``o``, ``d``: ray origins and directions (Array3f); ``p0``: a corner,
    ``e1 = p1 - p0``, ``e2 = p2 - p0`` (Array3f); ``t_closest``: Float.
    Returns ``(hit, t, u, v)``: Bool where ``0 < t < t_closest`` and the
    barycentrics ``u, v >= 0, u + v <= 1`` put the hit inside the triangle.
    A ray parallel to the triangle's plane has ``det = 0`` and never hits.
    """
    det, t, u, v = ray_triangle(o, d, p0, e1, e2)
    hit = (det != 0) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0) & (t < t_closest)
    return hit, t, u, v


def ray_triangle(o, d, p0, e1, e2):
    """Where rays ``o + t d`` meet the planes of triangles ``p0 + u e1 + v e2``.

    All arguments Array3f. Returns ``(det, t, u, v)`` (Float each); ``det``
    is ``-d . (e1 x e2)``, zero for a ray parallel to the plane. Every
    operation is differentiable, so ``t``, ``u`` and ``v`` follow the vertices.
    """
    pvec = dr.cross(d, e2)
    det = dr.dot(e1, pvec)
    inv_det = dr.rcp(det)
    tvec = o - p0
    u = dr.dot(tvec, pvec) * inv_det
    qvec = dr.cross(tvec, e1)
    v = dr.dot(d, qvec) * inv_det
    t = dr.dot(e2, qvec) * inv_det
    return det, t, u, v

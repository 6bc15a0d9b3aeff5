"""Ray-triangle tests: one for the BVH's search, one for the differentiable hit.

Both solve ``o + t d = p0 + u e1 + v e2`` (``e1 = p1 - p0``, ``e2 = p2 - p0``)
for the distance ``t`` and the barycentric coordinates ``u``, ``v``.

* :func:`ray_triangle` is the Moller-Trumbore test (Cramer's rule with two
  cross products), differentiable in all inputs: the renderer's hit point
  follows the vertices through it.
* :func:`intersect_in_triangle_space` (Baldwin and Weber 2016) is about twice
  as fast for a triangle whose rows were precomputed
  (:func:`triangle_space_rows`); the search, which tests many triangles per
  ray and needs no derivatives, uses it.
"""
import drjit as dr


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


def barycentric_coordinates(p, p0, p1, p2):
    """The weights ``(w0, w1, w2)`` (Float each, summing to 1) with which the
    corners ``p0``, ``p1``, ``p2`` (Array3f) blend to the point ``p`` (Array3f)
    that lies on their triangle, as Mitsuba 3's ``Mesh::barycentric_coordinates``:
    the least-squares solution of ``p - p0 = u (p1 - p0) + v (p2 - p0)``,
    which stays well defined for a point slightly off the plane.
    Differentiable in all inputs."""
    rel, du, dv = p - p0, p1 - p0, p2 - p0
    b1, b2 = dr.dot(du, rel), dr.dot(dv, rel)
    a11, a12, a22 = dr.dot(du, du), dr.dot(du, dv), dr.dot(dv, dv)
    inv_det = dr.rcp(a11 * a22 - a12 * a12)
    u = (a22 * b1 - a12 * b2) * inv_det
    v = (a11 * b2 - a12 * b1) * inv_det
    return 1 - u - v, u, v


def triangle_space_rows(p0, p1, p2):
    """Precomputed rows for :func:`intersect_in_triangle_space`.

    ``p0``, ``p1``, ``p2``: Array3f, the corners of M triangles. Returns
    ``(row_u, row_v, row_n)``, three Array3f: the rows of
    ``A = [e1 e2 n]^-1`` with ``e1 = p1 - p0``, ``e2 = p2 - p0`` and
    ``n = e1 x e2``. ``A`` maps the triangle's edges to the x and y axes and
    its normal to z (Baldwin and Weber 2016). As ``n`` is orthogonal to both
    edges, the inverse has a closed form: the rows are ``(e2 x n) / |n|^2``,
    ``(n x e1) / |n|^2`` and ``n / |n|^2``, computed in double precision (a
    Dr.Jit kernel, far faster than the same in NumPy). A triangle of zero area (``n = 0``), or one too small
    for single-precision rows, gets rows that are not finite.
    """
    double = dr.float64_array_t(type(p0))
    e1, e2 = double(p1) - double(p0), double(p2) - double(p0)
    n = dr.cross(e1, e2)
    scale = dr.rcp(dr.squared_norm(n))
    return tuple(type(p0)(row * scale) for row in (dr.cross(e2, n), dr.cross(n, e1), n))


def intersect_in_triangle_space(o, d, p0, row_u, row_v, row_n, t_closest):
    """The ray-triangle test of Baldwin and Weber (2016): the search's test.

    Moves the ray into the space where the triangle is ``(0,0)``, ``(1,0)``,
    ``(0,1)`` in the plane ``z = 0`` (rows from :func:`triangle_space_rows`):
    there ``t = -o_z / d_z`` and ``(u, v)`` are the hit's x and y. Six dot
    products against precomputed rows, where Moller-Trumbore needs two cross
    products and four dots: about half the work per triangle, which matters
    when every ray tests every triangle. The distance ``t`` and ``u``, ``v``
    mean the same as in Moller-Trumbore's test, which the differentiable
    hit then recomputes from the vertices with :func:`ray_triangle`.

    The ray is moved relative to the corner (``o - p0``) before the rows
    apply: that difference is exact for origins near the triangle, so ``t``
    stays accurate where rays leave surfaces. Folding ``-row . p0`` into
    each row instead (the three affine rows of a 3 x 4 matrix) saves a few
    operations but loses that accuracy: tried, it made queries a little
    faster and broke visibility derivatives (benchmarks/README.md, "The
    ray-triangle test").

    ``o``, ``d``, ``p0``, rows: Array3f; ``t_closest``: Float. Returns
    ``(hit, t, u, v)``. A ray parallel to the plane has ``d_z = 0``, so a
    ``t`` that is infinite or NaN, and never hits.
    """
    local_o = o - p0
    t = -dr.dot(row_n, local_o) / dr.dot(row_n, d)
    u = dr.fma(t, dr.dot(row_u, d), dr.dot(row_u, local_o))
    v = dr.fma(t, dr.dot(row_v, d), dr.dot(row_v, local_o))
    hit = (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0) & (t < t_closest)
    return hit, t, u, v

"""The edges of the shapes along which an image can jump: silhouettes and creases.

A pixel's value changes abruptly where the surface seen through it changes:
at the *silhouette* of an object (one side shows the object, the other what
lies behind) and at a *shading discontinuity* (two faces meet with
different shading normals, e.g. the sides of a flat-shaded cube). When the
vertices move, these curves move, and the image's derivative gains a term
along them (see :mod:`tutorial_kit.plugins.integrators.prb_projective`).

Edges come from each shape's triangles (:meth:`Shape.triangle_proxy`): a
mesh's own, or the fine tessellation of an analytic shape (a sphere's
silhouette is then found among the edges of its proxy; the jump across
it is still measured on the exact surface).

The list is built from the geometry, not from how a file indexes it:
vertices are merged *by position* before edges are formed, so a mesh whose
triangles each have their own three vertices (Mitsuba's ``cube``, an
unwelded PLY) gives the same edges as the welded mesh. Each edge keeps

- its two end points ``v0``, ``v1`` (indices into the joined vertex array of
  the shapes whose edges are listed, taken from the first face that has the
  edge);
- the third corner of each adjacent face, ``c0`` and ``c1``. An edge seen from
  a point ``o`` is a silhouette exactly when both third corners lie on the
  same side of the plane through ``o`` and the edge: then the two faces fold
  back behind each other as seen from ``o``. This test does not depend on the
  faces' winding, and two coplanar faces never pass it. A boundary edge (one
  face) or an edge of more than two faces gets ``c1 = c0``, so it always passes;
- ``crease``: whether the shading normals of the two faces differ along the
  edge, so that the shading jumps even where the edge is no silhouette.
"""
from dataclasses import dataclass

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk

#: Shading normals closer than this (1 - cosine) count as equal across an edge.
CREASE_TOLERANCE = 1e-4


@dataclass
class Edges:
    """Edges of the moving shapes; host arrays (NumPy) and device arrays (Dr.Jit).

    ``v0``, ``v1``, ``c0``, ``c1``: int arrays (E,) of joined-vertex indices;
    ``crease``: bool (E,); ``positions``: float64 (V, 3), the joined vertex
    positions they index (values at build time); ``vertices``: the same as a
    Dr.Jit Float of 3V values that follows the shapes' parameters
    (differentiable), for gathering edge points.
    """
    v0: np.ndarray
    v1: np.ndarray
    c0: np.ndarray
    c1: np.ndarray
    crease: np.ndarray
    positions: np.ndarray
    vertices: object = None

    def __len__(self):
        return len(self.v0)

    def device(self, mask):
        """The edges where ``mask`` (bool (E,)) holds, as Dr.Jit UInt32/Bool arrays:
        ``(v0, v1, c0, c1, crease)``."""
        return tuple(bk.from_numpy(bk.UInt32, a[mask].astype(np.uint32)) for a in
                     (self.v0, self.v1, self.c0, self.c1)) + \
            (bk.from_numpy(bk.Bool, self.crease[mask]),)

    def silhouette_from(self, origin):
        """bool (E,): the edges that are silhouettes or creases seen from ``origin`` (3,)."""
        p = self.positions
        a, b = p[self.v0] - origin, p[self.v1] - origin
        m = np.cross(a, b)
        s0 = np.einsum('ij,ij->i', m, p[self.c0] - origin)
        s1 = np.einsum('ij,ij->i', m, p[self.c1] - origin)
        return (s0 * s1 > 0) | self.crease

    def silhouette_from_any(self, points):
        """bool (E,): the edges that may be silhouettes seen from some point of the
        convex hull of ``points`` (K, 3), such as the corners of a light.

        The test's two signed volumes (see the module docstring) are affine
        in the viewpoint, so over the hull each takes its extremes at the
        points. An edge is left out only when one volume is nowhere
        positive and the other nowhere negative there (or the other way
        round): then their product is nowhere positive. Conservative: an
        edge kept may still never be a silhouette.
        """
        p = self.positions
        a, b = p[self.v0], p[self.v1]

        def volumes(c):                       # (E, K): det(a - y, b - y, c - y) per point y
            normal = np.cross(b - a, c - a)
            return np.einsum('ij,ij->i', normal, a)[:, None] - normal @ points.T

        s0, s1 = volumes(p[self.c0]), volumes(p[self.c1])
        never = ((s0 <= 0).all(axis=1) & (s1 >= 0).all(axis=1)) | \
                ((s0 >= 0).all(axis=1) & (s1 <= 0).all(axis=1))
        return ~never


def moving_shapes(scene):
    """Indices of the shapes whose surface tracks derivatives (vertex positions,
    or an analytic shape's transform)."""
    return [k for k, s in enumerate(scene.shapes()) if s.parameters_grad_enabled()]


def scene_edges(scene, shape_indices):
    """The :class:`Edges` of the given shapes of ``scene``, indexed into the joined
    vertices of those shapes' triangles (:meth:`Shape.triangle_proxy`)."""
    shapes = scene.shapes()
    proxies = [shapes[k].triangle_proxy() for k in shape_indices]
    if not proxies:
        empty = np.zeros(0, np.int64)
        return Edges(empty, empty, empty, empty, np.zeros(0, bool), np.zeros((0, 3)), bk.Float())
    vertices = proxies[0][0] if len(proxies) == 1 else dr.concat([p[0] for p in proxies])
    positions = dr.detach(vertices).numpy().reshape(-1, 3).astype(np.float64)
    vertex_base = np.cumsum([0] + [dr.width(p[0]) // 3 for p in proxies])
    parts = []
    for k, (_, faces, normals) in enumerate(proxies):
        faces = faces.numpy().reshape(-1, 3).astype(np.int64)
        normals = dr.detach(normals).numpy().reshape(-1, 3) if normals is not None else None
        local = mesh_edges(positions[vertex_base[k]:vertex_base[k + 1]], faces, normals)
        parts.append([a + vertex_base[k] if i < 4 else a for i, a in enumerate(local)])
    v0, v1, c0, c1, crease = (np.concatenate([p[i] for p in parts]) for i in range(5))
    return Edges(v0, v1, c0, c1, crease, positions, vertices)


def mesh_edges(positions, faces, normals=None):
    """Edges of one triangle mesh: ``(v0, v1, c0, c1, crease)`` (see the module docstring).

    ``positions``: (V, 3); ``faces``: (M, 3) vertex indices; ``normals``:
    (V, 3) shading normals, or None for flat shading (face normals).
    """
    # Vertices at the same position get the same id.
    _, welded = np.unique(positions, axis=0, return_inverse=True)
    welded = welded.ravel()
    corner = np.stack([faces[:, [0, 1, 2]], faces[:, [1, 2, 0]], faces[:, [2, 0, 1]]], axis=1)
    start, end, third = (corner[:, :, i].reshape(-1) for i in range(3))  # one row per face side
    face = np.repeat(np.arange(len(faces)), 3)
    key = np.sort(np.stack([welded[start], welded[end]], axis=1), axis=1)
    proper = key[:, 0] != key[:, 1]
    start, end, third, face, key = start[proper], end[proper], third[proper], face[proper], key[proper]
    if not len(key):                # only degenerate faces: no edge at all
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty, np.zeros(0, bool)
    _, group, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    order = np.argsort(group, kind='stable')
    first = order[np.r_[0, np.cumsum(count)[:-1]]]          # first side of each edge
    second = order[np.minimum(np.r_[0, np.cumsum(count)[:-1]] + 1, len(order) - 1)]
    pair = count == 2
    second = np.where(pair, second, first)

    v0, v1, c0 = start[first], end[first], third[first]
    c1 = np.where(pair, third[second], c0)
    crease = pair & _shading_differs(positions, faces, normals, welded, first, second, start, end, face)
    return v0, v1, c0, c1, crease


def _shading_differs(positions, faces, normals, welded, first, second, start, end, face):
    """bool per edge: whether the two faces' shading normals differ at an end point."""
    def shading_normal(side, vertex):
        if normals is not None:
            n = normals[vertex]
        else:
            f = faces[face[side]]
            n = np.cross(positions[f[:, 1]] - positions[f[:, 0]], positions[f[:, 2]] - positions[f[:, 0]])
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-30)

    # The second face walks the edge the other way round (or the same way, if wound
    # inconsistently): match its end points to the first face's by welded id.
    same_direction = welded[start[second]] == welded[start[first]]
    second_at_v0 = np.where(same_direction, start[second], end[second])
    second_at_v1 = np.where(same_direction, end[second], start[second])
    differs = np.zeros(len(first), bool)
    for a, b in ((start[first], second_at_v0), (end[first], second_at_v1)):
        cosine = np.einsum('ij,ij->i', shading_normal(first, a), shading_normal(second, b))
        differs |= cosine < 1 - CREASE_TOLERANCE
    return differs

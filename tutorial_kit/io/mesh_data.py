"""The triangle mesh that the file readers return, and the triangulation they share.

Both :mod:`tutorial_kit.io.obj` (with :mod:`~tutorial_kit.io.obj_fast`) and
:mod:`tutorial_kit.io.ply` turn a file into a :class:`MeshData`: plain numpy
arrays, one row per vertex or per triangle, so that the rest of the toolkit never needs to know which format a mesh came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class MeshData:
    """A triangle mesh as numpy arrays, in the units and frame of its file.

    Every per-vertex array has one row per vertex, so row ``i`` of
    ``positions``, ``normals`` and ``texcoords`` all describe vertex ``i``.

    Attributes:
        positions: ``(N, 3)`` float32 vertex positions.
        faces: ``(M, 3)`` uint32 triangles, each row three indices into
            ``positions``, in the winding order the file gave them.
        normals: ``(N, 3)`` float32 per-vertex shading normals, as stored in
            the file (not renormalised), or ``None`` when the file has none
            and the mesh should be shaded flat.
        texcoords: ``(N, 2)`` float32 per-vertex ``(u, v)`` texture
            coordinates, as stored in the file, or ``None``.
        attributes: mesh attributes by name (``vertex_color``, ``face_id``):
            ``(N, k)`` or ``(M, k)`` float32 arrays, k = 1 to 4.
    """

    positions: np.ndarray
    faces: np.ndarray
    normals: np.ndarray | None = None
    texcoords: np.ndarray | None = None
    attributes: dict = field(default_factory=dict)

    @property
    def vertex_count(self) -> int:
        return len(self.positions)

    @property
    def face_count(self) -> int:
        return len(self.faces)


def fan_triangulate(corner_vertices: np.ndarray, corner_counts: np.ndarray) -> np.ndarray:
    """Split polygons into triangles that fan out from each polygon's first corner.

    A polygon with corners ``(a, b, c, d, e)`` becomes ``(a, b, c)``,
    ``(a, c, d)``, ``(a, d, e)``: every triangle keeps the polygon's winding,
    so front faces stay front faces. This is exact for convex polygons, which
    is what mesh files almost always contain.

    Args:
        corner_vertices: ``(C,)`` integer vertex index of every polygon corner,
            polygon after polygon.
        corner_counts: ``(P,)`` integer number of corners of each polygon, each
            at least 3; they sum to ``C``.

    Returns:
        ``(T, 3)`` array of the same dtype as ``corner_vertices``, with
        ``T = sum(corner_counts - 2)`` triangles.
    """
    corner_counts = np.asarray(corner_counts, dtype=np.int64)
    if np.all(corner_counts == 3):          # triangles already (most large meshes)
        return corner_vertices.reshape(-1, 3)
    first_corner = np.cumsum(corner_counts) - corner_counts   # where each polygon starts
    triangle_counts = corner_counts - 2
    polygon_of_triangle = np.repeat(np.arange(len(corner_counts)), triangle_counts)

    # Number the triangles 1, 2, ... within their polygon: triangle k of a
    # polygon uses its corners 0, k and k + 1.
    first_triangle = np.cumsum(triangle_counts) - triangle_counts
    k = np.arange(len(polygon_of_triangle)) - first_triangle[polygon_of_triangle] + 1

    apex = first_corner[polygon_of_triangle]
    return np.stack([corner_vertices[apex],
                     corner_vertices[apex + k],
                     corner_vertices[apex + k + 1]], axis=1)

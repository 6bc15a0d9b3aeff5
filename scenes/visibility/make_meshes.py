"""Writes the meshes of the visibility scenes: an icosphere, welded and unwelded.

``sphere.obj``: 642 shared vertices, no normals (renderers compute smooth
vertex normals). ``sphere_unwelded.obj``: the same 1280 triangles, each with
its own three vertices and the welded sphere's normals (the same picture,
but no two faces share a vertex index). Run ``python make_meshes.py``.
"""
import os

import numpy as np


def icosphere(subdivisions=3):
    """Unit sphere: positions (V, 3), faces (F, 3) counter-clockwise seen from outside."""
    t = (1 + 5 ** 0.5) / 2
    p = [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
         [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]]
    f = [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4],
         [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8],
         [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
    positions = [np.array(v, float) / np.linalg.norm(v) for v in p]
    for _ in range(subdivisions):
        midpoint, faces = {}, []

        def middle(a, b):
            key = (min(a, b), max(a, b))
            if key not in midpoint:
                m = positions[a] + positions[b]
                positions.append(m / np.linalg.norm(m))
                midpoint[key] = len(positions) - 1
            return midpoint[key]
        for a, b, c in f:
            ab, bc, ca = middle(a, b), middle(b, c), middle(c, a)
            faces += [[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]
        f = faces
    return np.array(positions), np.array(f)


def write_obj(path, positions, faces, normals=None):
    with open(path, 'w') as out:
        for v in positions:
            out.write('v %.7f %.7f %.7f\n' % tuple(v))
        for n in (normals if normals is not None else []):
            out.write('vn %.7f %.7f %.7f\n' % tuple(n))
        for a, b, c in faces + 1:
            out.write(f'f {a}//{a} {b}//{b} {c}//{c}\n' if normals is not None else f'f {a} {b} {c}\n')


if __name__ == '__main__':
    here = os.path.dirname(os.path.abspath(__file__))
    positions, faces = icosphere()
    write_obj(os.path.join(here, 'sphere.obj'), positions, faces)
    corners = faces.reshape(-1)
    # On the unit sphere the smooth normal is the position itself.
    write_obj(os.path.join(here, 'sphere_unwelded.obj'), positions[corners],
              np.arange(len(corners)).reshape(-1, 3), positions[corners])

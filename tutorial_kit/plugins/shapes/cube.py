"""``cube``: the cube [-1, 1]^3 with outward-facing sides, placed by ``to_world``.

Each side has four vertices of its own, as in Mitsuba 3, so that every side
is shaded flat.
"""
import numpy as np

from tutorial_kit.io.mesh_data import MeshData
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.shapes.mesh import Mesh


@register('shape', 'cube')
class Cube(Mesh):
    """``to_world``, ``flip_normals``."""

    def __init__(self, props):
        self._initialize(props, unit_cube(), smooth=False)


def unit_cube():
    """Six sides of four vertices each (a MeshData)."""
    positions, faces = [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            # Two in-plane axes ordered so that (u x v) points along sign * axis.
            u, v = (axis + 1) % 3, (axis + 2) % 3
            if sign < 0:
                u, v = v, u
            base = len(positions)
            for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                corner = np.zeros(3)
                corner[axis], corner[u], corner[v] = sign, a, b
                positions.append(corner)
            faces += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
    return MeshData(positions=np.array(positions, np.float32), faces=np.array(faces, np.uint32),
                    normals=None, texcoords=None)

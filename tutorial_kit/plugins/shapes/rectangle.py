"""``rectangle``: the square [-1, 1]^2 at z = 0, facing +z, placed by ``to_world``.

As in Mitsuba 3, its texture coordinates run from (0, 0) to (1, 1).
"""
import numpy as np

from tutorial_kit.io.mesh_data import MeshData
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.shapes.mesh import Mesh


@register('shape', 'rectangle')
class Rectangle(Mesh):
    """``to_world``, ``flip_normals``."""

    def __init__(self, props):
        positions = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
        texcoords = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
        faces = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)
        self._initialize(props, MeshData(positions=positions, faces=faces, normals=None,
                                          texcoords=texcoords), smooth=False)

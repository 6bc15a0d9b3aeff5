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
        self._initialize(props, MeshData(positions=_POSITIONS, faces=_FACES, normals=None, texcoords=_TEXCOORDS),
                         smooth=False)


# The square's data, made once (read, never written: the mesh keeps copies).
_POSITIONS = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
_TEXCOORDS = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
_FACES = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)
for _array in (_POSITIONS, _TEXCOORDS, _FACES):
    _array.flags.writeable = False

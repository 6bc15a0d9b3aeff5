"""``ply``: a triangle mesh read from a Stanford PLY file, ASCII or binary (``filename``).

The reader is :func:`tutorial_kit.io.ply.read_ply`.
"""
from tutorial_kit.io.ply import read_ply
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.shapes.mesh import Mesh, read_mesh_file


@register('shape', 'ply')
class PLYMesh(Mesh):
    """``filename``, ``to_world``, ``flip_normals``, ``face_normals``."""

    def __init__(self, props):
        self._initialize(props, read_mesh_file(props, read_ply))

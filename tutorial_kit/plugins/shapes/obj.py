"""``obj``: a triangle mesh read from a Wavefront OBJ file (``filename``).

The reader is :func:`tutorial_kit.io.obj.read_obj`; the class name is
Mitsuba's, since ``traverse`` names unnamed shapes after their class
(``OBJMesh``, ``OBJMesh_1``, ...).
"""
from tutorial_kit.io.obj import read_obj
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.shapes.mesh import Mesh, read_mesh_file


@register('shape', 'obj')
class OBJMesh(Mesh):
    """``filename``, ``to_world``, ``flip_normals``, ``face_normals``."""

    def __init__(self, props):
        self._initialize(props, read_mesh_file(props, read_obj))

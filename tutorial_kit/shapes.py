"""The shape plugins: meshes read from files and the built-in primitives.

Each registers under its XML name and builds a :class:`~tutorial_kit.mesh.Mesh`.
The class names are Mitsuba's, because ``traverse`` names unnamed objects
after their class (``OBJMesh``, ``OBJMesh_1``, ...).
"""
import numpy as np

from .errors import MeshError
from .loader import resolve_path
from .mesh import Mesh
from .mesh_data import MeshData
from .obj import read_obj
from .plugins import register
from .ply import read_ply


def _read_mesh_file(props, reader):
    path = resolve_path(props, props.string('filename'))
    try:
        return reader(path)
    except MeshError as error:
        # Keep the mesh file's own location and add the scene line that named it.
        raise MeshError(f'{error} (mesh named in {props.path}:{props.line})') from None


@register('shape', 'obj')
class OBJMesh(Mesh):
    """``<shape type="obj">``: a Wavefront OBJ file (``filename``)."""

    def __init__(self, props):
        props.bool('face_normals', False)   # accepted; flat shading is our default
        super().__init__(props, _read_mesh_file(props, read_obj))


@register('shape', 'ply')
class PLYMesh(Mesh):
    """``<shape type="ply">``: a Stanford PLY file, ASCII or binary (``filename``)."""

    def __init__(self, props):
        props.bool('face_normals', False)
        super().__init__(props, _read_mesh_file(props, read_ply))


@register('shape', 'rectangle')
class Rectangle(Mesh):
    """``<shape type="rectangle">``: the square [-1, 1]^2 at z = 0, facing +z."""

    def __init__(self, props):
        positions = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
        texcoords = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
        faces = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)
        super().__init__(props, MeshData(positions=positions, faces=faces, normals=None, texcoords=texcoords))


@register('shape', 'cube')
class Cube(Mesh):
    """``<shape type="cube">``: the cube [-1, 1]^3 with outward-facing sides."""

    def __init__(self, props):
        super().__init__(props, _unit_cube())


def _unit_cube():
    """Six faces of four vertices each, so that every face is flat."""
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

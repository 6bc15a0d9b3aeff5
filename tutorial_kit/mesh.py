"""Triangle meshes: the only geometry the renderer intersects.

Every shape plugin (``obj``, ``ply``, ``rectangle``, ``cube``) becomes a
:class:`Mesh`. Its data are Dr.Jit arrays laid out as in Mitsuba, so that
``traverse`` exposes them under the same names:

- ``vertex_positions``: Float, 3N values (x0, y0, z0, x1, ...), world space
- ``faces``: UInt32, 3M vertex indices, counter-clockwise seen from the front
- ``vertex_normals``: Float, 3N values or empty (then normals are flat)
- ``vertex_texcoords``: Float, 2N values or empty

The shape's ``to_world`` transform is applied once when it loads. A mesh
also knows how to pick a point uniformly on its surface, which area lights
need; the table of triangle areas that this uses is refreshed by
:meth:`parameters_changed` when the vertices move.
"""
import drjit as dr
import numpy as np

from . import backend as bk
from . import transform
from .errors import PluginError


class Mesh:
    """A triangle mesh with an optional BSDF and area emitter.

    ``data`` is a :class:`~tutorial_kit.mesh_data.MeshData` in object space;
    ``props`` supplies ``to_world``, ``flip_normals`` and the nested BSDF
    and emitter.
    """

    def __init__(self, props, data):
        to_world = props.transform('to_world')
        self.flip_normals = props.bool('flip_normals', False)
        positions = transform.transform_points(to_world, data.positions.astype(np.float64))
        normals = None
        if data.normals is not None:
            normals = transform.transform_normals(to_world, data.normals.astype(np.float64))
        self.vertex_positions = bk.from_numpy(bk.Float, positions.astype(np.float32))
        self.faces = bk.from_numpy(bk.UInt32, np.asarray(data.faces, dtype=np.uint32))
        self.vertex_normals = bk.from_numpy(
            bk.Float, normals.astype(np.float32) if normals is not None else np.zeros(0, np.float32))
        self.vertex_texcoords = bk.from_numpy(
            bk.Float, data.texcoords.astype(np.float32) if data.texcoords is not None else np.zeros(0, np.float32))
        self.bsdf, self.emitter = self._nested_objects(props)
        self.parameters_changed()

    @staticmethod
    def _nested_objects(props):
        from .bsdf import BSDF, Diffuse
        from .emitter import Emitter
        bsdf = emitter = None
        for child in props.children + [obj for _, obj in props.named_objects()]:
            if isinstance(child, BSDF) and bsdf is None:
                bsdf = child
            elif isinstance(child, Emitter) and emitter is None:
                emitter = child
            else:
                raise PluginError(f'shape "{props.plugin}" takes one BSDF and one emitter; '
                                  f'got an extra {type(child).__name__}', props.path, props.line)
        if emitter is not None and not emitter.attaches_to_shapes:
            raise PluginError(f'a {type(emitter).__name__} cannot be attached to a shape',
                              props.path, props.line)
        # Like Mitsuba, a shape without a BSDF is a diffuse surface of albedo 0.5.
        return bsdf if bsdf is not None else Diffuse.with_reflectance(0.5), emitter

    # -- sizes ---------------------------------------------------------------------
    @property
    def vertex_count(self):
        return dr.width(self.vertex_positions) // 3

    @property
    def face_count(self):
        return dr.width(self.faces) // 3

    def has_vertex_normals(self):
        return dr.width(self.vertex_normals) > 0

    # -- parameters --------------------------------------------------------------------
    def traverse(self, visitor):
        visitor.put('vertex_count', self, 'vertex_count', kind='count')
        visitor.put('face_count', self, 'face_count', kind='count')
        visitor.put('faces', self, 'faces', kind='faces')
        visitor.put('vertex_positions', self, 'vertex_positions', kind='positions', differentiable=True)
        visitor.put('vertex_normals', self, 'vertex_normals', kind='normals', differentiable=True)
        visitor.put('vertex_texcoords', self, 'vertex_texcoords', kind='texcoords', differentiable=True)
        visitor.put_object('bsdf', self.bsdf)
        if self.emitter is not None:
            visitor.put_object('emitter', self.emitter)

    def parameters_changed(self, keys=None):
        """Recompute the triangle-area table that surface sampling uses."""
        p0, p1, p2 = self.triangles_numpy()
        areas = 0.5 * np.linalg.norm(np.cross(p1 - p0, p2 - p0), axis=1)
        self.surface_area = float(areas.sum())
        cdf = np.cumsum(areas, dtype=np.float64)
        self._area_cdf = bk.from_numpy(bk.Float, (cdf / cdf[-1] if cdf[-1] > 0 else cdf).astype(np.float32))

    # -- geometry on the host, for BVH building ------------------------------------------------
    def triangles_numpy(self):
        """Corner positions as three float64 NumPy arrays of shape (M, 3)."""
        positions = dr.detach(self.vertex_positions).numpy().reshape(-1, 3).astype(np.float64)
        faces = self.faces.numpy().reshape(-1, 3)
        return positions[faces[:, 0]], positions[faces[:, 1]], positions[faces[:, 2]]

    # -- sampling points on the surface, for area lights -------------------------------------------
    def sample_position(self, sample):
        """A point distributed uniformly by area.

        ``sample`` is an Array2f in [0, 1)^2. Returns ``(p, n, pdf)``: position
        (Array3f, differentiable with respect to the vertices), unit normal
        of the front side (Array3f), and density with respect to area
        (Float, 1 / surface area, in 1/mm^2 for the Cornell box).
        """
        # Pick a triangle with probability proportional to its area, then reuse
        # the part of sample.x that the choice did not consume.
        index = dr.binary_search(0, self.face_count - 1,
                                 lambda i: dr.gather(bk.Float, self._area_cdf, i) <= sample.x)
        cdf_low = dr.select(index > 0, dr.gather(bk.Float, self._area_cdf, index - 1, index > 0), 0)
        cdf_high = dr.gather(bk.Float, self._area_cdf, index)
        reused_x = dr.clip((sample.x - cdf_low) / dr.maximum(cdf_high - cdf_low, 1e-12), 0, 1)
        p0, p1, p2 = self.corners(index)
        # Uniform point in a triangle: fold the unit square onto it.
        b = _square_to_triangle(bk.Array2f(reused_x, sample.y))
        position = p0 * (1 - b.x - b.y) + p1 * b.x + p2 * b.y
        normal = dr.normalize(dr.cross(p1 - p0, p2 - p0))
        if self.flip_normals:
            normal = -normal
        return position, normal, dr.rcp(bk.Float(self.surface_area))

    def corners(self, face_index, active=True):
        """Differentiable corner positions (three Array3f) of the given faces."""
        return tuple(dr.gather(bk.Array3f, self.vertex_positions,
                               dr.gather(bk.UInt32, self.faces, 3 * face_index + k, active), active)
                     for k in range(3))


def _square_to_triangle(sample):
    """Map the unit square to barycentrics (b1, b2) uniform on a triangle."""
    root = dr.sqrt(sample.x)
    return bk.Array2f(1 - root, sample.y * root)

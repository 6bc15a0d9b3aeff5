"""``mesh_attribute``: a mesh's own per-vertex or per-face values as a texture.

A mesh may carry attributes besides its geometry: a colour per vertex from
a PLY file (``vertex_color``), a number per face (``face_id``), or any
``vertex_*`` / ``face_*`` values given with ``Mesh.add_attribute``. This
texture reads the attribute ``name`` of the shape a ray hit, as Mitsuba 3's
``mesh_attribute`` does (its ``src/textures/mesh_attribute.cpp`` and
``Mesh::eval_attribute``):

- a ``vertex_*`` attribute is blended across the triangle hit with the
  barycentric coordinates of the hit point (recomputed from ``si.p`` and
  the triangle's corners, :func:`~tutorial_kit.renderer.triangle.barycentric_coordinates`);
- a ``face_*`` attribute is constant over each triangle.

The value is multiplied by ``scale`` (default 1). ``eval`` gives a colour
from an attribute of 3 values (or a grey one from 1 value), ``eval_1`` a
number from an attribute of 1 value, ``eval_3`` a colour from one of 3;
any other size, and a shape that lacks the attribute, read as 0, as in
Mitsuba 3. A name that no shape using the texture carries is refused when
the scene is built (a PluginError naming the attributes they do have).

The attribute's values are a parameter of the mesh (``<shape id>.vertex_color``),
differentiable: a lookup gathers the three vertices' (or the face's) values,
so derivatives reach exactly those, weighted by the barycentric coordinates.

How it finds the shape: ``si.shape`` is the index of the shape hit in the
scene and ``si.prim_index`` the triangle's index among all the scene's
triangles (shapes one after the other). The scene tells the texture, before
each render (:meth:`MeshAttribute.attach`), which of its shapes use it and
where their triangles start; a lookup then reads each such shape's own
buffers where the hit lies on it. The buffers are read anew at every lookup,
so that an assigned value, or the copy path replay swaps in, is the one used.
"""
import difflib
import weakref

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import PluginError, RenderError
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import Texture
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind
from tutorial_kit.renderer.triangle import barycentric_coordinates

#: The prefixes that say whether an attribute has values per vertex or per face.
PREFIXES = ('vertex_', 'face_')


@register('texture', 'mesh_attribute')
class MeshAttribute(Texture):
    """``name`` (a ``vertex_*`` or ``face_*`` attribute of the meshes that use
    it), ``scale`` (float, 1.0)."""
    reads_shapes = True

    def __init__(self, props):
        self.attribute_name = props.string('name')
        if not self.attribute_name.startswith(PREFIXES):
            raise props.error('name', f'"name" must start with "vertex_" or "face_", '
                                      f'got "{self.attribute_name}"')
        self.scale = props.float('scale', 1.0)
        self._location = (props.path, props.line)
        #: (shape index, weak reference to the shape, its first global triangle)
        #: for each shape of the attached scene that uses this texture and has the attribute.
        self._readers = None

    def settings(self):
        return dict(name=self.attribute_name)

    def traverse(self, callback):
        # As in Mitsuba 3: a plain number, not differentiable.
        callback.put('scale', self.scale, ParamFlags.NonDifferentiable, kind=ParamKind.SCALAR)

    # -- which shapes it reads ----------------------------------------------------------
    def attach(self, scene, shape_indices):
        shapes = scene.shapes()
        first_triangle = np.cumsum([0] + [shape.face_count() for shape in shapes])
        carriers = [k for k in shape_indices if self.attribute_name in _attribute_sizes(shapes[k])]
        if not carriers:
            existing = sorted({name for k in shape_indices for name in _attribute_sizes(shapes[k])})
            users = ', '.join(f'"{shapes[k].id or type(shapes[k]).__name__}"' for k in shape_indices)
            close = difflib.get_close_matches(self.attribute_name, existing, n=1, cutoff=0.6)
            raise PluginError(f'mesh_attribute: no shape using this texture ({users}) has an attribute '
                              f'"{self.attribute_name}"; their attributes: '
                              f'{", ".join(existing) or "none"}'
                              + (f' (did you mean "{close[0]}"?)' if close else ''), *self._location)
        self._readers = [(k, weakref.ref(shapes[k]), int(first_triangle[k])) for k in carriers]

    def _shapes_read(self):
        """(shape index, shape, first triangle) of each attached shape that is still alive."""
        if self._readers is None:
            raise RenderError(f'the mesh_attribute texture "{self.attribute_name}" reads the shape a ray '
                              'hit, so it works only inside the BSDF of a shape of a scene')
        for index, shape_ref, first in self._readers:
            shape = shape_ref()
            if shape is not None:
                yield index, shape, first

    # -- lookups ----------------------------------------------------------------------
    def eval(self, si, active=True):
        return self._lookup(si, active, bk.Color3f, (1, 3)) * self.scale

    def eval_1(self, si, active=True):
        return self._lookup(si, active, bk.Float, (1,)) * self.scale

    def eval_3(self, si, active=True):
        """Color3f from an attribute of 3 values (0 for other sizes), as Mitsuba 3's ``eval_3``."""
        return self._lookup(si, active, bk.Color3f, (3,)) * self.scale

    def _lookup(self, si, active, result_type, sizes):
        """The attribute at each hit of ``si`` as ``result_type`` (Float or
        Color3f), from the shapes whose attribute has one of ``sizes`` values;
        0 elsewhere."""
        result = dr.zeros(result_type, dr.width(si.prim_index))
        for index, shape, first in self._shapes_read():
            size = shape.attribute_sizes[self.attribute_name]
            if size not in sizes:
                continue
            # Unsigned: a triangle before this shape's wraps around and fails the test too.
            triangle = si.prim_index - first
            on = active & (si.shape == index) & (triangle < shape.face_count())
            value = self._interpolate(shape, size, si.p, triangle, on)
            result = dr.select(on, result_type(value), result)
        return result

    def _interpolate(self, shape, size, p, triangle, on):
        """The attribute of ``shape`` (``size`` values per element) at points ``p``
        (Array3f) on its triangles ``triangle`` (UInt32, local), where ``on``:
        a Float or Color3f."""
        stored_type = bk.Float if size == 1 else bk.Color3f
        values = getattr(shape, self.attribute_name)
        if self.attribute_name.startswith('face_'):
            return dr.gather(stored_type, values, triangle, on)
        vertex = [dr.gather(bk.UInt32, shape.faces, 3 * triangle + k, on) for k in range(3)]
        corners = [dr.gather(bk.Array3f, shape.vertex_positions, v, on) for v in vertex]
        weights = barycentric_coordinates(p, *corners)
        v0, v1, v2 = (dr.gather(stored_type, values, v, on) for v in vertex)
        return v0 * weights[0] + v1 * weights[1] + v2 * weights[2]

    def mean(self):
        """The mean of the attribute's values over the shapes that use the texture
        (all channels), times ``scale``: a detached Float of width 1."""
        buffers = [dr.detach(getattr(shape, self.attribute_name)) for _, shape, _ in self._shapes_read()
                   if shape.attribute_sizes[self.attribute_name] in (1, 3)]
        if not buffers:
            return dr.zeros(bk.Float, 1)
        total = buffers[0] if len(buffers) == 1 else dr.concat(buffers)
        return dr.mean(total) * self.scale


def _attribute_sizes(shape):
    """The attributes of ``shape`` by name (a dict name -> size; empty for a shape without)."""
    return getattr(shape, 'attribute_sizes', None) or {}

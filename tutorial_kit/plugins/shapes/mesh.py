"""``Mesh``: the triangle mesh that the file formats and the primitives become.

Its data are Dr.Jit arrays laid out as in Mitsuba, so that ``traverse``
exposes them under the same names:

- ``vertex_positions``: Float, 3N values (x0, y0, z0, x1, ...), world space
- ``faces``: UInt32, 3M vertex indices, counter-clockwise seen from the front
- ``vertex_normals``: Float, 3N values or empty (then normals are flat)
- ``vertex_texcoords``: Float, 2N values or empty

The shape's ``to_world`` transform is applied once when it loads.

**Normals.** A mesh file without normals is shaded smoothly, as in Mitsuba
3: each vertex gets the mean of the unit normals of the faces around it,
each weighted by the angle the face makes at that vertex (Thuermer and
Wuethrich, "Computing vertex normals from polygonal facets", JGT 1998).
Faces that share a vertex index are smoothed together, so a file that
gives each face its own vertices stays flat. ``face_normals="true"``
discards vertex normals (from the file or computed) and shades every
triangle with its own normal. Computed normals follow the vertices: they
are recomputed after the positions change, differentiably when the
positions track derivatives.

A mesh also knows how to pick a point uniformly on its surface, which area
lights need; the table of triangle areas that this uses is refreshed by
:meth:`Mesh.parameters_changed` when the vertices move.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import transform
from tutorial_kit.core.bbox import ScalarBoundingBox3f
from tutorial_kit.core.errors import MeshError, ParameterError, PluginError
from tutorial_kit.io.loader import check_regular_file, resolve_path
from tutorial_kit.io.mesh_data import MeshData
from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.bsdf import BSDF
from tutorial_kit.plugins.bsdfs.diffuse import Diffuse
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags
from tutorial_kit.renderer.medium import Medium
from tutorial_kit.renderer.shape import Shape
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind

#: The flags of a mesh's parameters, combined once (a scene may hold many meshes).
_READ_ONLY = ParamFlags.NonDifferentiable | ParamFlags.ReadOnly
_CONNECTIVITY = ParamFlags.NonDifferentiable | ParamFlags.Discontinuous
_MOVES_EDGES = ParamFlags.Differentiable | ParamFlags.Discontinuous

#: Meshes of up to this many faces get their computed normals from NumPy at load.
_HOST_NORMALS_FACES = 4096

#: Floats per triangle in an emitter's sampling records (a power of two: one packet gather).
FACE_RECORD = 16


class Mesh(Shape):
    """A triangle mesh with a BSDF and an optional area emitter.

    Built from Python as in Mitsuba 3::

        mesh = tk.Mesh('disk', vertex_count=N, face_count=M,
                       has_vertex_normals=False, has_vertex_texcoords=False)
        params = tk.traverse(mesh)
        params['vertex_positions'] = positions      # Float, 3N values
        params['faces'] = faces                     # UInt32, 3M indices
        params.update()

    The buffers start as zeros. ``props``: a :class:`~tutorial_kit.io.properties.Properties`
    (or None) giving ``to_world``, ``flip_normals``, ``face_normals`` and a
    nested BSDF and emitter. With ``has_vertex_normals`` the normals are
    computed from the positions whenever these change (unless the same
    update assigns normals). File formats and primitives build theirs
    from a :class:`~tutorial_kit.io.mesh_data.MeshData` (:meth:`_initialize`).
    """

    def __init__(self, name, vertex_count, face_count, props=None, has_vertex_normals=False,
                 has_vertex_texcoords=False):
        if not isinstance(name, str):
            raise PluginError(f'Mesh(name, vertex_count, face_count): name must be a str, got {type(name).__name__}')
        counts = {'vertex_count': vertex_count, 'face_count': face_count}
        for argument, count in counts.items():
            if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or not 0 < count < 2 ** 31:
                raise PluginError(f'Mesh("{name}"): {argument} must be a positive integer, got {count!r}')
        if props is None:
            props = Properties('mesh')
        elif not isinstance(props, Properties):
            raise PluginError(f'Mesh("{name}"): props must be a tk.Properties, got {type(props).__name__}')
        vertex_count, face_count = int(vertex_count), int(face_count)
        data = MeshData(positions=np.zeros((vertex_count, 3), np.float32),
                        faces=np.zeros((face_count, 3), np.uint32),
                        normals=np.zeros((vertex_count, 3), np.float32) if has_vertex_normals else None,
                        texcoords=np.zeros((vertex_count, 2), np.float32) if has_vertex_texcoords else None)
        self._initialize(props, data, smooth=False)
        self.name = name
        # Normals of a mesh built this way follow its positions, as in Mitsuba 3.
        self.derived_normals = bool(has_vertex_normals) and not self.face_normals
        self._remember_consistent_state()

    def _initialize(self, props, data, smooth=True):
        """Take the mesh ``data`` (object space) placed by ``props``' ``to_world``.
        ``smooth``: whether a mesh without normals gets computed vertex normals
        (file formats) or stays flat (primitives)."""
        to_world = props.transform('to_world')
        self.name = props.id() or type(self).__name__
        self.flip_normals = props.bool('flip_normals', False)
        self.face_normals = props.bool('face_normals', False)
        positions = transform.transform_points(to_world, data.positions.astype(np.float64)).astype(np.float32)
        self.vertex_positions = bk.from_numpy(bk.Float, positions)
        self.faces = bk.from_numpy(bk.UInt32, np.asarray(data.faces, dtype=np.uint32))
        #: Whether the vertex normals are computed from the positions (and follow them).
        self.derived_normals = smooth and data.normals is None and not self.face_normals
        if data.normals is not None and not self.face_normals:
            normals = transform.transform_normals(to_world, data.normals.astype(np.float64))
            self.vertex_normals = bk.from_numpy(bk.Float, normals.astype(np.float32))
        elif self.derived_normals and len(data.faces) <= _HOST_NORMALS_FACES:
            # Computed on the host when first needed, for all such meshes of a
            # scene at once (prepare_together): thousands of small meshes would
            # otherwise launch a kernel each.
            self._pending_normals = (positions, np.asarray(data.faces, np.uint32))
        elif self.derived_normals:
            self.vertex_normals = smooth_vertex_normals(self.vertex_positions, self.faces)
        else:
            self.vertex_normals = bk.Float()
        texcoords = data.texcoords.astype(np.float32) if data.texcoords is not None else np.zeros((0, 2), np.float32)
        self.vertex_texcoords = bk.from_numpy(bk.Float, texcoords)
        # The arrays as loaded, for the scene to join without reading each mesh back.
        self._host = (self._host_key(), (positions, np.asarray(data.faces, np.uint32).reshape(-1, 3), texcoords))
        #: Mesh attributes by name ('vertex_color', 'face_id'...): values per vertex or face.
        self.attribute_sizes = {}
        for name, values in (getattr(data, 'attributes', None) or {}).items():
            self.add_attribute(name, values.shape[1], values.ravel())
        self._bsdf, self._emitter = nested_bsdf_and_emitter(props)
        self.interior, self.exterior = nested_media(props)
        self._refresh_area_table()
        self._remember_consistent_state()

    def settings(self):
        return dict(flip_normals=self.flip_normals, face_normals=self.face_normals)

    # -- sizes ---------------------------------------------------------------------
    def vertex_count(self):
        """How many vertices the mesh has (int)."""
        return dr.width(self.vertex_positions) // 3

    def face_count(self):
        """How many triangles the mesh has (int)."""
        return dr.width(self.faces) // 3

    # One vertex's or face's data, as Mitsuba 3's scripting API reads them
    # (``index``: an int or a UInt32 of lanes; Array3f / Array2f / Array3u per lane).
    def vertex_position(self, index, active=True):
        return dr.gather(bk.Array3f, self.vertex_positions, bk.UInt32(index), active)

    def vertex_normal(self, index, active=True):
        return dr.gather(bk.Array3f, self.vertex_normals, bk.UInt32(index), active)

    def vertex_texcoord(self, index, active=True):
        return dr.gather(bk.Array2f, self.vertex_texcoords, bk.UInt32(index), active)

    def face_indices(self, index, active=True):
        return dr.gather(bk.Array3u, self.faces, bk.UInt32(index), active)

    def has_face_normals(self):
        """Whether every triangle is shaded with its own normal (``face_normals``)."""
        return bool(self.face_normals) or not self.has_vertex_normals()

    # The ParameterMap reads a parameter as an attribute, Mitsuba 3's API these as methods.
    _vertex_count = property(vertex_count)
    _face_count = property(face_count)

    def has_vertex_normals(self):
        return self._pending_normals is not None or dr.width(self.vertex_normals) > 0

    # Normals may wait to be computed (see _initialize); reading them computes them.
    _pending_normals = None

    @property
    def vertex_normals(self):
        if self._pending_normals is not None:
            Mesh.prepare_together([self])
        return self._vertex_normals

    @vertex_normals.setter
    def vertex_normals(self, value):
        self._pending_normals = None
        self._vertex_normals = value

    @staticmethod
    def prepare_together(meshes):
        """Compute the normals that wait in ``meshes`` (Meshes), in one NumPy pass."""
        waiting = [m for m in meshes if m._pending_normals is not None]
        if not waiting:
            return
        base = np.cumsum([0] + [len(m._pending_normals[0]) for m in waiting])
        positions = np.concatenate([m._pending_normals[0] for m in waiting])
        faces = np.concatenate([m._pending_normals[1].astype(np.int64) + base[k] for k, m in enumerate(waiting)])
        normals = smooth_vertex_normals_host(positions, faces).reshape(-1, 3)
        for k, mesh in enumerate(waiting):
            mesh.vertex_normals = bk.from_numpy(bk.Float, normals[base[k]:base[k + 1]])

    def has_vertex_texcoords(self):
        return dr.width(self.vertex_texcoords) > 0

    def recompute_vertex_normals(self):
        """Set the vertex normals to the angle-weighted mean of the face normals
        around each vertex (:func:`smooth_vertex_normals`), as Mitsuba 3 does.
        The mesh must have vertex normals (``has_vertex_normals``)."""
        if not self.has_vertex_normals():
            raise PluginError(f'mesh "{self.name}" has no vertex normals to recompute '
                              f'(create it with has_vertex_normals=True)')
        self.vertex_normals = smooth_vertex_normals(self.vertex_positions, self.faces)

    # -- attributes ------------------------------------------------------------------
    def add_attribute(self, name, size, buffer):
        """Attach the attribute ``name`` of ``size`` values per vertex (a name starting
        with ``vertex_``) or per face (``face_``), from ``buffer``: ``size`` times the
        vertex or face count numbers, vertex after vertex. A parameter of the mesh
        (``traverse``), read by the ``mesh_attribute`` texture and written by
        :meth:`write_ply`. Raises PluginError for a bad name, size or length."""
        if not isinstance(name, str) or not name.startswith(('vertex_', 'face_')):
            raise PluginError(f'add_attribute: the name must start with "vertex_" or "face_", got {name!r}')
        if name in self.attribute_sizes:
            raise PluginError(f'add_attribute: mesh "{self.name}" already has an attribute "{name}"')
        if name in vars(self) or hasattr(type(self), name):
            raise PluginError(f'add_attribute: "{name}" is a name the mesh uses itself')
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or not 1 <= size <= 4:
            raise PluginError(f'add_attribute("{name}"): size must be 1 to 4 values, got {size!r}')
        count = self.vertex_count() if name.startswith('vertex_') else self.face_count()
        try:
            values = (dr.detach(buffer).numpy() if dr.is_array_v(buffer) else np.asarray(buffer, np.float64))
            values = np.asarray(values, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise PluginError(f'add_attribute("{name}"): buffer must be numbers, got {type(buffer).__name__}') from None
        if values.size != size * count:
            what = 'vertices' if name.startswith('vertex_') else 'faces'
            raise PluginError(f'add_attribute("{name}"): expected {size} x {count} {what} = {size * count} '
                              f'values, got {values.size}')
        if not np.all(np.isfinite(values)):
            raise PluginError(f'add_attribute("{name}"): the values must be finite numbers')
        self.attribute_sizes[name] = int(size)
        setattr(self, name, bk.from_numpy(bk.Float, values.astype(np.float32)))

    def attribute_buffer(self, name):
        """The Float buffer of attribute ``name``."""
        if name not in self.attribute_sizes:
            raise PluginError(f'mesh "{self.name}" has no attribute "{name}"')
        return getattr(self, name)

    def write_ply(self, filename):
        """Write the mesh to a binary PLY file: positions, normals and texture
        coordinates (``s``, ``t``) if it has them, and its attributes as
        properties ``<name>_0``, ``<name>_1``... (``vertex_color`` becomes
        ``color_0..2``), as Mitsuba 3 does; read back by the ``ply`` plugin."""
        from tutorial_kit.io.ply import write_ply
        positions = dr.detach(self.vertex_positions).numpy().reshape(-1, 3)
        columns = [positions]
        names = ['x', 'y', 'z']
        if self.has_vertex_normals():
            columns.append(dr.detach(self.vertex_normals).numpy().reshape(-1, 3))
            names += ['nx', 'ny', 'nz']
        if self.has_vertex_texcoords():
            columns.append(dr.detach(self.vertex_texcoords).numpy().reshape(-1, 2))
            names += ['s', 't']
        face_columns, face_names = [], []
        for name, size in self.attribute_sizes.items():
            values = dr.detach(getattr(self, name)).numpy().reshape(-1, size)
            prefix = name.split('_', 1)[1]
            target = (columns, names) if name.startswith('vertex_') else (face_columns, face_names)
            target[0].append(values)
            target[1].extend(f'{prefix}_{k}' for k in range(size))
        write_ply(filename, np.concatenate(columns, axis=1), names, self.faces.numpy().reshape(-1, 3),
                  np.concatenate(face_columns, axis=1) if face_columns else None, face_names)

    def is_mesh(self):
        return True

    def parameters_grad_enabled(self):
        return dr.grad_enabled(self.vertex_positions)

    # -- parameters --------------------------------------------------------------------
    def traverse(self, callback):
        callback.put('vertex_count', self.vertex_count(), _READ_ONLY, kind=ParamKind.COUNT,
                     attribute='_vertex_count')
        callback.put('face_count', self.face_count(), _READ_ONLY, kind=ParamKind.COUNT,
                     attribute='_face_count')
        # As in Mitsuba 3: moving vertices (or rewiring faces) moves silhouettes.
        callback.put('faces', self.faces, _CONNECTIVITY, kind=ParamKind.FACES)
        callback.put('vertex_positions', self.vertex_positions, _MOVES_EDGES, kind=ParamKind.POSITIONS)
        callback.put('vertex_normals', self.vertex_normals, _MOVES_EDGES, kind=ParamKind.NORMALS,
                     attribute='vertex_normals')
        callback.put('vertex_texcoords', self.vertex_texcoords, ParamFlags.Differentiable,
                     kind=ParamKind.TEXCOORDS)
        for name in self.attribute_sizes:
            # Every attribute differentiable, as in Mitsuba 3.
            callback.put(name, getattr(self, name), ParamFlags.Differentiable, kind=ParamKind.ARRAY,
                         attribute=name)
        callback.put('bsdf', self._bsdf, ParamFlags.Differentiable)
        if self._emitter is not None:
            callback.put('emitter', self._emitter, ParamFlags.Differentiable)
        put_media(self, callback)

    def parameters_changed(self, keys=None):
        """Refresh what depends on the vertices: computed normals and the area table.

        The vertex and face counts may change here (a remeshed surface
        written through ``traverse``, as Mitsuba 3 allows): see
        :meth:`_adopt_new_counts`. A mesh whose new arrays do not fit
        together is put back as it was before, and a ParameterError says why.
        Keys are the map's (``OBJMesh.vertex_normals``), matched by their last
        part as Mitsuba 3 matches them: normals assigned are kept, not recomputed."""
        keys = {key.split('.')[-1] for key in keys or ()}
        previous = getattr(self, '_consistent', None)
        self._adopt_new_counts(keys)
        # Normals follow positions that moved; positions put back (a refused update
        # rolled back) keep the normals they had, computed when they were loaded.
        moved = previous is None or any(now is not before for now, before in
                                        zip((self.vertex_positions, self.faces), previous[:2]))
        if self.derived_normals and 'vertex_normals' not in keys and moved:
            self.vertex_normals = smooth_vertex_normals(dr.detach(self.vertex_positions), self.faces)
        self._refresh_area_table()
        self._remember_consistent_state()

    def _remember_consistent_state(self):
        """Keep the arrays of a mesh whose parts fit together, to return to them
        if a later update would leave the mesh inconsistent."""
        self._consistent = (self.vertex_positions, self.faces, self.vertex_normals,
                            self.vertex_texcoords, self.derived_normals)

    def _adopt_new_counts(self, keys):
        """Check that the arrays fit together after an update that may have
        changed the vertex or face count, and adapt what follows the vertices.

        With a new vertex count, normals not written in the same update are
        recomputed from the positions (and follow them from then on), and
        texture coordinates not written are dropped: a remesher's new
        vertices have no parametrisation. Faces must index the new vertices;
        attributes (``add_attribute``) must be rewritten at their new size,
        which a mesh's own parameters cannot do, so a count change that
        leaves one behind is refused."""
        previous = getattr(self, '_consistent', None)
        count, faces = self.vertex_count(), self.faces
        problem = None
        largest = int(dr.max(faces)[0]) if dr.width(faces) else -1
        if dr.width(faces) == 0 or dr.width(faces) % 3:
            problem = f'faces must be a non-empty multiple of 3 indices, got {dr.width(faces)}'
        elif largest >= count:
            problem = (f'faces index vertex {largest}, but the mesh now has {count} vertices '
                       f'(assign vertex_positions and faces together before update())')
        else:
            changed = previous is not None and dr.width(previous[0]) != dr.width(self.vertex_positions)
            if changed and 'vertex_normals' not in keys and self.has_vertex_normals():
                self.derived_normals = True
            if changed and 'vertex_texcoords' not in keys:
                self.vertex_texcoords = bk.Float()
            for name, wanted in (('vertex_normals', 3 * count), ('vertex_texcoords', 2 * count)):
                width = dr.width(getattr(self, name))
                if width not in (0, wanted) and not (name == 'vertex_normals' and self.derived_normals):
                    problem = f'{name} has {width} numbers, but {count} vertices need {wanted}'
            for name, size in self.attribute_sizes.items():
                per = count if name.startswith('vertex_') else self.face_count()
                if dr.width(getattr(self, name)) != size * per:
                    problem = (f'attribute "{name}" has {dr.width(getattr(self, name))} values, but the '
                               f'mesh now needs {size * per}')
        if problem is not None:
            if previous is not None:
                (self.vertex_positions, self.faces, self.vertex_normals, self.vertex_texcoords,
                 self.derived_normals) = previous
            raise ParameterError(f'mesh "{self.name}": {problem}; the mesh is left as it was')

    def shading_normals(self):
        """The vertex normals to shade with (Float, 3N values, or empty for flat shading),
        recomputed differentiably while computed normals' positions track derivatives."""
        if self.derived_normals and dr.grad_enabled(self.vertex_positions):
            return smooth_vertex_normals(self.vertex_positions, self.faces)
        return self.vertex_normals

    def surface_area(self):
        return self._area_table()[0]

    def _refresh_area_table(self):
        """Forget the area table after the vertices changed: it is built on first
        use (most meshes are never sampled, and for a large mesh the table is a
        noticeable part of loading). Lights are sampled inside the path
        tracer's loop, where reading arrays back to NumPy is not possible: the
        scene asks each light that samples its own mesh for it before a render
        (lights in a batch sample the batch's table instead)."""
        self._areas = None

    def _area_table(self):
        """``(total area, cdf, records)``: the surface area (float), the
        normalised running sum of the triangles' areas (Float, M values) that
        surface sampling uses, and per triangle a record of FACE_RECORD floats
        (Float), read by :meth:`sample_position` with one packet gather::

            p0 (3) | p1 (3) | p2 (3) | cdf before the triangle | cdf up to it | padding (5)
        """
        if self._areas is None:
            corners = self.triangles_numpy()
            p0, p1, p2 = (p.astype(np.float64) for p in corners)
            areas = 0.5 * np.linalg.norm(np.cross(p1 - p0, p2 - p0), axis=1)
            cdf = np.cumsum(areas, dtype=np.float64)
            cdf = (cdf / cdf[-1] if cdf[-1] > 0 else cdf).astype(np.float32)
            records = np.zeros((len(cdf), FACE_RECORD), np.float32)
            records[:, :9] = np.concatenate(corners, axis=1)
            records[1:, 9] = cdf[:-1]
            records[:, 10] = cdf
            self._areas = (float(areas.sum()), bk.from_numpy(bk.Float, cdf),
                           bk.from_numpy(bk.Float, records.ravel()))
        return self._areas

    # -- geometry on the host, for BVH building ------------------------------------------------
    def bbox(self):
        """The :class:`~tutorial_kit.core.bbox.ScalarBoundingBox3f` of the vertices
        (invalid, min > max, for a mesh without vertices)."""
        positions = dr.detach(self.vertex_positions).numpy().reshape(-1, 3)
        if not len(positions):
            return ScalarBoundingBox3f()
        return ScalarBoundingBox3f(positions.min(axis=0), positions.max(axis=0))

    def triangle_proxy(self):
        """The mesh itself: ``(vertex_positions, faces, shading normals or None)``."""
        return self.vertex_positions, self.faces, self.vertex_normals if self.has_vertex_normals() else None

    def _host_key(self):
        return (self.vertex_positions.index, self.faces.index, self.vertex_texcoords.index)

    def host_arrays(self):
        """``(positions, faces, texcoords)`` as NumPy arrays, (V, 3) float32, (M, 3)
        uint32 and (V, 2) float32 (or (0, 2)): those the mesh was loaded from
        while its arrays are unchanged, else read back."""
        if getattr(self, '_host', (None,))[0] == self._host_key():
            return self._host[1]
        return (dr.detach(self.vertex_positions).numpy().reshape(-1, 3), self.faces.numpy().reshape(-1, 3),
                dr.detach(self.vertex_texcoords).numpy().reshape(-1, 2))

    def triangles_numpy(self):
        """Corner positions as three float32 NumPy arrays of shape (M, 3)."""
        positions = dr.detach(self.vertex_positions).numpy().reshape(-1, 3)
        faces = self.faces.numpy().reshape(-1, 3)
        return tuple(np.take(positions, faces[:, k], axis=0) for k in range(3))

    # -- sampling points on the surface, for area lights -------------------------------------------
    def sample_position(self, sample):
        """A point distributed uniformly by area.

        ``sample`` is an Array2f in [0, 1)^2. Returns ``(p, n, pdf)``: position
        (Array3f, differentiable with respect to the vertices), unit normal
        of the front side (Array3f), and density with respect to area
        (Float, 1 / surface area, in 1/mm^2 for the Cornell box).
        """
        return self._sample_point(sample)[:3]

    def _sample_point(self, sample):
        """:meth:`sample_position`'s ``(p, n, pdf)``, then the triangle chosen
        (UInt32) and the point's barycentric coordinates in it (Array2f)."""
        # Pick a triangle with probability proportional to its area, then reuse
        # the part of sample.x that the choice did not consume.
        # (binary_search returns a plain int when there is only one face.)
        area, area_cdf, records = self._area_table()
        index = bk.UInt32(dr.binary_search(0, self.face_count() - 1,
                                           lambda i: dr.gather(bk.Float, area_cdf, i) <= sample.x))
        index = index | dr.zeros(bk.UInt32, dr.width(sample.x))
        # One packet gather of the triangle's record, where its fields one by one
        # would take eleven gathers (which CPUs without fast gathers run lane by lane).
        record = dr.gather(bk.ArrayXf, records, index, shape=(FACE_RECORD, dr.width(index)))
        cdf_low, cdf_high = record[9], record[10]
        reused_x = dr.clip((sample.x - cdf_low) / dr.maximum(cdf_high - cdf_low, 1e-12), 0, 1)
        if dr.grad_enabled(self.vertex_positions):
            p0, p1, p2 = self.corners(index)        # derivatives reach the vertices
        else:
            p0, p1, p2 = (bk.Array3f(*record[k:k + 3]) for k in (0, 3, 6))
        # Uniform point in a triangle: fold the unit square onto it.
        b = _square_to_triangle(bk.Array2f(reused_x, sample.y))
        position = p0 * (1 - b.x - b.y) + p1 * b.x + p2 * b.y
        normal = dr.normalize(dr.cross(p1 - p0, p2 - p0))
        if self.flip_normals:
            normal = -normal
        return position, normal, dr.rcp(bk.Float(area)), index, b

    def sample_surface(self, sample):
        """See :meth:`Shape.sample_surface`: the texture coordinates are the
        corners' blended with the point's barycentric coordinates (the
        barycentric coordinates themselves on a mesh without texture
        coordinates, as a hit reports them)."""
        position, normal, pdf, index, b = self._sample_point(sample)
        if not self.has_vertex_texcoords():
            return position, normal, b, pdf
        uv = [dr.gather(bk.Array2f, self.vertex_texcoords, dr.gather(bk.UInt32, self.faces, 3 * index + k))
              for k in range(3)]
        return position, normal, uv[0] * (1 - b.x - b.y) + uv[1] * b.x + uv[2] * b.y, pdf

    def corners(self, face_index, active=True):
        """Differentiable corner positions (three Array3f) of the given faces."""
        return tuple(dr.gather(bk.Array3f, self.vertex_positions,
                               dr.gather(bk.UInt32, self.faces, 3 * face_index + k, active), active)
                     for k in range(3))


def nested_bsdf_and_emitter(props):
    """The BSDF and the area emitter nested in a shape's ``props`` (either may be
    absent): ``(bsdf, emitter)``. Like Mitsuba 3, a shape without a BSDF is a
    diffuse surface of albedo 0.5, or black if it emits (a lamp reflects
    nothing unless told to); emitter None when there is none."""
    bsdf = emitter = None
    for child in props.nested_objects():
        if isinstance(child, Medium):
            continue                    # interior and exterior: see nested_media
        if isinstance(child, BSDF) and bsdf is None:
            bsdf = child
        elif isinstance(child, Emitter) and emitter is None:
            emitter = child
        else:
            raise PluginError(f'shape "{props.plugin}" takes one BSDF and one emitter; '
                              f'got an extra {type(child).__name__}', props.path, props.line)
    if emitter is not None and not emitter.flags() & EmitterFlags.Surface:
        raise PluginError(f'a {type(emitter).__name__} cannot be attached to a shape: only area '
                          'emitters cover a surface', props.path, props.line)
    if bsdf is None:
        bsdf = Diffuse.with_reflectance(0.0 if emitter is not None else 0.5)
    return bsdf, emitter


def put_media(shape, callback):
    """Announce a shape's media, under Mitsuba 3's names."""
    if shape.interior is not None:
        callback.put('interior_medium', shape.interior, ParamFlags.Differentiable)
    if shape.exterior is not None:
        callback.put('exterior_medium', shape.exterior, ParamFlags.Differentiable)


def nested_media(props):
    """``(interior, exterior)``: the media a shape's ``props`` name (Mediums or None)."""
    media = []
    for role in ('interior', 'exterior'):
        medium = props.object(role) if props.has_property(role) else None
        if medium is not None and not isinstance(medium, Medium):
            raise props.error(role, f'"{role}" must be a medium, got a {type(medium).__name__}')
        media.append(medium)
    unnamed = [c for c in props.children if isinstance(c, Medium)]
    if unnamed:
        raise PluginError(f'shape "{props.plugin}": a medium inside a shape needs the name "interior" '
                          'or "exterior"', props.path, props.line)
    return tuple(media)


def _square_to_triangle(sample):
    """Map the unit square to barycentrics (b1, b2) uniform on a triangle."""
    root = dr.sqrt(sample.x)
    return bk.Array2f(1 - root, sample.y * root)


def smooth_vertex_normals(positions, faces):
    """Angle-weighted vertex normals, as Mitsuba 3 computes them (Float, 3N values).

    ``positions``: Float, 3N values; ``faces``: UInt32, 3M indices. Each
    face adds its unit normal times its angle at the vertex; the sums are
    normalised. Degenerate faces add nothing, and a vertex no face reaches
    gets the arbitrary unit normal (1, 0, 0), as in Mitsuba. Differentiable
    with respect to ``positions``.
    """
    vertex_count = dr.width(positions) // 3
    face = dr.arange(bk.UInt32, dr.width(faces) // 3)
    index = [dr.gather(bk.UInt32, faces, 3 * face + k) for k in range(3)]
    corner = [dr.gather(bk.Array3f, positions, i) for i in index]
    face_normal = dr.normalize(dr.cross(corner[1] - corner[0], corner[2] - corner[0]))
    total = dr.zeros(bk.Array3f, vertex_count)
    for k in range(3):
        d0 = dr.normalize(corner[(k + 1) % 3] - corner[k])
        d1 = dr.normalize(corner[(k + 2) % 3] - corner[k])
        angle = dr.safe_acos(dr.dot(d0, d1))
        contribution = face_normal * angle
        valid = dr.all(dr.isfinite(contribution))
        # ReduceMode.Local: the default may spread the sums over per-thread
        # copies whose size is written into the kernel, which then compiles
        # anew for every vertex count (benchmarks/README.md, "Cold loads").
        dr.scatter_add(total, dr.select(valid, contribution, 0), index[k], valid,
                       mode=dr.ReduceMode.Local)
    length = dr.norm(total)
    normals = dr.select(length > 0, total / dr.select(length > 0, length, 1), bk.Array3f(1, 0, 0))
    return dr.ravel(normals)


def smooth_vertex_normals_host(positions, faces):
    """:func:`smooth_vertex_normals` computed with NumPy (float32 NumPy arrays in and
    out: ``positions`` (N, 3), ``faces`` (M, 3); returns 3N values), for meshes
    small enough that a kernel launch costs more than the arithmetic."""
    positions = np.asarray(positions, np.float32).reshape(-1, 3)
    faces = np.asarray(faces, np.int64).reshape(-1, 3)
    corners = positions[faces]                                  # (M, 3 corners, 3)
    with np.errstate(divide='ignore', invalid='ignore'):
        def unit(v):
            return v / np.sqrt(np.sum(v * v, axis=-1, keepdims=True))
        e1, e2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
        face_normal = unit(e1[:, [1, 2, 0]] * e2[:, [2, 0, 1]] - e1[:, [2, 0, 1]] * e2[:, [1, 2, 0]])
        # At corner k: the unit edges towards corners k + 1 and k + 2.
        d0 = unit(corners[:, [1, 2, 0]] - corners)
        d1 = unit(corners[:, [2, 0, 1]] - corners)
        angle = np.arccos(np.clip(np.sum(d0 * d1, axis=-1), -1, 1))          # (M, 3)
        contribution = face_normal[:, None, :] * angle[:, :, None]           # (M, 3, 3)
    contribution[~np.all(np.isfinite(contribution), axis=-1)] = 0
    total = np.zeros((len(positions), 3), np.float64)
    np.add.at(total, faces.ravel(), contribution.reshape(-1, 3))
    length = np.sqrt(np.sum(total * total, axis=1, keepdims=True))
    normals = np.where(length > 0, total / np.where(length > 0, length, 1), [1.0, 0.0, 0.0])
    return normals.astype(np.float32).ravel()


def read_mesh_file(props, reader):
    """The MeshData of the file named by ``filename``; errors name both files."""
    path = resolve_path(props, props.string('filename'))
    try:
        check_regular_file(path, MeshError, 'mesh file')
        return reader(path)
    except MeshError as error:
        # Keep the mesh file's own location and add the scene line that named it.
        raise MeshError(f'{error} (mesh named in {props.location()})') from None

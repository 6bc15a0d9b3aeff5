"""The scene: everything a file describes, and the queries the integrator asks.

A :class:`Scene` owns the shapes, emitters, sensors and the integrator. For
rendering it answers questions about rays and lights, with Mitsuba 3's
names and signatures where Mitsuba 3 has them:

- :meth:`ray_intersect` (a :class:`~tutorial_kit.core.ray.Ray3f` in, a
  :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction3f` out):
  where does a ray first hit a surface? ``si.bsdf()`` and
  ``si.emitter(scene)`` then give each lane's BSDF and emitter;
  :meth:`bsdf_ptr` gives the BSDF from among this scene's BSDFs only.
- :meth:`ray_test`: is a ray blocked before ``maxt`` (shadow rays)?
- :meth:`sample_emitter_direction`, :meth:`pdf_emitter_direction`: a point on
  a light seen from a reference point, its weight and density.
- :meth:`emission`: what radiance does a surface or the environment send back
  along a ray, and how likely was emitter sampling to pick that point?
- :meth:`sample_emitter`: emitter sampling as the path tracer draws it (one
  number to choose the light, two for the point; :meth:`emitter_visible`:
  the visibility alone).
- :meth:`bbox`: the box around all shapes.

The nearest-hit *search* runs outside of automatic differentiation: in a
bounding volume hierarchy over the triangles of all meshes, then, in turn,
through the closed-form ray test of each analytic shape (sphere, disk,
cylinder; few in most scenes, so a loop over them costs less than a second
hierarchy), the nearest hit winning. Many analytic shapes of one kind are
searched together, in a hierarchy over their boxes
(:mod:`~tutorial_kit.renderer.shape_batch`), so that the kernels stay the
same whatever their number. The hit is then *re-evaluated* with
differentiable operations, from the vertex data of a triangle or by the
analytic shape itself, so derivatives reach the vertices, the shapes'
transforms and everything downstream without differentiating the search.
Shapes are numbered in one sequence, meshes and analytic shapes alike:
``si.shape`` indexes :meth:`shapes`. A scene without analytic shapes runs
exactly the triangle code.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.bbox import ScalarBoundingBox3f
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.errors import PluginError, RenderError
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.core.records import packet_records
from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.bsdf import BSDF, BSDFPtr, bsdf_id
from tutorial_kit.renderer.bsdf_batch import BSDFBatch, batch_bsdfs
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags, EmitterPtr
from tutorial_kit.renderer.emitter_batch import AreaLightBatch, BatchedEmitterPtr, batch_area_lights
from tutorial_kit.renderer.integrator import Integrator
from tutorial_kit.renderer.medium import NO_MEDIUM, Medium, MediumPtr, PhaseFunction
from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.renderer.volume import Volume
from tutorial_kit.core.registry import create, declare_interface, register
from tutorial_kit.renderer.sensor import Sensor
from tutorial_kit.renderer.shape import Shape
from tutorial_kit.renderer.shape_batch import ShapeBatch, batch_analytic_shapes
from tutorial_kit.renderer.texture import Texture, shape_reading_textures
from tutorial_kit.renderer.bvh import BVH
from tutorial_kit.renderer.interaction import SHADOW_EPSILON, DirectionSample3f, SurfaceInteraction3f, miss
from tutorial_kit.renderer.preliminary_intersection import PreliminaryIntersection3f
from tutorial_kit.renderer.triangle import ray_triangle
from tutorial_kit.renderer.traversal import ParamFlags

#: Floats per triangle in ``Scene.triangle_records`` (a power of two: one packet gather).
TRIANGLE_RECORD = 16


@register('scene', 'scene')
class Scene(Plugin):
    """All objects of a scene file, in the order the file declares them."""

    def __init__(self, props):
        self.children = props.nested_objects()
        # BSDFs and textures may stand at the top level to be used through <ref>.
        kinds = {Integrator: [], Sensor: [], Shape: [], Emitter: [], BSDF: [], Texture: [], Medium: [],
                 PhaseFunction: [], Volume: []}
        for child in self.children:
            kind = next((k for k in kinds if isinstance(child, k)), None)
            if kind is None:
                raise PluginError(f'a {type(child).__name__} cannot appear directly inside <scene>',
                                  props.path, props.line)
            kinds[kind].append(child)
        if len(kinds[Integrator]) > 1:
            raise PluginError('a scene takes at most one <integrator>', props.path, props.line)
        # Mitsuba's defaults, made through the registry: the interfaces know no plugin.
        self._integrator = (kinds[Integrator] or [create('integrator', Properties('path'))])[0]
        self._sensors = kinds[Sensor] or [create('sensor', Properties('perspective'))]
        self._shapes = kinds[Shape]
        for emitter in kinds[Emitter]:
            if emitter.flags() & EmitterFlags.Surface:
                raise PluginError(f'an area emitter ({type(emitter).__name__}) belongs inside a <shape>, '
                                  'not directly inside <scene>', props.path, props.line)
        environments = [e for e in kinds[Emitter] if e.is_environment()]
        if len(environments) > 1:
            names = ', '.join(type(e).__name__ for e in environments)
            raise PluginError(f'a scene takes at most one environment emitter (constant or envmap), '
                              f'got {len(environments)}: {names}', props.path, props.line)
        self.environment = environments[0] if environments else None
        self._index_materials()
        self.render_count = 0
        # Whether it was loaded in a polarised variant: its integrator then carries
        # Mueller matrices, and renders must happen in such a variant too.
        self.polarized = bk.polarized
        self.build_geometry()

    # -- the tutorial's accessors -------------------------------------------------------
    def sensors(self):
        return self._sensors

    def integrator(self):
        return self._integrator

    def shapes(self):
        return self._shapes

    def emitters(self):
        return self._emitters

    def traverse(self, callback):
        for child in self.children:
            callback.put(None, child, ParamFlags.Differentiable)

    def __repr__(self):
        children = ',\n'.join(repr(child) for child in self.children)
        body = '\n'.join('    ' + line for line in children.split('\n'))
        return f'Scene[\n  children = [\n{body}\n  ]\n]' if self.children else 'Scene[]'

    # -- tables from shapes to their BSDF and emitter -------------------------------------
    def _index_materials(self):
        """Number the distinct BSDFs and emitters and map each shape to them."""
        #: The scene's parameters as ``render`` lists them (kept by the ad layer; None: none yet).
        self.traversal_cache = None
        # An empty scene still gets one (unused) BSDF so that lookups stay valid.
        self.bsdfs = list({id(s.bsdf()): s.bsdf() for s in self._shapes}.values()) or [_black_bsdf()]
        self.area_emitters = [s.emitter() for s in self._shapes if s.emitter() is not None]
        for shape in self._shapes:
            if shape.emitter() is not None:
                shape.emitter().shape = shape
        # All emitters in the order the file declares them (a shape's with its
        # shape), as Mitsuba 3 lists them; emitter sampling chooses among these.
        self._emitters = [child.emitter() if isinstance(child, Shape) else child for child in self.children
                          if isinstance(child, Emitter) or (isinstance(child, Shape) and child.emitter() is not None)]
        emitter_position = {id(e): k for k, e in enumerate(self._emitters)}
        self.area_emitter_index = bk.UInt32([emitter_position[id(e)] for e in self.area_emitters] or [0])
        self.environment_index = emitter_position[id(self.environment)] if self.environment else INVALID_INDEX
        # BSDFs that differ only in constant values run as one (bsdf_batch): the
        # kernels then stay the same size however many shapes have their own.
        self.bsdf_callees, slots = batch_bsdfs(self.bsdfs)
        slot = {id(b): slots[k] for k, b in enumerate(self.bsdfs)}
        emitter_index = {id(e): k for k, e in enumerate(self.area_emitters)}
        self.shape_bsdf = bk.UInt32([slot[id(s.bsdf())][0] for s in self._shapes] or [0])
        self.shape_bsdf_member = bk.UInt32([slot[id(s.bsdf())][1] for s in self._shapes] or [0])
        self.shape_emitter = bk.UInt32([emitter_index.get(id(s.emitter()), INVALID_INDEX)
                                        for s in self._shapes] or [INVALID_INDEX])
        self.shape_normal_sign = bk.Float([-1.0 if s.flip_normals else 1.0 for s in self._shapes] or [1])
        self.shape_has_normals = bk.Bool([s.has_vertex_normals() for s in self._shapes] or [False])
        self.shape_has_texcoords = bk.Bool([_has_texcoords(s) for s in self._shapes] or [False])
        # Each shape's BSDF among all live BSDFs: what si.bsdf() finds it by.
        self.shape_bsdf_id = bk.UInt32([bsdf_id(s.bsdf()) for s in self._shapes] or [0])
        # Textures that read the shape hit (mesh_attribute), with the shapes using each.
        self.shape_textures = shape_reading_textures(self._shapes)
        self._index_media()

    def _index_media(self):
        """Number the media of the shapes' interiors and exteriors and of the sensors
        (``media()``), and give each shape the indices of its two (NO_MEDIUM: none)."""
        found = {}
        for owner in self._shapes:
            for medium in (owner.interior, owner.exterior):
                if medium is not None:
                    found.setdefault(id(medium), medium)
        for sensor in self._sensors:
            if getattr(sensor, 'medium', None) is not None:
                found.setdefault(id(sensor.medium), sensor.medium)
        self._media = list(found.values())
        position = {key: k for k, key in enumerate(found)}

        def index(medium):
            return NO_MEDIUM if medium is None else position[id(medium)]
        self.shape_interior = bk.UInt32([index(s.interior) for s in self._shapes] or [NO_MEDIUM])
        self.shape_exterior = bk.UInt32([index(s.exterior) for s in self._shapes] or [NO_MEDIUM])
        self.shape_transition = bk.Bool([s.is_medium_transition() for s in self._shapes] or [False])

    # -- participating media -------------------------------------------------------------
    def media(self):
        """The media of this scene's shapes and sensors, in a fixed order (a list)."""
        return self._media

    def medium_index(self, medium):
        """The index of ``medium`` (a Medium or None) in :meth:`media`: NO_MEDIUM for None;
        a RenderError for a medium this scene does not hold."""
        if medium is None:
            return NO_MEDIUM
        for k, known in enumerate(self._media):
            if known is medium:
                return k
        raise RenderError('the sensor sits in a medium that no shape or sensor of this scene holds: '
                          'give the scene that sensor (or a shape with that medium)')

    def medium_ptr(self, index):
        """A :class:`~tutorial_kit.renderer.medium.MediumPtr` over :meth:`media` (``index``: UInt32)."""
        return MediumPtr(self._media, index)

    def is_medium_transition(self, si, active=True):
        """Bool: whether the surface of ``si`` bounds a medium (Mitsuba 3's ``si.is_medium_transition()``)."""
        valid = bk.Bool(active) & si.is_valid()
        return valid & dr.gather(bk.Bool, self.shape_transition, si.shape, valid)

    def target_medium(self, si, direction, active=True):
        """UInt32: the medium a ray leaving ``si`` along ``direction`` (world Array3f) enters:
        the shape's exterior on the side its normal points to, its interior on the other."""
        valid = bk.Bool(active) & si.is_valid()
        outside = dr.dot(si.n, direction) > 0
        exterior = dr.gather(bk.UInt32, self.shape_exterior, si.shape, valid)
        interior = dr.gather(bk.UInt32, self.shape_interior, si.shape, valid)
        return dr.select(valid, dr.select(outside, exterior, interior), NO_MEDIUM)

    # -- geometry ------------------------------------------------------------------------
    def build_geometry(self):
        """Join all meshes into one triangle list and build its BVH; list the
        analytic shapes (``self.analytic``: pairs of shape index and shape).

        Global triangle ``i`` belongs to shape ``triangle_shape[i]`` (an index
        into :meth:`shapes`); the joined ``faces`` index the joined vertex arrays.
        """
        self.meshes = [s for s in self._shapes if s.is_mesh()]
        self.analytic = [(k, s) for k, s in enumerate(self._shapes) if not s.is_mesh()]
        self._batch_analytic_shapes()
        hooks = {}
        for shape in self._shapes:
            hooks.setdefault(type(shape).prepare_together, []).append(shape)
        for hook, shapes in hooks.items():
            hook(shapes)
        self._join_vertex_data()
        positions = self._joined_host['positions']
        faces = self._joined_host['faces']
        corners = tuple(positions[faces[:, k]] for k in range(3))
        self.bvh = BVH(*corners)
        self.faces = bk.from_numpy(bk.UInt32, faces)
        mesh_index = [k for k, s in enumerate(self._shapes) if s.is_mesh()]
        face_counts = [s.face_count() for s in self.meshes]
        self.triangle_shape = bk.from_numpy(bk.UInt32, np.repeat(np.array(mesh_index, dtype=np.uint32), face_counts))
        # Area lights on meshes that differ only in radiance and mesh run as one (emitter_batch).
        first = dict(zip(map(id, self.meshes), np.cumsum([0] + face_counts).tolist()))
        in_batches = {id(shape): (batch, m) for batch in self.shape_batches for m, shape in enumerate(batch.members)}
        self.emitter_callees, slots = batch_area_lights(self._emitters, (first, corners), in_batches)
        self.emitter_callee = bk.UInt32([slot[0] for slot in slots] or [0])
        self.emitter_member = bk.UInt32([slot[1] for slot in slots] or [0])
        self.prepare_render()
        self._build_triangle_records()
        for emitter in self._emitters:
            emitter.set_scene(self)

    def _batch_analytic_shapes(self):
        """Split the analytic shapes into those searched one by one (``analytic_alone``:
        pairs of shape index and shape) and batches (``shape_batches``); number
        them in that order (``analytic_callees``: shapes, then batches) and give
        each scene shape its place there (``shape_slot``, INVALID_INDEX for a
        mesh) and its number within its batch (``shape_member``)."""
        self.analytic_alone, self.shape_batches = batch_analytic_shapes(self.analytic)
        self.analytic_callees = [s for _, s in self.analytic_alone] + self.shape_batches
        slot = np.full(len(self._shapes), INVALID_INDEX, np.uint32)
        member = np.zeros(len(self._shapes), np.uint32)
        for k, (index, _) in enumerate(self.analytic_alone):
            slot[index] = k
        for b, batch in enumerate(self.shape_batches):
            indices = batch.shape_index.numpy()
            slot[indices] = len(self.analytic_alone) + b
            member[indices] = np.arange(len(indices), dtype=np.uint32)
        self.shape_slot = bk.from_numpy(bk.UInt32, slot) if len(slot) else bk.UInt32(INVALID_INDEX)
        self.shape_member = bk.from_numpy(bk.UInt32, member) if len(member) else bk.UInt32(0)

    def _build_triangle_records(self):
        """What a hit needs of its triangle, in records of TRIANGLE_RECORD floats
        that :meth:`ray_intersect` reads with one packet gather each::

            triangle_records:  p0 (3) | p1 (3) | p2 (3) | shape (uint32 bits) | normal sign
                               | has normals | has texture coordinates | padding (3)
            triangle_shading:  n0 (3) | n1 (3) | n2 (3) | uv0 (2) | uv1 (2) | uv2 (2) | padding (1)

        The second exists only when some mesh has vertex normals or texture
        coordinates. Values are copied (detached) from the vertex arrays.
        """
        self.triangle_records = self.triangle_shading = None
        m = dr.width(self.triangle_shape)
        if m == 0:
            return
        triangle = dr.arange(bk.UInt32, m)
        vertex = [dr.gather(bk.UInt32, self.faces, 3 * triangle + k) for k in range(3)]
        shape = self.triangle_shape

        def corner_fields(array, array_type):
            return [c for k in range(3) for c in dr.gather(array_type, dr.detach(array), vertex[k])]
        flags = [dr.gather(bk.Bool, has, shape) for has in (self.shape_has_normals, self.shape_has_texcoords)]
        fields = corner_fields(self.vertex_positions, bk.Array3f) + [
            dr.reinterpret_array(bk.Float, shape), dr.gather(bk.Float, self.shape_normal_sign, shape),
            *(dr.select(flag, 1.0, 0.0) for flag in flags)]
        self.triangle_records = packet_records(fields, m, TRIANGLE_RECORD)
        if self.vertex_normals is not None or self.vertex_texcoords is not None:
            normals = (corner_fields(self.vertex_normals, bk.Array3f) if self.vertex_normals is not None
                       else [dr.zeros(bk.Float, m)] * 9)
            texcoords = (corner_fields(self.vertex_texcoords, bk.Array2f) if self.vertex_texcoords is not None
                         else [dr.zeros(bk.Float, m)] * 6)
            self.triangle_shading = packet_records(normals + texcoords, m, TRIANGLE_RECORD)

    def _join_vertex_data(self):
        """Join the meshes' vertex data on the host and upload each joined array once.

        One upload, whatever the number of meshes: Dr.Jit work that grew with
        it (a concatenation of one operation per mesh) would make a kernel
        compiled anew for every new count of shapes. ``self._joined_host``
        keeps the joined NumPy arrays: ``positions`` (V, 3), ``faces`` (M, 3)
        indexing them; ``self._vertex_base`` each mesh's first vertex.
        """
        meshes = self.meshes
        self._vertex_sources = _vertex_sources(meshes)
        self._vertex_base = np.cumsum([0] + [s.vertex_count() for s in meshes])
        host = [_host_arrays(s) for s in meshes]
        positions = [h[0] for h in host]
        faces = [h[1] + np.uint32(self._vertex_base[k]) for k, h in enumerate(host)]
        self._joined_host = {
            'positions': np.concatenate(positions) if positions else np.zeros((0, 3), np.float32),
            'faces': np.concatenate(faces).astype(np.uint32) if faces else np.zeros((0, 3), np.uint32)}

        def uploaded(has, array_of, size):
            if not any(has(s) for s in meshes):
                return None
            parts = [dr.detach(array_of(s)).numpy() if has(s) else np.zeros(size * s.vertex_count(), np.float32)
                     for s in meshes]
            return bk.from_numpy(bk.Float, np.concatenate(parts))
        texcoords = None
        if any(len(h[2]) for h in host):
            texcoords = bk.from_numpy(bk.Float, np.concatenate(
                [h[2] if len(h[2]) else np.zeros((len(h[0]), 2), np.float32) for h in host]))
        self._joined = {
            'positions': bk.from_numpy(bk.Float, self._joined_host['positions']) if meshes else bk.Float(),
            'normals': uploaded(lambda s: s.has_vertex_normals(), lambda s: s.vertex_normals, 3),
            'texcoords': texcoords}

    def prepare_render(self):
        """The meshes' joined vertex data for one render (``vertex_positions``,
        ``vertex_normals``, ``vertex_texcoords``: Float, or None when no mesh has them).

        Called before each render so that the joined arrays track the
        current, gradient-enabled parameter values: the joined upload of
        :meth:`_join_vertex_data`, with the arrays of the meshes whose data
        track derivatives written over their part (an operation per such
        mesh, not per mesh). Arrays changed behind the scene's back (not
        through ``ParameterMap.update``) are joined again.
        """
        meshes = self.meshes
        if _vertex_sources(meshes) != self._vertex_sources:
            self._join_vertex_data()
        base = self._vertex_base
        arrays = [(s.vertex_positions, s.vertex_normals, s.vertex_texcoords) for s in meshes]
        # One question for all meshes first: usually none tracks derivatives.
        tracked = [k for k, a in enumerate(arrays) if dr.grad_enabled(a)] if dr.grad_enabled(arrays) else []

        def spliced(joined, array_of, size):
            if joined is None or not tracked:
                return joined
            joined = dr.copy(joined)
            for k in tracked:
                values = array_of(meshes[k])
                if dr.width(values):
                    dr.scatter(joined, values, dr.arange(bk.UInt32, dr.width(values)) + int(size * base[k]))
            return joined
        self.vertex_positions = spliced(self._joined['positions'], lambda s: s.vertex_positions, 3)
        self.vertex_normals = spliced(self._joined['normals'], lambda s: s.shading_normals(), 3)
        self.vertex_texcoords = spliced(self._joined['texcoords'], lambda s: s.vertex_texcoords, 2)
        # Scatters wait for the next evaluation; run them now, while the
        # arrays they read are certainly alive.
        dr.eval(self.vertex_positions, self.vertex_normals, self.vertex_texcoords)
        for batch in self.shape_batches:
            batch.refresh()
        for callee in self.bsdf_callees + self.emitter_callees:
            if isinstance(callee, (BSDFBatch, AreaLightBatch)):
                callee.refresh()
        # A light that samples its own shape needs the shape's tables (a mesh's area
        # table) built now, outside the path tracer's loop.
        batches = [c for c in self.emitter_callees if isinstance(c, AreaLightBatch)]
        batched = set() if any(b.geometry_tracked() for b in batches) else {
            id(light) for b in batches for light in b.members}
        for light in self.area_emitters:
            if id(light) not in batched and light.shape.is_mesh():
                light.shape.surface_area()
        # Again each render: a texture shared by two scenes reads the one rendered.
        for texture, shape_indices in self.shape_textures:
            texture.attach(self, shape_indices)

    def parameters_changed(self, objects):
        """Refresh after ``ParameterMap.update``: rebuild the BVH if a mesh changed
        (an analytic shape has refreshed itself)."""
        self.traversal_cache = None
        if any(isinstance(obj, Shape) and obj.is_mesh() for obj in objects):
            self._index_materials()
            self.build_geometry()
        else:
            self.prepare_render()

    def _vertex(self, array, face_index, corner, active, array_type=None):
        index = dr.gather(bk.UInt32, self.faces, 3 * face_index + corner, active)
        return dr.gather(array_type or bk.Array3f, array, index, active)

    @staticmethod
    def _texture_coordinates(texcoords, has, u, v, e1, e2, n):
        """``(uv, dp_du)``: the vertex texture coordinates ``texcoords`` (three
        Array2f, used where ``has``) interpolated at barycentrics (u, v) and
        the surface's derivative along u (Array2f, Array3f).

        As in Mitsuba 3, a shape without texture coordinates is parameterised
        by the barycentrics themselves, so that dp/du is the edge e1.
        """
        uv, dp_du = bk.Array2f(u, v), e1
        if texcoords is None:
            return uv, dp_du
        t0, t1, t2 = texcoords
        duv0, duv1 = t1 - t0, t2 - t0
        # Solve [e1 e2] = [dp_du dp_dv] [duv0 duv1] for dp_du.
        det = duv0.x * duv1.y - duv0.y * duv1.x
        solvable = has & (det != 0)
        dp_du_uv = (duv1.y * e1 - duv0.y * e2) / dr.select(solvable, det, 1)
        dp_du = dr.select(solvable, dp_du_uv, dr.select(has, Frame(n).s, dp_du))
        return dr.select(has, t0 * (1 - u - v) + t1 * u + t2 * v, uv), dp_du

    def _hit_triangles(self, prim, valid):
        """The data of triangles ``prim`` (UInt32, masked by ``valid``): a
        :class:`_Triangles` of their corners, shape, normal sign, and vertex
        normals and texture coordinates where meshes have them (else None).

        While no vertex array tracks derivatives, the data come from the
        triangle records (:meth:`_build_triangle_records`): one packet gather
        each, where reading the fields one by one takes up to 32 gathers, which
        LLVM runs lane by lane on CPUs whose gathers it judges slow
        (benchmarks/README.md, "Per-element records"). The price is memory:
        64 bytes per triangle, and as much again with vertex normals or
        texture coordinates. Otherwise they are gathered from the vertex
        arrays, so that derivatives reach the vertices.
        """
        arrays = (self.vertex_positions, self.vertex_normals, self.vertex_texcoords)
        if not any(a is not None and dr.grad_enabled(a) for a in arrays):
            width = dr.width(prim)
            r = dr.gather(bk.ArrayXf, self.triangle_records, prim, valid, shape=(TRIANGLE_RECORD, width))
            corners = tuple(bk.Array3f(*r[k:k + 3]) for k in (0, 3, 6))
            normals = texcoords = None
            if self.triangle_shading is not None:
                g = dr.gather(bk.ArrayXf, self.triangle_shading, prim, valid, shape=(TRIANGLE_RECORD, width))
                if self.vertex_normals is not None:
                    normals = tuple(bk.Array3f(*g[k:k + 3]) for k in (0, 3, 6))
                if self.vertex_texcoords is not None:
                    texcoords = tuple(bk.Array2f(*g[k:k + 2]) for k in (9, 11, 13))
            return _Triangles(corners, dr.reinterpret_array(bk.UInt32, r[9]), r[10],
                              normals, valid & (r[11] != 0), texcoords, valid & (r[12] != 0))
        corners = tuple(self._vertex(self.vertex_positions, prim, k, valid) for k in range(3))
        shape = dr.gather(bk.UInt32, self.triangle_shape, prim, valid)
        sign = dr.gather(bk.Float, self.shape_normal_sign, shape, valid)
        normals = texcoords = None
        smooth = textured = dr.zeros(bk.Bool, dr.width(prim))
        if self.vertex_normals is not None:
            smooth = valid & dr.gather(bk.Bool, self.shape_has_normals, shape, valid)
            normals = tuple(self._vertex(self.vertex_normals, prim, k, smooth) for k in range(3))
        if self.vertex_texcoords is not None:
            textured = valid & dr.gather(bk.Bool, self.shape_has_texcoords, shape, valid)
            texcoords = tuple(self._vertex(self.vertex_texcoords, prim, k, textured, bk.Array2f)
                              for k in range(3))
        return _Triangles(corners, shape, sign, normals, smooth, texcoords, textured)

    # -- ray queries ---------------------------------------------------------------------
    def ray_intersect(self, ray, *args, active=True, ray_flags=None, coherent=None, reorder=None,
                      reorder_hint=None, reorder_hint_bits=None):
        """Nearest hit along each ray, re-evaluated differentiably.

        ``ray``: a :class:`~tutorial_kit.core.ray.Ray3f` (``d`` unit, so that
        ``t`` is a length); ``active``: Bool. Mitsuba 3's longer forms,
        ``ray_intersect(ray, ray_flags, coherent, active)`` (and with
        ``reorder``, ``reorder_hint``, ``reorder_hint_bits`` before ``active``),
        are accepted: every field is always computed, and the hints that steer
        Mitsuba's ray tracer change nothing here (:data:`~tutorial_kit.renderer.interaction.RayFlags`).
        Returns a
        :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction3f`; where
        the ray hits nothing, ``is_valid()`` is False and ``wi`` is ``-ray.d``.
        The search runs outside automatic differentiation; ``t``, ``p``,
        ``n``, ``uv``, ``dp_du``, ``sh_frame`` and ``wi`` are computed again
        from the hit triangle's vertex data, so that derivatives reach the
        vertices, the ray and the texture coordinates.
        """
        active = _trailing_active(args, active, _INTERSECT_ACTIVE)
        origin, direction = ray.o, ray.d
        if not self._shapes:
            return miss(dr.width(origin), direction)
        if not self.analytic:
            return self._intersect_triangles(ray, active)
        # Triangles first, then the analytic shapes within the distance found so far.
        width = dr.width(origin)
        if self.meshes:
            t, prim, _, _ = self.bvh.intersect(dr.detach(origin), dr.detach(direction),
                                               dr.detach(ray.maxt), active, barycentrics=False)
        else:
            t, prim = dr.full(bk.Float, dr.inf, width), dr.full(bk.UInt32, INVALID_INDEX, width)
        nearest = dr.select(prim != INVALID_INDEX, t, dr.detach(ray.maxt) + dr.zeros(bk.Float, width))
        nearest, which, member = self._search_analytic(Ray3f(dr.detach(origin), dr.detach(direction), nearest),
                                                       active)
        si = self._intersect_triangles(ray, active & (which == INVALID_INDEX), t=t, prim=prim) \
            if self.meshes else miss(width, direction)
        return self._analytic_hits(ray, nearest, which, member, active, si)

    def _search_analytic(self, search, active):
        """The nearest analytic shape hit along ``search`` (a detached Ray3f) within
        ``search.maxt``: ``(t, which, member)``, its distance (``search.maxt``
        where none), its place in ``analytic_callees`` (INVALID_INDEX where none)
        and, for a batch, the shape's number in it (UInt32 each)."""
        width = dr.width(search.o)
        nearest = search.maxt + dr.zeros(bk.Float, width)
        which = dr.full(bk.UInt32, INVALID_INDEX, width)
        member = dr.zeros(bk.UInt32, width)
        for k, callee in enumerate(self.analytic_callees):
            search.maxt = nearest
            if isinstance(callee, ShapeBatch):
                t_shape, found = callee.intersect(search, active)
                member = dr.select(t_shape < nearest, found, member)
            else:
                t_shape = callee.ray_intersect_preliminary(search, active)
            closer = t_shape < nearest
            nearest = dr.select(closer, t_shape, nearest)
            which = dr.select(closer, k, which)
        return nearest, which, member

    def _analytic_hits(self, ray, t, which, member, active, si):
        """``si`` with the lanes that hit an analytic shape (``which``, ``member``: from
        :meth:`_search_analytic`, at distance ``t``) replaced by that shape's
        differentiable surface interaction."""
        width = dr.width(t)
        direction = ray.d
        for k, callee in enumerate(self.analytic_callees):
            mine = active & (which == k)
            if isinstance(callee, ShapeBatch):
                hit = callee.view(member, mine).compute_surface_interaction(ray, t, mine)
                hit.shape = callee.scene_index(member, mine)
                hit.bsdf_id = dr.gather(bk.UInt32, self.shape_bsdf_id, hit.shape, mine)
            else:
                hit = callee.compute_surface_interaction(ray, t, mine)
                hit.shape = dr.full(bk.UInt32, self.analytic_alone[k][0], width)
                hit.bsdf_id = dr.full(bk.UInt32, bsdf_id(callee.bsdf()), width)
            hit.prim_index = dr.zeros(bk.UInt32, width)
            hit.wi = hit.sh_frame.to_local(-direction)
            si = dr.select(mine, hit, si)
        return si

    def ray_intersect_preliminary(self, ray, *args, active=True, coherent=None, reorder=None,
                                  reorder_hint=None, reorder_hint_bits=None):
        """The nearest hit along each ray, found but not yet computed (Mitsuba 3's
        ``ray_intersect_preliminary(ray, coherent, active)``): a
        :class:`~tutorial_kit.renderer.preliminary_intersection.PreliminaryIntersection3f`
        whose ``compute_surface_interaction(ray)`` gives what :meth:`ray_intersect`
        returns. The search runs outside automatic differentiation."""
        active = bk.Bool(_trailing_active(args, active, _INTERSECT_ACTIVE))
        PreliminaryIntersection3f.remember_scene(self)
        origin, direction = dr.detach(ray.o), dr.detach(ray.d)
        width = max(dr.width(origin), dr.width(direction), dr.width(active))
        t = dr.full(bk.Float, dr.inf, width)
        prim = dr.full(bk.UInt32, INVALID_INDEX, width)
        shape = dr.full(bk.UInt32, INVALID_INDEX, width)
        if self.meshes:
            t, prim, _, _ = self.bvh.intersect(origin, direction, dr.detach(ray.maxt), active, barycentrics=False)
            hit = prim != INVALID_INDEX
            shape = dr.select(hit, dr.gather(bk.UInt32, self.triangle_shape, prim, hit), shape)
            t = dr.select(hit, t, dr.inf)
        if self.analytic:
            t_max = dr.minimum(t, dr.detach(ray.maxt))
            t_shape, which, member = self._search_analytic(Ray3f(origin, direction, t_max), active)
            closer = active & (which != INVALID_INDEX)
            t = dr.select(closer, t_shape, t)
            shape = dr.select(closer, self._analytic_shape_index(which, member, closer), shape)
            prim = dr.select(closer, INVALID_INDEX, prim)
        return PreliminaryIntersection3f(t, prim, shape)

    def _analytic_shape_index(self, which, member, active):
        """UInt32: the index in :meth:`shapes` of the analytic shape ``which``, ``member``
        (as :meth:`_search_analytic` gives them) where ``active``."""
        shape = dr.full(bk.UInt32, INVALID_INDEX, dr.width(which))
        for k, callee in enumerate(self.analytic_callees):
            mine = active & (which == k)
            index = callee.scene_index(member, mine) if isinstance(callee, ShapeBatch) \
                else self.analytic_alone[k][0]
            shape = dr.select(mine, index, shape)
        return shape

    def surface_interaction(self, pi, ray, active=True):
        """The SurfaceInteraction3f of the hit ``pi`` (a PreliminaryIntersection3f)
        along ``ray``, computed as :meth:`ray_intersect` computes it."""
        active = bk.Bool(active) & pi.is_valid()
        width = max(dr.width(ray.o), dr.width(pi.t))
        triangles = active & (pi.prim_index != INVALID_INDEX)
        si = self._intersect_triangles(ray, triangles, t=pi.t, prim=pi.prim_index) \
            if self.meshes else miss(width, ray.d)
        if not self.analytic:
            return si
        analytic = active & (pi.prim_index == INVALID_INDEX)
        which = dr.gather(bk.UInt32, self.shape_slot, pi.shape_index, analytic)
        member = dr.gather(bk.UInt32, self.shape_member, pi.shape_index, analytic)
        return self._analytic_hits(ray, pi.t + dr.zeros(bk.Float, width), dr.select(analytic, which, INVALID_INDEX),
                                   member, active, si)

    def _intersect_triangles(self, ray, active, t=None, prim=None):
        """The nearest triangle hit (SurfaceInteraction3f); ``t``, ``prim``: the BVH's
        answer when already asked (UInt32 ``prim``; only lanes of ``active`` count)."""
        origin, direction = ray.o, ray.d
        if t is None:
            t, prim, _, _ = self.bvh.intersect(dr.detach(origin), dr.detach(direction),
                                               dr.detach(ray.maxt), active, barycentrics=False)
        valid = active & (prim != INVALID_INDEX)
        hit = self._hit_triangles(prim, valid)
        p0, p1, p2 = hit.corners
        # Moller-Trumbore again, now differentiable: t, u, v follow the vertices.
        e1, e2 = p1 - p0, p2 - p0
        _, t, u, v = ray_triangle(origin, direction, p0, e1, e2)
        t = dr.select(valid, t, dr.inf)
        p = p0 * (1 - u - v) + p1 * u + p2 * v
        n = dr.normalize(dr.cross(e1, e2)) * hit.sign
        shading_n = n
        if hit.normals is not None:
            n0, n1, n2 = hit.normals
            interpolated = dr.normalize(n0 * (1 - u - v) + n1 * u + n2 * v) * hit.sign
            shading_n = dr.select(hit.smooth, interpolated, n)
        uv, dp_du = self._texture_coordinates(hit.texcoords, hit.textured, u, v, e1, e2, n)
        frame = Frame.with_tangent(shading_n, dp_du)
        return SurfaceInteraction3f(t=t, time=ray.time, p=p, n=n, shape=hit.shape, uv=uv, sh_frame=frame,
                                    dp_du=dp_du, wi=dr.select(valid, frame.to_local(-direction), -direction),
                                    prim_index=prim,
                                    bsdf_id=dr.gather(bk.UInt32, self.shape_bsdf_id, hit.shape, valid))

    def ray_test(self, ray, *args, active=True, coherent=None):
        """Bool: True where something blocks the ray (``ray``: Ray3f) before ``ray.maxt``.
        Not differentiable (a yes or no). ``ray_test(ray, coherent, active)``,
        Mitsuba 3's other form, is accepted; ``coherent`` changes nothing here."""
        active = _trailing_active(args, active, _TEST_ACTIVE)
        if not self.analytic:
            return self.bvh.occluded(dr.detach(ray.o), dr.detach(ray.d), dr.detach(ray.maxt), active)
        ray = Ray3f(dr.detach(ray.o), dr.detach(ray.d), dr.detach(ray.maxt))
        blocked = self.bvh.occluded(ray.o, ray.d, ray.maxt, active) if self.meshes \
            else dr.zeros(bk.Bool, dr.width(ray.o))
        for callee in self.analytic_callees:
            if isinstance(callee, ShapeBatch):
                blocked |= callee.occluded(ray, active & ~blocked)
            else:
                blocked |= callee.ray_test(ray, active & ~blocked)
        return blocked

    def bbox(self):
        """The :class:`~tutorial_kit.core.bbox.ScalarBoundingBox3f` of all shapes
        (invalid, min > max, for a scene without shapes)."""
        box = ScalarBoundingBox3f()
        # The meshes' box from their joined vertices: one NumPy pass, where asking
        # each of thousands of meshes would read each one back.
        if self.meshes:
            if _vertex_sources(self.meshes) != self._vertex_sources:
                self._join_vertex_data()
            positions = self._joined_host['positions']
            if len(positions):
                box.expand(ScalarBoundingBox3f(positions.min(axis=0), positions.max(axis=0)))
        for _, shape in self.analytic_alone:
            box.expand(shape.bbox())
        for batch in self.shape_batches:
            box.expand(ScalarBoundingBox3f(*batch.bbox))
        return box

    def bsdf_ptr(self, si, active=True):
        """The BSDF of each lane of ``si`` (a
        :class:`~tutorial_kit.renderer.bsdf.BSDFPtr` over this scene's BSDFs;
        none where the ray escaped or ``active`` is False).

        What ``si.bsdf()`` gives for a hit of this scene, found among this
        scene's BSDFs only: the integrators' kernels then stay the same
        whatever other scenes are alive (see :mod:`tutorial_kit.renderer.bsdf`).
        """
        return self.shape_bsdf_ptr(si.shape, active & si.is_valid())

    def shape_bsdf_ptr(self, shape, valid):
        """The :class:`~tutorial_kit.renderer.bsdf.BSDFPtr` of the shapes ``shape``
        (UInt32 indices into :meth:`shapes`) where ``valid`` (Bool); none elsewhere."""
        index = dr.gather(bk.UInt32, self.shape_bsdf, shape, valid)
        if any(isinstance(c, BSDFBatch) for c in self.bsdf_callees):
            member = dr.gather(bk.UInt32, self.shape_bsdf_member, shape, valid)
            callees = [c.bound(member) if isinstance(c, BSDFBatch) else c for c in self.bsdf_callees]
        else:
            callees = self.bsdf_callees
        return BSDFPtr(callees, dr.select(valid, index, INVALID_INDEX))

    # -- light -------------------------------------------------------------------------
    def shape_emitter_ptr(self, shape, valid):
        """The :class:`~tutorial_kit.renderer.emitter.EmitterPtr` of the area lights
        on the shapes ``shape`` (UInt32 indices into :meth:`shapes`) where ``valid``;
        none elsewhere, and on shapes that do not emit."""
        index = dr.full(bk.UInt32, INVALID_INDEX, dr.width(shape))
        if self.area_emitters:
            area = dr.gather(bk.UInt32, self.shape_emitter, shape, valid)
            emissive = valid & (area != INVALID_INDEX)
            index = dr.select(emissive, dr.gather(bk.UInt32, self.area_emitter_index, area, emissive), index)
        return self.emitters_at(index)

    def emitter_ptr_of(self, index):
        """The :class:`~tutorial_kit.renderer.emitter.EmitterPtr` of the emitters
        ``index`` (UInt32 into :meth:`emitters`; out of range: none)."""
        return self.emitters_at(index)

    def emitter_ptr(self, si, active=True):
        """The emitter of each lane of ``si`` (an
        :class:`~tutorial_kit.renderer.emitter.EmitterPtr` over :meth:`emitters`):
        the area light of the shape hit, the environment where the ray escaped."""
        valid = si.is_valid()
        index = self.shape_emitter_ptr(si.shape, valid).index
        if self.environment is not None:
            index = dr.select(valid, index, self.environment_index)
        return self.emitters_at(dr.select(active, index, INVALID_INDEX))

    def emitters_at(self, index):
        """An :class:`~tutorial_kit.renderer.emitter.EmitterPtr` over :meth:`emitters`
        for the emitter indices ``index`` (UInt32 per lane; out of range: none)
        that calls each batch of area lights once (:mod:`~tutorial_kit.renderer.emitter_batch`)."""
        batches = [c for c in self.emitter_callees if isinstance(c, AreaLightBatch)]
        if not batches or any(batch.geometry_tracked() for batch in batches):
            return EmitterPtr(self._emitters, index)
        valid = index < len(self._emitters)
        callee = dr.select(valid, dr.gather(bk.UInt32, self.emitter_callee, index, valid), INVALID_INDEX)
        member = dr.gather(bk.UInt32, self.emitter_member, index, valid)
        return BatchedEmitterPtr(self._emitters, index, self.emitter_callees, callee, member)

    def emission(self, si, direction, active):
        """Radiance arriving along rays ``direction`` (unit world Array3f) that ended in ``si``.

        Returns ``(radiance, pdf)``: Color3f, and the solid-angle density with
        which :meth:`sample_emitter` would have produced the same direction
        (needed to weigh the two strategies against each other).
        """
        radiance = dr.zeros(bk.Color3f, dr.width(si.t))
        pdf = dr.zeros(bk.Float, dr.width(si.t))
        choice = 1.0 / max(len(self._emitters), 1)
        valid = si.is_valid()
        ds = DirectionSample3f.from_hit(si, direction)
        if self.area_emitters:
            index = dr.gather(bk.UInt32, self.shape_emitter, si.shape, valid)
            emissive = active & valid & (index != INVALID_INDEX)
            lights = self.emitters_at(dr.select(emissive, dr.gather(bk.UInt32, self.area_emitter_index, index,
                                                                    emissive), INVALID_INDEX))
            radiance = dr.select(emissive, lights.eval(si, emissive), radiance)
            pdf = dr.select(emissive, lights.pdf_direction(si, ds, emissive) * choice, pdf)
        if self.environment is not None:
            escaped = active & ~valid
            radiance = dr.select(escaped, self.environment.eval(si, escaped), radiance)
            pdf = dr.select(escaped, self.environment.pdf_direction(si, ds, escaped) * choice, pdf)
        return radiance, pdf

    def is_emitter(self, si):
        """Bool: whether ``si`` lies on an area emitter, or is an escaped ray
        that the environment (if any) lights."""
        valid = si.is_valid()
        on_emitter = valid & (dr.gather(bk.UInt32, self.shape_emitter, si.shape, valid) != INVALID_INDEX)
        return on_emitter | (~valid & (self.environment is not None))

    def sample_emitter(self, si, sample1, sample2, active, test_visibility=True):
        """Choose a light uniformly with ``sample1`` (Float), a point on it with
        ``sample2`` (Array2f), and test its visibility from ``si``.

        Returns ``(ds, weight)``: a :class:`DirectionSample3f` (density per solid
        angle including the choice of light; ``emitter`` its index) and the
        Color3f radiance / pdf, zero where the point is hidden. With
        ``test_visibility=False`` no shadow ray is traced and ``weight`` is the
        unoccluded one (as in Mitsuba 3); :meth:`emitter_visible` then tests
        the rays that matter. :meth:`sample_emitter_direction` is the same with
        Mitsuba 3's signature.
        """
        count = len(self._emitters)
        if count == 0:
            # No light at all: nothing to sample, and the image is black, as in Mitsuba.
            width = dr.width(si.p)
            return dr.zeros(DirectionSample3f, width), dr.zeros(bk.Color3f, width)
        index = dr.minimum(bk.UInt32(sample1 * count), count - 1)
        return self._sample_chosen_emitter(si, index, sample2, active, test_visibility)

    def _sample_chosen_emitter(self, ref, index, sample, active, test_visibility):
        """A point on emitter ``index`` (UInt32 per lane, chosen with probability
        1 / count) seen from ``ref``: ``(ds, weight)`` as :meth:`sample_emitter`."""
        count = len(self._emitters)
        ds, weight = self.emitters_at(index).sample_direction(ref, sample)
        ds.pdf = ds.pdf / count
        ds.emitter_index = index
        DirectionSample3f.remember_scene(self)
        weight = dr.select(active & (ds.pdf > 0), weight * count, 0)
        if test_visibility:
            weight = dr.select(self.emitter_visible(ref, ds, active), weight, 0)
        return ds, weight

    def sample_emitter_direction(self, ref, sample, test_visibility=True, active=True):
        """Emitter sampling as Mitsuba 3 offers it: from the reference point ``ref``
        (an Interaction3f), choose a light uniformly with ``sample.x``, reuse
        what is left of ``sample.x`` and ``sample.y`` (Array2f in [0, 1)^2) for a
        point on it.

        Returns ``(ds, weight)``: a :class:`DirectionSample3f` (``pdf`` per
        solid angle, including the choice of light) and the Color3f
        radiance / pdf, zero where the point is hidden (``test_visibility``).
        Differentiable in the emitters' radiance and in ``ref.p``.
        """
        sample = bk.Array2f(sample)
        count = len(self._emitters)
        if count == 0:
            return self.sample_emitter(ref, sample.x, sample, active, test_visibility)
        scaled = sample.x * count
        index = dr.minimum(bk.UInt32(scaled), count - 1)
        reused = bk.Array2f(dr.minimum(scaled - bk.Float(index), dr.one_minus_epsilon(bk.Float)), sample.y)
        return self._sample_chosen_emitter(ref, index, reused, active, test_visibility)

    def sample_emitter_ray(self, time, sample1, sample2, sample3, active=True):
        """A ray leaving a light, for a light path (Mitsuba 3's signature): the
        light is chosen uniformly with ``sample1`` (Float), the point on it with
        ``sample2`` and the direction with ``sample3`` (Array2f each).

        Returns ``(ray, weight, emitter)``: a Ray3f, the Color3f power it
        carries (:meth:`Emitter.sample_ray`'s weight over the probability of
        choosing that light) and the light's index (UInt32) in :meth:`emitters`.
        """
        count = len(self._emitters)
        width = dr.width(sample2)
        if count == 0:
            return dr.zeros(Ray3f, width), dr.zeros(bk.Color3f, width), dr.zeros(bk.UInt32, width)
        index = dr.minimum(bk.UInt32(sample1 * count), count - 1)
        ray, weight = self.emitters_at(index).call(
            lambda e: e.sample_ray(time, sample1, sample2, sample3, active), active)
        return ray, dr.select(active, weight * count, 0), index

    def sample_emitter_position(self, time, sample1, sample2, active=True):
        """A point on a light chosen uniformly with ``sample1``, for connecting the
        light to the camera: ``(ps, weight, emitter)``, the position record of
        :meth:`Emitter.sample_position`, the Color3f radiance it emits over the
        density of choosing it (light and point), and the light's index (UInt32).
        Delta lights and lights with no surface give zero weight."""
        count = len(self._emitters)
        width = dr.width(sample2)
        index = dr.minimum(bk.UInt32(sample1 * count), max(count - 1, 0))
        if not any(e.flags() & EmitterFlags.Surface and not e.is_delta() for e in self._emitters):
            return dr.zeros(DirectionSample3f, width), dr.zeros(bk.Color3f, width), index
        def sampled(emitter):
            if not emitter.flags() & EmitterFlags.Surface or emitter.is_delta():
                return dr.zeros(DirectionSample3f, width), dr.zeros(bk.Color3f, width)
            ps, weight = emitter.sample_position(time, sample2, active)
            return ps, emitter.eval_radiance(ps, active) * weight
        ps, weight = self.emitters_at(index).call(sampled, active)
        return ps, weight * count, index

    def pdf_emitter_direction(self, ref, ds, active=True):
        """Float: the density (1/sr) with which :meth:`sample_emitter_direction` from
        ``ref`` produces the point of ``ds`` on the emitter ``ds.emitter``."""
        count = max(len(self._emitters), 1)
        return self.emitters_at(ds.emitter_index).pdf_direction(ref, ds, active) / count

    def eval_emitter_direction(self, ref, ds, active=True):
        """Color3f: the light the emitter of ``ds`` sends to ``ref`` through ``ds``'s
        point, evaluated again (Mitsuba 3's name; see ``Emitter.eval_direction``)."""
        return self.emitters_at(ds.emitter_index).eval_direction(ref, ds, active)

    def emitter_visible(self, si, ds, active):
        """Bool: whether the light point of ``ds`` (from :meth:`sample_emitter`)
        is seen from ``si``, by a shadow ray traced where ``active``; False
        elsewhere."""
        origin = si.offset_origin(ds.d)
        t_max = dr.select(dr.isinf(ds.dist), dr.inf, ds.dist * (1 - SHADOW_EPSILON))
        test = active & (ds.pdf > 0)
        return test & ~self.ray_test(Ray3f(origin, ds.d, t_max), test)


def _trailing_active(args, active, where):
    """The ``active`` mask of a query called in one of Mitsuba 3's overloads.

    ``args``: the positional arguments after the ray; ``where`` maps each
    number of them that an overload takes to the position of ``active``
    among them (None: that overload leaves it to its keyword). A TypeError
    for any other number.
    """
    if not args:
        return active
    if len(args) not in where:
        raise TypeError(f'expected the ray and then {" or ".join(map(str, where))} arguments, '
                        f'got {len(args)}')
    return active if where[len(args)] is None else args[where[len(args)]]


#: ray_intersect(ray, active), (ray, ray_flags, coherent[, active]),
#: (ray, ray_flags, coherent, reorder[, reorder_hint[, reorder_hint_bits[, active]]]).
_INTERSECT_ACTIVE = {1: 0, 2: None, 3: 2, 4: None, 5: None, 6: 5}
#: ray_test(ray, active), (ray, coherent, active).
_TEST_ACTIVE = {1: 0, 2: 1}


def _black_bsdf():
    """A diffuse BSDF of reflectance 0, from the registry."""
    props = Properties('diffuse')
    props.set('reflectance', 0.0, 'float')
    return create('bsdf', props)


def _vertex_sources(meshes):
    """The Dr.Jit variables holding each mesh's vertex data (to notice a change)."""
    return [(s.vertex_positions.index, s.vertex_normals.index, s.vertex_texcoords.index, s.faces.index)
            for s in meshes]


def _host_arrays(mesh):
    """A mesh's ``(positions (V, 3), faces (M, 3), texcoords (V, 2) or (0, 2))`` as NumPy:
    kept from loading when it has them (:meth:`Mesh.host_arrays`), else read back."""
    if hasattr(mesh, 'host_arrays'):
        return mesh.host_arrays()
    return (dr.detach(mesh.vertex_positions).numpy().reshape(-1, 3), mesh.faces.numpy().reshape(-1, 3),
            dr.detach(mesh.vertex_texcoords).numpy().reshape(-1, 2))


def _has_texcoords(shape):
    """Whether ``shape`` is a mesh with per-vertex texture coordinates."""
    return shape.is_mesh() and dr.width(shape.vertex_texcoords) > 0


class _Triangles(NamedTuple):
    """Data of the triangles that rays hit (see :meth:`Scene._hit_triangles`)."""
    corners: Tuple[bk.Array3f, bk.Array3f, bk.Array3f]
    shape: bk.UInt32                    # index into scene.shapes
    sign: bk.Float                      # -1 where the shape's normals are flipped, else 1
    normals: Optional[Tuple[bk.Array3f, bk.Array3f, bk.Array3f]]       # vertex normals
    smooth: bk.Bool                     # where ``normals`` apply
    texcoords: Optional[Tuple[bk.Array2f, bk.Array2f, bk.Array2f]]     # vertex texture coordinates
    textured: bk.Bool                   # where ``texcoords`` apply


declare_interface('scene', Scene)

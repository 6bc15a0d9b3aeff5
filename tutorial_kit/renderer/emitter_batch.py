"""Area lights that differ only in their radiance and their shape run as one.

A scene where many shapes glow, each with an ``area`` emitter of its own
colour, would otherwise call every light one by one wherever the path
tracer asks a light (:class:`~tutorial_kit.renderer.emitter.EmitterPtr`):
kernels holding a copy of the light's code per light, growing with the
scene and compiled anew for every new count. As for BSDFs
(:mod:`tutorial_kit.renderer.bsdf_batch`), lights of the same class and
settings whose radiance is a constant texture and whose shape is a mesh
form one :class:`AreaLightBatch`:

- the radiances sit in a table, a row per light (the BSDF batches' table of
  constant values, :class:`~tutorial_kit.renderer.bsdf_batch.BSDFBatch`,
  over the lights' radiance textures);
- the triangles of all their meshes sit in one table of sampling records
  (corners, and the running sum of areas within the triangle's mesh), with
  each light's first triangle, triangle count, total area and normal sign.

:meth:`AreaLightBatch.bound` gives, for the light chosen in each lane, a copy
of the first light whose radiance reads that lane's row and whose shape
(:class:`_BatchedMeshes`) samples that lane's mesh: a point chosen by area
with a binary search over its own triangles, as a mesh does
(:meth:`~tutorial_kit.plugins.shapes.mesh.Mesh.sample_position`). One copy of
the light's code then serves the whole batch.

Lights on analytic shapes (spheres, disks, cylinders) batch the same way
when their shapes are members of one
:class:`~tutorial_kit.renderer.shape_batch.ShapeBatch`: the copy's shape
is then that batch's view of each lane's shape, which samples it with its
class's own code.

The records hold the vertices as they were when the scene was built; a
scene rebuilds them when meshes move (``ParameterMap.update``). While a
light's mesh tracks derivatives, the scene calls its batch's lights one by
one (:meth:`AreaLightBatch.geometry_tracked`), so that they reach the vertices.
"""
import copy

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.dispatch import dispatch
from tutorial_kit.renderer.bsdf_batch import BSDFBatch, Unbatchable, is_value_texture, signature
from tutorial_kit.renderer.emitter import EmitterFlags, EmitterPtr
from tutorial_kit.renderer.shape import seen_from, solid_angle_density

#: Floats per triangle in a batch's sampling records (a power of two: one packet gather).
RECORD = 16
#: Attributes of a light that may differ within a batch (the radiance's value is
#: in the table, the shape in the records).
_PER_LIGHT = frozenset({'id', '_id', 'shape', 'radiance'})


def batch_area_lights(emitters, triangles, shape_batches=None):
    """Group ``emitters`` (the scene's, in order) into batches of area lights.

    ``triangles``: ``(first, corners)``: ``first`` maps ``id(mesh)`` to the
    index of the mesh's first triangle in ``corners``, three float32 arrays
    (M, 3) of all the scene's triangles' corners (each mesh's in a row).
    ``shape_batches``: maps ``id(shape)`` to ``(ShapeBatch, member)`` for the
    analytic shapes intersected in batches (none when omitted).
    Returns ``(callees, slots)`` as :func:`~tutorial_kit.renderer.bsdf_batch.batch_bsdfs`:
    ``callees``, emitters alone or :class:`AreaLightBatch` es; ``slots``, for
    each emitter, ``(position in callees, member index)``.
    """
    shape_batches = shape_batches or {}
    groups = {}
    for k, emitter in enumerate(emitters):
        groups.setdefault(_batch_key(emitter, k, shape_batches), []).append(k)
    callees, slots = [], [None] * len(emitters)
    for members in groups.values():
        position = len(callees)
        if len(members) == 1:
            callees.append(emitters[members[0]])
        else:
            callees.append(AreaLightBatch([emitters[k] for k in members], triangles, shape_batches))
        for m, k in enumerate(members):
            slots[k] = (position, m)
    return callees, slots


def _batch_key(emitter, k, shape_batches):
    """What lights of one batch share, or ``('alone', k)`` for a light that runs on its own."""
    shape, radiance = getattr(emitter, 'shape', None), getattr(emitter, 'radiance', None)
    if not (emitter.flags() & EmitterFlags.Surface and shape is not None and is_value_texture(radiance)):
        return ('alone', k)
    if shape.is_mesh() and shape.face_count() > 0:
        shapes = 'meshes'
    elif id(shape) in shape_batches:
        shapes = id(shape_batches[id(shape)][0])       # the lights of one ShapeBatch's shapes
    else:
        return ('alone', k)
    try:
        settings = tuple((name, signature(value, 1)) for name, value in vars(emitter).items()
                         if name not in _PER_LIGHT)
        return ('batch', type(emitter), settings, signature(radiance, 1), shapes)
    except Unbatchable:
        return ('alone', k)


class AreaLightBatch:
    """Area lights that differ only in their radiance's value and their shape
    (meshes, or members of one ShapeBatch).

    ``members``: two or more lights with equal :func:`_batch_key`;
    ``triangles``, ``shape_batches``: see :func:`batch_area_lights`. Call
    :meth:`refresh` when radiances may have changed (the scene does before
    each render), then :meth:`bound` for the light to call.
    """

    def __init__(self, members, triangles, shape_batches=None):
        self.members = list(members)
        self.radiances = BSDFBatch([m.radiance for m in self.members], [[m.radiance] for m in self.members])
        first_shape = self.members[0].shape
        if first_shape.is_mesh():
            self.shape_batch = None
            self._build_records(*triangles)
        else:
            # Each light's shape is a member of the one ShapeBatch: its number there.
            self.shape_batch = shape_batches[id(first_shape)][0]
            self.shape_member = bk.UInt32([shape_batches[id(m.shape)][1] for m in self.members])
        self.refresh()

    def __repr__(self):
        return f'AreaLightBatch[{type(self.members[0]).__name__} x {len(self.members)}]'

    def _build_records(self, first, corners):
        """The members' triangles as sampling records (RECORD floats each: p0, p1, p2,
        the running sum of areas within the mesh before and up to the triangle,
        normalised), and per member its first record, count, area and normal sign."""
        meshes = [m.shape for m in self.members]
        counts = np.array([mesh.face_count() for mesh in meshes], np.int64)
        starts = np.array([first[id(mesh)] for mesh in meshes], np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        owner = np.repeat(np.arange(len(meshes)), counts)
        rows = starts[owner] + np.arange(counts.sum()) - offsets[owner]
        p0, p1, p2 = (c[rows].astype(np.float64) for c in corners)
        areas = 0.5 * np.linalg.norm(np.cross(p1 - p0, p2 - p0), axis=1)
        running = np.cumsum(areas)
        before = running[offsets] - areas[offsets]         # each mesh's start of the running sum
        totals = np.add.reduceat(areas, offsets)
        cdf = running - before[owner]
        cdf = np.where(totals[owner] > 0, cdf / np.where(totals[owner] > 0, totals[owner], 1), cdf)
        records = np.zeros((len(rows), RECORD), np.float32)
        records[:, :9] = np.concatenate([p0, p1, p2], axis=1)
        records[:, 9] = np.where(np.arange(len(rows)) == offsets[owner], 0, np.roll(cdf, 1))
        records[:, 10] = cdf
        self.records = bk.from_numpy(bk.Float, records.ravel())
        self.cdf = bk.from_numpy(bk.Float, cdf.astype(np.float32))
        self.first = bk.from_numpy(bk.UInt32, offsets.astype(np.uint32))
        self.count = bk.from_numpy(bk.UInt32, counts.astype(np.uint32))
        self.area = bk.from_numpy(bk.Float, totals.astype(np.float32))
        self.sign = bk.from_numpy(bk.Float, np.array([-1.0 if mesh.flip_normals else 1.0 for mesh in meshes],
                                                     np.float32))
        #: Binary search steps that find a triangle in the largest mesh.
        self.search_steps = int(counts.max() - 1).bit_length() + 1

    def refresh(self):
        """Rebuild the radiance table if a member's radiance changed; note whether a
        member's mesh tracks derivatives (asked once per render, not at every call)."""
        self.radiances.refresh()
        with dr.resume_grad():
            self._geometry_tracked = any(m.shape.parameters_grad_enabled() for m in self.members)

    def geometry_tracked(self):
        """Whether a member's mesh tracked derivatives at the last :meth:`refresh`
        (the batch then does not serve: its records are detached)."""
        return self._geometry_tracked

    def bound(self, member):
        """A copy of the first light whose radiance and shape are, in each lane, those
        of member ``member[lane]`` (UInt32 per lane)."""
        light = copy.copy(self.members[0])
        light.radiance = self.radiances.bound(member)
        if self.shape_batch is None:
            light.shape = _BatchedMeshes(self, member)
        else:
            # Bound for every lane, the lanes of other lights included: read in range only.
            mine = member < len(self.members)
            light.shape = self.shape_batch.view(dr.gather(bk.UInt32, self.shape_member, member, mine), mine)
        return light


class _BatchedMeshes:
    """The meshes of a batch's lights, each lane's own (``member``): what an area
    light asks of its shape (a point by area, a direction towards it, its density)."""

    def __init__(self, batch, member):
        self.batch, self.member = batch, member

    def surface_area(self):
        return dr.gather(bk.Float, self.batch.area, self.member)

    def sample_position(self, sample):
        """A point uniform by area on each lane's mesh: ``(p, n, pdf)``, as a mesh's."""
        batch, member = self.batch, self.member | dr.zeros(bk.UInt32, dr.width(sample.x))
        low = dr.gather(bk.UInt32, batch.first, member)
        high = low + dr.gather(bk.UInt32, batch.count, member) - 1
        # The first triangle whose running sum exceeds sample.x, within the lane's own
        # triangles (the steps of dr.binary_search, with bounds per lane).
        for _ in range(batch.search_steps):
            middle = (low + high) >> 1
            below = dr.gather(bk.Float, batch.cdf, middle) <= sample.x
            low = dr.select(below, dr.minimum(middle + 1, high), low)
            high = dr.select(below, high, middle)
        record = dr.gather(bk.ArrayXf, batch.records, low, shape=(RECORD, dr.width(low)))
        cdf_low, cdf_high = record[9], record[10]
        reused_x = dr.clip((sample.x - cdf_low) / dr.maximum(cdf_high - cdf_low, 1e-12), 0, 1)
        p0, p1, p2 = (bk.Array3f(*record[k:k + 3]) for k in (0, 3, 6))
        root = dr.sqrt(reused_x)                    # uniform in the triangle (as Mesh)
        b1, b2 = 1 - root, sample.y * root
        position = p0 * (1 - b1 - b2) + p1 * b1 + p2 * b2
        normal = dr.normalize(dr.cross(p1 - p0, p2 - p0)) * dr.gather(bk.Float, batch.sign, member)
        return position, normal, dr.rcp(self.surface_area())

    def sample_direction(self, it, sample, active=True):
        """As :meth:`Shape.sample_direction`: a point by area, its density per solid angle."""
        return seen_from(it, *self.sample_position(sample))

    def pdf_direction(self, it, ds, active=True):
        return solid_angle_density(ds, self.surface_area())


class BatchedEmitterPtr(EmitterPtr):
    """An :class:`EmitterPtr` over a scene's emitters (``emitters``, ``index`` as
    always: the emitter of each lane) that calls batches of area lights once:
    ``callees`` (emitters and :class:`AreaLightBatch` es), ``callee`` and
    ``member`` (UInt32 per lane) from the scene's tables."""

    def __init__(self, emitters, index, callees, callee, member):
        super().__init__(emitters, index)
        self._callees = [c.bound(member) if isinstance(c, AreaLightBatch) else c for c in callees]
        self._callee = callee

    def call(self, function, active=True):
        return dispatch(self._callees, self._callee, function, active)

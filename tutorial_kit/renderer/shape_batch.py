"""Analytic shapes of one kind intersected together, whatever their number.

The scene intersects each analytic shape (sphere, disk, cylinder) with its
own closed-form test, one after the other (:mod:`tutorial_kit.renderer.scene`):
clear, and fast for the few such shapes most scenes have, but the code of
every shape is then written into the kernels, which grow with the count
and are compiled anew for every new count (a thousand spheres took
minutes). As for BSDFs (:mod:`~tutorial_kit.renderer.bsdf_batch`) and area
lights (:mod:`~tutorial_kit.renderer.emitter_batch`), shapes of the same
class and settings (:meth:`AnalyticShape.batch_key`) form one
:class:`ShapeBatch` once there are :data:`MIN_BATCH` of them:

- their transforms sit in one table, a record per shape (``to_world`` and
  ``to_object``, the first three rows of each);
- a :class:`~tutorial_kit.renderer.box_bvh.BoxBVH` over their bounding
  boxes finds, for each ray, the shapes worth testing;
- :meth:`ShapeBatch.view` gives a copy of the first shape whose transforms
  hold, in each lane, those of that lane's shape: the class's own ray
  test, surface interaction and sampling code then serve every shape of
  the batch, with the same values, so the image is the one the shapes give
  one by one.

Derivatives: the table holds detached values; a shape whose ``to_world``
tracks derivatives is selected into its lanes from the parameter itself
(an operation per such shape), so gradients reach it.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.transform4f import Transform4f
from tutorial_kit.renderer.box_bvh import BoxBVH

#: Groups of fewer shapes are intersected one by one: few enough that their
#: code in the kernels costs less than a hierarchy's walk.
MIN_BATCH = 8

#: Floats per shape in a batch's table: to_world's and to_object's first three
#: rows (12 each), padded to a power of two for one packet gather.
RECORD = 32


def batch_analytic_shapes(analytic, min_batch=None):
    """Group the scene's analytic shapes (``analytic``: pairs of scene index and
    shape) into batches. Returns ``(alone, batches)``: the pairs intersected one
    by one, and the :class:`ShapeBatch` es (groups of at least ``min_batch``,
    default :data:`MIN_BATCH`, shapes of equal ``batch_key()``)."""
    min_batch = MIN_BATCH if min_batch is None else min_batch
    groups = {}
    for index, shape in analytic:
        groups.setdefault(shape.batch_key(), []).append((index, shape))
    alone, batches = [], []
    for key, pairs in groups.items():
        if key is None or len(pairs) < min_batch:
            alone += pairs
        else:
            batches.append(ShapeBatch([k for k, _ in pairs], [s for _, s in pairs]))
    alone.sort(key=lambda pair: pair[0])
    return alone, batches


class ShapeBatch:
    """Analytic shapes of equal ``batch_key()``: ``indices`` their numbers among
    the scene's shapes, ``members`` the shapes. Call :meth:`refresh` before a
    render (the scene does), then :meth:`intersect`, :meth:`occluded` and
    :meth:`view`."""

    def __init__(self, indices, members):
        self.members = list(members)
        self.shape_index = bk.UInt32(indices)
        self._sources = None
        self.refresh()

    def __repr__(self):
        return f'ShapeBatch[{type(self.members[0]).__name__} x {len(self.members)}]'

    # -- the table and the hierarchy -----------------------------------------------------
    def refresh(self):
        """Rebuild the table and the hierarchy if a member was moved since; note
        the members whose ``to_world`` tracks derivatives."""
        sources = [m._to_world for m in self.members]
        if self._sources is None or any(a is not b for a, b in zip(sources, self._sources)):
            self._build()
            self._sources = sources
        with dr.resume_grad():
            self.tracked = [k for k, m in enumerate(self.members) if m.parameters_grad_enabled()]

    def _build(self):
        """The table of transforms (float32, RECORD per member) and the BoxBVH over the boxes."""
        matrices = np.stack([m.host_matrix() for m in self.members])
        rows = np.zeros((len(matrices), RECORD), np.float32)
        rows[:, 0:12] = matrices[:, :3, :].reshape(-1, 12)
        rows[:, 12:24] = np.linalg.inv(matrices)[:, :3, :].reshape(-1, 12)
        self.records = bk.from_numpy(bk.Float, rows.ravel())
        lo, hi = type(self.members[0]).boxes(matrices)
        self.bbox = (lo.min(axis=0), hi.max(axis=0))
        self.bvh = BoxBVH(lo, hi)

    def view(self, member, active=True, detached=False):
        """The first member, with each lane's transforms those of member
        ``member[lane]`` (UInt32; read where ``active``): its class's code then
        runs for every lane's own shape. ``detached``: the table's values only,
        without the parameters that track derivatives (for the search)."""
        width = dr.width(member)
        r = dr.gather(bk.ArrayXf, self.records, member, active, shape=(RECORD, width))
        last = [bk.Float(0), bk.Float(0), bk.Float(0), bk.Float(1)]
        to_world = [[r[4 * i + j] for j in range(4)] for i in range(3)] + [last]
        to_object = [[r[12 + 4 * i + j] for j in range(4)] for i in range(3)] + [last]
        for k in ([] if detached else self.tracked):
            # The parameter itself where its lanes are: derivatives reach it.
            rows, own = self.members[k].to_world.rows, member == k
            to_world = [[dr.select(own, rows[i][j], to_world[i][j]) for j in range(4)] for i in range(4)]
        return self.members[0].batch_view(Transform4f._from_rows(to_world), Transform4f._from_rows(to_object))

    # -- ray queries -----------------------------------------------------------------------
    def _test(self, member, o, d, t, todo):
        """The members' own ray test (the BoxBVH's leaf test): ``(hit, t)``."""
        t_hit = self.view(member, todo, detached=True).ray_intersect_preliminary(Ray3f(o, d, t), todo)
        return dr.isfinite(t_hit), t_hit

    def intersect(self, ray, active=True):
        """``(t, member)``: the nearest member hit within ``ray.maxt`` (detached ray)
        and its number in the batch (inf and INVALID_INDEX where none)."""
        with dr.suspend_grad():
            return self.bvh.intersect(ray.o, ray.d, ray.maxt, self._test, active)

    def occluded(self, ray, active=True):
        """Bool: whether a member is hit within ``ray.maxt``."""
        with dr.suspend_grad():
            return self.bvh.occluded(ray.o, ray.d, ray.maxt, self._test, active)

    def scene_index(self, member, active=True):
        """UInt32: the scene's number of the members ``member``."""
        return dr.select(active, dr.gather(bk.UInt32, self.shape_index, member, active), INVALID_INDEX)

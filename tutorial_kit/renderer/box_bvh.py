"""A bounding volume hierarchy over boxes whose leaves name primitives.

The triangle :class:`~tutorial_kit.renderer.bvh.BVH` stores its triangles in
its leaves and tests them itself. Primitives of other kinds (the spheres,
disks and cylinders of :mod:`~tutorial_kit.renderer.shape_batch`) have a
ray test of their own, with data of their own; :class:`BoxBVH` is the same
tree over their bounding boxes (the same build, layout and walk), whose
leaves hold only the numbers of up to :data:`LEAF_PRIMITIVES` primitives.
At a leaf the walk calls the caller's test, ``test(prim, o, d, t, todo)``,
for each primitive named there.

The kernels depend on the test's code, not on the number of primitives:
thousands of spheres are searched by the same kernel as ten.
"""
import time

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.renderer.bvh import (BVH, DONE, LEAF_BIT, RECORD_SIZE, STACK_SIZE, _branch)
from tutorial_kit.renderer.bvh_build import build_tree
from tutorial_kit.renderer.bvh_layout import WIDTH, SlotKind, collapse_to_four, depth_first_layout

#: Most primitives per leaf (the build's leaves; each leaf is one record).
LEAF_PRIMITIVES = 2


class BoxBVH(BVH):
    """Nearest-hit and any-hit queries over primitives known by their boxes.

    ``lo``, ``hi``: float arrays (M, 3), M >= 1, the primitives' bounds
    (finite). Primitive ``i`` keeps index ``i`` in the tests and results.
    Attributes: ``node_count``, ``depth``, ``build_time`` (seconds).
    """

    def __init__(self, lo, hi):
        started = time.perf_counter()
        lo, hi = np.asarray(lo, np.float32), np.asarray(hi, np.float32)
        self.triangle_count, self._triangles = 0, None
        self.primitive_count = len(lo)
        tree = build_tree(lo, hi, leaf_size=LEAF_PRIMITIVES)
        wide = collapse_to_four(tree)
        self.node_count = len(wide['kind'])
        self.depth = len(wide['level_start'])
        if 3 * self.depth + 1 > STACK_SIZE:
            raise ValueError(f'BVH of depth {self.depth} exceeds the traversal stack')
        self._nodes = bk.from_numpy(bk.Float, _records(tree['order'], wide).ravel())
        dr.make_opaque(self._nodes)
        self._test = None
        self.build_time = time.perf_counter() - started

    def __repr__(self):
        return (f'BoxBVH[{self.primitive_count} primitives, {self.node_count} nodes, depth {self.depth}, '
                f'built in {self.build_time:.3f} s]')

    def intersect(self, origin, direction, t_max, test, active=True):
        """Nearest hit along each ray: ``(t, prim)``, Float and UInt32 (inf and
        INVALID_INDEX where nothing is hit before ``t_max``).

        ``test(prim, o, d, t_closest, todo)``: the caller's ray test of the
        primitives ``prim`` (UInt32) for the lanes ``todo``, returning
        ``(hit, t)`` (Bool, Float) of a hit in (0, t_closest)."""
        o, d, t_max, active, n = self._rays(origin, direction, t_max, active)
        self._test = test
        t = dr.select(active, t_max, 0.0)
        prim = dr.full(bk.UInt32, INVALID_INDEX, n)
        t, prim = self._intersect_tree(o, d, (t, prim), active)
        missed = prim == INVALID_INDEX
        return dr.select(missed, dr.inf, t), prim

    def occluded(self, origin, direction, t_max, test, active=True):
        """Bool: whether any primitive is hit before ``t_max`` (``test`` as for
        :meth:`intersect`)."""
        o, d, t_max, active, n = self._rays(origin, direction, t_max, active)
        self._test = test
        return self._occluded_tree(o, d, t_max, active, n) & active

    def _leaf_tests(self, o, d, r, at_leaf, t_closest, barycentrics):
        """The caller's test of each primitive named by a leaf record ``r``, for the
        lanes ``at_leaf``, in a branch that SIMD packets skip when none is at a leaf."""
        width, test = dr.width(at_leaf), self._test

        def tests(todo, hit, t, prim):
            for k in range(LEAF_PRIMITIVES):
                named = dr.reinterpret_array(bk.UInt32, r[k])
                present = todo & (named != INVALID_INDEX)
                hit_k, t_k = test(named, o, d, t, present)
                hit_k &= present & (t_k < t)
                t = dr.select(hit_k, t_k, t)
                prim = dr.select(hit_k, named, prim)
                hit |= hit_k
            return hit, t, prim

        hit, *nearest = _branch(at_leaf, (dr.zeros(bk.Bool, width), t_closest,
                                          dr.zeros(bk.UInt32, width)), tests, 'box_bvh_leaf')
        return hit, tuple(nearest)


def _records(order, wide):
    """The tree's records (float32 (records, RECORD_SIZE)), laid out on the host:
    nodes as the triangle BVH's (children's boxes and references), leaves holding
    the numbers of their primitives (uint32 bits; INVALID_INDEX in unused places)."""
    node_record, slot_record, total = depth_first_layout(wide)
    if total >= DONE:
        raise ValueError(f'{len(order)} primitives are too many for one BVH')
    records = np.zeros((total, RECORD_SIZE), np.float32)
    kind = wide['kind']
    refs = np.where(kind == SlotKind.NODE, slot_record,
                    np.where(kind == SlotKind.LEAF, LEAF_BIT | slot_record, DONE))
    nodes = records[node_record]
    nodes[:, 0:3 * WIDTH] = wide['lo'].transpose(0, 2, 1).reshape(-1, 3 * WIDTH)
    nodes[:, 3 * WIDTH:6 * WIDTH] = wide['hi'].transpose(0, 2, 1).reshape(-1, 3 * WIDTH)
    nodes[:, 6 * WIDTH:7 * WIDTH] = refs.astype(np.uint32).view(np.float32)
    records[node_record] = nodes
    leaves = kind == SlotKind.LEAF
    named = np.full((int(leaves.sum()), LEAF_PRIMITIVES), INVALID_INDEX, np.uint32)
    first, count = wide['index'][leaves], wide['count'][leaves]
    for k in range(LEAF_PRIMITIVES):
        present = count > k
        named[present, k] = order[first[present] + k]
    leaf_rows = np.zeros((len(named), RECORD_SIZE), np.float32)
    leaf_rows[:, :LEAF_PRIMITIVES] = named.view(np.float32)
    records[slot_record[leaves]] = leaf_rows
    return records

"""Finding where rays hit a triangle soup: a bounding volume hierarchy (BVH).

The renderer asks two questions of the scene's triangles, for millions of rays
at once:

* :meth:`BVH.intersect`: which triangle does each ray hit first, at which
  distance ``t`` and at which barycentric coordinates ``(u, v)``?
* :meth:`BVH.occluded`: is there *any* triangle between a point and a light?

Both answers are found outside the AD graph. The renderer takes only the
triangle index from here and recomputes the hit point from the vertex data with
differentiable operations, so derivatives never have to flow through a search.

Testing every ray against every triangle costs ``rays x triangles``. A BVH
cuts that down: boxes enclose groups of triangles, boxes enclose boxes, and a
ray that misses a box skips everything inside it. The tree is built by
:func:`tutorial_kit.renderer.bvh_build.build_tree`; this module lays it out
for Dr.Jit and answers the queries.

**Layout.** The tree (:mod:`~tutorial_kit.renderer.bvh_build`) is binary,
and its leaves hold one or two triangles. :mod:`~tutorial_kit.renderer.bvh_layout`
folds it into nodes of four children and orders them depth first. Nodes and
leaves are records of 32 float32 values (128 bytes, two cache lines) in one
array, each fetched with a single packet gather::

    node:  min x, y, z of the 4 children (12) | max x, y, z (12) | 4 child references | padding (4)
    leaf:  triangle (16) | triangle (16)
    triangle:  a corner (3) | the rows of the triangle's space (9) | padding (2) | prim | padding (1)

A node keeps its *children's* boxes, so one fetch tests all four. The
references and ``prim`` hold uint32 bit patterns. A child reference is a
record's index, with the top bit set for a leaf; ``DONE`` marks an empty
slot. A leaf stores the triangles themselves (a corner and the precomputed
rows of the ray test below), as a box around one triangle is almost as
expensive to test as the triangle; a leaf of one triangle has zeros in the
second place, which no ray hits.

**Traversal** (near first, with a stack). Each loop iteration takes one
step for each ray: test the triangles of a leaf, or the four child boxes of
a node. Of the children hit, the ray visits the nearest next and pushes the
others on a short stack in local memory (``dr.alloc_local``), farthest
first; with none hit, or after a leaf, it pops the stack. Visiting near
subtrees first finds the closest hit early, and then the ``t`` bound culls
the boxes behind it: about half the steps per ray of the stackless walk of
a threaded tree that this replaced (one box or one triangle per step, the
left child always first), and nodes of four children halve them again
(benchmarks/README.md, "Walking the BVH"). A step mostly waits
for its record to arrive from memory, which is why fewer, wider steps pay
(see :mod:`~tutorial_kit.renderer.bvh_layout`). Work that few rays need in a
step (the triangle tests, pushing a third and fourth child) sits in branches
that a SIMD packet skips when none of its rays needs it.

**Small scenes** (at most :data:`UNROLL_LIMIT` triangles, like the Cornell
box's 36). The loop above pays for each step with a gather, a transpose of
the gathered record and a few masks, and every lane computes the box test
(and the triangle test, whenever a lane of its SIMD packet is at a leaf).
With few triangles it is faster to emit straight-line code that tests every
triangle, reading triangle data that is the same for all rays
(``benchmarks/bvh.py`` compares the two). The triangle data live in width-1
arrays, not in the code, so a rebuild after vertices move reuses the
compiled kernel. The price is compile time, which grows with the triangle
count (once, as Dr.Jit caches kernels).

**The ray-triangle test** moves each ray into its triangle's own space,
where the triangle is the unit right triangle in the plane ``z = 0``
(Baldwin and Weber 2016, :func:`~tutorial_kit.renderer.triangle.intersect_in_triangle_space`):
six dot products against rows precomputed at build time, about half the work
of the Moller-Trumbore test. It is not watertight: a ray through a shared edge
or vertex may in rare cases slip between both triangles (the comparisons on
``u``, ``v`` are inclusive, which makes that rare). That is harmless for Monte
Carlo rendering. The search only names the triangle; the renderer then
recomputes the hit from the vertices with the differentiable Moller-Trumbore
expression.

Conventions for all queries: rays are ``origin + t * direction`` with any
non-zero direction length (``t`` is measured in units of ``|direction|``); a
hit counts when ``0 < t < t_max``, so a ray starting exactly on a triangle
does not hit that triangle at ``t = 0`` (avoiding self-intersection at
nearby ``t > 0`` is the caller's job: offset the origin). Triangles of zero
area, or with non-finite corners, are never hit.
"""
import time

import numpy as np
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.core.records import packet_records
from tutorial_kit.renderer.bvh_build import build_tree
from tutorial_kit.renderer.bvh_layout import WIDTH, SlotKind, collapse_to_four, depth_first_layout
from tutorial_kit.renderer.triangle import intersect_in_triangle_space, triangle_space_rows

#: Scenes with at most this many triangles are tested without a hierarchy:
#: below the break-even of run time, as compile time grows faster than the
#: triangle count (benchmarks/README.md, "Walking the BVH").
UNROLL_LIMIT = 64

#: Floats per record, fetched in one packet gather (128 bytes, two cache
#: lines): a node of four children, or a leaf of up to two triangles.
RECORD_SIZE = 32
#: Floats per triangle in a leaf's record, and where a triangle keeps its
#: index (as uint32 bits) among them.
TRIANGLE_SIZE = 16
PRIM_FIELD = 14
#: Most triangles per leaf: the build's leaves, one record each.
LEAF_TRIANGLES = 2

#: A child reference with this bit set is a leaf (see the module docstring).
LEAF_BIT = 0x80000000
INDEX_MASK = LEAF_BIT - 1
#: The reference that ends a walk, and marks an empty slot; no record has this index.
DONE = 0x7FFFFFFF
#: Entries of the traversal stack: a step pushes at most three, so three per
#: level of the tree must fit.
STACK_SIZE = 96

# Widening factor for the far end of a box's t interval. Rounding in
# (box - origin) / direction can make a ray that grazes a box (or a flat box
# around a planar group of triangles) seem to miss it; 1 + 2 gamma(3), with
# gamma(n) = n eps / (1 - n eps), covers that error for float32.
_BOX_TFAR_SCALE = 1.0000004


# -- the acceleration structure ------------------------------------------------------------

class BVH:
    """Nearest-hit and any-hit ray queries against a fixed triangle soup.

    ``p0``, ``p1``, ``p2``: array-likes of shape (M, 3), the triangles'
    corners in world space (converted to float32). Triangle ``i`` keeps index
    ``i`` in query results. Build once per scene; rebuild when vertices move.

    ``unroll_limit``: scenes with at most this many (non-degenerate)
    triangles are tested without a hierarchy (see the module docstring).

    Attributes after construction: ``triangle_count`` (M), ``node_count``
    (0 in straight-line mode), ``depth`` (tree levels) and ``build_time``
    (seconds).
    """

    def __init__(self, p0, p1, p2, unroll_limit=UNROLL_LIMIT):
        started = time.perf_counter()
        corners = [np.asarray(p, dtype=np.float32) for p in (p0, p1, p2)]
        if any(c.ndim != 2 or c.shape[1] != 3 or c.shape != corners[0].shape for c in corners):
            raise ValueError('BVH(p0, p1, p2) expects three arrays of shape (M, 3), got '
                             + ', '.join(str(c.shape) for c in corners))
        p0, p1, p2 = corners
        self.triangle_count = len(p0)
        kept = np.zeros(0, np.int64)
        if len(p0):
            # The corners on the device, where the rows of the ray test are computed,
            # gathered straight from the NumPy arrays (borrowed: they outlive the
            # evaluation below): an owned copy of each first would write 36 MB of
            # fresh memory for a million triangles (benchmarks/README.md, "Cold loads").
            index = dr.arange(bk.UInt32, len(p0))
            device = [dr.gather(bk.Array3f, bk.Float(np.ascontiguousarray(c).reshape(-1)), index)
                      for c in corners]
            rows = triangle_space_rows(*device)
            # Triangles of zero area could still produce hits from rounding in the
            # test; they cannot be seen, so leave them out altogether, and those
            # with a corner that is NaN or infinite. Both have rows that are not finite.
            finite = dr.all(dr.isfinite(device[0]))
            for row in rows:
                finite &= dr.all(dr.isfinite(row))
            test_data = (device[0], *rows)      # per triangle: a corner and three rows
            dr.eval(test_data, finite)
            kept = np.flatnonzero(finite.numpy())

        self.node_count = 0
        self.depth = 0
        if len(kept) <= unroll_limit:
            # One width-1 array per triangle and field: their values are not
            # baked into the kernel, so the same kernel serves after a rebuild.
            fields = [field.numpy() for field in test_data] if len(kept) else []   # (3, M) each

            def opaque(field, i):
                return bk.Array3f(*(dr.opaque(bk.Float, float(x)) for x in field[:, i]))
            self._triangles = [(int(i), *(opaque(field, i) for field in fields)) for i in kept]
        else:
            self._triangles = None
            lo = np.minimum(np.minimum(p0, p1), p2)
            hi = np.maximum(np.maximum(p0, p1), p2)
            if len(kept) < len(p0):
                lo, hi = lo[kept], hi[kept]
            tree = build_tree(lo, hi, leaf_size=LEAF_TRIANGLES)
            wide = collapse_to_four(tree)
            self.node_count = len(wide['kind'])
            self.depth = len(wide['level_start'])          # node levels and the leaves
            if 3 * self.depth + 1 > STACK_SIZE:
                raise ValueError(f'BVH of depth {self.depth} exceeds the traversal stack')
            self._nodes = self._records(tree['order'], wide, kept, test_data)
            dr.make_opaque(self._nodes)
        self.build_time = time.perf_counter() - started

    @staticmethod
    def _records(order, wide, kept, test_data):
        """Node and leaf records, RECORD_SIZE float32 values each, in one Float,
        in depth-first order (see the module docstring and
        :mod:`~tutorial_kit.renderer.bvh_layout`), written on the device
        (``order``: the build's triangle order; ``kept``: the caller's numbers
        of the triangles built over; ``test_data``: a corner and three rows
        per triangle, four Array3f in the caller's order).

        Both kinds of record are written with packet scatters, each lane
        writing 16 consecutive floats at once, several times as fast as
        writing the fields one by one.
        """
        node_record, slot_record, total = depth_first_layout(wide)
        if total >= DONE:
            raise ValueError(f'{len(order)} triangles are too many for one BVH')
        records = dr.zeros(bk.Float, total * RECORD_SIZE)
        _write_nodes(records, wide, node_record, slot_record)
        numbering = order if len(kept) == dr.width(test_data[0]) else kept[order]   # the caller's numbers
        _write_leaves(records, wide, slot_record, numbering, test_data)
        dr.eval(records)
        return records

    def __repr__(self):
        mode = (f'{self.node_count} nodes, depth {self.depth}' if self._triangles is None
                else 'straight-line test')
        return f'BVH[{self.triangle_count} triangles, {mode}, built in {self.build_time:.3f} s]'

    # -- queries -------------------------------------------------------------------------

    @staticmethod
    def _rays(origin, direction, t_max, active):
        """Detached, backend-typed ray arrays and the number of lanes."""
        origin = dr.detach(bk.Array3f(origin))
        direction = dr.detach(bk.Array3f(direction))
        t_max = dr.detach(bk.Float(t_max))
        active = bk.Bool(active)
        n = max(dr.width(origin), dr.width(direction), dr.width(t_max), dr.width(active))
        # Loop state must have one entry per ray even where inputs broadcast.
        return origin, direction, t_max, active | dr.zeros(bk.Bool, n), n

    def intersect(self, origin, direction, t_max=dr.inf, active=True, barycentrics=True):
        """Nearest hit along each ray.

        ``origin``, ``direction``: Array3f (world units; direction of any
        non-zero length); ``t_max``: Float or float, per lane allowed;
        ``active``: Bool or bool. Gradients are not tracked.

        Returns ``(t, prim, u, v)``: Float distance in units of
        ``|direction|`` with ``0 < t < t_max``; UInt32 triangle index in the
        constructor's order; Float barycentrics, so that the hit point is
        ``(1 - u - v) p0 + u p1 + v p2``. Rays that hit nothing, or are not
        active, get ``t = inf``, ``prim = INVALID_INDEX`` (0xFFFFFFFF), ``u = v = 0``.
        With ``barycentrics=False``, ``u`` and ``v`` are None: the walk then
        carries two values fewer from step to step (the renderer, which
        recomputes the hit from the vertices, asks for that).
        """
        o, d, t_max, active, n = self._rays(origin, direction, t_max, active)
        t = dr.select(active, t_max, 0.0)       # t_closest 0: nothing can hit
        prim = dr.full(bk.UInt32, INVALID_INDEX, n)
        uv = (dr.zeros(bk.Float, n), dr.zeros(bk.Float, n)) if barycentrics else ()
        if self._triangles is not None:
            t, prim, *uv = self._intersect_all(o, d, t, prim, *uv)
        elif self.node_count:
            t, prim, *uv = self._intersect_tree(o, d, (t, prim, *uv), active)
        missed = prim == INVALID_INDEX
        uv = [dr.select(missed, 0, x) for x in uv] if barycentrics else [None, None]
        return (dr.select(missed, dr.inf, t), prim, *uv)

    def occluded(self, origin, direction, t_max=dr.inf, active=True):
        """Whether anything is hit along each ray with ``0 < t < t_max``.

        Arguments as for :meth:`intersect`. Returns a Bool, False where not
        active. Stops at the first hit found, not the nearest one: the query
        for shadow rays.
        """
        o, d, t_max, active, n = self._rays(origin, direction, t_max, active)
        hit = dr.zeros(bk.Bool, n)
        if self._triangles is not None:
            hit = self._occluded_all(o, d, t_max, hit)
        elif self.node_count:
            hit = self._occluded_tree(o, d, t_max, active, n)
        return hit & active

    # -- straight-line mode ---------------------------------------------------------------

    def _intersect_all(self, o, d, t, prim, *uv):
        """Test every triangle in turn, keeping the closest hit (``uv``: the
        barycentrics so far, or nothing when they are not wanted)."""
        for index, p0, row_u, row_v, row_n in self._triangles:
            hit, t_k, u_k, v_k = intersect_in_triangle_space(o, d, p0, row_u, row_v, row_n, t)
            t = dr.select(hit, t_k, t)
            uv = [dr.select(hit, new, old) for new, old in zip((u_k, v_k), uv)]
            prim = dr.select(hit, index, prim)
        return (t, prim, *uv)

    def _occluded_all(self, o, d, t_max, hit):
        """Test every triangle in turn, noting any hit.

        No early exit: a branch per group of triangles (skip the group when
        no ray in a SIMD packet needs it) costs more to trace than it saves
        in the kernel once each test is six dot products
        (benchmarks/README.md, "Walking the BVH").
        """
        for _, p0, row_u, row_v, row_n in self._triangles:
            hit |= intersect_in_triangle_space(o, d, p0, row_u, row_v, row_n, t_max)[0]
        return hit

    # -- tree walk --------------------------------------------------------------------------

    def _fetch(self, ref):
        """The RECORD_SIZE fields of the records that references point at (a list of Float)."""
        r = dr.gather(bk.ArrayXf, self._nodes, ref & INDEX_MASK, ref != DONE,
                      shape=(RECORD_SIZE, dr.width(ref)))
        return [r[k] for k in range(RECORD_SIZE)]

    @staticmethod
    def _inverse(d):
        """1 / d with zero components replaced by tiny ones of the same sign,
        so that slab distances are huge instead of NaN (0 * inf)."""
        return dr.rcp(dr.select(dr.abs(d) < 1e-30, dr.copysign(1e-30, d), d))

    @staticmethod
    def _box_distance(o, inv_d, lo, hi, t_closest):
        """Slab test: ``(hit, t_near)``, whether the ray meets box lo..hi
        somewhere in [0, t_closest], and where it enters the box.

        Minimum and maximum are written as compare-and-select: no slab
        distance is NaN (``inv_d`` is finite), and ``dr.minimum`` would also
        handle NaN, which on a CPU costs several instructions each.
        """
        t0 = (lo - o) * inv_d
        t1 = (hi - o) * inv_d
        closer = t0 < t1
        t_entry = dr.select(closer, t0, t1)
        t_exit = dr.select(closer, t1, t0)
        t_near = _larger(_larger(t_entry.x, t_entry.y), _larger(t_entry.z, 0))
        t_far = _smaller(_smaller(t_exit.x, t_exit.y), _smaller(t_exit.z, t_closest))
        return t_near <= t_far * _BOX_TFAR_SCALE, t_near

    def _step(self, o, inv_d, d, ref, t_closest, sp, stack, barycentrics=False):
        """One traversal step for each lane: the record fetched at ``ref``,
        the triangle tests (for lanes at a leaf), and the next reference,
        with the stack pushed or popped. Returns ``(hit, (t, prim[, u, v]),
        next_ref, sp)``, the hit values of the nearer triangle hit."""
        r = self._fetch(ref)
        leaf = ref >= LEAF_BIT
        hit, nearest = self._leaf_tests(o, d, r, leaf & (ref != DONE), t_closest, barycentrics)

        # The children's boxes, nearest first (misses last, at infinity).
        children = []
        for c in range(WIDTH):
            lo = bk.Array3f(r[c], r[WIDTH + c], r[2 * WIDTH + c])
            hi = bk.Array3f(r[3 * WIDTH + c], r[4 * WIDTH + c], r[5 * WIDTH + c])
            child = dr.reinterpret_array(bk.UInt32, r[6 * WIDTH + c])
            box_hit, near = self._box_distance(o, inv_d, lo, hi, t_closest)
            children.append((dr.select(box_hit & ~leaf & (child != DONE), near, dr.inf), child))
        children = _sorted_by_distance(children)

        # Visit the nearest child next; push the others, farthest first.
        sp = self._push_far(children[2:], sp, stack)
        near, child = children[1]
        push = dr.isfinite(near)
        stack.write(child, sp, push)
        sp = dr.select(push, sp + 1, sp)
        nearest_hit = dr.isfinite(children[0][0])
        sp = dr.select(nearest_hit, sp, sp - 1)
        popped = stack.read(sp, ~nearest_hit)
        next_ref = dr.select(nearest_hit, children[0][1], popped)
        return hit, nearest, next_ref, sp

    @staticmethod
    def _push_far(far, sp, stack):
        """Push the third and fourth nearest children (``far``: their
        ``(distance, reference)``) where they were hit, farthest first;
        returns the new stack pointer.

        The pushes sit in a loop that runs at most once, a branch that a SIMD
        packet skips when none of its lanes hit three children. Each write
        to the stack costs a check of whether the lanes' indices agree and,
        as they rarely do, a store per lane; a ray seldom meets three of a
        node's four boxes, so large scenes render faster this way.
        """
        def push(todo, sp):
            for near, child in reversed(far):
                hit = dr.isfinite(near) & todo
                stack.write(child, sp, hit)
                sp = dr.select(hit, sp + 1, sp)
            return (sp,)

        return _branch(dr.isfinite(far[0][0]), (sp,), push, 'bvh_push')[0]

    @staticmethod
    def _leaf_tests(o, d, r, at_leaf, t_closest, barycentrics):
        """The triangle tests of a leaf record ``r`` (32 Float) for lanes
        ``at_leaf``: ``(hit, (t, prim[, u, v]))`` of the nearer triangle hit
        before ``t_closest``.

        The tests sit in a loop that runs at most once: Dr.Jit compiles it
        to a branch, which a SIMD packet skips when none of its lanes is at
        a leaf. A walk visits few leaves among many nodes, so most steps
        skip the tests. The boxes are tested on every step, as almost every
        step needs them.
        """
        width = dr.width(at_leaf)

        def test(todo, hit, t, prim, *uv):
            for k in range(0, RECORD_SIZE, TRIANGLE_SIZE):
                fields = (bk.Array3f(*r[k + j:k + j + 3]) for j in (0, 3, 6, 9))
                hit_k, t_k, u_k, v_k = intersect_in_triangle_space(o, d, *fields, t)
                hit_k &= todo
                prim = dr.select(hit_k, dr.reinterpret_array(bk.UInt32, r[k + PRIM_FIELD]), prim)
                t = dr.select(hit_k, t_k, t)
                uv = [dr.select(hit_k, new, old) for new, old in zip((u_k, v_k), uv)]
                hit |= hit_k
            return (hit, t, prim, *uv)

        uv = (dr.zeros(bk.Float, width), dr.zeros(bk.Float, width)) if barycentrics else ()
        hit, *nearest = _branch(at_leaf, (dr.zeros(bk.Bool, width), t_closest,
                                          dr.zeros(bk.UInt32, width), *uv), test, 'bvh_leaf')
        return hit, tuple(nearest)

    def _start(self, active, n):
        """Initial loop state of a walk: root reference, stack pointer, stack.

        The stack's bottom entry is ``DONE``: popping it ends the walk. The
        other entries are written before they are read, so they are left
        uninitialised, which spares every walk filling STACK_SIZE entries.
        """
        stack = dr.alloc_local(bk.UInt32, STACK_SIZE)
        stack[0] = dr.full(bk.UInt32, DONE, n)
        return dr.select(active, bk.UInt32(0), DONE), dr.ones(bk.UInt32, n), stack

    def _intersect_tree(self, o, d, nearest, active):
        """Walk the tree near first, keeping the closest hit. ``nearest``:
        ``(t, prim)`` or ``(t, prim, u, v)`` so far; the loop state is these,
        the reference, the stack pointer and the stack."""
        inv_d = self._inverse(d)

        def body(ref, sp, stack, *nearest):
            hit, found, ref, sp = self._step(o, inv_d, d, ref, nearest[0], sp, stack,
                                             barycentrics=len(nearest) == 4)
            return (ref, sp, stack, *(dr.select(hit, a, b) for a, b in zip(found, nearest)))

        ref, sp, stack = self._start(active, dr.width(nearest[0]))
        labels = ('ref', 'sp', 'stack', 't', 'prim', 'u', 'v')[:3 + len(nearest)]
        result = dr.while_loop((ref, sp, stack, *nearest), lambda ref, *_: ref != DONE, body,
                               labels=labels, label='bvh_intersect', mode='symbolic')
        return result[3:]

    def _occluded_tree(self, o, d, t_max, active, n):
        """Walk the tree until the first hit (loop state: reference, hit,
        stack pointer and stack)."""
        inv_d = self._inverse(d)

        def body(ref, hit, sp, stack):
            hit_k, _, ref, sp = self._step(o, inv_d, d, ref, t_max, sp, stack)
            return dr.select(hit_k, DONE, ref), hit | hit_k, sp, stack   # first hit ends the walk

        ref, sp, stack = self._start(active, n)
        _, hit, _, _ = dr.while_loop(
            (ref, dr.zeros(bk.Bool, n), sp, stack), lambda ref, *_: ref != DONE, body,
            labels=('ref', 'hit', 'sp', 'stack'), label='bvh_occluded', mode='symbolic')
        return hit


def _branch(todo, state, body, label):
    """``body(todo, *state)`` for the lanes ``todo``, as a Dr.Jit loop that
    runs at most once; returns the new state (a tuple).

    Dr.Jit compiles the loop to a branch that a SIMD packet skips when none
    of its lanes is in ``todo``: the way to keep work that few rays need in
    a step from costing every packet. ``body`` returns the new state, and
    must leave lanes outside ``todo`` as they were.
    """
    width = dr.width(todo)
    _, *state = dr.while_loop(
        (todo, *state), lambda todo, *_: todo,
        lambda todo, *state: (dr.zeros(bk.Bool, width), *body(todo, *state)),
        label=label, mode='symbolic')
    return tuple(state)


def _larger(a, b):
    """max(a, b) for values that are not NaN, as one compare and one select
    (``dr.maximum`` also handles NaN, which costs a third instruction)."""
    return dr.select(a > b, a, b)


def _smaller(a, b):
    """min(a, b) for values that are not NaN (see :func:`_larger`)."""
    return dr.select(a < b, a, b)


def _sorted_by_distance(children):
    """``(distance, reference)`` pairs of four children sorted by distance,
    with a sorting network of five compare-and-swaps (per lane, no branches)."""
    children = list(children)
    for a, b in ((0, 1), (2, 3), (0, 2), (1, 3), (1, 2)):
        (near_a, ref_a), (near_b, ref_b) = children[a], children[b]
        swap = near_b < near_a
        children[a] = (dr.select(swap, near_b, near_a), dr.select(swap, ref_b, ref_a))
        children[b] = (dr.select(swap, near_a, near_b), dr.select(swap, ref_a, ref_b))
    return children


#: 16-float halves per record: the unit of packet gathers and scatters.
_HALVES = RECORD_SIZE // TRIANGLE_SIZE


def _write_nodes(records, wide, node_record, slot_record):
    """Write the four-wide nodes of ``wide`` into ``records`` at ``node_record``
    (see the module docstring for the fields)."""
    kind = wide['kind']
    refs = np.where(kind == SlotKind.NODE, slot_record,
                    np.where(kind == SlotKind.LEAF, LEAF_BIT | slot_record, DONE))
    # The records are laid out on the host and copied over at once: one transfer
    # instead of one per field (the BVH is rebuilt whenever vertices move).
    rows = np.zeros((len(kind), RECORD_SIZE), np.float32)
    rows[:, 0:12] = wide['lo'].transpose(0, 2, 1).reshape(-1, 12)       # x of the 4 children, then y, z
    rows[:, 12:24] = wide['hi'].transpose(0, 2, 1).reshape(-1, 12)
    rows[:, 24:28] = refs.astype(np.uint32).view(np.float32)
    host = bk.from_numpy(bk.Float, rows.ravel())
    node = dr.arange(bk.UInt32, len(kind))
    first_half = bk.from_numpy(bk.UInt32, (node_record * _HALVES).astype(np.uint32))
    for half in range(_HALVES):
        packet = dr.gather(bk.ArrayXf, host, node * _HALVES + half, shape=(TRIANGLE_SIZE, len(kind)))
        dr.scatter(records, packet, first_half + half)


def _write_leaves(records, wide, slot_record, numbering, test_data):
    """Write triangle j of each leaf into the j-th half of its record.

    ``numbering``: the caller's number of each position of the build's
    order. The triangles' own 16 floats are laid out first, in the caller's
    order, then copied leaf by leaf with packet gathers. A leaf's second
    half, when it has one triangle, stays zero: zero rows never hit.
    """
    m = dr.width(test_data[0])
    own = [c for field in test_data for c in field]
    own += [dr.zeros(bk.Float, m)] * (PRIM_FIELD - len(own))
    own.append(dr.reinterpret_array(bk.Float, dr.arange(bk.UInt32, m)))
    triangles = packet_records(own, m, TRIANGLE_SIZE)
    leaves = np.flatnonzero(wide['kind'].ravel() == SlotKind.LEAF)
    count, first, record = (bk.from_numpy(bk.UInt32, np.take(a.ravel(), leaves).astype(np.uint32))
                            for a in (wide['count'], wide['index'], slot_record))
    numbering = bk.from_numpy(bk.UInt32, numbering.astype(np.uint32))
    for place in range(LEAF_TRIANGLES):
        present = count > place
        prim = dr.gather(bk.UInt32, numbering, first + place, present)
        packet = dr.gather(bk.ArrayXf, triangles, prim, present, shape=(TRIANGLE_SIZE, dr.width(prim)))
        dr.scatter(records, packet, record * _HALVES + place, present)

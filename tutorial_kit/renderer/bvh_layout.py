"""Laying a binary BVH out for the walk: four-wide nodes in depth-first order.

:func:`~tutorial_kit.renderer.bvh_build.build_tree` makes a binary tree.
The walk in :mod:`tutorial_kit.renderer.bvh` reads it one record per step,
and each step waits for memory: a record of the next node is rarely in the
cache, and it cannot be fetched before the node above says where it is.
Two changes of layout cut that waiting, without changing the tree's boxes:

1. **Four children per node** (:func:`collapse_to_four`). Every second
   level of the binary tree is folded into its parent: a node keeps its
   leaf children and takes the place of its interior children, adopting
   their children. A ray then needs about half as many steps from the root
   to a leaf, and one step fetches four boxes instead of two.
2. **Depth-first order** (:func:`depth_first_layout`). A node's first
   child follows it directly, its first child's subtree next, and so on: the
   next record a ray reads often sits next to the one it has just read,
   which the processor has fetched along with it. Leaves (their triangles)
   are placed the same way.

Each change takes time off every query; four children halve the steps per
ray, and as a wide step computes about twice as much as a binary one, the
gain is the memory waited for less. The price is a little load time
(benchmarks/README.md, "Laying the BVH out", has the figures).
"""
from enum import IntEnum

import numpy as np

#: Children per node of the laid-out tree.
WIDTH = 4


class SlotKind(IntEnum):
    """What a slot of a four-wide node holds. The values are stored in the
    int arrays of :func:`collapse_to_four` (an IntEnum compares equal to
    its value, so ``kind == SlotKind.LEAF`` works on whole arrays)."""
    EMPTY = 0
    LEAF = 1
    NODE = 2


def collapse_to_four(tree):
    """The binary ``tree`` (from ``build_tree``) as a tree of four-wide nodes.

    The nodes of even binary levels stay; each takes, in order, for its two
    children: a leaf child as it is (and an empty slot beside it), or an
    interior child's two children. Returns a dict of NumPy arrays, per wide
    node (N of them; the root is 0, levels in order, as in the binary tree)
    and slot ``s = 0 .. 3``:

    * ``lo``, ``hi`` (N, 4, 3): the slot's box;
    * ``kind`` (N, 4): a :class:`SlotKind` value (empty, leaf or node);
    * ``index`` (N, 4): a node's number, or a leaf's first position in the
      binary tree's ``order``; ``count`` (N, 4): a leaf's primitives;
    * ``level_start``: the first node number of each level, and N at the end.
    """
    leaf, index = tree['child_leaf'], tree['child_index']
    level = np.repeat(np.arange(len(tree['level_start']) - 1), np.diff(tree['level_start']))
    kept = np.flatnonzero(level % 2 == 0)            # binary node numbers, level by level
    number = np.full(len(leaf), -1, np.int64)
    number[kept] = np.arange(len(kept))

    # Each slot copies one child (parent, which) of the binary tree, or is empty.
    parent = np.empty((len(kept), WIDTH), np.int64)
    which = np.empty((len(kept), WIDTH), np.int64)
    filled = np.ones((len(kept), WIDTH), bool)
    for c in range(2):
        is_leaf = leaf[kept, c]
        parent[:, 2 * c] = parent[:, 2 * c + 1] = np.where(is_leaf, kept, index[kept, c])
        which[:, 2 * c] = np.where(is_leaf, c, 0)
        which[:, 2 * c + 1] = np.where(is_leaf, c, 1)
        filled[:, 2 * c + 1] = ~is_leaf
    # One flat index per slot into the (K, 2) child arrays: np.take on a flat
    # array is faster than indexing with two index arrays.
    flat = parent * 2 + which
    kind = np.where(filled, np.where(np.take(leaf, flat), SlotKind.LEAF, SlotKind.NODE), SlotKind.EMPTY)
    child = np.take(index, flat)                     # binary node number, or leaf start
    is_node = kind == SlotKind.NODE
    index = np.where(is_node, np.take(number, np.where(is_node, child, 0)), child)
    levels = np.bincount(level[kept] // 2)
    boxes = [np.take(tree[key].reshape(-1, 3), flat.ravel(), axis=0).reshape(*flat.shape, 3)
             for key in ('child_lo', 'child_hi')]
    return dict(lo=boxes[0], hi=boxes[1], kind=kind, index=np.where(kind == SlotKind.EMPTY, 0, index),
                count=np.where(kind == SlotKind.LEAF, np.take(tree['child_count'], flat), 0),
                level_start=np.concatenate([[0], np.cumsum(levels)]))


def depth_first_layout(wide):
    """Record numbers of the nodes and leaves of ``wide`` (from
    :func:`collapse_to_four`) in depth-first order.

    Every node and every leaf takes one record; a node's first filled slot
    comes right after it, then that slot's whole subtree, then the next slot
    (pre-order). Returns ``(node_record, slot_record, total)``: int64 arrays
    of shapes (N,) and (N, 4), the record of each node and of what each slot
    holds (unused for empty slots), and the number of records.
    """
    kind, index = wide['kind'], wide['index']
    is_node = kind == SlotKind.NODE
    levels = list(zip(wide['level_start'][:-1], wide['level_start'][1:]))
    # Records in each slot's subtree, from the deepest level up.
    slot_size = (kind == SlotKind.LEAF).astype(np.int64)
    subtree = np.ones(len(kind), np.int64)
    for start, end in reversed(levels):
        nodes = slice(start, end)
        sizes = slot_size[nodes]
        sizes[is_node[nodes]] = subtree[index[nodes][is_node[nodes]]]
        subtree[nodes] = 1 + sizes.sum(axis=1)
    # Positions, from the root down: a slot starts where the slots before it end.
    node_record = np.zeros(len(kind), np.int64)
    slot_record = np.zeros(kind.shape, np.int64)
    for start, end in levels:
        nodes = slice(start, end)
        before = np.cumsum(slot_size[nodes], axis=1) - slot_size[nodes]
        slot_record[nodes] = node_record[nodes, None] + 1 + before
        node_record[index[nodes][is_node[nodes]]] = slot_record[nodes][is_node[nodes]]
    return node_record, slot_record, int(subtree[0]) if len(kind) else 0

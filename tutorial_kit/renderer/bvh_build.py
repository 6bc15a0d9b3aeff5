"""Building a bounding volume hierarchy (BVH) over a triangle soup, with NumPy.

Once per scene, on the CPU. Starting from one node holding all triangles, every node with more than one
triangle is split in two by the *surface area heuristic* (SAH): the chance
that a random ray hits a box is proportional to its surface area, so the
expected cost of a split is ``area(left) * count(left) + area(right) *
count(right)``, and the cheapest split wins. Candidate splits are found by
*binning*: the centres of the triangles' boxes are sorted into 16 equal bins
along the longest axis of their bounds, and the 15 bin boundaries are tried.
All nodes of one tree level are split together with array operations, so
building takes about 1.5 seconds for 100,000 triangles on a 2-core CPU and
never recurses. Every leaf holds exactly one triangle.

:func:`build_tree` returns the tree as flat arrays in depth-first order; the
queries in :mod:`tutorial_kit.renderer.bvh` turn them into node records.
"""
import numpy as np

#: Number of centroid bins tried per split.
SAH_BINS = 16


def _surface_area(lo, hi):
    """Half the surface area of boxes ``lo``..``hi`` (shape (..., 3)); 0 when empty."""
    d = np.maximum(hi - lo, 0)
    return d[..., 0] * d[..., 1] + d[..., 1] * d[..., 2] + d[..., 2] * d[..., 0]


def _segments(counts):
    """For consecutive segments of the given lengths: each element's segment
    number, its position inside the segment, and each segment's offset."""
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    segment = np.repeat(np.arange(len(counts)), counts)
    return segment, np.arange(len(segment)) - offsets[segment], offsets


def _split_level(lo, hi, order, start, count, bins=SAH_BINS):
    """Choose SAH splits for a list of nodes, all at once.

    Node ``k`` owns primitives ``order[start[k] : start[k] + count[k]]`` (all
    ``count[k] >= 1``). Reorders those slices of ``order`` in place so that
    each node's left child is a prefix of its slice, and returns
    ``(box_lo, box_hi, left_count)``: the nodes' bounds (shape (K, 3)) and the
    number of primitives going to the left child (shape (K,)).
    """
    k_nodes = len(start)
    segment, rank, offsets = _segments(count)
    position = start[segment] + rank
    prim = order[position]
    box_lo = np.minimum.reduceat(lo[prim], offsets)
    box_hi = np.maximum.reduceat(hi[prim], offsets)

    # Bin the centroids along the longest axis of their bounds.
    centroid = 0.5 * (lo[prim] + hi[prim])
    c_lo = np.minimum.reduceat(centroid, offsets)
    c_hi = np.maximum.reduceat(centroid, offsets)
    axis = np.argmax(c_hi - c_lo, axis=1)
    extent = (c_hi - c_lo)[np.arange(k_nodes), axis]
    bins = int(max(2, min(bins, count.max())))      # small nodes need few bins
    scale = np.where(extent > 0, bins / np.where(extent > 0, extent, 1), 0)
    c = centroid[np.arange(len(prim)), axis[segment]] - c_lo[segment, axis[segment]]
    bin_index = np.clip((c * scale[segment]).astype(np.int64), 0, bins - 1)

    # Sorting each slice by bin (a stable sort on node, then bin) puts every
    # candidate left child in front of its right child.
    key = segment * bins + bin_index
    sort = np.argsort(key, kind='stable')
    prim, key = prim[sort], key[sort]
    order[position] = prim

    # Per bin: primitive count and bounds (empty bins stay +inf / -inf).
    bin_count = np.bincount(key, minlength=k_nodes * bins).reshape(k_nodes, bins)
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    bin_lo = np.full((k_nodes * bins, 3), np.inf)
    bin_hi = np.full((k_nodes * bins, 3), -np.inf)
    bin_lo[key[first]] = np.minimum.reduceat(lo[prim], first)
    bin_hi[key[first]] = np.maximum.reduceat(hi[prim], first)
    bin_lo = bin_lo.reshape(k_nodes, bins, 3)
    bin_hi = bin_hi.reshape(k_nodes, bins, 3)

    # Sweep from both ends: candidate j puts bins 0..j left and j+1.. right.
    left_area = _surface_area(np.minimum.accumulate(bin_lo, axis=1),
                              np.maximum.accumulate(bin_hi, axis=1))[:, :-1]
    right_area = _surface_area(np.minimum.accumulate(bin_lo[:, ::-1], axis=1),
                               np.maximum.accumulate(bin_hi[:, ::-1], axis=1))[:, ::-1][:, 1:]
    left_count = np.cumsum(bin_count, axis=1)[:, :-1]
    right_count = count[:, None] - left_count
    cost = np.where((left_count > 0) & (right_count > 0),
                    left_count * left_area + right_count * right_area, np.inf)
    best = np.argmin(cost, axis=1)
    n_left = left_count[np.arange(k_nodes), best]
    # All centroids in one bin (e.g. they coincide): any split is as good.
    n_left = np.where(np.isfinite(cost[np.arange(k_nodes), best]), n_left, count // 2)
    return box_lo, box_hi, n_left


def build_tree(lo, hi):
    """Build a binned-SAH BVH over boxes and lay it out depth first.

    ``lo``, ``hi``: float arrays of shape (M, 3), M >= 1, the primitives'
    bounds. Every leaf holds one primitive. Returns a dict of NumPy arrays
    over the ``2 M - 1`` nodes in depth-first order:

    * ``lo``, ``hi`` (N, 3): node bounds, in the dtype of the input;
    * ``escape`` (N,): index of the node after the node's subtree;
    * ``prim`` (N,): the leaf's primitive, -1 for interior nodes;
    * ``depth``: number of levels.
    """
    m = len(lo)
    order = np.arange(m)
    # Nodes are numbered in creation order (breadth first) while building.
    levels = []                     # per level: node ids and their data
    ids, start, count = np.array([0]), np.array([0]), np.array([m])
    next_id = 1
    while len(ids):
        box_lo, box_hi, n_left = _split_level(lo, hi, order, start, count)
        inner = count > 1
        k = int(inner.sum())
        left = np.full(len(ids), -1)
        left[inner] = next_id + 2 * np.arange(k)      # children are left, left + 1
        prim = np.where(inner, -1, order[start])
        levels.append((ids, box_lo, box_hi, left, prim))
        s, n = start[inner], n_left[inner]
        ids = next_id + np.arange(2 * k)
        start = np.stack([s, s + n], axis=1).ravel()
        count = np.stack([n, count[inner] - n], axis=1).ravel()
        next_id += 2 * k

    # Subtree sizes bottom up, then depth-first positions top down: the left
    # child follows its parent, the right child follows the left subtree.
    n_nodes = next_id
    left_of = np.empty(n_nodes, np.int64)
    for ids, _, _, left, _ in levels:
        left_of[ids] = left
    size = np.ones(n_nodes, np.int64)
    for ids, _, _, left, _ in reversed(levels):
        inner = ids[left >= 0]
        size[inner] = 1 + size[left_of[inner]] + size[left_of[inner] + 1]
    position = np.zeros(n_nodes, np.int64)
    for ids, _, _, left, _ in levels:
        inner = ids[left >= 0]
        l = left_of[inner]
        position[l] = position[inner] + 1
        position[l + 1] = position[inner] + 1 + size[l]

    out_lo = np.empty((n_nodes, 3), lo.dtype)
    out_hi = np.empty((n_nodes, 3), hi.dtype)
    out_prim = np.empty(n_nodes, np.int64)
    for ids, box_lo, box_hi, _, prim in levels:
        p = position[ids]
        out_lo[p], out_hi[p], out_prim[p] = box_lo, box_hi, prim
    escape = np.empty(n_nodes, np.int64)
    escape[position] = position + size
    return dict(lo=out_lo, hi=out_hi, escape=escape, prim=out_prim, depth=len(levels))

"""Building a bounding volume hierarchy (BVH) over a triangle soup, with NumPy.

Once per scene, on the CPU, as a *linear BVH* (Lauterbach et al., "Fast BVH
Construction on GPUs", Eurographics 2009; Karras, "Maximizing Parallelism in
the Construction of BVHs, Octrees, and k-d Trees", HPG 2012):

1. **Morton codes.** Each triangle's box centre is quantised to a grid of
   ``2^21`` cells along the longest side of the bounds of all centres, and the bits of
   its three cell coordinates are interleaved (``x20 y20 z20 x19 ...``) into
   one 63-bit integer. Sorting the triangles by this code lays them out
   along a Z-order curve: triangles close in the sorted list are close in
   space. The few triangles far larger than most also set the 64th bit, which
   gives them a subtree of their own (:func:`large_boxes`).
2. **Radix splits.** Every node owns a contiguous range of the sorted list.
   Its codes share a prefix; the first bit in which they differ splits them
   into two halves of space, found with one binary search
   (``np.searchsorted``). All nodes of one tree level are split together, so
   the build is a few dozen NumPy passes and never recurses. Ranges whose
   codes are all equal, and levels below :data:`RADIX_LEVELS`, are split at
   their middle, which bounds the depth.
3. **Leaves** hold up to :data:`LEAF_SIZE` consecutive triangles; boxes are
   reduced bottom up.

This build is several times as fast as the binned surface-area-heuristic
(SAH) build it replaced (benchmarks/README.md, "Building the BVH"). Morton
splits cut space in the middle rather than where the triangles' areas
balance, so SAH trees are somewhat cheaper to trace at equal traversal.

:func:`build_tree` returns the tree as flat arrays;
:mod:`~tutorial_kit.renderer.bvh_layout` folds them into nodes of four
children in depth-first order, and :mod:`tutorial_kit.renderer.bvh` writes
those as records for the walk.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk

#: Most triangles per leaf: larger leaves cost rays more steps, smaller
#: ones more nodes to build (benchmarks/README.md, "Building the BVH").
LEAF_SIZE = 2

#: Levels split by Morton bits before the middle split takes over: 63 bits
#: could make a tree as deep as 63; this keeps it within the traversal stack.
RADIX_LEVELS = 40

#: Bits per axis in a Morton code (3 x 21 = 63 bits of a uint64).
MORTON_BITS = 21


def _spread_bits(x):
    """Insert two zero bits after each of the low 21 bits of ``x`` (UInt64)."""
    x = x & 0x1FFFFF
    for shift, mask in ((32, 0x1F00000000FFFF), (16, 0x1F0000FF0000FF), (8, 0x100F00F00F00F00F),
                        (4, 0x10C30C30C30C30C3), (2, 0x1249249249249249)):
        x = (x | (x << shift)) & mask
    return x


def morton_codes(points):
    """63-bit Morton codes (uint64, shape (M,)) of points (M, 3) within their bounds.

    The bit interleaving runs as one Dr.Jit kernel, several times as fast
    as the same operations on NumPy arrays.
    """
    p = dr.gather(bk.Array3f, bk.from_numpy(bk.Float, points.astype(np.float32)),
                  dr.arange(bk.UInt32, len(points)))
    lo = [dr.min(p[axis], axis=None).numpy().item() for axis in range(3)]
    hi = [dr.max(p[axis], axis=None).numpy().item() for axis in range(3)]
    # Cubic cells: a flat scene (a terrain, a floor) gets few splits across
    # its thin axis, whose halves would overlap (cells scaled per axis cost
    # rays more traversal steps).
    extent = max(h - low for low, h in zip(lo, hi))
    scale = (2 ** MORTON_BITS - 1) / extent if extent > 0 else 0
    # Opaque: as literals, the bounds would make a new kernel (compiled
    # anew) for every mesh (benchmarks/README.md, "Cold loads").
    scale = dr.opaque(bk.Float, scale)
    cell = [bk.UInt64((p[axis] - dr.opaque(bk.Float, lo[axis])) * scale) for axis in range(3)]
    code = (_spread_bits(cell[0]) << 2) | (_spread_bits(cell[1]) << 1) | _spread_bits(cell[2])
    return code.numpy()


#: Boxes whose longest side is more than this many times the median one
#: may make a subtree of their own (see :func:`large_boxes`) ...
LARGE_BOX = 16.0
#: ... when they are at most this share of all boxes.
LARGE_SHARE = 0.01


def large_boxes(lo, hi, large=LARGE_BOX, share=LARGE_SHARE):
    """Which boxes (``lo``, ``hi``: (M, 3)) are far larger than most: bool (M,).

    A linear BVH places a primitive by its box centre alone. One far larger
    than the others (a floor under a detailed model, a backdrop) lands in
    some leaf, and every box above that leaf grows to hold it, up to the
    root: rays then walk down that whole branch. :func:`build_tree` gives
    these boxes the top bit of their Morton codes, so that they sort after
    all others and the first split parts them: the large ones make one
    subtree next to the root, and the boxes of the others stay tight (about
    where a surface-area-heuristic build would put them), which shortens
    renders of a model above a floor. Only a few outliers are set apart: where many boxes
    are large (a mesh refined in some places only), the two subtrees would
    overlap everywhere and each ray would walk both.
    """
    if not len(lo):
        return np.zeros(0, bool)
    extent = hi - lo
    longest = np.maximum(np.maximum(extent[:, 0], extent[:, 1]), extent[:, 2])
    # The median of every k-th box, 2^16 to 2^17 of them (all where fewer):
    # as good a yardstick as the whole median, in a fraction of its time.
    typical = np.median(longest[::max(1, len(longest) >> 16)])
    marked = longest > large * typical
    return marked if np.count_nonzero(marked) <= share * len(lo) else np.zeros(len(lo), bool)


def _highest_bit(x):
    """Index of the highest set bit of each uint64 in ``x`` (all non-zero)."""
    bit = (np.frexp(x.astype(np.float64))[1] - 1).astype(np.uint64)
    # Rounding to float64 can carry into the next power of two.
    return bit - ((x >> bit) == 0).astype(np.uint64)


def _split_points(codes, start, end, radix):
    """Where to split each range ``[start, end)`` of the sorted ``codes``.

    At the first bit in which the range's codes differ (from its first and
    last code, as they are sorted), or in the middle where they all agree or
    ``radix`` is False. Every split leaves both halves non-empty.
    """
    middle = (start + end) // 2
    if not radix:
        return middle
    first, last = codes[start], codes[end - 1]
    differ = first != last
    bit = _highest_bit(np.where(differ, first ^ last, 1))
    # The smallest code that has the bit set and the common prefix above it.
    threshold = ((first >> bit) | np.uint64(1)) << bit
    split = np.searchsorted(codes, threshold)
    return np.where(differ, split, middle)


def build_tree(lo, hi, leaf_size=LEAF_SIZE):
    """Build a linear BVH over boxes.

    ``lo``, ``hi``: float arrays of shape (M, 3), M >= 1, the primitives'
    bounds. Returns a dict of NumPy arrays:

    * ``order`` (M,): the primitives sorted along the Morton curve; every
      leaf is a range of this list;
    * per interior node (K of them, the root is node 0, a parent comes
      before its children), for its two children ``c = 0, 1``:
      ``child_lo``, ``child_hi`` (K, 2, 3) their boxes (dtype of the input),
      ``child_leaf`` (K, 2) bool, ``child_index`` (K, 2) the child's node
      number or, for a leaf, its first position in ``order``, and
      ``child_count`` (K, 2) the leaf's primitive count (0 for interior
      children);
    * ``level_start`` (levels + 1,): node numbers of each level of
      interior nodes start at ``level_start[i]``; the children of a node
      of level ``i`` are in level ``i + 1``;
    * ``depth``: levels of the tree, leaves included.

    The root is always an interior node; with a single primitive both of its
    children are the same one-primitive leaf.
    """
    m = len(lo)
    codes = morton_codes(0.5 * (lo + hi)) | (large_boxes(lo, hi).astype(np.uint64) << np.uint64(63))
    order = np.argsort(codes, kind='stable')
    codes = codes[order]

    # Split level by level. Interior nodes are numbered in creation order.
    levels = []        # per level: (ids, child start, child end, child leaf, child id)
    start, end = np.array([0]), np.array([m])
    next_id = 1
    while len(start):
        ids = next_id - len(start) + np.arange(len(start))
        if m == 1:
            split = end                   # the single primitive, twice
            child_start = np.stack([start, start], 1)
        else:
            split = _split_points(codes, start, end, radix=len(levels) < RADIX_LEVELS)
            child_start = np.stack([start, split], 1)
        child_end = np.stack([split, end], 1)
        child_leaf = child_end - child_start <= leaf_size
        child_id = np.full(child_leaf.shape, -1)
        inner = ~child_leaf
        child_id[inner] = next_id + np.arange(inner.sum())
        next_id += int(inner.sum())
        levels.append((ids, child_start, child_end, child_leaf, child_id))
        start, end = child_start[inner], child_end[inner]

    # Level after level, the new nodes' numbers are consecutive, so the
    # per-level arrays, joined, are indexed by node number.
    child_start, child_end, child_leaf, child_id = (
        np.concatenate([level[i] for level in levels]) for i in range(1, 5))
    # Leaf boxes: the leaves tile [0, m) in order, and hold at most leaf_size
    # primitives each, so leaf_size gathers (the last primitive repeated in
    # shorter leaves) bound them (np.minimum.reduceat took four times as long).
    is_leaf_start = np.zeros(m, bool)
    is_leaf_start[child_start[child_leaf]] = True      # (a single primitive is both children)
    leaf_start = np.flatnonzero(is_leaf_start)
    leaf_last = np.r_[leaf_start[1:], m] - 1
    first_member = order[leaf_start]
    leaf_lo, leaf_hi = np.take(lo, first_member, axis=0), np.take(hi, first_member, axis=0)
    for k in range(1, max(leaf_size, 1)):
        member = order[np.minimum(leaf_start + k, leaf_last)]
        np.minimum(leaf_lo, np.take(lo, member, axis=0), out=leaf_lo)
        np.maximum(leaf_hi, np.take(hi, member, axis=0), out=leaf_hi)

    k_nodes = len(child_leaf)
    # Boxes of the interior nodes (0 .. K-1), then of the leaves (K ...), so
    # that a child's box is one gather (cheaper than boolean masks per level;
    # np.take gathers rows faster than indexing).
    box_of_child = child_id.copy()
    leaf_number = np.cumsum(is_leaf_start) - 1          # of the leaf starting at each position
    box_of_child[child_leaf] = k_nodes + leaf_number[child_start[child_leaf]]
    box_lo = np.concatenate([np.empty((k_nodes, 3), lo.dtype), leaf_lo])
    box_hi = np.concatenate([np.empty((k_nodes, 3), hi.dtype), leaf_hi])
    for ids, *_ in reversed(levels):        # children come after their parents
        nodes = slice(ids[0], ids[-1] + 1)
        first, second = box_of_child[nodes, 0], box_of_child[nodes, 1]
        box_lo[nodes] = np.minimum(np.take(box_lo, first, axis=0), np.take(box_lo, second, axis=0))
        box_hi[nodes] = np.maximum(np.take(box_hi, first, axis=0), np.take(box_hi, second, axis=0))
    child_lo, child_hi = np.take(box_lo, box_of_child, axis=0), np.take(box_hi, box_of_child, axis=0)
    child_index = np.where(child_leaf, child_start, child_id)
    child_count = np.where(child_leaf, child_end - child_start, 0)
    level_start = np.cumsum([0] + [len(level[0]) for level in levels])
    return dict(order=order, child_lo=child_lo, child_hi=child_hi, child_leaf=child_leaf,
                child_index=child_index, child_count=child_count, level_start=level_start,
                depth=len(levels) + 1)

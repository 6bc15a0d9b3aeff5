"""The BVH against a brute-force NumPy reference, and its edge cases."""
import numpy as np
import pytest

import tutorial_kit  # noqa: F401  (before drjit: picks a usable libLLVM)
import drjit as dr
from tutorial_kit.core import backend as bk
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.renderer.bvh import BVH, UNROLL_LIMIT
from tutorial_kit.renderer.bvh_layout import SlotKind, collapse_to_four, depth_first_layout
from tutorial_kit.renderer.bvh_build import build_tree, large_boxes

# Both strategies: the hierarchy (limit 0 forces it) and the straight-line test.
MODES = {'tree': 0, 'unrolled': UNROLL_LIMIT}
EPS = 1e-4      # reference cases closer than this to a decision are not judged


def random_soup(m, seed, size=None):
    """``m`` random triangles of about ``size`` in the unit cube, float32 (M, 3) each.

    By default the triangles shrink as their number grows, so that about half
    of the rays from :func:`random_rays` hit something.
    """
    size = 1.0 / np.sqrt(m) if size is None else size
    rng = np.random.default_rng(seed)
    center = rng.random((m, 3))
    return tuple((center + size * rng.normal(size=(m, 3))).astype(np.float32) for _ in range(3))


def random_rays(n, seed):
    rng = np.random.default_rng(seed)
    origin = (rng.random((n, 3)) * 2 - 0.5).astype(np.float32)
    # Point roughly at the soup, lengths far from 1: t is in units of |direction|.
    target = rng.random((n, 3)).astype(np.float32)
    direction = (target - origin) * rng.uniform(0.5, 3, (n, 1)).astype(np.float32)
    return origin, direction


def reference(p0, p1, p2, origin, direction, t_max):
    """Float64 Moller-Trumbore of every ray against every triangle.

    Returns ``(t, prim, u, v, clear)``; ``clear`` marks rays whose answer no
    rounding can change: every triangle is hit or missed by a margin, and the
    nearest hit is not tied with another one or with ``t_max``.
    """
    p0, p1, p2, origin, direction = (np.asarray(x, np.float64) for x in (p0, p1, p2, origin, direction))
    t_max = np.broadcast_to(np.asarray(t_max, np.float64), (len(origin),))
    n = len(origin)
    out_t, out_prim = np.full(n, np.inf), np.full(n, INVALID_INDEX, np.int64)
    out_u, out_v, clear = np.zeros(n), np.zeros(n), np.ones(n, bool)
    e1, e2 = p1 - p0, p2 - p0
    area = np.linalg.norm(np.cross(e1, e2), axis=1)
    for s in range(0, n, 1000):
        o, d, tm = origin[s:s + 1000, None], direction[s:s + 1000, None], t_max[s:s + 1000, None]
        pvec = np.cross(d, e2)
        det = np.sum(e1 * pvec, -1)
        with np.errstate(all='ignore'):
            tvec = o - p0
            u = np.sum(tvec * pvec, -1) / det
            qvec = np.cross(tvec, e1)
            v = np.sum(d * qvec, -1) / det
            t = np.sum(e2 * qvec, -1) / det
            margin = np.minimum(np.minimum(u, v), 1 - u - v)
            scale = np.linalg.norm(d, axis=-1)
            t_tol = EPS * np.maximum(np.abs(t), 1) / scale      # relative to the ray's length
            valid = (area > 0) & np.isfinite(t) & (np.abs(det) > EPS * scale * area)
            hit = valid & (margin >= 0) & (t > 0) & (t < tm)
            near_edge = valid & (np.abs(margin) < EPS) & (t > -t_tol) & (t < tm + t_tol)
            near_range = valid & (margin > -EPS) & ((np.abs(t) < t_tol) | (np.abs(t - tm) < t_tol))
        t_hit = np.where(hit, t, np.inf)
        k = np.argmin(t_hit, axis=1)
        rows = np.arange(len(k))
        best = t_hit[rows, k]
        second = np.partition(t_hit, 1, axis=1)[:, 1] if t_hit.shape[1] > 1 else np.full(len(k), np.inf)
        found = np.isfinite(best)
        with np.errstate(invalid='ignore'):         # inf - inf where nothing is hit
            tied = found & (second - best < t_tol[rows, k])
        before = near_edge & (t <= np.where(found, best, np.inf)[:, None] + t_tol)
        clear[s:s + 1000] = ~(tied | before.any(1) | near_range.any(1))
        out_t[s:s + 1000] = best
        out_prim[s:s + 1000] = np.where(found, k, INVALID_INDEX)
        out_u[s:s + 1000] = np.where(found, u[rows, k], 0)
        out_v[s:s + 1000] = np.where(found, v[rows, k], 0)
    return out_t, out_prim, out_u, out_v, clear


def query(bvh, origin, direction, t_max=np.inf, active=True):
    o, d = bk.Array3f(np.asarray(origin, np.float32).T), bk.Array3f(np.asarray(direction, np.float32).T)
    if not np.isscalar(t_max):
        t_max = bk.Float(np.asarray(t_max, np.float32))
    if not isinstance(active, bool):
        active = bk.Bool(np.asarray(active))
    t, prim, u, v = bvh.intersect(o, d, t_max, active)
    hit = bvh.occluded(o, d, t_max, active)
    return t.numpy(), prim.numpy().astype(np.int64), u.numpy(), v.numpy(), hit.numpy()


@pytest.mark.parametrize('m, mode', [(40, 'unrolled'), (40, 'tree'), (500, 'tree')])
def test_matches_brute_force(m, mode):
    p0, p1, p2 = random_soup(m, seed=m)
    origin, direction = random_rays(10_000, seed=1)
    bvh = BVH(p0, p1, p2, unroll_limit=MODES[mode])
    assert (bvh.node_count > 0) == (mode == 'tree')
    t, prim, u, v, hit = query(bvh, origin, direction)
    t_ref, prim_ref, u_ref, v_ref, clear = reference(p0, p1, p2, origin, direction, np.inf)
    assert clear.mean() > 0.9 and 0.2 < (prim_ref != INVALID_INDEX).mean() < 0.98
    c = clear
    np.testing.assert_array_equal(prim[c], prim_ref[c])
    h = c & (prim_ref != INVALID_INDEX)
    np.testing.assert_allclose(t[h], t_ref[h], rtol=1e-4)
    np.testing.assert_allclose(u[h], u_ref[h], atol=1e-4)
    np.testing.assert_allclose(v[h], v_ref[h], atol=1e-4)
    assert np.all(np.isinf(t[prim == INVALID_INDEX])) and np.all(u[prim == INVALID_INDEX] == 0)
    np.testing.assert_array_equal(hit[c], prim_ref[c] != INVALID_INDEX)
    # Where the answers are not judged they must still be self-consistent.
    np.testing.assert_array_equal(prim != INVALID_INDEX, np.isfinite(t))


@pytest.mark.parametrize('mode', MODES)
def test_per_lane_t_max_and_active(mode):
    p0, p1, p2 = random_soup(500 if mode == 'tree' else 50, seed=7)
    origin, direction = random_rays(10_000, seed=2)
    rng = np.random.default_rng(3)
    t_max = rng.uniform(0, 1.5, len(origin)).astype(np.float32)
    active = rng.random(len(origin)) < 0.8
    bvh = BVH(p0, p1, p2, unroll_limit=MODES[mode])
    t, prim, u, v, hit = query(bvh, origin, direction, t_max, active)
    t_ref, prim_ref, _, _, clear = reference(p0, p1, p2, origin, direction, t_max)
    prim_ref = np.where(active, prim_ref, INVALID_INDEX)
    c = clear
    assert 0.2 < (prim_ref[c] != INVALID_INDEX).mean() < 0.8
    np.testing.assert_array_equal(prim[c], prim_ref[c])
    np.testing.assert_array_equal(hit[c], prim_ref[c] != INVALID_INDEX)
    assert not hit[~active].any() and np.all(prim[~active] == INVALID_INDEX) and np.all(np.isinf(t[~active]))
    assert np.all(t[prim != INVALID_INDEX] < t_max[prim != INVALID_INDEX])


def one_ray(bvh, origin, direction, t_max=np.inf):
    t, prim, u, v, hit = query(bvh, [origin], [direction], t_max)
    return t[0], prim[0], u[0], v[0], hit[0]


# A unit right triangle in the plane z = 1.
TRI = (np.array([[0, 0, 1]], np.float32), np.array([[1, 0, 1]], np.float32),
       np.array([[0, 1, 1]], np.float32))


@pytest.mark.parametrize('mode', MODES)
def test_zero_triangles(mode):
    empty = np.zeros((0, 3), np.float32)
    bvh = BVH(empty, empty, empty, unroll_limit=MODES[mode])
    origin, direction = random_rays(100, seed=4)
    t, prim, u, v, hit = query(bvh, origin, direction)
    assert np.all(np.isinf(t)) and np.all(prim == INVALID_INDEX) and not hit.any()
    assert np.all(u == 0) and np.all(v == 0)


@pytest.mark.parametrize('mode', MODES)
def test_one_triangle(mode):
    bvh = BVH(*TRI, unroll_limit=MODES[mode])
    t, prim, u, v, hit = one_ray(bvh, [0.25, 0.5, 0], [0, 0, 2])
    assert prim == 0 and hit
    assert t == pytest.approx(0.5) and u == pytest.approx(0.25) and v == pytest.approx(0.5)
    # From behind, too: the test is two-sided.
    t, prim, _, _, _ = one_ray(bvh, [0.25, 0.5, 3], [0, 0, -1])
    assert prim == 0 and t == pytest.approx(2)
    # Beyond t_max, behind the origin, and beside the triangle: misses.
    assert one_ray(bvh, [0.25, 0.5, 0], [0, 0, 1], t_max=0.999)[1] == INVALID_INDEX
    assert not one_ray(bvh, [0.25, 0.5, 0], [0, 0, 1], t_max=0.999)[4]
    assert one_ray(bvh, [0.25, 0.5, 2], [0, 0, 1])[1] == INVALID_INDEX
    assert one_ray(bvh, [0.75, 0.5, 0], [0, 0, 1])[1] == INVALID_INDEX


@pytest.mark.parametrize('mode', MODES)
def test_degenerate_triangles_are_never_hit(mode):
    # A point, a line, and a valid triangle behind both.
    p0 = np.array([[0.2, 0.2, 1], [0, 0, 1], [0, 0, 2]], np.float32)
    p1 = np.array([[0.2, 0.2, 1], [1, 1, 1], [1, 0, 2]], np.float32)
    p2 = np.array([[0.2, 0.2, 1], [0.5, 0.5, 1], [0, 1, 2]], np.float32)
    bvh = BVH(p0, p1, p2, unroll_limit=MODES[mode])
    for x in (0.2, 0.25, 0.3):
        t, prim, _, _, _ = one_ray(bvh, [x, x, 0], [0, 0, 1])
        assert prim == 2 and t == pytest.approx(2)
    # A ray along the line segment itself.
    _, prim, _, _, hit = one_ray(bvh, [-1, -1, 1], [1, 1, 0])
    assert prim == INVALID_INDEX and not hit


@pytest.mark.parametrize('mode', MODES)
def test_parallel_rays_and_rays_starting_on_a_triangle(mode):
    bvh = BVH(*TRI, unroll_limit=MODES[mode])
    # In the triangle's plane, and parallel beside it: no hit.
    for origin in ([-1, 0.2, 1], [-1, 0.2, 1.5]):
        assert one_ray(bvh, origin, [1, 0, 0])[1] == INVALID_INDEX
    # Starting exactly on the triangle: t = 0 is excluded either way.
    for direction in ([0, 0, 1], [0, 0, -1], [0.3, 0.1, 1]):
        t, prim, _, _, hit = one_ray(bvh, [0.25, 0.25, 1], direction)
        assert prim == INVALID_INDEX and not hit


@pytest.mark.parametrize('mode', MODES)
def test_axis_aligned_rays_on_box_faces(mode):
    """Zero direction components and origins on box planes must not give NaN misses."""
    p0, p1, p2 = random_soup(200, seed=5, size=0.05)
    # Axis-aligned quads (two triangles each) in the planes x = 0 and y = 1.
    quad = np.array([[[0, 0, 0], [0, 1, 0], [0, 1, 1]], [[0, 0, 0], [0, 1, 1], [0, 0, 1]],
                     [[0, 1, 0], [1, 1, 0], [1, 1, 1]], [[0, 1, 0], [1, 1, 1], [0, 1, 1]]], np.float32)
    p0, p1, p2 = (np.concatenate([p, quad[:, k]]) for k, p in enumerate((p0, p1, p2)))
    bvh = BVH(p0, p1, p2, unroll_limit=MODES[mode])
    rng = np.random.default_rng(6)
    yz = rng.uniform(0.01, 0.99, (1000, 2)).astype(np.float32)
    # Rays along -x in the plane y = 1 (the slab of the second quad), aimed at x = 0.
    origin = np.stack([np.full(1000, 2.0), yz[:, 0], yz[:, 1]], 1).astype(np.float32)
    t, prim, _, _, hit = query(bvh, origin, np.tile([[-1, 0, 0]], (1000, 1)))
    t_ref, prim_ref, _, _, clear = reference(p0, p1, p2, origin, np.tile([[-1, 0, 0]], (1000, 1)), np.inf)
    np.testing.assert_array_equal(prim[clear], prim_ref[clear])
    assert hit.all() and (prim != INVALID_INDEX).all()


def test_inside_symbolic_and_evaluated_loops():
    p0, p1, p2 = random_soup(60, seed=8)
    origin, direction = random_rays(2000, seed=9)
    _, prim_ref, _, _, clear = reference(p0, p1, p2, origin, direction, np.inf)
    for limit in MODES.values():
        bvh = BVH(p0, p1, p2, unroll_limit=limit)
        o, d = bk.Array3f(origin.T), bk.Array3f(direction.T)
        for mode in ('symbolic', 'evaluated'):
            # Two passes of an outer loop: the second asks again with rays 'bounced'
            # back to the same origin, so both passes must agree with the reference.
            def body(i, prim, blocked):
                _, p, _, _ = bvh.intersect(o, d, dr.inf, i < 2)
                return i + 1, dr.select(i == 1, p, prim), blocked | bvh.occluded(o, d, dr.inf, i < 2)
            state = (dr.zeros(bk.UInt32, len(origin)), dr.full(bk.UInt32, 7, len(origin)),
                     dr.zeros(bk.Bool, len(origin)))
            _, prim, blocked = dr.while_loop(state, lambda i, *_: i < 2, body, mode=mode)
            prim = prim.numpy().astype(np.int64)
            np.testing.assert_array_equal(prim[clear], prim_ref[clear])
            np.testing.assert_array_equal(blocked.numpy()[clear], prim_ref[clear] != INVALID_INDEX)


def test_queries_ignore_gradients():
    p0, p1, p2 = TRI
    bvh = BVH(p0, p1, p2)
    o = bk.Array3f(0.25, 0.25, 0)
    dr.enable_grad(o)
    t, prim, u, v = bvh.intersect(o, bk.Array3f(0, 0, 1), bk.Float(10), True)
    assert not any(dr.grad_enabled(x) for x in (t, u, v))


def test_tree_structure():
    """Every primitive in exactly one leaf; a child's box holds its subtree."""
    p0, p1, p2 = random_soup(1000, seed=10)
    lo = np.minimum(np.minimum(p0, p1), p2)
    hi = np.maximum(np.maximum(p0, p1), p2)
    tree = build_tree(lo, hi, leaf_size=4)
    order, leaf = tree['order'], tree['child_leaf']
    assert sorted(order) == list(range(len(lo)))
    counts = tree['child_count'][leaf]
    assert counts.min() >= 1 and counts.max() <= 4
    starts = np.sort(tree['child_index'][leaf])
    # The leaves tile the sorted list: each starts where the one before ends.
    np.testing.assert_array_equal(starts, np.r_[0, np.cumsum(counts[np.argsort(tree['child_index'][leaf])])[:-1]])

    def check(node):
        """Primitives under ``node``, checking its children's boxes on the way."""
        prims = []
        for c in range(2):
            if leaf[node, c]:
                start = tree['child_index'][node, c]
                below = order[start:start + tree['child_count'][node, c]]
            else:
                assert tree['child_index'][node, c] > node      # parents come first
                below = check(tree['child_index'][node, c])
            assert np.all(lo[below] >= tree['child_lo'][node, c])
            assert np.all(hi[below] <= tree['child_hi'][node, c])
            prims += list(below)
        return prims
    assert sorted(check(0)) == list(range(len(lo)))
    assert tree['depth'] < 40


def test_a_few_large_boxes_make_a_subtree_of_their_own():
    """Two boxes spanning the scene among small ones: the root parts them
    from the rest, whose box stays tight; with many large boxes, nothing is
    set apart."""
    rng = np.random.default_rng(6)
    lo = rng.random((2000, 3)).astype(np.float32)
    hi = lo + 0.01
    lo[[5, 700]], hi[[5, 700]] = -10, 10
    assert np.flatnonzero(large_boxes(lo, hi)).tolist() == [5, 700]
    tree = build_tree(lo, hi, leaf_size=2)
    small = np.ones(2000, bool)
    small[[5, 700]] = False
    np.testing.assert_array_equal(tree['child_lo'][0, 0], lo[small].min(0))
    np.testing.assert_array_equal(tree['child_hi'][0, 0], hi[small].max(0))
    assert tree['child_leaf'][0, 1] and sorted(tree['order'][tree['child_index'][0, 1]:][:2]) == [5, 700]
    hi[:100] = lo[:100] + 1                    # 5 % large: a mesh refined in places, not outliers
    assert not large_boxes(lo, hi).any()


def test_tree_of_coincident_boxes():
    """Equal Morton codes fall back to middle splits: the tree stays shallow."""
    lo = np.zeros((5000, 3), np.float32)
    tree = build_tree(lo, lo + 1, leaf_size=4)
    assert tree['depth'] <= 14
    assert tree['child_count'][tree['child_leaf']].sum() == 5000


def test_rejects_bad_shapes():
    with pytest.raises(ValueError):
        BVH(np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        BVH(np.zeros(9), np.zeros(9), np.zeros(9))


def test_scalar_arguments_broadcast():
    """One origin for many rays, a Python float t_max and a Python bool mask."""
    bvh = BVH(*TRI)
    x = np.linspace(-0.5, 1.5, 101, dtype=np.float32)
    direction = bk.Array3f(bk.Float(x), bk.Float(0.25), bk.Float(1))
    t, prim, _, _ = bvh.intersect(bk.Array3f(0, 0, 0), direction, 2.0, True)
    inside = (x >= 0) & (x <= 0.75)     # u + v <= 1 at z = 1
    assert dr.width(t) == 101
    np.testing.assert_array_equal(prim.numpy() == 0, inside)
    assert bvh.occluded(bk.Array3f(0, 0, 0), direction, 2.0).numpy().sum() == inside.sum()


@pytest.mark.parametrize('mode', MODES)
def test_rebuilt_bvh_reuses_its_kernel(mode):
    """Moving vertices (a rebuild) must not change the kernel, or every
    optimisation step would compile again: its code may depend on the
    triangle count, never on coordinates or on where the arrays landed in memory."""
    p0, p1, p2 = random_soup(47, seed=11)
    origin, direction = random_rays(1000, seed=12)
    o, d = bk.Array3f(origin.T), bk.Array3f(direction.T)
    dr.eval(o, d)
    hashes = set()
    dr.set_flag(dr.JitFlag.KernelHistory, True)
    try:
        for shift in np.linspace(0, 0.05, 6):
            bvh = BVH(p0 + np.float32(shift), p1, p2, unroll_limit=MODES[mode])
            dr.kernel_history()
            dr.eval(bvh.intersect(o, d, dr.inf, True), bvh.occluded(o, d, dr.inf, True))
            hashes |= {k['hash'] for k in dr.kernel_history() if k['type'] == dr.KernelType.JIT}
    finally:
        dr.set_flag(dr.JitFlag.KernelHistory, False)
    assert len(hashes) == 1


def cornell_box():
    """The Cornell box's 36 triangles (millimetres): walls, light, two boxes."""
    def quad(a, b, c, d):
        return [(a, b, c), (a, c, d)]

    def box(top):
        top = [np.array(p, float) for p in top]
        bottom = [p * [1, 0, 1] for p in top]
        faces = quad(*top) + quad(*bottom[::-1])
        for i in range(4):
            faces += quad(top[i], bottom[i], bottom[(i + 1) % 4], top[(i + 1) % 4])
        return faces
    t = (quad((552.8, 0, 0), (0, 0, 0), (0, 0, 559.2), (549.6, 0, 559.2))
         + quad((556, 548.8, 0), (556, 548.8, 559.2), (0, 548.8, 559.2), (0, 548.8, 0))
         + quad((549.6, 0, 559.2), (0, 0, 559.2), (0, 548.8, 559.2), (556, 548.8, 559.2))
         + quad((0, 0, 559.2), (0, 0, 0), (0, 548.8, 0), (0, 548.8, 559.2))
         + quad((552.8, 0, 0), (549.6, 0, 559.2), (556, 548.8, 559.2), (556, 548.8, 0))
         + quad((343, 548.8, 227), (343, 548.8, 332), (213, 548.8, 332), (213, 548.8, 227))
         + box([(130, 165, 65), (82, 165, 225), (240, 165, 272), (290, 165, 114)])
         + box([(423, 330, 247), (265, 330, 296), (314, 330, 456), (472, 330, 406)]))
    t = np.array(t, np.float32)
    return t[:, 0], t[:, 1], t[:, 2]


@pytest.mark.parametrize('mode', MODES)
def test_cornell_box(mode):
    """Axis-aligned walls, flat boxes and a light flush with the ceiling; camera
    rays, rays from inside, and shadow rays that stop just short of the light."""
    p0, p1, p2 = cornell_box()
    bvh = BVH(p0, p1, p2, unroll_limit=MODES[mode])
    s = np.tan(np.radians(39.3) / 2)
    x = (np.arange(64) + 0.5) / 32 - 1
    xx, yy = np.meshgrid(x, -x)
    direction = np.stack([-xx.ravel() * s, yy.ravel() * s, np.ones(xx.size)], 1).astype(np.float32)
    origin = np.tile(np.float32([278, 273, -800]), (len(direction), 1))
    rng = np.random.default_rng(13)
    inside = (rng.random((4000, 3)) * [550, 548, 559]).astype(np.float32)
    origin = np.concatenate([origin, inside])
    direction = np.concatenate([direction, rng.normal(size=(4000, 3)).astype(np.float32)])
    t, prim, u, v, hit = query(bvh, origin, direction)
    t_ref, prim_ref, u_ref, v_ref, clear = reference(p0, p1, p2, origin, direction, np.inf)
    assert clear.mean() > 0.97 and (prim_ref != INVALID_INDEX).mean() > 0.9
    np.testing.assert_array_equal(prim[clear], prim_ref[clear])
    np.testing.assert_allclose(t[clear], t_ref[clear], rtol=1e-4)
    np.testing.assert_array_equal(hit[clear], prim_ref[clear] != INVALID_INDEX)
    # Shadow rays from the hits to points just below the light (t_max = 1 - 1e-4).
    found = np.isfinite(t)
    start = origin[found] + direction[found] * (t[found, None] - 1e-3)
    light = np.stack([213 + 130 * rng.random(len(start)), np.full(len(start), 548.7),
                      227 + 105 * rng.random(len(start))], 1).astype(np.float32)
    toward = (light - start).astype(np.float32)
    blocked = query(bvh, start, toward, np.float32(1 - 1e-4))[4]
    _, prim_ref, _, _, clear = reference(p0, p1, p2, start, toward, 1 - 1e-4)
    assert 0.05 < (prim_ref[clear] != INVALID_INDEX).mean() < 0.5
    np.testing.assert_array_equal(blocked[clear], prim_ref[clear] != INVALID_INDEX)


def test_four_wide_tree_keeps_every_leaf_and_box():
    """Folding every second level keeps the binary tree's leaves and boxes:
    the wide nodes' leaf slots are exactly the binary leaves, each node's
    slots lie inside its binary node's box, and no path gets longer."""
    rng = np.random.default_rng(4)
    lo = rng.random((300, 3))
    tree = build_tree(lo, lo + 0.01, leaf_size=2)
    wide = collapse_to_four(tree)
    kind = wide['kind']
    leaf_starts = np.sort(wide['index'][kind == SlotKind.LEAF])
    assert np.array_equal(leaf_starts, np.sort(tree['child_index'][tree['child_leaf']]))
    assert np.array_equal(np.sort(wide['count'][kind == SlotKind.LEAF]), np.sort(tree['child_count'][tree['child_leaf']]))
    # Every node but the root is some slot's child, once.
    assert np.array_equal(np.sort(wide['index'][kind == SlotKind.NODE]), np.arange(1, len(kind)))
    root_lo, root_hi = tree['child_lo'][0].min(0), tree['child_hi'][0].max(0)
    filled = kind != SlotKind.EMPTY
    assert np.all(wide['lo'][filled] >= root_lo) and np.all(wide['hi'][filled] <= root_hi)
    assert len(wide['level_start']) - 1 == (len(tree['level_start']) - 1 + 1) // 2


def test_depth_first_layout():
    """Every record is used once, and a node's first filled slot follows it."""
    rng = np.random.default_rng(5)
    lo = rng.random((300, 3))
    wide = collapse_to_four(build_tree(lo, lo + 0.01, leaf_size=2))
    node_record, slot_record, total = depth_first_layout(wide)
    kind = wide['kind']
    taken = np.concatenate([node_record, slot_record[kind == SlotKind.LEAF]])
    assert total == len(taken) and np.array_equal(np.sort(taken), np.arange(total))
    assert np.array_equal(slot_record[:, 0], node_record + 1)      # slot 0 is never empty
    assert np.array_equal(node_record[wide['index'][kind == SlotKind.NODE]], slot_record[kind == SlotKind.NODE])

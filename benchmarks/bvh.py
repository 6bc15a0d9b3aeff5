"""Ray casting speed of tutorial_kit.renderer.bvh: build time and million rays per second.

Run ``python benchmarks/bvh.py`` (``--quick`` for fewer repetitions). Prints
one table row per scene, ray set, strategy and query:

* Cornell box (36 triangles), 512 x 512 camera rays, as many scattered
  rays (random origins inside the box, random directions: what the path
  tracer's bounces look like) and shadow rays (from the camera rays' hits
  to random points on the light, ``occluded`` only), for the strategies ``unrolled`` (the BVH's
  default for small scenes: every triangle in straight-line code), ``tree``
  (the hierarchy, forced), ``brute loop`` (a ``dr.while_loop`` over all
  triangles) and, when Mitsuba 3 is installed, ``mitsuba`` (its
  ``llvm_ad_rgb`` / ``cuda_ad_rgb`` variant and its own ray tracing
  backend), measured in the same run;
* a random soup of 100,000 triangles with 512 x 512 rays into it.

Times are wall-clock medians after a warm-up, each call traced, evaluated and
synchronised (``dr.sync_thread``); ``kernel ms`` is the kernels' own run time
from Dr.Jit's kernel history, without the tracing in Python.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import tutorial_kit  # noqa: E402,F401  (before drjit: picks a usable libLLVM)
import drjit as dr  # noqa: E402
from tutorial_kit.core import backend as bk  # noqa: E402
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.renderer.bvh import BVH
from tutorial_kit.renderer.triangle import intersect_in_triangle_space, triangle_space_rows  # noqa: E402


# -- scenes --------------------------------------------------------------------------------

def _quad(a, b, c, d):
    return [(a, b, c), (a, c, d)]


def _box(top):
    """A box from its top face (4 corners at one height) down to y = 0: 12 triangles."""
    top = [np.array(p, np.float64) for p in top]
    bottom = [p * [1, 0, 1] for p in top]
    triangles = _quad(*top) + _quad(*bottom[::-1])
    for i in range(4):
        j = (i + 1) % 4
        triangles += _quad(top[i], bottom[i], bottom[j], top[j])
    return triangles


def cornell_box():
    """The Cornell box in millimetres: walls, light and two boxes, 36 triangles."""
    t = []
    t += _quad((552.8, 0, 0), (0, 0, 0), (0, 0, 559.2), (549.6, 0, 559.2))              # floor
    t += _quad((556, 548.8, 0), (556, 548.8, 559.2), (0, 548.8, 559.2), (0, 548.8, 0))  # ceiling
    t += _quad((549.6, 0, 559.2), (0, 0, 559.2), (0, 548.8, 559.2), (556, 548.8, 559.2))  # back
    t += _quad((0, 0, 559.2), (0, 0, 0), (0, 548.8, 0), (0, 548.8, 559.2))              # right
    t += _quad((552.8, 0, 0), (549.6, 0, 559.2), (556, 548.8, 559.2), (556, 548.8, 0))  # left
    t += _quad((343, 548.8, 227), (343, 548.8, 332), (213, 548.8, 332), (213, 548.8, 227))  # light
    t += _box([(130, 165, 65), (82, 165, 225), (240, 165, 272), (290, 165, 114)])
    t += _box([(423, 330, 247), (265, 330, 296), (314, 330, 456), (472, 330, 406)])
    t = np.array(t, np.float32)
    return t[:, 0], t[:, 1], t[:, 2]


def camera_rays(res=512, origin=(278, 273, -800), fov=39.3):
    """Pinhole camera looking along +z; unnormalised directions, row by row."""
    s = np.tan(np.radians(fov) / 2)
    x = (np.arange(res) + 0.5) / res * 2 - 1
    xx, yy = np.meshgrid(x, -x)
    d = np.stack([-xx.ravel() * s, yy.ravel() * s, np.ones(res * res)], 1)
    o = np.broadcast_to(np.asarray(origin, np.float64), d.shape)
    return o.astype(np.float32), d.astype(np.float32)


def scattered_rays(n, lo, hi, seed=0):
    """Random origins in the box lo..hi with uniformly random unit directions."""
    rng = np.random.default_rng(seed)
    o = lo + rng.random((n, 3)) * (np.asarray(hi) - lo)
    d = rng.normal(size=(n, 3))
    return o.astype(np.float32), (d / np.linalg.norm(d, axis=1, keepdims=True)).astype(np.float32)


def shadow_rays(bvh, camera, seed=0):
    """Next-event rays: from where camera rays hit to random points on the light.

    Origins are pulled back 0.1 mm along the camera ray (off the surface);
    directions are unnormalised, so ``t_max = 1 - 1e-4`` stops just short of
    the light. Camera rays that miss get a dummy ray that hits nothing."""
    o, d = (bk.Array3f(np.ascontiguousarray(x.T)) for x in camera)
    t = bvh.intersect(o, d, dr.inf)[0].numpy()
    hit = np.isfinite(t)
    t = np.where(hit, t, 0)[:, None]
    scale = np.linalg.norm(camera[1], axis=1, keepdims=True)
    origin = camera[0] + camera[1] * (t - 0.1 / scale)
    rng = np.random.default_rng(seed)
    light = np.stack([213 + 130 * rng.random(len(t)), np.full(len(t), 548.7),
                      227 + 105 * rng.random(len(t))], 1)
    direction = np.where(hit[:, None], light - origin, [0, -1e-3, 0])
    return origin.astype(np.float32), direction.astype(np.float32)


def random_soup(m, seed=1):
    """``m`` random triangles of edge ~ 1/sqrt(m) in the unit cube (about 3 layers deep)."""
    rng = np.random.default_rng(seed)
    c = rng.random((m, 3))
    size = 1.0 / np.sqrt(m)
    return tuple((c + size * rng.normal(size=(m, 3))).astype(np.float32) for _ in range(3))


def soup_rays(n, seed=2):
    """Rays from a sphere around the unit cube towards random points in it."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    o = 0.5 + 1.5 * d / np.linalg.norm(d, axis=1, keepdims=True)
    return o.astype(np.float32), (rng.random((n, 3)) - o).astype(np.float32)


# -- a brute-force loop for comparison ---------------------------------------------------------

class BruteForceLoop:
    """Every ray against every triangle in a ``dr.while_loop`` (the baseline)."""

    def __init__(self, p0, p1, p2):
        self.m = len(p0)
        # 16 floats per triangle, like the BVH's records: one packet gather each.
        corners = [bk.Array3f(*(bk.Float(c[:, i]) for i in range(3))) for c in (p0, p1, p2)]
        fields = [corners[0], *triangle_space_rows(*corners)]
        data = np.zeros((self.m, 16), np.float32)
        data[:, :12] = np.concatenate([f.numpy().T for f in fields], 1)
        self.data = bk.from_numpy(bk.Float, data)       # Dr.Jit's memory: aligned for packet gathers
        self.array_xf = sys.modules[bk.Float.__module__].ArrayXf

    def _triangle(self, k):
        r = dr.gather(self.array_xf, self.data, k, shape=(16, dr.width(k)))
        return tuple(bk.Array3f(r[k], r[k + 1], r[k + 2]) for k in (0, 3, 6, 9))

    def intersect(self, o, d, t_max, active=True):
        n = dr.width(d)

        def body(k, t, prim, u, v):
            hit, t_k, u_k, v_k = intersect_in_triangle_space(o, d, *self._triangle(k), t)
            return (k + 1, dr.select(hit, t_k, t), dr.select(hit, k, prim),
                    dr.select(hit, u_k, u), dr.select(hit, v_k, v))
        state = (dr.zeros(bk.UInt32, n), dr.full(bk.Float, t_max, n), dr.full(bk.UInt32, INVALID_INDEX, n),
                 dr.zeros(bk.Float, n), dr.zeros(bk.Float, n))
        return dr.while_loop(state, lambda k, *_: k < self.m, body)[1:]

    def occluded(self, o, d, t_max, active=True):
        n = dr.width(d)

        def body(k, hit):
            return k + 1, hit | intersect_in_triangle_space(o, d, *self._triangle(k), t_max)[0]
        state = (dr.zeros(bk.UInt32, n), dr.zeros(bk.Bool, n))
        return dr.while_loop(state, lambda k, hit: (k < self.m) & ~hit, body)[1]


class MitsubaScene:
    """The same triangles in Mitsuba 3, queried through its scene's ray tests."""

    def __init__(self, p0, p1, p2):
        import mitsuba as mi
        mi.set_variant('cuda_ad_rgb' if bk.name == 'cuda' else 'llvm_ad_rgb')
        self.mi = mi
        m = len(p0)
        mesh = mi.Mesh('soup', vertex_count=3 * m, face_count=m)
        params = mi.traverse(mesh)
        params['vertex_positions'] = mi.Float(np.stack([p0, p1, p2], 1).ravel())
        params['faces'] = mi.UInt32(np.arange(3 * m, dtype=np.uint32))
        params.update()
        self.scene = mi.load_dict({'type': 'scene', 'soup': mesh})

    def _ray(self, o, d, t_max):
        """A Mitsuba ray; it wants unit directions, so t_max is rescaled."""
        mi = self.mi
        o, d = o.numpy(), d.numpy()                      # shape (3, N)
        length = np.linalg.norm(d, axis=0)
        ray = mi.Ray3f(mi.Point3f(np.ascontiguousarray(o)),
                       mi.Vector3f(np.ascontiguousarray(d / length)))
        ray.maxt = mi.Float((t_max * length).astype(np.float32))
        return ray

    def prepare(self, o, d, t_max):
        self.ray = self._ray(o, d, t_max)
        dr.eval(self.ray)

    def intersect(self, o, d, t_max, active=True):
        pi = self.scene.ray_intersect_preliminary(self.ray)
        return pi.t, pi.prim_index, pi.prim_uv

    def occluded(self, o, d, t_max, active=True):
        return self.scene.ray_test(self.ray)


# -- measuring ---------------------------------------------------------------------------------

def _cpu_ticks():
    """(idle, total) jiffies of all CPUs, from Linux's /proc/stat."""
    with open('/proc/stat') as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return ticks[3] + ticks[4], sum(ticks)


def wait_until_idle(timeout=120.0):
    """On a shared machine: wait until the CPUs were >90% idle for 0.3 s."""
    if not os.path.exists('/proc/stat'):
        return
    end = time.time() + timeout
    while time.time() < end:
        idle0, total0 = _cpu_ticks()
        time.sleep(0.3)
        idle1, total1 = _cpu_ticks()
        if idle1 - idle0 > 0.9 * max(total1 - total0, 1):
            return


WAIT_IDLE = False


def measure(call, runs):
    """Time ``call`` after one warm-up: (first, median wall, median kernel,
    best kernel) in ms, and the last result."""
    dr.set_flag(dr.JitFlag.KernelHistory, True)
    wall, kernel = [], []
    for i in range(runs + 1):
        if WAIT_IDLE and i > 0:
            wait_until_idle()
        dr.kernel_history()                 # clear
        start = time.perf_counter()
        out = call()
        dr.eval(out)
        dr.sync_thread()
        elapsed = time.perf_counter() - start
        ran = sum(k.get('execution_time', 0.0) for k in dr.kernel_history()
                  if k['type'] == dr.KernelType.JIT)
        if i == 0:
            first = elapsed
        else:
            wall.append(elapsed)
            kernel.append(ran)
    dr.set_flag(dr.JitFlag.KernelHistory, False)
    return 1e3 * first, 1e3 * float(np.median(wall)), float(np.median(kernel)), min(kernel), out


HEADER = ('{:8s} {:9s} {:10s} {:9s} {:>8s} {:>8s} {:>7s} {:>9s} {:>7s} {:>8s} {:>5s}'.format(
    'scene', 'rays', 'strategy', 'query', 'first ms', 'wall ms', 'Mray/s',
    'kernel ms', 'Mray/s', 'best ms', 'hits'))
ROW = '{:8s} {:9s} {:10s} {:9s} {:8.1f} {:8.2f} {:7.1f} {:9.2f} {:7.1f} {:8.2f} {:5.3f}'


def run_case(rows, scene, rays_name, strategy, accel, o, d, runs, t_max=dr.inf,
             queries=('intersect', 'occluded')):
    """Time the queries of one strategy; append and print table rows."""
    n = dr.width(d)
    if isinstance(accel, MitsubaScene):
        accel.prepare(o, d, t_max)
    for query in queries:
        first, wall, kernel, best, out = measure(lambda: getattr(accel, query)(o, d, t_max), runs)
        hits = dr.isfinite(out[0]) if query == 'intersect' else out
        row = dict(scene=scene, rays=rays_name, strategy=strategy, query=query, first=first,
                   wall=wall, kernel=kernel, best=best, hits=dr.count(hits)[0] / n, n=n)
        rows.append(row)
        print(ROW.format(scene, rays_name, strategy, query, first, wall, n / wall / 1e3,
                         kernel, n / kernel / 1e3 if kernel else float('nan'), best, row['hits']),
              flush=True)


def print_ratios(rows, baseline):
    """Time of each strategy relative to ``baseline`` (< 1: faster than it)."""
    base = {(r['scene'], r['rays'], r['query']): r for r in rows if r['strategy'] == baseline}
    if not base:
        return
    print(f'\ntime relative to {baseline} (same run; < 1 is faster): wall / kernel median / kernel best')
    for r in rows:
        b = base.get((r['scene'], r['rays'], r['query']))
        if b is not None and r['strategy'] != baseline:
            print('{:8s} {:9s} {:10s} {:9s} {:5.2f} / {:5.2f} / {:5.2f}'.format(
                r['scene'], r['rays'], r['strategy'], r['query'], r['wall'] / b['wall'],
                r['kernel'] / b['kernel'], r['best'] / b['best']))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='fewer runs, smaller soup')
    parser.add_argument('--no-mitsuba', action='store_true', help='skip the Mitsuba 3 comparison')
    parser.add_argument('--wait-idle', action='store_true',
                        help='before each timed run, wait until other processes leave the CPUs idle')
    args = parser.parse_args()
    global WAIT_IDLE
    WAIT_IDLE = args.wait_idle
    runs = 3 if args.quick else 9
    print(f'backend: {bk.name}, Dr.Jit {dr.__version__}, {os.cpu_count()} CPUs, '
          f'median of {runs} runs after a warm-up')
    rows = []

    # (a) Cornell box.
    p0, p1, p2 = cornell_box()
    accels = {}
    for name, make in (('unrolled', lambda: BVH(p0, p1, p2)),
                       ('tree', lambda: BVH(p0, p1, p2, unroll_limit=0)),
                       ('brute loop', lambda: BruteForceLoop(p0, p1, p2))):
        start = time.perf_counter()
        accels[name] = make()
        print(f'cbox build: {name} in {1e3 * (time.perf_counter() - start):.2f} ms')
    if not args.no_mitsuba:
        try:
            accels['mitsuba'] = MitsubaScene(p0, p1, p2)
        except Exception as e:  # not installed, or no variant for this backend
            print(f'(mitsuba skipped: {type(e).__name__}: {e})')
    camera = camera_rays()
    # Ray sets: name -> (origins, directions, t_max, queries worth timing).
    ray_sets = {'camera': camera + (dr.inf, ('intersect', 'occluded')),
                'scattered': scattered_rays(512 * 512, (0, 0, 0), (552, 548, 559))
                + (dr.inf, ('intersect', 'occluded')),
                'shadow': shadow_rays(accels['unrolled'], camera) + (1 - 1e-4, ('occluded',))}
    print(HEADER)
    for rays_name, (o_np, d_np, t_max, queries) in ray_sets.items():
        o, d = bk.Array3f(o_np.T), bk.Array3f(d_np.T)
        dr.eval(o, d)
        for name, accel in accels.items():
            run_case(rows, 'cbox', rays_name, name, accel, o, d, runs, t_max, queries)

    # (b) Random soup.
    m = 20_000 if args.quick else 100_000
    p0, p1, p2 = random_soup(m)
    bvh = BVH(p0, p1, p2)
    print(f'\nsoup build: {bvh!r}')
    accels = {'tree': bvh}
    if not args.no_mitsuba and 'mitsuba' in sys.modules:
        accels['mitsuba'] = MitsubaScene(p0, p1, p2)
    o_np, d_np = soup_rays(512 * 512)
    o, d = bk.Array3f(o_np.T), bk.Array3f(d_np.T)
    dr.eval(o, d)
    print(HEADER)
    for name, accel in accels.items():
        run_case(rows, f'soup{m // 1000}k', 'into', name, accel, o, d, runs)
    print_ratios(rows, 'unrolled')
    print_ratios(rows, 'mitsuba')


if __name__ == '__main__':
    main()

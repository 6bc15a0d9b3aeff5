"""Benchmark: one iteration of object pose estimation with prb_projective, ours and Mitsuba 3's.

The problem of notebook 6: the cube of ``scenes/visibility/cube.xml``
(64 x 64, or ``--size`` pixels square for both renderers), its pose
(x, z, angle) applied to the initial vertices with a differentiable
``Transform4f``, written back with
``params.update()``, rendered with ``prb_projective`` at ``--spp``
samples per pixel, the squared error to a reference image, and one
reverse-mode pass to the three pose values. Mitsuba 3 does the same with
its own ``prb_projective`` (variant ``llvm_ad_rgb``) in the same run; the two
take turns iteration by iteration, so that machine load drifts into both
alike. Reports the median milliseconds per iteration over ``--iterations``
steady iterations (at least 3 for a median that one slow iteration does not
move) after ``--warmup`` iterations (which include compiling) and the ratio
(ours / Mitsuba's; goal <= 1.0).

On the CPU Mitsuba 3's ``prb_projective`` takes minutes per iteration at
64 x 64 (about 440 s on a loaded 2-core machine), so the defaults, 2 + 3
iterations, take about 40 minutes there; ``--size 32`` about a quarter of
that, ``--size 16`` 1.5 to 3 minutes.

    python benchmarks/pose.py [--iterations 3] [--warmup 2] [--spp 4] [--size 64] [--no-mitsuba]
"""
import argparse
import os
import statistics
import sys

import numpy as np

import tutorial_kit as tk
import drjit as dr
from tutorial_kit import widgets

from measure import timed

SCENE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scenes', 'visibility', 'cube.xml')
KEY = 'object.vertex_positions'
TRUE_POSE = (0.3, -0.2, 20.0)
FILM = '<integer name="width" value="64"/><integer name="height" value="64"/>'


def scene_text(size):
    """The XML of the pose scene with a film of ``size`` x ``size`` pixels."""
    with open(SCENE) as f:
        text = f.read()
    if FILM not in text:
        raise SystemExit(f'{SCENE}: no 64 x 64 film to resize')
    return text.replace(FILM, f'<integer name="width" value="{size}"/><integer name="height" value="{size}"/>')


def our_iteration(spp, size):
    scene = tk.load_string(scene_text(size), integrator='prb_projective')
    problem = widgets.PoseProblem(scene, KEY, spp=spp)
    problem.set_reference(TRUE_POSE, spp=spp)
    return lambda pose, seed: problem.loss_and_gradient(pose, seed=seed)[1]


def mitsuba_iteration(spp, size):
    try:
        import mitsuba as mi
    except ImportError:
        return None
    mi.set_variant('llvm_ad_rgb')
    scene = mi.load_string(scene_text(size), integrator='prb_projective')
    params = mi.traverse(scene)
    initial = dr.unravel(mi.Point3f, params[KEY])
    centre = [float(np.mean(np.array(initial[k]))) for k in range(3)]

    def apply(pose):
        x, z, angle = pose
        trafo = mi.Transform4f().translate(mi.Point3f(centre[0] + x, centre[1], centre[2] + z)) \
            .rotate([0, 1, 0], angle).translate([-c for c in centre])
        params[KEY] = dr.ravel(trafo @ initial)
        params.update()

    apply([mi.Float(v) for v in TRUE_POSE])
    reference = mi.render(scene, spp=spp, seed=0)

    def iteration(pose, seed):
        values = [dr.opaque(mi.Float, float(v)) for v in pose]   # literals would recompile
        dr.enable_grad(*values)
        apply(values)
        image = mi.render(scene, params, spp=spp, seed=seed)
        loss = dr.mean(dr.square(image - reference), axis=None)
        dr.backward(loss)
        return [v.grad for v in values]
    return iteration


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iterations', type=int, default=3, help='steady iterations per renderer')
    parser.add_argument('--warmup', type=int, default=2, help='iterations left out (compiling)')
    parser.add_argument('--spp', type=int, default=4)
    parser.add_argument('--size', type=int, default=64, help='film width and height, pixels')
    parser.add_argument('--no-mitsuba', action='store_true')
    args = parser.parse_args()
    if args.iterations < 1 or args.warmup < 0 or args.spp < 1 or args.size < 1:
        parser.error('--iterations, --spp and --size must be positive, --warmup not negative')
    runs = {'tutorial_kit': our_iteration(args.spp, args.size)}
    theirs = None if args.no_mitsuba else mitsuba_iteration(args.spp, args.size)
    if theirs is not None:
        runs['mitsuba 3'] = theirs
    times = {name: [] for name in runs}
    for it in range(args.warmup + args.iterations):
        pose = (0.02 * it, -0.01 * it, 1.0 * it)
        for name, run in runs.items():
            seconds = timed(lambda: run(pose, it))
            print(f'  iteration {it} {name}: {seconds * 1e3:.0f} ms', file=sys.stderr, flush=True)
            if it >= args.warmup:
                times[name].append(seconds)
    print(f'pose estimation, cube {args.size} x {args.size}, spp {args.spp}, prb_projective, '
          f'{os.cpu_count()} CPU threads; median of {args.iterations} iterations after {args.warmup}')
    ours = statistics.median(times['tutorial_kit'])
    for name, values in times.items():
        median = statistics.median(values)
        ratio = f'   ratio {ours / median:.2f}' if name != 'tutorial_kit' else ''
        print(f'{name:<14}{median * 1e3:>9.0f} ms/iteration{ratio}')
    print('ratio = tutorial_kit time / Mitsuba 3 time (goal <= 1.0)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Benchmark: the tutorial's optimisation loop, ours against Mitsuba 3.

One iteration = a 512 x 512 differentiable render of ``scenes/cbox/cbox.xml``
at 1 spp (max_depth 3, as the file says), the mean squared error to an 8-spp
reference, ``dr.backward`` and an Adam step on ``red.reflectance.value``.
Reported for biased and unbiased gradients:

- the first iteration (it compiles the kernels; Dr.Jit's on-disk cache may
  make it shorter on a second run),
- the median of ``--iterations`` synchronised iterations after a warm-up,
- peak Dr.Jit memory of the loop: its own, above what was allocated before
  it started (the loops are built one after the other and all stay alive).

When Mitsuba 3 is installed, its loop (variant ``llvm_ad_rgb``, or
``cuda_ad_rgb`` on CUDA) runs on the same file in the same process, and the
ratio ours / theirs is printed (below 1: we are faster). All loops take
turns iteration by iteration, so that they all see the same machine state:
on a shared machine, timing one after the other would let its load drift
into the ratios. Reference points from the tutorial: 50 ms
(unbiased) and 27 ms (biased) per iteration on an NVIDIA Titan RTX.

    python benchmarks/invert_cbox.py [--iterations N] [--backend llvm|cuda] [--no-mitsuba] [--results DIR]

The figures go to ``DIR/invert_cbox.json`` and ``.png`` (default ``benchmarks/results``).
"""
import argparse
import os
import statistics
import sys

import tutorial_kit as tk
import drjit as dr

from measure import timed, with_added_memory
from report import RESULTS, save

SCENE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scenes', 'cbox', 'cbox.xml')
KEY = 'red.reflectance.value'


class OurLoop:
    def __init__(self, unbiased):
        self.scene = tk.load_file(SCENE)
        self.params = tk.traverse(self.scene)
        self.params.keep([KEY])
        self.reference = tk.render(self.scene, spp=8, seed=0)
        dr.eval(self.reference)             # rendered now, not inside the first timed iteration
        self.params[KEY] = [.9, .9, .9]
        self.params.update()
        self.opt = tk.Adam(self.params, lr=.2)
        self.unbiased = unbiased

    def iteration(self):
        image = tk.render(self.scene, optimizer=self.opt, unbiased=self.unbiased, spp=1)
        dr.backward(dr.mean(dr.square(image - self.reference), axis=None))
        self.opt.step()
        return self.params[KEY]


class MitsubaLoop:
    def __init__(self, variant):
        import mitsuba as mi
        mi.set_variant(variant)
        self.mi = mi
        self.scene = mi.load_file(SCENE, optimize=False)
        self.params = mi.traverse(self.scene)
        self.reference = mi.render(self.scene, spp=8, seed=0)
        dr.eval(self.reference)             # rendered now, not inside the first timed iteration
        self.opt = mi.ad.Adam(lr=.2)
        self.opt[KEY] = mi.Color3f(.9, .9, .9)
        self.params.update(self.opt)
        self.seed = 0

    def iteration(self):
        # Mitsuba 3 always decorrelates the primal and derivative passes (it
        # refuses equal seeds), so its loop is the same in both modes.
        self.seed += 1
        image = self.mi.render(self.scene, self.params, spp=1, seed=self.seed,
                               seed_grad=self.seed + 1_000_000)
        dr.backward(dr.mean(dr.square(image - self.reference), axis=None))
        self.opt.step()
        self.params.update(self.opt)
        return self.params[KEY]


def new_loop(make_loop):
    """A new loop, its first-iteration time, and the peak Dr.Jit memory (MiB) it
    adds over its first few iterations."""
    def first_iterations():
        loop = make_loop()
        first = timed(loop.iteration)
        for _ in range(2):
            timed(loop.iteration)
        return loop, first
    (loop, first), memory = with_added_memory(first_iterations)
    return loop, first, memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iterations', type=int, default=20)
    parser.add_argument('--backend', choices=('llvm', 'cuda'), default=None)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for invert_cbox.json and .png')
    args = parser.parse_args()
    if args.backend:
        tk.set_backend(args.backend)
    variant = 'cuda_ad_rgb' if tk.backend.name == 'cuda' else 'llvm_ad_rgb'
    with_mitsuba = not args.no_mitsuba
    if with_mitsuba:
        try:
            import mitsuba  # noqa: F401
        except ImportError:
            with_mitsuba = False

    print(f'Tutorial loop, Cornell box 512 x 512, spp 1, Adam; backend {tk.backend.name}, '
          f'{os.cpu_count()} CPU threads; median of {args.iterations} iterations after a warm-up')
    print(f'{"mode":<10}{"renderer":<14}{"first ms":>10}{"median ms":>11}{"peak MiB":>10}{"ratio":>8}')
    rows = [('biased', 'tutorial_kit', *new_loop(lambda: OurLoop(False))),
            ('unbiased', 'tutorial_kit', *new_loop(lambda: OurLoop(True)))]
    if with_mitsuba:
        # Mitsuba 3 always decorrelates its primal and derivative passes: one loop for both modes.
        rows.append(('both', 'mitsuba 3', *new_loop(lambda: MitsubaLoop(variant))))
    times = {mode: [] for mode, *_ in rows}
    for _ in range(args.iterations):
        for mode, name, loop, *_ in rows:
            times[mode].append(timed(loop.iteration))
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    for mode, name, loop, first_time, peak in rows:
        ratio = f'{medians[mode] / medians["both"]:.2f}' if with_mitsuba and mode != 'both' else ''
        print(f'{mode:<10}{name:<14}{first_time * 1e3:>10.0f}{medians[mode] * 1e3:>11.1f}'
              f'{peak:>10.0f}{ratio:>8}')
    print(f'unbiased / biased (tutorial_kit): {medians["unbiased"] / medians["biased"]:.2f}')
    details = {mode: (first_time * 1e3, peak) for mode, name, loop, first_time, peak in rows}
    save('invert_cbox', "The tutorial's optimisation loop (512 x 512, spp 1, Adam)", [
        {'case': f'tutorial loop, {mode}, per iteration', 'unit': 'ms',
         'tutorial_kit': medians[mode] * 1e3, 'mitsuba': medians['both'] * 1e3 if with_mitsuba else None,
         'first_call_ms': {'tutorial_kit': details[mode][0],
                           **({'mitsuba 3': details['both'][0]} if with_mitsuba else {})},
         'peak_mib': {'tutorial_kit': details[mode][1],
                      **({'mitsuba 3': details['both'][1]} if with_mitsuba else {})}}
        for mode in ('biased', 'unbiased')], directory=args.results)
    print('ratio = tutorial_kit / Mitsuba 3 per iteration; '
          'the tutorial: 50 ms unbiased, 27 ms biased (NVIDIA Titan RTX)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Benchmark: Mitsuba 3's gradient-based optimisation tutorial, ours against Mitsuba 3.

The loop of mitsuba-tutorials' ``inverse_rendering/gradient_based_opt``:
``scenes/cbox/cbox_rgb.xml`` loaded with ``res=128, integrator='prb'``,
the red wall set to (0.01, 0.2, 0.9), Adam with lr 0.05 on
``red.reflectance.value``, and per iteration a differentiable render at
spp 4, the mean squared error to a 512-spp reference, ``dr.backward``,
``opt.step()``, clipping to [0, 1] and ``params.update(opt)``. The same code
runs with ``mi = tutorial_kit`` and, when it is installed, with Mitsuba 3
(``llvm_ad_rgb``, or ``cuda_ad_rgb`` on CUDA) in the same process; the two
loops take turns iteration by iteration, so that both see the same machine
state. Reports the first iteration (compiles), the median iteration, and the
squared parameter error after the last one.

    python benchmarks/mitsuba3_tutorial.py [--iterations N] [--backend llvm|cuda] [--no-mitsuba] [--results DIR]

The figures go to ``DIR/mitsuba3_tutorial.json`` and ``.png`` (default ``benchmarks/results``).
"""
import argparse
import os
import statistics
import sys

import tutorial_kit as tk
import drjit as dr

from measure import timed
from report import RESULTS, save

SCENE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scenes', 'cbox', 'cbox_rgb.xml')
KEY = 'red.reflectance.value'


class TutorialLoop:
    """The tutorial's set-up and loop body, written against the module ``mi``."""

    def __init__(self, mi):
        self.mi = mi
        self.scene = mi.load_file(SCENE, res=128, integrator='prb')
        self.image_ref = mi.render(self.scene, spp=512)
        dr.eval(self.image_ref)             # rendered now, not inside the first timed iteration
        dr.sync_thread()
        self.params = mi.traverse(self.scene)
        self.param_ref = mi.Color3f(self.params[KEY])
        self.params[KEY] = mi.Color3f(0.01, 0.2, 0.9)
        self.params.update()
        self.opt = mi.ad.Adam(lr=0.05)
        self.opt[KEY] = self.params[KEY]
        self.params.update(self.opt)

    def iteration(self):
        image = self.mi.render(self.scene, self.params, spp=4)
        loss = dr.mean(dr.square(image - self.image_ref))
        dr.backward(loss)
        self.opt.step()
        self.opt[KEY] = dr.clip(self.opt[KEY], 0.0, 1.0)
        self.params.update(self.opt)
        return self.params[KEY]

    def error(self):
        return float(dr.sum(dr.square(self.param_ref - self.params[KEY]))[0])


def mitsuba_module(backend):
    try:
        import mitsuba as mi
    except ImportError:
        return None
    mi.set_variant('cuda_ad_rgb' if backend == 'cuda' else 'llvm_ad_rgb')
    return mi


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iterations', type=int, default=50)
    parser.add_argument('--backend', choices=('llvm', 'cuda'), default=None)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for mitsuba3_tutorial.json and .png')
    args = parser.parse_args()
    if args.backend:
        tk.set_backend(args.backend)
    modules = {'tutorial_kit': tk}
    mi = None if args.no_mitsuba else mitsuba_module(tk.backend.name)
    if mi is not None:
        modules['mitsuba 3'] = mi
    loops = {name: TutorialLoop(module) for name, module in modules.items()}
    first = {name: timed(loop.iteration) for name, loop in loops.items()}
    times = {name: [] for name in loops}
    for _ in range(args.iterations - 1):
        for name, loop in loops.items():
            times[name].append(timed(loop.iteration))
    medians = {name: statistics.median(values) for name, values in times.items()}
    errors = {name: loop.error() for name, loop in loops.items()}

    print(f'Mitsuba 3 tutorial loop, Cornell box 128 x 128, prb, spp 4, Adam lr 0.05; backend '
          f'{tk.backend.name}, {os.cpu_count()} CPU threads; {args.iterations} iterations')
    print(f'{"renderer":<14}{"first ms":>10}{"median ms":>11}{"error":>10}{"ratio":>8}')
    for name in loops:
        ratio = f'{medians["tutorial_kit"] / medians[name]:.2f}' if name != 'tutorial_kit' else ''
        print(f'{name:<14}{first[name] * 1e3:>10.0f}{medians[name] * 1e3:>11.1f}{errors[name]:>10.2e}{ratio:>8}')
    print('error: squared parameter error after the last iteration; '
          'ratio = tutorial_kit time / Mitsuba 3 time (below 1: we are faster)')
    save('mitsuba3_tutorial', "Mitsuba 3's gradient-based optimisation tutorial (128 x 128, spp 4, prb)", [
        {'case': 'Mitsuba 3 tutorial loop, per iteration', 'unit': 'ms',
         'tutorial_kit': medians['tutorial_kit'] * 1e3,
         'mitsuba': medians['mitsuba 3'] * 1e3 if 'mitsuba 3' in medians else None,
         'first_call_ms': {name: value * 1e3 for name, value in first.items()},
         'parameter_error': errors, 'iterations': args.iterations}], directory=args.results)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Benchmark: primal renders of the bundled Cornell box, ours and Mitsuba 3's.

Reports, for a 512 x 512 render of ``scenes/cbox/cbox.xml`` at 1 and 64 spp:
the first call (which includes compiling the kernels), the median of the
following calls, and the peak Dr.Jit memory of one 64-spp render. When
Mitsuba 3 is installed it renders the same file in the same run with variant
``llvm_ad_rgb`` (or ``cuda_ad_rgb`` on a GPU), and the ratio is printed. The
two renderers take turns call by call, so that both see the same machine
state: on a shared machine, timing one after the other would let its load
drift into the ratio.

    python benchmarks/render.py [--repeats N] [--backend llvm|cuda] [--no-mitsuba] [--results DIR]

Timings are synchronised (see ``measure.timed``). The figures go to
``DIR/render.json`` and ``DIR/render.png`` (default ``benchmarks/results``).
"""
import argparse
import os
import resource
import statistics
import sys

import tutorial_kit as tk

from measure import timed, with_added_memory
from report import RESULTS, save

SCENE = os.path.join(os.path.dirname(__file__), '..', 'scenes', 'cbox', 'cbox.xml')


def mitsuba_renderer(backend):
    try:
        import mitsuba as mi
    except ImportError:
        return None
    mi.set_variant('cuda_ad_rgb' if backend == 'cuda' else 'llvm_ad_rgb')
    scene = mi.load_file(SCENE)
    return lambda spp: mi.render(scene, spp=spp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--backend', choices=('llvm', 'cuda'), default=None)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for render.json and render.png')
    args = parser.parse_args()
    if args.backend:
        tk.set_backend(args.backend)
    backend = tk.backend.name
    scene = tk.load_file(SCENE)
    renderers = {'tutorial_kit': lambda spp: tk.render(scene, spp=spp)}
    theirs = None if args.no_mitsuba else mitsuba_renderer(backend)
    if theirs is not None:
        renderers['mitsuba 3'] = theirs

    print(f'Cornell box 512 x 512, backend {backend}, {os.cpu_count()} CPU threads, '
          f'median of {args.repeats} after the first call')
    print(f'{"renderer":<14}{"spp":>5}{"first call ms":>15}{"median ms":>12}{"peak MiB":>10}{"ratio":>8}')
    rows = []
    for spp in (1, 64):
        repeats = args.repeats if spp == 1 else max(2, args.repeats // 2)
        # The first call compiles; its peak memory is the render's own.
        first = {name: with_added_memory(lambda: timed(lambda: render(spp)))
                 for name, render in renderers.items()}
        times = {name: [] for name in renderers}
        for _ in range(repeats):
            for name, render in renderers.items():
                times[name].append(timed(lambda: render(spp)))
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name in renderers:
            seconds, peak = first[name]
            ratio = f'{medians["tutorial_kit"] / medians[name]:.2f}' if name != 'tutorial_kit' else ''
            print(f'{name:<14}{spp:>5}{seconds * 1e3:>15.0f}{medians[name] * 1e3:>12.0f}'
                  f'{peak:>10.0f}{ratio:>8}')
        rows.append({'case': f'render 512 x 512, {spp} spp', 'unit': 'ms',
                     'tutorial_kit': medians['tutorial_kit'] * 1e3,
                     'mitsuba': medians['mitsuba 3'] * 1e3 if 'mitsuba 3' in medians else None,
                     'first_call_ms': {name: first[name][0] * 1e3 for name in renderers},
                     'peak_mib': {name: first[name][1] for name in renderers}})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'peak MiB: Dr.Jit memory that the first call adds; peak process RSS {rss:.0f} MiB'
          + (' (both renderers)' if theirs is not None else ''))
    print('ratio = tutorial_kit time / Mitsuba 3 time (below 1: we are faster)')
    save('render', 'Primal render of the Cornell box', rows, directory=args.results)
    return 0


if __name__ == '__main__':
    sys.exit(main())

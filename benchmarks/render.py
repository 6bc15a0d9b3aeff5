"""Benchmark: primal renders of the bundled Cornell box, ours and Mitsuba 3's.

Reports, for a 512 x 512 render of ``scenes/cbox/cbox.xml`` at 1 and 64 spp:
the first call (which includes compiling the kernels), the median of the
following calls, and peak memory. When Mitsuba 3 is installed it renders the
same file in the same run with variant ``llvm_ad_rgb`` (or ``cuda_ad_rgb``
on a GPU), alternating with ours, and the ratio is printed.

    python benchmarks/render.py [--repeats N] [--backend llvm|cuda] [--no-mitsuba]

Timings are synchronised (``dr.sync_thread``) so that asynchronous kernel
launches are not mistaken for finished work.
"""
import argparse
import os
import resource
import statistics
import sys
import time

import tutorial_kit as tk
import drjit as dr

SCENE = os.path.join(os.path.dirname(__file__), '..', 'scenes', 'cbox', 'cbox.xml')


def timed(render):
    start = time.perf_counter()
    image = render()
    dr.eval(image)
    dr.sync_thread()
    return time.perf_counter() - start


def measure(render, repeats):
    first = timed(render)
    steady = [timed(render) for _ in range(repeats)]
    return first, statistics.median(steady)


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
    args = parser.parse_args()
    if args.backend:
        tk.set_backend(args.backend)
    backend = tk.backend.name
    scene = tk.load_file(SCENE)
    theirs = None if args.no_mitsuba else mitsuba_renderer(backend)

    print(f'Cornell box 512 x 512, backend {backend}, {os.cpu_count()} CPU threads, '
          f'median of {args.repeats} after the first call')
    print(f'{"renderer":<14}{"spp":>5}{"first call ms":>15}{"median ms":>12}{"ratio":>8}')
    for spp in (1, 64):
        repeats = args.repeats if spp == 1 else max(2, args.repeats // 2)
        first, ours = measure(lambda: tk.render(scene, spp=spp), repeats)
        print(f'{"tutorial_kit":<14}{spp:>5}{first * 1e3:>15.0f}{ours * 1e3:>12.0f}{"":>8}')
        if theirs is not None:
            first_m, mitsuba = measure(lambda: theirs(spp), repeats)
            print(f'{"mitsuba 3":<14}{spp:>5}{first_m * 1e3:>15.0f}{mitsuba * 1e3:>12.0f}'
                  f'{ours / mitsuba:>8.2f}')
    peak = dr.detail.malloc_watermark(tk.backend.jit_backend())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'peak Dr.Jit memory {peak / 2**20:.0f} MiB, peak process RSS {rss:.0f} MiB'
          + (' (both renderers)' if theirs is not None else ''))
    print('ratio = tutorial_kit time / Mitsuba 3 time (below 1: we are faster)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

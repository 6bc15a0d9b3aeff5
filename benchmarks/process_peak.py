"""Benchmark: peak memory of a whole process that renders, ours against Mitsuba 3's.

Each renderer runs in a fresh Python process of its own, which loads
``scenes/cbox/cbox.xml`` and renders it once at 512 x 512 and ``--spp``
samples per pixel (64 by default). Printed per renderer: the process's peak
resident memory (``ru_maxrss``: interpreter, libraries, compiled kernels
and data), measured before and after the render, and the render time.
Run the processes one after the other, ``--repeats`` times in turn.

    python benchmarks/process_peak.py [--spp 64] [--repeats 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

SCENE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scenes', 'cbox', 'cbox.xml')

CHILD = r'''
import json, resource, sys, time
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
name, scene_path, spp = sys.argv[1], sys.argv[2], int(sys.argv[3])
if name == 'tutorial_kit':
    import tutorial_kit as tk
    import drjit as dr
    scene = tk.load_file(scene_path)
    render = lambda: tk.render(scene, spp=spp, seed=0)
else:
    import mitsuba as mi
    import drjit as dr
    mi.set_variant('llvm_ad_rgb')
    scene = mi.load_file(scene_path)
    render = lambda: mi.render(scene, spp=spp, seed=0)
before = peak()
start = time.perf_counter()
image = render()
dr.eval(image)
dr.sync_thread()
seconds = time.perf_counter() - start
print(json.dumps(dict(before=before, after=peak(), seconds=seconds)))
'''


def run(name, spp):
    output = subprocess.run([sys.executable, '-c', CHILD, name, SCENE, str(spp)], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--spp', type=int, default=64)
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args()
    names = ['tutorial_kit']
    try:
        import mitsuba  # noqa: F401
        names.append('mitsuba 3')
    except ImportError:
        pass
    results = {name: [] for name in names}
    for _ in range(args.repeats):
        for name in names:
            results[name].append(run(name, args.spp))
    print(f'Cornell box 512 x 512, {args.spp} spp, one fresh process per render; '
          f'medians of {args.repeats}')
    print(f'{"renderer":<14}{"peak MiB before":>16}{"peak MiB after":>16}{"render s":>10}')
    for name, rows in results.items():
        before, after, seconds = (statistics.median(r[key] for r in rows)
                                  for key in ('before', 'after', 'seconds'))
        print(f'{name:<14}{before:>16.0f}{after:>16.0f}{seconds:>10.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

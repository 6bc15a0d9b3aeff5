"""Benchmark: large meshes, ours against Mitsuba 3: load and render time by size.

For each triangle count, :mod:`make_mesh` writes a noisy terrain as binary
PLY and as OBJ (positions only, and with texture coordinates and normals)
into a temporary folder (never into the repository), with a
scene that frames it (512 x 512, 16 spp, ``max_depth`` 3, constant sky).
Measured, tutorial_kit and Mitsuba 3 (``llvm_ad_rgb``) taking turns call by
call so that machine load drifts into neither side:

* ``load ply`` / ``load obj``: ``load_file`` of the scene, which parses the
  mesh and builds the acceleration structure (ours: the BVH; Mitsuba 3:
  Embree's), synchronised; ``load obj p/t/n``: the same for an OBJ file
  with a texture coordinate and a normal per vertex, each table in its own
  order (corners ``p/t/n`` with three different numbers, as exporters write);
* ``render``: one 16-spp render of the loaded PLY scene (first call
  excluded; it compiles).

Prints medians, the ratio ours / Mitsuba 3, and for each column the slope
of a least-squares fit of log(time) against log(triangles) (1: time grows
linearly with the mesh). With ``--table FILE`` the same table is written as
Markdown.

    python benchmarks/mesh_scale.py [--sizes 10000 100000 1000000] [--repeats 3]
                                    [--spp 16] [--no-mitsuba] [--table FILE]
"""
import argparse
import os
import statistics
import sys
import tempfile

import numpy as np

import tutorial_kit as tk
import drjit as dr

from make_mesh import write_all
from measure import timed


#: Load tasks and the scene each loads; the columns of the table.
LOADS = {'load ply': 'ply_scene', 'load obj': 'obj_scene', 'load obj p/t/n': 'obj_ptn_scene'}
TASKS = (*LOADS, 'render')


def mitsuba():
    try:
        import mitsuba as mi
    except ImportError:
        return None
    mi.set_variant('cuda_ad_rgb' if tk.backend.name == 'cuda' else 'llvm_ad_rgb')
    return mi


def measure_size(triangles, folder, repeats, spp, mi):
    """Medians (seconds) per renderer and task for one mesh size, and the
    mean absolute difference of the two renders relative to their mean."""
    count, paths = write_all(triangles, os.path.join(folder, f'terrain_{triangles}'))
    loaders = {'tutorial_kit': tk.load_file}
    if mi is not None:
        loaders['mitsuba 3'] = mi.load_file
    times = {(name, task): [] for name in loaders for task in TASKS}
    scenes = {}
    for name, load in loaders.items():      # warm-up: compiles, fills file caches
        scenes[name] = load(paths['ply_scene'])
        load(paths['obj_scene'])
        load(paths['obj_ptn_scene'])
    for _ in range(repeats):
        for name, load in loaders.items():
            for task, scene in LOADS.items():
                times[name, task].append(timed(lambda: load(paths[scene])))
    images = {}
    for name in loaders:
        # The first call compiles. Evaluated here: a lazy image would be
        # computed inside the first timed call, doubling its time.
        images[name] = render(name, scenes[name], spp, mi)
        dr.eval(images[name])
        dr.sync_thread()
    for _ in range(repeats):
        for name in loaders:
            times[name, 'render'].append(timed(lambda: render(name, scenes[name], spp, mi)))
    difference = None
    if mi is not None:
        ours, theirs = (np.asarray(images[name]) for name in loaders)
        difference = float(np.abs(ours - theirs).mean() / np.abs(theirs).mean())
    del scenes
    for path in paths.values():
        os.remove(path)
    return count, {key: statistics.median(values) for key, values in times.items()}, difference


def render(name, scene, spp, mi):
    if name == 'tutorial_kit':
        return tk.render(scene, spp=spp)
    return mi.render(scene, spp=spp)


def slope(counts, seconds):
    """Exponent of a power law fitted to (count, seconds) pairs."""
    if len(counts) < 2:
        return float('nan')
    return float(np.polyfit(np.log(counts), np.log(seconds), 1)[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[10_000, 100_000, 1_000_000])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--spp', type=int, default=16)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--table', help='also write the table as Markdown to this file')
    args = parser.parse_args()
    mi = None if args.no_mitsuba else mitsuba()
    names = ['tutorial_kit'] + (['mitsuba 3'] if mi is not None else [])
    tasks = TASKS

    rows = []
    with tempfile.TemporaryDirectory(prefix='tk_mesh_') as folder:
        for size in args.sizes:
            count, medians, difference = measure_size(size, folder, args.repeats, args.spp, mi)
            rows.append((count, medians, difference))
            print(f'{count} triangles: ' + ', '.join(
                f'{task} {medians[name, task] * 1e3:.0f} ms ({name})'
                for task in tasks for name in names), file=sys.stderr)

    header = ['triangles'] + [f'{task} {name} ms' for task in tasks for name in names]
    if mi is not None:
        header += [f'{task} ratio' for task in tasks] + ['image difference']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for count, medians, difference in rows:
        cells = [f'{count:,}'] + [f'{medians[name, task] * 1e3:.0f}' for task in tasks for name in names]
        if mi is not None:
            cells += [f'{medians["tutorial_kit", task] / medians["mitsuba 3", task]:.2f}' for task in tasks]
            cells += [f'{difference:.3f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    counts = [count for count, _, _ in rows]
    cells = ['slope'] + [f'{slope(counts, [m[name, task] for _, m, _ in rows]):.2f}'
                         for task in tasks for name in names]
    if mi is not None:
        cells += [''] * (len(tasks) + 1)
    lines.append('| ' + ' | '.join(cells) + ' |')
    table = '\n'.join(lines)
    print(f'Noisy terrain meshes, backend {tk.backend.name}, {os.cpu_count()} CPU threads; '
          f'medians of {args.repeats}; render 512 x 512, {args.spp} spp, max_depth 3')
    print(table)
    print('ratio = tutorial_kit / Mitsuba 3; slope: time ~ triangles^slope (least squares, log-log); '
          'image difference: mean |ours - theirs| / mean |theirs|')
    if args.table:
        with open(args.table, 'w') as file:
            file.write(table + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())

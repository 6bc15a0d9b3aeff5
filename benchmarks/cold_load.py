"""Benchmark: the first load and first render of a large mesh in a fresh process, cold and warm.

What a student meets after restarting a notebook's kernel and opening a
scanned mesh: one load, then one render. Dr.Jit caches compiled kernels on
disk, keyed by the kernel's code, so a second process that loads a mesh of the
same size finds every kernel compiled; a mesh of a new size compiles some
again. This benchmark therefore writes, for every process, a sphere-like grid
with a vertex count no earlier run has seen (:func:`sphere_grid`, ``--triangles``
plus a few vertices that change with the run), as binary PLY and as OBJ, and
times in that fresh process:

* *cold load*: ``load_dict`` of a scene holding the mesh (file reading, the
  mesh's arrays, the acceleration structure), synchronised;
* *cold render*: the first 512 x 512, 16 spp, ``max_depth`` 3 render after it;
* *warm load* and *warm render*: the median of ``--warm`` more of each in
  the same process (the steady state that a loop meets).

The two renderers take turns process by process, and the figures are medians
over ``--repeats`` processes each. Mitsuba 3 (``llvm_ad_rgb``) runs the same
code when installed.

    python benchmarks/cold_load.py [--triangles N] [--repeats N] [--formats ply obj] [--results DIR]

The figures go to ``DIR/cold_load.json`` and ``.png`` (default ``benchmarks/results``).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

from make_mesh import write_obj, write_ply
from fresh_process import has_mitsuba, run_fresh
from report import RESULTS, save

HERE = os.path.dirname(os.path.abspath(__file__))


def sphere_grid(triangles, extra=0):
    """``(positions (V, 3) float32, faces (M, 3) int32)``: a latitude-longitude grid on a
    bumpy unit sphere, about ``triangles`` triangles, ``extra`` more longitudes' worth of
    vertices to make the vertex count new (each longitude adds ``rows + 1`` vertices)."""
    rows = max(2, int(round(np.sqrt(triangles / 4))))
    columns = max(3, int(round(triangles / (2 * rows)))) + extra
    theta = np.linspace(0.02, np.pi - 0.02, rows + 1)
    phi = np.linspace(0, 2 * np.pi, columns + 1)
    t, p = np.meshgrid(theta, phi, indexing='ij')
    radius = 1 + 0.03 * np.sin(7 * t) * np.cos(11 * p)
    positions = np.stack([radius * np.sin(t) * np.cos(p), radius * np.cos(t),
                          radius * np.sin(t) * np.sin(p)], axis=-1).reshape(-1, 3)
    corner = (np.arange(rows)[:, None] * (columns + 1) + np.arange(columns)[None, :]).reshape(-1)
    a, b, c, d = corner, corner + 1, corner + columns + 2, corner + columns + 1
    faces = np.stack([np.stack([a, b, c], 1), np.stack([a, c, d], 1)], 1).reshape(-1, 3)
    return positions.astype(np.float32), faces.astype(np.int32)


#: The code each fresh process runs; ``{module}`` is ``tutorial_kit`` or ``mitsuba``.
CHILD = r'''
import json, sys, time
sys.path.insert(0, {root!r})
import drjit as dr
import {module} as mi
if mi.__name__ == 'mitsuba':
    mi.set_variant('llvm_ad_rgb')

scene_dict = {{
    'type': 'scene',
    'integrator': {{'type': 'path', 'max_depth': 3}},
    'sensor': {{'type': 'perspective', 'fov': 40,
               'to_world': mi.ScalarTransform4f().look_at(origin=[0, 1.5, 3.2], target=[0, 0, 0], up=[0, 1, 0]),
               'sampler': {{'type': 'independent', 'sample_count': 16}},
               'film': {{'type': 'hdrfilm', 'width': 512, 'height': 512, 'rfilter': {{'type': 'box'}}}}}},
    'emitter': {{'type': 'constant'}},
    'mesh': {{'type': {kind!r}, 'filename': {path!r},
              'bsdf': {{'type': 'diffuse', 'reflectance': {{'type': 'rgb', 'value': [0.6, 0.5, 0.4]}}}}}},
}}

def timed(f):
    start = time.perf_counter()
    result = f()
    dr.sync_thread()
    return result, time.perf_counter() - start

def render(scene):
    image = mi.render(scene, spp=16)
    dr.eval(image)
    return image

scene, cold_load = timed(lambda: mi.load_dict(scene_dict))
_, cold_render = timed(lambda: render(scene))
warm_loads, warm_renders = [], []
for _ in range({warm}):
    del scene
    scene, seconds = timed(lambda: mi.load_dict(scene_dict))
    warm_loads.append(seconds)
    warm_renders.append(timed(lambda: render(scene))[1])
median = lambda v: sorted(v)[len(v) // 2] if v else None
print(json.dumps({{'cold_load': cold_load, 'cold_render': cold_render,
                  'warm_load': median(warm_loads), 'warm_render': median(warm_renders)}}))
'''

PARTS = ('cold_load', 'warm_load', 'cold_render', 'warm_render')


def run_child(module, root, kind, path, warm):
    """Seconds of one fresh process: {'cold_load': ..., 'cold_render': ..., 'warm_...': ...}."""
    code = CHILD.format(root=root, module=module, kind=kind, path=path, warm=warm)
    return run_fresh(code)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--triangles', type=int, default=1_000_000)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--warm', type=int, default=1, help='warm loads and renders per process')
    parser.add_argument('--formats', nargs='+', default=['ply', 'obj'])
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for cold_load.json and .png')
    parser.add_argument('--before', help='another checkout of tutorial_kit to time as well (before a change)')
    args = parser.parse_args()
    modules = {'tutorial_kit': ('tutorial_kit', os.path.join(HERE, '..'))}
    if args.before:
        modules['before'] = ('tutorial_kit', args.before)
    if not args.no_mitsuba and has_mitsuba():
        modules['mitsuba 3'] = ('mitsuba', HERE)
    # A vertex count that changes with every process (each step adds one
    # longitude, a few hundred vertices): no kernel cache has seen it.
    extra = int(time.time()) % 89
    times = {(kind, name): [] for kind in args.formats for name in modules}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            for kind in args.formats:
                for name, (module, root) in modules.items():
                    extra += 1
                    positions, faces = sphere_grid(args.triangles, extra)
                    path = os.path.join(folder, f'mesh_{extra}.{kind}')
                    (write_ply if kind == 'ply' else write_obj)(path, positions, faces)
                    figures = run_child(module, root, kind, path, args.warm)
                    os.remove(path)
                    times[kind, name].append(figures)
                    print(f'{kind} {name:<13}' + ' '.join(f'{part} {figures[part]:.2f}s' for part in PARTS),
                          flush=True)
    medians = {key: {part: statistics.median(f[part] for f in runs) for part in PARTS}
               for key, runs in times.items()}
    print(f'{len(faces)} triangles; medians of {args.repeats} fresh processes each (seconds)')
    others = [name for name in modules if name != 'tutorial_kit']
    print(f'{"case":<22}{"tutorial_kit":>14}' + ''.join(f'{name:>12}{"ratio":>7}' for name in others))
    rows = []
    for kind in args.formats:
        for part in PARTS:
            kit = medians[kind, 'tutorial_kit'][part]
            temperature, what = part.split('_')
            case = f'{what} {kind}, {temperature}'
            print(f'{case:<22}{kit:>14.2f}' + ''.join(
                f'{medians[kind, name][part]:>12.2f}{kit / medians[kind, name][part]:>7.2f}' for name in others))
            mitsuba = medians[kind, 'mitsuba 3'][part] if 'mitsuba 3' in modules else None
            rows.append({'case': f'{what} of a {len(faces):,}-triangle {kind.upper()} mesh, {temperature}',
                         'unit': 'ms', 'tutorial_kit': kit * 1e3, 'mitsuba': mitsuba and mitsuba * 1e3,
                         'temperature': temperature,
                         **({'before': medians[kind, 'before'][part] * 1e3} if 'before' in modules else {})})
    save('cold_load', 'First load and render of a large mesh in a fresh process, cold and warm', rows,
         notes=['cold: the first call of a fresh process on a mesh whose size no kernel cache has seen; '
                'warm: the median of later calls in that process'], directory=args.results)
    return 0


if __name__ == '__main__':
    sys.exit(main())

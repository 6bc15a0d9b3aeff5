"""Benchmark: loading a scene of many shapes and rendering its first image.

A scene file with N small shapes (``rectangle``, ``cube`` or a small
``obj`` mesh, one shared BSDF or a BSDF each) is written to a temporary
folder; each measurement is a new Python process that imports the renderer,
loads the file and renders one 64 x 64 image at 4 spp, synchronised:

* *cold*: a shape count that no earlier process used (N plus the process's
  number), so that a kernel whose code depended on the count would be
  compiled afresh, as for a student's first scene;
* *warm*: the same file again, in a new process.

Kernels whose code does not depend on the count come from Dr.Jit's disk
cache in both cases (a first, uncounted process of each renderer fills it).
Mitsuba 3 (``llvm_ad_rgb``) loads and renders the same files when installed;
the figures are medians over ``--repeats`` processes, the renderers taking
turns, and the ratio tutorial_kit / Mitsuba 3 is printed for each.

    python benchmarks/many_shapes.py [--shapes 20000] [--kind rectangle|cube|obj]
                                     [--bsdf shared|own|none] [--repeats N] [--no-mitsuba] [--results DIR]

The figures go to ``DIR/many_shapes.json`` and ``.png`` (default ``benchmarks/results``).
"""
import argparse
import math
import os
import statistics
import sys
import tempfile

from fresh_process import has_mitsuba, run_fresh
from report import RESULTS, save

HERE = os.path.dirname(os.path.abspath(__file__))

#: A tetrahedron, the small OBJ mesh of ``--kind obj``.
SMALL_OBJ = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n'

#: The code each fresh process runs; ``{module}`` is ``tutorial_kit`` or ``mitsuba``.
CHILD = r'''
import json, sys, time
sys.path.insert(0, {root!r})
import drjit as dr
import {module} as mi
if mi.__name__ == 'mitsuba':
    mi.set_variant('llvm_ad_rgb')
start = time.perf_counter()
scene = mi.load_file({scene!r})
dr.sync_thread()
loaded = time.perf_counter()
image = mi.render(scene, spp=4)
dr.eval(image)
dr.sync_thread()
rendered = time.perf_counter()
print(json.dumps({{'load': loaded - start, 'render': rendered - loaded, 'total': rendered - start}}))
'''


def scene_text(count, kind, bsdf):
    """The XML of ``count`` shapes of ``kind`` on a grid, seen from above, under a constant sky."""
    side = math.ceil(math.sqrt(count))
    lines = ['<scene version="3.0.0">',
             '<integrator type="path"><integer name="max_depth" value="3"/></integrator>',
             '<sensor type="perspective"><float name="fov" value="45"/><transform name="to_world">'
             f'<lookat origin="0, 0, {side * 2.5}" target="0, 0, 0" up="0, 1, 0"/></transform>'
             '<film type="hdrfilm"><integer name="width" value="64"/><integer name="height" value="64"/>'
             '</film></sensor>',
             '<emitter type="constant"><rgb name="radiance" value="1"/></emitter>',
             '<bsdf type="diffuse" id="shared"><rgb name="reflectance" value="0.3, 0.5, 0.7"/></bsdf>']
    source = '<string name="filename" value="small.obj"/>' if kind == 'obj' else ''
    for i in range(count):
        x, y = i % side - side / 2, i // side - side / 2
        material = {'shared': '<ref id="shared"/>', 'none': '',
                    'own': f'<bsdf type="diffuse"><rgb name="reflectance" value="{(i % 7) / 7:.3f}, 0.5, 0.5"/>'
                           '</bsdf>'}[bsdf]
        lines.append(f'<shape type="{kind}">{source}<transform name="to_world"><scale value="0.4"/>'
                     f'<translate value="{x}, {y}, 0"/></transform>{material}</shape>')
    lines.append('</scene>')
    return '\n'.join(lines)


def write_scene(folder, count, kind, bsdf):
    path = os.path.join(folder, f'shapes_{count}.xml')
    with open(path, 'w') as file:
        file.write(scene_text(count, kind, bsdf))
    return path


def run_child(module, scene):
    """Seconds of one fresh process: {'load': ..., 'render': ..., 'total': ...}."""
    code = CHILD.format(root=os.path.join(HERE, '..'), module=module, scene=scene)
    return run_fresh(code, cwd=os.path.dirname(scene))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--shapes', type=int, default=20000)
    parser.add_argument('--kind', choices=('rectangle', 'cube', 'obj'), default='rectangle')
    parser.add_argument('--bsdf', choices=('shared', 'own', 'none'), default='shared')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for many_shapes.json and .png')
    args = parser.parse_args()
    modules = {'tutorial_kit': 'tutorial_kit'}
    if not args.no_mitsuba and has_mitsuba():
        modules['mitsuba 3'] = 'mitsuba'
    times = {name: {'cold': [], 'warm': []} for name in modules}
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, 'small.obj'), 'w') as file:
            file.write(SMALL_OBJ)
        warm_scene = write_scene(folder, args.shapes, args.kind, args.bsdf)
        for module in modules.values():
            run_child(module, write_scene(folder, 7, args.kind, args.bsdf))   # fills the kernel cache
            run_child(module, warm_scene)
        for repeat in range(args.repeats):
            for name, module in modules.items():
                # A count of shapes no earlier process has seen, different for each renderer.
                fresh = args.shapes + 1 + 2 * repeat + list(modules).index(name)
                times[name]['cold'].append(run_child(module, write_scene(folder, fresh, args.kind, args.bsdf)))
                times[name]['warm'].append(run_child(module, warm_scene))
    medians = {name: {case: {part: statistics.median(t[part] for t in runs[case]) for part in ('load', 'render', 'total')}
                      for case in ('cold', 'warm')} for name, runs in times.items()}

    print(f'{args.shapes} {args.kind} shapes ({args.bsdf} BSDF), load and first 64 x 64 render at 4 spp '
          f'of a fresh process; {args.repeats} processes each')
    print(f'{"renderer":<14}{"case":<6}{"load s":>9}{"render s":>10}{"total s":>9}')
    for name, cases in medians.items():
        for case, median in cases.items():
            print(f'{name:<14}{case:<6}{median["load"]:>9.2f}{median["render"]:>10.2f}{median["total"]:>9.2f}')
    if 'mitsuba 3' in medians:
        for case in ('cold', 'warm'):
            ratio = medians['tutorial_kit'][case]['total'] / medians['mitsuba 3'][case]['total']
            print(f'tutorial_kit / mitsuba 3 ({case}): {ratio:.2f}')
    rows = [{'case': f'{args.shapes} {args.kind} shapes: load and first render ({case})', 'unit': 's',
             'tutorial_kit': medians['tutorial_kit'][case]['total'],
             'mitsuba': medians['mitsuba 3'][case]['total'] if 'mitsuba 3' in medians else None}
            for case in ('cold', 'warm')]
    save('many_shapes', f'Loading {args.shapes} shapes and rendering the first image', rows,
         directory=args.results)
    return 0


if __name__ == '__main__':
    sys.exit(main())

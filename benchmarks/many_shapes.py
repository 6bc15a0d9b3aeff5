"""Benchmark: loading a scene of many shapes and rendering its first image.

A scene file with N small shapes (``rectangle``, ``cube``, ``sphere`` or a
small ``obj`` mesh; one shared BSDF or a BSDF each; optionally an area light
each) is written to a temporary folder; each measurement is a new Python process that imports the renderer,
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

    python benchmarks/many_shapes.py [--shapes 20000] [--case NAME ...] [--repeats N]
                                     [--no-mitsuba] [--results DIR]
    python benchmarks/many_shapes.py --kind rectangle|cube|sphere|obj --bsdf shared|own|none
                                     [--emitter none|own] ...

The cases (``--case``, default all five): ``shared`` (rectangles, one BSDF),
``own-bsdf`` (rectangles, a diffuse BSDF each, each of its own colour),
``own-light`` (rectangles, an area light each, each of its own radiance),
``spheres`` (spheres, a BSDF each), ``sphere-lights`` (spheres, a BSDF and
an area light each). ``--kind``/``--bsdf``/``--emitter``
describe a single case instead. The figures go to ``DIR/many_shapes.json``
and ``.png`` (default ``benchmarks/results``).
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


#: The named cases: (kind, bsdf, emitter).
CASES = {'shared': ('rectangle', 'shared', 'none'), 'own-bsdf': ('rectangle', 'own', 'none'),
         'own-light': ('rectangle', 'shared', 'own'), 'spheres': ('sphere', 'own', 'none'),
         'sphere-lights': ('sphere', 'own', 'own')}


def scene_text(count, kind, bsdf, emitter='none'):
    """The XML of ``count`` shapes of ``kind`` on a grid, seen from above, under a
    constant sky; each shape with its own area light when ``emitter`` is ``'own'``."""
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
        # Each shape its own colour (no two alike among the first 1000).
        material = {'shared': '<ref id="shared"/>', 'none': '',
                    'own': f'<bsdf type="diffuse"><rgb name="reflectance" value="{(i % 10) / 10:.3f}, '
                           f'{(i // 10 % 10) / 10:.3f}, {(i // 100 % 10) / 10:.3f}"/></bsdf>'}[bsdf]
        light = ('' if emitter == 'none' else
                 f'<emitter type="area"><rgb name="radiance" value="{1 + i % 10}, {1 + i // 10 % 10}, 1"/></emitter>')
        lines.append(f'<shape type="{kind}">{source}<transform name="to_world"><scale value="0.4"/>'
                     f'<translate value="{x}, {y}, 0"/></transform>{material}{light}</shape>')
    lines.append('</scene>')
    return '\n'.join(lines)


def write_scene(folder, count, case):
    """The file of ``count`` shapes of ``case`` (kind, bsdf, emitter) in ``folder``."""
    path = os.path.join(folder, f'{"_".join(case)}_{count}.xml')
    with open(path, 'w') as file:
        file.write(scene_text(count, *case))
    return path


def run_child(module, scene):
    """Seconds of one fresh process: {'load': ..., 'render': ..., 'total': ...}."""
    code = CHILD.format(root=os.path.join(HERE, '..'), module=module, scene=scene)
    return run_fresh(code, cwd=os.path.dirname(scene))


def measure(case, shapes, repeats, modules, folder):
    """Medians of the fresh processes of one case: {renderer: {'cold'|'warm': {'load', 'render', 'total'}}}.

    The renderers take turns, a process each, so that a change in the
    machine's load meets both alike."""
    times = {name: {'cold': [], 'warm': []} for name in modules}
    warm_scene = write_scene(folder, shapes, case)
    for module in modules.values():
        run_child(module, write_scene(folder, 7, case))   # fills the kernel cache
        run_child(module, warm_scene)
    for repeat in range(repeats):
        for name, module in modules.items():
            # A count of shapes no earlier process has seen, different for each renderer.
            fresh = shapes + 1 + 2 * repeat + list(modules).index(name)
            times[name]['cold'].append(run_child(module, write_scene(folder, fresh, case)))
            times[name]['warm'].append(run_child(module, warm_scene))
    return {name: {kind: {part: statistics.median(t[part] for t in runs[kind]) for part in ('load', 'render', 'total')}
                   for kind in ('cold', 'warm')} for name, runs in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--shapes', type=int, default=20000)
    parser.add_argument('--case', nargs='+', choices=sorted(CASES), help='named cases (default: all)')
    parser.add_argument('--kind', choices=('rectangle', 'cube', 'sphere', 'obj'))
    parser.add_argument('--bsdf', choices=('shared', 'own', 'none'), default='shared')
    parser.add_argument('--emitter', choices=('none', 'own'), default='none')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for many_shapes.json and .png')
    args = parser.parse_args()
    if args.kind is not None:
        cases = {f'{args.kind}, {args.bsdf} BSDF, {args.emitter} lights': (args.kind, args.bsdf, args.emitter)}
    else:
        cases = {name: CASES[name] for name in (args.case or CASES)}
    modules = {'tutorial_kit': 'tutorial_kit'}
    if not args.no_mitsuba and has_mitsuba():
        modules['mitsuba 3'] = 'mitsuba'
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, 'small.obj'), 'w') as file:
            file.write(SMALL_OBJ)
        for label, case in cases.items():
            medians = measure(case, args.shapes, args.repeats, modules, folder)
            print(f'{args.shapes} shapes, {label} ({case[0]}, {case[1]} BSDF, {case[2]} lights): load and '
                  f'first 64 x 64 render at 4 spp of a fresh process; {args.repeats} processes each')
            print(f'{"renderer":<14}{"case":<6}{"load s":>9}{"render s":>10}{"total s":>9}')
            for name, kinds in medians.items():
                for kind, median in kinds.items():
                    print(f'{name:<14}{kind:<6}{median["load"]:>9.2f}{median["render"]:>10.2f}'
                          f'{median["total"]:>9.2f}')
            if 'mitsuba 3' in medians:
                for kind in ('cold', 'warm'):
                    ratio = medians['tutorial_kit'][kind]['total'] / medians['mitsuba 3'][kind]['total']
                    print(f'tutorial_kit / mitsuba 3 ({kind}): {ratio:.2f}')
            print(flush=True)
            rows += [{'case': f'{args.shapes} shapes, {label}: load and first render ({kind})', 'unit': 's',
                      'tutorial_kit': medians['tutorial_kit'][kind]['total'],
                      'mitsuba': medians['mitsuba 3'][kind]['total'] if 'mitsuba 3' in medians else None}
                     for kind in ('cold', 'warm')]
    save('many_shapes', f'Loading {args.shapes} shapes and rendering the first image', rows,
         directory=args.results)
    return 0


if __name__ == '__main__':
    sys.exit(main())

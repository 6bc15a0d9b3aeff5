"""Benchmark: the first render, and the first optimisation step, of a fresh Python process.

What a student waits for after restarting a notebook's kernel: Dr.Jit keeps the
kernels it compiled in a cache on disk, so only the very first run on a machine
compiles them; every later process only traces its Python code and loads the
compiled kernels. Each measurement here is a new Python process that imports
the renderer, loads ``scenes/cbox/cbox_rgb.xml`` (128 x 128, ``prb``) and times

* *first render*: one 4-spp primal render, evaluated and synchronised;
* *first step*: one iteration of Mitsuba 3's tutorial loop after it (a
  differentiable 4-spp render, the loss, ``dr.backward``, ``opt.step()``).

The first process of each renderer fills the kernel cache and is not counted;
the figures are medians over the following ``--repeats`` processes, the two
renderers taking turns. Mitsuba 3 (``llvm_ad_rgb``) runs the same code when
installed.

    python benchmarks/first_render.py [--repeats N] [--no-mitsuba] [--results DIR]

The figures go to ``DIR/first_render.json`` and ``.png`` (default ``benchmarks/results``).
"""
import argparse
import os
import statistics
import sys

from fresh_process import has_mitsuba, run_fresh
from report import RESULTS, save

HERE = os.path.dirname(os.path.abspath(__file__))
SCENE = os.path.join(HERE, '..', 'scenes', 'cbox', 'cbox_rgb.xml')

#: The code each fresh process runs; ``{module}`` is ``tutorial_kit`` or ``mitsuba``.
CHILD = r'''
import json, sys, time
sys.path.insert(0, {root!r})
import drjit as dr
import {module} as mi
if mi.__name__ == 'mitsuba':
    mi.set_variant('llvm_ad_rgb')

def synchronised(f):
    start = time.perf_counter()
    result = f()
    dr.eval(result)
    dr.sync_thread()
    return result, time.perf_counter() - start

scene = mi.load_file({scene!r}, res=128, integrator='prb')
_, first_render = synchronised(lambda: mi.render(scene, spp=4))
params = mi.traverse(scene)
key = 'red.reflectance.value'
opt = mi.ad.Adam(lr=0.05)
opt[key] = params[key]
params.update(opt)

def step():
    image = mi.render(scene, params, spp=4)
    dr.backward(dr.mean(dr.square(image)))
    opt.step()
    params.update(opt)
    return params[key]
_, first_step = synchronised(step)
print(json.dumps({{'render': first_render, 'step': first_step}}))
'''


def run_child(module):
    """Times of one fresh process (seconds): {'render': ..., 'step': ...}."""
    code = CHILD.format(root=os.path.join(HERE, '..'), module=module, scene=SCENE)
    return run_fresh(code)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for first_render.json and .png')
    args = parser.parse_args()
    modules = {'tutorial_kit': 'tutorial_kit'}
    if not args.no_mitsuba and has_mitsuba():
        modules['mitsuba 3'] = 'mitsuba'
    for module in modules.values():
        run_child(module)                       # fills the kernel cache
    times = {name: [] for name in modules}
    for _ in range(args.repeats):
        for name, module in modules.items():
            times[name].append(run_child(module))
    medians = {name: {part: statistics.median(t[part] for t in runs) for part in ('render', 'step')}
               for name, runs in times.items()}

    print(f'first render and first step of a fresh process, warm kernel cache; {args.repeats} processes each')
    print(f'{"renderer":<14}{"render ms":>11}{"step ms":>10}')
    for name, median in medians.items():
        print(f'{name:<14}{median["render"] * 1e3:>11.0f}{median["step"] * 1e3:>10.0f}')
    rows = [{'case': f'first {part} of a fresh process (warm kernel cache)', 'unit': 'ms',
             'tutorial_kit': medians['tutorial_kit'][part] * 1e3,
             'mitsuba': medians['mitsuba 3'][part] * 1e3 if 'mitsuba 3' in medians else None}
            for part in ('render', 'step')]
    save('first_render', 'First render and first optimisation step of a fresh process', rows,
         directory=args.results)
    return 0


if __name__ == '__main__':
    sys.exit(main())

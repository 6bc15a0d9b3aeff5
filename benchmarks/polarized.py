"""Benchmark: polarised rendering, a Stokes image and a filter-angle optimisation, cold and warm.

tutorial_kit renders polarisation in RGB (``llvm_ad_rgb_polarized``); Mitsuba
3's wheels have polarised variants in monochrome and spectral form only, so
both of those are timed on the same scene description, in fresh processes
taking turns:

* *Stokes image*: a 128 x 128, 64 spp render with ``stokes`` around ``path``
  of a glossy scene (a smooth and a rough metal, glass, a diffuse floor, a
  polariser and a wave plate, an environment and an area light): the first
  render of a fresh process (cold) and the median of three more (warm);
* *filter loop*: the loop of Mitsuba 3's polarizer tutorial on a scene of
  our own: two polarisers in front of an environment, the second one's angle
  ``theta`` optimised with Adam to darken the image (96 x 96, 1 spp per
  step): the first iteration (cold) and the median of the others (warm).

    python benchmarks/polarized.py [--repeats N] [--iterations N] [--results DIR]

The figures go to ``DIR/polarized.json`` and ``.png`` (default ``benchmarks/results``).
"""
import argparse
import os
import statistics
import sys

from fresh_process import has_mitsuba, run_fresh
from report import RESULTS, save

HERE = os.path.dirname(os.path.abspath(__file__))

#: The code each fresh process runs.
CHILD = r'''
import json, sys, time
sys.path.insert(0, {root!r})
import drjit as dr
import {module} as mi
mi.set_variant({variant!r})
T = mi.ScalarTransform4f


def glossy():
    return {{
        'type': 'scene', 'integrator': {{'type': 'stokes', 'nested': {{'type': 'path', 'max_depth': 6}}}},
        'sensor': {{'type': 'perspective', 'fov': 45,
                   'to_world': T().look_at(origin=[0.3, 1.2, 4.5], target=[0, 0.3, 0], up=[0, 1, 0]),
                   'film': {{'type': 'hdrfilm', 'width': 128, 'height': 128, 'rfilter': {{'type': 'box'}}}}}},
        'env': {{'type': 'constant', 'radiance': {{'type': 'rgb', 'value': 0.8}}}},
        'light': {{'type': 'rectangle', 'to_world': T().translate([1.5, 3, 1]).rotate([1, 0, 0], 90).scale(0.8),
                  'emitter': {{'type': 'area', 'radiance': {{'type': 'rgb', 'value': 6}}}}}},
        'metal': {{'type': 'sphere', 'center': [-0.8, 0.5, 0], 'radius': 0.5,
                  'bsdf': {{'type': 'conductor', 'eta': 0.2, 'k': 3.0}}}},
        'glass': {{'type': 'sphere', 'center': [0.45, 0.45, 0.4], 'radius': 0.45,
                  'bsdf': {{'type': 'dielectric', 'int_ior': 1.5}}}},
        'rough': {{'type': 'rectangle', 'to_world': T().translate([0.6, 0.6, -1]).scale(0.7),
                  'bsdf': {{'type': 'roughconductor', 'alpha': 0.2, 'eta': 1.2, 'k': 2.0}}}},
        'floor': {{'type': 'rectangle', 'to_world': T().rotate([1, 0, 0], -90).scale(4),
                  'bsdf': {{'type': 'diffuse', 'reflectance': {{'type': 'rgb', 'value': 0.5}}}}}},
        'polarizer': {{'type': 'rectangle', 'to_world': T().translate([-0.9, 0.9, 2.2]).scale([0.35, 0.35, 1]),
                      'bsdf': {{'type': 'polarizer', 'theta': 30.0}}}},
        'plate': {{'type': 'rectangle', 'to_world': T().translate([0.6, 0.4, 2.4]).scale([0.3, 0.3, 1]),
                  'bsdf': {{'type': 'retarder', 'theta': 45.0, 'delta': 90.0}}}},
    }}


def filters():
    scene = {{'type': 'scene', 'integrator': {{'type': 'path'}},
             'sensor': {{'type': 'perspective', 'fov': 60,
                        'to_world': T().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]),
                        'film': {{'type': 'hdrfilm', 'width': 96, 'height': 96}}}},
             'env': {{'type': 'constant', 'radiance': {{'type': 'rgb', 'value': 1.0}}}}}}
    for k, theta in enumerate((0.0, 1.0)):
        scene[f'f{{k}}'] = {{'type': 'rectangle', 'to_world': T().translate([0, 0, -0.5 * k]).scale(2.5),
                            'bsdf': {{'type': 'polarizer', 'theta': theta}}}}
    return scene


def timed(f):
    start = time.perf_counter()
    f()
    dr.sync_thread()
    return time.perf_counter() - start


import statistics
median = lambda v: statistics.median(v) if v else None
scene = mi.load_dict(glossy())
render = lambda: dr.eval(mi.render(scene, spp=64, seed=0))
cold_image = timed(render)
warm_image = median([timed(render) for _ in range(3)])

scene = mi.load_dict(filters())
params = mi.traverse(scene)
key = 'f1.bsdf.theta.value'
opt = mi.ad.Adam(lr=2.0)
opt[key] = params[key]
params.update(opt)
steps = []
for it in range({iterations}):
    def step():
        image = mi.render(scene, params, spp=1, seed=it)
        dr.backward(dr.mean(image, axis=None))
        opt.step()
        params.update(opt)
        dr.eval(params[key])
    steps.append(timed(step))
# Mitsuba's log may leave a colour code at the start of the next line: the figures get their own.
print()
print(json.dumps({{'cold_image': cold_image, 'warm_image': warm_image,
                  'cold_step': steps[0], 'warm_step': median(steps[1:])}}))
'''

PARTS = (('cold_image', 'Stokes image 128 x 128, 64 spp, cold'),
         ('warm_image', 'Stokes image 128 x 128, 64 spp, warm'),
         ('cold_step', 'filter-angle loop, first iteration (cold)'),
         ('warm_step', 'filter-angle loop, per iteration (warm)'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--iterations', type=int, default=10)
    parser.add_argument('--no-mitsuba', action='store_true')
    parser.add_argument('--results', default=RESULTS, help='folder for polarized.json and .png')
    args = parser.parse_args()
    runners = {'tutorial_kit': ('tutorial_kit', 'llvm_ad_rgb_polarized', os.path.join(HERE, '..'))}
    if not args.no_mitsuba and has_mitsuba():
        runners['mitsuba mono'] = ('mitsuba', 'llvm_ad_mono_polarized', HERE)
        runners['mitsuba spectral'] = ('mitsuba', 'llvm_ad_spectral_polarized', HERE)
    times = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, (module, variant, root) in runners.items():
            figures = run_fresh(CHILD.format(root=root, module=module, variant=variant,
                                             iterations=max(2, args.iterations)))
            times[name].append(figures)
            print(f'{name:<17}' + ' '.join(f'{part} {figures[part]:.3f}s' for part, _ in PARTS), flush=True)
    medians = {name: {part: statistics.median(f[part] for f in runs) for part, _ in PARTS}
               for name, runs in times.items()}
    others = [name for name in runners if name != 'tutorial_kit']
    print(f'medians of {args.repeats} fresh processes each (seconds)')
    print(f'{"case":<44}{"tutorial_kit":>13}' + ''.join(f'{name:>18}{"ratio":>7}' for name in others))
    rows = []
    for part, case in PARTS:
        kit = medians['tutorial_kit'][part]
        print(f'{case:<44}{kit:>13.3f}' + ''.join(
            f'{medians[name][part]:>18.3f}{kit / medians[name][part]:>7.2f}' for name in others))
        rows.append({'case': case, 'unit': 'ms', 'tutorial_kit': kit * 1e3,
                     'mitsuba': medians['mitsuba spectral'][part] * 1e3 if 'mitsuba spectral' in medians else None,
                     'mitsuba_mono': medians['mitsuba mono'][part] * 1e3 if 'mitsuba mono' in medians else None,
                     'temperature': 'cold' if part.startswith('cold') else 'warm'})
    save('polarized', 'Polarised rendering: tutorial_kit (RGB) against Mitsuba 3 (spectral; mono beside it)',
         rows, notes=['Mitsuba 3 has no polarised RGB variant: "mitsuba" is llvm_ad_spectral_polarized, '
                      '"mitsuba_mono" llvm_ad_mono_polarized; cold: the first call of a fresh process, '
                      'warm: the median of later ones'], directory=args.results)
    return 0


if __name__ == '__main__':
    sys.exit(main())

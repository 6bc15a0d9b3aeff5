"""Benchmark: recovering a bitmap texture by gradient descent, ours against Mitsuba 3.

``scenes/materials/scene.xml`` (its painted sphere's texture stored as
linear OpenEXR, so that both renderers optimise the same float data,
``painted.bsdf.reflectance.data``): one reference render at 128 spp from the
front camera, the texture reset to grey 0.5, then ``--iterations`` steps of
Adam (lr 0.05, values clamped to [0, 1]) on the mean squared error of a
4-spp render with decorrelated derivative samples. Reported per renderer:

- the image error after the last step as a fraction of the starting one,
  each measured as the mean squared difference between a 64-spp render
  (fixed seed) and the reference, less the same renderer's noise floor
  (the error of a 64-spp render of the true texture);
- the median synchronised time per iteration; the loops take turns
  iteration by iteration, so machine drift stays out of the ratio.

    python benchmarks/recover_texture.py [--iterations N] [--no-mitsuba]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile

import numpy as np

import tutorial_kit as tk
import drjit as dr

from measure import timed

SCENES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scenes', 'materials')
KEY = 'painted.bsdf.reflectance.data'
LR, SPP, SPP_REFERENCE, SPP_ERROR = 0.05, 4, 128, 64


def prepared_scene():
    """A copy of the materials scene whose texture is a linear OpenEXR file."""
    folder = tempfile.mkdtemp(prefix='recover_texture_')
    shutil.copy(os.path.join(SCENES, 'sphere.obj'), folder)
    tk.write_bitmap(os.path.join(folder, 'texture.exr'), tk.read_bitmap(os.path.join(SCENES, 'texture.png')))
    with open(os.path.join(SCENES, 'scene.xml')) as file:
        text = file.read().replace('texture.png', 'texture.exr')
    path = os.path.join(folder, 'scene.xml')
    with open(path, 'w') as file:
        file.write(text)
    return path


def mse(a, b):
    return float(dr.mean(dr.square(a - b), axis=None).numpy())


class OurLoop:
    name = 'tutorial_kit'

    def __init__(self, path):
        self.scene = tk.load_file(path, res=64)
        self.params = tk.traverse(self.scene)
        self.params.keep([KEY])
        self.truth = self.params[KEY].numpy()
        self.reference = tk.render(self.scene, spp=SPP_REFERENCE, seed=0)
        self.floor = self.error()
        self.params[KEY] = np.full(self.truth.shape, 0.5)
        self.params.update()
        self.opt = tk.Adam(self.params, lr=LR, clamp={KEY: (0, 1)})
        self.start = self.error()
        self.seed = 0

    def error(self):
        with dr.suspend_grad():
            return mse(tk.render(self.scene, spp=SPP_ERROR, seed=123), self.reference)

    def iteration(self):
        self.seed += 1
        image = tk.render(self.scene, optimizer=self.opt, unbiased=True, spp=SPP, seed=self.seed)
        dr.backward(dr.mean(dr.square(image - self.reference), axis=None))
        self.opt.step()
        return self.params[KEY]


class MitsubaLoop:
    name = 'mitsuba 3'

    def __init__(self, path, variant):
        import mitsuba as mi
        mi.set_variant(variant)
        self.mi = mi
        self.scene = mi.load_file(path, res=64)
        self.params = mi.traverse(self.scene)
        self.truth = mi.TensorXf(self.params[KEY])
        self.reference = mi.render(self.scene, spp=SPP_REFERENCE, seed=0)
        self.floor = self.error()
        self.opt = mi.ad.Adam(lr=LR)
        self.opt[KEY] = dr.full(mi.TensorXf, 0.5, self.truth.shape)
        self.params.update(self.opt)
        self.start = self.error()
        self.seed = 0

    def error(self):
        with dr.suspend_grad():
            return mse(self.mi.render(self.scene, spp=SPP_ERROR, seed=123), self.reference)

    def iteration(self):
        self.seed += 1
        image = self.mi.render(self.scene, self.params, spp=SPP, seed=self.seed,
                               seed_grad=self.seed + 1_000_000)
        dr.backward(dr.mean(dr.square(image - self.reference), axis=None))
        self.opt.step()
        self.opt[KEY] = dr.clip(self.opt[KEY], 0, 1)
        self.params.update(self.opt)
        return self.params[KEY]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iterations', type=int, default=80)
    parser.add_argument('--no-mitsuba', action='store_true')
    args = parser.parse_args()
    variant = 'cuda_ad_rgb' if tk.backend.name == 'cuda' else 'llvm_ad_rgb'
    path = prepared_scene()
    loops = [OurLoop(path)]
    if not args.no_mitsuba:
        try:
            loops.append(MitsubaLoop(path, variant))
        except ImportError:
            pass
    times = {loop.name: [] for loop in loops}
    for _ in range(args.iterations):
        for loop in loops:
            times[loop.name].append(timed(loop.iteration))
    print(f'Texture recovery, scenes/materials (64 x 64, spp {SPP}, Adam lr {LR}), '
          f'{args.iterations} iterations; backend {tk.backend.name}, {os.cpu_count()} CPU threads')
    print(f'{"renderer":<14}{"error end/start":>16}{"median ms":>11}{"ratio":>8}')
    medians = {name: statistics.median(values[1:] or values) for name, values in times.items()}
    for loop in loops:
        fraction = (loop.error() - loop.floor) / (loop.start - loop.floor)
        ratio = f'{medians[loop.name] / medians["mitsuba 3"]:.2f}' if 'mitsuba 3' in medians else ''
        print(f'{loop.name:<14}{fraction:>16.3f}{medians[loop.name] * 1e3:>11.1f}{ratio:>8}')
    print('error: MSE of a 64-spp render to the reference, less the noise floor; '
          'ratio = time per iteration / Mitsuba 3')
    return 0


if __name__ == '__main__':
    sys.exit(main())

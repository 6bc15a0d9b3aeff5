"""Accuracy of visibility derivatives: gradient images against finite differences.

For each scene of ``scenes/visibility`` (a smooth sphere mesh, the same
sphere unwelded, a flat-shaded cube; each above a ground plane, lit by an
area lamp and a constant environment, 64 x 64) the derivative of the image
with respect to translating the object along x, y or z is computed

- by ``tutorial_kit`` in forward mode (``prb_projective``, or ``path`` for
  comparison: interior term only),
- by central finite differences rendered by Mitsuba 3 (``path``, 2048 spp,
  the same seed on both sides, a step of 1 % of the object's size),
- optionally by Mitsuba 3's own ``prb_projective`` in forward mode.

Both images are averaged over 4 x 4 blocks (and the colour channels) and
compared by correlation, relative L2 error ``|g - fd| / |fd|`` and the
image's total derivative as a fraction of the finite difference's L1 norm
``(sum g - sum fd) / sum |fd|``. Finite-difference images are cached in
``benchmarks/.cache``.

    python benchmarks/visibility_accuracy.py [--spp 64] [--seed 1] [--scenes sphere cube] [--axes x y]
                                             [--integrators prb_projective path] [--mitsuba-prb]
"""
import argparse
import os
import sys
import time

import numpy as np

import tutorial_kit as tk
import drjit as dr

HERE = os.path.dirname(os.path.abspath(__file__))
SCENES = os.path.join(HERE, '..', 'scenes', 'visibility')
CACHE = os.path.join(HERE, '.cache')
#: Object sizes (largest extent), for the 1 % finite-difference step.
SIZES = {'sphere': 2.0, 'sphere_unwelded': 2.0, 'cube': 1.6}
AXES = {'x': (1, 0, 0), 'y': (0, 1, 0), 'z': (0, 0, 1)}
KEY = 'object.vertex_positions'


def mitsuba_finite_difference(scene_name, axis, spp=2048, seed=0):
    """Central differences of Mitsuba 3 renders (H, W, 3), cached on disk."""
    path = os.path.join(CACHE, f'fd_{scene_name}_{axis}_{spp}.npy')
    if os.path.exists(path):
        return np.load(path)
    import mitsuba as mi
    mi.set_variant('llvm_ad_rgb')
    scene = mi.load_file(os.path.join(SCENES, scene_name + '.xml'), integrator='path')
    params = mi.traverse(scene)
    initial = np.array(params[KEY]).reshape(-1, 3)
    step = 0.01 * SIZES[scene_name]
    images = []
    for sign in (1, -1):
        params[KEY] = mi.Float((initial + sign * step * np.array(AXES[axis])).ravel())
        params.update()
        images.append(np.array(mi.render(scene, spp=spp, seed=seed)))
    params[KEY] = mi.Float(initial.ravel())
    params.update()
    fd = (images[0] - images[1]) / (2 * step)
    os.makedirs(CACHE, exist_ok=True)
    np.save(path, fd)
    return fd


def mitsuba_projective(scene_name, axis, spp):
    """Mitsuba 3's own prb_projective, forward mode (H, W, 3)."""
    import mitsuba as mi
    mi.set_variant('llvm_ad_rgb')
    scene = mi.load_file(os.path.join(SCENES, scene_name + '.xml'), integrator='prb_projective')
    params = mi.traverse(scene)
    initial = dr.unravel(mi.Point3f, params[KEY])
    t = mi.Float(0.0)
    dr.enable_grad(t)
    params[KEY] = dr.ravel(initial + mi.Vector3f(AXES[axis]) * t)
    params.update()
    image = mi.render(scene, params, spp=spp, seed=1)
    dr.set_grad(t, 1.0)
    dr.forward_to(image)
    return np.array(dr.grad(image))


def gradient_image(scene_name, axis, integrator, spp, seed=1):
    """tutorial_kit's forward-mode derivative of the image along ``axis`` (H, W, 3)."""
    scene = tk.load_file(os.path.join(SCENES, scene_name + '.xml'), integrator=integrator)
    params = tk.traverse(scene)
    initial = dr.unravel(tk.Array3f, params[KEY])
    t = tk.Float(0.0)
    dr.enable_grad(t)
    params[KEY] = dr.ravel(tk.Transform4f().translate(tk.Array3f(AXES[axis]) * t) @ initial)
    params.update()
    image = tk.render(scene, spp=spp, seed=seed)
    dr.set_grad(t, 1.0)
    dr.forward_to(image)
    return dr.grad(image).numpy()


def compare(gradient, reference, block=4):
    """(correlation, relative L2, total-derivative error / L1) of block averages."""
    def blocks(image):
        h, w = image.shape[:2]
        return image.reshape(h // block, block, w // block, block, -1).mean(axis=(1, 3, 4))
    g, f = blocks(np.asarray(gradient, np.float64)), blocks(np.asarray(reference, np.float64))
    correlation = float(np.corrcoef(g.ravel(), f.ravel())[0, 1])
    relative_l2 = float(np.linalg.norm(g - f) / np.linalg.norm(f))
    total = float((g.sum() - f.sum()) / np.abs(f).sum())
    return correlation, relative_l2, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--spp', type=int, default=64)
    parser.add_argument('--seed', type=int, default=1, help="seed of tutorial_kit's renders")
    parser.add_argument('--scenes', nargs='+', default=list(SIZES))
    parser.add_argument('--axes', nargs='+', default=['x', 'y'])
    parser.add_argument('--integrators', nargs='+', default=['prb_projective', 'path'])
    parser.add_argument('--mitsuba-prb', action='store_true', help="also Mitsuba 3's prb_projective")
    args = parser.parse_args()
    print(f'{"scene":<17}{"axis":<5}{"renderer":<28}{"corr":>7}{"rel L2":>8}{"total":>8}{"s":>6}')
    for scene_name in args.scenes:
        for axis in args.axes:
            fd = mitsuba_finite_difference(scene_name, axis)
            runs = [(f'tutorial_kit {name}', lambda name=name: gradient_image(scene_name, axis, name, args.spp, args.seed))
                    for name in args.integrators]
            if args.mitsuba_prb:
                runs.append(('mitsuba prb_projective', lambda: mitsuba_projective(scene_name, axis, args.spp)))
            for label, run in runs:
                start = time.perf_counter()
                gradient = run()
                seconds = time.perf_counter() - start
                c, l2, total = compare(gradient, fd)
                print(f'{scene_name:<17}{axis:<5}{label:<28}{c:>7.3f}{l2:>8.3f}{total:>+8.3f}{seconds:>6.0f}',
                      flush=True)
    print('goal: corr > 0.95, rel L2 < 0.25, |total| < 0.05 (4x4 blocks, finite differences by '
          'Mitsuba 3 path at 2048 spp)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

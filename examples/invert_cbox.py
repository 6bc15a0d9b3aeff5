"""The tutorial's inverse problem: recover the colour of the Cornell box's red wall.

1. Render a reference image at 8 spp.
2. Paint the red wall white, [.9, .9, .9].
3. Run Adam (learning rate 0.2) for 100 iterations of a 1-spp differentiable
   render, minimising the mean squared error to the reference, and print
   the squared error to the true colour at every iteration.

    python examples/invert_cbox.py [--iterations N] [--biased] [--frames] [-o out/]

Writes the reference, the final render, a convergence plot (PNG) and, with
``--frames``, an animated GIF of the iterations.
"""
import argparse
import os
import time

import drjit as dr
import tutorial_kit as tk
from tqdm.auto import trange

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = 'red.reflectance.value'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scene', default=os.path.join(HERE, '..', 'scenes', 'cbox', 'cbox.xml'))
    parser.add_argument('--iterations', type=int, default=100)
    parser.add_argument('--lr', type=float, default=0.2)
    parser.add_argument('--biased', action='store_true', help='reuse samples (faster, biased)')
    parser.add_argument('--frames', action='store_true', help='also write an animated GIF')
    parser.add_argument('-o', '--output', default='out')
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)

    scene = tk.load_file(args.scene)
    params = tk.traverse(scene)
    params.keep([KEY])
    param_ref = tk.Color3f(params[KEY])

    image_ref = tk.render(scene, spp=8)
    tk.write_bitmap(os.path.join(args.output, 'out_ref.png'), image_ref)

    params[KEY] = [.9, .9, .9]
    params.update()
    opt = tk.Adam(params, lr=args.lr)

    errors, frames, started = [], [], time.perf_counter()
    # The bar goes to stderr, and only to a terminal (disable=None): in a log
    # its redrawn lines would interleave with the per-iteration errors on stdout.
    progress = trange(args.iterations, unit='it', desc='Adam', disable=None)
    for it in progress:
        image = tk.render(scene, optimizer=opt, unbiased=not args.biased, spp=1)
        ob_val = dr.mean(dr.square(image - image_ref))
        dr.backward(ob_val)
        opt.step()
        err_ref = dr.sum(dr.square(param_ref - params[KEY]), axis=None)
        errors.append(err_ref[0])
        progress.write('Iteration %03i: error=%g' % (it, err_ref[0]))
        if args.frames:
            frames.append(image.numpy())
    elapsed = time.perf_counter() - started
    print(f'{args.iterations} iterations in {elapsed:.1f} s '
          f'({elapsed / args.iterations * 1e3:.0f} ms per iteration, including the first)')
    print('recovered', params[KEY], 'true', param_ref)

    tk.write_bitmap(os.path.join(args.output, 'out_final.png'), image)
    plot_convergence(errors, os.path.join(args.output, 'convergence.png'))
    if args.frames:
        write_gif(frames, os.path.join(args.output, 'iterations.gif'))


def plot_convergence(errors, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.semilogy(errors)
    axes.set_xlabel('iteration')
    axes.set_ylabel('squared error to the true colour')
    axes.set_title('Recovering the red wall (Adam)')
    axes.grid(True, which='both', alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print('wrote', path)


def write_gif(frames, path):
    """An animated GIF of linear-RGB frames (H, W, 3), sRGB-encoded."""
    import numpy as np
    from PIL import Image
    images = [Image.fromarray(np.round(tk.core.srgb.linear_to_srgb(np.clip(f, 0, 1)) * 255).astype('uint8'))
              for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=80, loop=0)
    print('wrote', path)


if __name__ == '__main__':
    main()

"""The tutorial's inverse problem driven by PyTorch: ``torch.optim.Adam`` on the red wall.

The renderer is a node in the PyTorch graph (``tk.torch_renderer``); the
objective and the optimizer are PyTorch's.

    python examples/invert_cbox_torch.py [--iterations N] [--size PIXELS]
"""
import argparse
import os

import torch
import tutorial_kit as tk
from tqdm.auto import trange

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = 'red.reflectance.value'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scene', default=os.path.join(HERE, '..', 'scenes', 'cbox', 'cbox.xml'))
    parser.add_argument('--iterations', type=int, default=100)
    parser.add_argument('--size', type=int, default=None, help='render at SIZE x SIZE pixels')
    args = parser.parse_args()

    scene = tk.load_file(args.scene)
    if args.size:
        film = scene.sensors()[0].film()
        film.width = film.height = args.size
    params = tk.traverse(scene)
    param_ref = torch.tensor(params[KEY].numpy().ravel())
    image_ref = tk.render(scene, spp=8).torch()

    render_torch = tk.torch_renderer(scene, [KEY], spp=1, unbiased=True)
    red = torch.tensor([.9, .9, .9], requires_grad=True)
    opt = torch.optim.Adam([red], lr=.2)
    # The bar goes to stderr; the per-iteration errors stay on stdout.
    progress = trange(args.iterations, unit='it', desc='Adam', disable=None)   # drawn on a terminal only
    for it in progress:
        opt.zero_grad()
        image = render_torch(red)
        ob_val = torch.mean((image - image_ref) ** 2)
        ob_val.backward()
        opt.step()
        with torch.no_grad():
            red.clamp_(0, 1)                  # a reflectance stays in [0, 1]
        err_ref = torch.sum((param_ref - red.detach()) ** 2)
        progress.write('Iteration %03i: error=%g' % (it, err_ref))
    render_torch.store(red)                   # the scene keeps the recovered colour
    print('recovered', params[KEY].numpy().ravel(), 'true', param_ref.numpy())


if __name__ == '__main__':
    main()

"""Forward-mode differentiation: how the image changes with the red wall's colour.

Marks ``red.reflectance.value`` as differentiable, renders at 32 spp, sets
the input perturbation [1, 1, 1] and propagates it forward to the image.
The result, a gradient image, shows how much each pixel brightens when the
wall becomes brighter: the wall itself and, through global illumination,
the light it sends to the rest of the box.

    python examples/forward_diff.py [--key KEY] [--spp N] [-o out/]

Writes ``out.png`` (the derivative of brightness, as the tutorial does) and
``out_coolwarm.png`` (the same mapped through a diverging colour map, which
also shows negative derivatives).
"""
import argparse
import os

import drjit as dr
import tutorial_kit as tk

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scene', default=os.path.join(HERE, '..', 'scenes', 'cbox', 'cbox.xml'))
    parser.add_argument('--key', default='red.reflectance.value')
    parser.add_argument('--spp', type=int, default=32)
    parser.add_argument('-o', '--output', default='out')
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)

    scene = tk.load_file(args.scene)
    params = tk.traverse(scene)

    # Keep track of derivatives with respect to one parameter.
    param_0 = params[args.key]
    dr.enable_grad(param_0)

    # Differentiable simulation.
    image = tk.render(scene, spp=args.spp)

    # Assign the gradient [1, 1, 1] to the input and propagate it to the image.
    dr.set_grad(param_0, dr.full(type(param_0), 1, dr.width(param_0)))
    dr.forward_to(image)
    image_grad = dr.grad(image)

    tk.write_bitmap(os.path.join(args.output, 'out.png'), image_grad)
    tk.write_bitmap(os.path.join(args.output, 'out_coolwarm.png'), image_grad, colormap='coolwarm')
    print('wrote', os.path.join(args.output, 'out.png'), 'and out_coolwarm.png')


if __name__ == '__main__':
    main()

"""Rendering as a differentiable node in a PyTorch graph.

``torch_renderer(scene, keys)`` returns a function that takes one PyTorch
tensor per parameter key and returns the rendered image as a PyTorch tensor
of shape (H, W, 3). Gradients flow back from PyTorch into Dr.Jit and through
the renderer to the tensors, thanks to ``dr.wrap``, so a PyTorch optimizer
can drive the scene::

    render_torch = tk.torch_renderer(scene, ['red.reflectance.value'], spp=1)
    red = torch.tensor([.9, .9, .9], requires_grad=True)
    loss = ((render_torch(red) - reference) ** 2).mean()
    loss.backward()                      # red.grad holds d loss / d red
    render_torch.store(red)              # after the loop: the final value into the scene

Crossing between the two frameworks costs a copy each way; for a loop that
is entirely rendering, the Dr.Jit optimizers are faster.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.ad.render import render
from tutorial_kit.ad.traverse import traverse
from tutorial_kit.renderer.traversal import ParamKind


def torch_renderer(scene, keys, spp=1, unbiased=False, sensor_index=0):
    """A PyTorch-callable ``f(*tensors) -> image`` that renders ``scene``.

    ``keys``: parameter names; the i-th tensor given to ``f`` becomes the
    value of ``keys[i]`` (a colour takes 3 numbers, vertex positions 3 per
    vertex). ``unbiased``: render value and derivatives with independent
    samples, as :func:`tutorial_kit.render` does.

    Each call leaves the tensors' values in the scene, tracking derivatives;
    after an optimizer's last step they are one step behind.
    ``f.store(*tensors)`` writes the tensors' current values into the scene
    without derivatives, for the renders that follow.
    """
    import torch  # noqa: F401  (fail here, clearly, when PyTorch is missing)

    params = traverse(scene)
    params.keep(list(keys))

    @dr.wrap(source='torch', target='drjit')
    def render_from_tensors(*tensors):
        for key, tensor in zip(keys, tensors):
            params[key] = _as_parameter(params, key, tensor)
        params.update()
        return render(scene, spp=spp, sensor_index=sensor_index, unbiased=unbiased)

    def check_count(tensors):
        if len(tensors) != len(keys):
            raise TypeError(f'expected {len(keys)} tensors (for {", ".join(keys)}), got {len(tensors)}')

    def render_torch(*tensors):
        check_count(tensors)
        return render_from_tensors(*tensors)

    def store(*tensors):
        check_count(tensors)
        previous = {key: params[key] for key in keys}
        try:
            for key, tensor in zip(keys, tensors):
                params[key] = tensor.detach().cpu().numpy()   # checked and copied, as any assignment
        except Exception:
            for key, value in previous.items():           # all or nothing
                params[key] = value
            raise
        finally:
            params.update()

    render_torch.store = store
    return render_torch


def _as_parameter(params, key, tensor):
    """A Dr.Jit tensor from PyTorch as the parameter's own type, keeping derivatives."""
    flat = tensor.array if isinstance(tensor, bk.TensorXf) else tensor
    if params.parameter(key).kind is ParamKind.COLOR:
        return dr.unravel(bk.Color3f, flat) if dr.width(flat) == 3 else flat
    return flat

"""tutorial_kit: physically based differentiable rendering on Dr.Jit, for learning.

The names follow the Mitsuba tutorial this toolkit teaches::

    import drjit as dr
    import tutorial_kit as tk

    scene = tk.load_file('scenes/cbox/cbox.xml')
    params = tk.traverse(scene)
    image = tk.render(scene, spp=8)          # TensorXf (H, W, 3), linear RGB
    tk.write_bitmap('out.png', image)

Dr.Jit computes on CUDA when a GPU is present and on the CPU (LLVM)
otherwise; ``tk.set_backend('llvm')`` or ``'cuda'`` chooses before a scene
is loaded.

The package is laid out by role (see the README's "Where things are"):
``core/`` (backend, arrays, transforms, warps, spectra), ``io/`` (the XML
loader and the file formats), ``plugins/`` (one folder per plugin kind,
each with the interface in ``base.py``), ``renderer/`` (the scene, the BVH,
``render``), ``ad/`` (``traverse``, optimizers, path replay, gradient
checks, PyTorch) and ``widgets/`` (the notebooks' figures and controls).
"""
from tutorial_kit.core import backend
from tutorial_kit.core.backend import set_backend
from tutorial_kit.core.errors import (SceneError, XMLError, PluginError, MeshError, ParameterError,
                                      RenderError, ImageError, BackendError)
from tutorial_kit.io.properties import SceneWarning

backend.set_backend(backend.default_backend())

# Importing the plugins registers their XML names.
from tutorial_kit import plugins  # noqa: E402,F401
from tutorial_kit.io.bitmap import write_bitmap, read_bitmap  # noqa: E402
from tutorial_kit.io.loader import load_file, load_string  # noqa: E402
from tutorial_kit.ad.optimizers import Optimizer, SGD, Adam  # noqa: E402
from tutorial_kit.renderer.render import render  # noqa: E402
from tutorial_kit.ad.gradients import check_gradient  # noqa: E402
from tutorial_kit.ad.pytorch import torch_renderer  # noqa: E402
from tutorial_kit.ad.traverse import ParameterMap, traverse  # noqa: E402


def __getattr__(name):
    """Array types of the active backend: ``tk.Float``, ``tk.Color3f``, ``tk.TensorXf``, ..."""
    if name in backend._TYPE_NAMES or name == 'Color3f':
        return getattr(backend, name)
    raise AttributeError(f'module "tutorial_kit" has no attribute "{name}"')


__all__ = ['load_file', 'load_string', 'traverse', 'ParameterMap', 'render', 'write_bitmap',
           'Optimizer', 'SGD', 'Adam', 'check_gradient', 'torch_renderer',
           'read_bitmap', 'set_backend', 'SceneError', 'XMLError', 'PluginError', 'MeshError',
           'ParameterError', 'RenderError', 'ImageError', 'BackendError', 'SceneWarning']

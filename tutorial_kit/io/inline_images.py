"""Rendered images as pictures at the end of a notebook cell.

A render is a Dr.Jit ``TensorXf`` of shape (height, width, 3). Left as the
last expression of a cell, IPython would print its numbers. Registering a
PNG formatter for the tensor type makes Jupyter show the picture instead
(the text stays available to front ends that cannot draw). Only tensors
shaped like an image, (height, width, channels) with 1, 3 or 4 channels,
are drawn; every other tensor keeps its text. A 2-D tensor in particular
is printed: it is far more often a matrix (a 3 x 3 rotation, a Jacobian)
than a picture, and JupyterLab shows the picture instead of the numbers.
"""
import sys

import numpy as np

#: Larger tensors are printed, not drawn: an image wider or taller than this is unlikely.
MAX_SIDE = 8192


def tensor_png(tensor):
    """PNG bytes of an image-shaped tensor, (H, W, 1), (H, W, 3) or (H, W, 4)
    of linear values (sRGB-encoded for the screen), or None for any other
    tensor (2-D ones included), which IPython then prints."""
    from tutorial_kit.io.image import Bitmap
    shape = tuple(tensor.shape)
    if not (len(shape) == 3 and shape[2] in (1, 3, 4)):
        return None
    if not (0 < min(shape[:2]) and max(shape[:2]) <= MAX_SIDE):
        return None
    pixels = np.asarray(tensor.numpy(), dtype=np.float32)
    if not np.isfinite(pixels).any():
        return None
    return Bitmap(pixels)._repr_png_()


def register(tensor_types):
    """Draw tensors of ``tensor_types`` as PNG in the running IPython, if any."""
    IPython = sys.modules.get('IPython')      # a running IPython has imported itself already
    shell = IPython.get_ipython() if IPython is not None else None
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters['image/png']
    for tensor_type in tensor_types:
        formatter.for_type(tensor_type, tensor_png)
    return True

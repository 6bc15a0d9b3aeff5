"""``tk.util``: the helpers Mitsuba 3's tutorials call as ``mi.util``.

``mi.util.convert_to_bitmap(image)`` at the end of a notebook cell shows a
render; ``mi.util.write_bitmap('out.png', image)`` saves one. Both work the
same here, so that tutorial code runs with ``import tutorial_kit as mi``.

Beyond Mitsuba 3's ``mi.util``, the helpers the notebooks' figures and
widgets share: the sRGB curve (``linear_to_srgb``), a colour map's range
that ignores a few outliers (``robust_vmax``), seeds derived from a run and
an iteration (``mix64``), the Dr.Jit memory a call adds
(``with_added_memory``) and the named conductors (``conductor_presets``).
"""
from __future__ import annotations

import os
from typing import Any, Union

from tutorial_kit.core.measure import with_added_memory
from tutorial_kit.core.random import mix64
from tutorial_kit.core.srgb import linear_to_srgb
from tutorial_kit.io import bitmap as _bitmap
from tutorial_kit.io.colormap import robust_vmax
from tutorial_kit.io.image import Bitmap
from tutorial_kit.io.struct import Struct
from tutorial_kit.plugins.bsdfs.ior import conductor_presets

__all__ = ['convert_to_bitmap', 'write_bitmap', 'linear_to_srgb', 'robust_vmax', 'mix64',
           'with_added_memory', 'conductor_presets']


def convert_to_bitmap(data, uint8_srgb=True):
    """A :class:`~tutorial_kit.io.image.Bitmap` of ``data`` (TensorXf (H, W, C),
    NumPy array, PyTorch tensor or Bitmap), displayed inline by Jupyter.

    ``uint8_srgb=True`` (the default) stores what a screen shows: 8-bit
    sRGB-encoded values clamped to [0, 1]; ``False`` keeps linear floats.
    """
    bitmap = Bitmap(data)
    if uint8_srgb:
        return bitmap.convert(component_format=Struct.Type.UInt8, srgb_gamma=True)
    return bitmap.convert(component_format=Struct.Type.Float32, srgb_gamma=False)


def write_bitmap(filename: Union[str, os.PathLike], data: Any, write_async: bool = True) -> None:
    """Write ``data`` (a tensor, array or Bitmap) to ``filename``; the extension
    chooses the format (see :func:`tutorial_kit.write_bitmap`).

    ``write_async`` is accepted for Mitsuba 3's signature; the file is always
    complete when this returns (it is written under a temporary name and
    renamed into place).
    """
    _bitmap.write_bitmap(filename, data)

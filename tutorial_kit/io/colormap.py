"""Colour maps for signed images such as gradients.

A gradient image is not a colour: ``colormap='coolwarm'`` maps ``-vmax`` to
blue, 0 to the map's neutral centre and ``+vmax`` to red. Without ``vmax``
the range is a robust maximum of ``|value|``, so that a few extreme pixels
do not wash out the rest.
"""
import math

import numpy as np

from tutorial_kit.core.errors import ImageError

#: The percentile of |value| used as the default colormap range: a robust
#: maximum, so that a few extreme pixels (e.g. a lamp seen directly, about
#: 0.5 % of the Cornell box's pixels) do not wash out the rest.
ROBUST_PERCENTILE = 99


def apply_colormap(pixels, colormap, vmax, path):
    """(H, W, C) signed values -> (H, W, 3) RGB colours in [0, 1]."""
    colour_channels = pixels[:, :, :3] if pixels.shape[2] == 4 else pixels
    values = colour_channels.mean(axis=2)
    vmax = robust_vmax(values) if vmax is None else checked_vmax(vmax, path)
    lookup = lookup_colormap(colormap, path)
    # -vmax .. +vmax onto 0 .. 1, with 0 at 0.5: the colormap's centre.
    positions = 0.5 + 0.5 * np.clip(values / vmax, -1.0, 1.0)
    positions = np.nan_to_num(positions, nan=0.5)
    return lookup(positions)[:, :, :3].astype(np.float32)


def robust_vmax(values):
    """The colour-map range of signed ``values``: the ``ROBUST_PERCENTILE`` of
    |value| (the largest |value| if that is 0; 1 for an all-zero image)."""
    magnitudes = np.abs(values[np.isfinite(values)])
    if magnitudes.size == 0:
        return 1.0
    robust = float(np.percentile(magnitudes, ROBUST_PERCENTILE))
    if robust > 0:
        return robust
    # Mostly zeros: the few non-zero values still deserve a visible colour,
    # and an all-zero image must not divide by zero.
    largest = float(magnitudes.max())
    return largest if largest > 0 else 1.0


def checked_vmax(vmax, path):
    try:
        vmax = float(vmax)
    except (TypeError, ValueError) as error:
        raise ImageError(f'vmax must be a positive number, got {vmax!r}', path=path) from error
    if not (math.isfinite(vmax) and vmax > 0):
        raise ImageError(f'vmax must be a positive number, got {vmax!r}', path=path)
    return vmax


def lookup_colormap(name, path):
    import matplotlib  # imported here: it is slow to load and only needed for colormaps
    try:
        return matplotlib.colormaps[name]
    except (KeyError, TypeError) as error:
        raise ImageError(f'unknown matplotlib colormap {name!r} (try \'coolwarm\')',
                         path=path) from error

"""Change an image's resolution with a reconstruction filter (Mitsuba 3's ``Resampler``).

Resampling is separable: rows are resampled to the new width, then
columns to the new height. Output pixel ``i`` of ``target`` pixels has its
centre at ``(i + 0.5) / target * source`` in input pixels; it is the
weighted mean of the input pixels around it, weighted by the filter at
their distance. When the image shrinks, the filter is stretched by
``source / target`` so that it averages every input pixel it covers (a
low-pass filter: without it, fine detail would alias into noise). When
the resolution stays the same, the filter blurs the image in place.
Pixels outside the image repeat the border pixel (clamp).

The default filter is a Lanczos-windowed sinc of two lobes, as in Mitsuba 3
(Duchon, "Lanczos filtering in one and two dimensions", 1979).
"""
import math

import numpy as np

from tutorial_kit.core.errors import ImageError

#: Lobes of the default Lanczos filter.
LANCZOS_LOBES = 2


def lanczos(x, lobes=LANCZOS_LOBES):
    """The Lanczos filter at distances ``x`` (float64 NumPy array, pixels)."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    safe = np.where(x < 1e-4, 1.0, x) * math.pi
    value = lobes * np.sin(safe) * np.sin(safe / lobes) / (safe * safe)
    return np.where(x < 1e-4, 1.0, np.where(x > lobes, 0.0, value))


def filter_function(rfilter):
    """``(weight(x), radius)`` of ``rfilter``: None (Lanczos), or a reconstruction
    filter plugin (``tk.load_dict({'type': 'box'})``: ``eval`` and ``radius``)."""
    if rfilter is None:
        return lanczos, float(LANCZOS_LOBES)
    radius = getattr(rfilter, 'radius', None)
    radius = radius() if callable(radius) else radius
    if not callable(getattr(rfilter, 'eval', None)) or not isinstance(radius, (int, float)):
        raise ImageError(f'resample: rfilter must be a reconstruction filter (with eval and radius), '
                         f'got {type(rfilter).__name__}')

    def weight(x):
        from tutorial_kit.core import backend as bk
        values = rfilter.eval(bk.Float(np.asarray(x, dtype=np.float32).ravel()))
        return np.asarray(values.numpy() if hasattr(values, 'numpy') else values,
                          dtype=np.float64).reshape(np.shape(x))
    return weight, float(radius)


def resample_axis(values, target, weight, radius, axis):
    """``values`` (float64, any shape) resampled along ``axis`` to ``target`` samples.

    Each output sample is a weighted sum of input samples, so the whole axis
    is one matrix product: ``W (target x source) @ values``. ``W`` holds each
    output's filter weights at the input samples it covers (those beyond the
    border added to the border sample: clamping); it is built in blocks of
    output rows so that it stays small for large images.
    """
    source = values.shape[axis]
    scaled_radius, scale = radius, 1.0
    if target < source:
        scale = source / target
        scaled_radius = radius * scale
    taps = max(int(math.ceil(scaled_radius * 2)), 1)
    if source == target:
        if taps % 2 != 1:
            taps -= 1
        taps = max(taps, 1)
        offsets = np.arange(taps) - taps // 2
        start = np.arange(target)[:, None] + offsets[None, :]
        weights = np.broadcast_to(weight(offsets.astype(np.float64)), start.shape)
    else:
        center = (np.arange(target) + 0.5) / target * source
        first = np.floor(center - scaled_radius + 0.5).astype(np.int64)
        start = first[:, None] + np.arange(taps)[None, :]
        weights = weight((start + 0.5 - center[:, None]) / scale)
    total = weights.sum(axis=1, keepdims=True)
    weights = weights / np.where(total == 0, 1.0, total)
    index = np.clip(start, 0, source - 1)
    moved = np.moveaxis(values, axis, 0).reshape(source, -1)      # (source, everything else)
    result = np.empty((target, moved.shape[1]))
    rows = max(1, _MATRIX_ENTRIES // source)
    for first_row in range(0, target, rows):
        block = slice(first_row, min(first_row + rows, target))
        matrix = np.zeros((block.stop - block.start, source))
        np.add.at(matrix, (np.arange(block.stop - block.start)[:, None], index[block]), weights[block])
        result[block] = matrix @ moved
    shape = (target,) + tuple(np.delete(values.shape, axis))
    return np.moveaxis(result.reshape(shape), 0, axis)


#: Most entries of the weight matrix built at once (32 MB of float64).
_MATRIX_ENTRIES = 1 << 22


def resample(pixels, width, height, rfilter=None, clamp=(-math.inf, math.inf)):
    """(height, width, channels) float64 array ``pixels`` at the new size, clamped to ``clamp``."""
    weight, radius = filter_function(rfilter)
    values = np.asarray(pixels, dtype=np.float64)
    if width != values.shape[1]:
        values = resample_axis(values, width, weight, radius, axis=1)
    if height != values.shape[0]:
        values = resample_axis(values, height, weight, radius, axis=0)
    return np.clip(values, clamp[0], clamp[1])

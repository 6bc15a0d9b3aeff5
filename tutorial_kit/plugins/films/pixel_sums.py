"""Developing many samples per pixel with a wide filter: sums per pixel first.

A student can skip this module: it computes what
:meth:`~tutorial_kit.plugins.films.hdrfilm.HDRFilm.develop` computes with one
scatter per sample and filter tap, the same sums in another order, and only
exists because those scatters are atomic adds, which on a CPU cost far more
than the arithmetic around them: a Gaussian filter reaches 5 x 5 pixels, so
a render at 64 samples per pixel adds 6,400 values into each pixel's four
sums (three colour channels and the weight).

The render lays its samples out pixel by pixel (sample ``k`` of pixel ``j``
of the film's sampled region at index ``j * spp + k``), and every sample of
a pixel lies in that pixel's square, so all of them reach the same
neighbourhood of pixels. Here one lane per pixel walks through its
``spp`` samples in a loop, adding each sample's filter-weighted value to one
running sum per neighbour, and only then adds those sums into the image: an
atomic add per pixel and neighbour, not per sample. The loop is a Dr.Jit
symbolic loop, which reverse-mode differentiation cannot cross, so renders
whose radiance tracks derivatives keep the per-sample scatters
(benchmarks/README.md, "Films", has the figures).
"""
import math

import drjit as dr

from tutorial_kit.core import backend as bk


def reach(radius):
    """Pixels on each side of a sample's own pixel that a filter of ``radius``
    reaches: a sample in [x, x + 1) reaches the centres X + 0.5 within
    ``radius``, those of X = x - k ... x + k with k = floor(radius + 0.5)."""
    return int(math.floor(radius + 0.5))


def develop_by_pixel(film, position, value, spp, mode):
    """``(weighted, weights)``: per pixel of the crop window, the filter-weighted
    sum of the sample values (``type(value)``) and the sum of the weights
    (Float), as :meth:`HDRFilm.develop` forms them before dividing.

    ``position``: Array2f, ``value``: Color3f or Float, evaluated, laid out
    pixel by pixel over ``film.sampled_region()``; ``spp``: int; ``mode``: the
    ``dr.ReduceMode`` of the final adds.
    """
    x0, y0, grid_width, grid_height = film.sampled_region()
    width, height = film.crop_size()
    k = reach(film.rfilter.radius)
    taps = [(dx, dy) for dy in range(-k, k + 1) for dx in range(-k, k + 1)]
    pixel = dr.arange(bk.UInt32, grid_width * grid_height)
    gx = bk.Int32(pixel % dr.opaque(bk.UInt32, grid_width)) + x0
    gy = bk.Int32(pixel // dr.opaque(bk.UInt32, grid_width)) + y0
    first = pixel * dr.opaque(bk.UInt32, spp)
    kind = type(value)
    sums = [dr.zeros(kind, dr.width(pixel)) for _ in taps]
    weights = [dr.zeros(bk.Float, dr.width(pixel)) for _ in taps]

    def body(sample, sums, weights):
        p = dr.gather(bk.Array2f, position, first + sample)
        v = dr.gather(kind, value, first + sample)
        wx = {dx: film.rfilter.eval(bk.Float(gx + dx) + 0.5 - p.x) for dx in range(-k, k + 1)}
        wy = {dy: film.rfilter.eval(bk.Float(gy + dy) + 0.5 - p.y) for dy in range(-k, k + 1)}
        for t, (dx, dy) in enumerate(taps):
            w = wx[dx] * wy[dy]
            w = dr.select(w > 0, w, 0)          # as the per-sample footprint keeps them
            sums[t] += v * w
            weights[t] += w
        return sample + 1, sums, weights

    _, sums, weights = dr.while_loop(
        (dr.zeros(bk.UInt32, dr.width(pixel)), sums, weights),
        lambda sample, *_: sample < dr.opaque(bk.UInt32, spp), body,
        labels=('sample', 'sums', 'weights'), label='develop_by_pixel', mode='symbolic')

    weighted = dr.zeros(kind, width * height)
    total = dr.zeros(bk.Float, width * height)
    for t, (dx, dy) in enumerate(taps):
        x, y = gx + dx, gy + dy
        inside = (x >= 0) & (x < width) & (y >= 0) & (y < height) & (weights[t] > 0)
        index = bk.UInt32(dr.select(inside, y * width + x, 0))
        dr.scatter_add(weighted, sums[t], index, inside, mode=mode)
        dr.scatter_add(total, weights[t], index, inside, mode=mode)
    return weighted, total

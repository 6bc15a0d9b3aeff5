"""Reconstruction filters: how samples are weighted into pixels.

A sample at film position ``x`` (in pixels) contributes to pixel ``i`` with
weight ``filter.eval(i + 0.5 - x)`` per axis; a pixel's value is the weighted
mean of its contributions. The ``box`` filter keeps each sample in the pixel
it was taken in, which makes images cheap to differentiate.
"""
import drjit as dr

from tutorial_kit.plugins.plugin import Plugin
from tutorial_kit.plugins.registry import register


class ReconstructionFilter(Plugin):
    """``radius``: half-width of the support, in pixels. ``eval(x)``: the
    weight (Float) of a sample ``x`` pixels (Float) from a pixel centre."""
    radius = 0.5

    def settings(self):
        return dict(radius=self.radius)


@register('rfilter', 'box')
class BoxFilter(ReconstructionFilter):
    def __init__(self, props):
        self.radius = props.float('radius', 0.5)

    def eval(self, x):
        return dr.select(dr.abs(x) <= self.radius, 1.0, 0.0)


@register('rfilter', 'tent')
class TentFilter(ReconstructionFilter):
    def __init__(self, props):
        self.radius = props.float('radius', 1.0)

    def eval(self, x):
        return dr.maximum(0, 1 - dr.abs(x) / self.radius)


@register('rfilter', 'gaussian')
class GaussianFilter(ReconstructionFilter):
    """A Gaussian of standard deviation ``stddev`` truncated at 4 ``stddev``,
    lowered so that it reaches zero there instead of jumping."""

    def __init__(self, props):
        self.stddev = props.float('stddev', 0.5)
        if not self.stddev > 0:
            raise props.error('stddev', 'stddev must be positive')
        self.radius = 4 * self.stddev

    def eval(self, x):
        alpha = -1 / (2 * self.stddev ** 2)
        return dr.maximum(0, dr.exp(alpha * dr.square(x)) - dr.exp(alpha * self.radius ** 2))

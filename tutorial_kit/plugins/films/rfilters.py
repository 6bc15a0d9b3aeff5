"""Reconstruction filters: how samples are weighted into pixels.

A sample at film position ``x`` (in pixels) contributes to pixel ``i`` with
weight ``filter.eval(i + 0.5 - x)`` per axis; a pixel's value is the weighted
mean of its contributions. The ``box`` filter keeps each sample in the pixel
it was taken in, which makes images cheap to differentiate.

A filter's radius is bounded on both sides. Below half a pixel, a sample
taken near a pixel's corner would reach no pixel centre, and a tiny radius
makes whole pixels black; above :data:`MAX_RADIUS` pixels, each sample
touches (2 radius + 1)^2 pixels and the film's work (and its compiled
kernel) grows with the square of the radius.
"""
import drjit as dr

from tutorial_kit.renderer.rfilter import MAX_RADIUS, MIN_RADIUS, ReconstructionFilter
from tutorial_kit.core.registry import register


def checked_radius(props, name, radius, scale=1.0):
    """``radius`` (pixels, read from parameter ``name`` as ``radius / scale``) if it
    lies in [MIN_RADIUS, MAX_RADIUS]; a PluginError saying the bounds otherwise."""
    if not MIN_RADIUS <= radius <= MAX_RADIUS:
        raise props.error(name, f'{name} must lie in [{MIN_RADIUS / scale:g}, {MAX_RADIUS / scale:g}] '
                                f'pixels, got {radius / scale:g} (a smaller filter leaves pixels '
                                f'black; a larger one touches (2 radius + 1)^2 pixels per sample)')
    return radius


@register('rfilter', 'box')
class BoxFilter(ReconstructionFilter):
    def __init__(self, props):
        self.radius = checked_radius(props, 'radius', props.float('radius', 0.5))

    def eval(self, x):
        return dr.select(dr.abs(x) <= self.radius, 1.0, 0.0)


@register('rfilter', 'tent')
class TentFilter(ReconstructionFilter):
    def __init__(self, props):
        self.radius = checked_radius(props, 'radius', props.float('radius', 1.0))

    def eval(self, x):
        return dr.maximum(0, 1 - dr.abs(x) / self.radius)


@register('rfilter', 'gaussian')
class GaussianFilter(ReconstructionFilter):
    """A Gaussian of standard deviation ``stddev`` truncated at 4 ``stddev``,
    lowered so that it reaches zero there instead of jumping."""

    def __init__(self, props):
        self.stddev = props.float('stddev', 0.5)
        self.radius = checked_radius(props, 'stddev', 4 * self.stddev, scale=4)

    def eval(self, x):
        alpha = -1 / (2 * self.stddev ** 2)
        return dr.maximum(0, dr.exp(alpha * dr.square(x)) - dr.exp(alpha * self.radius ** 2))

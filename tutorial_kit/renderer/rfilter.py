"""The reconstruction filter interface: how samples are weighted into pixels.

A sample at film position ``x`` (in pixels) contributes to pixel ``i`` with
weight ``filter.eval(i + 0.5 - x)`` per axis; a pixel's value is the
weighted mean of its contributions (PBR 4th ed., sec. 8.8). The filters
themselves are in :mod:`tutorial_kit.plugins.films.rfilters`.
"""
from abc import abstractmethod

from tutorial_kit.core import registry
from tutorial_kit.renderer.plugin import Plugin

#: The smallest and largest filter radius, in pixels.
MIN_RADIUS, MAX_RADIUS = 0.5, 4.0


class ReconstructionFilter(Plugin):
    """Base class of filter plugins (XML ``<rfilter>``).

    ``radius``: half-width of the support, in pixels (a float in
    [MIN_RADIUS, MAX_RADIUS]).
    """
    radius = 0.5

    @abstractmethod
    def eval(self, x):
        """The weight (Float, unnormalised) of a sample ``x`` pixels (Float)
        from a pixel centre along one axis; zero for ``|x| > radius``."""

    def settings(self):
        return dict(radius=self.radius)


registry.declare_interface('rfilter', ReconstructionFilter)

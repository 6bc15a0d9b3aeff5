"""The film interface: the sensor's grid of pixels, and how samples become an image.

A film averages radiance samples into pixels with its reconstruction filter
(Mitsuba 3's ``Film`` and ``ImageBlock``; PBR 4th ed., sec. 8.8). Because
``develop`` is linear in the samples, its adjoint ``develop_adjoint`` is what
path replay needs to send a pixel's gradient back to the samples.
"""
from abc import abstractmethod

from tutorial_kit.core import registry
from tutorial_kit.renderer.plugin import Plugin


class Film(Plugin):
    """Base class of film plugins (XML ``<film>``)."""

    @abstractmethod
    def crop_size(self):
        """``(width, height)`` in pixels of the part of the film that is rendered."""

    def size(self):
        """``(width, height)`` in pixels of the whole film (Mitsuba 3's ``size``);
        the same as :meth:`crop_size`, as our films are never cropped."""
        return self.crop_size()

    @abstractmethod
    def develop(self, position, value, spp):
        """Average samples into an image.

        ``position``: Array2f film positions in pixels (sample ``k`` of pixel
        ``j`` at index ``j * spp + k``); ``value``: Color3f radiance per
        sample; ``spp``: samples per pixel (int). Returns a Color3f with one
        entry per pixel, row-major. Linear (and so differentiable) in ``value``.
        """

    @abstractmethod
    def develop_adjoint(self, position, image_gradient, spp):
        """The gradient per sample (Color3f) given one per pixel (Color3f):
        the transpose of :meth:`develop`."""

    @abstractmethod
    def splat(self, position, value, active=True):
        """Spread samples over the pixels the reconstruction filter reaches.

        ``position``: Array2f film positions in pixels; ``value``: Color3f;
        ``active``: Bool. Each value is added to the pixels around its
        position, weighted by the filter normalised to unit integral, with
        no division by the weights' sum (unlike :meth:`develop`): for
        estimates at points that are not spread evenly over the film, such
        as points on edges, each of which carries its own density. Returns
        a Color3f with one entry per pixel; linear in ``value``.
        """


registry.declare_interface('film', Film)

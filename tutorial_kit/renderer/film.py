"""The film interface: the sensor's grid of pixels, and how samples become an image.

A film averages radiance samples into pixels with its reconstruction filter
(Mitsuba 3's ``Film`` and ``ImageBlock``; PBR 4th ed., sec. 8.8). Because
``develop`` is linear in the samples, its adjoint ``develop_adjoint`` is what
path replay needs to send a pixel's gradient back to the samples.

Which pixels are rendered, and what a render returns, follow Mitsuba 3's
film: a *crop window* (``crop_offset``, ``crop_size``) inside the whole
film (``size``) is the image; samples may also be drawn in a border around
it (``sample_border``) so that the filter's reach beyond the window counts;
the *pixel format* (:class:`PixelFormat`) chooses the colour channels of
the render's tensor (RGB, luminance Y, or CIE XYZ, with or without alpha),
and the integrator's arbitrary output variables (AOVs) follow them
(:mod:`tutorial_kit.renderer.film_channels`).
"""
import enum
from abc import abstractmethod

from tutorial_kit.core import registry
from tutorial_kit.renderer.plugin import Plugin


class PixelFormat(enum.Enum):
    """The colour channels of a film's image (Mitsuba 3's ``Bitmap.PixelFormat``),
    by the name a scene file gives them (``pixel_format``)."""
    Y = 'luminance'
    YA = 'luminance_alpha'
    RGB = 'rgb'
    RGBA = 'rgba'
    XYZ = 'xyz'
    XYZA = 'xyza'

    @property
    def has_alpha(self):
        """Whether the image carries an alpha channel (the share of each pixel's
        samples whose camera ray met the scene)."""
        return self in (PixelFormat.YA, PixelFormat.RGBA, PixelFormat.XYZA)

    @property
    def channel_names(self):
        """The names of the colour (and alpha) channels, as Mitsuba 3 writes them."""
        colour = {'Y': ['Y'], 'R': ['R', 'G', 'B'], 'X': ['X', 'Y', 'Z']}[self.name[0]]
        return colour + (['A'] if self.has_alpha else [])


class ComponentFormat(enum.Enum):
    """How a film stores each channel value in the file it writes (``component_format``)."""
    Float16 = 'float16'
    Float32 = 'float32'
    UInt32 = 'uint32'


class FileFormat(enum.Enum):
    """The file a film writes (``file_format``): OpenEXR, Radiance RGBE, or PFM."""
    OpenEXR = 'openexr'
    RGBE = 'rgbe'
    PFM = 'pfm'


class Film(Plugin):
    """Base class of film plugins (XML ``<film>``)."""

    @abstractmethod
    def crop_size(self):
        """``(width, height)`` in pixels of the part of the film that is rendered."""

    def size(self):
        """``(width, height)`` in pixels of the whole film (Mitsuba 3's ``size``);
        by default the same as :meth:`crop_size` (a film that is not cropped)."""
        return self.crop_size()

    def crop_offset(self):
        """``(x, y)`` in pixels of the crop window's top left corner in the whole film."""
        return (0, 0)

    def sample_border(self):
        """Whether samples are also drawn in a border around the crop window
        (:meth:`border_size` pixels wide), whose filter footprints reach into it."""
        return False

    def border_size(self):
        """Width in pixels of the border in which samples are drawn around the
        crop window (0 when :meth:`sample_border` is off)."""
        return 0

    def pixel_format(self):
        """The :class:`PixelFormat` of the render's colour channels."""
        return PixelFormat.RGB

    def base_channels_count(self):
        """Channels of the image before any AOVs: 1 (Y), 3 (RGB, XYZ), plus 1 for alpha."""
        return len(self.pixel_format().channel_names)

    def sampled_region(self):
        """``(x0, y0, width, height)``: the grid of pixels, relative to the crop
        window, in which a render draws its samples: the crop window, grown by
        :meth:`border_size` on each side."""
        width, height = self.crop_size()
        border = self.border_size()
        return -border, -border, width + 2 * border, height + 2 * border

    @abstractmethod
    def develop(self, position, value, spp):
        """Average samples into an image.

        ``position``: Array2f film positions in pixels, relative to the crop
        window (sample ``k`` of pixel ``j`` of :meth:`sampled_region` at index
        ``j * spp + k``); ``value``: Color3f radiance per sample (or a Float,
        one channel); ``spp``: samples per pixel (int). Returns a value of the
        same type with one entry per pixel of the crop window, row-major.
        Linear (and so differentiable) in ``value``.
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

    def splat_into(self, image, position, value, active=True):
        """Add samples to ``image`` in place, each spread over the pixels its
        reconstruction filter reaches, with weights normalised to sum to one
        over the filter's footprint (Mitsuba 3's ``ImageBlock.put`` with
        ``normalize``): every sample deposits exactly its value, part of it
        outside the window where it lies near the edge.

        ``image``: Color3f with one entry per pixel of the crop window
        (row-major), changed in place; ``position``: Array2f film positions
        in pixels relative to the crop window; ``value``: Color3f; ``active``:
        Bool. The weights follow ``position`` differentiably, so a sample that
        moves on the film moves its value between pixels smoothly (a filter
        wider than a pixel, such as ``gaussian``, makes that derivative
        useful). What a light path leaves where it reaches the camera.
        """
        raise NotImplementedError(f'{type(self).__name__} cannot take splatted samples')


registry.declare_interface('film', Film)

"""``hdrfilm``: a film of linear RGB radiance, as Mitsuba 3's ``hdrfilm``.

The image is the crop window, and its channels follow the pixel format, as
in Mitsuba 3 (:mod:`tutorial_kit.renderer.film`). ``file_format`` and
``component_format`` say how :meth:`HDRFilm.write` stores the last render;
:func:`tutorial_kit.write_bitmap` chooses its format from the file name.
"""
import math

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import PluginError, RenderError
from tutorial_kit.renderer.film import ComponentFormat, FileFormat, Film, PixelFormat
from tutorial_kit.renderer.film_channels import write_film_image
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.films.pixel_sums import develop_by_pixel
from tutorial_kit.plugins.films.rfilters import BoxFilter
from tutorial_kit.renderer.rfilter import ReconstructionFilter
from tutorial_kit.io.properties import Properties

#: How samples are added into pixels: plain atomic adds. Dr.Jit's default on
#: the CPU first sums the lanes of a SIMD packet that hit the same pixel,
#: which for a 5 x 5 footprint cost more than it saved: developing 884,736
#: samples of a Gaussian filter took 180 ms instead of 330 to 380 ms
#: (benchmarks/README.md, "Films").
SPLAT_MODE = dr.ReduceMode.Direct

#: From this many samples per pixel on, a render's samples are summed per
#: pixel before they are added into the image (:mod:`.pixel_sums`).
PIXEL_SUMS_SPP = 2


@register('film', 'hdrfilm')
class HDRFilm(Film):
    """``<film type="hdrfilm">``: ``width`` x ``height`` pixels of linear radiance.

    Parameters (Mitsuba 3's): ``width``, ``height`` (768, 576);
    ``crop_offset_x``, ``crop_offset_y``, ``crop_width``, ``crop_height``
    (the window that is rendered: the image is the crop; default the whole
    film); ``sample_border`` (false: samples are drawn in the crop window only;
    true: also in a border as wide as the filter reaches beyond a pixel, so
    that the pixels at the window's edges average as many samples as those
    inside); ``pixel_format`` (:class:`PixelFormat`: ``rgb``, ``rgba``,
    ``luminance``, ``luminance_alpha``, ``xyz``, ``xyza``), which chooses the
    channels of the render's tensor; ``file_format`` (``openexr``, ``rgbe``,
    ``pfm``) and ``component_format`` (``float16``, ``float32``, ``uint32``),
    which choose what :meth:`write` writes; one nested ``<rfilter>``
    (default: ``gaussian``).
    """

    def __init__(self, props):
        self.width = props.int('width', 768)
        self.height = props.int('height', 576)
        if self.width <= 0 or self.height <= 0:
            raise props.error('width' if self.width <= 0 else 'height',
                              f'the film must have a positive size, got {self.width} x {self.height}')
        if self.width * self.height > 2 ** 26:
            raise props.error('width', f'a {self.width} x {self.height} film is too large')
        self.crop = _crop_window(props, self.width, self.height)
        self._sample_border = props.bool('sample_border', False)
        self._pixel_format, self.file_format, self.component_format = _output_formats(props)
        _warn_unimplemented_options(props)
        filters = [c for c in props.nested_objects() if isinstance(c, ReconstructionFilter)]
        if len(filters) > 1:
            raise props.error('rfilter', 'a film takes at most one <rfilter>')
        self.rfilter = filters[0] if filters else _default_filter()
        self._image = None

    # -- the window that is rendered ------------------------------------------------------
    def crop_size(self):
        return self.crop[2:] if self.crop else (self.width, self.height)

    def crop_offset(self):
        return self.crop[:2] if self.crop else (0, 0)

    def size(self):
        return (self.width, self.height)

    def set_size(self, size):
        """Resize the whole film to ``(width, height)``; the crop window becomes the whole film."""
        self.width, self.height = (int(n) for n in size)
        self.crop = None

    def set_crop_window(self, offset, size):
        """Render only the window of ``size`` (width, height) at ``offset`` (x, y);
        a PluginError if it does not lie inside the film."""
        (x, y), (w, h) = offset, size
        if not (0 <= x and 0 <= y and 0 < w and 0 < h and x + w <= self.width and y + h <= self.height):
            raise PluginError(f'hdrfilm: the crop window {w} x {h} at ({x}, {y}) does not lie inside '
                              f'the {self.width} x {self.height} film')
        self.crop = None if (x, y, w, h) == (0, 0, self.width, self.height) else (x, y, w, h)

    def sample_border(self):
        return self._sample_border

    def border_size(self):
        """As Mitsuba 3: the pixels the filter reaches beyond the one a sample
        falls in, ``ceil(radius - 0.5)`` (0 for the one-pixel box)."""
        if not self._sample_border:
            return 0
        return max(int(math.ceil(self.rfilter.radius - 0.5 - 2 * RAY_EPSILON)), 0)

    def pixel_format(self):
        return self._pixel_format

    def settings(self):
        shown = dict(width=self.width, height=self.height)
        if self.crop:
            shown.update(crop_offset=self.crop_offset(), crop_size=self.crop_size())
        if self._sample_border:
            shown.update(sample_border=True)
        if self._pixel_format != PixelFormat.RGB:
            shown.update(pixel_format=self._pixel_format.value)
        return dict(shown, rfilter=self.rfilter)

    # -- the developed image, and writing it ---------------------------------------------
    def store_image(self, image, names):
        """Keep a render's developed image (TensorXf (H, W, C)) and its channel
        names, for :meth:`bitmap` and :meth:`write` (what Mitsuba 3's film holds
        after a render)."""
        self._image = (image, list(names))

    def channel_names(self):
        """The names of the channels of the last render's image (``['R', 'G', 'B']``,
        then ``'A'`` and the AOVs' names, as Mitsuba 3 writes them)."""
        return list(self._last_image()[1])

    def bitmap(self):
        """The last render's image (all channels) as a :class:`~tutorial_kit.Bitmap`-ready
        NumPy array (H, W, C), float32."""
        return np.asarray(self._last_image()[0].numpy(), np.float32)

    def write(self, path):
        """Write the last render's image as ``file_format`` with its channel names
        (the extension becomes the format's own, as in Mitsuba 3). Returns the path."""
        image, names = self._last_image()
        return write_film_image(path, np.asarray(image.numpy(), np.float32), names,
                                self.file_format, self.component_format)

    def _last_image(self):
        if self._image is None:
            raise RenderError('the film holds no image yet: render the scene first')
        return self._image

    def develop(self, position, value, spp):
        """See :meth:`Film.develop`."""
        if self.pixel_box():
            # Each sample stays in its own pixel: a plain block average.
            # Evaluate the three channels together first: block_sum reduces
            # one channel at a time, and each would otherwise launch the
            # whole path tracer again. (Also for spp = 1, so that every spp
            # runs the same compiled path tracer.)
            dr.eval(value)
            return dr.block_sum(value, spp) / dr.opaque(bk.Float, spp)
        # Trace the paths once, in a kernel of their own: otherwise every
        # filter tap's scatter would be fused with (and compile) the whole
        # path tracer, and the compile time would grow with the footprint.
        dr.eval(position, value)
        if spp >= PIXEL_SUMS_SPP and not dr.grad_enabled(value, position):
            # Many samples per pixel: sum each pixel's first (see pixel_sums).
            weighted, weights = develop_by_pixel(self, position, value, spp, SPLAT_MODE)
            return weighted / dr.select(weights > 0, weights, 1)
        width, height = self.crop_size()
        weighted = dr.zeros(type(value), width * height)
        for index, weight, inside in self._footprint(position):
            dr.scatter_add(weighted, value * weight, index, inside, mode=SPLAT_MODE)
        return weighted / self._weight_sums(position)

    def develop_adjoint(self, position, image_gradient, spp):
        """See :meth:`Film.develop_adjoint`.

        ``develop`` is linear in the sample values, with weights that do
        not depend on them, so its adjoint sends each pixel's gradient back
        to the samples in proportion to their weights.
        """
        if self.pixel_box():
            pixel = dr.arange(bk.UInt32, dr.width(position)) // spp
            return dr.gather(bk.Color3f, image_gradient, pixel) / spp
        per_weight = image_gradient / self._weight_sums(position)
        result = dr.zeros(bk.Color3f, dr.width(position))
        for index, weight, inside in self._footprint(position):
            result += dr.gather(bk.Color3f, per_weight, index, inside) * weight
        return result

    def splat(self, position, value, active=True):
        """See :meth:`Film.splat`."""
        # The filter's integral over the plane is that over one axis squared
        # (the filter is separable), found numerically by the trapezoid rule.
        radius = self.rfilter.radius
        grid = np.linspace(-radius, radius, 4001)
        weights = np.asarray(self.rfilter.eval(bk.from_numpy(bk.Float, grid.astype(np.float32))).numpy(),
                             np.float64)
        integral = float(np.sum((weights[1:] + weights[:-1]) / 2 * np.diff(grid)))
        width, height = self.crop_size()
        image = dr.zeros(bk.Color3f, width * height)
        for index, weight, inside in self._footprint(position):
            dr.scatter_add(image, value * (weight / integral ** 2), index, active & inside, mode=SPLAT_MODE)
        return image

    def splat_into(self, image, position, value, active=True):
        """See :meth:`Film.splat_into`.

        The filter is separable, so the weights of a (2r + 1)^2 footprint are
        products of 2r + 1 weights per axis, and their sum the product of the
        two axes' sums: a tenth of the filter evaluations (and of the
        operations that differentiation records) of evaluating every tap.
        """
        radius = self.rfilter.radius
        width, height = self.crop_size()
        low = bk.Array2i(dr.ceil(position - 0.5 - radius))
        reach = range(int(2 * radius) + 1)
        wx = [self.rfilter.eval(bk.Float(low.x + k) + 0.5 - position.x) for k in reach]
        wy = [self.rfilter.eval(bk.Float(low.y + k) + 0.5 - position.y) for k in reach]
        total = sum(wx[1:], wx[0]) * sum(wy[1:], wy[0])
        scaled = value * dr.select(total > 0, dr.rcp(total), 0)
        for dy in reach:
            y = low.y + dy
            row = scaled * wy[dy]
            for dx in reach:
                x = low.x + dx
                inside = bk.Bool(active) & (x >= 0) & (x < width) & (y >= 0) & (y < height)
                dr.scatter_add(image, row * wx[dx], bk.UInt32(dr.select(inside, y * width + x, 0)), inside,
                               mode=SPLAT_MODE)

    def pixel_box(self):
        """Whether every sample counts in its own pixel only, all with equal
        weight (a box filter one pixel wide): then a pixel is the mean of
        its samples, which a render can sum as it goes."""
        return isinstance(self.rfilter, BoxFilter) and self.rfilter.radius == 0.5


    def _weight_sums(self, position):
        """Sum of filter weights per pixel (Float), never zero."""
        width, height = self.crop_size()
        weights = dr.zeros(bk.Float, width * height)
        for index, weight, inside in self._footprint(position):
            dr.scatter_add(weights, weight, index, inside, mode=SPLAT_MODE)
        return dr.select(weights > 0, weights, 1)

    def _footprint(self, position):
        """For every pixel a sample reaches: (pixel index, filter weight, valid mask).

        The filter is separable: a tap's weight is the product of one weight
        per axis, so 2 (2r + 1) filter evaluations serve all (2r + 1)^2 taps.
        """
        radius = self.rfilter.radius
        width, height = self.crop_size()
        # Pixel i's centre is at i + 0.5: find the first pixel in reach per axis.
        low = bk.Array2i(dr.ceil(position - 0.5 - radius))
        reach = range(int(2 * radius) + 1)
        wx = [self.rfilter.eval(bk.Float(low.x + k) + 0.5 - position.x) for k in reach]
        for dy in reach:
            y = low.y + dy
            wy = self.rfilter.eval(bk.Float(y) + 0.5 - position.y)
            row_inside = (y >= 0) & (y < height)
            for dx in reach:
                x = low.x + dx
                weight = wy * wx[dx]
                inside = row_inside & (x >= 0) & (x < width) & (weight > 0)
                yield bk.UInt32(dr.select(inside, y * width + x, 0)), weight, inside


#: The smallest distance Mitsuba 3 keeps rays off surfaces (float32), which
#: its films subtract twice when sizing the border: a filter of radius 1.5
#: reaches one pixel, not two.
RAY_EPSILON = 89 * 2.0 ** -24


def _crop_window(props, width, height):
    """``(x, y, w, h)`` of the crop window read from ``crop_offset_x/y`` and
    ``crop_width/height``, or None for the whole film; a PluginError naming the
    parameter when the window does not lie inside the film."""
    x, y = props.int('crop_offset_x', 0), props.int('crop_offset_y', 0)
    w, h = props.int('crop_width', width), props.int('crop_height', height)
    for name, value in (('crop_offset_x', x), ('crop_offset_y', y)):
        if value < 0:
            raise props.error(name, f'{name} must not be negative, got {value}')
    for name, value in (('crop_width', w), ('crop_height', h)):
        if value <= 0:
            raise props.error(name, f'{name} must be positive, got {value}')
    for offset, size, extent, names in ((x, w, width, ('crop_offset_x', 'crop_width', 'width')),
                                        (y, h, height, ('crop_offset_y', 'crop_height', 'height'))):
        if offset + size > extent:
            name = names[0] if names[0] in props else names[1]
            raise props.error(name, f'the crop window does not lie inside the film: {names[0]} '
                                    f'({offset}) + {names[1]} ({size}) > {names[2]} ({extent})')
    return None if (x, y, w, h) == (0, 0, width, height) else (x, y, w, h)


def _output_formats(props):
    """``(PixelFormat, FileFormat, ComponentFormat)`` read as Mitsuba 3 reads them
    (names case-insensitive, ``exr`` for ``openexr``); RGBE holds only RGB float32
    and PFM only RGB or luminance float32, which Mitsuba enforces with a warning."""
    def read(name, enum_type, default, aliases=()):
        text = props.string(name, default).lower()
        text = dict(aliases).get(text, text)
        try:
            return enum_type(text)
        except ValueError:
            known = ', '.join(member.value for member in enum_type)
            raise props.error(name, f'{name} must be one of {known}; got "{text}"') from None
    pixel = read('pixel_format', PixelFormat, 'rgb')
    file_format = read('file_format', FileFormat, 'openexr', (('exr', 'openexr'),))
    component = read('component_format', ComponentFormat, 'float16')
    allowed = {FileFormat.RGBE: (PixelFormat.RGB,), FileFormat.PFM: (PixelFormat.RGB, PixelFormat.Y)}
    if file_format in allowed:
        if pixel not in allowed[file_format]:
            props.warn('pixel_format', f'file_format="{file_format.value}" holds pixel_format="rgb" '
                       f'only: "{pixel.value}" becomes "rgb"')
            pixel = PixelFormat.RGB
        if component != ComponentFormat.Float32:
            if 'component_format' in props:
                props.warn('component_format', f'file_format="{file_format.value}" holds float32 '
                           f'only: "{component.value}" becomes "float32"')
            component = ComponentFormat.Float32
    return pixel, file_format, component


def _warn_unimplemented_options(props):
    """A SceneWarning for each option this film reads but does not implement."""
    if props.bool('high_quality_edges', False):
        props.warn('high_quality_edges', 'high_quality_edges is not implemented; '
                   'sample_border is its Mitsuba 3 counterpart')
    if props.bool('banner', False):
        props.warn('banner', 'banner is not implemented: images carry no banner')
    # Mitsuba 3 reads and ignores it too (its error-compensated sums were removed).
    props.bool('compensate', False)


def _default_filter():
    from tutorial_kit.plugins.films.rfilters import GaussianFilter
    return GaussianFilter(Properties('gaussian'))

"""The film: the sensor's grid of pixels, and how samples become an image."""
import drjit as dr

from . import backend as bk
from .plugins import register
from .rfilter import ReconstructionFilter, BoxFilter
from .properties import Properties


@register('film', 'hdrfilm')
class HDRFilm:
    """``<film type="hdrfilm">``: ``width`` x ``height`` pixels of linear RGB radiance.

    ``crop_size()`` is (width, height), as the tutorial uses it.
    """

    def __init__(self, props):
        self.width = props.int('width', 768)
        self.height = props.int('height', 576)
        if self.width <= 0 or self.height <= 0:
            raise props.error('width' if self.width <= 0 else 'height',
                              f'the film must have a positive size, got {self.width} x {self.height}')
        if self.width * self.height > 2 ** 26:
            raise props.error('width', f'a {self.width} x {self.height} film is too large')
        for name in ('file_format', 'pixel_format', 'component_format'):
            props.string(name, '')          # output formats are chosen by write_bitmap
        props.bool('banner', False)
        props.bool('high_quality_edges', False)
        filters = [c for c in props.children if isinstance(c, ReconstructionFilter)]
        if len(filters) > 1:
            raise props.error('rfilter', 'a film takes at most one <rfilter>')
        self.rfilter = filters[0] if filters else _default_filter()

    def crop_size(self):
        return (self.width, self.height)

    def size(self):
        return (self.width, self.height)

    def traverse(self, visitor):
        pass

    def develop(self, position, value, spp):
        """Average samples into an image.

        ``position``: Array2f film positions in pixels (sample ``k`` of pixel
        ``j`` at index ``j * spp + k``); ``value``: Color3f radiance per sample.
        Returns a Color3f with one entry per pixel, row-major.
        """
        if isinstance(self.rfilter, BoxFilter) and self.rfilter.radius == 0.5:
            # Each sample stays in its own pixel: a plain block average.
            return dr.block_sum(value, spp) / spp
        return self._splat(position, value)

    def _splat(self, position, value):
        """Add each sample to every pixel within the filter radius, then normalise."""
        radius = self.rfilter.radius
        pixels = self.width * self.height
        weighted = dr.zeros(bk.Color3f, pixels)
        weights = dr.zeros(bk.Float, pixels)
        # Pixel i's centre is at i + 0.5: find the first pixel in reach per axis.
        low = bk.Array2i(dr.ceil(position - 0.5 - radius))
        reach = int(2 * radius) + 1
        for dy in range(reach):
            y = low.y + dy
            wy = self.rfilter.eval(bk.Float(y) + 0.5 - position.y)
            for dx in range(reach):
                x = low.x + dx
                w = wy * self.rfilter.eval(bk.Float(x) + 0.5 - position.x)
                inside = (x >= 0) & (x < self.width) & (y >= 0) & (y < self.height) & (w > 0)
                index = bk.UInt32(dr.select(inside, y * self.width + x, 0))
                dr.scatter_add(weighted, value * w, index, inside)
                dr.scatter_add(weights, w, index, inside)
        return weighted / dr.select(weights > 0, weights, 1)


def _default_filter():
    from .rfilter import GaussianFilter
    return GaussianFilter(Properties('gaussian'))

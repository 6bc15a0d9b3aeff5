"""``hdrfilm``: a film of linear RGB radiance, as Mitsuba 3's ``hdrfilm``.

Output formats are chosen by :func:`tutorial_kit.write_bitmap` from the file
name, so the file-format options of the element are read and ignored.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.renderer.film import Film
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.films.rfilters import BoxFilter
from tutorial_kit.renderer.rfilter import ReconstructionFilter
from tutorial_kit.io.properties import Properties


@register('film', 'hdrfilm')
class HDRFilm(Film):
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
        _warn_unimplemented_options(props)
        filters = [c for c in props.nested_objects() if isinstance(c, ReconstructionFilter)]
        if len(filters) > 1:
            raise props.error('rfilter', 'a film takes at most one <rfilter>')
        self.rfilter = filters[0] if filters else _default_filter()

    def crop_size(self):
        return (self.width, self.height)

    def settings(self):
        return dict(width=self.width, height=self.height, rfilter=self.rfilter)

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
        weighted = dr.zeros(bk.Color3f, self.width * self.height)
        for index, weight, inside in self._footprint(position):
            dr.scatter_add(weighted, value * weight, index, inside)
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
        image = dr.zeros(bk.Color3f, self.width * self.height)
        for index, weight, inside in self._footprint(position):
            dr.scatter_add(image, value * (weight / integral ** 2), index, active & inside)
        return image

    def pixel_box(self):
        """Whether every sample counts in its own pixel only, all with equal
        weight (a box filter one pixel wide): then a pixel is the mean of
        its samples, which a render can sum as it goes."""
        return isinstance(self.rfilter, BoxFilter) and self.rfilter.radius == 0.5


    def _weight_sums(self, position):
        """Sum of filter weights per pixel (Float), never zero."""
        weights = dr.zeros(bk.Float, self.width * self.height)
        for index, weight, inside in self._footprint(position):
            dr.scatter_add(weights, weight, index, inside)
        return dr.select(weights > 0, weights, 1)

    def _footprint(self, position):
        """For every pixel a sample reaches: (pixel index, filter weight, valid mask)."""
        radius = self.rfilter.radius
        # Pixel i's centre is at i + 0.5: find the first pixel in reach per axis.
        low = bk.Array2i(dr.ceil(position - 0.5 - radius))
        reach = int(2 * radius) + 1
        for dy in range(reach):
            y = low.y + dy
            wy = self.rfilter.eval(bk.Float(y) + 0.5 - position.y)
            for dx in range(reach):
                x = low.x + dx
                weight = wy * self.rfilter.eval(bk.Float(x) + 0.5 - position.x)
                inside = (x >= 0) & (x < self.width) & (y >= 0) & (y < self.height) & (weight > 0)
                yield bk.UInt32(dr.select(inside, y * self.width + x, 0)), weight, inside


#: Output options that Mitsuba's film reads, and the values this film implements.
#: File format and precision are chosen by ``write_bitmap`` from the file name.
IMPLEMENTED_OUTPUT = {'file_format': ('openexr', 'exr'), 'pixel_format': ('rgb',),
                      'component_format': ('float16', 'float32')}


def _warn_unimplemented_options(props):
    """A SceneWarning for each output option whose value this film does not implement."""
    for name, implemented in IMPLEMENTED_OUTPUT.items():
        value = props.string(name, implemented[0])
        if value.lower() not in implemented:
            props.warn(name, f'{name}="{value}" is not implemented: the film holds linear RGB '
                       'float32; write_bitmap chooses the file format from the file name')
    if props.bool('sample_border', False) or props.bool('high_quality_edges', False):
        name = 'sample_border' if 'sample_border' in props else 'high_quality_edges'
        props.warn(name, f'{name} is not implemented: samples are taken inside the film only')
    if props.bool('banner', False):
        props.warn('banner', 'banner is not implemented: images carry no banner')


def _default_filter():
    from tutorial_kit.plugins.films.rfilters import GaussianFilter
    return GaussianFilter(Properties('gaussian'))

"""``envmap``: an environment lit by an image, in latitude-longitude layout.

A picture of the whole sphere of directions (an HDR photograph of a sky or
a room) surrounds the scene at infinity; rays that hit nothing see it (PBR
4th ed., sec. 12.5.2).

**Layout** (Mitsuba 3's, in the light's local frame; ``to_world`` turns it):
the image's u (left to right) is the longitude phi = 2 pi u, its v (top to
bottom) the polar angle theta = pi v from the local +y axis, so the top row
is the sky straight up. A direction is::

    d = (sin phi sin theta, cos theta, -cos phi sin theta)

so the image's left edge looks along -z and u = 1/4 along +x. Pixel
centres sit at u = (column + 1/2) / width, and rows at v = row / (height - 1)
(the first and last rows are the poles). Between them radiance is
interpolated bilinearly, wrapping around in phi.

**Sampling** (importance sampling of the image, PBR 4th ed., sec. 12.5.2):
each cell between four neighbouring pixel centres is chosen with
probability proportional to its mean luminance times sin(theta) at its
centre, with a :class:`~tutorial_kit.core.distribution.DiscreteDistribution2D`;
a point is placed uniformly in the cell. sin(theta) accounts for the
rows near the poles covering less of the sphere: a density ``p(u, v)`` over
the image becomes ``p(u, v) / (2 pi^2 sin theta)`` per solid angle. A cell
is only impossible where all four of its pixels are black, and there the
radiance is zero too, so the estimate stays unbiased.

Parameters as Mitsuba 3's ``envmap``: ``filename`` (an image file: OpenEXR,
RGBE, PFM, PNG, JPEG) or ``bitmap`` (in a dictionary: a ``Bitmap``, or a NumPy
array or tensor of shape (H, W, C)), ``scale`` (a factor on the radiance,
default 1), ``to_world``. The pixels are the parameter ``data``, a TensorXf
(H, W, 3) of linear RGB radiance, and ``scale`` a Float: both
differentiable, so an environment can be recovered from renders. After
``params.update()`` the sampling distribution is built again from the new
pixels. (Mitsuba 3.9 stores two extra columns in ``data``, copies of the
opposite edges; here ``data`` is the image as given.)
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core.distribution import DiscreteDistribution2D
from tutorial_kit.core.errors import ParameterError, SceneError
from tutorial_kit.core.registry import register
from tutorial_kit.io.bitmap import read_bitmap
from tutorial_kit.io.loader import resolve_path
from tutorial_kit.plugins.emitters.environment_rays import EnvironmentRays
from tutorial_kit.renderer.emitter import Emitter, EmitterFlags
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.renderer.texture import luminance
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


@register('emitter', 'envmap')
class EnvironmentMapEmitter(EnvironmentRays, Emitter):
    """``data`` (TensorXf (H, W, 3), linear RGB radiance), ``scale`` (Float),
    ``to_world`` ((4, 4) NumPy), ``filename`` (or None)."""
    m_flags = EmitterFlags.Infinite | EmitterFlags.SpatiallyVarying

    def __init__(self, props):
        super().__init__(props)
        pixels = self._read(props)
        self.data = bk.TensorXf(bk.from_numpy(bk.Float, pixels.ravel()), pixels.shape)
        scale = props.float('scale', 1.0)
        if not value_ranges.SCALE.contains(scale):
            raise props.error('scale', f'"scale" {value_ranges.SCALE.refusal(scale)}')
        self.scale = bk.Float(scale)
        self.to_world = props.transform('to_world')
        self.parameters_changed()

    def _read(self, props):
        """The image as float32 (H, W, 3), at least 2 x 1 pixels; errors name file and line."""
        if 'bitmap' in props:
            if 'filename' in props:
                raise props.error('filename', 'give "filename" or "bitmap", not both')
            self.filename, name = None, 'bitmap'
            pixels = props.image_pixels('bitmap')
        else:
            self.filename, name = props.string('filename'), 'filename'
            path = resolve_path(props, self.filename)
            try:
                pixels = read_bitmap(path)
            except SceneError as error:
                raise props.error('filename', f'cannot read the environment map "{path}": '
                                              f'{error.reason}') from None
        pixels = np.asarray(pixels, dtype=np.float32)
        if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4) or pixels.size == 0:
            raise props.error(name, f'an environment map needs an image of shape (H, W, 1, 3 or 4), '
                                    f'got {pixels.shape}')
        pixels = np.repeat(pixels, 3, axis=2) if pixels.shape[2] == 1 else pixels[:, :, :3]
        # Radiance: the same range as an emitter's colour (inf or 3e38 would
        # make the image infinite).
        bad = ~np.isfinite(pixels) | (pixels < 0) | (pixels > value_ranges.MAX_COLOR)
        if bad.any():
            row, column, _ = np.argwhere(bad)[0]
            image = f' "{self.filename}"' if self.filename else ''
            raise props.error(name, f'the environment map{image} has {int(bad.any(axis=2).sum())} pixels that are '
                                    f'not finite, negative or above {value_ranges.MAX_COLOR:g} '
                                    f'(the first at row {row}, column {column})')
        if pixels.shape[0] == 1:              # one row: the same at both poles
            pixels = np.repeat(pixels, 2, axis=0)
        return np.ascontiguousarray(pixels)

    def traverse(self, callback):
        callback.put('scale', self.scale, ParamFlags.Differentiable, value_range=value_ranges.SCALE)
        callback.put('data', self.data, ParamFlags.Differentiable, kind=ParamKind.TENSOR,
                     value_range=value_ranges.COLOR)
        callback.put('to_world', self.to_world, ParamFlags.NonDifferentiable, kind=ParamKind.MATRIX)

    def settings(self):
        height, width, _ = self.data.shape
        return dict(filename=self.filename, res=[width, height]) if self.filename else dict(res=[width, height])

    def parameters_changed(self, keys=None):
        """Build the sampling distribution again from the (detached) pixels, and
        the world-to-local rotation from ``to_world``."""
        if len(self.data.shape) != 3 or self.data.shape[2] != 3 or self.data.shape[0] < 2:
            raise ParameterError(f'envmap data must be a tensor of shape (H >= 2, W, 3), '
                                 f'got {tuple(self.data.shape)}')
        if not dr.grad_enabled(self.scale):
            self.scale = bk.Float(self.scale)
            dr.make_opaque(self.scale)        # a new scale reuses the compiled kernels
        matrix = np.asarray(self.to_world, dtype=np.float64)[:3, :3]
        self._to_world_rows = [dr.opaque(bk.Array3f, [float(c) for c in row]) for row in matrix]
        self._to_local_rows = [dr.opaque(bk.Array3f, [float(c) for c in row]) for row in np.linalg.inv(matrix)]
        self.distribution = DiscreteDistribution2D(self.cell_weights(dr.detach(self.data).numpy()))

    @staticmethod
    def cell_weights(pixels):
        """NumPy (H - 1, W): the weight of each cell between four pixel centres,
        its mean luminance (negatives as 0) times sin(theta) at its centre; uniform
        where the whole image is black (there is then nothing to find)."""
        height, width, _ = pixels.shape
        lum = np.maximum(np.asarray(luminance(np.moveaxis(pixels.astype(np.float64), 2, 0))), 0)
        right = np.roll(lum, -1, axis=1)                  # the next column, wrapping around
        mean = (lum[:-1] + right[:-1] + lum[1:] + right[1:]) / 4
        theta = np.pi * (np.arange(height - 1) + 0.5) / (height - 1)
        weights = mean * np.sin(theta)[:, None]
        return weights if weights.sum() > 0 else np.ones_like(weights)

    # -- directions and image coordinates ------------------------------------------------------
    @staticmethod
    def uv_to_direction(uv):
        """Local unit direction (Array3f) of image coordinates ``uv`` (Array2f)."""
        sin_theta, cos_theta = dr.sincos(uv.y * dr.pi)
        sin_phi, cos_phi = dr.sincos(uv.x * (2 * dr.pi))
        return bk.Array3f(sin_phi * sin_theta, cos_theta, -cos_phi * sin_theta)

    @staticmethod
    def direction_to_uv(d):
        """Image coordinates (Array2f; u in (-1/2, 1/2], not yet wrapped) of the local direction ``d``."""
        return bk.Array2f(dr.atan2(d.x, -d.z) * dr.inv_two_pi, dr.safe_acos(d.y) * dr.inv_pi)

    def _to_local(self, v):
        return dr.normalize(bk.Array3f(*(dr.dot(row, v) for row in self._to_local_rows)))

    def _to_world(self, v):
        return dr.normalize(bk.Array3f(*(dr.dot(row, v) for row in self._to_world_rows)))

    def eval_uv(self, uv, active=True):
        """Color3f radiance at image coordinates ``uv``: bilinear between pixel
        centres, periodic in u, clamped in v; times ``scale``. Differentiable in
        ``data`` (the four pixels used, by their weights) and ``scale``."""
        height, width, _ = self.data.shape
        u = uv.x - dr.floor(uv.x)
        v = dr.clip(uv.y, 0, 1)
        x = u * width - 0.5
        y = dr.minimum(v * (height - 1), height - 1)
        x0 = dr.floor(x)
        y0 = dr.minimum(dr.floor(y), height - 2)
        fx, fy = x - x0, y - y0
        xa = bk.Int32(x0)
        xa = dr.select(xa < 0, xa + width, xa)
        xb = dr.select(xa + 1 >= width, xa + 1 - width, xa + 1)
        ya = bk.Int32(y0)

        def pixel(column, row):
            return dr.gather(bk.Color3f, self.data.array, bk.UInt32(row * width + column), active)
        top = pixel(xa, ya) * (1 - fx) + pixel(xb, ya) * fx
        bottom = pixel(xa, ya + 1) * (1 - fx) + pixel(xb, ya + 1) * fx
        return (top * (1 - fy) + bottom * fy) * self.scale

    # -- the Emitter interface -----------------------------------------------------------------
    def eval(self, si, active=True):
        return self.eval_uv(self.direction_to_uv(self._to_local(-si.wi)), active)

    def sample_direction(self, it, sample, active=True):
        height, width, _ = self.data.shape
        cell, pmf, offset = self.distribution.sample(sample, active)
        s = (bk.Float(cell.x) + offset.x) / width
        v = (bk.Float(cell.y) + offset.y) / (height - 1)
        uv = bk.Array2f(s + 0.5 / width, v)               # cells start at the pixel centres
        # Bounded away from 0 as in Mitsuba 3: a sample at a pole keeps a finite density.
        sin_theta = dr.maximum(dr.sin(v * dr.pi), dr.epsilon(bk.Float))
        pdf = dr.select(active, pmf * (width * (height - 1)) / (2 * dr.square(dr.pi) * sin_theta), 0)
        d = self._to_world(self.uv_to_direction(uv))
        width_lanes = dr.width(d)
        ds = DirectionSample3f(p=it.p + d, n=-d, uv=uv, time=it.time, pdf=pdf, d=d,
                               dist=dr.full(bk.Float, dr.inf, width_lanes))
        weight = dr.select(pdf > 0, self.eval_uv(uv, active) / dr.select(pdf > 0, pdf, 1), 0)
        return ds, weight

    def pdf_direction(self, it, ds, active=True):
        height, width, _ = self.data.shape
        local = self._to_local(ds.d)
        uv = self.direction_to_uv(local)
        s = uv.x - 0.5 / width
        s = s - dr.floor(s)
        column = dr.minimum(bk.UInt32(s * width), width - 1)
        row = dr.minimum(bk.UInt32(dr.clip(uv.y, 0, 1) * (height - 1)), height - 2)
        pmf = self.distribution.pdf(bk.Array2u(column, row), active)
        sin_theta = dr.maximum(dr.safe_sqrt(dr.square(local.x) + dr.square(local.z)), dr.epsilon(bk.Float))
        return dr.select(active, pmf * (width * (height - 1)) / (2 * dr.square(dr.pi) * sin_theta), 0)

    def eval_direction(self, it, ds, active=True):
        """Color3f: the radiance arriving from the direction of ``ds``."""
        return self.eval_uv(self.direction_to_uv(self._to_local(ds.d)), active)

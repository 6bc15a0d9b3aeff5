"""``bitmap``: an image wrapped around a surface.

The image comes from exactly one of ``filename`` (an image file),
``bitmap`` (a :class:`~tutorial_kit.io.image.Bitmap` in memory, from Python:
``{'type': 'bitmap', 'bitmap': tk.Bitmap(...)}``) and ``data`` (an array of
linear values, (H, W, 1 or 3)), as in Mitsuba 3. A Bitmap is read as a file
with the same pixels would be: 8-bit sRGB values are decoded to linear ones
(unless ``raw``), alpha is dropped, XYZ becomes RGB.

The image is looked up at the hit's texture coordinates ``si.uv``, first
mapped by the affine ``to_uv`` transform, as Mitsuba 3's ``bitmap`` does:
u runs left to right, v top to bottom of the image (row 0 at v = 0).

- ``filter_type``: ``bilinear`` (default) blends the four nearest texel
  centres; ``nearest`` takes the texel the point falls in.
- ``wrap_mode``: how coordinates outside [0, 1] find a texel: ``repeat``
  (default; tile), ``mirror`` (tile, flipping every other copy), ``clamp``
  (the border texel).
- ``raw`` (false): an 8-bit image (PNG, JPEG) stores sRGB-encoded values,
  which are decoded to linear ones on load; ``raw`` keeps the stored numbers
  (for roughness or normal maps). OpenEXR stores linear floats anyway. For a
  Bitmap, its ``srgb_gamma()`` says whether it is encoded (``raw`` ignores it).
- ``format``: ``variant`` or ``fixed``. Mitsuba keeps a ``fixed`` 8-bit
  image as bytes; here the data are always float32 so that they can be
  optimised.

The pixels are the parameter ``data``: a TensorXf of shape (H, W, C), C = 1
(grey) or 3 (RGB; an alpha channel is dropped), differentiable. A texel
lookup gathers from it, so derivatives reach exactly the texels a lookup
used, weighted by their bilinear weights.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core.errors import SceneError
from tutorial_kit.core.srgb import linear_to_srgb
from tutorial_kit.io.bitmap import read_bitmap
from tutorial_kit.io.bitmap_convert import PixelFormat
from tutorial_kit.io.image import Bitmap
from tutorial_kit.io.struct import Struct
from tutorial_kit.io.loader import resolve_path
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import Texture, luminance
from tutorial_kit.plugins.textures.to_uv import read_to_uv, apply_to_uv
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind

EIGHT_BIT_EXTENSIONS = ('.png', '.jpg', '.jpeg')
#: The parameters that may give the image; exactly one must.
SOURCES = ('filename', 'bitmap', 'data')
#: The layout a Bitmap's pixels are converted to: grey stays grey, colours become RGB.
TEXTURE_FORMATS = {PixelFormat.Y: PixelFormat.Y, PixelFormat.YA: PixelFormat.Y,
                   PixelFormat.RGB: PixelFormat.RGB, PixelFormat.RGBA: PixelFormat.RGB,
                   PixelFormat.XYZ: PixelFormat.RGB, PixelFormat.XYZA: PixelFormat.RGB}


@register('texture', 'bitmap')
class BitmapTexture(Texture):
    """``filename`` (an image file), ``bitmap`` (a tk.Bitmap) or ``data`` (an array
    of shape (H, W, 1 or 3), linear values, as Mitsuba 3's ``data`` tensor),
    ``filter_type``, ``wrap_mode``, ``raw``, ``format``, ``to_uv``."""

    #: ``data`` may be assigned an image of another height and width (the same
    #: channels): lookups read the size from the tensor, so an optimised
    #: texture can be refined coarse to fine (``dr.upsample``), as in Mitsuba 3.
    accepts_new_resolution = True

    def __init__(self, props):
        given = [name for name in SOURCES if name in props]
        if len(given) != 1:
            raise props.error(given[-1] if given else 'filename',
                              'a bitmap texture takes exactly one of "filename" (an image file), '
                              '"bitmap" (a tk.Bitmap) and "data" (an array), got '
                              f'{" and ".join(given) or "none of them"}')
        #: Where the pixels came from: 'filename', 'bitmap' or 'data'.
        self.source = given[0]
        self.filename = props.string('filename') if 'filename' in props else None
        self.filter_type = props.choice('filter_type', ('bilinear', 'nearest'), 'bilinear')
        self.wrap_mode = props.choice('wrap_mode', ('repeat', 'mirror', 'clamp'), 'repeat')
        self.raw = props.bool('raw', False)
        self.format = props.choice('format', ('variant', 'fixed'), 'variant')
        self.to_uv = read_to_uv(props)
        if self.source == 'filename':
            pixels = self._read(props)
        elif self.source == 'bitmap':
            pixels = _pixels_from_bitmap(props, self.raw)
        else:
            pixels = _pixels_from_array(props)
        # Pixels that are infinite, NaN or huge (an OpenEXR or PFM file holding
        # inf or 3e38, an RGBE file of its largest values) would make the image
        # infinite; the texture's role (reflectance, radiance) may bound them
        # further when a plugin reads it (renderer.texture.texture).
        refusal = value_ranges.PIXEL.refusal(pixels)
        if refusal is not None:
            where = f'the image "{self.filename}"' if self.filename else f'the "{self.source}" image'
            raise props.error(self.source, f'{where} holds pixels that are not finite or beyond '
                                           f'the colour bound: {refusal}')
        self.data = bk.TensorXf(bk.from_numpy(bk.Float, pixels), pixels.shape)

    def _read(self, props):
        """The image as a float32 (H, W, 1 or 3) array; errors name the scene file and line."""
        path = resolve_path(props, self.filename)
        try:
            pixels = read_bitmap(path)
        except SceneError as error:
            raise props.error('filename', f'cannot read the texture "{path}": {error.reason}') from None
        if self.raw and path.lower().endswith(EIGHT_BIT_EXTENSIONS):
            # The reader decodes sRGB; raw data keep the stored numbers k / 255.
            pixels = pixels.copy()
            pixels[:, :, :3] = np.round(linear_to_srgb(pixels[:, :, :3]) * 255) / 255
        channels = 1 if pixels.shape[2] == 1 else 3
        return np.ascontiguousarray(pixels[:, :, :channels], dtype=np.float32)

    def settings(self):
        return dict(filename=self.filename or f'<{self.source}>', filter_type=self.filter_type,
                    wrap_mode=self.wrap_mode, raw=self.raw)

    def range_values(self):
        return self.data.numpy()

    def traverse(self, callback):
        callback.put('data', self.data, ParamFlags.Differentiable, kind=ParamKind.TENSOR,
                     value_range=self.value_range or value_ranges.PIXEL)

    # -- lookups --------------------------------------------------------------------
    @property
    def resolution(self):
        """(height, width, channels) of the image."""
        return tuple(self.data.shape)

    def _wrap(self, index, size):
        """Integer texel ``index`` (Int32) mapped into [0, size) by ``wrap_mode``."""
        if self.wrap_mode == 'clamp':
            return dr.clip(index, 0, size - 1)
        period = size if self.wrap_mode == 'repeat' else 2 * size
        index = index % period
        index = dr.select(index < 0, index + period, index)
        if self.wrap_mode == 'mirror':
            index = dr.select(index >= size, 2 * size - 1 - index, index)
        return index

    def _texel(self, x, y, active):
        """The texel in column ``x``, row ``y`` (wrapped Int32) as Color3f."""
        height, width, channels = self.resolution
        pixel = bk.UInt32(y * width + x)
        if channels == 1:
            return bk.Color3f(dr.gather(bk.Float, self.data.array, pixel, active))
        return dr.gather(bk.Color3f, self.data.array, pixel, active)

    def eval(self, si, active=True):
        height, width, _ = self.resolution
        uv = apply_to_uv(self.to_uv, si.uv)
        if self.filter_type == 'nearest':
            x = self._wrap(bk.Int32(dr.floor(uv.x * width)), width)
            y = self._wrap(bk.Int32(dr.floor(uv.y * height)), height)
            return self._texel(x, y, active)
        # Texel centres sit at half-integers: shift so that they become integers.
        px, py = uv.x * width - 0.5, uv.y * height - 0.5
        x0, y0 = dr.floor(px), dr.floor(py)
        fx, fy = px - x0, py - y0
        x0, y0 = bk.Int32(x0), bk.Int32(y0)
        xa, xb = self._wrap(x0, width), self._wrap(x0 + 1, width)
        ya, yb = self._wrap(y0, height), self._wrap(y0 + 1, height)
        top = self._texel(xa, ya, active) * (1 - fx) + self._texel(xb, ya, active) * fx
        bottom = self._texel(xa, yb, active) * (1 - fx) + self._texel(xb, yb, active) * fx
        return top * (1 - fy) + bottom * fy

    def eval_1(self, si, active=True):
        color = self.eval(si, active)
        return color.x if self.resolution[2] == 1 else luminance(color)

    def mean(self):
        return dr.mean(dr.detach(self.data.array))


def _pixels_from_array(props):
    """The ``data`` array as float32 (H, W, 1 or 3), used as it is (linear), as in Mitsuba 3."""
    pixels = props.tensor('data')
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3) or pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise props.error('data', f'"data" must have the shape (height, width, 1 or 3), got {pixels.shape}')
    return np.ascontiguousarray(pixels)


def _pixels_from_bitmap(props, raw):
    """The ``bitmap`` (a tk.Bitmap) as linear float32 (H, W, 1 or 3), as Mitsuba 3
    reads it: sRGB-encoded values decoded unless ``raw``; the Bitmap is not changed."""
    if props.kind('bitmap') != 'bitmap':
        raise props.error('bitmap', f'"bitmap" must be a tk.Bitmap, got {_type_name(props["bitmap"])}')
    bitmap = props.bitmap('bitmap')
    target = TEXTURE_FORMATS.get(bitmap.pixel_format())
    if target is None:
        raise props.error('bitmap', f'the bitmap\'s pixel format must be Y, YA, RGB, RGBA, XYZ or XYZA, '
                                    f'got {bitmap.pixel_format().name}')
    if raw:
        # Raw data carry no colour encoding: the stored numbers are the values.
        bitmap = Bitmap(bitmap, srgb_gamma=False)
    pixels = np.asarray(bitmap.convert(target, Struct.Type.Float32, False), dtype=np.float32)
    pixels = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
    if pixels.shape[0] == 0 or pixels.shape[1] == 0 or not np.all(np.isfinite(pixels)):
        raise props.error('bitmap', 'the bitmap must have pixels, all finite')
    return np.ascontiguousarray(pixels)


def _type_name(value):
    """What ``value`` is, for a message: NumPy arrays and Dr.Jit tensors given as such."""
    return 'an array' if isinstance(value, np.ndarray) else f'a {type(value).__name__}'

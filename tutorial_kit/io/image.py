"""``Bitmap``: an image in memory that shows itself in a notebook.

Mitsuba 3's tutorials end a cell with ``mi.util.convert_to_bitmap(image)``
to look at a render; the returned ``Bitmap`` draws itself as a picture.
Jupyter asks an object for a picture through ``_repr_png_``: IPython calls it
and shows the PNG bytes inline, no widget needed.

A Bitmap holds either linear float values (what a renderer produces) or
8-bit sRGB-encoded values (what a screen shows, ``srgb_gamma() == True``),
shape (height, width, channels) with 1, 3 or 4 channels.
"""
import io

import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.core.srgb import srgb_to_linear
from tutorial_kit.io.bitmap import write_bitmap


class Bitmap:
    """An image: ``Bitmap(data, srgb_gamma=None)``.

    ``data``: a Dr.Jit tensor or array-like of shape (height, width) or
    (height, width, channels), or another Bitmap. Floats are taken as
    linear values, uint8 as sRGB-encoded ones unless ``srgb_gamma`` says
    otherwise. ``np.asarray(bitmap)`` gives the stored values (as Mitsuba's
    Bitmap does), so ``plt.imshow(bitmap)`` shows an 8-bit bitmap correctly.
    """

    def __init__(self, data, srgb_gamma=None):
        if isinstance(data, Bitmap):
            data, srgb_gamma = data._pixels, data._srgb_gamma if srgb_gamma is None else srgb_gamma
        pixels = _pixels_of(data)
        self._srgb_gamma = bool(pixels.dtype == np.uint8 if srgb_gamma is None else srgb_gamma)
        self._pixels = pixels

    # -- Mitsuba's accessors --------------------------------------------------------------
    def width(self):
        return self._pixels.shape[1]

    def height(self):
        return self._pixels.shape[0]

    def size(self):
        """(width, height) in pixels."""
        return self.width(), self.height()

    def channel_count(self):
        return self._pixels.shape[2]

    def srgb_gamma(self):
        """True when the values are sRGB-encoded (display values), False when linear."""
        return self._srgb_gamma

    # -- conversions ----------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        return self._pixels if dtype is None else self._pixels.astype(dtype)

    def linear(self):
        """The pixels as linear float32 values, (height, width, channels)."""
        values = self._pixels.astype(np.float32)
        if self._pixels.dtype == np.uint8:
            values /= 255.0
        if not self._srgb_gamma:
            return values
        colour = values.copy()
        colour[:, :, :3] = srgb_to_linear(values[:, :, :3])     # alpha is not encoded
        return colour

    def srgb8(self):
        """The pixels as 8-bit sRGB-encoded values, clamped to [0, 1]: what a screen shows."""
        if self._pixels.dtype == np.uint8 and self._srgb_gamma:
            return self._pixels
        from tutorial_kit.io.eight_bit import to_eight_bit
        return to_eight_bit(self.linear(), display_ready=False)

    def convert(self, srgb_gamma=True):
        """A new Bitmap holding 8-bit sRGB values (``srgb_gamma=True``) or linear floats."""
        return Bitmap(self.srgb8(), True) if srgb_gamma else Bitmap(self.linear(), False)

    def write(self, path):
        """Write to ``path`` (format from the extension), as ``tk.write_bitmap`` does."""
        write_bitmap(path, self.linear())

    # -- display --------------------------------------------------------------------------
    def _repr_png_(self):
        """PNG bytes, for Jupyter's inline display."""
        from PIL import Image
        encoded = self.srgb8()
        buffer = io.BytesIO()
        Image.fromarray(encoded[:, :, 0] if encoded.shape[2] == 1 else encoded).save(buffer, format='PNG')
        return buffer.getvalue()

    def __repr__(self):
        encoding = 'sRGB' if self._srgb_gamma else 'linear'
        return (f'Bitmap[{self.width()} x {self.height()}, {self.channel_count()} channels, '
                f'{self._pixels.dtype}, {encoding}]')


def _pixels_of(data):
    """``data`` as a (height, width, channels) NumPy array: uint8 stays, the rest float32."""
    import drjit as dr
    if dr.is_array_v(data):
        data = dr.detach(data).numpy()
    elif type(data).__name__ == 'Tensor' and hasattr(data, 'detach'):     # a PyTorch tensor
        data = data.detach().cpu().numpy()
    try:
        pixels = np.array(data)
        if pixels.dtype != np.uint8:
            pixels = pixels.astype(np.float32)
    except (TypeError, ValueError) as error:
        raise ImageError(f'a Bitmap needs an image array, got {type(data).__name__}') from error
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4) or pixels.size == 0:
        raise ImageError(f'a Bitmap needs shape (height, width) or (height, width, channels) '
                         f'with 1, 3 or 4 channels, got {pixels.shape}')
    return pixels

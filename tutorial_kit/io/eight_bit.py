"""PNG and JPEG: 8-bit, sRGB-encoded images, through Pillow."""
import warnings

import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.io.image_size import check_image_size
from tutorial_kit.core.srgb import linear_to_srgb, srgb_to_linear

_JPEG_QUALITY = 95


def to_eight_bit(pixels, display_ready):
    """Linear float (H, W, C) -> uint8, sRGB-encoding colour but not alpha."""
    values = np.nan_to_num(pixels, nan=0.0)
    if not display_ready:
        colour = slice(0, 3)  # alpha (channel 3) is coverage, not light
        values = values.copy()
        values[:, :, colour] = linear_to_srgb(values[:, :, colour])
    return np.round(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)


def write_png(path, pixels, display_ready):
    from PIL import Image
    Image.fromarray(_squeeze_grey(to_eight_bit(pixels, display_ready))).save(path, format='PNG')


def write_jpeg(path, pixels, display_ready):
    from PIL import Image
    without_alpha = pixels[:, :, :3]
    encoded = _squeeze_grey(to_eight_bit(without_alpha, display_ready))
    # Full-resolution colour (subsampling=0): renders have sharp colour edges.
    Image.fromarray(encoded).save(path, format='JPEG', quality=_JPEG_QUALITY, subsampling=0)


def _squeeze_grey(pixels):
    # Pillow takes grey images as (H, W), not (H, W, 1).
    return pixels[:, :, 0] if pixels.shape[2] == 1 else pixels


def read(path):
    picture = _opened(path, _to_standard_mode)
    if picture.mode.startswith('I'):
        # 16-bit grey: scale by its own maximum instead of 255.
        encoded = np.asarray(picture, dtype=np.float32)[:, :, np.newaxis] / 65535.0
    else:
        encoded = np.asarray(picture, dtype=np.float32) / 255.0
        if encoded.ndim == 2:
            encoded = encoded[:, :, np.newaxis]
    linear = encoded.copy()
    linear[:, :, :3] = srgb_to_linear(encoded[:, :, :3])
    return linear


def _opened(path, convert):
    """The image in ``path`` read whole by Pillow and passed through ``convert``
    (a function of the picture), its size checked first; every failure an ImageError."""
    from PIL import Image
    try:
        with warnings.catch_warnings():
            # Pillow warns about large images; the size is checked here instead.
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                check_image_size(*opened.size, path)
                opened.load()
                return convert(opened)
    except ImageError:
        raise
    except MemoryError:
        raise ImageError('the image is too large to read into memory', path=path) from None
    except Exception as error:  # Pillow raises many kinds (OSError, SyntaxError, struct.error, ...)
        raise ImageError(f'cannot read image: {error}', path=path) from None


def _stored_mode(picture):
    """Grey, grey and alpha, RGB, RGBA or 16-bit grey, as stored where possible."""
    if picture.mode in ('L', 'LA', 'RGB', 'RGBA', 'I;16'):
        return picture
    picture = _to_standard_mode(picture)
    return picture.convert('I;16') if picture.mode == 'I' else picture


def _to_standard_mode(picture):
    """Grey, RGB, RGBA or 16-bit grey; palettes and the like become RGB(A)."""
    if picture.mode in ('L', 'RGB', 'RGBA', 'I;16', 'I'):
        return picture
    has_alpha = picture.mode in ('LA', 'PA', 'RGBa', 'La') or 'transparency' in picture.info
    return picture.convert('RGBA' if has_alpha else 'RGB')


# -- stored values, not decoded (Bitmap) ---------------------------------------------------------

def read_stored(path):
    """The stored values of a PNG or JPEG: (height, width, channels) uint8
    (uint16 for 16-bit grey PNG), 1 to 4 channels (grey, grey and alpha,
    RGB, RGBA), sRGB-encoded as the file holds them."""
    picture = _opened(path, _stored_mode)
    values = np.asarray(picture)
    if picture.mode == 'I':
        values = np.clip(values, 0, 65535).astype(np.uint16)
    elif picture.mode == 'I;16':
        values = values.astype(np.uint16)
    return values[:, :, np.newaxis] if values.ndim == 2 else values


def write_stored(path, values, jpeg):
    """Write (height, width, channels) uint8 ``values`` as they are (PNG, or JPEG
    without alpha: grey-and-alpha keeps grey, RGBA keeps RGB)."""
    from PIL import Image
    channels = values.shape[2]
    if jpeg:
        values = values[:, :, :1] if channels <= 2 else values[:, :, :3]
        Image.fromarray(_squeeze_grey(values)).save(path, format='JPEG', quality=_JPEG_QUALITY,
                                                    subsampling=0)
        return
    # Pillow reads the mode from the shape: L, LA, RGB or RGBA.
    Image.fromarray(_squeeze_grey(values)).save(path, format='PNG')

"""Write rendered images to disk, and read them back.

A renderer produces *linear* radiance: a pixel value of 0.5 means half the
light of 1.0. How that number reaches a file depends on the format:

=========  ===========================  ===========================================
extension  stored as                    what happens to the values
=========  ===========================  ===========================================
``.exr``   32-bit float (OpenEXR)       written exactly, negatives and NaN included
``.pfm``   32-bit float                 written exactly; rows stored bottom-to-top
``.hdr``   RGBE: 8-bit shared exponent  about 0.4 % precision; no negatives, no NaN
``.png``   8 bits per channel           sRGB-encoded, clamped to [0, 1]
``.jpg``   8 bits per channel, lossy    sRGB-encoded, clamped to [0, 1], no alpha
=========  ===========================  ===========================================

The 8-bit formats store *display* values: screens expect sRGB-encoded
numbers, so :func:`linear_to_srgb` is applied before quantising (and
:func:`srgb_to_linear` after reading). Writing linear values straight into a
PNG makes every image look too dark.

Images passed to :func:`write_bitmap` may be

* a Dr.Jit ``TensorXf`` of shape (height, width, channels),
* a flat Dr.Jit array (``Float`` holding interleaved channels, or an
  ``Array3f``/``Color3f`` holding one colour per pixel) together with
  ``crop_size=(width, height)``, or
* a numpy array of shape (height, width) or (height, width, channels),

with 1 (grey), 3 (RGB) or 4 (RGBA) channels. Row 0 is the top of the image,
whatever the format stores on disk.

Gradient images are signed and are not colours: ``colormap='coolwarm'``
turns them into a picture in which 0 is the colormap's neutral centre.

All checks run before the output file is touched, and the file is written
under a temporary name and renamed into place, so an error never leaves a
half-written image behind.

Formats without a suitable maintained writer on PyPI (Pillow writes
single-channel PFM only and no RGBE; imageio delegates both to a plugin that
downloads a binary) are handled by the short writers and readers at the end
of this module.
"""
import math
import os
import re
import secrets
from pathlib import Path

import drjit as dr
import numpy as np

from .errors import ImageError

__all__ = ['write_bitmap', 'read_bitmap', 'linear_to_srgb', 'srgb_to_linear',
           'SUPPORTED_EXTENSIONS']

#: File extensions understood by :func:`write_bitmap` and :func:`read_bitmap`.
SUPPORTED_EXTENSIONS = ('.exr', '.hdr', '.pfm', '.png', '.jpg', '.jpeg')

_JPEG_QUALITY = 95
#: The percentile of |value| used as the default colormap range: a robust
#: maximum, so that a few extreme pixels (e.g. a lamp seen directly, about
#: 0.5 % of the Cornell box's pixels) do not wash out the rest.
ROBUST_PERCENTILE = 99


# ---------------------------------------------------------------------------
# The sRGB transfer curve
# ---------------------------------------------------------------------------

# Below these thresholds the curve is a straight line; above, a power law.
# The linear piece avoids an infinite slope at 0.
_LINEAR_THRESHOLD = 0.0031308
_ENCODED_THRESHOLD = 0.04045


def _as_float_array(values):
    values = np.asarray(values)
    return values if np.issubdtype(values.dtype, np.floating) else values.astype(np.float32)


def linear_to_srgb(linear):
    """Encode linear values (any shape, 0..1 nominal) with the sRGB curve.

    This is what a display expects: 0.5 linear becomes about 0.7354. Values
    are not clamped; the float dtype is kept (other dtypes become float32).
    """
    linear = _as_float_array(linear)
    # np.maximum keeps the power law away from negative inputs, where it
    # would give NaN; np.where discards that branch for them anyway.
    power_law = 1.055 * np.power(np.maximum(linear, _LINEAR_THRESHOLD), 1 / 2.4) - 0.055
    return np.where(linear <= _LINEAR_THRESHOLD, 12.92 * linear, power_law).astype(linear.dtype)


def srgb_to_linear(encoded):
    """Undo :func:`linear_to_srgb`: sRGB-encoded values (any shape) to linear."""
    encoded = _as_float_array(encoded)
    power_law = np.power((np.maximum(encoded, _ENCODED_THRESHOLD) + 0.055) / 1.055, 2.4)
    return np.where(encoded <= _ENCODED_THRESHOLD, encoded / 12.92, power_law).astype(encoded.dtype)


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------

def write_bitmap(path, image, crop_size=None, colormap=None, vmax=None):
    """Write ``image`` to ``path``; the extension chooses the format.

    Args:
        path: output file name (``str`` or ``Path``) ending in one of
            :data:`SUPPORTED_EXTENSIONS`, case-insensitive. Its directory
            must exist.
        image: linear pixel values -- a Dr.Jit ``TensorXf`` or numpy array of
            shape (height, width[, channels]), or a flat Dr.Jit array with
            ``crop_size``; 1, 3 or 4 channels.
        crop_size: ``(width, height)`` in pixels; needed for flat arrays,
            checked against the shape otherwise.
        colormap: a matplotlib colormap name (e.g. ``'coolwarm'``) for signed
            images such as gradients. The colour channels (alpha excluded)
            are averaged to one value per pixel and mapped so that 0 lands
            on the colormap's centre and -vmax / +vmax on its ends. The
            resulting RGB colours are written as they are, without the sRGB
            curve (they already are display colours).
        vmax: the positive value mapped to the colormap's end; by default the
            99th percentile of |value|, so that a few outliers do not
            flatten the rest. Only meaningful with ``colormap``: giving it
            without one is an error.

    Values that a format cannot hold are handled as follows: 8-bit formats
    clamp to [0, 1] and write NaN as 0; ``.hdr`` writes negatives and NaN as
    0; ``.jpg`` and ``.pfm`` drop alpha; ``.hdr`` drops alpha and repeats a
    grey channel into RGB. With ``colormap``, NaN pixels get the centre colour.

    Raises:
        ImageError: unknown extension, missing directory, an image whose
            shape cannot be read, or a bad colormap or vmax. Nothing is
            written in that case.
    """
    path = Path(path)
    extension = _checked_extension(path)
    pixels = _to_numpy(image, path)
    pixels = _to_height_width_channels(pixels, crop_size, path)
    if colormap is not None:
        pixels = _apply_colormap(pixels, colormap, vmax, path)
    elif vmax is not None:
        raise ImageError('vmax is only used together with colormap', path=path)
    if not path.parent.is_dir():
        raise ImageError(f"directory '{path.parent}' does not exist", path=path)

    encode = _WRITERS[extension]
    display_ready = colormap is not None
    _write_atomically(path, lambda temporary: encode(temporary, pixels, display_ready))


def read_bitmap(path):
    """Read an image written by :func:`write_bitmap` (or another program).

    Returns a float32 numpy array of shape (height, width, channels) holding
    linear values, row 0 at the top: 8-bit formats are decoded with
    :func:`srgb_to_linear` (alpha stays as stored, scaled to [0, 1]); ``.hdr``
    always gives 3 channels and ``.pfm`` 1 or 3.

    Raises:
        ImageError: unknown extension, missing file, or a malformed file.
    """
    path = Path(path)
    extension = _checked_extension(path)
    if not path.is_file():
        raise ImageError('no such file', path=path)
    return _READERS[extension](path)


# ---------------------------------------------------------------------------
# Validation and conversion to a (height, width, channels) float32 array
# ---------------------------------------------------------------------------

def _checked_extension(path):
    supported = ', '.join(SUPPORTED_EXTENSIONS)
    extension = path.suffix.lower()
    if not extension:
        raise ImageError(f'file name has no extension; supported: {supported}', path=path)
    if extension not in SUPPORTED_EXTENSIONS:
        raise ImageError(f"unknown image extension '{path.suffix}'; supported: {supported}",
                         path=path)
    return extension


def _to_numpy(image, path):
    """Copy ``image`` to a float32 numpy array; Dr.Jit arrays that are not
    tensors become flat and channel-interleaved (they need ``crop_size``)."""
    if dr.is_array_v(image):
        # detach: an image that carries gradients is written by value.
        values = np.array(dr.detach(image), dtype=np.float32)
        if dr.is_tensor_v(image):
            return values
        if values.ndim == 2:
            # Array3f converts to (3, pixel count); a pixel's channels must be
            # adjacent, as in a flat Float: (pixel count, 3), then flattened.
            values = values.T
        return values.reshape(-1)
    try:
        return np.asarray(image, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ImageError(f'expected a Dr.Jit or numpy array of pixel values, '
                         f'got {type(image).__name__}', path=path) from error


def _to_height_width_channels(pixels, crop_size, path):
    """Reshape to (height, width, channels), checking every assumption."""
    if pixels.size == 0:
        raise ImageError('the image is empty', path=path)
    if crop_size is not None:
        pixels = _reshape_to_crop_size(pixels, crop_size, path)
    elif pixels.ndim == 1:
        raise ImageError(f'a flat array of {pixels.size} values needs '
                         f'crop_size=(width, height)', path=path)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    if pixels.ndim != 3:
        raise ImageError(f'expected an image of shape (height, width) or '
                         f'(height, width, channels), got shape {pixels.shape}', path=path)
    channels = pixels.shape[2]
    if channels not in (1, 3, 4):
        raise ImageError(f'expected 1, 3 or 4 channels (grey, RGB, RGBA), got {channels}',
                         path=path)
    return pixels


def _reshape_to_crop_size(pixels, crop_size, path):
    try:
        width, height = (int(size) for size in crop_size)
    except (TypeError, ValueError) as error:
        raise ImageError(f'crop_size must be (width, height), got {crop_size!r}',
                         path=path) from error
    if width <= 0 or height <= 0:
        raise ImageError(f'crop_size must be positive, got {crop_size!r}', path=path)
    if pixels.ndim >= 2 and pixels.shape[:2] != (height, width):
        raise ImageError(f'crop_size (width={width}, height={height}) does not match '
                         f'the image shape {pixels.shape} (height, width, ...)', path=path)
    pixel_count = width * height
    channels = pixels.size // pixel_count
    if pixels.size % pixel_count != 0 or channels not in (1, 3, 4):
        raise ImageError(f'crop_size (width={width}, height={height}) expects '
                         f'{pixel_count}, {3 * pixel_count} or {4 * pixel_count} values '
                         f'(1, 3 or 4 channels), got {pixels.size}', path=path)
    return pixels.reshape(height, width, channels)


# ---------------------------------------------------------------------------
# Colormaps for signed images
# ---------------------------------------------------------------------------

def _apply_colormap(pixels, colormap, vmax, path):
    """(H, W, C) signed values -> (H, W, 3) RGB colours in [0, 1]."""
    colour_channels = pixels[:, :, :3] if pixels.shape[2] == 4 else pixels
    values = colour_channels.mean(axis=2)
    vmax = robust_vmax(values) if vmax is None else _checked_vmax(vmax, path)
    lookup = _lookup_colormap(colormap, path)
    # -vmax .. +vmax onto 0 .. 1, with 0 at 0.5: the colormap's centre.
    positions = 0.5 + 0.5 * np.clip(values / vmax, -1.0, 1.0)
    positions = np.nan_to_num(positions, nan=0.5)
    return lookup(positions)[:, :, :3].astype(np.float32)


def robust_vmax(values):
    """The colour-map range of signed ``values``: the ``ROBUST_PERCENTILE`` of
    |value| (the largest |value| if that is 0; 1 for an all-zero image)."""
    magnitudes = np.abs(values[np.isfinite(values)])
    if magnitudes.size == 0:
        return 1.0
    robust = float(np.percentile(magnitudes, ROBUST_PERCENTILE))
    if robust > 0:
        return robust
    # Mostly zeros: the few non-zero values still deserve a visible colour,
    # and an all-zero image must not divide by zero.
    largest = float(magnitudes.max())
    return largest if largest > 0 else 1.0


def _checked_vmax(vmax, path):
    try:
        vmax = float(vmax)
    except (TypeError, ValueError) as error:
        raise ImageError(f'vmax must be a positive number, got {vmax!r}', path=path) from error
    if not (math.isfinite(vmax) and vmax > 0):
        raise ImageError(f'vmax must be a positive number, got {vmax!r}', path=path)
    return vmax


def _lookup_colormap(name, path):
    import matplotlib  # imported here: it is slow to load and only needed for colormaps
    try:
        return matplotlib.colormaps[name]
    except (KeyError, TypeError) as error:
        raise ImageError(f'unknown matplotlib colormap {name!r} (try \'coolwarm\')',
                         path=path) from error


# ---------------------------------------------------------------------------
# Writing without leaving partial files
# ---------------------------------------------------------------------------

def _write_atomically(path, write_to):
    """Call ``write_to(temporary_path)``, then rename the result to ``path``.

    The temporary file lives in the same directory so that the rename is a
    single filesystem operation: readers see either the old file or the
    complete new one, never a truncated image. The writer creates the file
    itself, so it gets the usual permissions.
    """
    temporary = path.with_name(f'.{path.name}.{secrets.token_hex(4)}.partial')
    try:
        write_to(str(temporary))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------
# 8-bit formats (PNG, JPEG) through Pillow
# ---------------------------------------------------------------------------

def _to_eight_bit(pixels, display_ready):
    """Linear float (H, W, C) -> uint8, sRGB-encoding colour but not alpha."""
    values = np.nan_to_num(pixels, nan=0.0)
    if not display_ready:
        colour = slice(0, 3)  # alpha (channel 3) is coverage, not light
        values = values.copy()
        values[:, :, colour] = linear_to_srgb(values[:, :, colour])
    return np.round(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)


def _write_png(path, pixels, display_ready):
    from PIL import Image
    Image.fromarray(_squeeze_grey(_to_eight_bit(pixels, display_ready))).save(path, format='PNG')


def _write_jpeg(path, pixels, display_ready):
    from PIL import Image
    without_alpha = pixels[:, :, :3]
    encoded = _squeeze_grey(_to_eight_bit(without_alpha, display_ready))
    # Full-resolution colour (subsampling=0): renders have sharp colour edges.
    Image.fromarray(encoded).save(path, format='JPEG', quality=_JPEG_QUALITY, subsampling=0)


def _squeeze_grey(pixels):
    # Pillow takes grey images as (H, W), not (H, W, 1).
    return pixels[:, :, 0] if pixels.shape[2] == 1 else pixels


def _read_eight_bit(path):
    from PIL import Image
    try:
        with Image.open(path) as opened:
            opened.load()
            picture = _to_standard_mode(opened)
    except (OSError, ValueError) as error:
        raise ImageError(f'cannot read image: {error}', path=path) from error
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


def _to_standard_mode(picture):
    """Grey, RGB, RGBA or 16-bit grey; palettes and the like become RGB(A)."""
    if picture.mode in ('L', 'RGB', 'RGBA', 'I;16', 'I'):
        return picture
    has_alpha = picture.mode in ('LA', 'PA', 'RGBa', 'La') or 'transparency' in picture.info
    return picture.convert('RGBA' if has_alpha else 'RGB')


# ---------------------------------------------------------------------------
# OpenEXR
# ---------------------------------------------------------------------------

# A grey image is stored in EXR's luminance channel "Y".
_EXR_CHANNEL_NAMES = {1: 'Y', 3: 'RGB', 4: 'RGBA'}


def _write_exr(path, pixels, display_ready):
    import OpenEXR
    channels = pixels.shape[2]
    values = pixels[:, :, 0] if channels == 1 else pixels
    header = {'compression': OpenEXR.ZIP_COMPRESSION, 'type': OpenEXR.scanlineimage}
    with OpenEXR.File(header, {_EXR_CHANNEL_NAMES[channels]: np.ascontiguousarray(values)}) as exr:
        exr.write(str(path))


def _read_exr(path):
    import OpenEXR
    try:
        with OpenEXR.File(str(path)) as exr:
            # The library groups R, G, B (and A) into one "RGB"/"RGBA" entry.
            channels = {name: channel.pixels for name, channel in exr.channels().items()}
    except Exception as error:  # the binding raises plain Exception on bad files
        raise ImageError(f'cannot read OpenEXR file: {error}', path=path) from error
    for name in ('RGBA', 'RGB', 'Y'):
        if name in channels:
            return _as_height_width_channels(channels[name])
    if len(channels) == 1:
        return _as_height_width_channels(next(iter(channels.values())))
    raise ImageError(f'expected R, G, B[, A] or Y channels, found {sorted(channels)}',
                     path=path)


def _as_height_width_channels(values):
    values = np.asarray(values, dtype=np.float32)
    return values[:, :, np.newaxis] if values.ndim == 2 else values


# ---------------------------------------------------------------------------
# PFM: portable float map
# ---------------------------------------------------------------------------
# A text header, then raw 32-bit floats:
#     "PF" (RGB) or "Pf" (grey), newline, "<width> <height>", newline,
#     "<scale>", newline.
# A negative scale means little-endian floats, a positive one big-endian;
# its magnitude is an optional unit and is ignored here. Rows are stored
# bottom-to-top, the opposite of numpy's row 0 = top.

def _write_pfm(path, pixels, display_ready):
    height, width, channels = pixels.shape
    if channels == 1:
        magic, values = b'Pf', pixels
    else:
        magic, values = b'PF', pixels[:, :, :3]  # PFM has no alpha channel
    header = magic + b'\n%d %d\n-1.0\n' % (width, height)
    bottom_to_top = values[::-1]
    with open(path, 'wb') as file:
        file.write(header)
        file.write(np.ascontiguousarray(bottom_to_top, dtype='<f4').tobytes())


def _read_pfm(path):
    data = path.read_bytes()
    # The header is three whitespace-separated fields after the magic word;
    # exactly one whitespace byte separates the last field from the floats.
    header = re.match(rb'(P[Ff])\s+(\d+)\s+(\d+)\s+([-+0-9.eE]+)\s', data)
    if header is None:
        raise ImageError("not a PFM file: expected 'PF' or 'Pf', width, height and scale",
                         path=path)
    magic, width, height, scale = header.groups()
    channels = 3 if magic == b'PF' else 1
    width, height = int(width), int(height)
    byte_order = '<' if float(scale) < 0 else '>'
    expected_bytes = width * height * channels * 4
    body = data[header.end():]
    if len(body) < expected_bytes:
        raise ImageError(f'truncated PFM file: expected {expected_bytes} bytes of pixels, '
                         f'found {len(body)}', path=path)
    values = np.frombuffer(body[:expected_bytes], dtype=byte_order + 'f4')
    bottom_to_top = values.reshape(height, width, channels)
    return bottom_to_top[::-1].astype(np.float32)


# ---------------------------------------------------------------------------
# Radiance HDR: RGBE
# ---------------------------------------------------------------------------
# Each pixel is 4 bytes: three 8-bit mantissas that share one 8-bit exponent
# (set by the brightest channel), so a colour channel c is stored as
#     c = byte * 2**(exponent - 128 - 8)
# which keeps about 0.4 % precision relative to the brightest channel over
# a huge range, but cannot represent negative values. A text header ends
# with a blank line, then a resolution line "-Y <height> +X <width>" says
# rows run top-to-bottom.
#
# Scanlines are written uncompressed: every reader accepts this, because a
# scanline that does not start with the bytes 2, 2 is read as plain pixels.
# The reader also decodes the run-length encoded scanlines most other
# programs write.

_RGBE_MAGIC = b'#?RADIANCE'
_RGBE_FORMAT = b'FORMAT=32-bit_rle_rgbe'
# Values are clamped below 2**127, whose exponent byte (127 + 128) is the
# largest that fits; and pixels darker than 2**-100 are stored as black.
_RGBE_LARGEST = 1e38
_RGBE_DARKEST = 2.0 ** -100


def _float_to_rgbe(rgb):
    """(H, W, 3) float32 -> (H, W, 4) uint8 RGBE."""
    rgb = np.clip(np.nan_to_num(rgb, nan=0.0, posinf=_RGBE_LARGEST), 0.0, _RGBE_LARGEST)
    brightest = rgb.max(axis=2).astype(np.float64)
    # brightest = mantissa * 2**exponent, with mantissa in [0.5, 1).
    mantissa, exponent = np.frexp(brightest)
    # Rounding mantissa * 256 can reach 256, one bit too many: use the next
    # exponent for those pixels instead.
    exponent += np.round(mantissa * 256.0) >= 256.0
    scale = np.ldexp(256.0, -exponent)  # 2**(8 - exponent): brightest -> 128..255
    visible = brightest > _RGBE_DARKEST
    rgbe = np.zeros(rgb.shape[:2] + (4,), dtype=np.uint8)
    mantissas = np.round(rgb * scale[:, :, np.newaxis])
    rgbe[:, :, :3] = np.where(visible[:, :, np.newaxis], mantissas, 0).astype(np.uint8)
    rgbe[:, :, 3] = np.where(visible, exponent + 128, 0).astype(np.uint8)
    return rgbe


def _rgbe_to_float(rgbe):
    """(H, W, 4) uint8 RGBE -> (H, W, 3) float32, the inverse of _float_to_rgbe."""
    exponent = rgbe[:, :, 3].astype(np.int32)
    # An exponent byte of 0 marks a black pixel.
    step = np.where(exponent > 0, np.ldexp(1.0, exponent - (128 + 8)), 0.0)
    return (rgbe[:, :, :3] * step[:, :, np.newaxis]).astype(np.float32)


def _write_hdr(path, pixels, display_ready):
    height, width, channels = pixels.shape
    rgb = np.repeat(pixels, 3, axis=2) if channels == 1 else pixels[:, :, :3]
    header = b'%s\n%s\n\n-Y %d +X %d\n' % (_RGBE_MAGIC, _RGBE_FORMAT, height, width)
    with open(path, 'wb') as file:
        file.write(header)
        file.write(_float_to_rgbe(rgb).tobytes())


def _read_hdr(path):
    data = path.read_bytes()
    if not data.startswith((b'#?RADIANCE', b'#?RGBE')):
        raise ImageError("not a Radiance HDR file: expected it to start with '#?RADIANCE'",
                         path=path)
    header_end = data.find(b'\n\n')
    resolution_end = data.find(b'\n', header_end + 2)
    if header_end < 0 or resolution_end < 0:
        raise ImageError('truncated Radiance HDR header', path=path)
    header = data[:header_end]
    if b'FORMAT=' in header and _RGBE_FORMAT not in header:
        raise ImageError('only the 32-bit_rle_rgbe format is supported', path=path)
    resolution = data[header_end + 2:resolution_end].decode('ascii', 'replace').split()
    if len(resolution) != 4 or resolution[0] not in ('-Y', '+Y') or resolution[2] != '+X':
        raise ImageError(f"unsupported resolution line {' '.join(resolution)!r}: "
                         f"expected '-Y <height> +X <width>'", path=path)
    height, width = int(resolution[1]), int(resolution[3])
    try:
        rgbe = _decode_scanlines(memoryview(data)[resolution_end + 1:], width, height)
    except IndexError as error:
        raise ImageError('truncated Radiance HDR pixel data', path=path) from error
    if resolution[0] == '+Y':
        rgbe = rgbe[::-1]  # stored bottom-to-top
    return _rgbe_to_float(rgbe)


def _decode_scanlines(data, width, height):
    """Decode ``height`` scanlines of ``width`` RGBE pixels, flat or run-length encoded."""
    rgbe = np.empty((height, width, 4), dtype=np.uint8)
    position = 0
    for row in range(height):
        start = bytes(data[position:position + 4])
        if len(start) < 4:
            raise IndexError('scanline past the end of the data')
        is_run_length_encoded = (start[0] == 2 and start[1] == 2 and start[2] < 128
                                 and 8 <= width < 32768)
        if is_run_length_encoded:
            position = _decode_run_length_scanline(data, position + 4, rgbe[row])
        else:
            end = position + 4 * width
            if end > len(data):
                raise IndexError('scanline past the end of the data')
            rgbe[row] = np.frombuffer(data[position:end], dtype=np.uint8).reshape(width, 4)
            position = end
    return rgbe


def _decode_run_length_scanline(data, position, scanline):
    """Fill ``scanline`` (W, 4) from run-length data; return the next position.

    The four components are stored one after another. Each is a sequence of
    chunks: a count byte above 128 means "repeat the next byte count-128
    times", otherwise "copy the next count bytes".
    """
    width = scanline.shape[0]
    for component in range(4):
        filled = 0
        while filled < width:
            count = data[position]
            is_run = count > 128
            if is_run:
                count -= 128
            if count == 0 or filled + count > width:
                raise IndexError('run-length data does not fit the scanline')
            if is_run:
                scanline[filled:filled + count, component] = data[position + 1]
                position += 2
            else:
                chunk = data[position + 1:position + 1 + count]
                if len(chunk) < count:
                    raise IndexError('run-length chunk past the end of the data')
                scanline[filled:filled + count, component] = np.frombuffer(chunk, dtype=np.uint8)
                position += 1 + count
            filled += count
    return position


_WRITERS = {'.exr': _write_exr, '.hdr': _write_hdr, '.pfm': _write_pfm,
            '.png': _write_png, '.jpg': _write_jpeg, '.jpeg': _write_jpeg}
_READERS = {'.exr': _read_exr, '.hdr': _read_hdr, '.pfm': _read_pfm,
            '.png': _read_eight_bit, '.jpg': _read_eight_bit, '.jpeg': _read_eight_bit}

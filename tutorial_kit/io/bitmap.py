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
* a numpy array of shape (height, width) or (height, width, channels), or
  a :class:`~tutorial_kit.io.image.Bitmap`,

with 1 (grey), 3 (RGB) or 4 (RGBA) channels. Row 0 is the top of the image,
whatever the format stores on disk.

Gradient images are signed and are not colours: ``colormap='coolwarm'``
turns them into a picture in which 0 is the colormap's neutral centre.

All checks run before the output file is touched, and the file is written
under a temporary name and renamed into place, so an error never leaves a
half-written image behind.

Each format has a module of its own: :mod:`eight_bit` (PNG and JPEG
through Pillow), :mod:`exr` (through OpenEXR), and :mod:`pfm` and :mod:`rgbe`,
short codecs for the formats without a suitable maintained writer on PyPI
(Pillow writes single-channel PFM only and no RGBE; imageio delegates both
to a plugin that downloads a binary).
"""
from __future__ import annotations

import numbers
import os
from typing import Any, Optional, Tuple, Union
import secrets
from pathlib import Path

import drjit as dr
import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.core.srgb import linear_to_srgb, srgb_to_linear
from tutorial_kit.io import eight_bit, exr, pfm, rgbe
from tutorial_kit.io.colormap import apply_colormap
from tutorial_kit.io.image_size import MAX_IMAGE_PIXELS
from tutorial_kit.io.loader import check_regular_file

__all__ = ['write_bitmap', 'read_bitmap', 'check_writable', 'linear_to_srgb', 'srgb_to_linear',
           'SUPPORTED_EXTENSIONS', 'MAX_IMAGE_PIXELS']

#: File extensions understood by :func:`write_bitmap` and :func:`read_bitmap`.
SUPPORTED_EXTENSIONS = ('.exr', '.hdr', '.pfm', '.png', '.jpg', '.jpeg')
#: JPEG stores width and height in 16 bits.
JPEG_MAX_SIZE = 65535


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------

def write_bitmap(path: Union[str, os.PathLike], image: Any, crop_size: Optional[Tuple[int, int]] = None,
                 colormap: Optional[str] = None, vmax: Optional[float] = None) -> None:
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
            99th percentile of ``abs(value)``, so that a few outliers do not
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
    path = _checked_path(path)
    extension = _checked_extension(path)
    pixels = _to_numpy(image, path)
    pixels = _to_height_width_channels(pixels, crop_size, path)
    if colormap is not None:
        pixels = apply_colormap(pixels, colormap, vmax, path)
    elif vmax is not None:
        raise ImageError('vmax is only used together with colormap', path=path)
    check_writable(path)
    if extension in ('.jpg', '.jpeg') and max(pixels.shape[:2]) > JPEG_MAX_SIZE:
        raise ImageError(f'JPEG images are at most {JPEG_MAX_SIZE} pixels wide and high, got '
                         f'{pixels.shape[1]} x {pixels.shape[0]}; use .png or .exr', path=path)

    encode = _WRITERS[extension]
    display_ready = colormap is not None
    try:
        _write_atomically(path, lambda temporary: encode(temporary, pixels, display_ready))
    except OSError as error:
        raise ImageError(f'cannot write the image: {error.strerror or error}', path=path) from None
    except RuntimeError as error:   # an encoder's own report of a failed write (OpenEXR's)
        raise ImageError(f'cannot write the image: {" ".join(str(error).split())}', path=path) from None


def read_bitmap(path: Union[str, os.PathLike]) -> np.ndarray:
    """Read an image written by :func:`write_bitmap` (or another program).

    Returns a float32 numpy array of shape (height, width, channels) holding
    linear values, row 0 at the top: 8-bit formats are decoded with
    :func:`srgb_to_linear` (alpha stays as stored, scaled to [0, 1]); ``.hdr``
    always gives 3 channels and ``.pfm`` 1 or 3.

    Raises:
        ImageError: unknown extension, missing file, or a malformed file.
    """
    path = _checked_path(path)
    extension = _checked_extension(path)
    check_regular_file(path, ImageError, 'image file')
    try:
        pixels = _READERS[extension](path)
    except OSError as error:
        raise ImageError(f'cannot read the image: {error.strerror or error}', path=path) from None
    except MemoryError:
        raise ImageError('the image is too large to read into memory', path=path) from None
    if pixels.ndim != 3 or pixels.size == 0:
        raise ImageError(f'the file holds no pixels (shape {pixels.shape})', path=path)
    return pixels


# ---------------------------------------------------------------------------
# Validation and conversion to a (height, width, channels) float32 array
# ---------------------------------------------------------------------------

def _checked_path(path):
    """``path`` as a Path, if it is a file name (str, bytes or os.PathLike) without NUL."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise ImageError(f'the image path must be a file name (str or os.PathLike), '
                         f'got {type(path).__name__}')
    path = Path(path)
    if '\0' in str(path):
        raise ImageError('the file name contains a NUL character', path=repr(str(path)))
    return path


def check_writable(path):
    """Refuse, before any work, a ``path`` that an image cannot be written to:
    a missing or unwritable directory, a directory, a name too long."""
    path = _checked_path(path)
    try:
        _check_writable(path)
    except OSError as error:        # e.g. a name longer than the system allows
        raise ImageError(f'cannot write the image: {error.strerror or error}', path=path) from None


def _check_writable(path):
    if not path.parent.is_dir():
        raise ImageError(f"directory '{path.parent}' does not exist", path=path)
    if path.is_dir():
        raise ImageError('is a directory, not a file name', path=path)
    if path.exists() and not path.is_file():
        raise ImageError('exists and is not a regular file', path=path)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ImageError(f"directory '{path.parent}' is not writable", path=path)
    try:
        limit = os.pathconf(path.parent, 'PC_NAME_MAX')
    except (OSError, ValueError, AttributeError):
        limit = 255
    # The temporary file's name is 18 bytes longer (see _write_atomically).
    if len(os.fsencode(path.name)) + 18 > limit:
        raise ImageError(f'the file name is too long (at most {limit - 18} bytes here)', path=path)


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
    if callable(getattr(image, 'linear', None)):
        # A Bitmap (io/image.py, which builds on this module) gives its linear pixels.
        return image.linear()
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
        width, height = crop_size
    except (TypeError, ValueError):
        raise ImageError(f'crop_size must be (width, height), got {crop_size!r}', path=path) from None
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in (width, height)):
        raise ImageError(f'crop_size must be two integers (width, height), got {crop_size!r}',
                         path=path)
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise ImageError(f'crop_size must be positive, got {crop_size!r}', path=path)
    if pixels.ndim > 3:
        raise ImageError(f'expected a flat array or an image of shape (height, width) or '
                         f'(height, width, channels), got shape {pixels.shape}', path=path)
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
    # Create it first: a place where no file can be made (a read-only or virtual
    # file system) then fails here, with the system's reason, before any encoding.
    with open(temporary, 'xb'):
        pass
    try:
        write_to(str(temporary))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise



#: One codec module per format, each with ``write(path, pixels, display_ready)``
#: and ``read(path)`` on (height, width, channels) float32 arrays.
_WRITERS = {'.exr': exr.write, '.hdr': rgbe.write, '.pfm': pfm.write,
            '.png': eight_bit.write_png, '.jpg': eight_bit.write_jpeg, '.jpeg': eight_bit.write_jpeg}
_READERS = {'.exr': exr.read, '.hdr': rgbe.read, '.pfm': pfm.read,
            '.png': eight_bit.read, '.jpg': eight_bit.read, '.jpeg': eight_bit.read}

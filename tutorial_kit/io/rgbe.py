"""Radiance HDR (RGBE): 8-bit mantissas sharing an 8-bit exponent.

Each pixel is 4 bytes: three 8-bit mantissas that share one 8-bit exponent
(set by the brightest channel), so a colour channel c is stored as
    c = byte * 2**(exponent - 128 - 8)
which keeps about 0.4 % precision relative to the brightest channel over
a huge range, but cannot represent negative values. A text header ends
with a blank line, then a resolution line "-Y <height> +X <width>" says
rows run top-to-bottom.

Scanlines are written uncompressed: every reader accepts this, because a
scanline that does not start with the bytes 2, 2 is read as plain pixels.
The reader also decodes the run-length encoded scanlines most other
programs write.
"""
import re

import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.io.image_size import check_image_size

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


def write(path, pixels, display_ready):
    height, width, channels = pixels.shape
    rgb = np.repeat(pixels, 3, axis=2) if channels == 1 else pixels[:, :, :3]
    header = b'%s\n%s\n\n-Y %d +X %d\n' % (_RGBE_MAGIC, _RGBE_FORMAT, height, width)
    with open(path, 'wb') as file:
        file.write(header)
        file.write(_float_to_rgbe(rgb).tobytes())


def read(path):
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
    if not all(re.fullmatch(r'[0-9]{1,9}', n) for n in (resolution[1], resolution[3])):
        raise ImageError(f"unsupported resolution line {' '.join(resolution)!r}: "
                         f"expected positive integer sizes", path=path)
    height, width = int(resolution[1]), int(resolution[3])
    check_image_size(width, height, path)
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

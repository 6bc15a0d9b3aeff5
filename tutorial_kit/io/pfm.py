"""PFM, the portable float map: 32-bit floats behind a short text header.

A text header, then raw 32-bit floats:
    "PF" (RGB) or "Pf" (grey), newline, "<width> <height>", newline,
    "<scale>", newline.
A negative scale means little-endian floats, a positive one big-endian;
its magnitude is an optional unit and is ignored here. Rows are stored
bottom-to-top, the opposite of numpy's row 0 = top.
"""
import re

import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.io.image_size import check_image_size


def write(path, pixels, display_ready):
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


def read(path):
    data = path.read_bytes()
    # The header is three whitespace-separated fields after the magic word;
    # exactly one whitespace byte separates the last field from the floats.
    header = re.match(rb'(P[Ff])\s+([0-9]{1,9})\s+([0-9]{1,9})\s+([-+0-9.eE]{1,40})\s', data)
    if header is None:
        raise ImageError("not a PFM file: expected 'PF' or 'Pf', width, height and scale",
                         path=path)
    magic, width, height, scale = header.groups()
    channels = 3 if magic == b'PF' else 1
    width, height = int(width), int(height)
    check_image_size(width, height, path)
    try:
        byte_order = '<' if float(scale) < 0 else '>'
    except ValueError:
        raise ImageError(f'the PFM scale {scale.decode("ascii")!r} is not a number', path=path) from None
    expected_bytes = width * height * channels * 4
    body = data[header.end():]
    if len(body) < expected_bytes:
        raise ImageError(f'truncated PFM file: expected {expected_bytes} bytes of pixels, '
                         f'found {len(body)}', path=path)
    values = np.frombuffer(body[:expected_bytes], dtype=byte_order + 'f4')
    bottom_to_top = values.reshape(height, width, channels)
    return bottom_to_top[::-1].astype(np.float32)

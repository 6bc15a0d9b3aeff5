"""Mitsuba's binary grid format (``.vol``): a voxel grid of 32-bit floats.

Layout (little-endian), as Mitsuba 3's ``VolumeGrid`` reads it:

- bytes 0-2: ``VOL``; byte 3: the version, 3;
- int32: the encoding, 1 (float32; the only one read here);
- int32 x3: the resolution ``xres, yres, zres``;
- int32: the channel count;
- float32 x6: a bounding box (min, max), which Mitsuba 3 ignores unless
  asked (``use_grid_bbox``) and which is returned here for the same use;
- float32 x ``zres*yres*xres*channels``: the values, x fastest, then y,
  then z, channels interleaved.
"""
import numpy as np

from tutorial_kit.core.errors import ImageError

_HEADER_BYTES = 48
FLOAT32_ENCODING = 1


def read(path):
    """The grid at ``path`` (a str or pathlib.Path): ``(values, bbox)``.

    ``values``: float32 NumPy array of shape (zres, yres, xres, channels),
    the layout of a Dr.Jit 3D texture's tensor; ``bbox``: (min, max), two
    tuples of three floats. Raises ImageError naming the file for anything
    that is not such a grid.
    """
    with open(path, 'rb') as file:
        data = file.read()
    if len(data) < _HEADER_BYTES or data[:3] != b'VOL':
        raise ImageError('not a .vol grid: it must start with "VOL" and a 48-byte header', path=path)
    if data[3] != 3:
        raise ImageError(f'.vol version {data[3]} is not supported (only version 3)', path=path)
    encoding, xres, yres, zres, channels = np.frombuffer(data, '<i4', 5, 4)
    if encoding != FLOAT32_ENCODING:
        raise ImageError(f'.vol encoding {encoding} is not supported (only 1, float32)', path=path)
    if min(xres, yres, zres, channels) < 1:
        raise ImageError(f'a .vol grid needs a positive resolution and channel count, got '
                         f'{xres}x{yres}x{zres} with {channels} channels', path=path)
    count = int(xres) * int(yres) * int(zres) * int(channels)
    if len(data) < _HEADER_BYTES + 4 * count:
        raise ImageError(f'truncated .vol grid: {xres}x{yres}x{zres}x{channels} values need '
                         f'{4 * count} bytes, found {len(data) - _HEADER_BYTES}', path=path)
    box = np.frombuffer(data, '<f4', 6, 24).astype(float)
    values = np.frombuffer(data, '<f4', count, _HEADER_BYTES).reshape(zres, yres, xres, channels)
    return values.astype(np.float32), (tuple(box[:3]), tuple(box[3:]))

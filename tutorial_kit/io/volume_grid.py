"""``VolumeGrid``: a 3D grid of values, and Mitsuba's binary ``.vol`` file format.

A participating medium's density (or albedo) that varies in space is stored
as values on a regular grid, looked up with trilinear interpolation by the
``gridvolume`` plugin. A :class:`VolumeGrid` holds such a grid on the host as
a float32 NumPy array of shape (z, y, x, channels), the order in which
Mitsuba 3 stores it, with the axis-aligned box the file assigns it.

The ``.vol`` format (Mitsuba's "VOL" version 3, little endian)::

    bytes 0-2   'V' 'O' 'L'
    byte  3     version: 3
    int32       encoding: 1 (float32; the only one Mitsuba 3 reads)
    int32 x3    resolution x, y, z
    int32       channels
    float32 x6  bounding box: min x, y, z, max x, y, z
    float32 ... the values, x fastest, then y, then z, channels interleaved

Files that do not follow it are refused with a :class:`VolumeGridError`
naming the file and what was wrong, before any data are used.
"""
import os
import struct

import drjit as dr
import numpy as np

from tutorial_kit.core.errors import SceneError
from tutorial_kit.io.properties import accept_values_of

#: The 48-byte header: magic, version, encoding, resolution, channels, box.
_HEADER = struct.Struct('<3sBiiiii6f')
#: Channel counts a grid may have (Mitsuba 3: 1, 3 or 6).
CHANNEL_COUNTS = (1, 3, 6)


class VolumeGridError(SceneError):
    """A volume grid file that is missing, truncated or malformed, or a grid
    built from an array of the wrong shape."""


class VolumeGrid:
    """Values on a 3D grid (Mitsuba 3's ``VolumeGrid``).

    ``VolumeGrid(source)``: ``source`` is a path to a ``.vol`` file, or an
    array (NumPy or Dr.Jit tensor) of shape (z, y, x) or (z, y, x, channels)
    with 1, 3 or 6 channels. Arrays get the unit box [0, 1]^3.
    """

    def __init__(self, source):
        if isinstance(source, (str, os.PathLike)):
            self._data, self._bbox = read_vol(source)
        else:
            self._data = _grid_array(source)
            self._bbox = (np.zeros(3, np.float32), np.ones(3, np.float32))

    # -- Mitsuba 3's accessors --------------------------------------------------------
    def size(self):
        """The resolution as (x, y, z) (a tuple of ints)."""
        z, y, x, _ = self._data.shape
        return (x, y, z)

    def channel_count(self):
        return self._data.shape[3]

    def max(self):
        """The largest value over all channels (float)."""
        return float(self._data.max())

    def max_per_channel(self):
        """The largest value of each channel (a list of floats)."""
        return [float(v) for v in self._data.reshape(-1, self.channel_count()).max(axis=0)]

    def bbox(self):
        """The box the file assigns the grid: ``(min, max)``, float32 arrays of 3."""
        return self._bbox

    def numpy(self):
        """The values as a float32 array of shape (z, y, x, channels) (a copy)."""
        return self._data.copy()

    def __array__(self, dtype=None, copy=None):
        return self._data.astype(dtype) if dtype is not None else self._data.copy()

    def write(self, path):
        """Write the grid as a ``.vol`` file (version 3, float32)."""
        write_vol(path, self._data, self._bbox)

    def __repr__(self):
        return (f'VolumeGrid[size = {list(self.size())}, channels = {self.channel_count()}, '
                f'max = {self.max():g}]')


def _grid_array(source):
    """``source`` (NumPy array or Dr.Jit tensor) as float32 (z, y, x, channels)."""
    if dr.is_tensor_v(source):
        source = dr.detach(source).numpy()
    if not isinstance(source, np.ndarray):
        raise VolumeGridError(f'VolumeGrid expects a path or an array of shape (z, y, x[, channels]), '
                              f'got {type(source).__name__}')
    array = np.asarray(source, dtype=np.float32)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[3] not in CHANNEL_COUNTS or 0 in array.shape:
        raise VolumeGridError(f'VolumeGrid expects an array of shape (z, y, x) or (z, y, x, channels) '
                              f'with 1, 3 or 6 channels, got shape {array.shape}')
    if not np.all(np.isfinite(array)):
        raise VolumeGridError('the grid holds NaN or infinite values')
    return np.ascontiguousarray(array)


def read_vol(path):
    """``(data, (bbox_min, bbox_max))`` of the ``.vol`` file ``path``; data float32 (z, y, x, c)."""
    path = os.fspath(path)
    try:
        with open(path, 'rb') as file:
            header = file.read(_HEADER.size)
            if len(header) < 4 or header[:3] != b'VOL':
                raise VolumeGridError('not a volume grid file (it does not start with "VOL")', path)
            if len(header) < _HEADER.size:
                raise VolumeGridError(f'the file ends inside its header ({len(header)} of {_HEADER.size} bytes)',
                                      path)
            _, version, encoding, x, y, z, channels, *box = _HEADER.unpack(header)
            if version != 3:
                raise VolumeGridError(f'only version 3 of the format is supported, found {version}', path)
            if encoding != 1:
                raise VolumeGridError(f'only float32 data (encoding 1) are supported, found encoding {encoding}',
                                      path)
            if min(x, y, z) <= 0 or channels not in CHANNEL_COUNTS:
                raise VolumeGridError(f'resolution {x} x {y} x {z} with {channels} channels: the resolution '
                                      'must be positive and the channels 1, 3 or 6', path)
            count = x * y * z * channels
            if count > 2 ** 31:
                raise VolumeGridError(f'a grid of {count} values is larger than this reader accepts', path)
            values = np.frombuffer(file.read(4 * count), dtype='<f4')
            if values.size != count:
                raise VolumeGridError(f'the file holds {values.size} of the {count} values its header '
                                      f'announces ({x} x {y} x {z} x {channels})', path)
    except OSError as error:
        raise VolumeGridError(f'cannot read the volume grid: {error.strerror or error}', path) from None
    if not np.all(np.isfinite(values)):
        raise VolumeGridError('the grid holds NaN or infinite values', path)
    box = np.asarray(box, np.float32)
    return values.astype(np.float32).reshape(z, y, x, channels), (box[:3], box[3:])


def write_vol(path, data, bbox=None):
    """Write ``data`` (float32-convertible, (z, y, x) or (z, y, x, channels)) as a ``.vol`` file."""
    data = _grid_array(data)
    z, y, x, channels = data.shape
    lo, hi = bbox if bbox is not None else (np.zeros(3), np.ones(3))
    with open(os.fspath(path), 'wb') as file:
        file.write(_HEADER.pack(b'VOL', 3, 1, x, y, z, channels, *map(float, lo), *map(float, hi)))
        file.write(data.astype('<f4').tobytes())


accept_values_of(VolumeGrid, 'volumegrid')

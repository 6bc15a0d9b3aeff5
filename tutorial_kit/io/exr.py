"""OpenEXR: 32-bit float images, written exactly, through the OpenEXR package."""
import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.io.image_size import check_image_size

# A grey image is stored in EXR's luminance channel "Y".
_EXR_CHANNEL_NAMES = {1: 'Y', 3: 'RGB', 4: 'RGBA'}


def write(path, pixels, display_ready):
    import OpenEXR
    channels = pixels.shape[2]
    values = pixels[:, :, 0] if channels == 1 else pixels
    header = {'compression': OpenEXR.ZIP_COMPRESSION, 'type': OpenEXR.scanlineimage}
    with OpenEXR.File(header, {_EXR_CHANNEL_NAMES[channels]: np.ascontiguousarray(values)}) as exr:
        exr.write(str(path))


def read(path):
    import OpenEXR
    _check_size(path)
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


def _check_size(path):
    """Refuse a file whose data window is beyond the size limit, from its header
    alone, before any pixel is read."""
    import OpenEXR
    try:
        with OpenEXR.File(str(path), header_only=True) as exr:
            low, high = exr.header()['dataWindow']
    except Exception as error:  # the binding raises plain Exception on bad files
        raise ImageError(f'cannot read OpenEXR file: {error}', path=path) from error
    check_image_size(int(high[0]) - int(low[0]) + 1, int(high[1]) - int(low[1]) + 1, path)


def _as_height_width_channels(values):
    values = np.asarray(values, dtype=np.float32)
    return values[:, :, np.newaxis] if values.ndim == 2 else values


# -- every channel, by name (Bitmap) ----------------------------------------------------------

def read_channels(path):
    """All channels of an OpenEXR file: ``(pixels, names)``.

    ``pixels``: (height, width, channels), float16 when every channel is
    stored as half floats, else float32; ``names``: the channel names
    (``'R'``, ``'depth.Y'``...), ordered as :func:`channel_order` says.
    """
    import OpenEXR
    _check_size(path)
    try:
        with OpenEXR.File(str(path), separate_channels=True) as exr:
            channels = {name: np.asarray(channel.pixels) for name, channel in exr.channels().items()}
    except Exception as error:
        raise ImageError(f'cannot read OpenEXR file: {error}', path=path) from error
    if not channels:
        raise ImageError('the OpenEXR file has no channels', path=path)
    names = channel_order(list(channels))
    all_half = all(channels[name].dtype == np.float16 for name in names)
    dtype = np.float16 if all_half else np.float32
    pixels = np.stack([channels[name].astype(dtype) for name in names], axis=2)
    return pixels, names


#: Within a layer, the channels that make up a colour come in this order.
_CANONICAL = ('R', 'G', 'B', 'A', 'W', 'X', 'Y', 'Z')


def channel_order(names):
    """``names`` ordered by layer (the part before the last '.'; the unnamed
    root layer first), and within a layer R, G, B, A (or X, Y, Z) first,
    then the rest alphabetically: how an image's channels are listed."""
    def key(name):
        layer, _, channel = name.rpartition('.')
        rank = _CANONICAL.index(channel) if channel in _CANONICAL else len(_CANONICAL)
        return (layer != '', layer, rank, channel)
    return sorted(names, key=key)


def write_channels(path, pixels, names, dtype=None):
    """Write (height, width, channels) ``pixels`` as channels ``names`` (``'R'``,
    ``'dd.y.T'``...), as Mitsuba 3's films and bitmaps do.

    ``dtype``: what every channel is stored as, ``np.float16``, ``np.float32``
    or ``np.uint32``; by default half floats stay half, anything else float32.
    """
    import OpenEXR
    if dtype is None:
        dtype = np.float16 if pixels.dtype == np.float16 else np.float32
    header = {'compression': OpenEXR.ZIP_COMPRESSION, 'type': OpenEXR.scanlineimage}
    channels = {name: np.ascontiguousarray(pixels[:, :, k], dtype=dtype) for k, name in enumerate(names)}
    with OpenEXR.File(header, channels) as exr:
        exr.write(str(path))

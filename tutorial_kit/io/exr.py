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
    try:
        with OpenEXR.File(str(path), header_only=True) as exr:
            low, high = exr.header()['dataWindow']
    except Exception as error:  # the binding raises plain Exception on bad files
        raise ImageError(f'cannot read OpenEXR file: {error}', path=path) from error
    check_image_size(int(high[0]) - int(low[0]) + 1, int(high[1]) - int(low[1]) + 1, path)
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


def write_channels(path, channels, dtype=np.float32):
    """Write named channels to an OpenEXR file, as Mitsuba 3's films do with AOVs.

    ``channels``: a dict from channel name (``'R'``, ``'dd.y.T'``...) to a
    (height, width) array; ``dtype``: ``np.float16``, ``np.float32`` or
    ``np.uint32``, the type every channel is stored as.
    """
    import OpenEXR
    header = {'compression': OpenEXR.ZIP_COMPRESSION, 'type': OpenEXR.scanlineimage}
    arrays = {name: np.ascontiguousarray(values, dtype=dtype) for name, values in channels.items()}
    with OpenEXR.File(header, arrays) as exr:
        exr.write(str(path))


def read_channels(path):
    """The channels of an OpenEXR file as a dict from name to a (height, width)
    float32 array, each channel on its own (R, G and B too)."""
    import OpenEXR
    try:
        with OpenEXR.File(str(path), separate_channels=True) as exr:
            return {name: np.asarray(channel.pixels, np.float32) for name, channel in exr.channels().items()}
    except Exception as error:  # the binding raises plain Exception on bad files
        raise ImageError(f'cannot read OpenEXR file: {error}', path=path) from error

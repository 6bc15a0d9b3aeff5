"""``Bitmap``: an image in memory, as Mitsuba 3's ``mi.Bitmap``.

A Bitmap is a grid of pixels, each with the same channels (``pixel_format``:
grey ``Y``, ``RGB``, ``RGBA``... or ``MultiChannel`` with named channels such
as ``'depth.Y'``), each channel stored as one number of the same type
(``component_format``, a :class:`~tutorial_kit.io.struct.Struct` ``Type``:
8-bit integers for a photograph, 32-bit floats for a render), and either
*linear* values (what a renderer computes) or *sRGB-encoded* ones (what a
screen shows, ``srgb_gamma() == True``)::

    bmp = tk.Bitmap('photo.jpg')                       # uint8, sRGB, as stored
    linear = bmp.convert(tk.Bitmap.PixelFormat.RGB, tk.Struct.Type.Float32, False)
    image = tk.TensorXf(linear)                        # (height, width, 3) floats
    layers = dict(tk.Bitmap('aovs.exr').split())       # one Bitmap per EXR layer

It reads PNG, JPEG, OpenEXR (any channels), Radiance HDR and PFM files,
converts between formats as Mitsuba 3 does (:mod:`tutorial_kit.io.bitmap_convert`),
resamples (:mod:`tutorial_kit.io.resample`) and writes. In a notebook it
draws itself: Jupyter asks an object for a picture through ``_repr_png_``.

``np.array(bitmap)`` gives the stored values, (height, width, channels),
or (height, width) for a one-channel image, as Mitsuba 3's does; so
``plt.imshow(bitmap)`` shows an 8-bit bitmap correctly.
"""
import io
import os
from pathlib import Path

import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.io.bitmap import SUPPORTED_EXTENSIONS, check_writable, write_bitmap
from tutorial_kit.io.properties import accept_values_of
from tutorial_kit.io.bitmap_convert import (PixelFormat, alpha_channel, convert_values, default_channel_names,
                                            format_of_channels, to_unit_floats, from_unit_floats)
from tutorial_kit.io.struct import Struct

__all__ = ['Bitmap', 'PixelFormat', 'Struct']


class Bitmap:
    """An image: ``Bitmap(path)``, ``Bitmap(array, pixel_format=None, channel_names=None)``
    or ``Bitmap(bitmap)`` (a copy).

    ``array``: a NumPy array, Dr.Jit tensor or PyTorch tensor of shape
    (height, width) or (height, width, channels). Its dtype is the component
    format (float64 stays float64, uint8 stays uint8...); uint8 data are taken
    as sRGB-encoded, everything else as linear, unless ``srgb_gamma`` says
    otherwise. Without ``pixel_format`` the channel count chooses one
    (1: Y, 2: YA, 3: RGB, 4: RGBA, more: MultiChannel); ``channel_names``
    names the channels (and makes the image MultiChannel, unless
    ``pixel_format`` is given).

    Raises ImageError for an unreadable file, an array that is not an image,
    or a pixel format that does not fit the channel count.
    """

    #: Mitsuba 3's names for pixel and component formats, also found on the class.
    PixelFormat = PixelFormat
    Int8, UInt8, Int16, UInt16 = Struct.Type.Int8, Struct.Type.UInt8, Struct.Type.Int16, Struct.Type.UInt16
    Int32, UInt32, Int64, UInt64 = Struct.Type.Int32, Struct.Type.UInt32, Struct.Type.Int64, Struct.Type.UInt64
    Float16, Float32, Float64 = Struct.Type.Float16, Struct.Type.Float32, Struct.Type.Float64
    Invalid = Struct.Type.Invalid

    def __init__(self, data, pixel_format=None, channel_names=None, srgb_gamma=None):
        self._metadata = {}
        if isinstance(data, Bitmap):
            self._set(data._values.copy(), data._pixel_format, list(data._names),
                      data._srgb_gamma if srgb_gamma is None else bool(srgb_gamma))
            self._metadata = dict(data._metadata)
            return
        if isinstance(data, (str, bytes, os.PathLike)):
            values, names, encoded = _read(data)
            self._set(values, format_of_channels(names), names,
                      encoded if srgb_gamma is None else bool(srgb_gamma))
            return
        values = _pixels_of(data)
        if pixel_format is None:
            pixel_format = (PixelFormat.MultiChannel if channel_names is not None
                            else PixelFormat.for_channel_count(values.shape[2]))
        elif not isinstance(pixel_format, PixelFormat):
            raise ImageError(f'pixel_format must be a Bitmap.PixelFormat '
                             f'({", ".join(f.name for f in PixelFormat)}), got {pixel_format!r}')
        names = _checked_names(channel_names, pixel_format, values.shape[2])
        encoded = values.dtype == np.uint8 if srgb_gamma is None else bool(srgb_gamma)
        self._set(values, pixel_format, names, encoded)

    def _set(self, values, pixel_format, names, srgb_gamma):
        if pixel_format.channel_count not in (None, values.shape[2]):
            raise ImageError(f'pixel format {pixel_format.name} has {pixel_format.channel_count} '
                             f'channels, the data {values.shape[2]}')
        self._values, self._pixel_format = values, pixel_format
        self._names, self._srgb_gamma = list(names), bool(srgb_gamma)

    # -- Mitsuba's accessors --------------------------------------------------------------
    def width(self):
        return self._values.shape[1]

    def height(self):
        return self._values.shape[0]

    def size(self):
        """(width, height) in pixels."""
        return self.width(), self.height()

    def pixel_count(self):
        return self.width() * self.height()

    def channel_count(self):
        return self._values.shape[2]

    def pixel_format(self):
        """The :class:`PixelFormat` (``Bitmap.PixelFormat.RGB`` ...)."""
        return self._pixel_format

    def component_format(self):
        """The :class:`~tutorial_kit.io.struct.Struct` ``Type`` of each stored value."""
        return Struct.Type.of(self._values.dtype)

    def channel_names(self):
        """The channels' names (``['R', 'G', 'B']``, ``['depth.Y']``...)."""
        return list(self._names)

    def has_alpha(self):
        return alpha_channel(self._pixel_format, self._names) is not None

    def bytes_per_pixel(self):
        return self._values.dtype.itemsize * self.channel_count()

    def srgb_gamma(self):
        """True when the values are sRGB-encoded (display values), False when linear."""
        return self._srgb_gamma

    def set_srgb_gamma(self, value):
        """Declare the stored values sRGB-encoded (True) or linear (False); they do not change."""
        self._srgb_gamma = bool(value)

    def metadata(self):
        """The image's metadata (a dict, changed in place: ``bmp.metadata()['note'] = 'x'``)."""
        return self._metadata

    def vflip(self):
        """Turn the image upside down, in place."""
        self._values = np.ascontiguousarray(self._values[::-1])

    # -- conversions ----------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        values = self._values[:, :, 0] if self.channel_count() == 1 else self._values
        return values if dtype is None else values.astype(dtype)

    def __dlpack__(self, *args, **kwargs):
        # What Dr.Jit's tensor constructors read: tk.TensorXf(bitmap) is (height, width,
        # channels), float32 data only, as in Mitsuba 3.
        return self._values.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._values.__dlpack_device__()

    def convert(self, pixel_format=None, component_format=None, srgb_gamma=None):
        """A new Bitmap of another pixel format, component format or encoding.

        Each argument left None keeps this image's. Integers are normalised
        (k / 255 for 8 bits); sRGB-encoded values are decoded to linear ones
        when the encoding changes or channels are mixed (RGB to Y takes the
        luminance of the linear colour); converting to an integer type clamps
        to [0, 1] ([-1, 1] when signed) and rounds. Alpha is never encoded.
        Mitsuba 3 dithers when it rounds to integers, so its 8-bit values may
        differ from these by one step.
        """
        if pixel_format is not None and not isinstance(pixel_format, PixelFormat):
            raise ImageError(f'pixel_format must be a Bitmap.PixelFormat, got {pixel_format!r}')
        if component_format is not None and (not isinstance(component_format, Struct.Type)
                                             or component_format is Struct.Type.Invalid):
            raise ImageError(f'component_format must be a Struct.Type (UInt8, Float32 ...), '
                             f'got {component_format!r}')
        pixel_format = self._pixel_format if pixel_format is None else pixel_format
        component_format = self.component_format() if component_format is None else component_format
        srgb_gamma = self._srgb_gamma if srgb_gamma is None else bool(srgb_gamma)
        values, names = convert_values(self._values, self._pixel_format, self._names, self._srgb_gamma,
                                       pixel_format, component_format, srgb_gamma)
        converted = Bitmap.__new__(Bitmap)
        converted._set(values, pixel_format, names, srgb_gamma)
        converted._metadata = dict(self._metadata)
        return converted

    def split(self):
        """The image's layers: a list of ``(name, Bitmap)``.

        Channels named ``layer.channel`` form one Bitmap per layer, named
        ``layer``; channels without a layer form ``'<root>'``. A layer whose
        channels are R, G, B (and A), X, Y, Z or Y (and A) gets that pixel
        format, any other is MultiChannel. An image that is not
        MultiChannel is one layer: ``[('<root>', copy)]``.
        """
        if self._pixel_format is not PixelFormat.MultiChannel:
            return [('<root>', Bitmap(self))]
        layers = {}
        for index, name in enumerate(self._names):
            layer, _, channel = name.rpartition('.')
            layers.setdefault(layer or '<root>', []).append((index, channel))
        result = []
        for layer, channels in layers.items():
            indices = [index for index, _ in channels]
            names = [channel for _, channel in channels]
            part = Bitmap.__new__(Bitmap)
            part._set(np.ascontiguousarray(self._values[:, :, indices]), format_of_channels(names),
                      names, self._srgb_gamma)
            part._metadata = {}
            result.append((layer, part))
        return result

    def resample(self, res, rfilter=None, bc=None, clamp=(-float('inf'), float('inf'))):
        """A new Bitmap of resolution ``res`` = (width, height), filtered by ``rfilter``
        (a reconstruction filter plugin; default: two-lobe Lanczos, as Mitsuba 3),
        values then limited to ``clamp``; pixels beyond the border repeat it.
        See :mod:`tutorial_kit.io.resample`."""
        from tutorial_kit.io.resample import resample
        try:
            width, height = (int(n) for n in res)
        except (TypeError, ValueError):
            raise ImageError(f'resample: res must be (width, height), got {res!r}') from None
        if width <= 0 or height <= 0:
            raise ImageError(f'resample: the resolution must be positive, got {res!r}')
        unit = to_unit_floats(self._values)
        values = from_unit_floats(resample(unit, width, height, rfilter, clamp), self.component_format())
        resampled = Bitmap.__new__(Bitmap)
        resampled._set(values, self._pixel_format, self._names, self._srgb_gamma)
        resampled._metadata = dict(self._metadata)
        return resampled

    def linear(self):
        """The colour (or grey) pixels as linear float32 values, (height, width, channels)
        with 1, 3 or 4 channels: what :func:`~tutorial_kit.io.bitmap.write_bitmap` writes."""
        target = {1: PixelFormat.Y, 2: PixelFormat.YA}.get(self.channel_count(), PixelFormat.RGBA
                                                           if self.has_alpha() else PixelFormat.RGB)
        if self._pixel_format in (PixelFormat.Y, PixelFormat.RGB, PixelFormat.RGBA):
            target = self._pixel_format
        elif self._pixel_format is PixelFormat.YA:
            target = PixelFormat.RGBA
        elif self._pixel_format is PixelFormat.MultiChannel and self.channel_count() not in (1, 3, 4):
            raise ImageError(f'a MultiChannel image of {self.channel_count()} channels has no single '
                             f'picture: split() it into layers first')
        if self._pixel_format is PixelFormat.MultiChannel:
            values, _ = convert_values(self._values, PixelFormat.MultiChannel, self._names, self._srgb_gamma,
                                       PixelFormat.MultiChannel, Struct.Type.Float32, False)
            return values
        values, _ = convert_values(self._values, self._pixel_format, self._names, self._srgb_gamma,
                                   target, Struct.Type.Float32, False)
        return values

    def srgb8(self):
        """The pixels as 8-bit sRGB-encoded values, clamped to [0, 1]: what a screen shows."""
        if self._values.dtype == np.uint8 and self._srgb_gamma and self.channel_count() in (1, 3, 4):
            return self._values
        from tutorial_kit.io.eight_bit import to_eight_bit
        return to_eight_bit(self.linear(), display_ready=False)

    def write(self, path):
        """Write to ``path``; the extension chooses the format.

        OpenEXR keeps every channel and its name, in half or full floats;
        PNG and JPEG write 8-bit data as they are stored (as Mitsuba 3), and
        other data converted to 8-bit sRGB first (where Mitsuba 3 refuses);
        ``.hdr`` and ``.pfm`` write linear floats.
        """
        path = Path(os.fsdecode(path)) if isinstance(path, (bytes, os.PathLike, str)) else path
        if not isinstance(path, Path):
            raise ImageError(f'the image path must be a file name, got {type(path).__name__}')
        extension = path.suffix.lower()
        if extension == '.exr':
            self._write_exr(path)
        elif extension in ('.png', '.jpg', '.jpeg') and self._values.dtype == np.uint8:
            self._write_eight_bit(path, extension != '.png')
        elif extension in SUPPORTED_EXTENSIONS:
            write_bitmap(path, self.linear())
        else:
            write_bitmap(path, self.linear())           # reports the unknown extension

    def _write_exr(self, path):
        from tutorial_kit.io import exr
        from tutorial_kit.io.bitmap import _write_atomically
        check_writable(path)
        dtype = np.float16 if self._values.dtype == np.float16 else np.float32
        values, _ = convert_values(self._values, self._pixel_format, self._names, self._srgb_gamma,
                                   self._pixel_format, Struct.Type.of(dtype), False)
        try:
            _write_atomically(path, lambda temporary: exr.write_channels(temporary, values, self._names))
        except OSError as error:
            raise ImageError(f'cannot write the image: {error.strerror or error}', path=path) from None

    def _write_eight_bit(self, path, jpeg):
        from tutorial_kit.io import eight_bit
        from tutorial_kit.io.bitmap import _write_atomically
        check_writable(path)
        if self.channel_count() > 4:
            raise ImageError(f'PNG and JPEG hold 1 to 4 channels, this image has {self.channel_count()}',
                             path=path)
        try:
            _write_atomically(path, lambda temporary: eight_bit.write_stored(temporary, self._values, jpeg))
        except OSError as error:
            raise ImageError(f'cannot write the image: {error.strerror or error}', path=path) from None

    # -- display --------------------------------------------------------------------------
    def _repr_png_(self):
        """PNG bytes, for Jupyter's inline display."""
        from PIL import Image
        encoded = self.srgb8()
        buffer = io.BytesIO()
        Image.fromarray(encoded[:, :, 0] if encoded.shape[2] == 1 else encoded).save(buffer, format='PNG')
        return buffer.getvalue()

    def __repr__(self):
        lines = [f'  pixel_format = {self._pixel_format.name.lower()},',
                 f'  component_format = {self.component_format()},',
                 f'  size = [{self.width()}, {self.height()}],',
                 f'  srgb_gamma = {int(self._srgb_gamma)},',
                 f'  channels = [{", ".join(self._names)}],']
        if self._metadata:
            entries = ',\n'.join(f'    {key} => {value!r}' for key, value in self._metadata.items())
            lines.append(f'  metadata = {{\n{entries}\n  }},')
        lines.append(f'  data = [ {self._values.nbytes} B of image data ]')
        return 'Bitmap[\n' + '\n'.join(lines) + '\n]'


# -- reading files ----------------------------------------------------------------------------

# A Bitmap may be given as a parameter: {'type': 'bitmap', 'bitmap': tk.Bitmap(...)}.
accept_values_of(Bitmap, 'bitmap')


def _read(path):
    """``(values, channel names, srgb_gamma)`` of an image file, values as stored."""
    from tutorial_kit.io import eight_bit, exr, pfm, rgbe
    from tutorial_kit.io.bitmap import _checked_extension, _checked_path
    from tutorial_kit.io.loader import check_regular_file
    path = _checked_path(path)
    extension = _checked_extension(path)
    check_regular_file(path, ImageError, 'image file')
    try:
        if extension == '.exr':
            values, names = exr.read_channels(path)
            return values, names, False
        if extension in ('.png', '.jpg', '.jpeg'):
            values = eight_bit.read_stored(path)
            return values, default_channel_names(PixelFormat.for_channel_count(values.shape[2]),
                                                 values.shape[2]), True
        values = (rgbe.read if extension == '.hdr' else pfm.read)(path)
    except OSError as error:
        raise ImageError(f'cannot read the image: {error.strerror or error}', path=path) from None
    except MemoryError:
        raise ImageError('the image is too large to read into memory', path=path) from None
    if values.ndim != 3 or values.size == 0:
        raise ImageError(f'the file holds no pixels (shape {values.shape})', path=path)
    return values, default_channel_names(PixelFormat.for_channel_count(values.shape[2]), values.shape[2]), False


def _pixels_of(data):
    """``data`` as a (height, width, channels) NumPy array of a component type."""
    import drjit as dr
    if dr.is_array_v(data):
        data = dr.detach(data).numpy()
    elif type(data).__name__ == 'Tensor' and hasattr(data, 'detach'):     # a PyTorch tensor
        data = data.detach().cpu().numpy()
    try:
        pixels = np.array(data)
    except (TypeError, ValueError) as error:
        raise ImageError(f'a Bitmap needs an image array, got {type(data).__name__}') from error
    if pixels.dtype == np.bool_:
        pixels = pixels.astype(np.uint8)
    if Struct.Type.of(pixels.dtype) is None:
        raise ImageError(f'a Bitmap needs an image array of numbers, got {type(data).__name__} '
                         f'of {pixels.dtype}')
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    if pixels.ndim != 3 or pixels.size == 0:
        raise ImageError(f'a Bitmap needs shape (height, width) or (height, width, channels), '
                         f'got {pixels.shape}')
    return np.ascontiguousarray(pixels)


def _checked_names(channel_names, pixel_format, channels):
    if channel_names is None:
        return default_channel_names(pixel_format, channels)
    if isinstance(channel_names, str) or not all(isinstance(n, str) for n in channel_names):
        raise ImageError(f'channel_names must be a list of strings, got {channel_names!r}')
    names = list(channel_names)
    if len(names) != channels or len(set(names)) != len(names):
        raise ImageError(f'channel_names must name each of the {channels} channels once, got {names}')
    return names

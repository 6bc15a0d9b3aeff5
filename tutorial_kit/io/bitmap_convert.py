"""Pixel formats, and converting an image's values between them (Mitsuba 3's ``Bitmap.convert``).

A conversion has up to four steps, each skipped when it changes nothing:

1. **Normalise.** Integers become floats in [0, 1] (k / 255 for 8 bits;
   signed types in [-1, 1]).
2. **Decode.** sRGB-encoded values become linear ones (the inverse sRGB
   curve, :func:`~tutorial_kit.core.srgb.srgb_to_linear`), when the target is
   linear or channels are about to be mixed: light adds up linearly, so a
   luminance or a colour-space change must see linear values.
3. **Change channels.** Grey becomes RGB by repeating it; RGB becomes grey
   by its luminance Y = 0.212671 R + 0.715160 G + 0.072169 B (Rec. 709, as
   Mitsuba 3); RGB and XYZ convert with the sRGB primaries' matrix; a missing
   alpha is 1 (opaque) and a dropped one is discarded (colours are not
   premultiplied by it).
4. **Encode and store.** The sRGB curve is applied for an sRGB target, and
   the values are stored in the target type: integers clamped to their range
   and rounded to the nearest step.

Alpha is coverage, not light: it is never sRGB-encoded.
"""
import enum

import numpy as np

from tutorial_kit.core.errors import ImageError
from tutorial_kit.core.srgb import linear_to_srgb, srgb_to_linear
from tutorial_kit.io.struct import Struct

#: Rec. 709 luminance weights of linear R, G, B (Mitsuba 3's ``luminance``).
LUMINANCE = np.array([0.212671, 0.715160, 0.072169])
#: Linear sRGB (Rec. 709 primaries, D65) to CIE XYZ, and back.
RGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423],
                       [0.212671, 0.715160, 0.072169],
                       [0.019334, 0.119193, 0.950227]])
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)


class PixelFormat(enum.Enum):
    """What the channels of a pixel mean, with Mitsuba 3's names (``Bitmap.PixelFormat.RGB``)."""
    Y = ('Y',)
    YA = ('Y', 'A')
    RGB = ('R', 'G', 'B')
    RGBA = ('R', 'G', 'B', 'A')
    RGBAW = ('R', 'G', 'B', 'A', 'W')
    XYZ = ('X', 'Y', 'Z')
    XYZA = ('X', 'Y', 'Z', 'A')
    #: Any number of named channels (OpenEXR layers, AOVs).
    MultiChannel = ()

    @property
    def channel_count(self):
        """How many channels the format has (None: any, for MultiChannel)."""
        return len(self.value) or None

    @classmethod
    def for_channel_count(cls, count):
        """The format an array of ``count`` channels gets by default, as in Mitsuba 3."""
        return {1: cls.Y, 2: cls.YA, 3: cls.RGB, 4: cls.RGBA}.get(count, cls.MultiChannel)


def default_channel_names(pixel_format, count):
    """The channel names of ``pixel_format`` (``ch0``, ``ch1``... for MultiChannel)."""
    return list(pixel_format.value) if pixel_format.value else [f'ch{k}' for k in range(count)]


def format_of_channels(names):
    """The pixel format of channels called ``names`` (R, G, B -> RGB ...), else MultiChannel."""
    for pixel_format in PixelFormat:
        if pixel_format.value and list(pixel_format.value) == list(names):
            return pixel_format
    return PixelFormat.MultiChannel


def alpha_channel(pixel_format, names):
    """The index of the alpha channel, or None."""
    if pixel_format in (PixelFormat.YA, PixelFormat.RGBA, PixelFormat.RGBAW, PixelFormat.XYZA):
        return pixel_format.value.index('A')
    if pixel_format is PixelFormat.MultiChannel:
        found = [k for k, name in enumerate(names) if name.rpartition('.')[2] == 'A']
        return found[0] if len(found) == 1 else None
    return None


def to_unit_floats(values):
    """Stored ``values`` as float64, integers normalised to [0, 1] (signed: [-1, 1])."""
    component = Struct.Type.of(values.dtype)
    if component.is_float:
        return values.astype(np.float64)
    low, high = component.range
    return np.clip(values.astype(np.float64) / high, -1.0 if low < 0 else 0.0, 1.0)


def from_unit_floats(values, component):
    """float64 ``values`` stored as ``component`` (a Struct.Type): integers clamped and rounded."""
    if component.is_float:
        return values.astype(component.dtype)
    low, high = component.range
    scaled = np.rint(np.clip(np.nan_to_num(values, nan=0.0), low / high, 1.0) * high)
    return scaled.astype(component.dtype)


def convert_values(values, pixel_format, names, srgb_gamma, target_format, component, target_gamma):
    """``(values, names)`` converted as the module docstring describes.

    ``values``: (height, width, channels) stored values of ``pixel_format``
    with channels ``names`` and encoding ``srgb_gamma``; the target is
    ``target_format``, ``component`` (Struct.Type) and ``target_gamma``.
    Raises ImageError for a change of channels this cannot make.
    """
    mixes = target_format is not pixel_format and not _is_relabelling(pixel_format, target_format, values)
    decode = srgb_gamma and (not target_gamma or mixes)
    if decode and _is_small_unsigned(values):
        unit = _decoded_by_table(values, alpha_channel(pixel_format, names))
    else:
        unit = to_unit_floats(values)
        if decode:
            unit = _apply_to_colour(unit, alpha_channel(pixel_format, names), srgb_to_linear)
    unit, names = _change_channels(unit, pixel_format, names, target_format)
    if target_gamma and (decode or not srgb_gamma):
        unit = _apply_to_colour(unit, alpha_channel(target_format, names), linear_to_srgb)
    return from_unit_floats(unit, component), names


def _is_small_unsigned(values):
    """Whether ``values`` are 8- or 16-bit unsigned integers (few enough distinct values to tabulate)."""
    return values.dtype in (np.uint8, np.uint16)


def _decoded_by_table(values, alpha):
    """8- or 16-bit sRGB-encoded ``values`` as linear float64, alpha (channel index
    or None) only normalised: what :func:`to_unit_floats` and then
    :func:`srgb_to_linear` give, bit for bit, looked up in a table of every stored
    value instead of computing the power law per pixel (a tenth of the time for
    a photograph)."""
    high = np.iinfo(values.dtype).max
    stored = np.arange(high + 1, dtype=np.float64) / high
    unit = np.take(srgb_to_linear(stored), values)
    if alpha is not None:
        unit[:, :, alpha] = np.take(stored, values[:, :, alpha])
    return unit


def _is_relabelling(source, target, unit):
    """Whether the change keeps every channel as it is (to or from MultiChannel)."""
    return PixelFormat.MultiChannel in (source, target) and \
        target.channel_count in (None, unit.shape[2]) and source.channel_count in (None, unit.shape[2])


def _apply_to_colour(unit, alpha, curve):
    result = curve(unit)
    if alpha is not None:
        result[:, :, alpha] = unit[:, :, alpha]
    return result


def _change_channels(unit, source, names, target):
    if target is source:
        return unit, list(names)
    if _is_relabelling(source, target, unit):
        return unit, (list(names) if target is PixelFormat.MultiChannel
                      else default_channel_names(target, unit.shape[2]))
    if PixelFormat.MultiChannel in (source, target):
        raise ImageError(f'cannot convert {unit.shape[2]} channels of a {source.name} image to '
                         f'{target.name}: split() a MultiChannel image into its layers first')
    rgb, alpha = _as_rgb_and_alpha(unit, source)
    if target in (PixelFormat.Y, PixelFormat.YA):
        colour = (rgb @ LUMINANCE)[:, :, np.newaxis]
    elif target in (PixelFormat.XYZ, PixelFormat.XYZA):
        colour = rgb @ RGB_TO_XYZ.T
    else:
        colour = rgb
    if target in (PixelFormat.YA, PixelFormat.RGBA, PixelFormat.XYZA):
        colour = np.concatenate([colour, alpha], axis=2)
    elif target is PixelFormat.RGBAW:
        colour = np.concatenate([colour, alpha, np.ones_like(alpha)], axis=2)
    return colour, default_channel_names(target, colour.shape[2])


def _as_rgb_and_alpha(unit, source):
    """Linear RGB (height, width, 3) and alpha (height, width, 1) of a non-MultiChannel image."""
    alpha_index = alpha_channel(source, source.value)
    alpha = unit[:, :, alpha_index:alpha_index + 1] if alpha_index is not None else \
        np.ones(unit.shape[:2] + (1,))
    if source in (PixelFormat.Y, PixelFormat.YA):
        return np.repeat(unit[:, :, :1], 3, axis=2), alpha
    if source in (PixelFormat.XYZ, PixelFormat.XYZA):
        return unit[:, :, :3] @ XYZ_TO_RGB.T, alpha
    if source is PixelFormat.RGBAW:
        # The weight W divides the accumulated colour and alpha (a film's raw sums).
        weight = unit[:, :, 4:5]
        safe = np.where(weight != 0, weight, 1.0)
        return np.where(weight != 0, unit[:, :, :3] / safe, 0.0), np.where(weight != 0, alpha / safe, 0.0)
    return unit[:, :, :3], alpha

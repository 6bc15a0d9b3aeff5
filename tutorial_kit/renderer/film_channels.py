"""From developed pixels to the render's tensor: colour channels, alpha and AOVs.

A render develops the radiance into an RGB image and, where the film or the
integrator asks for them, an alpha channel (the share of each pixel's
samples whose camera ray met the scene) and the integrator's arbitrary
output variables (AOVs, one Float per pixel each). The film's pixel format
(:class:`~tutorial_kit.renderer.film.PixelFormat`) then turns RGB into the
colour channels it names, as Mitsuba 3's ``hdrfilm`` does when it develops:

- ``rgb``: linear sRGB (Rec. 709 primaries) as rendered;
- ``luminance``: ``Y = 0.212671 R + 0.715160 G + 0.072169 B``;
- ``xyz``: CIE 1931 XYZ, the linear sRGB-to-XYZ matrix (D65 white);

followed by alpha where the format has it, then the AOVs. The tensor is
(height, width, channels); every step is linear in the RGB image, so
derivatives pass through.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import ImageError
from tutorial_kit.renderer.film import ComponentFormat, FileFormat, PixelFormat

#: Rows of the linear sRGB to CIE XYZ matrix (D65), as Mitsuba 3 uses it.
SRGB_TO_XYZ = ((0.412453, 0.357580, 0.180423),
               (0.212671, 0.715160, 0.072169),
               (0.019334, 0.119193, 0.950227))


def rgb_channels(image):
    """The three channels (Float, one per pixel) of an RGB TensorXf (H, W, 3)."""
    pixels = dr.width(image.array) // 3
    index = dr.arange(bk.UInt32, pixels) * 3
    return [dr.gather(bk.Float, image.array, index + k) for k in range(3)]


def colour_channels(rgb, pixel_format):
    """The colour channels of ``pixel_format`` (list of Float) from three RGB Floats."""
    if pixel_format in (PixelFormat.Y, PixelFormat.YA):
        rows = SRGB_TO_XYZ[1:2]
    elif pixel_format in (PixelFormat.XYZ, PixelFormat.XYZA):
        rows = SRGB_TO_XYZ
    else:
        return list(rgb)
    return [rgb[0] * a + rgb[1] * b + rgb[2] * c for a, b, c in rows]


def film_channels(pixel_format, rgb, alpha, aovs):
    """The channels of a film's image, in Mitsuba 3's order: colour, alpha (if the
    format has one), then ``aovs``. ``rgb``: three Floats; ``alpha``: Float or None."""
    channels = colour_channels(rgb, pixel_format)
    if pixel_format.has_alpha:
        channels.append(alpha)
    return channels + list(aovs)


def stack_channels(channels, width, height):
    """A TensorXf (height, width, len(channels)) from Floats of one value per pixel.

    Built by gathering, so that it stays differentiable in every channel."""
    count = len(channels)
    index = dr.arange(bk.UInt32, width * height * count)
    pixel, channel = index // count, index % count
    values = dr.zeros(bk.Float, width * height * count)
    for k, values_k in enumerate(channels):
        values = dr.select(channel == k, dr.gather(bk.Float, bk.Float(values_k), pixel), values)
    return bk.TensorXf(values, shape=(height, width, count))


#: The NumPy type a film writes each ComponentFormat as.
COMPONENT_DTYPES = {ComponentFormat.Float16: np.float16, ComponentFormat.Float32: np.float32,
                    ComponentFormat.UInt32: np.uint32}
#: The file extension each FileFormat is written with (Mitsuba 3 replaces any other).
FILE_EXTENSIONS = {FileFormat.OpenEXR: '.exr', FileFormat.RGBE: '.rgbe', FileFormat.PFM: '.pfm'}


def write_film_image(path, image, names, file_format, component_format):
    """Write a film's developed image: ``image`` a (H, W, C) NumPy array, ``names``
    its C channel names. OpenEXR keeps every channel under its name, stored as
    ``component_format``; RGBE and PFM hold the three colour channels only, in
    float32 (PFM also one, luminance), as in Mitsuba 3. The extension is
    replaced by the format's own. Returns the path written."""
    from pathlib import Path
    from tutorial_kit.io import exr, pfm, rgbe
    from tutorial_kit.io.bitmap import check_writable
    path = Path(path).with_suffix(FILE_EXTENSIONS[file_format])
    check_writable(path)
    if file_format == FileFormat.OpenEXR:
        exr.write_channels(path, image, names, COMPONENT_DTYPES[component_format])
        return path
    colour = 1 if names[0] == 'Y' and file_format == FileFormat.PFM else 3
    if image.shape[2] < colour or (colour == 3 and names[:3] not in (['R', 'G', 'B'], ['X', 'Y', 'Z'])):
        raise ImageError(f'{file_format.value} holds RGB or luminance colour, the film has channels '
                         f'{names}', path=path)
    codec = pfm if file_format == FileFormat.PFM else rgbe
    codec.write(str(path), np.ascontiguousarray(image[:, :, :colour], np.float32), False)
    return path

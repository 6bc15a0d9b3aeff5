"""Tests for tutorial_kit.io.bitmap: writing images, reading them back, errors."""
import numpy as np
import pytest
from PIL import Image

import tutorial_kit  # noqa: F401  (before drjit: it selects a usable libLLVM)
from tutorial_kit.core import backend as bk
from tutorial_kit.io import bitmap
from tutorial_kit.io.bitmap import linear_to_srgb, read_bitmap, srgb_to_linear, write_bitmap
from tutorial_kit.core.errors import ImageError

EIGHT_BIT_STEP = 1 / 255


def random_image(height=6, width=9, channels=3, scale=1.0, seed=0):
    """(height, width, channels) float32 values in [0, scale)."""
    rng = np.random.default_rng(seed)
    return (scale * rng.random((height, width, channels))).astype(np.float32)


def smooth_image(height=16, width=24):
    """A gentle RGB gradient: JPEG compresses it almost without loss."""
    rows = np.linspace(0.1, 0.8, height)[:, np.newaxis]
    cols = np.linspace(0.2, 0.6, width)[np.newaxis, :]
    return np.stack([rows + 0 * cols, 0 * rows + cols, 0.5 * (rows + cols)],
                    axis=2).astype(np.float32)


def top_marked_image(height=5, width=4, channels=3):
    """Black image whose top row is white: shows which way up a file is stored."""
    image = np.zeros((height, width, channels), dtype=np.float32)
    image[0] = 1.0
    return image


def assert_close_after_srgb(read_back, original, tolerance=EIGHT_BIT_STEP):
    """Compare colour channels in sRGB space, where 8-bit quantisation is uniform."""
    expected = linear_to_srgb(np.clip(original, 0, 1))
    np.testing.assert_allclose(linear_to_srgb(read_back), expected, atol=tolerance)


# ---------------------------------------------------------------------------
# The sRGB curve
# ---------------------------------------------------------------------------

def test_srgb_known_values():
    assert linear_to_srgb(0.5) == pytest.approx(0.735357, abs=1e-5)
    assert srgb_to_linear(0.735357) == pytest.approx(0.5, abs=1e-5)
    assert linear_to_srgb(0.0) == 0.0
    assert linear_to_srgb(1.0) == pytest.approx(1.0, abs=1e-6)
    assert linear_to_srgb(0.001) == pytest.approx(0.01292, abs=1e-7)  # linear piece


def test_srgb_pieces_meet_at_the_boundary():
    boundary = 0.0031308
    linear_piece = 12.92 * boundary
    power_piece = 1.055 * boundary ** (1 / 2.4) - 0.055
    assert linear_piece == pytest.approx(power_piece, abs=1e-6)
    assert linear_to_srgb(boundary) == pytest.approx(0.04045, abs=1e-6)
    assert linear_to_srgb(np.nextafter(boundary, 1)) == pytest.approx(0.04045, abs=1e-6)
    assert srgb_to_linear(0.04045) == pytest.approx(boundary, abs=1e-7)


def test_srgb_curves_are_inverse_and_keep_shape():
    values = np.linspace(-0.1, 1.5, 101).reshape(1, 101).astype(np.float32)
    encoded = linear_to_srgb(values)
    assert encoded.shape == values.shape and encoded.dtype == np.float32
    np.testing.assert_allclose(srgb_to_linear(encoded), values, atol=1e-6)


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('channels', [1, 3, 4])
def test_exr_round_trip_is_exact(tmp_path, channels):
    image = random_image(channels=channels, scale=20.0) - 5.0  # negatives too
    write_bitmap(tmp_path / 'image.exr', image)
    read_back = read_bitmap(tmp_path / 'image.exr')
    assert read_back.dtype == np.float32
    np.testing.assert_array_equal(read_back, image)


@pytest.mark.parametrize('channels', [1, 3])
def test_pfm_round_trip_is_exact(tmp_path, channels):
    image = random_image(channels=channels, scale=100.0) - 50.0
    write_bitmap(tmp_path / 'image.pfm', image)
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'image.pfm'), image)


def test_pfm_drops_alpha(tmp_path):
    image = random_image(channels=4)
    write_bitmap(tmp_path / 'image.pfm', image)
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'image.pfm'), image[:, :, :3])


def test_hdr_round_trip_within_rgbe_precision(tmp_path):
    image = random_image(scale=1.0) ** 3 * np.float32(1000.0)  # a wide range
    image[0, 0] = [1.0, 0.0, 0.25]  # exactly representable: stays exact
    write_bitmap(tmp_path / 'image.hdr', image)
    read_back = read_bitmap(tmp_path / 'image.hdr')
    assert read_back.shape == image.shape and read_back.dtype == np.float32
    # The three channels share the exponent of the brightest: 8 bits of
    # mantissa, rounded, leave an error of at most 1/256 of that channel.
    brightest = image.max(axis=2, keepdims=True)
    assert np.all(np.abs(read_back - image) <= brightest / 256)
    np.testing.assert_array_equal(read_back[0, 0], [1.0, 0.0, 0.25])


def test_hdr_clamps_what_rgbe_cannot_hold(tmp_path):
    image = np.array([[[-1.0, np.nan, 2.0], [0.0, 0.0, 0.0]]], dtype=np.float32)
    write_bitmap(tmp_path / 'image.hdr', image)
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'image.hdr'),
                                  [[[0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]])


def test_hdr_repeats_grey_into_rgb(tmp_path):
    grey = np.full((2, 3, 1), 0.5, dtype=np.float32)
    write_bitmap(tmp_path / 'grey.hdr', grey)
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'grey.hdr'), np.full((2, 3, 3), 0.5))


def test_hdr_reads_run_length_encoded_scanlines(tmp_path):
    # Most programs write run-length encoded scanlines; build one by hand.
    # One scanline of 8 pixels: marker 2, 2, then the width as two bytes;
    # then each component: 128 + n means "n copies of the next byte",
    # n <= 128 means "the next n bytes literally".
    width = 8
    red = bytes([128 + width, 128])                        # run: 128 everywhere
    green = bytes([width]) + bytes(range(0, 8 * 16, 16))   # literal: 0, 16, ..., 112
    blue = bytes([128 + 4, 64, 128 + 4, 0])                # two runs
    exponent = bytes([128 + width, 129])                   # 2**(129 - 136) = 1/128
    scanline = bytes([2, 2, 0, width]) + red + green + blue + exponent
    header = b'#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 8\n'
    (tmp_path / 'rle.hdr').write_bytes(header + scanline)
    read_back = read_bitmap(tmp_path / 'rle.hdr')
    assert read_back.shape == (1, width, 3)
    np.testing.assert_array_equal(read_back[0, :, 0], np.ones(width))
    np.testing.assert_array_equal(read_back[0, :, 1], np.arange(0, 128, 16) / 128)
    np.testing.assert_array_equal(read_back[0, :, 2], [0.5] * 4 + [0.0] * 4)


@pytest.mark.parametrize('channels', [1, 3, 4])
def test_png_round_trip_within_one_step(tmp_path, channels):
    image = random_image(channels=channels)
    write_bitmap(tmp_path / 'image.png', image)
    read_back = read_bitmap(tmp_path / 'image.png')
    assert read_back.shape == image.shape and read_back.dtype == np.float32
    colour = slice(0, 3)
    assert_close_after_srgb(read_back[:, :, colour], image[:, :, colour], EIGHT_BIT_STEP / 2 + 1e-6)
    if channels == 4:
        # Alpha is coverage, not light: stored without the sRGB curve.
        np.testing.assert_allclose(read_back[:, :, 3], image[:, :, 3], atol=EIGHT_BIT_STEP / 2 + 1e-6)


def test_png_stores_srgb_encoded_values(tmp_path):
    image = np.full((1, 1, 3), 0.5, dtype=np.float32)
    write_bitmap(tmp_path / 'grey.png', image)
    assert Image.open(tmp_path / 'grey.png').getpixel((0, 0)) == (188, 188, 188)  # 0.7354 * 255


def test_png_clamps_and_writes_nan_as_zero(tmp_path):
    image = np.array([[[np.nan, -3.0, 7.0]]], dtype=np.float32)
    write_bitmap(tmp_path / 'odd.png', image)
    assert Image.open(tmp_path / 'odd.png').getpixel((0, 0)) == (0, 0, 255)


@pytest.mark.parametrize('name', ['image.jpg', 'image.jpeg', 'IMAGE.JPG'])
def test_jpeg_round_trip_drops_alpha(tmp_path, name):
    image = np.concatenate([smooth_image(), np.ones((16, 24, 1), np.float32)], axis=2)
    write_bitmap(tmp_path / name, image)
    read_back = read_bitmap(tmp_path / name)
    assert read_back.shape == (16, 24, 3)
    # JPEG is lossy: on a smooth image a few 8-bit steps at worst, under one on average.
    assert_close_after_srgb(read_back, image[:, :, :3], tolerance=5 * EIGHT_BIT_STEP)
    error = np.abs(linear_to_srgb(read_back) - linear_to_srgb(image[:, :, :3]))
    assert error.mean() < EIGHT_BIT_STEP


@pytest.mark.parametrize('name', ['image.EXR', 'image.Png', 'image.PFM', 'image.Hdr'])
def test_extension_is_case_insensitive(tmp_path, name):
    image = random_image()
    write_bitmap(tmp_path / name, image)
    assert read_bitmap(str(tmp_path / name)).shape == image.shape


# ---------------------------------------------------------------------------
# Dr.Jit inputs
# ---------------------------------------------------------------------------

def test_drjit_tensor(tmp_path):
    image = random_image(height=4, width=5)
    write_bitmap(tmp_path / 'tensor.exr', bk.TensorXf(image))
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'tensor.exr'), image)


def test_flat_drjit_float_with_crop_size(tmp_path):
    # A film's flat output: channels interleaved, rows top to bottom.
    width, height = 5, 4
    image = random_image(height=height, width=width)
    write_bitmap(tmp_path / 'flat.exr', bk.Float(image.ravel()), (width, height))
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'flat.exr'), image)


def test_flat_drjit_grey_with_crop_size(tmp_path):
    width, height = 3, 2
    values = np.arange(width * height, dtype=np.float32)
    write_bitmap(tmp_path / 'grey.pfm', bk.Float(values), crop_size=(width, height))
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'grey.pfm'),
                                  values.reshape(height, width, 1))


def test_drjit_array3f_with_crop_size(tmp_path):
    width, height = 3, 2
    image = random_image(height=height, width=width)
    pixels = image.reshape(-1, 3)  # one colour per pixel
    colours = bk.Array3f(pixels[:, 0], pixels[:, 1], pixels[:, 2])
    write_bitmap(tmp_path / 'colours.exr', colours, crop_size=(width, height))
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'colours.exr'), image)


def test_numpy_grey_without_channel_axis(tmp_path):
    grey = random_image(channels=1)[:, :, 0]
    write_bitmap(tmp_path / 'grey.exr', grey)
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'grey.exr'), grey[:, :, np.newaxis])


# ---------------------------------------------------------------------------
# Orientation: row 0 is the top of the image in every format
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('extension', ['.exr', '.pfm', '.hdr', '.png', '.jpg'])
def test_row_zero_is_the_top_after_a_round_trip(tmp_path, extension):
    image = top_marked_image(height=16, width=16)
    write_bitmap(tmp_path / f'top{extension}', image)
    read_back = read_bitmap(tmp_path / f'top{extension}')
    assert read_back[0].mean() > 0.9 and read_back[-1].mean() < 0.1


def test_png_top_row_seen_by_another_reader(tmp_path):
    write_bitmap(tmp_path / 'top.png', top_marked_image())
    opened = Image.open(tmp_path / 'top.png')
    assert opened.getpixel((0, 0)) == (255, 255, 255)
    assert opened.getpixel((0, opened.height - 1)) == (0, 0, 0)


def test_pfm_stores_rows_bottom_to_top_little_endian(tmp_path):
    height, width = 3, 2
    image = np.arange(height * width * 3, dtype=np.float32).reshape(height, width, 3)
    write_bitmap(tmp_path / 'rows.pfm', image)
    data = (tmp_path / 'rows.pfm').read_bytes()
    header = b'PF\n2 3\n-1.0\n'  # negative scale: little-endian floats
    assert data.startswith(header)
    stored = np.frombuffer(data[len(header):], dtype='<f4').reshape(height, width, 3)
    np.testing.assert_array_equal(stored[0], image[-1])  # first stored row = bottom
    np.testing.assert_array_equal(stored[-1], image[0])


def test_grey_pfm_orientation_seen_by_another_reader(tmp_path):
    if '.pfm' not in Image.registered_extensions():       # Pillow reads PFM from 10.3 on
        pytest.skip('this Pillow cannot read PFM files')
    grey = top_marked_image(channels=1)
    write_bitmap(tmp_path / 'top.pfm', grey)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / 'top.pfm')), grey[:, :, 0])


def test_pfm_reader_accepts_big_endian(tmp_path):
    image = random_image(height=2, width=3)
    body = np.ascontiguousarray(image[::-1], dtype='>f4').tobytes()
    (tmp_path / 'big.pfm').write_bytes(b'PF\n3 2\n1.0\n' + body)
    np.testing.assert_array_equal(read_bitmap(tmp_path / 'big.pfm'), image)


def test_hdr_first_scanline_is_the_top(tmp_path):
    write_bitmap(tmp_path / 'top.hdr', top_marked_image(height=3, width=2))
    data = (tmp_path / 'top.hdr').read_bytes()
    resolution = b'\n-Y 3 +X 2\n'
    assert resolution in data
    pixels = data[data.index(resolution) + len(resolution):]
    assert len(pixels) == 3 * 2 * 4
    assert pixels[:4] == bytes([128, 128, 128, 129])  # 1.0 = 128 * 2**(129 - 136)
    assert pixels[-4:] == bytes(4)                     # black


# ---------------------------------------------------------------------------
# Colormaps for signed images
# ---------------------------------------------------------------------------

def coolwarm(position):
    import matplotlib
    return np.asarray(matplotlib.colormaps['coolwarm'](position))[:3]


def test_colormap_centre_red_and_blue(tmp_path):
    gradient = np.zeros((4, 6), dtype=np.float32)
    gradient[:, :2] = -1.0
    gradient[:, 4:] = 1.0
    write_bitmap(tmp_path / 'gradient.png', gradient, colormap='coolwarm')
    rgb = np.asarray(Image.open(tmp_path / 'gradient.png'), dtype=np.float32) / 255
    assert rgb.shape == (4, 6, 3)
    # Written as-is: the 8-bit values are the colormap's colours, no sRGB curve.
    np.testing.assert_allclose(rgb[0, 2], coolwarm(0.5), atol=EIGHT_BIT_STEP)
    np.testing.assert_allclose(rgb[0, 5], coolwarm(1.0), atol=EIGHT_BIT_STEP)
    np.testing.assert_allclose(rgb[0, 0], coolwarm(0.0), atol=EIGHT_BIT_STEP)
    red, _, blue = rgb[0, 5]
    assert red > blue + 0.5
    red, _, blue = rgb[0, 0]
    assert blue > red + 0.5


def test_colormap_averages_channels_and_honours_vmax(tmp_path):
    gradient = np.zeros((1, 3, 3), dtype=np.float32)
    gradient[0, 0] = [0.5, 1.0, 1.5]    # mean 1.0: half of vmax
    gradient[0, 1] = [-4.0, -4.0, -4.0]  # beyond -vmax: clamped to the end
    write_bitmap(tmp_path / 'gradient.exr', gradient, colormap='coolwarm', vmax=2.0)
    rgb = read_bitmap(tmp_path / 'gradient.exr')
    np.testing.assert_allclose(rgb[0, 0], coolwarm(0.75), atol=1e-6)
    np.testing.assert_allclose(rgb[0, 1], coolwarm(0.0), atol=1e-6)
    np.testing.assert_allclose(rgb[0, 2], coolwarm(0.5), atol=1e-6)


def test_colormap_default_vmax_is_robust(tmp_path):
    gradient = np.linspace(-1, 1, 1000, dtype=np.float32).reshape(10, 100)
    gradient[0, 0] = 1e6  # one outlier must not wash out everything else
    write_bitmap(tmp_path / 'gradient.exr', gradient, colormap='coolwarm')
    rgb = read_bitmap(tmp_path / 'gradient.exr')
    np.testing.assert_allclose(rgb[-1, -1], coolwarm(1.0), atol=0.01)


def test_colormap_of_an_all_zero_image_is_the_centre(tmp_path):
    write_bitmap(tmp_path / 'zero.exr', np.zeros((2, 2, 3)), colormap='coolwarm')
    rgb = read_bitmap(tmp_path / 'zero.exr')
    assert np.all(np.isfinite(rgb))
    np.testing.assert_allclose(rgb[1, 1], coolwarm(0.5), atol=1e-6)


def test_colormap_from_a_drjit_tensor(tmp_path):
    gradient = bk.TensorXf(np.array([[[-1.0], [0.0], [1.0]]], dtype=np.float32))
    write_bitmap(tmp_path / 'gradient.exr', gradient, colormap='coolwarm')
    rgb = read_bitmap(tmp_path / 'gradient.exr')
    assert rgb.shape == (1, 3, 3)
    np.testing.assert_allclose(rgb[0, 1], coolwarm(0.5), atol=1e-6)


# ---------------------------------------------------------------------------
# Errors: ImageError naming the path, and no file left behind
# ---------------------------------------------------------------------------

def assert_rejected(tmp_path, name, image, message_part, **options):
    path = tmp_path / name
    with pytest.raises(ImageError) as raised:
        write_bitmap(path, image, **options)
    message = str(raised.value)
    assert str(path) in message
    assert message_part in message
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file either
    return message


def test_unknown_extension_lists_supported_ones(tmp_path):
    message = assert_rejected(tmp_path, 'image.bmp', random_image(), "unknown image extension '.bmp'")
    for extension in bitmap.SUPPORTED_EXTENSIONS:
        assert extension in message


def test_missing_extension(tmp_path):
    message = assert_rejected(tmp_path, 'image', random_image(), 'no extension')
    assert '.exr' in message and '.png' in message


def test_wrong_crop_size(tmp_path):
    flat = bk.Float(np.zeros(5 * 4 * 3, dtype=np.float32))
    assert_rejected(tmp_path, 'image.png', flat, 'expects 12, 36 or 48 values', crop_size=(4, 3))


def test_crop_size_disagreeing_with_the_shape(tmp_path):
    assert_rejected(tmp_path, 'image.exr', random_image(height=6, width=9), 'does not match',
                    crop_size=(6, 9))


def test_flat_array_without_crop_size(tmp_path):
    assert_rejected(tmp_path, 'image.exr', bk.Float(np.zeros(12, np.float32)), 'needs crop_size')


def test_two_channels(tmp_path):
    assert_rejected(tmp_path, 'image.png', np.zeros((4, 4, 2)), 'expected 1, 3 or 4 channels')


def test_empty_image(tmp_path):
    assert_rejected(tmp_path, 'image.exr', np.zeros((0, 4, 3)), 'empty')


def test_unknown_colormap(tmp_path):
    assert_rejected(tmp_path, 'image.png', random_image(), 'unknown matplotlib colormap',
                    colormap='no-such-map')


@pytest.mark.parametrize('vmax', [0.0, -1.0, float('nan')])
def test_vmax_must_be_positive(tmp_path, vmax):
    assert_rejected(tmp_path, 'image.png', random_image(), 'vmax must be a positive number',
                    colormap='coolwarm', vmax=vmax)


def test_vmax_without_colormap(tmp_path):
    assert_rejected(tmp_path, 'image.png', random_image(), 'only used together with colormap',
                    vmax=1.0)


def test_missing_directory_is_an_error(tmp_path):
    path = tmp_path / 'missing' / 'image.png'
    with pytest.raises(ImageError, match='does not exist') as raised:
        write_bitmap(path, random_image())
    assert str(path) in str(raised.value)
    assert not path.parent.exists()


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / 'image.png'
    write_bitmap(path, random_image())
    previous = path.read_bytes()

    def write_half_then_fail(temporary, pixels, display_ready):
        with open(temporary, 'wb') as file:
            file.write(b'\x89PNG half')
        raise OSError('disk full')

    monkeypatch.setitem(bitmap._WRITERS, '.png', write_half_then_fail)
    with pytest.raises(ImageError, match='disk full'):
        write_bitmap(path, random_image(seed=1))
    assert path.read_bytes() == previous  # the old image is untouched
    assert [entry.name for entry in tmp_path.iterdir()] == ['image.png']


def test_read_missing_or_malformed_files(tmp_path):
    with pytest.raises(ImageError, match='(?i)no such file'):
        read_bitmap(tmp_path / 'missing.exr')
    (tmp_path / 'bad.pfm').write_bytes(b'P6\n1 1\n255\n\x00\x00\x00')
    with pytest.raises(ImageError, match='not a PFM file'):
        read_bitmap(tmp_path / 'bad.pfm')
    (tmp_path / 'short.pfm').write_bytes(b'PF\n4 4\n-1.0\n' + bytes(8))
    with pytest.raises(ImageError, match='truncated'):
        read_bitmap(tmp_path / 'short.pfm')
    (tmp_path / 'short.hdr').write_bytes(b'#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 4 +X 4\n' + bytes(8))
    with pytest.raises(ImageError, match='truncated'):
        read_bitmap(tmp_path / 'short.hdr')
    with pytest.raises(ImageError, match='unknown image extension'):
        read_bitmap(tmp_path / 'image.tga')


def test_crop_size_refuses_arrays_of_more_than_three_dimensions(tmp_path):
    """A (2, 3, 1, 3) array matches crop_size (3, 2) in its first two dimensions
    but is no image: refused, and no file is written."""
    path = tmp_path / 'image.exr'
    with pytest.raises(ImageError, match='shape'):
        write_bitmap(path, np.zeros((2, 3, 1, 3), np.float32), crop_size=(3, 2))
    assert not path.exists()

"""tk.Bitmap as Mitsuba 3's: reading every format, converting, splitting, resampling, writing."""
import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk

P, T = tk.Bitmap.PixelFormat, tk.Struct.Type


def ramp(height=4, width=6, channels=3, seed=0):
    return np.random.RandomState(seed).rand(height, width, channels).astype(np.float32)


@pytest.mark.parametrize('extension', ['.exr', '.pfm', '.hdr'])
def test_float_formats_round_trip(tmp_path, extension):
    pixels = ramp()
    tk.Bitmap(pixels).write(tmp_path / f'a{extension}')
    back = tk.Bitmap(tmp_path / f'a{extension}')
    assert back.pixel_format() is P.RGB and back.component_format() is T.Float32 and not back.srgb_gamma()
    tolerance = 0.004 * pixels.max() if extension == '.hdr' else 0     # RGBE: 8-bit mantissas
    assert np.abs(np.array(back) - pixels).max() <= tolerance


@pytest.mark.parametrize('extension', ['.png', '.jpg'])
@pytest.mark.parametrize('channels', [1, 3])
def test_eight_bit_formats_keep_their_bytes(tmp_path, extension, channels):
    smooth = np.linspace(0, 1, 16 * 16 * channels, dtype=np.float32).reshape(16, 16, channels)
    stored = (smooth * 255).astype(np.uint8)          # smooth, so that JPEG stays close
    bitmap = tk.Bitmap(stored)
    assert bitmap.component_format() is T.UInt8 and bitmap.srgb_gamma()
    bitmap.write(tmp_path / f'a{extension}')
    back = tk.Bitmap(tmp_path / f'a{extension}')
    assert back.component_format() is T.UInt8 and back.srgb_gamma()
    assert back.pixel_format() is (P.Y if channels == 1 else P.RGB)
    difference = np.abs(np.array(back).astype(int) - np.array(bitmap).astype(int)).max()
    assert difference == 0 if extension == '.png' else difference <= 6      # JPEG is lossy


def test_png_with_alpha_and_float_data(tmp_path):
    rgba = tk.Bitmap((ramp(channels=4) * 255).astype(np.uint8))
    assert rgba.pixel_format() is P.RGBA and rgba.has_alpha()
    rgba.write(tmp_path / 'a.png')
    assert np.array_equal(np.array(tk.Bitmap(tmp_path / 'a.png')), np.array(rgba))
    # Float data go to 8 bits through the sRGB curve (Mitsuba 3 refuses them).
    tk.Bitmap(np.full((2, 2, 3), 0.5, np.float32)).write(tmp_path / 'b.png')
    assert np.all(np.array(tk.Bitmap(tmp_path / 'b.png')) == 188)


def test_multichannel_exr_splits_into_layers(tmp_path):
    values = np.arange(2 * 3 * 7, dtype=np.float32).reshape(2, 3, 7)
    names = ['R', 'G', 'B', 'depth.Y', 'nrm.X', 'nrm.Y', 'nrm.Z']
    bitmap = tk.Bitmap(values, channel_names=names)
    assert bitmap.pixel_format() is P.MultiChannel
    bitmap.write(tmp_path / 'aov.exr')
    back = tk.Bitmap(tmp_path / 'aov.exr')
    assert back.pixel_format() is P.MultiChannel and back.channel_names() == names
    layers = dict(back.split())
    assert list(layers) == ['<root>', 'depth', 'nrm']
    assert layers['<root>'].pixel_format() is P.RGB and np.array_equal(np.array(layers['<root>']), values[:, :, :3])
    assert layers['depth'].pixel_format() is P.Y and np.array_equal(np.array(layers['depth']), values[:, :, 3])
    assert layers['nrm'].pixel_format() is P.XYZ and np.array_equal(np.array(layers['nrm']), values[:, :, 4:])
    assert [name for name, _ in tk.Bitmap(values[:, :, :3]).split()] == ['<root>']


def test_half_float_exr_stays_half(tmp_path):
    bitmap = tk.Bitmap(ramp().astype(np.float16))
    assert bitmap.component_format() is T.Float16
    bitmap.write(tmp_path / 'h.exr')
    back = tk.Bitmap(tmp_path / 'h.exr')
    assert back.component_format() is T.Float16 and np.array_equal(np.array(back), np.array(bitmap))


def test_conversions_by_hand():
    grey = tk.Bitmap(np.array([[0.0, 0.5]], np.float32))
    assert grey.pixel_format() is P.Y and np.array(grey).shape == (1, 2)
    rgb = grey.convert(P.RGB)
    assert np.array_equal(np.array(rgb), [[[0, 0, 0], [0.5, 0.5, 0.5]]])
    assert np.array_equal(np.array(grey.convert(P.YA)), [[[0, 1], [0.5, 1]]])
    colour = tk.Bitmap(np.array([[[1.0, 0.0, 0.0]]], np.float32))
    assert np.isclose(np.array(colour.convert(P.Y))[0, 0], 0.212671)
    eight = tk.Bitmap(np.array([[[0.0, 0.5, 1.0, 0.5]]], np.float32)).convert(P.RGBA, T.UInt8, True)
    assert np.array_equal(np.array(eight), [[[0, 188, 255, 128]]])       # alpha is not encoded
    assert eight.srgb_gamma() and eight.component_format() is T.UInt8
    # Floats beyond [0, 1] are clamped by an integer format, signed ones to [-1, 1].
    signed = tk.Bitmap(np.array([[[-2.0, 0.25, 2.0]]], np.float32)).convert(component_format=T.Int16)
    assert np.array_equal(np.array(signed), [[[-32767, 8192, 32767]]])
    metadata = grey.metadata()
    metadata['note'] = 'kept'
    assert grey.convert(P.RGB).metadata() == {'note': 'kept'} and 'note' in repr(grey)


def test_tensor_and_array_views():
    pixels = ramp()
    bitmap = tk.Bitmap(tk.TensorXf(pixels))
    assert bitmap.size() == (6, 4) and bitmap.channel_count() == 3
    tensor = tk.TensorXf(bitmap)
    assert tensor.shape == (4, 6, 3) and np.array_equal(tensor.numpy(), pixels)
    assert tk.TensorXf(tk.Bitmap(pixels[:, :, 0])).shape == (4, 6, 1)
    assert tk.Bitmap(pixels)._repr_png_().startswith(b'\x89PNG')


def test_resample_keeps_a_constant_and_averages_when_shrinking():
    constant = tk.Bitmap(np.full((8, 8, 3), 0.25, np.float32))
    assert np.allclose(np.array(constant.resample([3, 5])), 0.25)
    checker = (np.indices((8, 8)).sum(axis=0) % 2).astype(np.float32)
    box = tk.load_dict({'type': 'box'})
    small = np.array(tk.Bitmap(checker).resample([4, 4], box))
    assert np.allclose(small, 0.5)


def test_bad_inputs(tmp_path):
    with pytest.raises(tk.ImageError, match='unknown image extension'):
        tk.Bitmap(tmp_path / 'a.bmp')
    with pytest.raises(tk.ImageError, match='a.png'):
        tk.Bitmap(tmp_path / 'a.png')                                 # missing
    (tmp_path / 'bad.exr').write_bytes(b'not an exr')
    with pytest.raises(tk.ImageError, match='bad.exr'):
        tk.Bitmap(tmp_path / 'bad.exr')
    bitmap = tk.Bitmap(ramp())
    with pytest.raises(tk.ImageError, match='pixel_format'):
        bitmap.convert('RGB')
    with pytest.raises(tk.ImageError, match='component_format'):
        bitmap.convert(P.RGB, 'uint8')
    with pytest.raises(tk.ImageError, match='channel_names'):
        tk.Bitmap(ramp(), channel_names=['A', 'B'])
    with pytest.raises(tk.ImageError, match='split'):
        tk.Bitmap(ramp(channels=5)).convert(P.RGB)
    with pytest.raises(tk.ImageError, match='resolution'):
        bitmap.resample([0, 4])
    with pytest.raises(tk.ImageError, match='directory'):
        bitmap.write(tmp_path / 'missing' / 'a.exr')
    assert np.array_equal(np.array(bitmap), ramp())                     # unchanged


# -- against Mitsuba 3 ----------------------------------------------------------------------------

@pytest.fixture(scope='module')
def mi():
    mitsuba = pytest.importorskip('mitsuba')
    mitsuba.set_variant('llvm_ad_rgb')
    return mitsuba


@pytest.mark.mitsuba
@pytest.mark.parametrize('target', [('RGB', 'Float32', True), ('RGB', 'UInt8', True), ('RGB', 'UInt8', False),
                                    ('Y', 'Float32', False), ('RGBA', 'UInt16', True), ('YA', 'Float16', False)])
def test_conversions_match_mitsuba(mi, target):
    pixels = np.linspace(-0.1, 1.1, 3 * 500, dtype=np.float32).reshape(1, 500, 3)
    pixel_format, component, gamma = target
    ours = np.array(tk.Bitmap(pixels).convert(getattr(P, pixel_format), getattr(T, component), gamma))
    theirs = np.array(mi.Bitmap(pixels).convert(getattr(mi.Bitmap.PixelFormat, pixel_format),
                                                getattr(mi.Struct.Type, component), gamma))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if component.startswith('UInt'):
        # Mitsuba 3 dithers when it rounds: one step apart at most.
        assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1
    else:
        assert np.allclose(ours.astype(np.float64), theirs.astype(np.float64), atol=2e-3 if component == 'Float16' else 1e-6)


@pytest.mark.mitsuba
def test_eight_bit_decoding_matches_mitsuba(mi):
    stored = np.arange(256, dtype=np.uint8).reshape(1, 256, 1).repeat(3, axis=2)
    ours = np.array(tk.Bitmap(stored).convert(P.RGB, T.Float32, False))
    theirs = np.array(mi.Bitmap(stored).convert(mi.Bitmap.PixelFormat.RGB, mi.Struct.Type.Float32, False))
    assert np.allclose(ours, theirs, atol=1e-6)


@pytest.mark.mitsuba
def test_resample_matches_mitsuba(mi):
    pixels = ramp(8, 8, 1, seed=2)
    for res in ([4, 4], [16, 16], [5, 3]):
        ours = np.array(tk.Bitmap(pixels).resample(res))
        theirs = np.array(mi.Bitmap(pixels).resample(res))
        assert np.allclose(ours, theirs, atol=1e-6)


@pytest.mark.mitsuba
def test_split_matches_mitsuba(mi, tmp_path):
    values = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    names = ['A.x', 'A.y', 'B.R', 'B.G', 'B.B']
    mi.Bitmap(values, channel_names=names).write(str(tmp_path / 'm.exr'))
    theirs = mi.Bitmap(str(tmp_path / 'm.exr')).split()
    ours = tk.Bitmap(tmp_path / 'm.exr').split()
    assert [n for n, _ in ours] == [n for n, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        assert a.pixel_format().name == b.pixel_format().name
        assert np.array_equal(np.array(a), np.array(b))


def test_resample_in_blocks_of_rows_gives_the_same_image(monkeypatch):
    """The weight matrix built a few output rows at a time: the same result as at once."""
    from tutorial_kit.io import resample
    pixels = np.random.default_rng(3).uniform(0, 1, (37, 53, 2))
    whole = resample.resample(pixels, 20, 90)
    monkeypatch.setattr(resample, '_MATRIX_ENTRIES', 100)
    np.testing.assert_allclose(resample.resample(pixels, 20, 90), whole, rtol=1e-12, atol=1e-12)
    assert whole.shape == (90, 20, 2)


@pytest.mark.parametrize('dtype', [np.uint8, np.uint16])
def test_srgb_decoding_by_table_is_the_power_law_bit_for_bit(dtype):
    from tutorial_kit.core.srgb import srgb_to_linear
    from tutorial_kit.io.bitmap_convert import _decoded_by_table, to_unit_floats
    high = np.iinfo(dtype).max
    values = np.random.default_rng(5).integers(0, high + 1, (7, 9, 4)).astype(dtype)
    table = _decoded_by_table(values, alpha=3)
    unit = to_unit_floats(values)
    np.testing.assert_array_equal(table[:, :, :3], srgb_to_linear(unit[:, :, :3]))
    np.testing.assert_array_equal(table[:, :, 3], unit[:, :, 3])

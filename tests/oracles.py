"""What the toolkit must do with an input, written from its documented contract.

Each oracle here is a short, independent statement of which inputs are
accepted (and what they give) and which are refused (and why), so that the
fuzz tests can assert the outcome instead of accepting either. They use
NumPy and plain Python only, never the code they judge.

An outcome is :class:`Accepted` (with the documented result) or
:class:`Refused` (with the reasons: each a regular expression that an
error message naming that reason matches; when several things are wrong,
the message may name any one of them).
"""
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

#: The largest finite float32: every stored number must fit in one.
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Accepted:
    """The input is valid; ``result`` is what it must give (its meaning depends on the oracle)."""
    result: object = None

    accepted = True


@dataclass
class Refused:
    """The input is invalid; ``reasons`` are patterns, one of which the error message matches."""
    reasons: list = field(default_factory=list)

    accepted = False


def outcome_of(reasons, result):
    return Refused(reasons) if reasons else Accepted(result)


# -- numbers -----------------------------------------------------------------------------------

def is_python_number(value):
    """A real number as Python or NumPy writes one (bool counts: it converts to 0 or 1)."""
    return isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, np.ndarray)


def number_array(value):
    """``value`` as a float64 array, if it is a number, a NumPy array of numbers or a
    rectangular nest of lists and tuples of numbers; otherwise None."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64) if value.dtype.kind in 'biuf' else None
    if is_python_number(value):
        return np.array(float(value))
    if isinstance(value, (list, tuple)):
        items = [number_array(item) for item in value]
        if any(item is None for item in items):
            return None
        if len({item.shape for item in items}) > 1:
            return None                             # ragged: not an array
        return np.array(items, dtype=np.float64).reshape((len(items),) + (items[0].shape if items else ()))
    return None


def fits_float32(values):
    """Every value finite and within the float32 range (NaN compares false)."""
    return bool(np.all(np.abs(values) <= FLOAT32_MAX))


# -- assignments to scene parameters (ParameterMap.__setitem__) ---------------------------------

#: Why an assignment is refused, as the message says it.
NOT_NUMBERS = r'expects'
NOT_FINITE = r'finite'
WRONG_COUNT = r'expects'
READ_ONLY = r'read-only'
NOT_AFFINE = r'affine'
ANGLE_RANGE = r'\(0, 179\] degrees'
NOT_INDICES = r'integers'
BAD_INDEX = r'outside \[0, '
WRONG_SHAPE = r'shape'
OUT_OF_RANGE = r'must lie in [\[(]'

#: The largest field of view, in degrees (the perspective camera's documented range).
MAX_FOV = 179.0


@dataclass
class Slot:
    """What a parameter holds now: its kind (a ParamKind name), the shape of its
    value as NumPy sees it, for mesh data the owner's vertex count, and the
    range its values must lie in, ``(low, high, low_open)`` (the loader's range
    for the parameter: a reflectance in [0, 1], an index of refraction in
    (0, FLOAT32_MAX]), None for any finite float32."""
    kind: str
    shape: tuple
    vertex_count: int = 0
    value_range: tuple = None


def changes_vertex_count(slot, outcome):
    """Whether an accepted assignment gives a mesh another number of vertices: its
    ``update()`` then either takes it (the faces fit the new count) or refuses
    it with a ParameterError, leaving the mesh as it was."""
    return slot.kind == 'POSITIONS' and outcome.accepted and outcome.result.size != 3 * slot.vertex_count


def in_range(values, value_range):
    """Whether every value lies in ``value_range`` (a Slot's), NaN never."""
    if value_range is None:
        return True
    low, high, low_open = value_range
    return bool(np.all(((values > low) if low_open else (values >= low)) & (values <= high)))


def assignment_outcome(slot, value, drjit_type=None):
    """What ``params[key] = value`` must do for a parameter described by ``slot``.

    The contract (README "Using it", ParamKind, ad/traverse.py): values are
    numbers, NumPy arrays or lists of numbers (a Dr.Jit array of the
    parameter's own type is kept as it is, derivatives included); strings,
    bytes, dicts and None are not numbers. Every number must be finite and
    fit in a float32. Then, by kind:

    * COUNT: read-only, always refused.
    * COLOR: 1 or 3 numbers; stored as a float32 RGB triple (one number is grey).
    * FLOAT: one number, stored as float32.
    * ANGLE: one number in (0, 179] degrees, stored as a Python float.
    * MATRIX: 16 numbers forming an affine 4x4 matrix (last row 0 0 0 1) whose
      3x3 part is invertible; stored as float64 (4, 4).
    * POSITIONS: 3 per vertex, for any non-empty number of vertices (a
      remeshed surface may change the count; the mesh then checks at
      ``update()`` that its faces fit, see :func:`changes_vertex_count`);
      NORMALS: 3 per vertex or none; TEXCOORDS: 2 per vertex or none; stored
      flat as float32.
    * FACES: a non-empty array of 64-bit integers (True is not an index), three
      per triangle, each in [0, vertex count); stored as uint32.
    * TENSOR: an array of exactly the current shape, stored as float32.

    COLOR, FLOAT and TENSOR values must also lie in the parameter's range
    (``slot.value_range``), the one the scene loader checks.

    ``drjit_type`` is the name of the Dr.Jit type when ``value`` is a Dr.Jit
    array (pass ``value`` converted to NumPy). The accepted result is the
    stored value as a NumPy array of the documented dtype.
    """
    kind = slot.kind
    if kind == 'COUNT':
        return Refused([READ_ONLY])
    if kind == 'FACES':
        return _faces_outcome(slot, value)
    values = number_array(value)
    if values is None:
        return Refused([NOT_NUMBERS])
    if not fits_float32(values):
        return Refused([NOT_FINITE])
    flat = values.reshape(-1)
    if kind == 'COLOR':
        if flat.size not in (1, 3):
            return Refused([WRONG_COUNT])
        if not in_range(flat, slot.value_range):
            return Refused([OUT_OF_RANGE])
        return Accepted(np.broadcast_to(flat, (3,)).astype(np.float32))
    if kind == 'FLOAT':
        if flat.size != 1:
            return Refused([WRONG_COUNT])
        return Accepted(flat.astype(np.float32)) if in_range(flat, slot.value_range) else Refused([OUT_OF_RANGE])
    if kind == 'ANGLE':
        if flat.size != 1 or not 0 < flat[0] <= MAX_FOV:
            return Refused([ANGLE_RANGE])
        return Accepted(np.float64(flat[0]))
    if kind == 'MATRIX':
        if flat.size != 16:
            return Refused([NOT_AFFINE])
        matrix = flat.reshape(4, 4)
        affine = np.allclose(matrix[3], [0, 0, 0, 1]) and abs(np.linalg.det(matrix[:3, :3])) > 1e-12
        return Accepted(matrix) if affine else Refused([NOT_AFFINE])
    if kind in ('POSITIONS', 'NORMALS', 'TEXCOORDS'):
        per_vertex = 2 if kind == 'TEXCOORDS' else 3
        if kind == 'POSITIONS':
            if flat.size == 0 or flat.size % 3:
                return Refused([WRONG_COUNT])
        elif flat.size not in (per_vertex * slot.vertex_count, 0):
            return Refused([WRONG_COUNT])
        return Accepted(flat.astype(np.float32))
    if kind == 'TENSOR':
        if values.shape != tuple(slot.shape):
            return Refused([WRONG_SHAPE])
        if not in_range(values, slot.value_range):
            return Refused([OUT_OF_RANGE])
        return Accepted(values.astype(np.float32))
    raise AssertionError(f'no oracle for parameters of kind {kind}')


def _integer_leaves(value):
    """The integers of a number, array or rectangular nest of lists, or None if any is not one."""
    if isinstance(value, np.ndarray):
        return value.reshape(-1).tolist() if value.dtype.kind in 'iu' else None
    if isinstance(value, (list, tuple)):
        leaves = [_integer_leaves(item) for item in value]
        if any(leaf is None for leaf in leaves) or number_array(value) is None:
            return None
        return [x for leaf in leaves for x in leaf]
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_)):
        # An index array holds 64-bit integers: larger ones are not indices.
        return [int(value)] if -2 ** 63 <= value < 2 ** 63 else None
    return None


def _faces_outcome(slot, value):
    indices = _integer_leaves(value)
    if indices is None or not indices or len(indices) % 3:
        return Refused([NOT_INDICES])
    if not all(0 <= index < slot.vertex_count for index in indices):
        return Refused([BAD_INDEX])
    return Accepted(np.array(indices, dtype=np.uint32))


# -- writing images (io/bitmap.py write_bitmap) --------------------------------------------------

#: The extensions write_bitmap documents, compared case-insensitively.
IMAGE_EXTENSIONS = ('.exr', '.hdr', '.pfm', '.png', '.jpg', '.jpeg')
#: Colormaps the tests draw that matplotlib knows.
KNOWN_COLORMAPS = ('coolwarm', 'viridis')


def write_bitmap_outcome(extension, shape, crop_size, colormap, vmax):
    """What ``write_bitmap(f'image{extension}', pixels, crop_size, colormap, vmax)`` must
    do for a NumPy ``pixels`` of ``shape``; the accepted result is the (height, width,
    channels) image that is written.

    The contract (write_bitmap's docstring): an extension among
    IMAGE_EXTENSIONS; a non-empty image of shape (height, width) or (height,
    width, channels) with 1, 3 or 4 channels, or a flat array (one value or
    a 1-D array) with ``crop_size``; ``crop_size`` is two positive integers
    ``(width, height)``, checked against the shape; a colormap must be known
    to matplotlib; ``vmax`` only with a colormap, and then a positive finite
    number.
    """
    reasons = []
    if extension.lower() not in IMAGE_EXTENSIONS:
        reasons.append(r'extension')
    size = math.prod(shape)
    written = None
    if size == 0:
        reasons.append(r'empty')
    elif crop_size is None:
        if len(shape) < 2:
            reasons.append(r'crop_size|shape')      # a flat array needs crop_size
        elif len(shape) > 3:
            reasons.append(r'shape')
        elif len(shape) == 3 and shape[2] not in (1, 3, 4):
            reasons.append(r'channels')
        else:
            written = (shape[0], shape[1], shape[2] if len(shape) == 3 else 1)
    elif not _is_pair_of_positive_ints(crop_size):
        reasons.append(r'crop_size')
    else:
        width, height = crop_size
        if len(shape) > 3:
            reasons.append(r'shape')
        elif len(shape) >= 2 and tuple(shape[:2]) != (height, width):
            reasons.append(r'crop_size')
        elif size % (width * height) or size // (width * height) not in (1, 3, 4):
            reasons.append(r'channels|crop_size')
        else:
            written = (height, width, size // (width * height))
    if colormap is not None:
        if colormap not in KNOWN_COLORMAPS:
            reasons.append(r'colormap')
        if vmax is not None and not (is_python_number(vmax) and math.isfinite(vmax) and vmax > 0):
            reasons.append(r'vmax')
    elif vmax is not None:
        reasons.append(r'vmax')
    return outcome_of(reasons, written)


def _is_pair_of_positive_ints(pair):
    """Two positive integers, given as any sequence (tuple, list, array) of two."""
    if not isinstance(pair, (tuple, list, np.ndarray)) or len(pair) != 2:
        return False
    return all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in pair)


def srgb_encode(linear):
    """The sRGB transfer curve (IEC 61966-2-1), linear -> display values."""
    linear = np.asarray(linear, dtype=np.float64)
    with np.errstate(invalid='ignore'):
        return np.where(linear <= 0.0031308, 12.92 * linear,
                        1.055 * np.power(np.maximum(linear, 0.0031308), 1 / 2.4) - 0.055)


def colormapped(pixels, colormap, vmax):
    """What ``colormap`` documents: the colour channels' mean, with 0 at the map's centre and
    -vmax, +vmax at its ends (vmax by default the 99th percentile of the finite
    |values|, or their largest if that is 0, or 1 if all are 0); NaN at the centre."""
    import matplotlib
    colour = pixels[:, :, :3] if pixels.shape[2] == 4 else pixels
    with np.errstate(invalid='ignore', over='ignore'):
        values = colour.astype(np.float64).mean(axis=2)
    if vmax is None:
        magnitudes = np.abs(values[np.isfinite(values)])
        vmax = float(np.percentile(magnitudes, 99)) if magnitudes.size else 1.0
        if vmax == 0:
            vmax = float(magnitudes.max()) if magnitudes.size and magnitudes.max() > 0 else 1.0
    with np.errstate(invalid='ignore'):
        positions = 0.5 + 0.5 * np.clip(values / vmax, -1, 1)
    positions = np.where(np.isnan(positions), 0.5, positions)
    return matplotlib.colormaps[colormap](positions)[:, :, :3]


def check_read_back(extension, image, read, display_ready):
    """Assert that ``read`` (what read_bitmap gives) holds ``image`` (the (H, W, C) values
    written) as precisely as the format promises (io/bitmap.py's table):

    * .exr: float32, exactly (NaN and infinities included), all channels;
    * .pfm: float32, exactly; 1 channel stays 1, otherwise RGB (alpha dropped);
    * .hdr: RGB (grey repeated), negatives and NaN as 0, each channel within
      1/256 of the pixel's brightest channel, the largest values clamped;
    * .png: 8 bits per channel of the sRGB-encoded colour clamped to [0, 1]
      (display-ready colours are not encoded again), alpha linear; channels kept;
    * .jpg: as .png, lossy, no alpha: checked on average and loosely per pixel.
    """
    height, width, channels = image.shape
    extension = extension.lower()
    assert read.dtype == np.float32 and read.shape[:2] == (height, width), (read.dtype, read.shape)
    if extension == '.exr':
        assert read.shape[2] == channels
        np.testing.assert_array_equal(read, image.astype(np.float32))
    elif extension == '.pfm':
        expected = image if channels == 1 else image[:, :, :3]
        assert read.shape[2] == expected.shape[2]
        np.testing.assert_array_equal(read, expected.astype(np.float32))
    elif extension == '.hdr':
        rgb = np.repeat(image, 3, axis=2) if channels == 1 else image[:, :, :3]
        rgb = np.clip(np.nan_to_num(rgb.astype(np.float64), nan=0.0, posinf=1e38), 0, 1e38)
        assert read.shape[2] == 3
        brightest = rgb.max(axis=2, keepdims=True)
        # 2**-100: pixels darker than RGBE's useful exponent range are stored black.
        assert np.all(np.abs(read - rgb) <= brightest / 256 + 2.0 ** -100), (read, rgb)
    else:
        kept = channels if extension == '.png' else (1 if channels == 1 else 3)
        expected = image[:, :, :kept].astype(np.float64)
        assert read.shape[2] == kept
        expected = np.clip(np.nan_to_num(expected, nan=0.0), 0, 1)
        colour = slice(0, min(kept, 3))
        if not display_ready:
            expected[:, :, colour] = srgb_encode(expected[:, :, colour])
        stored = read.astype(np.float64)
        stored[:, :, colour] = srgb_encode(stored[:, :, colour])
        error = np.abs(stored - expected)
        if extension == '.png':
            assert np.all(error <= 0.5 / 255 + 1e-4), error.max()
        else:
            # Chroma subsampling blurs colour across 2 x 2 blocks: tiny images with a sharp
            # colour edge lose most there.
            assert error.mean() <= 12 / 255 and error.max() <= 0.3, (error.mean(), error.max())

"""Reading the decimal numbers of a text file on the device, one number per lane.

Mesh files written as text (OBJ, ASCII PLY) hold millions of numbers such as
``-0.997171`` or ``1.5e-3``. NumPy converts them one after another
(``np.fromstring``). Here each number gets a lane of a Dr.Jit kernel that
walks its characters, so all of them are read at once, an order of magnitude
faster (benchmarks/README.md, "Reading decimal numbers on the device").

A lane reads ``[+-] digits [. digits] [(e|E) [+-] digits]`` up to the next
byte that is a space or a control character, accumulating the significant
digits into an integer ``m`` (at most 19, which fit 64 bits) and the
power of ten ``k`` that scales it. ``m 10^k`` is then exact when
``m < 2^53`` and ``|k| <= 22``: ``m`` and ``10^|k|`` are both exact
doubles, and a single multiplication or division rounds correctly (Clinger,
"How to read floating point numbers accurately", PLDI 1990). That covers
the numbers that mesh exporters write. Anything else (more digits, larger
exponents, ``inf``, ``nan``, a stray character) makes :func:`read_decimals`
return None, and the caller converts the text with NumPy instead, which
also finds and reports what is wrong.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk

#: Digits that an unsigned 64-bit integer always holds.
MAX_DIGITS = 19
#: Powers of ten that are exact in double precision.
EXACT_POWERS = 22

_INTEGER, _FRACTION, _EXPONENT_START, _EXPONENT = 1, 2, 3, 4      # where in the number a lane is


class DeviceText:
    """A text's bytes on the device, for the readers below: ``text(i)`` gives
    the bytes at offsets ``i`` (UInt32), read from the 32-bit words that hold
    them. Made once per text (``text``: a uint8 NumPy array, of which the
    first ``size`` bytes are the text and the rest zero padding; all of it by
    default): copying a text to the device takes about as long as reading
    its numbers there."""

    def __init__(self, text, size=None):
        self.size = len(text) if size is None else size
        if len(text) % 4:
            padded = np.zeros(-(-len(text) // 4) * 4, np.uint8)
            padded[:len(text)] = text
            text = padded
        self.words = bk.from_numpy(bk.UInt32, text.view('<u4'))

    def __call__(self, i):
        return (dr.gather(bk.UInt32, self.words, i >> 2) >> ((i & 3) << 3)) & 0xFF

    def has_control_bytes(self):
        """Whether the text holds a control byte (below 32) other than the
        newline: one pass over its words on the device, for a 100 MB text a
        few hundredths of a second."""
        word = dr.arange(bk.UInt32, dr.width(self.words))
        found = dr.zeros(bk.Bool, dr.width(self.words))
        # Opaque: as a literal, the text's size would make a kernel compiled
        # anew for every file size (benchmarks/README.md, "Cold loads").
        size = dr.opaque(bk.UInt32, self.size)
        for k in range(4):
            byte = (self.words >> (8 * k)) & 0xFF
            found |= (byte < 32) & (byte != ord('\n')) & (word * 4 + k < size)
        return bool(dr.any(found, axis=None))


def _walk_tokens(state, step, label):
    """Run ``step`` on every lane until the lane sets ``done``: a Dr.Jit loop whose
    state is the dict ``state`` of per-lane arrays (``step`` updates the dict
    in place, one character per iteration). Returns the final state."""
    names = tuple(state)

    def body(*values):
        current = dict(zip(names, values))
        step(current)
        return tuple(current[name] for name in names)
    done = names.index('done')
    final = dr.while_loop(tuple(state.values()), lambda *values: ~values[done], body, labels=names, label=label)
    return dict(zip(names, final))


def read_decimals(text, starts):
    """The numbers that start at byte offsets ``starts`` of ``text``.

    ``text``: a uint8 NumPy array in which every number is followed by a
    byte <= 32 (a space or newline; the caller ends the text with one), or
    a :class:`DeviceText` made of one; ``starts``: int array (N,).
    Returns a float64 NumPy array (N,) with each number correctly rounded,
    or None if some token is not a decimal number that this reads exactly
    (see the module docstring).
    """
    if not len(starts):
        return np.zeros(0)
    char = text if isinstance(text, DeviceText) else DeviceText(text)
    start = bk.from_numpy(bk.UInt32, np.asarray(starts, np.uint32))

    first = char(start)
    negative = first == ord('-')
    position = start + dr.select(negative | (first == ord('+')), 1, 0)
    n = len(starts)
    state = dict(i=position, phase=dr.full(bk.UInt32, _INTEGER, n), mantissa=dr.zeros(bk.UInt64, n),
                 digits=dr.zeros(bk.UInt32, n), scale=dr.zeros(bk.Int32, n), exponent=dr.zeros(bk.Int32, n),
                 exponent_negative=dr.zeros(bk.Bool, n), seen_digit=dr.zeros(bk.Bool, n),
                 seen_exponent_digit=dr.zeros(bk.Bool, n), inexact=dr.zeros(bk.Bool, n),
                 bad=dr.zeros(bk.Bool, n), done=dr.zeros(bk.Bool, n))

    def step(s):
        c = char(s['i'])
        digit = c - ord('0')                       # wraps around below '0'
        is_digit = digit < 10
        phase = s['phase']
        in_mantissa = phase <= _FRACTION
        mantissa_digit = is_digit & in_mantissa
        significant = mantissa_digit & ((s['mantissa'] > 0) | (digit > 0))
        room = s['digits'] < MAX_DIGITS
        keep = mantissa_digit & room
        s['mantissa'] = dr.select(keep, s['mantissa'] * 10 + bk.UInt64(digit), s['mantissa'])
        s['digits'] += dr.select(significant, 1, 0)
        # A fraction digit kept scales by 1/10; an integer digit dropped for lack of room by 10.
        s['scale'] += dr.select(keep & (phase == _FRACTION), -1, 0)
        s['scale'] += dr.select(mantissa_digit & ~room & (phase == _INTEGER), 1, 0)
        s['inexact'] |= mantissa_digit & ~room & (digit > 0)
        s['seen_digit'] |= mantissa_digit

        exponent_digit = is_digit & (phase >= _EXPONENT_START)
        s['exponent'] = dr.select(exponent_digit & (s['exponent'] < 100000),
                                  s['exponent'] * 10 + bk.Int32(digit), s['exponent'])
        s['seen_exponent_digit'] |= exponent_digit
        dot = (c == ord('.')) & (phase == _INTEGER)
        e = ((c == ord('e')) | (c == ord('E'))) & in_mantissa & s['seen_digit']
        sign = ((c == ord('+')) | (c == ord('-'))) & (phase == _EXPONENT_START)
        s['exponent_negative'] |= sign & (c == ord('-'))
        s['phase'] = dr.select(dot, _FRACTION, dr.select(e, _EXPONENT_START,
                               dr.select(sign | exponent_digit, _EXPONENT, phase)))

        end = c <= 32
        known = end | mantissa_digit | exponent_digit | dot | e | sign
        s['bad'] |= ~known
        s['done'] = end | ~known
        s['i'] += dr.select(s['done'], 0, 1)

    result = _walk_tokens(state, step, 'read_decimals')
    power = dr.select(result['exponent_negative'], -result['exponent'], result['exponent']) + result['scale']
    valid = ~result['bad'] & result['seen_digit'] & ((result['phase'] < _EXPONENT_START)
                                                     | result['seen_exponent_digit'])
    mantissa = result['mantissa']
    exact = valid & ~result['inexact'] & (mantissa < (1 << 53)) & \
        ((dr.abs(power) <= EXACT_POWERS) | (mantissa == 0))
    double = dr.float64_array_t(bk.Float)
    powers = double(np.array([10.0 ** k for k in range(EXACT_POWERS + 1)]))
    ten_to = dr.gather(double, powers, bk.UInt32(dr.minimum(dr.abs(power), EXACT_POWERS)))
    value = dr.select(power >= 0, double(mantissa) * ten_to, double(mantissa) / ten_to)
    value = dr.select(negative, -value, value)
    dr.eval(value, exact)
    if not dr.all(exact, axis=None):
        return None
    return value.numpy()


def read_index_tuples(text, starts):
    """Face corners such as ``4``, ``4/2``, ``4//7`` or ``-1/-1/-1`` that start at
    ``starts`` in ``text`` (as for :func:`read_decimals`): up to three whole
    numbers separated by slashes, read a corner per lane.

    Returns ``(values, present, slashes)``: per field (three of each) int64
    (N,) with 0 for a field left empty and bool (N,) whether the field has
    digits, and uint32 (N,) the number of slashes; or None if some corner
    holds anything else (another character, a third slash, a lone minus
    sign, more than 15 digits).
    """
    n = len(starts)
    if not n:
        return [np.zeros(0, np.int64)] * 3, [np.zeros(0, bool)] * 3, np.zeros(0, np.uint32)
    char = text if isinstance(text, DeviceText) else DeviceText(text)
    Int64 = dr.int64_array_t(bk.Float)
    zeros = lambda t: dr.zeros(t, n)      # noqa: E731
    state = dict(i=bk.from_numpy(bk.UInt32, np.asarray(starts, np.uint32)), field=zeros(bk.UInt32),
                 number=zeros(Int64), digits=zeros(bk.UInt32), negative=zeros(bk.Bool),
                 v0=zeros(Int64), v1=zeros(Int64), v2=zeros(Int64),
                 h0=zeros(bk.Bool), h1=zeros(bk.Bool), h2=zeros(bk.Bool), bad=zeros(bk.Bool), done=zeros(bk.Bool))

    def step(s):
        c = char(s['i'])
        digit = c - ord('0')
        is_digit = digit < 10
        end, slash = c <= 32, c == ord('/')
        minus = (c == ord('-')) & (s['digits'] == 0) & ~s['negative']
        s['number'] = dr.select(is_digit, s['number'] * 10 + Int64(digit), s['number'])
        s['digits'] += dr.select(is_digit, 1, 0)
        s['negative'] |= minus
        # A slash or the end closes the field: store it, signed.
        close = end | slash
        value = dr.select(s['negative'], -s['number'], s['number'])
        has = s['digits'] > 0
        for k in range(3):
            here = close & (s['field'] == k)
            s[f'v{k}'] = dr.select(here, value, s[f'v{k}'])
            s[f'h{k}'] = s[f'h{k}'] | (here & has)
        s['bad'] |= (close & s['negative'] & ~has) | (slash & (s['field'] == 2)) | (s['digits'] > 15) \
            | ~(is_digit | minus | close)
        s['field'] += dr.select(slash, 1, 0)
        s['number'] = dr.select(slash, 0, s['number'])
        s['digits'] = dr.select(slash, 0, s['digits'])
        s['negative'] &= ~slash
        s['done'] = end | s['bad']
        s['i'] += dr.select(s['done'], 0, 1)

    result = _walk_tokens(state, step, 'read_index_tuples')
    dr.eval(result)
    if dr.any(result['bad'], axis=None):
        return None
    values = [result[f'v{k}'].numpy() for k in range(3)]
    present = [result[f'h{k}'].numpy() for k in range(3)]
    return values, present, result['field'].numpy()

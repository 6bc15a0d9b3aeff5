"""Decimal numbers read on the device: exact where they claim to be, None otherwise."""
import numpy as np
import pytest

from tutorial_kit.io.decimals import read_decimals, read_index_tuples


def read(tokens, separator=' '):
    text = np.frombuffer((separator.join(tokens) + '\n').encode(), np.uint8)
    blank = text <= 32
    return read_decimals(text, np.flatnonzero(~blank & np.r_[True, blank[:-1]]))


def test_plain_decimals_are_read_exactly():
    tokens = ['1', '-1', '+2.5', '.5', '-.25', '5.', '0', '-0', '1e5', '1E-5', '-2.5e+3', '0.000123',
              '3.14159265358979', '1e22', '1e-22', '0e99', '007', '0.1', '0.3', '9007199254740991']
    values = read(tokens, separator='\n ')
    assert np.array_equal(values, [float(t) for t in tokens])
    assert np.signbit(values[7])                                 # -0 keeps its sign


def test_many_random_numbers_round_like_python():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20000) * 10.0 ** rng.integers(-8, 8, size=20000)
    tokens = [f'{v:.6f}' for v in x[:10000]] + [f'{v:.9g}' for v in x[10000:]]
    assert np.array_equal(read(tokens), [float(t) for t in tokens])


@pytest.mark.parametrize('token', ['1e', '.', '-', 'inf', 'nan', '1.2.3', '1e+', '--1', '1x', '1e5e5', '1+2',
                                   'e5', '1e-', '1e5.5', '1e23', '1e-30', '12345678901234567890123',
                                   '123456789012345678'])
def test_anything_else_is_left_to_numpy(token):
    # Malformed, or outside the exact fast path (exponent beyond 22, more than 2^53).
    assert read(['1', token, '2']) is None


def test_no_numbers():
    assert read_decimals(np.frombuffer(b'\n', np.uint8), np.zeros(0, np.int64)).shape == (0,)


def corners(tokens):
    text = np.frombuffer((' '.join(tokens) + '\n').encode(), np.uint8)
    blank = text <= 32
    found = read_index_tuples(text, np.flatnonzero(~blank & np.r_[True, blank[:-1]]))
    if found is None:
        return None
    values, present, slashes = found          # a column per field, joined here
    return np.stack(values, axis=1), np.stack(present, axis=1), slashes


def test_face_corners_of_every_form():
    values, present, slashes = corners(['4', '4/2', '4//7', '-1/-1/-1', '12/34/56', '7/'])
    assert values.tolist() == [[4, 0, 0], [4, 2, 0], [4, 0, 7], [-1, -1, -1], [12, 34, 56], [7, 0, 0]]
    assert present.tolist() == [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 1, 1], [1, 0, 0]]
    assert slashes.tolist() == [0, 1, 2, 2, 2, 1]


@pytest.mark.parametrize('token', ['4/2/3/1', '-', '4x', '-/2', '1-2', '1234567890123456', '4.5', '+4'])
def test_other_corners_are_left_to_numpy(token):
    assert corners(['1/1/1', token]) is None

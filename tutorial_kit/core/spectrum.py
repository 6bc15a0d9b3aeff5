"""Turn a measured spectrum into the linear sRGB colour an RGB renderer uses.

Scene files may describe a reflectance or an emitted radiance as a list of
``wavelength:value`` pairs (nanometres), e.g. ``"400:0.04, 404:0.046, ..."``.
Our renderer works with three colour channels, not with wavelengths, so the
spectrum is reduced to RGB once, when the scene is loaded:

1. Integrate the spectrum against the CIE 1931 colour matching functions
   x-bar, y-bar, z-bar over 360-830 nm. They model how the eye's three kinds of
   cone respond, so the three integrals (X, Y, Z) describe what an observer
   sees. Between its listed points the spectrum is interpolated linearly;
   outside its listed range it is zero.
2. Divide by the integral of y-bar, so that a spectrum equal to 1 everywhere
   has luminance Y = 1: a perfect white reflector stays 1, not about 107.
3. Multiply by the XYZ -> linear sRGB matrix (sRGB primaries, D65 white).

Linear sRGB can be negative or above 1 for saturated colours; this module
returns what the arithmetic gives and leaves clamping to the caller.
"""
import functools
import importlib.resources
import math
import re

import numpy as np

#: The wavelength range of the colour matching functions, in nanometres.
CIE_MIN_NM = 360.0
CIE_MAX_NM = 830.0

#: XYZ -> linear sRGB (rows give R, G, B). Shape (3, 3).
XYZ_TO_LINEAR_SRGB = np.array([
    [3.240479, -1.537150, -0.498535],
    [-0.969256, 1.875991, 0.041556],
    [0.055648, -0.204043, 1.057311],
])

# The integrals are approximated by sums over this many evenly spaced
# wavelengths from 360 to 830 nm inclusive (about 0.47 nm apart). This is the
# convention the scene's published RGB values were computed with: it
# reproduces them to about 1e-6, whereas an exact integral of the
# piecewise-linear curves differs from them by a few 1e-4.
_INTEGRATION_SAMPLES = 1000

_CIE_TABLE = 'cie1931_2deg.csv'

# One number: optional sign, digits with an optional fraction (or a bare
# fraction), optional exponent. Stricter than float(), which would also take
# 'nan', 'inf' and '1_000'.
_NUMBER = re.compile(r'[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?')


@functools.lru_cache(maxsize=None)
def load_cie1931():
    """The CIE 1931 2-degree standard observer, as shipped with the package.

    Returns ``(wavelengths, cmfs)``: wavelengths in nm, shape (N,), 5 nm apart
    from 360 to 830; cmfs with columns x-bar, y-bar, z-bar, shape (N, 3).
    Read once, on first use; both arrays are read-only because they are shared.
    """
    text = importlib.resources.files('tutorial_kit').joinpath('data', _CIE_TABLE).read_text()
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith('#')]
    if rows[0].replace(' ', '') != 'wavelength,xbar,ybar,zbar':
        raise RuntimeError(f'{_CIE_TABLE}: unexpected header {rows[0]!r}')
    table = np.array([[float(x) for x in row.split(',')] for row in rows[1:]])
    wavelengths, cmfs = table[:, 0], table[:, 1:]
    wavelengths.setflags(write=False)
    cmfs.setflags(write=False)
    return wavelengths, cmfs


@functools.lru_cache(maxsize=None)
def _cmfs_on_integration_grid():
    """The integration wavelengths, shape (M,), and the colour matching
    functions interpolated linearly onto them, shape (M, 3)."""
    table_nm, table_cmfs = load_cie1931()
    grid = np.linspace(CIE_MIN_NM, CIE_MAX_NM, _INTEGRATION_SAMPLES)
    cmfs = np.stack([np.interp(grid, table_nm, table_cmfs[:, k]) for k in range(3)], axis=1)
    grid.setflags(write=False)
    cmfs.setflags(write=False)
    return grid, cmfs


def parse_spectrum(text):
    """Parse ``"400:0.04, 404:0.046, ..."`` into two float64 arrays.

    Pairs are ``wavelength:value`` (nm, then the spectrum's value there),
    separated by commas and/or whitespace. At least two pairs are needed and
    the wavelengths must be positive and strictly increasing; every number
    must be finite. Returns ``(wavelengths, values)``, each of shape (N,).
    Raises ValueError, naming the offending pair, for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f'a spectrum must be given as text, got {type(text).__name__}')
    # Allow spaces around the colon ("400 : 0.04") before splitting on separators.
    tokens = [t for t in re.split(r'[,\s]+', re.sub(r'\s*:\s*', ':', text.strip())) if t]
    if not tokens:
        raise ValueError('empty spectrum: expected wavelength:value pairs such as "400:0.5, 700:0.8"')

    wavelengths, values = [], []
    for token in tokens:
        parts = token.split(':')
        if len(parts) != 2:
            raise ValueError(f'spectrum entry {token!r} is not a wavelength:value pair '
                             '(expected e.g. "400:0.5")')
        wavelengths.append(_parse_number(parts[0], token))
        values.append(_parse_number(parts[1], token))

    if len(tokens) < 2:
        raise ValueError(f'spectrum {text.strip()!r} has a single wavelength:value pair; '
                         'give at least two (a constant spectrum is written as one number)')
    wavelengths, values = np.array(wavelengths), np.array(values)
    _check_spectrum(wavelengths, values)
    return wavelengths, values


def _parse_number(word, pair):
    """One side of a ``wavelength:value`` pair as a finite float."""
    if not _NUMBER.fullmatch(word):
        if word.lower().lstrip('+-') in ('nan', 'inf', 'infinity'):
            raise ValueError(f'spectrum entry {pair!r}: {word!r} is not a finite number')
        raise ValueError(f'spectrum entry {pair!r} is not a wavelength:value pair of numbers '
                         f'({word!r} is not a number)')
    number = float(word)
    if not math.isfinite(number):  # e.g. 1e999 overflows to inf
        raise ValueError(f'spectrum entry {pair!r}: {word!r} is too large to be a finite number')
    return number


def _check_spectrum(wavelengths, values):
    """Raise ValueError unless the arrays describe a usable sampled spectrum."""
    if wavelengths.ndim != 1 or wavelengths.shape != values.shape:
        raise ValueError('wavelengths and values must be 1-D arrays of the same length, '
                         f'got shapes {wavelengths.shape} and {values.shape}')
    if len(wavelengths) < 2:
        raise ValueError(f'a sampled spectrum needs at least two points, got {len(wavelengths)}')
    if not (np.all(np.isfinite(wavelengths)) and np.all(np.isfinite(values))):
        raise ValueError('spectrum wavelengths and values must be finite numbers (no NaN or inf)')
    if wavelengths[0] <= 0:
        raise ValueError(f'spectrum wavelengths must be positive (nm), got {wavelengths[0]:g}')
    steps = np.diff(wavelengths)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise ValueError('spectrum wavelengths must strictly increase, but '
                         f'{wavelengths[i]:g} is followed by {wavelengths[i + 1]:g}')


def spectrum_to_xyz(wavelengths, values):
    """CIE XYZ of a sampled spectrum, normalised so that Y of the constant 1 is 1.

    ``wavelengths`` (nm, strictly increasing) and ``values`` are array-likes of
    shape (N,), N >= 2. The spectrum is linear between its points and zero
    outside ``[wavelengths[0], wavelengths[-1]]``. Returns shape (3,) float64.
    """
    wavelengths = np.asarray(wavelengths, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    _check_spectrum(wavelengths, values)

    grid, cmfs = _cmfs_on_integration_grid()
    # left/right=0: no light (or no reflectance) outside the listed range.
    spectrum = np.interp(grid, wavelengths, values, left=0.0, right=0.0)
    # Both integrals would be multiplied by the same wavelength step, so the
    # step cancels in the ratio and plain sums suffice.
    return (cmfs.T @ spectrum) / cmfs[:, 1].sum()


def spectrum_to_srgb(wavelengths, values):
    """Linear sRGB of a sampled spectrum, shape (3,) float64.

    Same inputs as :func:`spectrum_to_xyz`. A reflectance gives the RGB
    albedo, a radiance the RGB radiance (same units as ``values``).
    """
    return XYZ_TO_LINEAR_SRGB @ spectrum_to_xyz(wavelengths, values)

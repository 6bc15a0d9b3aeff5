"""Indices of refraction by name, and the measured optical constants of conductors.

Dielectrics take ``int_ior`` and ``ext_ior`` as numbers or as names from
Mitsuba 3's table (``"bk7"``, ``"water"``, ``"air"``, ...; values from
Hecht, *Optics*, 4th ed., near 589 nm, as in Mitsuba's ``ior.h``).

Conductors take a ``material`` name (``"Au"``, ``"Cu"``, ``"Al"``, ...): its
complex index of refraction eta + i k, measured per wavelength, ships in
``tutorial_kit/data/ior/<name>.eta.spd`` and ``.k.spd`` (the files Mitsuba 3
distributes). An RGB renderer needs three numbers, so each spectrum is
reduced to linear sRGB exactly as Mitsuba 3's RGB variants do it
(``spectrum_list_to_srgb`` without clamping, which is what
:func:`tutorial_kit.core.spectrum.spectrum_to_srgb` computes).
"""
import functools
import importlib.resources

import numpy as np

from tutorial_kit.core import value_ranges
from tutorial_kit.core.spectrum import spectrum_to_srgb

#: Named indices of refraction (Mitsuba 3's ``ior_data``).
IOR_PRESETS = {
    'vacuum': 1.0, 'helium': 1.000036, 'hydrogen': 1.000132, 'air': 1.000277,
    'carbon dioxide': 1.00045, 'water': 1.3330, 'acetone': 1.36, 'ethanol': 1.361,
    'carbon tetrachloride': 1.461, 'glycerol': 1.4729, 'benzene': 1.501,
    'silicone oil': 1.52045, 'bromine': 1.661, 'water ice': 1.31, 'fused quartz': 1.458,
    'pyrex': 1.470, 'acrylic glass': 1.49, 'polypropylene': 1.49, 'bk7': 1.5046,
    'sodium chloride': 1.544, 'amber': 1.55, 'pet': 1.5750, 'diamond': 2.419,
}


def _ior_folder():
    return importlib.resources.files('tutorial_kit').joinpath('data', 'ior')


@functools.lru_cache(maxsize=None)
def conductor_presets():
    """Sorted names of the conductors with measured data, plus ``none`` (a perfect mirror)."""
    names = {entry.name.rsplit('.', 2)[0] for entry in _ior_folder().iterdir()
             if entry.name.endswith('.eta.spd')}
    return tuple(sorted(names) + ['none'])


def read_ior(props, name, default):
    """``name`` of ``props`` as an index of refraction: a number or a preset name.

    Raises a PluginError naming file and line for an unknown name or a
    value that is not positive.
    """
    if props.kind(name) == 'object':
        raise props.error(name, f'"{name}" must be a constant number or a name, not a texture')
    if props.kind(name) in ('float', 'integer'):
        value = props.float(name)
    else:
        text = props.string(name, default).lower()
        if text not in IOR_PRESETS:
            raise props.error(name, f'unknown index of refraction "{text}"; known: '
                                    f'{", ".join(IOR_PRESETS)}')
        value = IOR_PRESETS[text]
    if not value_ranges.IOR.contains(value):
        raise props.error(name, f'the index of refraction "{name}" must be positive, got {value:g}')
    return value


def read_relative_ior(props, int_default, ext_default, must_differ=False):
    """eta = int_ior / ext_ior of ``props``; ``must_differ``: the two may not be equal
    (rough interfaces divide by their difference)."""
    int_ior = read_ior(props, 'int_ior', int_default)
    ext_ior = read_ior(props, 'ext_ior', ext_default)
    if must_differ and int_ior == ext_ior:
        raise props.error('int_ior', f'int_ior and ext_ior must differ, both are {int_ior:g}')
    return int_ior / ext_ior


@functools.lru_cache(maxsize=None)
def conductor_rgb(material):
    """(eta, k) of a conductor preset as two linear-sRGB float64 arrays of shape (3,)."""
    def channel(suffix):
        text = _ior_folder().joinpath(f'{material}.{suffix}.spd').read_text()
        table = np.array([[float(v) for v in line.split()] for line in text.splitlines()
                          if line.strip() and not line.lstrip().startswith('#')])
        return spectrum_to_srgb(table[:, 0], table[:, 1])
    return channel('eta'), channel('k')

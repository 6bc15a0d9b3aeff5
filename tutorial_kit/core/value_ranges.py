"""The ranges a parameter's values must lie in: one table for loading and assigning.

A reflectance is a fraction of the light that arrives, so its magnitude is
at most 1; an emitted radiance is non-negative and at most :data:`MAX_COLOR`
(so that products along a path stay finite in 32-bit floats); an index of
refraction is positive. The scene loader checks the values a scene file
gives against these ranges, and ``ParameterMap`` checks every value
assigned later against the same ones, so that ``params[key] = 3e38``
is refused where ``<rgb value="3e38"/>`` is.

Each plugin says which range a parameter has when it announces it
(``callback.put(..., value_range=REFLECTANCE)``); a texture carries the
range of the role it plays (the ``reflectance`` of a ``diffuse`` BSDF, the
``radiance`` of an emitter), set when the plugin reads it.
"""
import functools
from dataclasses import dataclass

import numpy as np

from tutorial_kit.core.limits import FLOAT32_MAX

#: The largest colour value a scene may give (radiance or reflectance), so
#: that products along a path stay finite in 32-bit floats (max. 3.4e38).
MAX_COLOR = 1e15
#: Up to this many values are checked as Python floats (a colour, a number).
_FEW = 4


@dataclass(frozen=True)
class ValueRange:
    """The closed interval [``low``, ``high``] (``(low, high]`` when ``low_open``)
    of the values ``what`` may take (``what``: 'a reflectance', for messages)."""
    what: str
    low: float
    high: float
    low_open: bool = False

    def _inside(self, values):
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        above_low = values > self.low if self.low_open else values >= self.low
        return values, above_low & (values <= self.high)

    def _holds(self, value):
        """Whether the Python float ``value`` lies in the range (NaN does not)."""
        return (value > self.low if self.low_open else value >= self.low) and value <= self.high

    def contains(self, values):
        """Whether every one of ``values`` (a number or array) lies in the range;
        NaN never does."""
        if np.size(values) <= _FEW:       # a colour: Python floats beat NumPy's overhead
            return all(self._holds(v) for v in np.ravel(values).tolist())
        return bool(np.all(self._inside(values)[1]))

    def __str__(self):
        return f'{"(" if self.low_open else "["}{self.low:g}, {self.high:g}]'

    def refusal(self, values):
        """Why ``values`` do not fit, to follow a name in an error (``must lie in
        [0, 1] (a reflectance), got 2``, naming the first values outside), or
        None when they all fit."""
        if self.contains(values):
            return None
        values, inside = self._inside(values)
        outside = values[~inside]
        shown = ', '.join(f'{v:g}' for v in outside[:3]) + (', ...' if outside.size > 3 else '')
        return f'must lie in {self} ({self.what}), got {shown}'

    def intersection(self, other):
        """The values both ranges allow (a texture shared by two roles)."""
        if other is None or other == self:
            return self
        return _intersection(self, other)


@functools.lru_cache(maxsize=256)
def _intersection(a, b):
    """:meth:`ValueRange.intersection` of two ranges, made once per pair (each colour
    of a scene of many shapes asks for the same few)."""
    low, low_open = max((a.low, a.low_open), (b.low, b.low_open))
    return ValueRange(a.what if a.high <= b.high else b.what, low, min(a.high, b.high), low_open)


#: A fraction of the arriving light (diffuse reflectance, a specular tint).
#: A scene gives it in [0, 1] (colours are not negative, and ``srgb`` refuses
#: more than 1, as Mitsuba 3 does); assigned, it may also be negative, as an
#: optimizer's step may take it (notebook 3 shows one dipping to -0.35):
#: with |reflectance| <= 1 no path's throughput can grow, so images stay
#: finite, while 1.5 would let it grow without bound along a long path.
REFLECTANCE = ValueRange('a reflectance', -1.0, 1.0)
#: Emitted light and other colours that may exceed 1 (radiance, a conductor's eta and k).
COLOR = ValueRange('a colour', 0.0, MAX_COLOR)
#: A microfacet roughness.
ROUGHNESS = ValueRange('a roughness', 0.0, MAX_COLOR)
#: An index of refraction, or a ratio of two.
IOR = ValueRange('an index of refraction', 0.0, FLOAT32_MAX, low_open=True)
#: A factor on emitted light (an environment map's ``scale``).
SCALE = ValueRange('a scale factor', 0.0, MAX_COLOR)
#: Pixels of an image texture whose role is not known: finite, within the colour bound.
PIXEL = ValueRange('a pixel value', -MAX_COLOR, MAX_COLOR)
#: What a colour written in a scene may be (intersected with its role's range).
NON_NEGATIVE = ValueRange('a colour', 0.0, FLOAT32_MAX)
#: Any value a 32-bit float holds.
FINITE = ValueRange('a value', -FLOAT32_MAX, FLOAT32_MAX)
#: An angle in degrees (a polariser's or retarder's orientation, a retardance).
ANGLE = ValueRange('an angle in degrees', -FLOAT32_MAX, FLOAT32_MAX)

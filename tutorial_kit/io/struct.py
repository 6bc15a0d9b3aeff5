"""``Struct.Type``: the numeric type of one stored value (Mitsuba 3's component formats).

An image stores each channel of each pixel as one number of a fixed type:
8-bit integers for a PNG photograph, 16-bit floats for a compact OpenEXR
file, 32-bit floats for a render. Mitsuba 3 names these types in
``Struct.Type`` and a :class:`~tutorial_kit.io.image.Bitmap` reports its
own as ``component_format()``.

Integer types are *normalised*: the stored integer k of an unsigned type
with largest value M means k / M (so 8-bit 255 is 1.0); a signed type maps
its largest value to 1.0 and its smallest, less one, to -1.0.
"""
import enum

import numpy as np

__all__ = ['Struct']


class Struct:
    """Mitsuba 3's ``Struct``, reduced to what images need: the :class:`Type` enum."""

    class Type(enum.Enum):
        """A component type, with Mitsuba 3's names (``Struct.Type.UInt8`` ...)."""
        Int8 = 'int8'
        UInt8 = 'uint8'
        Int16 = 'int16'
        UInt16 = 'uint16'
        Int32 = 'int32'
        UInt32 = 'uint32'
        Int64 = 'int64'
        UInt64 = 'uint64'
        Float16 = 'float16'
        Float32 = 'float32'
        Float64 = 'float64'
        Invalid = 'invalid'

        @property
        def dtype(self):
            """The NumPy dtype that stores this type (``Invalid`` has none)."""
            if self is Struct.Type.Invalid:
                raise ValueError('Struct.Type.Invalid stores no values')
            return np.dtype(self.value)

        @property
        def is_float(self):
            return self.value.startswith('float')

        @property
        def is_integer(self):
            return not self.is_float and self is not Struct.Type.Invalid

        @property
        def is_signed(self):
            return self.is_float or self.value.startswith('int')

        @property
        def range(self):
            """``(lowest, highest)`` stored integer that maps into [-1, 1] (integers only)."""
            info = np.iinfo(self.dtype)
            return (-int(info.max) if self.is_signed else 0), int(info.max)

        @classmethod
        def of(cls, dtype):
            """The Type that stores NumPy ``dtype``, or None for dtypes images do not hold."""
            try:
                return cls(np.dtype(dtype).name)
            except (ValueError, TypeError):
                return None

        def __str__(self):
            return self.value

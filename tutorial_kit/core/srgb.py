"""The sRGB transfer curve: linear radiance to display values and back.

Screens expect sRGB-encoded numbers; a renderer computes linear ones.
Every 8-bit image the toolkit writes or shows passes through
:func:`linear_to_srgb` (IEC 61966-2-1).
"""
import numpy as np

# Below these thresholds the curve is a straight line; above, a power law.
# The linear piece avoids an infinite slope at 0.
_LINEAR_THRESHOLD = 0.0031308
_ENCODED_THRESHOLD = 0.04045


def _as_float_array(values):
    values = np.asarray(values)
    return values if np.issubdtype(values.dtype, np.floating) else values.astype(np.float32)


def linear_to_srgb(linear):
    """Encode linear values (any shape, 0..1 nominal) with the sRGB curve.

    This is what a display expects: 0.5 linear becomes about 0.7354. Values
    are not clamped; the float dtype is kept (other dtypes become float32).
    """
    linear = _as_float_array(linear)
    # np.maximum keeps the power law away from negative inputs, where it
    # would give NaN; np.where discards that branch for them anyway.
    power_law = 1.055 * np.power(np.maximum(linear, _LINEAR_THRESHOLD), 1 / 2.4) - 0.055
    return np.where(linear <= _LINEAR_THRESHOLD, 12.92 * linear, power_law).astype(linear.dtype)


def srgb_to_linear(encoded):
    """Undo :func:`linear_to_srgb`: sRGB-encoded values (any shape) to linear."""
    encoded = _as_float_array(encoded)
    power_law = np.power((np.maximum(encoded, _ENCODED_THRESHOLD) + 0.055) / 1.055, 2.4)
    return np.where(encoded <= _ENCODED_THRESHOLD, encoded / 12.92, power_law).astype(encoded.dtype)

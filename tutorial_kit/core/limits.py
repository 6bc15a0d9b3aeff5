"""Sentinel values and numeric limits shared across the layers.

``INVALID_INDEX`` marks "no index" in a UInt32 array: the primitive a ray
missed, the emitter of a surface that emits nothing. It is the largest
unsigned 32-bit value, so it can never be a real index into an array that
fits in memory addressed by 32-bit indices.

``FLOAT32_MAX`` is the largest finite float32: a number read from a file
beyond it would become ``inf`` once stored as float32, so readers reject it
as they reject ``inf`` itself.
"""
import numpy as np

#: "No index" in a UInt32 array (0xFFFFFFFF).
INVALID_INDEX = 0xFFFFFFFF

#: The largest finite float32 (about 3.4e38), as a Python float.
FLOAT32_MAX = float(np.finfo(np.float32).max)

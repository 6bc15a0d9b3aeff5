"""Sentinel values and numeric limits shared across the layers.

``INVALID_INDEX`` marks "no index" in a UInt32 array: the primitive a ray
missed, the emitter of a surface that emits nothing. It is the largest
unsigned 32-bit value, so it can never be a real index into an array that
fits in memory addressed by 32-bit indices.

``MAX_SCENE_FILE_BYTES`` and ``MAX_MESH_FILE_BYTES`` bound the files that
are read whole into memory (a scene file, an OBJ or PLY mesh): a larger
one is refused with an error that states the limit, rather than failing
with a MemoryError or exhausting the machine (a sparse file may claim
terabytes it does not hold).

``FLOAT32_MAX`` is the largest finite float32: a number read from a file
beyond it would become ``inf`` once stored as float32, so readers reject it
as they reject ``inf`` itself.
"""
import numpy as np

#: "No index" in a UInt32 array (0xFFFFFFFF).
INVALID_INDEX = 0xFFFFFFFF

#: The largest finite float32 (about 3.4e38), as a Python float.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: The largest scene file (XML) read, in bytes: 256 MiB.
MAX_SCENE_FILE_BYTES = 256 * 2 ** 20

#: The largest mesh file (OBJ, PLY) read, in bytes: 2 GiB.
MAX_MESH_FILE_BYTES = 2 * 2 ** 30


def size_text(size):
    """A byte count for a message: ``256 MiB``, ``2 GiB``."""
    for unit, scale in (('GiB', 2 ** 30), ('MiB', 2 ** 20), ('KiB', 2 ** 10)):
        if size >= scale:
            return f'{size / scale:.4g} {unit}'
    return f'{size} bytes'

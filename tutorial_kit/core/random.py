"""Random numbers: one PCG32 stream per lane, seeded from a Python int.

The seed is kept in an *opaque* Dr.Jit variable: if it were a Python
constant, every new seed would change the generated code and force a kernel
recompilation.
"""
import drjit as dr

from tutorial_kit.core import backend as bk


def make_generator(lanes, seed, sample_index=None):
    """A PCG32 with ``lanes`` independent streams, all depending on ``seed``.

    ``seed`` is a Python int, mixed into the start state so that neighbouring
    seeds give unrelated numbers. Lane ``i`` draws the numbers of sample
    ``sample_index[i]`` (a UInt64 array; default ``i``): its own stream and
    start state. A render numbers sample ``k`` of pixel ``j`` as
    ``j * spp + k``, so it draws the same numbers however the render groups
    its samples into kernels.
    """
    index = dr.arange(bk.UInt64, lanes) if sample_index is None else sample_index
    generator = bk.PCG32(lanes)
    generator.seed(dr.opaque(bk.UInt64, mix64(seed)) + index, index)
    return generator


def mix64(value):
    """A 64-bit integer hash (splitmix64 finaliser) of ``value``."""
    z = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)

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


def permute_kensler(index, sample_count, seed, active=True):
    """Position of each ``index`` in a pseudo-random permutation of
    ``0 .. sample_count - 1`` chosen by ``seed`` (Mitsuba 3's ``permute_kensler``).

    Kensler's hash-based permutation ("Correlated Multi-Jittered Sampling",
    Pixar Technical Memo 13-01, 2013): a bijective hash on the smallest
    power-of-two range holding ``sample_count``, applied again (cycle
    walking) until the value falls inside the range, then rotated by the
    seed. No table is stored, so any lane can ask for its entry alone.

    ``index``: UInt32 (values below ``sample_count``); ``sample_count``: a
    Python int >= 1; ``seed``: a Python int or UInt32. Returns UInt32.
    """
    index, seed = bk.UInt32(index), bk.UInt32(seed)
    if sample_count == 1:
        return dr.zeros(bk.UInt32, dr.width(index))
    w = sample_count - 1
    for shift in (1, 2, 4, 8, 16):
        w |= w >> shift

    def scramble(value):
        value = value ^ seed
        value *= 0xe170893d
        value ^= seed >> 16
        value ^= (value & w) >> 4
        value ^= seed >> 8
        value *= 0x0929eb3f
        value ^= seed >> 23
        value ^= (value & w) >> 1
        value *= 1 | seed >> 27
        value *= 0x6935fa69
        value ^= (value & w) >> 11
        value *= 0x74dcb303
        value ^= (value & w) >> 2
        value *= 0x9e501cc3
        value ^= (value & w) >> 2
        value *= 0xc860a3df
        value &= w
        return value ^ (value >> 5)

    def walk(active, value):
        value = dr.select(active, scramble(value), value)
        return active & (value >= sample_count), value

    _, index = dr.while_loop((bk.Bool(active), index), lambda active, value: active, walk,
                             label='permute_kensler')
    return (index + seed) % sample_count

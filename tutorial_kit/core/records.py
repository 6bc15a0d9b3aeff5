"""Per-element records: fixed-size groups of floats read with one packet gather.

Where a kernel needs several values of the same element (a triangle's
corners, its shape, its normals), one gather per value costs a memory access
per lane each, and on CPUs whose gathers LLVM judges slow every gather
runs lane by lane (benchmarks/README.md, "Per-element records"). Laid out as one record of a
power-of-two size, the values arrive with a single packet gather
(``dr.gather(ArrayXf, records, index, shape=(size, n))``), and the records
are written with a single packet scatter, each lane writing its whole record.
"""
import drjit as dr

from tutorial_kit.core import backend as bk


def packet_records(fields, count, size):
    """``count`` records of ``size`` floats (a power of two) in one Float:
    record ``i`` holds ``fields[j][i]`` at position ``j``, zeros after the
    last field. ``fields``: at most ``size`` Float arrays of width ``count``
    (other 32-bit types reinterpreted as Float by the caller)."""
    zero = dr.zeros(bk.Float, count)
    records = dr.zeros(bk.Float, count * size)
    dr.scatter(records, bk.ArrayXf(list(fields) + [zero] * (size - len(fields))), dr.arange(bk.UInt32, count))
    dr.eval(records)
    return records

"""Measuring a computation: synchronised timings and the Dr.Jit memory a call adds.

Used by the benchmarks and by the notebooks that compare ways of computing
the same thing (path replay against a recorded render).
"""
import gc
import time

import drjit as dr

from tutorial_kit.core import backend as bk


def timed(compute):
    """Seconds that ``compute()`` takes, its Dr.Jit results evaluated and
    finished (``dr.sync_thread``), so that asynchronous kernel launches are
    not mistaken for finished work."""
    start = time.perf_counter()
    dr.eval(compute())
    dr.sync_thread()
    return time.perf_counter() - start


def with_added_memory(run):
    """``run()``'s result and the peak Dr.Jit memory (MiB) it allocated beyond
    what was allocated before it."""
    backend = bk.jit_backend()
    dr.sync_thread()
    gc.collect()
    dr.flush_malloc_cache()             # freed blocks kept for reuse would count as in use
    dr.detail.malloc_clear_statistics()
    already_allocated = dr.detail.malloc_watermark(backend)
    result = run()
    return result, (dr.detail.malloc_watermark(backend) - already_allocated) / 2 ** 20

"""What the benchmarks share: synchronised timings and the Dr.Jit memory a call adds."""
import gc
import time

import tutorial_kit as tk  # before drjit: it picks a usable libLLVM
import drjit as dr


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
    backend = tk.backend.jit_backend()
    dr.sync_thread()
    gc.collect()
    dr.flush_malloc_cache()             # freed blocks kept for reuse would count as in use
    dr.detail.malloc_clear_statistics()
    already_allocated = dr.detail.malloc_watermark(backend)
    result = run()
    return result, (dr.detail.malloc_watermark(backend) - already_allocated) / 2 ** 20

"""What the benchmarks share: synchronised timings and the Dr.Jit memory a call adds
(kept in the package, tutorial_kit.core.measure, as the notebooks measure too)."""
import tutorial_kit  # noqa: F401  (before drjit: it picks a usable libLLVM)
from tutorial_kit.core.measure import timed, with_added_memory  # noqa: F401

"""A mesh of a new size or place reuses the kernels of the last one: nothing in
the load's kernels depends on the vertex count or the bounds (benchmarks/README.md,
"Cold loads"), so a student's first load of a new mesh compiles nothing more."""
import drjit as dr
import numpy as np

import tutorial_kit as tk
from tutorial_kit.io.decimals import DeviceText
from tutorial_kit.plugins.shapes.mesh import smooth_vertex_normals
from tutorial_kit.renderer.bvh_build import morton_codes


def compiled_kernels(work):
    """How many kernels ``work()`` compiled (none found in Dr.Jit's caches)."""
    dr.kernel_history()                         # clears the history
    dr.set_flag(dr.JitFlag.KernelHistory, True)
    try:
        work()
        dr.sync_thread()
        history = dr.kernel_history()
    finally:
        dr.set_flag(dr.JitFlag.KernelHistory, False)
    return sum(1 for k in history if k['type'] == dr.KernelType.JIT and not k['cache_hit'])


def grid(columns, rng):
    """A strip of ``2 * columns`` triangles: positions (Float), faces (UInt32)."""
    x = np.repeat(np.arange(columns + 1, dtype=np.float32), 2)
    positions = np.stack([x, np.tile([0, 1], columns + 1), rng.random(2 * columns + 2)], 1)
    corner = 2 * np.arange(columns)
    faces = np.stack([np.stack([corner, corner + 2, corner + 1], 1),
                      np.stack([corner + 1, corner + 2, corner + 3], 1)], 1).reshape(-1)
    return tk.Float(positions.astype(np.float32).ravel()), tk.UInt32(faces.astype(np.uint32))


def test_vertex_normals_of_a_new_vertex_count_compile_nothing():
    rng = np.random.default_rng(3)
    dr.eval(smooth_vertex_normals(*grid(1000, rng)))
    assert compiled_kernels(lambda: dr.eval(smooth_vertex_normals(*grid(1237, rng)))) == 0


def test_morton_codes_of_new_bounds_compile_nothing():
    rng = np.random.default_rng(4)
    morton_codes(rng.random((5000, 3)).astype(np.float32))
    points = (rng.random((6011, 3)) * [3, 1, 2] - 7).astype(np.float32)
    assert compiled_kernels(lambda: morton_codes(points)) == 0


def test_the_control_byte_check_of_a_new_text_size_compiles_nothing():
    DeviceText(np.frombuffer(b'v 1 2 3\n' * 1000, np.uint8)).has_control_bytes()
    text = DeviceText(np.frombuffer(b'v 1 2 3\n' * 1357 + b'f 1 2 3\n', np.uint8))
    assert compiled_kernels(text.has_control_bytes) == 0
    assert DeviceText(np.frombuffer(b'v 1 2 3\x01\n', np.uint8)).has_control_bytes()

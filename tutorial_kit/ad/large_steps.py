"""``LargeSteps``: the Laplacian preconditioner of "Large Steps in Inverse
Rendering of Geometry" (Nicolet, Jacobson and Jakob, SIGGRAPH Asia 2021).

Gradient descent on vertex positions moves each vertex by its own
gradient. Those gradients are sparse (only vertices near a silhouette or
a shading difference get any) and noisy, so a step pulls single vertices
out of the surface and the mesh tangles. The paper optimises instead the
latent variable

    u = (I + lambda L) v

where ``v`` holds the vertex positions (V, 3), ``L`` is the combinatorial
Laplacian of the mesh (``L[i, i]`` = number of neighbours of vertex i,
``L[i, j]`` = -1 for each edge i-j) and ``lambda`` a weight. The
parameters the renderer sees are recovered by solving the sparse,
symmetric positive-definite system ``(I + lambda L) v = u``. A gradient
step on ``u`` then moves ``v`` by ``(I + lambda L)^-1`` times the step:
a smoothed step, spread over the neighbourhood of each vertex, which is a
step of Sobolev-preconditioned descent (section 4 of the paper).

The system is factorised once per mesh (Cholesky, by the ``cholespy``
package that Mitsuba 3 uses too; it is the ``shape`` extra of this
package) and each solve is two triangular substitutions. Both maps are
differentiable through Dr.Jit: ``to_differential`` is a sparse
matrix-vector product written with gathers and scatters, and
``from_differential`` is a :class:`drjit.CustomOp` whose adjoint is the
same solve, because the matrix is symmetric.

The names and signatures are Mitsuba 3's ``mi.ad.LargeSteps``.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import ParameterError

#: The weight the paper and Mitsuba 3 use when none is given.
DEFAULT_LAMBDA = 19.0


def _cholespy():
    """The ``cholespy`` module, or a clear error saying how to install it."""
    try:
        import cholespy
    except ImportError:
        raise ImportError('LargeSteps needs the cholespy package: pip install cholespy '
                          '(or pip install "tutorial_kit[shape]")') from None
    return cholespy


def laplacian_system(vertex_count, faces, lambda_):
    """The matrix ``I + lambda L`` of a mesh in coordinate (COO) form.

    ``faces``: (F, 3) integer NumPy array of vertex indices. Returns
    ``(rows, cols, values)``: int32, int32 and float64 NumPy arrays, one
    entry per distinct (row, column) pair (the solver wants no duplicates).
    ``L`` is the combinatorial ("umbrella") Laplacian: each edge weighs
    one, whatever its length, as in the paper.
    """
    faces = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    # Each triangle has three edges; an edge shared by two triangles counts once.
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    edges = edges[edges[:, 0] != edges[:, 1]]              # degenerate triangles
    degree = np.bincount(edges.ravel(), minlength=vertex_count).astype(np.float64)
    diagonal = np.arange(vertex_count)
    rows = np.concatenate([edges[:, 0], edges[:, 1], diagonal])
    cols = np.concatenate([edges[:, 1], edges[:, 0], diagonal])
    values = np.concatenate([np.full(2 * len(edges), -lambda_), 1.0 + lambda_ * degree])
    return rows.astype(np.int32), cols.astype(np.int32), values


def _as_points(value, what):
    """A NumPy (N, 3) float array from a Dr.Jit array, tensor or array-like."""
    if dr.is_array_v(value):
        value = dr.detach(value).numpy()
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 1 and array.size % 3 == 0:
        array = array.reshape(-1, 3)
    if array.ndim != 2 or array.shape[1] != 3 or not array.size:
        raise ParameterError(f'LargeSteps: {what} must be 3 numbers per vertex, got shape {array.shape}')
    return array


def _flat_float(value, what, count):
    """``value`` (a tensor, Point3f or flat Float, derivatives kept) as a flat Float of ``3 count``."""
    if isinstance(value, bk.TensorXf):
        value = value.array
    elif isinstance(value, bk.Array3f):
        value = dr.ravel(value)
    elif not isinstance(value, bk.Float):
        value = bk.from_numpy(bk.Float, np.asarray(value, dtype=np.float32).ravel())
    if dr.width(value) != 3 * count:
        raise ParameterError(f'LargeSteps: {what} must have {count} x 3 = {3 * count} numbers, '
                             f'got {dr.width(value)}')
    return value


class _CholeskySolve(dr.CustomOp):
    """``x = A^-1 b`` for the factorised symmetric matrix ``A``, as a Dr.Jit
    operation: forward- and reverse-mode derivatives are solves too
    (``d x = A^-1 d b``, and ``b_grad = A^-T x_grad = A^-1 x_grad``)."""

    def eval(self, solver, b):
        self.solver = solver
        return solver.solve(b)

    def forward(self):
        self.set_grad_out(self.solver.solve(self.grad_in('b')))

    def backward(self):
        self.set_grad_in('b', self.solver.solve(self.grad_out()))

    def name(self):
        return 'Cholesky solve'


class _Factorisation:
    """The Cholesky factors of ``I + lambda L``, solving for (N, 3) tensors."""

    def __init__(self, vertex_count, rows, cols, values):
        cholespy = _cholespy()
        self.vertex_count = vertex_count
        self.cuda = bk.jit_backend() == dr.JitBackend.CUDA
        if self.cuda:
            # On the GPU the factors live in device memory: hand over Dr.Jit arrays.
            from drjit.cuda import Int32, Float64
            rows, cols, values = Int32(rows), Int32(cols), Float64(values)
        self.solver = cholespy.CholeskySolverF(vertex_count, rows, cols, values,
                                               cholespy.MatrixType.COO)

    def solve(self, b):
        """``A^-1 b`` for a TensorXf ``b`` of shape (N, 3); a TensorXf (N, 3)."""
        if self.cuda:
            x = dr.empty(bk.TensorXf, shape=b.shape)
            self.solver.solve(dr.detach(b), x)
            return bk.TensorXf(x)
        rhs = np.ascontiguousarray(dr.detach(b).numpy(), dtype=np.float32)
        x = np.zeros_like(rhs)
        self.solver.solve(rhs, x)
        return bk.TensorXf(bk.from_numpy(bk.Float, x.ravel()), x.shape)


class LargeSteps:
    """Convert vertex positions to and from the differential coordinates
    ``u = (I + lambda L) v`` of Nicolet et al. 2021 (module docstring).

    ``vertex_positions``: the mesh's positions (the ``vertex_positions``
    parameter: a flat Float of 3V values, or (V, 3)); ``faces``: its faces
    (3F indices or (F, 3)); ``lambda_``: how strongly a step is smoothed
    (a larger mesh wants a larger value). Vertices at the same position
    (the seams of an unwelded mesh) are fused into one unknown, so that a
    step cannot tear the surface open along them.

    Typical use, as in Mitsuba 3's tutorial::

        ls = tk.ad.LargeSteps(params['shape.vertex_positions'], params['shape.faces'], 25)
        opt = tk.ad.Adam(lr=0.1, uniform=True)
        opt['u'] = ls.to_differential(params['shape.vertex_positions'])
        for it in range(n):
            params['shape.vertex_positions'] = ls.from_differential(opt['u'])
            params.update()
            ...
    """

    def __init__(self, vertex_positions, faces, lambda_=DEFAULT_LAMBDA):
        if not isinstance(lambda_, (int, float, np.integer, np.floating)) or isinstance(lambda_, bool) \
                or not np.isfinite(lambda_) or lambda_ < 0:
            raise ParameterError(f'LargeSteps: lambda_ must be a finite number >= 0, got {lambda_!r}')
        positions = _as_points(vertex_positions, 'vertex_positions')
        face_array = np.asarray(dr.detach(faces).numpy() if dr.is_array_v(faces) else faces)
        if face_array.dtype.kind not in 'iu' or face_array.size == 0 or face_array.size % 3:
            raise ParameterError('LargeSteps: faces must be a non-empty array of integers, three per triangle')
        face_array = face_array.reshape(-1, 3).astype(np.int64)
        if face_array.min() < 0 or face_array.max() >= len(positions):
            raise ParameterError(f'LargeSteps: faces index vertices outside [0, {len(positions) - 1}]')
        # Fuse coincident vertices: an unwelded mesh's copies move as one.
        _, first, welded = np.unique(positions, axis=0, return_index=True, return_inverse=True)
        welded = welded.ravel()
        #: Vertices of the mesh (V) and unknowns of the system (N <= V).
        self.vertex_count, self.n_verts = len(positions), len(first)
        self.lambda_ = float(lambda_)
        rows, cols, values = laplacian_system(self.n_verts, welded[face_array], self.lambda_)
        self.rows, self.cols = bk.from_numpy(bk.UInt32, rows), bk.from_numpy(bk.UInt32, cols)
        self.values = bk.from_numpy(bk.Float, values.astype(np.float32))
        self.index = bk.from_numpy(bk.UInt32, first.astype(np.uint32))       # unknown -> one vertex
        self.inverse = bk.from_numpy(bk.UInt32, welded.astype(np.uint32))    # vertex -> its unknown
        self.solver = _Factorisation(self.n_verts, rows, cols, values)

    def to_differential(self, v):
        """``u = (I + lambda L) v``: the latent variable to optimise.

        ``v``: vertex positions, a flat Float of 3V values (the
        ``vertex_positions`` parameter; a (V, 3) tensor or Point3f is also
        taken), derivatives kept. Returns a flat Float of 3N values, N the
        number of distinct vertex positions, in the order of Mitsuba 3's
        (the distinct positions sorted)."""
        flat = _flat_float(v, 'v', self.vertex_count)
        # Row r of the product sums values[k] * v[cols[k]] over the entries k of that row.
        source = dr.gather(bk.UInt32, self.index, self.cols)
        product = dr.gather(bk.Array3f, flat, source) * self.values
        u = dr.zeros(bk.Array3f, self.n_verts)
        dr.scatter_reduce(dr.ReduceOp.Add, u, product, self.rows)
        return dr.ravel(u)

    def from_differential(self, u):
        """``v = (I + lambda L)^-1 u``: the vertex positions of a latent variable.

        ``u``: a flat Float of 3N values (or an (N, 3) tensor, Point3f).
        Returns a flat Float of 3V values, ready for the ``vertex_positions``
        parameter: each vertex of the mesh (copies at one position included)
        at its solved position. Derivatives flow back to ``u``."""
        b = bk.TensorXf(_flat_float(u, 'u', self.n_verts), (self.n_verts, 3))
        v = dr.custom(_CholeskySolve, self.solver, b)
        return dr.ravel(dr.gather(bk.Array3f, v.array, self.inverse))

    def __repr__(self):
        return f'LargeSteps[vertices={self.vertex_count}, unknowns={self.n_verts}, lambda={self.lambda_:g}]'

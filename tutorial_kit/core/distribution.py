"""``DiscreteDistribution2D``: choosing a cell of a grid in proportion to its weight.

Importance sampling an image (an environment map) starts by choosing one of
its cells with probability proportional to a weight (PBR 4th ed., sec. A.5.6,
"piecewise-constant 2D distributions"): first the row, from the *marginal*
distribution of row sums, then the column within that row, from its
*conditional* distribution. Both are running sums (CDFs) searched by
bisection. What is left of each uniform number after the choice is itself
uniform in [0, 1) and places the sample inside the cell, so a point drawn
this way has the density ``weight / total`` per cell, constant across it.

The interface is Mitsuba 3's ``DiscreteDistribution2D``
(``include/mitsuba/core/distr_2d.h``). The tables are built with NumPy (in
float64, then stored as Float) from detached data; sampling runs in Dr.Jit.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk


class DiscreteDistribution2D:
    """``data``: non-negative weights, a NumPy array of shape (rows, columns)
    with a positive sum. ``size``: (columns, rows), as Mitsuba orders it."""

    def __init__(self, data):
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.size == 0:
            raise ValueError(f'expected a non-empty 2-D array of weights, got shape {data.shape}')
        if not np.all(np.isfinite(data)) or np.any(data < 0) or not data.sum() > 0:
            raise ValueError('the weights must be finite, non-negative and not all zero')
        rows, columns = data.shape
        self.size = (columns, rows)
        conditional = np.cumsum(data, axis=1)
        marginal = np.cumsum(conditional[:, -1])
        self.total = float(marginal[-1])
        self.cond_cdf = bk.from_numpy(bk.Float, conditional.ravel().astype(np.float32))
        self.marg_cdf = bk.from_numpy(bk.Float, marginal.astype(np.float32))
        # Opaque: a new image's total reuses the compiled kernels.
        self.inv_normalization = dr.opaque(bk.Float, self.total)
        self.normalization = dr.opaque(bk.Float, 1 / self.total)

    def eval(self, pos, active=True):
        """Float: the weight of cell ``pos`` (Array2u: column, row)."""
        columns, _ = self.size
        index = pos.x + pos.y * columns
        before = dr.gather(bk.Float, self.cond_cdf, index - 1, active & (pos.x > 0))
        return dr.gather(bk.Float, self.cond_cdf, index, active) - before

    def pdf(self, pos, active=True):
        """Float: the probability of choosing cell ``pos`` (the weight over the total)."""
        return self.eval(pos, active) * self.normalization

    def sample(self, sample, active=True):
        """Choose a cell with ``sample`` (Array2f in [0, 1)^2).

        Returns ``(pos, pmf, reused)``: the cell (Array2u: column, row), the
        probability of having chosen it, and the sample made uniform in
        [0, 1)^2 again within the cell (Array2f), to place a point in it.
        """
        columns, rows = self.size
        sample = dr.clip(bk.Array2f(sample), dr.smallest(bk.Float), dr.one_minus_epsilon(bk.Float))
        y = sample.y * self.inv_normalization
        row = _per_lane(dr.binary_search(
            0, rows - 1, lambda i: dr.gather(bk.Float, self.marg_cdf, i, active) < y), y)
        offset = row * columns
        row_total = dr.gather(bk.Float, self.cond_cdf, offset + columns - 1, active)
        x = sample.x * row_total
        column = _per_lane(dr.binary_search(
            0, columns - 1, lambda i: dr.gather(bk.Float, self.cond_cdf, offset + i, active) < x), x)
        col_0 = dr.gather(bk.Float, self.cond_cdf, offset + column - 1, active & (column > 0))
        col_1 = dr.gather(bk.Float, self.cond_cdf, offset + column, active)
        row_0 = dr.gather(bk.Float, self.marg_cdf, row - 1, active & (row > 0))
        row_1 = dr.gather(bk.Float, self.marg_cdf, row, active)
        reused_x = dr.select(col_1 != col_0, (x - col_0) / (col_1 - col_0), x - col_0)
        reused_y = dr.select(row_1 != row_0, (y - row_0) / (row_1 - row_0), y - row_0)
        reused = bk.Array2f(dr.clip(reused_x, 0, dr.one_minus_epsilon(bk.Float)),
                            dr.clip(reused_y, 0, dr.one_minus_epsilon(bk.Float)))
        return bk.Array2u(column, row), (col_1 - col_0) * self.normalization, reused

    def __repr__(self):
        return f'DiscreteDistribution2D[size = {list(self.size)}, total = {self.total:g}]'


def _per_lane(index, like):
    """``dr.binary_search`` over a single entry returns the Python int 0: as UInt32
    per lane of ``like``, so that ``index - 1`` stays an index array (one row
    or one column of cells, as an environment map of one pixel row has)."""
    return dr.full(bk.UInt32, index, dr.width(like)) if isinstance(index, int) else index

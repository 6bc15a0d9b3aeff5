"""A chi-square goodness-of-fit test of sampling routines against their densities.

A routine that samples directions and the function that claims to be its
density must agree: otherwise a renderer using both is biased. This test
(after Mitsuba 3's ``mitsuba.chi2`` and Nori's ``warptest``) draws many
samples, counts them in the cells of a (theta, phi) grid on the sphere,
integrates the density over each cell for the expected counts, and asks
Pearson's chi-square statistic whether the difference is larger than chance:

1. Cells whose expected count is below ``MIN_EXPECTED`` are pooled into
   one cell, so that the chi-square approximation of the statistic holds.
2. Samples the routine does not count (e.g. those of a Dirac lobe, which
   has no density) form a cell of their own, expected: N (1 - integral of pdf).
3. A sample in a cell of expected count 0, away from where the density is
   positive, fails the test outright.
4. The p-value is compared with a significance level that is Sidak-corrected
   for the number of tests run, 1 - (1 - alpha)^(1/test_count), so that a
   suite of many tests still fails by chance with probability alpha only.

Directions are Dr.Jit Array3f; counting and statistics run in NumPy.
"""
import math
from dataclasses import dataclass

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk

MIN_EXPECTED = 5.0


@dataclass
class ChiSquareResult:
    passed: bool
    p_value: float
    statistic: float
    dof: int
    message: str


def regularized_gamma_q(a, x):
    """Q(a, x) = Gamma(a, x) / Gamma(a), the upper regularised incomplete gamma function.

    Series for x < a + 1, Lentz's continued fraction otherwise (Press et al.,
    *Numerical Recipes*, 3rd ed., sec. 6.2).
    """
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(10000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(log_prefix) * h


def chi2_sf(statistic, dof):
    """P(X >= statistic) for X chi-square distributed with ``dof`` degrees of freedom."""
    return regularized_gamma_q(dof / 2, statistic / 2)


def cell_of(directions, res):
    """Flat cell index of unit directions (numpy (N, 3)) on a ``res`` = (n_theta, n_phi) grid."""
    n_theta, n_phi = res
    theta = np.arccos(np.clip(directions[:, 2], -1, 1))
    phi = np.arctan2(directions[:, 1], directions[:, 0])
    it = np.clip((theta / np.pi * n_theta).astype(np.int64), 0, n_theta - 1)
    ip = np.clip(((phi + np.pi) / (2 * np.pi) * n_phi).astype(np.int64), 0, n_phi - 1)
    return it * n_phi + ip


def expected_counts(pdf, sample_count, res, ires):
    """Expected samples per cell: N times the integral of ``pdf`` over each cell.

    Each cell is integrated with the midpoint rule on ires x ires points in
    (theta, phi), where the solid angle is sin(theta) dtheta dphi. Cells of
    equal angle keep lobes around the poles (a mirror seen head-on, light
    refracted straight through) as finely resolved as any other.
    """
    n_theta, n_phi = res
    dtheta, dphi = np.pi / (n_theta * ires), 2 * np.pi / (n_phi * ires)
    theta = (np.arange(n_theta * ires) + 0.5) * dtheta
    phi = -np.pi + (np.arange(n_phi * ires) + 0.5) * dphi
    tt, pp = np.meshgrid(theta, phi, indexing='ij')
    directions = bk.Array3f(*(bk.Float(np.ravel(c).astype(np.float32)) for c in
                              (np.sin(tt) * np.cos(pp), np.sin(tt) * np.sin(pp), np.cos(tt))))
    density = np.asarray(pdf(directions), dtype=np.float64).reshape(n_theta * ires, n_phi * ires)
    if not np.all(np.isfinite(density)) or np.any(density < 0):
        raise AssertionError('the density is negative or not finite somewhere')
    density *= np.sin(tt) * dtheta * dphi
    cells = density.reshape(n_theta, ires, n_phi, ires).sum(axis=(1, 3))
    return cells.ravel() * sample_count


def outside_support(expected, res):
    """Bool per cell (plus False for the extra cell): the cell and all eight of its
    neighbours have expected count 0. A sample there means the density is wrong;
    a sample in a zero cell *next to* the support only means that the integration
    points missed its sharp edge (e.g. the critical angle of refraction)."""
    zero = (expected.reshape(res) == 0)
    padded = np.pad(zero, ((1, 1), (0, 0)), constant_values=True)
    padded = np.concatenate([padded[:, -1:], padded, padded[:, :1]], axis=1)   # phi wraps around
    alone = np.ones(res, dtype=bool)
    for di in (0, 1, 2):
        for dj in (0, 1, 2):
            alone &= padded[di:di + res[0], dj:dj + res[1]]
    return np.append(alone.ravel(), False)


def chi2_test(sample, pdf, sample_count=200_000, res=(40, 80), ires=6, significance=0.01,
              test_count=1, seed=0):
    """Test that ``sample`` draws directions with density ``pdf``.

    ``sample(sample1, sample2)``: Float and Array2f of uniform numbers ->
    ``(directions, counted)``: Array3f and the Bool of samples that have a
    density (False for Dirac lobes or failures). ``pdf(directions)`` -> Float
    (1/sr). Returns a :class:`ChiSquareResult`.
    """
    rng = bk.PCG32(sample_count, seed)
    sample1 = rng.next_float32()
    sample2 = bk.Array2f(rng.next_float32(), rng.next_float32())
    directions, counted = sample(sample1, sample2)
    directions = np.asarray(directions, dtype=np.float64).T
    counted = np.asarray(counted, dtype=bool) & np.all(np.isfinite(directions), axis=1)
    observed = np.bincount(cell_of(directions[counted], res), minlength=res[0] * res[1]).astype(np.float64)
    expected = expected_counts(pdf, sample_count, res, ires)
    # The samples without a density form one more cell.
    observed = np.append(observed, sample_count - counted.sum())
    expected = np.append(expected, max(sample_count - expected.sum(), 0.0))

    impossible = (expected == 0) & (observed > 0) & outside_support(expected[:-1], res)
    if np.any(impossible):
        return ChiSquareResult(False, 0.0, math.inf, 0,
                               f'{int(observed[impossible].sum())} samples in cells of expected count 0')
    order = np.argsort(expected)
    pooled_observed = pooled_expected = 0.0
    statistic, cells = 0.0, 0
    for index in order:
        if expected[index] == 0:
            continue
        if expected[index] < MIN_EXPECTED or pooled_expected and pooled_expected < MIN_EXPECTED:
            pooled_observed += observed[index]
            pooled_expected += expected[index]
            continue
        statistic += (observed[index] - expected[index]) ** 2 / expected[index]
        cells += 1
    if pooled_expected > 0:
        statistic += (pooled_observed - pooled_expected) ** 2 / pooled_expected
        cells += 1
    dof = cells - 1
    p_value = chi2_sf(statistic, dof) if dof > 0 else 1.0
    threshold = 1 - (1 - significance) ** (1 / test_count)
    passed = p_value > threshold
    message = (f'chi^2 = {statistic:.1f} with {dof} degrees of freedom: p = {p_value:.3g} '
               f'({"above" if passed else "below"} the Sidak-corrected threshold {threshold:.3g})')
    return ChiSquareResult(passed, p_value, statistic, dof, message)


def as_numpy(value):
    """A Dr.Jit value as a float64 NumPy array (components last for vectors)."""
    array = np.asarray(dr.detach(value), dtype=np.float64)
    return array.T if array.ndim == 2 else array

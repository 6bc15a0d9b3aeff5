"""The sampler interface (Mitsuba 3's ``Sampler``) and the independent sampler."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.renderer.sampler import Sampler
from tutorial_kit.plugins.samplers.independent import IndependentSampler
from helpers import scene_xml


def seeded(seed, lanes=4096):
    sampler = IndependentSampler()
    sampler.seed(seed, lanes)
    return sampler


def test_the_sensor_sampler_is_a_sampler_with_mitsubas_methods():
    sampler = tk.load_string(scene_xml('', spp=7)).sensors()[0].sampler()
    assert isinstance(sampler, Sampler)
    assert sampler.sample_count() == 7 and sampler.wavefront_size() == 0
    sampler.set_sample_count(3)
    assert sampler.sample_count() == 3
    for bad in (0, -2, 1.5, True):
        with pytest.raises(tk.RenderError, match='sample_count'):
            sampler.set_sample_count(bad)
    sampler.seed(1, 100)
    assert sampler.wavefront_size() == 100


def test_next_1d_is_uniform():
    values = seeded(3, 100_000).next_1d().numpy()
    assert values.min() >= 0 and values.max() < 1
    assert values.mean() == pytest.approx(0.5, abs=0.005)
    assert values.var() == pytest.approx(1 / 12, abs=0.002)
    # Chi-square test on 20 bins: the 0.1 % quantile of chi2(19) is 43.8.
    counts = np.histogram(values, bins=20, range=(0, 1))[0]
    expected = len(values) / 20
    assert np.sum((counts - expected) ** 2 / expected) < 43.8


def test_next_2d_is_uniform_and_two_next_1d():
    sampler = seeded(5, 50_000)
    twin = sampler.clone()
    pair = sampler.next_2d()
    assert isinstance(pair, bk.Array2f)
    x, y = pair.x.numpy(), pair.y.numpy()
    assert np.array_equal(x, twin.next_1d().numpy()) and np.array_equal(y, twin.next_1d().numpy())
    assert x.mean() == pytest.approx(0.5, abs=0.01) and y.mean() == pytest.approx(0.5, abs=0.01)
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.02
    # Each quadrant holds a quarter of the points.
    quadrants = np.histogram2d(x, y, bins=2, range=((0, 1), (0, 1)))[0] / len(x)
    assert np.allclose(quadrants, 0.25, atol=0.01)


def test_a_seed_gives_the_same_numbers_and_another_seed_others():
    first, again, other = seeded(11), seeded(11), seeded(12)
    a = [first.next_1d().numpy() for _ in range(3)]
    b = [again.next_1d().numpy() for _ in range(3)]
    c = other.next_1d().numpy()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], c)
    assert not np.array_equal(a[0], a[1])          # each call draws new numbers
    assert len(np.unique(a[0])) > 0.99 * len(a[0])  # lanes are independent streams


def test_a_clone_draws_the_same_numbers_without_advancing_the_original():
    sampler = seeded(2)
    sampler.next_1d()
    clone = sampler.clone()
    assert clone.sample_count() == sampler.sample_count()
    assert clone.wavefront_size() == sampler.wavefront_size()
    from_clone = [clone.next_1d().numpy() for _ in range(2)]
    from_original = [sampler.next_1d().numpy() for _ in range(2)]
    assert all(np.array_equal(u, v) for u, v in zip(from_clone, from_original))
    clone.set_sample_count(99)
    assert sampler.sample_count() != 99


def test_masked_lanes_keep_their_state():
    sampler = seeded(4, 8)
    reference = sampler.clone()
    mask = bk.Bool([True, False] * 4)
    sampler.next_1d(mask)
    reference.next_1d()
    after, expected = sampler.next_1d().numpy(), reference.next_1d().numpy()
    assert np.array_equal(after[0::2], expected[0::2])
    assert not np.array_equal(after[1::2], expected[1::2])


def test_sample_index_picks_the_numbers_of_other_lanes():
    """A lane seeded with sample index i draws what lane i of the plain seeding draws
    (how a render that loops over a pixel's samples in one lane stays bit-identical)."""
    plain = seeded(7, 16).next_2d()
    picked = IndependentSampler()
    picked.seed(7, sample_index=bk.UInt64([3, 9, 15]))
    values = picked.next_2d()
    assert np.array_equal(values.x.numpy(), plain.x.numpy()[[3, 9, 15]])
    assert np.array_equal(values.y.numpy(), plain.y.numpy()[[3, 9, 15]])


def test_the_sampler_is_loop_state():
    """In a symbolic loop every iteration draws new numbers, and the sampler
    afterwards continues where the loop stopped."""
    sampler, reference = seeded(8, 64), seeded(8, 64)

    @dr.syntax
    def sum_three(sampler):
        total, i = dr.zeros(bk.Float, 64), bk.UInt32(0)
        while i < 3:
            total += sampler.next_1d()
            i += 1
        return total

    total = sum_three(sampler).numpy()
    expected = sum(reference.next_1d().numpy() for _ in range(3))
    assert np.allclose(total, expected, rtol=1e-6)
    assert np.array_equal(sampler.next_1d().numpy(), reference.next_1d().numpy())

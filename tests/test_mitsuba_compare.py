"""Same file, same picture: compare against Mitsuba 3 (skipped when it is not installed).

Both renderers read the same XML (written with ``rgb`` values, so no spectral
conversion differs) and render 128 samples per pixel. Channel means must
agree within 1.5 %, and the means of an 8 x 8 grid of blocks within a few
percent: this catches wrong orientation, brightness, colour, filtering and
camera conventions, while Monte Carlo noise averages out.
"""
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import CBOX_RGB, SECOND

mi = pytest.importorskip('mitsuba')
pytestmark = [pytest.mark.mitsuba, pytest.mark.slow]
SPP = 128


@pytest.fixture(scope='module', autouse=True)
def mitsuba_variant():
    mi.set_variant('llvm_ad_rgb')


def block_means(image, blocks=8):
    h, w, _ = image.shape
    return image[:h // blocks * blocks, :w // blocks * blocks].reshape(
        blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))


@pytest.mark.parametrize('path, block_tolerance', [(CBOX_RGB, 0.03), (SECOND, 0.03)])
def test_same_picture_as_mitsuba(path, block_tolerance):
    ours = tk.render(tk.load_file(path), spp=SPP, seed=1).numpy()
    theirs = np.array(mi.render(mi.load_file(path), spp=SPP, seed=1))
    assert ours.shape == theirs.shape
    channel_ours, channel_theirs = ours.mean(axis=(0, 1)), theirs.mean(axis=(0, 1))
    assert np.allclose(channel_ours, channel_theirs, rtol=0.015), (channel_ours, channel_theirs)
    a, b = block_means(ours), block_means(theirs)
    # Relative to each block's brightness, but not below 1 % of the image mean (dark corners).
    scale = np.maximum(b, 0.01 * channel_theirs)
    worst = np.abs(a - b) / scale
    assert worst.max() < block_tolerance, np.unravel_index(worst.argmax(), worst.shape)

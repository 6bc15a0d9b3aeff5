"""Spectrum parsing and the spectrum -> linear sRGB conversion."""
import numpy as np
import pytest

from tutorial_kit.core import spectrum as sp

# The Cornell box's measured reflectances (wavelength in nm : reflectance).
WHITE = (
    '400:0.343, 404:0.445, 408:0.551, 412:0.624, 416:0.665, 420:0.687, 424:0.708, '
    '428:0.723, 432:0.715, 436:0.71, 440:0.745, 444:0.758, 448:0.739, 452:0.767, '
    '456:0.777, 460:0.765, 464:0.751, 468:0.745, 472:0.748, 476:0.729, 480:0.745, '
    '484:0.757, 488:0.753, 492:0.75, 496:0.746, 500:0.747, 504:0.735, 508:0.732, '
    '512:0.739, 516:0.734, 520:0.725, 524:0.721, 528:0.733, 532:0.725, 536:0.732, '
    '540:0.743, 544:0.744, 548:0.748, 552:0.728, 556:0.716, 560:0.733, 564:0.726, '
    '568:0.713, 572:0.74, 576:0.754, 580:0.764, 584:0.752, 588:0.736, 592:0.734, '
    '596:0.741, 600:0.74, 604:0.732, 608:0.745, 612:0.755, 616:0.751, 620:0.744, '
    '624:0.731, 628:0.733, 632:0.744, 636:0.731, 640:0.712, 644:0.708, 648:0.729, '
    '652:0.73, 656:0.727, 660:0.707, 664:0.703, 668:0.729, 672:0.75, 676:0.76, '
    '680:0.751, 684:0.739, 688:0.724, 692:0.73, 696:0.74, 700:0.737'
)
RED = (
    '400:0.04, 404:0.046, 408:0.048, 412:0.053, 416:0.049, 420:0.05, 424:0.053, '
    '428:0.055, 432:0.057, 436:0.056, 440:0.059, 444:0.057, 448:0.061, 452:0.061, '
    '456:0.06, 460:0.062, 464:0.062, 468:0.062, 472:0.061, 476:0.062, 480:0.06, '
    '484:0.059, 488:0.057, 492:0.058, 496:0.058, 500:0.058, 504:0.056, 508:0.055, '
    '512:0.056, 516:0.059, 520:0.057, 524:0.055, 528:0.059, 532:0.059, 536:0.058, '
    '540:0.059, 544:0.061, 548:0.061, 552:0.063, 556:0.063, 560:0.067, 564:0.068, '
    '568:0.072, 572:0.08, 576:0.09, 580:0.099, 584:0.124, 588:0.154, 592:0.192, '
    '596:0.255, 600:0.287, 604:0.349, 608:0.402, 612:0.443, 616:0.487, 620:0.513, '
    '624:0.558, 628:0.584, 632:0.62, 636:0.606, 640:0.609, 644:0.651, 648:0.612, '
    '652:0.61, 656:0.65, 660:0.638, 664:0.627, 668:0.62, 672:0.63, 676:0.628, '
    '680:0.642, 684:0.639, 688:0.657, 692:0.639, 696:0.635, 700:0.642'
)
GREEN = (
    '400:0.092, 404:0.096, 408:0.098, 412:0.097, 416:0.098, 420:0.095, 424:0.095, '
    '428:0.097, 432:0.095, 436:0.094, 440:0.097, 444:0.098, 448:0.096, 452:0.101, '
    '456:0.103, 460:0.104, 464:0.107, 468:0.109, 472:0.112, 476:0.115, 480:0.125, '
    '484:0.14, 488:0.16, 492:0.187, 496:0.229, 500:0.285, 504:0.343, 508:0.39, '
    '512:0.435, 516:0.464, 520:0.472, 524:0.476, 528:0.481, 532:0.462, 536:0.447, '
    '540:0.441, 544:0.426, 548:0.406, 552:0.373, 556:0.347, 560:0.337, 564:0.314, '
    '568:0.285, 572:0.277, 576:0.266, 580:0.25, 584:0.23, 588:0.207, 592:0.186, '
    '596:0.171, 600:0.16, 604:0.148, 608:0.141, 612:0.136, 616:0.13, 620:0.126, '
    '624:0.123, 628:0.121, 632:0.122, 636:0.119, 640:0.114, 644:0.115, 648:0.117, '
    '652:0.117, 656:0.118, 660:0.12, 664:0.122, 668:0.128, 672:0.132, 676:0.139, '
    '680:0.144, 684:0.146, 688:0.15, 692:0.152, 696:0.157, 700:0.159'
)

LIGHT = '400:0, 500:8, 600:15.6, 700:18.4'

# Published linear sRGB of the red reflectance, computed with the same
# convention as this module; it must match to 1e-3 per channel.
RED_RGB = [0.569717, 0.0430141, 0.0443234]
# Another renderer's values for the same reflectances, computed slightly
# differently: agreement to 2e-3 is expected, not more.
OTHER_WHITE_RGB = [0.885809, 0.698859, 0.666422]
OTHER_GREEN_RGB = [0.105421, 0.37798, 0.076425]
OTHER_RED_RGB = [0.570068, 0.0430135, 0.0443706]


def to_srgb(text):
    return sp.spectrum_to_srgb(*sp.parse_spectrum(text))


def test_red_matches_published_value():
    np.testing.assert_allclose(to_srgb(RED), RED_RGB, rtol=0, atol=1e-3)


@pytest.mark.parametrize('text, expected', [
    (WHITE, OTHER_WHITE_RGB), (GREEN, OTHER_GREEN_RGB), (RED, OTHER_RED_RGB)])
def test_cornell_box_reflectances_match_other_renderer(text, expected):
    np.testing.assert_allclose(to_srgb(text), expected, rtol=0, atol=2e-3)


def test_result_is_float64_rgb():
    rgb = to_srgb(LIGHT)
    assert rgb.shape == (3,) and rgb.dtype == np.float64
    # A warm light: positive, red > green > blue.
    assert rgb[0] > rgb[1] > rgb[2] > 0


def test_cie_table_is_the_shipped_5nm_observer():
    nm, cmfs = sp.load_cie1931()
    assert nm[0] == sp.CIE_MIN_NM and nm[-1] == sp.CIE_MAX_NM
    assert cmfs.shape == (len(nm), 3) and np.all(np.diff(nm) == 5)
    assert np.all(cmfs >= 0)
    # y-bar peaks at 1 at 555 nm by definition.
    assert cmfs[:, 1].max() == 1.0 and nm[np.argmax(cmfs[:, 1])] == 555
    assert not cmfs.flags.writeable  # cached and shared: must not be modified


@pytest.mark.parametrize('c', [1.0, 0.5, 3.25])
def test_constant_spectrum_over_whole_range_has_luminance_c(c):
    xyz = sp.spectrum_to_xyz([sp.CIE_MIN_NM, sp.CIE_MAX_NM], [c, c])
    assert xyz[1] == pytest.approx(c, rel=1e-12)


def test_conversion_is_linear_in_the_values():
    nm, values = sp.parse_spectrum(RED)
    np.testing.assert_allclose(sp.spectrum_to_srgb(nm, 2.5 * values),
                               2.5 * sp.spectrum_to_srgb(nm, values), rtol=1e-12)


def test_spectrum_outside_cie_range_is_black():
    np.testing.assert_array_equal(sp.spectrum_to_xyz([900, 1000], [1, 1]), 0)


def test_parse_accepts_commas_and_whitespace():
    nm, values = sp.parse_spectrum(' 400:0.04,404:0.046\n  408 : 0.048\t412:5e-2, ')
    assert nm.dtype == np.float64 and values.dtype == np.float64
    np.testing.assert_array_equal(nm, [400, 404, 408, 412])
    np.testing.assert_array_equal(values, [0.04, 0.046, 0.048, 0.05])


@pytest.mark.parametrize('text, message', [
    ('', 'empty'),
    ('  , ', 'empty'),
    ('400:0.5', 'single'),
    ('0.5', 'not a wavelength:value pair'),
    ('400:0.5, 500', 'not a wavelength:value pair'),
    ('400:0.5:1, 500:1', 'not a wavelength:value pair'),
    ('400:abc, 500:1', "'abc' is not a number"),
    ('400:, 500:1', 'not a number'),
    ('400:1_0, 500:1', 'not a number'),
    ('400:0.5, 500:nan', 'not a finite number'),
    ('400:0.5, inf:1', 'not a finite number'),
    ('400:1e999, 500:1', 'finite'),
    ('500:0.5, 400:1', 'strictly increase'),
    ('400:0.5, 400:1', 'strictly increase'),
    ('-400:0.5, 500:1', 'positive'),
])
def test_parse_rejects_malformed_text(text, message):
    with pytest.raises(ValueError, match=message):
        sp.parse_spectrum(text)


def test_parse_rejects_non_text():
    with pytest.raises(ValueError, match='text'):
        sp.parse_spectrum(None)


@pytest.mark.parametrize('nm, values', [
    ([400], [1]),
    ([400, 500], [1, 2, 3]),
    ([500, 400], [1, 2]),
    ([400, 500], [1, np.nan]),
])
def test_conversion_rejects_bad_arrays(nm, values):
    with pytest.raises(ValueError):
        sp.spectrum_to_srgb(nm, values)

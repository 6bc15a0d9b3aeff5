"""Chi-square tests: every sampling routine draws what its density claims."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit  # noqa: F401  (selects the backend)
from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer.bsdf import BSDFContext
from tutorial_kit.renderer.interaction import DirectionSample3f, Interaction3f
from tests.chi2 import chi2_sf, chi2_test
from tests.helpers import interaction, load_bsdf

#: Every test below is one of this many; the threshold is Sidak-corrected for it.
TEST_COUNT = 80

BSDFS = {
    'diffuse': '<bsdf type="diffuse"/>',
    'roughconductor-beckmann': '<bsdf type="roughconductor"><float name="alpha" value="0.3"/></bsdf>',
    'roughconductor-ggx': '<bsdf type="roughconductor"><string name="distribution" value="ggx"/>'
                          '<float name="alpha" value="0.5"/><string name="material" value="Au"/></bsdf>',
    'roughconductor-anisotropic': '<bsdf type="roughconductor"><string name="distribution" value="ggx"/>'
                                  '<float name="alpha_u" value="0.1"/><float name="alpha_v" value="0.4"/></bsdf>',
    'roughconductor-beckmann-all-normals': '<bsdf type="roughconductor"><float name="alpha" value="0.2"/>'
                                           '<boolean name="sample_visible" value="false"/></bsdf>',
    'roughconductor-ggx-all-normals': '<bsdf type="roughconductor"><string name="distribution" value="ggx"/>'
                                      '<float name="alpha_u" value="0.2"/><float name="alpha_v" value="0.35"/>'
                                      '<boolean name="sample_visible" value="false"/></bsdf>',
    'roughdielectric-beckmann': '<bsdf type="roughdielectric"><float name="alpha" value="0.3"/></bsdf>',
    'roughdielectric-ggx': '<bsdf type="roughdielectric"><string name="distribution" value="ggx"/>'
                           '<float name="alpha" value="0.2"/><float name="int_ior" value="1.8"/></bsdf>',
    # Rough enough that the refracted lobe, seen head-on, is wider than the grid's
    # cells (4.5 degrees): narrower ones defeat the integration at the pole.
    'roughdielectric-anisotropic': '<bsdf type="roughdielectric"><string name="distribution" value="ggx"/>'
                                   '<float name="alpha_u" value="0.25"/><float name="alpha_v" value="0.5"/></bsdf>',
    'roughdielectric-all-normals': '<bsdf type="roughdielectric"><float name="alpha" value="0.25"/>'
                                   '<boolean name="sample_visible" value="false"/></bsdf>',
    'plastic': '<bsdf type="plastic"><rgb name="diffuse_reflectance" value="0.2, 0.5, 0.8"/></bsdf>',
    'plastic-nonlinear': '<bsdf type="plastic"><boolean name="nonlinear" value="true"/>'
                         '<float name="int_ior" value="1.9"/></bsdf>',
    'roughplastic-beckmann': '<bsdf type="roughplastic"><float name="alpha" value="0.3"/></bsdf>',
    'roughplastic-ggx': '<bsdf type="roughplastic"><string name="distribution" value="ggx"/>'
                        '<float name="alpha" value="0.1"/><rgb name="diffuse_reflectance" value="0.9, 0.1, 0.1"/></bsdf>',
    'pplastic': '<bsdf type="pplastic"><float name="alpha" value="0.2"/></bsdf>',
    'pplastic-ggx-tinted': '<bsdf type="pplastic"><string name="distribution" value="ggx"/><float name="alpha" value="0.1"/>'
                           '<rgb name="specular_reflectance" value="0.4"/></bsdf>',
}
#: Directions towards the viewer, local; dielectrics are also seen from inside.
DIRECTIONS = {'normal': (0.0, 0.0, 1.0), 'oblique': (0.6, 0.3, 0.5), 'grazing': (0.95, 0.1, 0.12)}
INSIDE = {'inside-oblique': (0.3, -0.5, -0.6), 'inside-steep': (0.1, 0.05, -0.9)}
CASES = [(name, direction) for name in BSDFS for direction in DIRECTIONS] + \
        [(name, direction) for name in BSDFS if 'dielectric' in name for direction in INSIDE]


def bsdf_sampler(bsdf, wi):
    def sample(sample1, sample2):
        si = interaction(wi, dr.width(sample1))
        bs, weight = bsdf.sample(BSDFContext(), si, sample1, sample2)
        return bs.wo, (bs.pdf > 0) & ~bs.is_delta()
    return sample


def bsdf_pdf(bsdf, wi):
    return lambda wo: bsdf.pdf(BSDFContext(), interaction(wi, dr.width(wo.x)), wo)


def test_chi2_distribution_function():
    # Known values of the chi-square survival function.
    assert chi2_sf(3.841459, 1) == pytest.approx(0.05, rel=1e-5)
    assert chi2_sf(124.342, 100) == pytest.approx(0.05, rel=1e-4)
    assert chi2_sf(1.0, 10) == pytest.approx(0.999828, rel=1e-4)


def test_chi2_rejects_a_wrong_density():
    # Cosine-weighted samples claimed to be uniform on the hemisphere must fail.
    result = chi2_test(lambda s1, s2: (warp.square_to_cosine_hemisphere(s2), dr.full(bk.Bool, True, dr.width(s1))),
                       lambda wo: dr.select(wo.z > 0, 1 / (2 * dr.pi), 0))
    assert not result.passed, result.message


@pytest.mark.parametrize('name', ['cosine_hemisphere', 'uniform_sphere'])
def test_chi2_warps(name):
    warp_fn, pdf_fn = getattr(warp, f'square_to_{name}'), getattr(warp, f'square_to_{name}_pdf')
    result = chi2_test(lambda s1, s2: (warp_fn(s2), dr.full(bk.Bool, True, dr.width(s1))), pdf_fn,
                       test_count=TEST_COUNT)
    assert result.passed, result.message


def test_chi2_constant_emitter_sampling():
    from tests.helpers import scene_xml
    import tutorial_kit as tk
    scene = tk.load_string(scene_xml('<emitter type="constant"/>'))
    emitter = scene.environment

    def sample(s1, s2):
        ds, weight = emitter.sample_direction(dr.zeros(Interaction3f, dr.width(s1)), s2)
        return ds.d, ds.pdf > 0
    result = chi2_test(sample, lambda d: emitter.pdf_direction(None, DirectionSample3f(d=d)),
                       test_count=TEST_COUNT)
    assert result.passed, result.message


@pytest.mark.parametrize('name, direction', CASES)
def test_chi2_bsdf(name, direction):
    bsdf = load_bsdf(BSDFS[name])
    wi = {**DIRECTIONS, **INSIDE}[direction]
    result = chi2_test(bsdf_sampler(bsdf, wi), bsdf_pdf(bsdf, wi), test_count=TEST_COUNT)
    assert result.passed, f'{name}, {direction}: {result.message}'


@pytest.mark.parametrize('name', BSDFS)
def test_sample_weight_is_eval_over_pdf(name):
    # The weight that sample() returns must be eval / pdf at the sampled direction.
    bsdf = load_bsdf(BSDFS[name])
    rng = bk.PCG32(2000, 7)
    si = interaction(DIRECTIONS['oblique'], 2000)
    ctx = BSDFContext()
    bs, weight = bsdf.sample(ctx, si, rng.next_float32(), bk.Array2f(rng.next_float32(), rng.next_float32()))
    value, pdf = bsdf.eval(ctx, si, bs.wo), bsdf.pdf(ctx, si, bs.wo)
    keep = np.asarray((bs.pdf > 1e-3) & ~bs.is_delta())
    assert keep.sum() > 1000
    assert np.allclose(np.asarray(bs.pdf)[keep], np.asarray(pdf)[keep], rtol=2e-3)
    expected = np.asarray(value).T[keep] / np.asarray(pdf)[keep, None]
    assert np.allclose(np.asarray(weight).T[keep], expected, rtol=5e-3, atol=1e-5)


def test_chi2_area_emitter_sampling():
    """Points sampled on a tilted rectangular lamp, seen from the origin, against
    the lamp's solid-angle density of the ray that reaches each direction."""
    from tests.helpers import scene_xml
    import tutorial_kit as tk
    lamp = '''<shape type="rectangle">
        <transform name="to_world"><scale x="0.6" y="1.2"/><rotate x="1" angle="155"/>
            <translate x="0.2" z="1"/></transform>
        <emitter type="area"/></shape>'''
    scene = tk.load_string(scene_xml(lamp))
    emitter = scene.area_emitters[0]

    def sample(s1, s2):
        ds, weight = emitter.sample_direction(dr.zeros(Interaction3f, dr.width(s1)), s2)
        return ds.d, ds.pdf > 0

    def pdf(d):
        origin = dr.zeros(bk.Array3f, dr.width(d))
        si = scene.ray_intersect(Ray3f(origin, d))
        return dr.select(si.is_valid(), emitter.pdf_direction(si, DirectionSample3f.from_hit(si, d)), 0)
    result = chi2_test(sample, pdf, test_count=TEST_COUNT)
    assert result.passed, result.message

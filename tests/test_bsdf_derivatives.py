"""Derivatives of the rough BSDFs with respect to every continuous parameter.

Deterministic: ``eval`` at fixed direction pairs, and an integral of
``eval`` times a smooth incident light over a fixed set of directions (the
same for every parameter value, so no sampling depends on the parameter),
differentiated by Dr.Jit in forward and reverse mode and compared with
central finite differences. No Monte Carlo noise enters, so the tolerances
only allow for float32 rounding.
"""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.renderer.bsdf import BSDFContext
from helpers import interaction, scene_xml

# Reflectances below 1: finite differences step both ways, and a reflectance
# above 1 is refused (the default specular_reflectance is 1).
ROUGH = {
    'roughconductor-beckmann': '<bsdf type="roughconductor" id="b"><float name="alpha" value="0.3"/>'
                               '<string name="material" value="Cu"/>'
                               '<rgb name="specular_reflectance" value="0.95"/></bsdf>',
    'roughconductor-ggx': '<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/>'
                          '<float name="alpha" value="0.2"/><string name="material" value="Au"/>'
                          '<rgb name="specular_reflectance" value="0.9, 0.7, 0.5"/></bsdf>',
    'roughconductor-anisotropic-ggx': '<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/>'
                                      '<float name="alpha_u" value="0.15"/><float name="alpha_v" value="0.4"/>'
                                      '<string name="material" value="Ag"/>'
                                      '<rgb name="specular_reflectance" value="0.95"/></bsdf>',
    'roughconductor-anisotropic-beckmann': '<bsdf type="roughconductor" id="b"><float name="alpha_u" value="0.35"/>'
                                           '<float name="alpha_v" value="0.2"/><string name="material" value="Al"/>'
                                           '<rgb name="specular_reflectance" value="0.95"/></bsdf>',
    'roughdielectric-beckmann': '<bsdf type="roughdielectric" id="b"><float name="alpha" value="0.3"/>'
                                '<rgb name="specular_reflectance" value="0.9"/>'
                                '<rgb name="specular_transmittance" value="0.8, 0.9, 0.7"/></bsdf>',
    'roughdielectric-ggx': '<bsdf type="roughdielectric" id="b"><string name="distribution" value="ggx"/>'
                           '<float name="alpha" value="0.25"/><float name="int_ior" value="1.7"/></bsdf>',
    'roughdielectric-anisotropic-ggx': '<bsdf type="roughdielectric" id="b"><string name="distribution" value="ggx"/>'
                                       '<float name="alpha_u" value="0.2"/><float name="alpha_v" value="0.45"/></bsdf>',
    'roughplastic-beckmann': '<bsdf type="roughplastic" id="b"><float name="alpha" value="0.3"/>'
                             '<rgb name="diffuse_reflectance" value="0.2, 0.5, 0.8"/>'
                             '<rgb name="specular_reflectance" value="0.9"/></bsdf>',
    'roughplastic-ggx': '<bsdf type="roughplastic" id="b"><string name="distribution" value="ggx"/>'
                        '<float name="alpha" value="0.15"/><float name="int_ior" value="1.6"/>'
                        '<boolean name="nonlinear" value="true"/></bsdf>',
    'pplastic': '<bsdf type="pplastic" id="b"><float name="alpha" value="0.2"/>'
                '<rgb name="diffuse_reflectance" value="0.2, 0.5, 0.8"/></bsdf>',
}


def unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


#: (wi, wo) pairs in the local frame: head-on, oblique, anisotropic azimuths,
#: and grazing ones (cos theta down to 0.05).
REFLECTION_PAIRS = [((0, 0, 1), (0.3, 0.1, 0.9)), ((0.6, 0.3, 0.5), (-0.5, -0.2, 0.6)),
                    ((0.1, 0.8, 0.4), (0.2, -0.6, 0.7)), ((0.95, 0.1, 0.12), (-0.9, 0.2, 0.3)),
                    ((0.99, 0.0, 0.05), (-0.98, 0.05, 0.08)), ((0.3, -0.2, 0.9), (0.97, 0.1, 0.06))]
#: For the dielectrics, also refraction both ways and reflection inside.
TRANSMISSION_PAIRS = [((0.3, 0.1, 0.9), (-0.2, -0.1, -0.95)), ((0.7, 0.2, 0.4), (-0.5, 0.0, -0.7)),
                      ((0.2, -0.3, -0.9), (-0.4, 0.2, 0.8)), ((0.95, 0.1, 0.15), (-0.6, -0.1, -0.75)),
                      ((0.1, 0.2, -0.95), (-0.2, -0.1, -0.9))]


def pairs(name):
    chosen = REFLECTION_PAIRS + (TRANSMISSION_PAIRS if 'dielectric' in name else [])
    return [unit(wi) for wi, _ in chosen], [unit(wo) for _, wo in chosen]


def vectors(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return bk.Array3f(*(bk.Float(np.ascontiguousarray(c)) for c in rows.T))


def evaluate(bsdf, wi, wo):
    """eval at lanes (wi[j], wo[j]): Color3f."""
    si = interaction((0, 0, 1), len(wi))
    si.wi = vectors(wi)
    return bsdf.eval(BSDFContext(), si, vectors(wo))


def fixed_directions(lower_too, count=32):
    """Directions on a count x count grid of the unit square mapped to the cosine-weighted
    hemisphere (and mirrored below it), with their density; independent of any parameter."""
    u = (np.arange(count) + 0.5) / count
    x, y = np.meshgrid(u, u, indexing='ij')
    r, phi = np.sqrt(x.ravel()), 2 * np.pi * y.ravel()
    d = np.stack([r * np.cos(phi), r * np.sin(phi), np.sqrt(1 - r * r)], axis=1)
    pdf = d[:, 2] / np.pi
    if lower_too:
        d = np.concatenate([d, d * [1, 1, -1]])
        pdf = np.concatenate([pdf, pdf]) / 2
    return d, pdf


def light(wo):
    """A smooth incident radiance: brighter towards +x and the zenith."""
    return 1 + 0.6 * wo[:, 0] + 0.3 * wo[:, 2] ** 2


#: Viewing directions for the integral: head-on, oblique, grazing; glass also from inside.
INTEGRAL_VIEWS = [(0, 0, 1), (0.6, 0.3, 0.5), (0.97, 0.1, 0.12)]
INSIDE_VIEW = (0.3, -0.2, -0.9)


def integrals(bsdf, name, key):
    """For each view: the reflected (and transmitted) radiance under ``light``,
    estimated over the fixed directions. Color3f, one lane per view.

    Seen from inside glass, total internal reflection gives F a square-root
    kink along a cone of directions that moves with eta, so a sum over fixed
    directions is not smooth in eta (its derivative and its differences
    differ by a few percent): that view is left out for eta, kept for the rest.
    """
    inside = 'dielectric' in name and not key.endswith('.eta')
    views = INTEGRAL_VIEWS + ([INSIDE_VIEW] if inside else [])
    wo, pdf = fixed_directions('dielectric' in name)
    weights = light(wo) / pdf / len(wo)
    wi = np.repeat([unit(v) for v in views], len(wo), axis=0)
    value = evaluate(bsdf, wi, np.tile(wo, (len(views), 1))) * bk.Float(np.tile(weights, len(views)).astype(np.float32))
    return bk.Color3f(*(dr.block_sum(c, len(wo)) for c in value))


def as_numpy(color):
    return np.asarray(color, dtype=np.float64).T


def quantities(bsdf, name, key):
    """The checked quantities: eval at the fixed pairs, and the integrals."""
    wi, wo = pairs(name)
    return [evaluate(bsdf, wi, wo), integrals(bsdf, name, key)]


def derivatives(name, key):
    """Derivatives of :func:`quantities` along a direction of parameter ``key``.

    Returns ``(forward, finite, primal, reverse, forward_sum)``: the first three
    lists of (lanes, 3) arrays, one per quantity; ``reverse`` the derivative of
    a weighted sum of all lanes by reverse mode, ``forward_sum`` the same sum
    of forward mode's lanes.
    """
    scene = tk.load_string(f'<scene version="3.0.0">{ROUGH[name]}</scene>')
    bsdf = scene.children[0]
    params = tk.traverse(scene)
    original = dr.detach(params[key])
    values = np.asarray(original.numpy(), dtype=np.float64)
    direction = np.linspace(1, 0.4, values.size).reshape(values.shape)

    def with_value(new):
        params[key] = new
        params.update()

    def fresh():
        copy = type(original)(original)
        dr.enable_grad(copy)
        with_value(copy)
        parameter = params.parameter(key)   # as render does before tracking derivatives:
        parameter.owner.prepare_derivatives({parameter.attribute})
        return params[key]

    def direction_like(original):
        rows = direction.astype(np.float32)
        if rows.ndim == 1:
            return type(original)(bk.Float(rows))
        return type(original)(*(bk.Float(row) for row in rows))     # Array3f: shape (3, 1)

    value = fresh()
    outputs = quantities(bsdf, name, key)
    dr.set_grad(value, direction_like(original))
    forward = [as_numpy(g) for g in dr.forward_to(*outputs)]
    value = fresh()
    outputs = quantities(bsdf, name, key)
    rng = np.random.default_rng(1)
    weights = [rng.uniform(0.5, 1.5, f.shape) for f in forward]
    dr.backward(sum(dr.sum(dr.sum(out * bk.Color3f(*(bk.Float(c.astype(np.float32)) for c in w.T))))
                    for out, w in zip(outputs, weights)))
    reverse = float(np.sum(np.asarray(dr.grad(value).numpy(), dtype=np.float64) * direction))
    forward_sum = float(sum(np.sum(f * w) for f, w in zip(forward, weights)))

    # Fourth-order central differences (Richardson): a step of 1 % of the value keeps
    # float32 rounding small while the O(h^4) truncation error stays negligible.
    h = 0.01 * float(np.abs(values).max())

    def f(t):
        with_value(values + t * direction)
        return [as_numpy(q) for q in quantities(bsdf, name, key)]
    plus, minus, plus_2, minus_2 = f(h), f(-h), f(2 * h), f(-2 * h)
    finite = [(8 * (p - m) - (p2 - m2)) / (12 * h) for p, m, p2, m2 in zip(plus, minus, plus_2, minus_2)]
    primal = f(0)
    with_value(original)
    return forward, finite, primal, reverse, forward_sum


def keys_of(name):
    params = tk.traverse(tk.load_string(f'<scene version="3.0.0">{ROUGH[name]}</scene>'))
    return params.differentiable_keys()


CASES = [(name, key) for name in ROUGH for key in keys_of(name)]

@pytest.mark.mitsuba
@pytest.mark.parametrize('name', ROUGH)
def test_differentiable_parameters_have_mitsuba_names(name):
    """Every parameter Mitsuba 3 lets one differentiate has the same name here.
    The only extra one: roughconductor's specular_reflectance, which Mitsuba
    lists only when the XML gives it."""
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    theirs = mi.traverse(mi.load_string(f'<scene version="3.0.0">{ROUGH[name]}</scene>'))
    differentiable = {key for key in theirs.keys()
                      if not theirs.flags(key) & int(mi.ParamFlags.NonDifferentiable)}
    ours = set(keys_of(name))
    assert any('alpha' in key for key in differentiable), differentiable
    assert differentiable <= ours, differentiable - ours
    assert ours - differentiable <= {'b.specular_reflectance.value'}, ours - differentiable


#: Where the finite differences themselves are good to only about 1 %:
#: roughplastic's diffuse lobe divides by 1 - F_dr, and F_dr (a quadrature over
#: a square-root kink at the critical angle of total internal reflection) is
#: smooth in alpha and eta only to about 0.5 % in slope with Beckmann facets.
#: Before its tables carried derivatives these cases were off by 30 % to 500 %.
COARSE = {('roughplastic-beckmann', 'b.alpha'), ('roughplastic-beckmann', 'b.eta')}


@pytest.mark.parametrize('name, key', CASES, ids=[f'{n}:{k[2:]}' for n, k in CASES])
def test_rough_bsdf_derivatives_match_finite_differences(name, key):
    forward, finite, primal, reverse, forward_sum = derivatives(name, key)
    for quantity, ad, fd, value in zip(('eval', 'integral'), forward, finite, primal):
        assert np.all(np.isfinite(ad)), quantity
        # The parameter matters: derivatives clearly away from zero somewhere.
        assert np.abs(fd).max() > 1e-2 * np.abs(value).max(), (quantity, fd, value)
        # Forward mode against finite differences, lane by lane and channel by
        # channel; an error is measured against the derivative there, or against
        # 1 % of the largest one where it is near zero. Measured: at most 2e-3
        # (4e-4 in the norm), or 3e-2 (1e-2) in the coarse cases.
        error = np.abs(ad - fd) / (np.abs(fd) + 1e-2 * np.abs(fd).max())
        norm_error = np.linalg.norm(ad - fd) / np.linalg.norm(fd)
        if (name, key) in COARSE:
            assert norm_error < 2e-2 and error.max() < 0.25, (quantity, norm_error, error.max())
        else:
            assert norm_error < 2e-3 and error.max() < 6e-3, (quantity, norm_error, error.max(), ad, fd)
    # Reverse mode: the same weighted sum of lanes.
    assert np.isfinite(reverse)
    assert reverse == pytest.approx(forward_sum, rel=1e-4, abs=1e-6 * sum(np.abs(f).sum() for f in forward))


# -- through path replay, against finite differences of renders --------------------------

def plane_scene(material, size=16):
    """A rough plane seen at an angle, lit from above (reflection) and from below
    (what glass lets through) by area lights and dimly by the sky; direct light only."""
    return tk.load_string(scene_xml(f'''
        <integrator type="path"><integer name="max_depth" value="2"/></integrator>
        <emitter type="constant"><rgb name="radiance" value="0.2"/></emitter>
        <shape type="rectangle"><transform name="to_world"><rotate x="1" angle="180"/><scale value="0.5"/>
            <translate y="1.5" z="2"/></transform><emitter type="area"><rgb name="radiance" value="10"/></emitter></shape>
        <shape type="rectangle"><transform name="to_world"><scale value="0.7"/><translate y="0.5" z="-1.5"/></transform>
            <emitter type="area"><rgb name="radiance" value="6"/></emitter></shape>
        <shape type="rectangle"><transform name="to_world"><scale value="1.5"/></transform>{material}</shape>''',
            width=size, height=size, origin=(0, -3, 2), target=(0, 0, 0), up=(0, 0, 1), fov=45))


RENDER_CASES = {
    'roughconductor-ggx:alpha': ('<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/>'
                                 '<float name="alpha" value="0.2"/><string name="material" value="Au"/></bsdf>',
                                 'b.alpha.value'),
    'roughconductor-beckmann:alpha': ('<bsdf type="roughconductor" id="b"><float name="alpha" value="0.3"/>'
                                      '<string name="material" value="Cu"/></bsdf>', 'b.alpha.value'),
    'roughconductor-anisotropic:alpha_v': ('<bsdf type="roughconductor" id="b"><string name="distribution" value="ggx"/>'
                                           '<float name="alpha_u" value="0.1"/><float name="alpha_v" value="0.3"/></bsdf>',
                                           'b.alpha_v.value'),
    'roughdielectric-ggx:alpha': ('<bsdf type="roughdielectric" id="b"><string name="distribution" value="ggx"/>'
                                  '<float name="alpha" value="0.2"/></bsdf>', 'b.alpha.value'),
    'roughdielectric-beckmann:eta': ('<bsdf type="roughdielectric" id="b"><float name="alpha" value="0.3"/></bsdf>', 'b.eta'),
    'roughplastic-beckmann:alpha': ('<bsdf type="roughplastic" id="b"><float name="alpha" value="0.2"/></bsdf>', 'b.alpha'),
    'roughplastic-ggx:eta': ('<bsdf type="roughplastic" id="b"><string name="distribution" value="ggx"/>'
                             '<float name="alpha" value="0.2"/></bsdf>', 'b.eta'),
}


def render_derivatives(scene, key, spp, seeds, step):
    """Per seed: the path-replay derivative of the mean pixel value with respect to
    ``key`` (reverse mode), and a central difference of two renders that share
    a seed of their own (independent of the replay's). Also forward mode for
    the first seed. Returns (replay, forward, finite) as NumPy arrays."""
    params = tk.traverse(scene)
    original = dr.detach(params[key])
    values = np.asarray(original.numpy(), dtype=np.float64)
    tracked = type(original)(original)
    dr.enable_grad(tracked)
    params[key] = tracked
    params.update()
    replay = []
    for seed in seeds:
        dr.backward(dr.mean(tk.render(scene, spp=spp, seed=seed, unbiased=False), axis=None))
        replay.append(float(np.sum(dr.grad(tracked).numpy())))
        dr.clear_grad(tracked)
    image = dr.mean(tk.render(scene, spp=spp, seed=seeds[0], unbiased=False), axis=None)
    dr.set_grad(tracked, 1)
    forward = [float(np.ravel(dr.forward_to(image).numpy())[0])]

    def means(offset):
        params[key] = values + offset
        params.update()
        return np.array([float(np.ravel(dr.mean(tk.render(scene, spp=spp, seed=seed + 10_000),
                                                axis=None).numpy())[0]) for seed in seeds])
    finite = (means(step) - means(-step)) / (2 * step)
    params[key] = original
    params.update()
    return np.array(replay), np.array(forward), finite


def standard_error(x):
    return x.std(ddof=1) / np.sqrt(len(x))


@pytest.mark.parametrize('spp, seeds', [(256, 8), pytest.param(1024, 16, marks=pytest.mark.slow)],
                         ids=['fast', 'thorough'])
@pytest.mark.parametrize('case', RENDER_CASES)
def test_rough_material_render_derivatives_match_finite_differences(case, spp, seeds):
    """Path replay differentiates f / detached pdf at the sampled directions;
    finite differences compare two renders whose microfacet normals were
    drawn from distributions of different roughness. Both are unbiased
    estimates of one derivative with different noise, so they are compared
    as such: means over seeds, within four combined standard errors and 2 %."""
    material, key = RENDER_CASES[case]
    replay, forward, finite = render_derivatives(plane_scene(material), key, spp, list(range(1, seeds + 1)), 0.02)
    # Forward and reverse mode replay the same paths: the same estimate.
    assert forward[0] == pytest.approx(replay[0], rel=1e-3, abs=1e-6)
    error_replay, error_finite = standard_error(replay), standard_error(finite)
    # Clearly non-zero, and each estimate far from its noise.
    assert abs(finite.mean()) > 8 * error_finite and abs(replay.mean()) > 8 * error_replay, (replay, finite)
    tolerance = 4 * np.hypot(error_replay, error_finite) + 0.02 * abs(finite.mean())
    assert abs(replay.mean() - finite.mean()) < tolerance, (replay.mean(), error_replay, finite.mean(), error_finite)

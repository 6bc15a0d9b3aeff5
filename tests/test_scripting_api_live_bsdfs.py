"""``si.bsdf()`` through the registry of live BSDFs (renderer/bsdf.py): each lane's
BSDF found by the id its interaction carries and called through ``dr.switch``,
with derivatives; ids of BSDFs that died reach nothing; the scene's own
integrators keep their kernels whatever other scenes are alive."""
import gc
import math

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import scene_xml
from tutorial_kit.renderer.bsdf import LIVE_BSDFS

ROUGH = '<float name="alpha" value="0.3"/>'
BSDFS = {
    'diffuse': '<bsdf type="diffuse"><rgb name="reflectance" value="0.7, 0.4, 0.2"/></bsdf>',
    'checkerboard': '''<bsdf type="diffuse"><texture type="checkerboard" name="reflectance">
        <rgb name="color0" value="0.9, 0.1, 0.1"/></texture></bsdf>''',
    'bitmap': '''<bsdf type="diffuse"><texture type="bitmap" name="reflectance">
        <string name="filename" value="{folder}/texture.exr"/></texture></bsdf>''',
    'conductor': '<bsdf type="conductor"/>',
    'roughconductor': f'<bsdf type="roughconductor">{ROUGH}</bsdf>',
    'dielectric': '<bsdf type="dielectric"/>',
    'roughdielectric': f'<bsdf type="roughdielectric">{ROUGH}</bsdf>',
    'thindielectric': '<bsdf type="thindielectric"/>',
    'plastic': '<bsdf type="plastic"/>',
    'roughplastic': f'<bsdf type="roughplastic">{ROUGH}</bsdf>',
    'twosided': '<bsdf type="twosided"><bsdf type="roughconductor"/></bsdf>',
}


@pytest.fixture(autouse=True)
def collect_dead_scenes():
    """Scenes hold reference cycles, so that a dropped one lives on until the
    garbage collector runs; ``si.bsdf()`` would trace its BSDFs too."""
    gc.collect()


def floor_scene(bsdf, width=16):
    """A 2 x 2 floor at z = 0 facing +z with the BSDF ``bsdf`` (XML)."""
    return tk.load_string(scene_xml(f'<shape type="rectangle" id="floor">{bsdf}</shape>',
                                    width=width, height=width))


def oblique_hits(scene, count=64, seed=0):
    """``count`` hits on the floor of ``floor_scene``, seen from above at varied angles."""
    rng = np.random.default_rng(seed)
    target = tk.Point3f(*(tk.Float(v) for v in rng.uniform(-0.9, 0.9, (2, count))), 0)
    origin = tk.Point3f(*(tk.Float(v) for v in rng.uniform(-3, 3, (2, count))), 2)
    return scene.ray_intersect(tk.Ray3f(origin, dr.normalize(target - origin)))


@pytest.mark.parametrize('mode', ['symbolic', 'evaluated'])
@pytest.mark.parametrize('name', sorted(BSDFS))
def test_every_builtin_bsdf_through_si_bsdf_is_the_bsdf(tmp_path, name, mode):
    tk.write_bitmap(str(tmp_path / 'texture.exr'),
                    np.random.default_rng(1).random((4, 4, 3)).astype(np.float32))
    scene = floor_scene(BSDFS[name].format(folder=tmp_path))
    own = scene.shapes()[0].bsdf()
    si = oblique_hits(scene)
    assert bool(dr.all(si.is_valid()))
    ctx = tk.BSDFContext()
    rng = np.random.default_rng(3)
    wo = dr.normalize(tk.Vector3f(*(tk.Float(v) for v in rng.normal(size=(3, 64)))))
    sample1 = tk.Float(rng.uniform(size=64))
    sample2 = tk.Point2f(*(tk.Float(v) for v in rng.uniform(size=(2, 64))))
    with dr.scoped_set_flag(dr.JitFlag.SymbolicCalls, mode == 'symbolic'):
        ptr = si.bsdf()
        value, pdf = ptr.eval_pdf(ctx, si, wo)
        results = [ptr.eval(ctx, si, wo), ptr.pdf(ctx, si, wo), value, pdf,
                   *ptr.sample(ctx, si, sample1, sample2), ptr.flags()]
    value, pdf = own.eval_pdf(ctx, si, wo)
    expected = [own.eval(ctx, si, wo), own.pdf(ctx, si, wo), value, pdf,
                *own.sample(ctx, si, sample1, sample2), tk.UInt32(int(own.flags()))]
    bs, bs_expected = results[4], expected[4]
    results[4:5] = [bs.wo, bs.pdf, bs.eta, bs.sampled_type]
    expected[4:5] = [bs_expected.wo, bs_expected.pdf, bs_expected.eta, bs_expected.sampled_type]
    dr.eval(results, expected)                          # one kernel
    # Smooth lobes have a value to evaluate, Dirac lobes a sample weight.
    assert any(np.any(np.asarray(r.numpy()) != 0) for r in (results[0], results[8]))
    for got, want in zip(results, expected):
        want = np.broadcast_to(np.asarray(want.numpy()), np.asarray(got.numpy()).shape)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_si_bsdf_differentiates_the_reflectance_forward_and_reverse():
    grey = '<bsdf type="diffuse" id="grey"><rgb name="reflectance" value="0.5"/></bsdf>'
    scene = tk.load_string(scene_xml(f'''<shape type="rectangle"><transform name="to_world">
        <translate x="-1.5"/></transform>{grey}</shape>
        <shape type="rectangle"><transform name="to_world"><translate x="1.5"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.2"/></bsdf></shape>'''))
    params = tk.traverse(scene)
    key = 'grey.reflectance.value'
    dr.enable_grad(params[key])
    params.update()
    x = tk.Float(-1.5, -1.2, 1.5, 5.0)       # grey, grey, the other square, nothing
    si = scene.ray_intersect(tk.Ray3f(tk.Point3f(x, 0, 2), tk.Vector3f(0, 0, -1)))
    wo = tk.Vector3f(0.6, 0, 0.8)
    value = si.bsdf().eval(tk.BSDFContext(), si, wo)
    # d(rho cos / pi) / d rho = cos / pi on the grey square's lanes, zero elsewhere.
    dr.forward(params[key], dr.ADFlag.ClearEdges)
    expected = np.array([0.8 / math.pi] * 2 + [0, 0])
    assert np.allclose(dr.grad(value).numpy(), np.tile(expected, (3, 1)), rtol=1e-5)
    dr.clear_grad(params[key])
    value = si.bsdf().eval(tk.BSDFContext(), si, wo)
    dr.backward(dr.sum(value.x + 2 * value.y + 3 * value.z))
    assert np.allclose(dr.grad(params[key]).numpy().ravel(), np.array([1, 2, 3]) * 1.6 / math.pi, rtol=1e-5)


def test_ids_of_dead_bsdfs_reach_nothing():
    gc.collect()
    scene = floor_scene(BSDFS['diffuse'])
    alive = len(LIVE_BSDFS)
    si = oblique_hits(scene, count=4)
    assert bool(dr.all(si.bsdf_id > 0))
    wo = tk.Vector3f(0, 0, 1)
    assert np.allclose(si.bsdf().eval(tk.BSDFContext(), si, wo).x.numpy(), 0.7 / math.pi, rtol=1e-5)
    del scene
    gc.collect()
    # The registry held the BSDF weakly: it died with its scene.
    assert len(LIVE_BSDFS) == alive - 1
    assert np.array_equal(si.bsdf().eval(tk.BSDFContext(), si, wo).numpy(), np.zeros((3, 4)))
    stray = dr.zeros(tk.SurfaceInteraction3f, 2)
    stray.bsdf_id = tk.UInt32(10 ** 6, 0)     # never given, and none
    assert np.array_equal(stray.bsdf().pdf(tk.BSDFContext(), stray, wo).numpy(), [0, 0])


def test_a_scene_numbers_each_bsdf_once():
    scene = floor_scene(BSDFS['diffuse'])
    ids = scene.shape_bsdf_id.numpy().tolist()
    params = tk.traverse(scene)
    params['floor.vertex_positions'] = params['floor.vertex_positions'] * 2
    params.update()                                 # indexes the shapes again
    assert scene.shape_bsdf_id.numpy().tolist() == ids
    assert LIVE_BSDFS.id_of(scene.shapes()[0].bsdf()) == ids[0]


def kernels_of(render):
    """The hashes of the kernels that ``render()`` launches, in order."""
    dr.eval()
    dr.set_flag(dr.JitFlag.KernelHistory, True)
    try:
        dr.kernel_history()
        image = render()
        dr.eval(image)
        return [entry['hash'] for entry in dr.kernel_history() if 'hash' in entry]
    finally:
        dr.set_flag(dr.JitFlag.KernelHistory, False)


def test_our_integrators_compile_the_same_kernels_whatever_else_is_alive():
    scene = floor_scene(BSDFS['plastic'], width=8)
    before = kernels_of(lambda: tk.render(scene, spp=2, seed=1))
    others = [floor_scene(BSDFS[name]) for name in ('conductor', 'roughplastic', 'diffuse')]
    after = kernels_of(lambda: tk.render(scene, spp=2, seed=1))
    assert before and after == before
    # A kernel that calls si.bsdf() considers every live BSDF: it changes with them.
    hits = oblique_hits(scene, count=8)
    dr.eval(hits)

    def through_si_bsdf():
        return hits.bsdf().eval(tk.BSDFContext(), hits, tk.Vector3f(0, 0, 1))
    with_others = kernels_of(through_si_bsdf)
    others.clear()
    gc.collect()
    assert kernels_of(through_si_bsdf) != with_others


def test_a_dropped_scene_is_freed_and_its_derivatives_stay_out_of_later_ones():
    """Records find their scene through the last one used, held weakly: a scene the
    user dropped after a path-replay derivative does not stay alive, so its BSDF
    (whose parameter's derivative graph remains) is not among the BSDFs that a
    later ``si.bsdf()`` calls, and a forward-mode derivative there works."""
    import gc
    import weakref
    first = tk.load_string(scene_xml('<shape type="rectangle" id="floor"><bsdf type="diffuse" id="paint">'
                                     '<rgb name="reflectance" value="0.3"/></bsdf></shape>'
                                     '<emitter type="constant"/>', width=8, height=8))
    params = tk.traverse(first)
    dr.enable_grad(params['paint.reflectance.value'])
    image = tk.render(first, params, spp=2, seed=1)
    dr.backward(dr.mean(image, axis=None))
    pi = first.ray_intersect_preliminary(tk.Ray3f(tk.Point3f(0, 0, 2), tk.Vector3f(0, 0, -1)))
    alive = weakref.ref(first)
    del first, params, image, pi
    gc.collect()
    assert alive() is None

    grey = '<bsdf type="diffuse" id="grey"><rgb name="reflectance" value="0.5"/></bsdf>'
    scene = tk.load_string(scene_xml(f'<shape type="rectangle">{grey}</shape>'))
    params = tk.traverse(scene)
    dr.enable_grad(params['grey.reflectance.value'])
    params.update()
    si = scene.ray_intersect(tk.Ray3f(tk.Point3f(tk.Float(0, 5), 0, 2), tk.Vector3f(0, 0, -1)))
    value = si.bsdf().eval(tk.BSDFContext(), si, tk.Vector3f(0.6, 0, 0.8))
    dr.forward(params['grey.reflectance.value'], dr.ADFlag.ClearEdges)
    assert np.allclose(dr.grad(value).numpy()[:, 0], 0.8 / math.pi, rtol=1e-5)

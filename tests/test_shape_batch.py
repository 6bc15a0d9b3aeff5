"""Many analytic shapes of one kind, intersected together (renderer/shape_batch.py).

- Loading and rendering N spheres (with their own BSDFs, some of them lights)
  launches the same kernels, of the same sizes, whatever N.
- A batch gives the image, the hits and the derivatives that its shapes give
  one by one; moving one of its shapes through a ParameterMap moves it.
- The hierarchy over boxes finds the nearest primitive (against brute force).
"""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer import shape_batch
from tutorial_kit.renderer.box_bvh import BoxBVH
from tutorial_kit.renderer.emitter_batch import AreaLightBatch
from tutorial_kit.renderer.shape_batch import ShapeBatch
from helpers import scene_xml
import test_analytic_shapes

T = tk.Transform4f


def many_spheres_xml(count, width=16, kinds=('sphere',)):
    """``count`` small analytic shapes (``kinds`` in turn) on a grid above a floor, each
    with a diffuse BSDF of its own colour; every fourth an area light; the fourth flipped."""
    side = int(np.ceil(np.sqrt(count)))
    shapes = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        flip = '<boolean name="flip_normals" value="true"/>' if i == 3 else ''
        light = (f'<emitter type="area"><rgb name="radiance" value="{1 + i % 3}, {1 + i % 5}, 2"/></emitter>'
                 if i % 4 == 0 else '')
        placement = '<translate z="-0.5"/>' if kind == 'cylinder' else ''
        shapes.append(f'<shape type="{kind}">{flip}<transform name="to_world">{placement}<scale value="0.4"/>'
                      f'<translate value="{i % side - side / 2}, {i // side - side / 2}, 0.5"/></transform>'
                      f'<bsdf type="diffuse"><rgb name="reflectance" value="{(i % 7) / 7:.3f}, 0.5, 0.5"/></bsdf>'
                      f'{light}</shape>')
    floor = ('<shape type="rectangle"><transform name="to_world"><scale value="20"/></transform>'
             '<bsdf type="diffuse"/></shape>')
    return scene_xml('<emitter type="constant"><rgb name="radiance" value="0.2"/></emitter>' + floor
                     + ''.join(shapes), width=width, height=width, origin=(0, -1.5 * side, 2.5 * side), fov=60)


def kernels_of(make):
    """The JIT kernels ``make()`` launched, each as (inputs, outputs, operations), sorted."""
    dr.sync_thread()
    with dr.scoped_set_flag(dr.JitFlag.KernelHistory, True):
        dr.kernel_history()
        make()
        dr.sync_thread()
        history = dr.kernel_history()
    return sorted((k['input_count'], k['output_count'], k['operation_count'])
                  for k in history if k['type'] == dr.KernelType.JIT)


def sphere_keys(params):
    """The keys of the spheres' to_world in ``params``, in the file's order."""
    return [k for k in params.keys() if k.startswith('Sphere') and k.endswith('.to_world')]


def one_by_one(monkeypatch):
    """Intersect every analytic shape on its own, as before batches existed."""
    monkeypatch.setattr(shape_batch, 'MIN_BATCH', 10 ** 9)


def test_many_spheres_launch_the_same_kernels_whatever_their_count():
    """Before, each sphere's test was written into the kernels: their number of
    inputs and operations grew with the count (and a thousand spheres took
    minutes to compile)."""
    def load_and_render(count):
        scene = tk.load_string(many_spheres_xml(count))
        dr.eval(tk.render(scene, spp=1, seed=1))
    load_and_render(20)                              # first use: compiles, fills caches
    small = kernels_of(lambda: load_and_render(21))
    large = kernels_of(lambda: load_and_render(43))
    assert small == large
    assert len(small) < 40


def test_shapes_of_one_kind_and_settings_form_a_batch_and_their_lights_another():
    scene = tk.load_string(many_spheres_xml(27, kinds=('sphere', 'disk', 'cylinder')))
    assert sorted((type(b.members[0]).__name__, len(b.members)) for b in scene.shape_batches) == [
        ('Cylinder', 9), ('Disk', 9), ('Sphere', 8)]
    # The flipped sphere (shape 4, after the floor) differs in its settings: on its own.
    assert [index for index, _ in scene.analytic_alone] == [4]
    assert len(scene.shapes()) == 28
    assert len([k for k in tk.traverse(scene).keys() if k.endswith('.to_world') and 'Camera' not in k]) == 27
    # Lights on shapes 1, 5, 9, ...: three spheres, two disks, two cylinders.
    lights = [c for c in scene.emitter_callees if isinstance(c, AreaLightBatch)]
    assert sorted(len(b.members) for b in lights) == [2, 2, 3]
    for batch in lights:
        assert all(m.shape in batch.shape_batch.members for m in batch.members)


@pytest.mark.parametrize('integrator', ['path', 'direct'])
def test_a_batch_renders_the_image_of_its_shapes_one_by_one(monkeypatch, integrator):
    xml = many_spheres_xml(27, kinds=('sphere', 'disk', 'cylinder')).replace(
        '<sensor', f'<integrator type="{integrator}"/><sensor')

    def image():
        return tk.render(tk.load_string(xml), spp=4, seed=3).numpy()
    batched = image()
    one_by_one(monkeypatch)
    assert not tk.load_string(xml).shape_batches
    separate = image()
    assert batched.mean() > 0.05
    np.testing.assert_allclose(batched, separate, rtol=1e-4, atol=1e-5)


def random_rays(count, seed=0, spread=6):
    rng = np.random.default_rng(seed)
    origins = rng.uniform(-spread, spread, (count, 3)) + [0, 0, 3]
    directions = rng.uniform(-2, 2, (count, 3)) - origins
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    o, d = (np.ascontiguousarray(a.T, dtype=np.float32) for a in (origins, directions))
    return Ray3f(tk.Array3f(*o), tk.Array3f(*d))


def test_hits_of_a_batch_are_the_hits_one_by_one(monkeypatch):
    """ray_intersect, ray_test and the preliminary hit's surface interaction give,
    field by field, what the shapes give one by one."""
    xml = many_spheres_xml(30, kinds=('sphere', 'disk', 'cylinder'))
    ray = random_rays(4000)

    def hits():
        scene = tk.load_string(xml)
        si = scene.ray_intersect(ray)
        pi = scene.ray_intersect_preliminary(ray)
        again = pi.compute_surface_interaction(ray)
        short = Ray3f(ray.o, ray.d, tk.Float(4.0))
        fields = {name: np.array(getattr(si, name)) for name in ('t', 'p', 'n', 'uv', 'dp_du', 'shape')}
        fields.update(again_t=np.array(again.t), again_shape=np.array(again.shape),
                      again_n=np.array(again.n), blocked=scene.ray_test(short).numpy(),
                      bsdf=np.array(si.bsdf_id), shape_bsdf=scene.shape_bsdf_id.numpy())
        return fields, len(scene.shape_batches)
    batched, batches = hits()
    one_by_one(monkeypatch)
    separate, none = hits()
    assert (batches, none) == (3, 0)
    hit = np.isfinite(separate['t'])
    assert hit.mean() > 0.2 and (separate['shape'][hit] > 0).mean() > 0.2     # shape 0: the floor
    assert np.array_equal(np.isfinite(batched['t']), hit)
    assert np.array_equal(batched['shape'][hit], separate['shape'][hit])
    for fields in (batched, separate):        # each hit's BSDF is its shape's
        assert np.array_equal(fields['bsdf'][hit], fields['shape_bsdf'][fields['shape'][hit]])
    assert np.array_equal(batched['blocked'], separate['blocked']) and 0.05 < separate['blocked'].mean() < 0.95
    for name in ('t', 'p', 'n', 'uv', 'dp_du', 'again_t', 'again_n'):
        np.testing.assert_allclose(batched[name][..., hit], separate[name][..., hit], rtol=1e-5, atol=1e-5,
                                   err_msg=name)
    np.testing.assert_array_equal(batched['again_shape'][hit], batched['shape'][hit])


def test_moving_a_batched_sphere_moves_it_and_its_derivative_reaches_it(monkeypatch):
    xml = many_spheres_xml(12)

    def render_and_gradient():
        scene = tk.load_string(xml)
        params = tk.traverse(scene)
        key = sphere_keys(params)[5]
        # Moved: the sphere leaves its place in the image.
        params[key] = T().translate([0.3, 0.2, 0.6]).scale(0.5)
        params.update()
        moved = tk.render(scene, spp=4, seed=2).numpy()
        offset = tk.Float(0.0)
        dr.enable_grad(offset)
        params[key] = T().translate([offset, 0.2, 0.6]).scale(0.5)
        params.update()
        loss = dr.mean(tk.render(scene, params, spp=4, seed=2, unbiased=False).array)
        dr.forward(offset)
        return moved, dr.grad(loss)[0], len(scene.shape_batches)
    moved, gradient, batches = render_and_gradient()
    one_by_one(monkeypatch)
    moved_alone, gradient_alone, none = render_and_gradient()
    assert (batches, none) == (1, 0)
    np.testing.assert_allclose(moved, moved_alone, rtol=1e-4, atol=1e-5)
    assert gradient != 0 and gradient == pytest.approx(gradient_alone, rel=1e-3)


def test_a_batched_sphere_assigned_a_new_place_renders_there():
    scene = tk.load_string(many_spheres_xml(9))
    params = tk.traverse(scene)
    before = tk.render(scene, spp=4, seed=1).numpy()
    key = sphere_keys(params)[0]
    params[key] = T().translate([100, 0, 0])          # out of sight
    params.update()
    after = tk.render(scene, spp=4, seed=1).numpy()
    assert np.abs(after - before).max() > 0.05
    assert scene.bbox().max[0] > 99


@pytest.mark.mitsuba
def test_batched_hits_as_mitsuba_computes_them(monkeypatch):
    """Mitsuba 3's hits of transformed analytic shapes, with every shape in a batch."""
    monkeypatch.setattr(shape_batch, 'MIN_BATCH', 1)
    test_analytic_shapes.test_hits_as_mitsuba_computes_them()


@pytest.mark.mitsuba
def test_batched_sphere_lights_sample_as_mitsuba(monkeypatch):
    """Emitter sampling of a batch of sphere lights gives Mitsuba 3's samples."""
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    lamps = {f'lamp{k}': {'type': 'sphere', 'center': [0.5 + k, 2, 2.5], 'radius': 0.3 + 0.1 * k,
                          'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': [10, 5 + k, 2]}}}
             for k in range(3)}
    monkeypatch.setattr(shape_batch, 'MIN_BATCH', 2)
    u = np.random.default_rng(0).random((2, 20_000)).astype(np.float32)
    results = []
    for module, point, normal, array2 in ((tk, tk.Array3f, tk.Array3f, tk.Array2f),
                                          (mi, mi.Point3f, mi.Normal3f, mi.Point2f)):
        it = dr.zeros(module.Interaction3f, u.shape[1])
        it.p, it.n = point(0.1, 0.2, 0.0), normal(0, 0, 1)
        scene = module.load_dict({'type': 'scene', **lamps})
        if module is tk:
            assert any(isinstance(c, AreaLightBatch) for c in scene.emitter_callees)
        ds, weight = scene.sample_emitter_direction(it, array2(*u), False)
        results.append([np.array(value, np.float64).reshape(-1, u.shape[1]) for value in
                        (ds.p, ds.d, ds.pdf, ds.dist, weight)])
    assert np.all(results[0][-1] > 0)
    for ours, theirs, name in zip(*results, ('p', 'd', 'pdf', 'dist', 'weight')):
        assert np.allclose(ours, theirs, rtol=1e-3, atol=1e-4), name


# -- the hierarchy over boxes ---------------------------------------------------------------

def test_box_bvh_finds_the_nearest_primitive_as_brute_force():
    """Spheres given by their boxes, tested at the leaves by the caller's test."""
    rng = np.random.default_rng(4)
    centers = rng.uniform(-5, 5, (300, 3)).astype(np.float32)
    radii = rng.uniform(0.1, 0.6, 300).astype(np.float32)
    bvh = BoxBVH(centers - radii[:, None], centers + radii[:, None])
    c = [bk.Float(centers[:, k]) for k in range(3)]
    r = bk.Float(radii)

    def sphere_test(prim, o, d, t, todo):
        center = bk.Array3f(*(dr.gather(bk.Float, ck, prim, todo) for ck in c))
        radius = dr.gather(bk.Float, r, prim, todo)
        oc = o - center
        b = dr.dot(oc, d)
        disc = dr.square(b) - (dr.squared_norm(oc) - dr.square(radius))
        t_hit = -b - dr.safe_sqrt(disc)
        return todo & (disc >= 0) & (t_hit > 0) & (t_hit < t), t_hit
    ray = random_rays(3000, seed=2, spread=8)
    t, prim = bvh.intersect(ray.o, ray.d, dr.inf, sphere_test)
    blocked = bvh.occluded(ray.o, ray.d, 6.0, sphere_test)
    o, d = np.array(ray.o).T.astype(np.float64), np.array(ray.d).T.astype(np.float64)
    oc = o[:, None, :] - centers[None]
    b = np.einsum('rsk,rk->rs', oc, d)
    disc = b ** 2 - (np.einsum('rsk,rsk->rs', oc, oc) - radii[None] ** 2)
    t_all = np.where(disc >= 0, -b - np.sqrt(np.maximum(disc, 0)), np.inf)
    t_all = np.where(t_all > 0, t_all, np.inf)
    nearest = t_all.min(axis=1)
    hit = np.isfinite(nearest)
    assert 0.2 < hit.mean() < 0.95
    assert np.array_equal(np.isfinite(t.numpy()), hit)
    np.testing.assert_allclose(t.numpy()[hit], nearest[hit], rtol=1e-4)
    assert np.array_equal(prim.numpy()[hit], t_all.argmin(axis=1)[hit])
    assert np.array_equal(blocked.numpy(), (t_all < 6.0).any(axis=1))
    assert bvh.primitive_count == 300 and bvh.node_count > 1

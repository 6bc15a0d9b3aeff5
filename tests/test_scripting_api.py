"""Mitsuba 3's scripting API on our classes: rays, interactions, BSDFs, emitters, sensors.

Scripts written for Mitsuba 3 (its tutorials ``scripting_renderer``,
``bsdf_deep_dive``, ``custom_plugin``) run with ``import tutorial_kit as mi``:
these tests do what they do, on scenes of our own, and check the values.
"""
import math

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import registry
from helpers import CBOX_RGB, load_bsdf, scene_xml

#: A floor of 20 x 20 units at z = 0 facing +z, and a wall of 20 x 20 units in
#: the plane x = 0 facing -x, standing on the floor's middle.
FLOOR = '''<shape type="rectangle" id="floor">
    <transform name="to_world"><scale value="10"/></transform>
    <bsdf type="diffuse"><rgb name="reflectance" value="0.5, 0.5, 0.5"/></bsdf>
</shape>'''
WALL = '''<shape type="rectangle" id="wall">
    <transform name="to_world"><scale value="10"/><rotate y="1" angle="-90"/>
        <translate z="10"/></transform>
</shape>'''


def rows(vectors):
    """An Array3f (or Color3f) as a NumPy array of shape (lanes, 3)."""
    return np.asarray(vectors.numpy()).T


def down_rays(xs, height=2.0):
    """Rays straight down (-z) from (x, 0.5, height) for each x of ``xs``."""
    x = tk.Float(np.asarray(xs, np.float32))
    width = dr.width(x)
    return tk.Ray3f(o=tk.Point3f(x, dr.full(tk.Float, 0.5, width), dr.full(tk.Float, height, width)),
                    d=tk.Vector3f(0, 0, -1))


@dr.syntax
def ambient_occlusion(scene, si, rng, ray_count, ambient_range):
    """The scripting tutorial's loop: the share of hemisphere directions around
    ``si`` that leave it unblocked for ``ambient_range``; 0 where ``si`` is invalid."""
    result = dr.zeros(tk.Float, dr.width(si.t))
    i = tk.UInt32(0)
    while si.is_valid() & (i < ray_count):
        sample_1, sample_2 = rng.next_float32(), rng.next_float32()
        wo_local = tk.warp.square_to_uniform_hemisphere([sample_1, sample_2])
        wo_world = si.sh_frame.to_world(wo_local)
        ray_2 = si.spawn_ray(wo_world)
        ray_2.maxt = ambient_range
        result[~scene.ray_test(ray_2)] += 1.0
        i += 1
    return result / ray_count


def test_ray_intersect_finds_a_known_plane():
    scene = tk.load_string(scene_xml(FLOOR))
    si = scene.ray_intersect(down_rays([-3.0, 0.0, 4.0, 12.0]))
    assert isinstance(si, tk.SurfaceInteraction3f)
    assert np.array_equal(si.is_valid().numpy(), [True, True, True, False])   # x = 12 misses
    assert np.allclose(si.t.numpy()[:3], 2.0, atol=1e-6)
    assert np.allclose(rows(si.p)[:3], [[-3, 0.5, 0], [0, 0.5, 0], [4, 0.5, 0]], atol=1e-6)
    assert np.allclose(rows(si.n)[:3], [0, 0, 1])
    assert np.allclose(rows(si.sh_frame.n)[:3], [0, 0, 1])
    assert np.allclose(rows(si.wi)[:3], [0, 0, 1], atol=1e-6)        # local: straight back up
    assert np.allclose(rows(si.to_world(si.wi))[:3], [0, 0, 1], atol=1e-6)
    assert math.isinf(si.t.numpy()[3])
    assert np.allclose(rows(si.wi)[3], [0, 0, 1])                    # a miss: -ray.d, world space
    ray = down_rays([0.0])
    ray.maxt = 1.5                                                    # ends above the floor
    assert not scene.ray_intersect(ray).is_valid()[0]
    assert not scene.ray_test(ray)[0]
    assert scene.ray_test(down_rays([0.0]))[0]


def test_interaction_is_a_drjit_record():
    si = dr.zeros(tk.SurfaceInteraction3f, 3)
    assert si.t.numpy().tolist() == [0, 0, 0] and dr.width(si.sh_frame.n) == 3
    assert si.is_valid().numpy().tolist() == [True] * 3           # t = 0, as in Mitsuba 3
    assert np.array_equal(rows(si.bsdf().eval(tk.BSDFContext(), si, tk.Vector3f(0, 0, 1))), np.zeros((3, 3)))
    scene = tk.load_string(scene_xml(FLOOR))
    hit = scene.ray_intersect(down_rays([0.0, 1.0, 30.0]))
    other = scene.ray_intersect(tk.Ray3f(o=tk.Point3f(0, 0, 3), d=tk.Vector3f(0, 0, -1)))
    chosen = dr.select(tk.Bool([True, False, True]), hit, other)
    assert np.allclose(chosen.t.numpy(), [2, 3, math.inf])
    # Each lane names its BSDF by a number, which travels along with the rest.
    floor_id = scene.shape_bsdf_id.numpy()[0]
    assert floor_id > 0 and chosen.bsdf_id.numpy().tolist() == [floor_id, floor_id, 0]


def test_interactions_of_different_scenes_and_zeros_mix():
    red = tk.load_string(scene_xml(FLOOR.replace('0.5, 0.5, 0.5', '0.8, 0.1, 0.1')))
    grey = tk.load_string(scene_xml(FLOOR))
    mask = tk.Bool([True, False, True, False])
    rays = down_rays([0.0, 1.0, 2.0, 3.0])
    mixed = dr.select(mask, red.ray_intersect(rays), grey.ray_intersect(rays))
    value = rows(mixed.bsdf().eval(tk.BSDFContext(), mixed, tk.Vector3f(0, 0, 1)))
    assert np.allclose(value, np.array([[0.8, 0.1, 0.1], [0.5] * 3] * 2) / math.pi, rtol=1e-5)
    cleared = dr.select(mask, dr.zeros(tk.SurfaceInteraction3f, 4), mixed)
    value = rows(cleared.bsdf(rays).eval(tk.BSDFContext(), cleared, tk.Vector3f(0, 0, 1)))
    assert np.allclose(value, np.array([[0] * 3, [0.5] * 3] * 2) / math.pi, rtol=1e-5)
    miss = grey.ray_intersect(down_rays([30.0]))                          # has no BSDF
    assert np.array_equal(rows(miss.bsdf().eval(tk.BSDFContext(), miss, tk.Vector3f(0, 0, 1))), np.zeros((1, 3)))
    # An if statement under @dr.syntax takes interactions whole, detached ones too.
    heights = tk.Float(1, 3, 1, 3)
    grey_hits = grey.ray_intersect(tk.Ray3f(o=tk.Point3f(0, 0, heights), d=tk.Vector3f(0, 0, -1)))
    nearest = nearer(dr.detach(red.ray_intersect(rays), True), grey_hits)     # red ones at t = 2
    value = rows(nearest.bsdf().eval(tk.BSDFContext(), nearest, tk.Vector3f(0, 0, 1)))
    assert np.allclose(value, np.array([[0.5] * 3, [0.8, 0.1, 0.1]] * 2) / math.pi, rtol=1e-5)


@dr.syntax
def nearer(a, b):
    """Per lane, whichever of the interactions ``a`` and ``b`` lies nearer its ray's origin."""
    if a.t < b.t:
        si = a
    else:
        si = b
    return si


def test_spawn_ray_leaves_the_surface():
    scene = tk.load_string(scene_xml(FLOOR))
    si = scene.ray_intersect(down_rays([0.0]))
    up = si.spawn_ray(tk.Vector3f(0.6, 0, 0.8))
    assert up.o.z[0] > 0 and not scene.ray_test(up)[0]
    down = si.spawn_ray(tk.Vector3f(0, 0, -1))
    assert down.o.z[0] < 0 and not scene.ray_intersect(down).is_valid()[0]
    to = si.spawn_ray_to(tk.Point3f(0, 0.5, 3))
    assert abs(to.maxt[0] - 3) < 0.01 and np.allclose(rows(to.d), [[0, 0, 1]], atol=1e-5)


def test_ambient_occlusion_of_an_open_plane_is_one():
    scene = tk.load_string(scene_xml(FLOOR))
    si = scene.ray_intersect(down_rays(np.linspace(-5, 5, 64)))
    ao = ambient_occlusion(scene, si, tk.PCG32(size=64), 64, 0.75)
    assert np.array_equal(ao.numpy(), np.ones(64))


def test_ambient_occlusion_at_the_foot_of_a_wall_is_one_half():
    # Half of the uniform hemisphere around a point at the wall's foot looks
    # into the wall; far from it, the range (0.75) keeps the wall out of reach.
    scene = tk.load_string(scene_xml(FLOOR + WALL))
    si = scene.ray_intersect(down_rays([-1e-3] * 256 + [-5.0] * 4))
    ao = ambient_occlusion(scene, si, tk.PCG32(size=260), 256, 100.0).numpy()
    assert ao[:256].mean() == pytest.approx(0.5, abs=0.01)
    far = ambient_occlusion(scene, si, tk.PCG32(size=260), 64, 0.75).numpy()
    assert np.array_equal(far[256:], np.ones(4))
    misses = scene.ray_intersect(down_rays([30.0]))
    assert ambient_occlusion(scene, misses, tk.PCG32(size=1), 8, 1.0).numpy()[0] == 0


def test_bbox_holds_every_shape():
    scene = tk.load_string(scene_xml(FLOOR + WALL))
    box = scene.bbox()
    assert np.allclose(box.min, [-10, -10, 0]) and np.allclose(box.max, [10, 10, 20], atol=1e-5)
    assert np.allclose(box.center(), [0, 0, 10], atol=1e-5)
    assert np.allclose(box.extents(), [20, 20, 20], atol=1e-5)
    assert box.valid() and box.contains([-1, 0, 1]) and not box.contains([11, 0, 1])
    assert not tk.load_string(scene_xml('')).bbox().valid()


def test_si_bsdf_dispatches_to_each_lanes_bsdf():
    red = '<bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.1, 0.1"/></bsdf>'
    blue = '<bsdf type="diffuse"><rgb name="reflectance" value="0.1, 0.1, 0.8"/></bsdf>'
    scene = tk.load_string(scene_xml(f'''
        <shape type="rectangle"><transform name="to_world"><translate x="-1.5"/></transform>{red}</shape>
        <shape type="rectangle"><transform name="to_world"><translate x="1.5"/></transform>{blue}</shape>'''))
    si = scene.ray_intersect(down_rays([-1.5, 1.5, 5.0]))
    ctx = tk.BSDFContext()
    wo = tk.Vector3f(0, 0, 1)
    value = rows(si.bsdf().eval(ctx, si, wo))
    assert np.allclose(value, [[0.8 / math.pi, 0.1 / math.pi, 0.1 / math.pi],
                               [0.1 / math.pi, 0.1 / math.pi, 0.8 / math.pi], [0, 0, 0]], rtol=1e-5)
    value, pdf = si.bsdf().eval_pdf(ctx, si, wo)
    assert np.allclose(pdf.numpy(), [1 / math.pi, 1 / math.pi, 0], rtol=1e-5)
    bs, weight = si.bsdf().sample(ctx, si, tk.Float(0.5), tk.Point2f(0.3, 0.6))
    assert np.allclose(rows(weight), [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0, 0, 0]], rtol=1e-5)
    assert np.array_equal(bs.sampled_type.numpy(), [int(tk.BSDFFlags.DiffuseReflection)] * 2 + [0])
    assert si.bsdf().flags().numpy()[0] == int(tk.BSDFFlags.DiffuseReflection | tk.BSDFFlags.FrontSide)


def test_emitter_sampling_of_a_lamp_above_a_floor():
    lamp = '''<shape type="rectangle"><transform name="to_world"><rotate x="1" angle="180"/>
        <translate z="2"/></transform><emitter type="area"><rgb name="radiance" value="3, 3, 3"/></emitter>
    </shape>'''
    scene = tk.load_string(scene_xml(FLOOR + lamp))
    ref = dr.zeros(tk.Interaction3f, 4)
    ref.p = tk.Point3f(0, 0, 0.5)
    sample = tk.Point2f(tk.Float(0.1, 0.4, 0.6, 0.9), tk.Float(0.2, 0.7, 0.5, 0.3))
    ds, weight = scene.sample_emitter_direction(ref, sample)
    assert isinstance(ds, tk.DirectionSample3f)
    assert np.allclose(ds.p.z.numpy(), 2) and np.allclose(rows(ds.n), [0, 0, -1], atol=1e-6)
    assert np.allclose(dr.norm(ds.p - ref.p).numpy(), ds.dist.numpy(), rtol=1e-5)
    # Uniform on 4 square units: pdf per solid angle = dist^2 / (A cos).
    cos = ds.d.z.numpy()
    assert np.allclose(ds.pdf.numpy(), ds.dist.numpy() ** 2 / (4 * cos), rtol=1e-4)
    assert np.allclose(weight.x.numpy(), 3 / ds.pdf.numpy(), rtol=1e-4)
    assert np.allclose(scene.pdf_emitter_direction(ref, ds).numpy(), ds.pdf.numpy(), rtol=1e-5)
    # From below the floor, the lamp is hidden.
    ref.p = tk.Point3f(0, 0, -0.5)
    _, hidden = scene.sample_emitter_direction(ref, sample)
    assert np.array_equal(rows(hidden), np.zeros((4, 3)))
    _, unoccluded = scene.sample_emitter_direction(ref, sample, test_visibility=False)
    assert np.all(unoccluded.numpy() > 0)
    # A ray that hits the lamp: si.emitter(scene) gives its radiance towards the ray's origin.
    si = scene.ray_intersect(tk.Ray3f(o=tk.Point3f(0, 0, 0.5), d=tk.Vector3f(0, 0, 1)))
    assert np.allclose(rows(si.emitter(scene).eval(si)), [[3, 3, 3]])
    floor_hit = scene.ray_intersect(down_rays([0.0]))
    assert np.allclose(floor_hit.emitter(scene).eval(floor_hit).numpy(), 0)


def test_sensor_sample_ray_and_film():
    scene = tk.load_string(scene_xml(FLOOR, width=32, height=16))
    sensor = scene.sensors()[0]
    assert sensor.film().size() == (32, 16) and sensor.film().crop_size() == (32, 16)
    ray, weight = sensor.sample_ray(0.0, 0.0, tk.Point2f(0.5, 0.5), tk.Point2f(0.5, 0.5))
    assert isinstance(ray, tk.Ray3f) and np.allclose(weight.numpy(), 1)
    assert np.allclose(rows(ray.d), [[0, 0, -1]], atol=1e-6)       # the centre looks at the target
    assert ray.o.z[0] == pytest.approx(5 - 1e-2, abs=1e-5)            # on the near plane


def test_bsdf_flags_follow_mitsuba():
    assert int(tk.BSDFFlags.Delta) == 97 and int(tk.BSDFFlags.Smooth) == 30
    assert int(tk.BSDFFlags.All) == 511 and int(tk.BSDFFlags.Reflection) == 170
    assert load_bsdf('<bsdf type="dielectric"/>').flags() == (
        tk.BSDFFlags.DeltaReflection | tk.BSDFFlags.DeltaTransmission | tk.BSDFFlags.FrontSide
        | tk.BSDFFlags.BackSide)
    two = load_bsdf('<bsdf type="twosided"><bsdf type="diffuse"/></bsdf>')
    assert two.flags() == tk.BSDFFlags.DiffuseReflection | tk.BSDFFlags.FrontSide | tk.BSDFFlags.BackSide
    assert tk.has_flag(two.flags(), tk.BSDFFlags.BackSide)
    ctx = tk.BSDFContext()
    assert ctx.mode == tk.TransportMode.Radiance and ctx.type_mask == 511 and ctx.component == 0xFFFFFFFF


def test_frame_helpers():
    v = tk.Vector3f(0.6, 0.0, 0.8)
    assert tk.Frame3f.cos_theta(v)[0] == pytest.approx(0.8)
    assert tk.Frame3f.sin_theta(v)[0] == pytest.approx(0.6)
    assert tk.Frame3f.tan_theta(v)[0] == pytest.approx(0.75)
    assert tk.Frame3f.cos_phi(v)[0] == pytest.approx(1) and tk.Frame3f.sin_phi(v)[0] == pytest.approx(0)
    frame = tk.Frame3f(tk.Vector3f(0, 0, 1))
    assert np.allclose(frame.to_world(frame.to_local(v)).numpy(), v.numpy(), atol=1e-6)


# -- a BSDF written in Python, as custom_plugin.ipynb writes one ---------------------------

class TintedMirror(tk.BSDF):
    """A mirror whose reflection is multiplied by ``tint``, in Mitsuba 3's style."""

    def __init__(self, props):
        tk.BSDF.__init__(self, props)
        self.tint = tk.Color3f(*(float(c) for c in props.color('tint')))
        reflection = tk.BSDFFlags.DeltaReflection | tk.BSDFFlags.FrontSide
        self.m_components = [reflection]
        self.m_flags = reflection

    def sample(self, ctx, si, sample1, sample2, active):
        cos_theta_i = tk.Frame3f.cos_theta(si.wi)
        bs = tk.BSDFSample3f()
        bs.wo = tk.reflect(si.wi)
        bs.pdf = dr.select(cos_theta_i > 0, 1.0, 0.0)
        bs.eta = 1.0
        bs.sampled_type = tk.UInt32(+tk.BSDFFlags.DeltaReflection)
        bs.sampled_component = tk.UInt32(0)
        return bs, dr.select(cos_theta_i > 0, self.tint, 0.0)

    def eval(self, ctx, si, wo, active):
        return 0.0

    def pdf(self, ctx, si, wo, active):
        return 0.0

    def eval_pdf(self, ctx, si, wo, active):
        return 0.0, 0.0


@pytest.fixture
def mirror_plugin():
    tk.register_bsdf('tinted_mirror', lambda props: TintedMirror(props))
    yield
    registry.REGISTRY.pop(('bsdf', 'tinted_mirror'))


def mirror_scene(bsdf):
    """A mirror filling the view, under a white sky (radiance 1)."""
    return tk.load_string(scene_xml(f'''<emitter type="constant"/>
        <shape type="rectangle"><transform name="to_world"><scale value="10"/></transform>{bsdf}</shape>
        <shape type="rectangle"><transform name="to_world"><translate x="-0.5" z="0.5"/>
            <scale value="0.4"/></transform><bsdf type="diffuse"/></shape>''', width=24, height=24))


def test_python_bsdf_renders_like_the_builtin_mirror(mirror_plugin):
    tint = '0.2, 0.9, 0.3'
    scene = mirror_scene(f'<bsdf type="tinted_mirror"><rgb name="tint" value="{tint}"/></bsdf>')
    assert scene.shapes()[0].bsdf().flags() == tk.BSDFFlags.DeltaReflection | tk.BSDFFlags.FrontSide
    image = tk.render(scene, spp=8, seed=2).numpy()
    builtin = mirror_scene(f'<bsdf type="conductor"><rgb name="specular_reflectance" value="{tint}"/></bsdf>')
    expected = tk.render(builtin, spp=8, seed=2).numpy()
    assert np.allclose(image, expected, rtol=1e-5, atol=1e-6)
    # Pixels that see only the mirror see the sky, tinted: (0.2, 0.9, 0.3) exactly.
    assert np.allclose(image[0, 0], [0.2, 0.9, 0.3], rtol=1e-5)
    assert np.allclose(image[-1, -1], [0.2, 0.9, 0.3], rtol=1e-5)
    # ... and the small diffuse square with its reflection shows too.
    assert (image[..., 0] > 0.3).sum() > 10


def test_python_bsdf_through_a_bsdf_ptr(mirror_plugin):
    scene = mirror_scene('<bsdf type="tinted_mirror"><rgb name="tint" value="0.5, 0.5, 0.5"/></bsdf>')
    si = scene.ray_intersect(down_rays([3.0, 4.0]))
    ctx = tk.BSDFContext()
    value, pdf = si.bsdf().eval_pdf(ctx, si, tk.Vector3f(0, 0, 1))
    assert rows(value).shape == (2, 3) and np.array_equal(pdf.numpy(), [0, 0])
    bs, weight = si.bsdf().sample(ctx, si, tk.Float(0.5), tk.Point2f(0.5, 0.5))
    assert np.allclose(rows(bs.wo), [[0, 0, 1]] * 2, atol=1e-6) and bool(dr.all(bs.is_delta()))
    assert np.allclose(weight.numpy(), 0.5)


def test_ray_queries_take_mitsubas_longer_forms():
    """ray_intersect(ray, ray_flags, coherent[, active]) and ray_test(ray, coherent, active),
    as Mitsuba 3's integrators call them, give what the short forms give; a mask
    in the last place still masks."""
    scene = tk.load_file(CBOX_RGB)
    ray, _ = scene.sensors()[0].sample_ray(0.0, 0.0, tk.Point2f(tk.Float(0.2, 0.5, 0.8), 0.5),
                                           tk.Point2f(0.5, 0.5))
    short = scene.ray_intersect(ray)
    assert dr.all(short.is_valid())                     # three rays into the box
    for si in (scene.ray_intersect(ray, tk.RayFlags.All, True),
               scene.ray_intersect(ray, tk.RayFlags.All, True, True),
               scene.ray_intersect(ray, ray_flags=tk.RayFlags.All, coherent=False),
               scene.ray_intersect(ray, tk.RayFlags.All, True, False, 0, 0, True)):
        np.testing.assert_array_equal(np.array(si.t), np.array(short.t))
    masked = scene.ray_intersect(ray, tk.RayFlags.All, True, tk.Bool(True, False, True))
    assert list(np.array(masked.is_valid())) == [True, False, True]
    assert list(np.array(scene.ray_test(ray, True, tk.Bool(False, True, True)))) == [False, True, True]
    with pytest.raises(TypeError, match='arguments'):
        scene.ray_test(ray, True, True, True)


def test_shapes_emitters_and_bsdfs_by_index():
    # pi.shape stays an index (Mitsuba 3's integrators reinterpret it as one to
    # reorder threads); the scene answers what a shape pointer would.
    scene = tk.load_dict(tk.cornell_box())
    sensor = scene.sensors()[0]
    sampler = sensor.sampler().clone()
    sampler.seed(0, 64 * 64)
    ray, _ = sensor.sample_ray(0, sampler.next_1d(), sampler.next_2d(), sampler.next_2d())
    pi = scene.ray_intersect_preliminary(ray)
    assert isinstance(dr.reinterpret_array(tk.UInt32, pi.shape), tk.UInt32)
    on_lamp = scene.shape_emitter_ptr(pi.shape, pi.is_valid()) != None  # noqa: E711
    si = pi.compute_surface_interaction(ray)
    assert dr.all(on_lamp == (si.is_valid() & scene.is_emitter(si)))
    assert 0 < dr.count(on_lamp)[0] < dr.width(on_lamp)
    value = scene.shape_bsdf_ptr(pi.shape, pi.is_valid()).eval(tk.BSDFContext(), si, si.wi)
    assert dr.allclose(value, scene.bsdf_ptr(si).eval(tk.BSDFContext(), si, si.wi))
    assert dr.all((si.emitter(scene) == None) | on_lamp | ~si.is_valid())  # noqa: E711

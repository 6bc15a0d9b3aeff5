"""Analytic shapes (sphere, disk, cylinder): hits, sampling, parameters, derivatives.

Hits are checked against values worked out by hand, sampling by its
statistics (uniform by area; chi-square for the sphere's cone sampling),
derivatives through ``to_world`` against finite differences, and whole
images against Mitsuba 3 (marked ``mitsuba``).
"""
import math
import warnings

import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer.interaction import DirectionSample3f, Interaction3f
from tests.chi2 import chi2_test
from tests.helpers import scene_xml

T = tk.ScalarTransform4f
TWO_PI = 2 * math.pi


def load(**shapes):
    return tk.load_dict({'type': 'scene', **shapes})


def trace(scene, origins, directions, maxt=None):
    o = tk.Array3f(*np.asarray(origins, np.float32).T)
    d = dr.normalize(tk.Array3f(*np.asarray(directions, np.float32).T))
    ray = Ray3f(o, d) if maxt is None else Ray3f(o, d, maxt)
    return scene.ray_intersect(ray), scene.ray_test(ray)


def rows(value):
    """A Dr.Jit vector as a NumPy array with one row per lane."""
    return np.asarray(value, np.float64).T


# -- hits worked out by hand -----------------------------------------------------------------

def test_sphere_hits():
    scene = load(ball={'type': 'sphere', 'center': [1, 2, 3], 'radius': 2})
    si, blocked = trace(scene, [[10, 2, 3], [1, 10, 3], [1, 2, 10], [1, 2, 3], [10, 10, 10]],
                        [[-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 0, 0], [1, 0, 0]])
    assert np.allclose(si.t.numpy()[:4], [7, 6, 5, 2], atol=1e-5)
    assert np.isinf(si.t.numpy()[4]) and list(blocked.numpy()) == [True] * 4 + [False]
    assert np.allclose(rows(si.p)[:4], [[3, 2, 3], [1, 4, 3], [1, 2, 5], [3, 2, 3]], atol=1e-5)
    assert np.allclose(rows(si.n)[:4], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], atol=1e-5)
    # u = phi / 2 pi from +x about z, v = theta / pi from +z.
    assert np.allclose(rows(si.uv)[:4], [[0, 0.5], [0.25, 0.5], [0, 0], [0, 0.5]], atol=1e-5)
    # dp/du = 2 pi r (-sin phi, cos phi, 0) on the equator.
    assert np.allclose(rows(si.dp_du)[:2], [[0, 4 * math.pi, 0], [-4 * math.pi, 0, 0]], atol=1e-4)
    wi_z = si.wi.z.numpy()
    assert np.allclose(wi_z[:3], 1, atol=1e-5) and wi_z[3] == pytest.approx(-1, abs=1e-5)   # from inside


def test_flipped_sphere_faces_inwards():
    scene = load(ball={'type': 'sphere', 'radius': 2, 'flip_normals': True})
    si, _ = trace(scene, [[5, 0, 0]], [[-1, 0, 0]])
    assert np.allclose(rows(si.n), [[-1, 0, 0]], atol=1e-5) and si.wi.z.numpy()[0] < 0


def test_disk_hits():
    scene = load(plate={'type': 'disk', 'to_world': T().translate([0, 0, 1]).scale(2)})
    si, blocked = trace(scene, [[1, 0, 5], [0, -1, 5], [2.5, 0, 5], [1, 0, -5]],
                        [[0, 0, -1], [0, 0, -1], [0, 0, -1], [0, 0, 1]])
    assert np.allclose(si.t.numpy()[[0, 1, 3]], [4, 4, 6], atol=1e-5) and np.isinf(si.t.numpy()[2])
    assert list(blocked.numpy()) == [True, True, False, True]
    assert np.allclose(rows(si.n)[[0, 1, 3]], [0, 0, 1], atol=1e-6)
    # u = r (in object space), v = phi / 2 pi.
    assert np.allclose(rows(si.uv)[[0, 1]], [[0.5, 0], [0.5, 0.75]], atol=1e-5)
    assert np.allclose(rows(si.dp_du)[[0, 1]], [[2, 0, 0], [0, -2, 0]], atol=1e-5)
    assert si.wi.z.numpy()[3] == pytest.approx(-1)                       # seen from below
    flipped = load(plate={'type': 'disk', 'flip_normals': True})
    si, _ = trace(flipped, [[0.2, 0, 5]], [[0, 0, -1]])
    assert np.allclose(rows(si.n), [[0, 0, -1]], atol=1e-6)


def test_cylinder_hits():
    scene = load(tube={'type': 'cylinder', 'p0': [0, 0, 0], 'p1': [0, 0, 2], 'radius': 0.5})
    si, blocked = trace(scene, [[3, 0, 1], [0, 3, 1.5], [0, 0, 1], [0, 0, 5], [3, 0, 2.5]],
                        [[-1, 0, 0], [0, -1, 0], [1, 0, 0], [0, 0, -1], [-1, 0, 0]])
    t = si.t.numpy()
    assert np.allclose(t[:3], [2.5, 2.5, 0.5], atol=1e-5)
    # Open ends: down the axis, or past the top, nothing is hit.
    assert np.isinf(t[3]) and np.isinf(t[4]) and list(blocked.numpy()) == [True] * 3 + [False] * 2
    assert np.allclose(rows(si.n)[:3], [[1, 0, 0], [0, 1, 0], [1, 0, 0]], atol=1e-5)
    # u = phi / 2 pi around the axis, v = the fraction of the length.
    assert np.allclose(rows(si.uv)[:3], [[0, 0.5], [0.25, 0.75], [0, 0.5]], atol=1e-5)
    assert np.allclose(rows(si.dp_du)[:2], [[0, math.pi, 0], [-math.pi, 0, 0]], atol=1e-4)
    assert si.wi.z.numpy()[2] < 0                                         # the inside is the back


def test_nearest_of_meshes_and_analytic_shapes_wins():
    scene = load(wall={'type': 'rectangle', 'to_world': T().translate([0, 0, 1])},
                 ball={'type': 'sphere', 'center': [0, 0, -1], 'radius': 0.5},
                 plate={'type': 'disk', 'to_world': T().translate([0, 0, 3]).scale(0.5)})
    si, _ = trace(scene, [[0, 0, 5], [0, 0, 2], [0, 0, 0.5], [0.8, 0, 5]],
                  [[0, 0, -1], [0, 0, -1], [0, 0, -1], [0, 0, -1]])
    assert list(si.shape.numpy()) == [2, 0, 1, 0]       # plate, wall, ball, wall: one numbering
    assert np.allclose(si.t.numpy(), [2, 1, 1, 4], atol=1e-5)
    shapes = scene.shapes()
    bsdfs = scene.bsdf_ptr(si)
    # Each lane reaches its shape's BSDF (alone, or in the batch of BSDFs that differ in values only).
    for index, shape in zip(bsdfs.index.numpy(), si.shape.numpy()):
        callee = scene.bsdf_callees[index]
        assert callee is shapes[shape].bsdf() or any(m is shapes[shape].bsdf() for m in callee.members)
    # maxt stops the search, for analytic shapes as for triangles.
    si, blocked = trace(scene, [[0, 0, 0.5]], [[0, 0, -1]], maxt=0.9)
    assert not si.is_valid().numpy()[0] and not blocked.numpy()[0]


def test_bounding_boxes():
    scene = load(ball={'type': 'sphere', 'center': [1, 2, 3], 'radius': 0.5},
                 tube={'type': 'cylinder', 'p0': [0, 0, 0], 'p1': [0, 0, 2], 'radius': 0.5},
                 plate={'type': 'disk', 'to_world': T().translate([0, 0, -1]).scale(3)})
    box = scene.bbox()
    assert np.allclose(list(box.min), [-3, -3, -1]) and np.allclose(list(box.max), [3, 3, 3.5])


# -- sampling ------------------------------------------------------------------------------------

SHAPES = {
    'sphere': {'type': 'sphere', 'center': [0.5, 0, 0], 'radius': 2},
    'disk': {'type': 'disk', 'to_world': T().rotate([1, 0, 0], 30).scale([2, 1, 1])},
    'cylinder': {'type': 'cylinder', 'p0': [0, 0, 0], 'p1': [0, 0, 3], 'radius': 0.5},
}
AREAS = {'sphere': 16 * math.pi, 'disk': 2 * math.pi, 'cylinder': 3 * math.pi}


def samples(n, seed=0):
    rng = bk.PCG32(n, seed)
    return bk.Array2f(rng.next_float32(), rng.next_float32())


@pytest.mark.parametrize('name', SHAPES)
def test_sample_position_is_uniform_by_area(name):
    shape = load(s=SHAPES[name]).shapes()[0]
    assert float(shape.surface_area()[0]) == pytest.approx(AREAS[name], rel=1e-5)
    p, n, pdf = shape.sample_position(samples(200_000))
    assert np.allclose(pdf.numpy(), 1 / AREAS[name], rtol=1e-5)
    p, n = rows(p), rows(n)
    # Every point lies on the surface, with the normal a ray hit there would have.
    si, _ = trace(load(s=SHAPES[name]), p + 1e-2 * n, -n)
    assert np.allclose(rows(si.p), p, atol=1e-4) and np.allclose(rows(si.n), n, atol=1e-3)
    # Uniform by area: equal areas get equal shares (Archimedes' zones on the sphere,
    # rings of equal area on the disk, equal lengths along the cylinder).
    if name == 'sphere':
        coordinate = (p[:, 2] + 2) / 4
    elif name == 'disk':
        local = np.linalg.inv(T().rotate([1, 0, 0], 30).scale([2, 1, 1]).matrix)[:3, :3] @ p.T
        coordinate = local[0] ** 2 + local[1] ** 2
    else:
        coordinate = p[:, 2] / 3
    counts = np.histogram(coordinate, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts / len(p) - 0.1) < 0.004), counts


def sphere_light_scene(center, radius=0.6):
    return load(lamp={'type': 'sphere', 'center': center, 'radius': radius,
                      'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': [1, 1, 1]}}})


@pytest.mark.parametrize('center, radius', [((0, 0, 1.5), 0.6), ((0.2, 0, 0.1), 1.0)], ids=['outside', 'inside'])
def test_sphere_light_sampling_matches_its_density(center, radius):
    """Directions sampled towards a sphere light (the cone it subtends, or the whole
    sphere from inside) against the density of the ray that reaches each one. The
    cone's axis is the grid's pole, so that its sharp rim crosses one ring of cells,
    each integrated finely (ires)."""
    scene = sphere_light_scene(center, radius)
    emitter = scene.emitters()[0]

    def sample(s1, s2):
        ds, weight = emitter.sample_direction(dr.zeros(Interaction3f, dr.width(s1)), s2)
        return ds.d, ds.pdf > 0

    def pdf(d):
        si = scene.ray_intersect(Ray3f(dr.zeros(bk.Array3f, dr.width(d)), d))
        return dr.select(si.is_valid(), emitter.pdf_direction(si, DirectionSample3f.from_hit(si, d)), 0)
    result = chi2_test(sample, pdf, ires=16, test_count=6)
    assert result.passed, result.message


def test_small_cones_are_sampled_uniformly():
    """A sphere seen under less than 1.5 degrees is sampled through a Taylor series
    (1 - cos theta_max has no digits left in single precision): the directions
    still fill the cone uniformly, 1 - cos theta uniform in [0, 1 - cos theta_max]."""
    sin_max = 0.5 / 30
    scene = sphere_light_scene((0, 0, 30), 0.5)
    ds, weight = scene.emitters()[0].sample_direction(dr.zeros(Interaction3f, 200_000), samples(200_000))
    sin2 = 1 - np.square(rows(ds.d)[:, 2].astype(np.float64))
    assert sin2.max() <= sin_max ** 2 * 1.001
    counts = np.histogram(sin2 / sin_max ** 2, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(counts / 200_000 - 0.1) < 0.004), counts
    assert np.allclose(ds.pdf.numpy(), 1 / (TWO_PI * (1 - math.sqrt(1 - sin_max ** 2))), rtol=2e-3)


def test_cone_sampling_weight_is_radiance_over_density():
    """Seen from outside, every cone sample has the same density, so the estimate of
    the light arriving from a sphere of radiance L is exactly L times the cone's solid angle."""
    scene = sphere_light_scene((0, 0, 3), 1.0)
    emitter = scene.emitters()[0]
    ds, weight = emitter.sample_direction(dr.zeros(Interaction3f, 1000), samples(1000))
    solid_angle = TWO_PI * (1 - math.sqrt(1 - 1 / 9))
    assert np.allclose(rows(weight), solid_angle, rtol=1e-4)
    # The points lie on the visible cap, and the record's distance reaches them.
    p = rows(ds.p)
    assert np.allclose(np.linalg.norm(p - [0, 0, 3], axis=1), 1, atol=1e-5) and np.all(p[:, 2] < 3)
    assert np.allclose(rows(ds.p), rows(ds.d) * ds.dist.numpy()[:, None], atol=1e-4)


@pytest.mark.parametrize('name', ['disk', 'cylinder'])
def test_area_lights_on_disks_and_cylinders_sample_by_area(name):
    """Emitter sampling of a disk or cylinder light, seen from a point off the shape."""
    description = dict(SHAPES[name], emitter={'type': 'area', 'radiance': {'type': 'rgb', 'value': [1, 1, 1]}})
    if name == 'disk':
        description['to_world'] = T().translate([0, 0, 2]).rotate([1, 0, 0], 160).scale([1, 0.5, 1])
    else:
        description.update(p0=[-1, 0, 2], p1=[1, 0.5, 2.5])
    scene = load(lamp=description)
    emitter = scene.emitters()[0]

    def sample(s1, s2):
        ds, weight = emitter.sample_direction(dr.zeros(Interaction3f, dr.width(s1)), s2)
        return ds.d, ds.pdf > 0

    def pdf(d):
        si = scene.ray_intersect(Ray3f(dr.zeros(bk.Array3f, dr.width(d)), d))
        return dr.select(si.is_valid(), emitter.pdf_direction(si, DirectionSample3f.from_hit(si, d)), 0)
    # The rims of these shapes are sharp in direction space: each cell is integrated finely.
    result = chi2_test(sample, pdf, ires=32, test_count=6)
    assert result.passed, result.message


# -- parameters ---------------------------------------------------------------------------------

def test_traverse_lists_to_world_with_center_and_radius_folded_in():
    scene = load(ball={'type': 'sphere', 'center': [1, 2, 3], 'radius': 2},
                 tube={'type': 'cylinder', 'p0': [0, 0, 1], 'p1': [0, 0, 3], 'radius': 0.5},
                 plate={'type': 'disk', 'flip_normals': True})
    params = tk.traverse(scene)
    for name in ('ball', 'tube', 'plate'):
        assert f'{name}.to_world' in params and params.is_differentiable(f'{name}.to_world')
        assert params.flags(f'{name}.to_world') == tk.ParamFlags.Discontinuous
        assert params[f'{name}.silhouette_sampling_weight'] == 1.0
        assert not params.is_differentiable(f'{name}.silhouette_sampling_weight')
    assert np.allclose(params['ball.to_world'].matrix, T().translate([1, 2, 3]).scale(2).matrix)
    assert np.allclose(params['tube.to_world'].matrix, T().translate([0, 0, 1]).scale([0.5, 0.5, 2]).matrix)
    assert np.allclose(params['plate.to_world'].matrix, T().scale([1, 1, -1]).matrix)


def test_assigning_to_world_moves_the_shape():
    scene = load(ball={'type': 'sphere'})
    params = tk.traverse(scene)
    params['ball.to_world'] = T().translate([0, 0, 2]).scale(0.5)
    params.update()
    si, _ = trace(scene, [[0, 0, 5]], [[0, 0, -1]])
    assert si.t.numpy()[0] == pytest.approx(2.5, abs=1e-5)
    assert list(scene.bbox().max) == pytest.approx([0.5, 0.5, 2.5])
    assert float(scene.shapes()[0].surface_area()[0]) == pytest.approx(math.pi)
    params['ball.to_world'] = np.eye(4)                         # any 4x4 array
    params.update()
    assert trace(scene, [[0, 0, 5]], [[0, 0, -1]])[0].t.numpy()[0] == pytest.approx(4, abs=1e-5)


@pytest.mark.parametrize('value', [np.zeros((4, 4)), np.full((4, 4), np.nan), np.eye(3), 'scale',
                                   T().scale([1, 0, 1])])
def test_bad_transforms_are_refused_and_change_nothing(value):
    scene = load(ball={'type': 'sphere'})
    params = tk.traverse(scene)
    before = params['ball.to_world'].matrix
    with pytest.raises(tk.ParameterError, match='ball.to_world'):
        params['ball.to_world'] = value
    assert np.array_equal(params['ball.to_world'].matrix, before)


def test_uneven_scaling_of_a_sphere_warns():
    with pytest.warns(tk.SceneWarning, match='unevenly'):
        load(ball={'type': 'sphere', 'to_world': T().scale([1, 2, 1])})
    scene = load(ball={'type': 'sphere'})
    params = tk.traverse(scene)
    params['ball.to_world'] = T().scale([1, 1, 3])
    with pytest.warns(tk.SceneWarning, match='unevenly'):
        params.update()


# -- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize('body, key', [
    ('<shape type="sphere"><float name="radius" value="0"/></shape>', 'radius'),
    ('<shape type="sphere"><float name="radius" value="-1"/></shape>', 'radius'),
    ('<shape type="cylinder"><float name="radius" value="-0.5"/></shape>', 'radius'),
    ('<shape type="cylinder"><point name="p0" value="1, 1, 1"/><point name="p1" value="1, 1, 1"/></shape>',
     'p0'),
    ('<shape type="disk"><transform name="to_world"><scale value="0"/></transform></shape>', 'transform'),
])
def test_bad_shape_parameters_name_file_and_line(tmp_path, body, key):
    path = tmp_path / 'bad.xml'
    path.write_text(scene_xml('\n' + body))
    with pytest.raises(tk.SceneError, match=key) as error:
        tk.load_file(str(path))
    assert error.value.path == str(path) and error.value.line == 13


@pytest.mark.parametrize('shape', [{'type': 'sphere', 'center': [0, float('nan'), 0]},
                                   {'type': 'sphere', 'radius': float('inf')},
                                   {'type': 'cylinder', 'p1': [float('inf'), 0, 0]}])
def test_non_finite_placements_are_refused(shape):
    with pytest.raises(tk.SceneError, match=r"^s\.(center|radius|p1): "):
        load(s=shape)


# -- derivatives ----------------------------------------------------------------------------------

def test_hit_follows_the_sphere():
    """t, p, n and uv of a hit are differentiable in to_world, as finite differences say."""
    def hit(offset):
        scene = load(ball={'type': 'sphere', 'radius': 1.5})
        params = tk.traverse(scene)
        params['ball.to_world'] = tk.Transform4f().translate(offset).scale(1.5)
        params.update()
        origin, direction = tk.Array3f(0.4, -0.3, 5), tk.Array3f(0, 0, -1)
        return scene.ray_intersect(Ray3f(origin, direction))

    x = tk.Float(0.0)
    dr.enable_grad(x)
    si = hit([x, 0.5 * x, -0.25 * x])
    dr.forward(x)
    derivative = np.concatenate([dr.grad(si.t).numpy(), rows(dr.grad(si.p))[0], rows(dr.grad(si.n))[0],
                                 rows(dr.grad(si.uv))[0]])
    h = 1e-3
    plus, minus = hit([h, 0.5 * h, -0.25 * h]), hit([-h, -0.5 * h, 0.25 * h])
    finite = np.concatenate([plus.t.numpy() - minus.t.numpy()] +
                            [rows(getattr(plus, f))[0] - rows(getattr(minus, f))[0] for f in ('p', 'n', 'uv')])
    assert np.allclose(derivative, finite / (2 * h), atol=2e-3, rtol=2e-2), (derivative, finite / (2 * h))
    assert abs(derivative[0]) > 0.05          # the sphere moves towards the ray's origin


def interior_scene(res=16):
    """A disk floor filling the view, lit by a sphere lamp: moving the floor along its
    normal changes its shading and nothing else (no silhouette in view)."""
    return tk.load_dict({
        'type': 'scene', 'integrator': {'type': 'path', 'max_depth': 2},
        'sensor': {'type': 'perspective', 'fov': 30, 'to_world': T().look_at([0, 0, 4], [0, 0, 0], [0, 1, 0]),
                   'film': {'type': 'hdrfilm', 'width': res, 'height': res, 'rfilter': {'type': 'box'}}},
        'floor': {'type': 'disk', 'to_world': T().scale(10),
                  'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.5, 0.5, 0.5]}}},
        'lamp': {'type': 'sphere', 'center': [0.5, 0.2, 2], 'radius': 0.3,
                 'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': [10, 10, 10]}}}})


def test_image_derivative_through_to_world_matches_finite_differences():
    scene = interior_scene()
    params = tk.traverse(scene)

    def rendered(z):
        params['floor.to_world'] = tk.Transform4f().translate([0, 0, z]) @ tk.Transform4f(T().scale(10).matrix)
        params.update()
        return tk.render(scene, params, spp=16, seed=3, unbiased=False)
    h = 0.02
    finite = (dr.mean(rendered(h).array) - dr.mean(rendered(-h).array))[0] / (2 * h)
    z = tk.Float(0.0)
    dr.enable_grad(z)
    loss = dr.mean(rendered(z).array)
    dr.forward(z)
    assert dr.grad(loss)[0] == pytest.approx(finite, rel=0.03)
    assert abs(finite) > 0.05                  # the floor brightens towards the lamp


def test_silhouette_derivative_of_a_moving_sphere_matches_finite_differences():
    """prb_projective's boundary term for an analytic shape, from its tessellated
    silhouette: an emitting sphere in front of a grey sky, moved sideways, its
    image weighed by a ramp across the film."""
    res = 24
    scene = tk.load_dict({
        'type': 'scene', 'integrator': {'type': 'prb_projective', 'max_depth': 1},
        'sensor': {'type': 'perspective', 'fov': 40, 'to_world': T().look_at([0, -5, 0], [0, 0, 0], [0, 0, 1]),
                   'film': {'type': 'hdrfilm', 'width': res, 'height': res, 'rfilter': {'type': 'box'}}},
        'ball': {'type': 'sphere', 'radius': 0.6,
                 'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': [3, 2, 1]}}},
        'sky': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': [0.5, 0.5, 0.5]}}})
    params = tk.traverse(scene)
    ramp = np.broadcast_to((np.arange(res) / res)[None, :, None], (res, res, 3)).astype(np.float32)
    weights = tk.TensorXf(tk.Float(ramp.ravel()), (res, res, 3))

    def objective(x, spp):
        params['ball.to_world'] = tk.Transform4f().translate([x, 0, 0.3 * x]).scale(0.6)
        params.update()
        return dr.mean((tk.render(scene, params, spp=spp, seed=5, unbiased=False) * weights).array)
    h = 0.02
    finite = (objective(h, 1024) - objective(-h, 1024))[0] / (2 * h)
    x = tk.Float(0.0)
    dr.enable_grad(x)
    loss = objective(x, 1024)
    dr.forward(x)
    assert dr.grad(loss)[0] == pytest.approx(finite, rel=0.08)


# -- Mitsuba 3 as the reference ---------------------------------------------------------------------

SCENE = '''<scene version="3.0.0">
    <integrator type="path"><integer name="max_depth" value="5"/></integrator>
    <sensor type="perspective">
        <float name="fov" value="45"/>
        <transform name="to_world"><lookat origin="0, -6, 2.5" target="0, 0, 0.6" up="0, 0, 1"/></transform>
        <film type="hdrfilm"><integer name="width" value="96"/><integer name="height" value="72"/>
            <rfilter type="box"/></film>
    </sensor>
    <shape type="disk" id="floor">
        <transform name="to_world"><scale x="4" y="3" z="1"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.7, 0.7, 0.7"/></bsdf>
    </shape>
    <shape type="sphere" id="ball">
        <point name="center" x="-0.9" y="0" z="0.8"/>
        <float name="radius" value="0.8"/>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.8, 0.3, 0.2"/></bsdf>
    </shape>
    <shape type="cylinder" id="tube">
        <point name="p0" x="1.0" y="0.3" z="0"/>
        <point name="p1" x="1.2" y="0.0" z="1.6"/>
        <float name="radius" value="0.5"/>
        <bsdf type="twosided"><bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.5, 0.8"/></bsdf></bsdf>
    </shape>
    <shape type="sphere" id="lamp">
        <point name="center" x="1.5" y="-1.5" z="3"/>
        <float name="radius" value="0.4"/>
        <emitter type="area"><rgb name="radiance" value="30, 28, 24"/></emitter>
    </shape>
    <shape type="sphere" id="inside_out">
        <point name="center" x="0" y="1.5" z="0.5"/>
        <float name="radius" value="0.5"/>
        <boolean name="flip_normals" value="true"/>
        <bsdf type="twosided"><bsdf type="diffuse"><rgb name="reflectance" value="0.5, 0.8, 0.5"/></bsdf></bsdf>
    </shape>
    <shape type="disk" id="panel">
        <transform name="to_world"><scale value="0.6"/><rotate x="1" angle="200"/><translate x="-2" y="1" z="2.5"/></transform>
        <emitter type="area"><rgb name="radiance" value="4, 5, 6"/></emitter>
    </shape>
    <shape type="cylinder" id="neon">
        <point name="p0" x="-2.5" y="2" z="0.9"/>
        <point name="p1" x="-1.5" y="2" z="2.4"/>
        <float name="radius" value="0.1"/>
        <boolean name="flip_normals" value="false"/>
        <emitter type="area"><rgb name="radiance" value="2, 6, 3"/></emitter>
    </shape>
    <emitter type="constant"><rgb name="radiance" value="0.1, 0.1, 0.12"/></emitter>
</scene>'''

GLASS_AND_MIRROR = '''<scene version="3.0.0">
    <integrator type="path"><integer name="max_depth" value="8"/></integrator>
    <sensor type="perspective">
        <float name="fov" value="40"/>
        <transform name="to_world"><lookat origin="0, -5, 1.5" target="0, 0, 0.5" up="0, 0, 1"/></transform>
        <film type="hdrfilm"><integer name="width" value="64"/><integer name="height" value="64"/>
            <rfilter type="box"/></film>
    </sensor>
    <shape type="rectangle">
        <transform name="to_world"><scale value="4"/></transform>
        <bsdf type="diffuse"><rgb name="reflectance" value="0.6, 0.5, 0.4"/></bsdf>
    </shape>
    <shape type="sphere">
        <transform name="to_world"><scale value="0.6"/><translate x="-0.7" z="0.6"/></transform>
        <bsdf type="conductor"/>
    </shape>
    <shape type="sphere">
        <transform name="to_world"><scale value="0.5"/><translate x="0.7" y="-0.5" z="0.5"/></transform>
        <bsdf type="dielectric"/>
    </shape>
    <shape type="sphere">
        <point name="center" x="0" y="1" z="3"/>
        <float name="radius" value="0.5"/>
        <emitter type="area"><rgb name="radiance" value="20, 20, 20"/></emitter>
    </shape>
    <emitter type="constant"><rgb name="radiance" value="0.2, 0.2, 0.2"/></emitter>
</scene>'''


def block_means(image, blocks=8):
    h, w, _ = image.shape
    return image[:h // blocks * blocks, :w // blocks * blocks].reshape(
        blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))


@pytest.mark.mitsuba
@pytest.mark.slow
@pytest.mark.parametrize('name, text, spp', [('shapes', SCENE, 512), ('glass and mirror', GLASS_AND_MIRROR, 1024)])
def test_same_picture_as_mitsuba(name, text, spp):
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    ours = tk.render(tk.load_string(text), spp=spp, seed=1).numpy()
    theirs = np.array(mi.render(mi.load_string(text), spp=spp, seed=1))
    assert ours.mean() == pytest.approx(theirs.mean(), rel=0.015)
    a, b = block_means(ours), block_means(theirs)
    worst = np.abs(a - b) / np.maximum(b, 0.01 * theirs.mean())
    assert worst.max() < 0.04, np.unravel_index(worst.argmax(), worst.shape)


@pytest.mark.mitsuba
@pytest.mark.parametrize('reference, flip', [((0.1, 0.2, 0.0), False), ((0.5, 1.9, 2.4), True)],
                         ids=['outside', 'inside-flipped'])
def test_sphere_light_sampling_as_mitsuba(reference, flip):
    """Emitter sampling of a sphere light gives Mitsuba's samples, and so its noise:
    the same points, densities and weights for the same random numbers (from
    inside, a sphere whose normals point inwards lights its interior)."""
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    description = {'type': 'scene', 'lamp': {
        'type': 'sphere', 'center': [0.5, 2, 2.5], 'radius': 0.3, 'flip_normals': flip,
        'emitter': {'type': 'area', 'radiance': {'type': 'rgb', 'value': [10, 10, 10]}}}}
    u = np.random.default_rng(0).random((2, 20_000)).astype(np.float32)
    results = []
    for module, point, normal, array2 in ((tk, tk.Array3f, tk.Array3f, tk.Array2f),
                                          (mi, mi.Point3f, mi.Normal3f, mi.Point2f)):
        it = dr.zeros(module.Interaction3f, u.shape[1])
        it.p, it.n = point(*reference), normal(0, 0, 1)
        scene = module.load_dict(description)
        ds, weight = scene.sample_emitter_direction(it, array2(*u), False)
        results.append([np.array(value, np.float64).reshape(-1, u.shape[1]) for value in
                        (ds.p, ds.d, ds.pdf, ds.dist, weight)])
    assert np.all(results[0][-1] > 0)
    for ours, theirs, name in zip(*results, ('p', 'd', 'pdf', 'dist', 'weight')):
        assert np.allclose(ours, theirs, rtol=1e-3, atol=1e-4), name


@pytest.mark.mitsuba
def test_hits_as_mitsuba_computes_them():
    """t, p, n, uv and dp/du of random rays against transformed analytic shapes."""
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    description = {
        'type': 'scene',
        'ball': {'type': 'sphere', 'to_world': T().translate([0.2, 0.1, 0]).rotate([0.6, 0.8, 0], 30).scale(1.2)},
        'plate': {'type': 'disk', 'to_world': T().translate([0, 0, -2]).rotate([0, 1, 0], 20).scale([3, 2, 1])},
        'tube': {'type': 'cylinder', 'p0': [2, 0, -1], 'p1': [2.5, 0.3, 1], 'radius': 0.3, 'flip_normals': True},
        'inner': {'type': 'sphere', 'center': [-2, 1, 0], 'radius': 0.5, 'flip_normals': True}}
    theirs_description = {k: (dict(v, to_world=mi.ScalarTransform4f(v['to_world'].matrix))
                              if isinstance(v, dict) and 'to_world' in v else v) for k, v in description.items()}
    rng = np.random.default_rng(1)
    origins = rng.uniform(-4, 4, (5000, 3))
    directions = rng.uniform(-2, 2, (5000, 3)) - origins
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    # One contiguous float32 array per coordinate, as both libraries take them.
    origins, directions = (np.ascontiguousarray(a.T, dtype=np.float32) for a in (origins, directions))
    our_scene, their_scene = tk.load_dict(description), mi.load_dict(theirs_description)  # kept alive
    ours = our_scene.ray_intersect(Ray3f(tk.Array3f(*origins), tk.Array3f(*directions)))
    theirs = their_scene.ray_intersect(mi.Ray3f(mi.Point3f(*origins), mi.Vector3f(*directions)))
    hit = np.isfinite(np.array(theirs.t))
    assert np.array_equal(np.isfinite(ours.t.numpy()), hit) and 0.3 < hit.mean() < 0.9
    for field, tolerance in (('t', 1e-4), ('p', 1e-4), ('n', 1e-3), ('uv', 1e-4), ('dp_du', 1e-3)):
        a, b = np.array(getattr(ours, field)), np.array(getattr(theirs, field))
        assert np.allclose(a[..., hit], b[..., hit], atol=tolerance), field
    assert np.allclose(np.array(ours.sh_frame.n)[..., hit], np.array(theirs.sh_frame.n)[..., hit], atol=1e-3)


@pytest.mark.mitsuba
def test_parameter_names_as_mitsuba():
    mi = pytest.importorskip('mitsuba')
    mi.set_variant('llvm_ad_rgb')
    for kind in ('sphere', 'disk', 'cylinder'):
        description = {'type': 'scene', 's': {'type': kind}}
        theirs = {key for key in mi.traverse(mi.load_dict(description)).keys() if key.startswith('s.')}
        assert set(tk.traverse(tk.load_dict(description)).keys()) == theirs

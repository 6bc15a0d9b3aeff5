"""Visibility derivatives: edges merged by position, and prb_projective against finite differences."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from tutorial_kit.plugins.shapes.cube import unit_cube
from tutorial_kit.renderer.edges import mesh_edges

from helpers import scene_xml


def unweld(positions, faces):
    """Each triangle with its own three vertices."""
    return positions[faces.ravel()], np.arange(faces.size).reshape(-1, 3)


def test_edges_are_merged_by_position():
    data = unit_cube()
    positions, faces = data.positions.astype(float), data.faces.astype(np.int64)
    v0, v1, c0, c1, crease = mesh_edges(positions, faces)
    # 12 cube edges (creases between flat sides) and 6 face diagonals (coplanar, no crease).
    assert len(v0) == 18 and crease.sum() == 12 and np.all(c0 != c1)
    loose = mesh_edges(*unweld(positions, faces))
    assert len(loose[0]) == 18 and loose[4].sum() == 12


def test_coplanar_faces_are_never_silhouettes():
    from tutorial_kit.renderer.edges import Edges
    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    for p, f in ((positions, faces), unweld(positions, faces)):
        edges = Edges(*mesh_edges(p, f), positions=p)
        assert len(edges) == 5
        for origin in ([0.3, 0.2, 2.0], [5, -3, 0.5], [0.5, 0.5, -1]):
            seen = edges.silhouette_from(np.array(origin))
            assert seen.sum() == 4        # the four boundary edges, never the diagonal
            assert not np.any(seen & (edges.c0 != edges.c1))


def _obj(tmp_path, name, positions, faces):
    path = tmp_path / name
    with open(path, 'w') as out:
        out.writelines('v %f %f %f\n' % tuple(v) for v in positions)
        out.writelines('f %d %d %d\n' % tuple(f + 1) for f in faces)
    return path


SQUARE = (np.array([[-0.6, -0.6, 0], [0.6, -0.6, 0], [0.6, 0.6, 0], [-0.6, 0.6, 0]], float),
          np.array([[0, 1, 2], [0, 2, 3]]))


def right_side(scene, key):
    """A direction that moves the right-hand vertices along +x (stretches the square)."""
    positions = tk.traverse(scene)[key].numpy().reshape(-1, 3)
    return (np.array([1.0, 0, 0]) * (positions[:, :1] > positions[:, 0].mean())).ravel()


def silhouette_scene(tmp_path, integrator, welded):
    positions, faces = SQUARE if welded else unweld(*SQUARE)
    mesh = _obj(tmp_path, 'square.obj', positions, faces)
    body = f'''<integrator type="{integrator}"><integer name="max_depth" value="2"/></integrator>
        <emitter type="constant"><rgb name="radiance" value="1"/></emitter>
        <shape type="obj" id="square"><string name="filename" value="{mesh}"/>
            <boolean name="face_normals" value="true"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.2"/></bsdf></shape>'''
    return tk.load_string(scene_xml(body, width=16, height=16))


@pytest.mark.parametrize('welded', [True, False])
def test_silhouette_derivative_matches_finite_differences(tmp_path, welded):
    scene = silhouette_scene(tmp_path, 'prb_projective', welded)
    check = tk.check_gradient(scene, 'square.vertex_positions', right_side(scene, 'square.vertex_positions'),
                              step=0.1)
    # The right edge, 5.27 pixels long, moves 4.40 pixels per unit and turns background
    # (1) into square (0.2): d mean / dt = -0.8 * 5.27 * 4.40 / 256.
    assert check.finite_difference == pytest.approx(-0.0724, rel=0.08)
    assert check.relative_error < 0.08, check


def test_path_misses_the_silhouette(tmp_path):
    scene = silhouette_scene(tmp_path, 'path', True)
    check = tk.check_gradient(scene, 'square.vertex_positions', right_side(scene, 'square.vertex_positions'),
                              spp=16, step=0.1)
    assert abs(check.forward - check.finite_difference) > 0.5 * abs(check.finite_difference)


#: A small lamp 4 units above the ground, facing down.
LAMP = '''<shape type="rectangle"><transform name="to_world"><scale value="0.3"/><rotate x="1" angle="90"/>
            <translate y="4"/></transform>
            <emitter type="area"><rgb name="radiance" value="30"/></emitter></shape>'''


def ground(reflectance):
    """A diffuse 6 x 6 square in the plane y = 0 (XML)."""
    return f'''<shape type="rectangle"><transform name="to_world"><scale value="3"/><rotate x="1" angle="-90"/>
            </transform><bsdf type="diffuse"><rgb name="reflectance" value="{reflectance}"/></bsdf></shape>'''


def occluder(mesh):
    """The square ``mesh``, flat-shaded, level at height 2 with its right edge at x = 0 (XML)."""
    return f'''<shape type="obj" id="occluder"><string name="filename" value="{mesh}"/>
            <boolean name="face_normals" value="true"/>
            <transform name="to_world"><rotate x="1" angle="90"/><translate x="-0.6" y="2"/></transform></shape>'''


def shadow_scene(tmp_path, integrator, welded, light='lamp'):
    """A square above the camera shadows the ground the camera sees; a small lamp
    above, or (``light='sky'``) a uniform sky, or (``light='point'``) a point
    light where the lamp is, instead."""
    mesh = _obj(tmp_path, 'occluder.obj', *(SQUARE if welded else unweld(*SQUARE)))
    sky = ('<emitter type="point"><point name="position" x="0.03" y="4" z="0.02"/>'
           '<float name="intensity" value="3"/></emitter>' if light == 'point' else
           '<emitter type="constant"><rgb name="radiance" value="1"/></emitter>')
    return tk.load_string(scene_xml(f'''
        <integrator type="{integrator}"><integer name="max_depth" value="2"/></integrator>
        {ground(0.5)}
        {occluder(mesh)}
        {LAMP if light == 'lamp' else sky}''',
            width=16, height=16, origin=(0, 1, 0), target=(0, 0, 0), up=(0, 0, -1), fov=60))


@pytest.mark.parametrize('welded', [True, False])
def test_shadow_derivative_matches_finite_differences(tmp_path, welded):
    scene = shadow_scene(tmp_path, 'prb_projective', welded)
    direction = right_side(scene, 'occluder.vertex_positions')
    check = tk.check_gradient(scene, 'occluder.vertex_positions', direction, spp=64, step=0.1)
    path = tk.check_gradient(shadow_scene(tmp_path, 'path', welded), 'occluder.vertex_positions',
                             direction, spp=4, step=0.1)
    assert abs(check.finite_difference) > 1e-2
    assert check.relative_error < 0.08, check
    assert abs(path.forward) < 0.05 * abs(check.finite_difference)   # the interior term sees nothing


def test_point_light_shadow_derivative_matches_finite_differences(tmp_path):
    # A point light's shadow edge is sharp: its edges are sampled from the light's one point.
    # (The light stands a little off x = 0 so that the shadow of the occluder's edge at
    # x = 0 does not fall exactly on a border between pixels: a splat there counts twice.)
    scene = shadow_scene(tmp_path, 'prb_projective', True, light='point')
    direction = right_side(scene, 'occluder.vertex_positions')
    check = tk.check_gradient(scene, 'occluder.vertex_positions', direction, spp=64, step=0.1)
    assert abs(check.finite_difference) > 1e-2
    assert check.relative_error < 0.08, check


def test_sky_shadow_derivative_matches_finite_differences(tmp_path):
    # Under a uniform sky the occluder's edges are sampled from the ground points the
    # camera sees (part 3): their angular length and their angular speed each fall as 1 / r.
    scene = shadow_scene(tmp_path, 'prb_projective', True, light='sky')
    direction = right_side(scene, 'occluder.vertex_positions')
    check = tk.check_gradient(scene, 'occluder.vertex_positions', direction, spp=256, step=0.1)
    assert abs(check.finite_difference) > 1e-2
    assert check.relative_error < 0.08, check


def reflected_shadow_scene(tmp_path, integrator):
    """The shadow of shadow_scene's occluder on the ground, seen only in the light that
    the ground reflects onto a white wall: the camera sees nothing but the wall, which
    lies outside every shadow."""
    return tk.load_string(scene_xml(f'''
        <integrator type="{integrator}"><integer name="max_depth" value="3"/></integrator>
        {ground(0.8)}
        <shape type="rectangle"><transform name="to_world"><scale value="3"/><rotate y="1" angle="-90"/>
            <translate x="2.5" y="1.5"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.8"/></bsdf></shape>
        {occluder(_obj(tmp_path, 'occluder.obj', *SQUARE))}
        {LAMP}''', width=16, height=16, origin=(0.5, 1, 0), target=(2.5, 1, 0), up=(0, 1, 0), fov=40))


def test_shadow_seen_after_a_bounce_matches_finite_differences(tmp_path):
    # Only part 5 sees this: without it prb_projective's derivative is 0 here
    # (measured: 3e-13 against a finite difference of -0.0072).
    scene = reflected_shadow_scene(tmp_path, 'prb_projective')
    key = 'occluder.vertex_positions'
    direction = right_side(scene, key)
    check = tk.check_gradient(scene, key, direction, spp=1024, step=0.1, seed=1)
    path = tk.check_gradient(reflected_shadow_scene(tmp_path, 'path'), key, direction, spp=4, step=0.1)
    assert check.finite_difference == pytest.approx(-0.0072, rel=0.1)
    assert check.relative_error < 0.08, check
    assert abs(path.forward) < 0.05 * abs(check.finite_difference)


def test_edges_that_a_light_can_see_as_silhouettes():
    from tutorial_kit.renderer.edges import Edges
    rng = np.random.default_rng(0)
    n = 12                                  # a bumpy height field under a light
    x, z = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n))
    positions = np.stack([x.ravel(), 0.3 * rng.random(n * n), z.ravel()], axis=1)
    quads = [(i * n + j, i * n + j + 1, (i + 1) * n + j, (i + 1) * n + j + 1)
             for i in range(n - 1) for j in range(n - 1)]
    faces = np.array([f for a, b, c, d in quads for f in ((a, b, c), (b, d, c))])
    v0, v1, c0, c1, _ = mesh_edges(positions, faces)
    edges = Edges(v0, v1, c0, c1, np.zeros(len(v0), bool), positions)     # silhouettes only
    for _ in range(5):
        light = rng.normal(size=(4, 3)) * 0.3 + [0.5, 2, 0.5]
        candidate = edges.silhouette_from_any(light)
        seen = np.zeros(len(edges), bool)
        for y in rng.dirichlet(np.ones(4), size=500) @ light:
            seen |= edges.silhouette_from(y)
        assert not np.any(seen & ~candidate)                   # conservative
        assert candidate.sum() < 0.5 * len(edges)              # and useful
        assert candidate.sum() <= 1.25 * seen.sum()            # and nearly tight


def test_transform_moves_vertices_and_derivatives_reach_the_translation(tmp_path):
    scene = silhouette_scene(tmp_path, 'prb_projective', True)
    params = tk.traverse(scene)
    initial = dr.unravel(tk.Array3f, params['square.vertex_positions'])
    x = tk.Float(0.0)
    dr.enable_grad(x)
    # Stretch by moving the right side: scale x about the left edge.
    trafo = tk.Transform4f().translate([-0.6, 0, 0]).scale(tk.Array3f(1 + x, 1, 1)).translate([0.6, 0, 0])
    params['square.vertex_positions'] = dr.ravel(trafo @ initial)
    params.update()
    loss = dr.mean(tk.render(scene, spp=256, seed=3), axis=None)
    dr.backward(loss)
    # d(right edge)/dx = 1.2 (the width): 1.2 times the stretch derivative above.
    assert x.grad[0] == pytest.approx(1.2 * -0.0724, rel=0.08)


def test_parameters_are_checked():
    with pytest.raises(tk.SceneError):
        tk.load_string(scene_xml('<integrator type="prb_projective"><integer name="sppp" value="-1"/>'
                                 '</integrator>'))
    integrator = tk.load_string(scene_xml('<integrator type="prb_projective"><integer name="sppi" value="8"/>'
                                          '<string name="guiding" value="grid"/></integrator>')).integrator()
    assert type(integrator).__name__ == 'EdgeSamplingIntegrator'
    assert (integrator.sppi, integrator.sppp) == (8, 0)


def tilting_floor_scene(tmp_path, integrator):
    """A square larger than the view under a uniform sky, half hidden on one side
    by a black wall through it that the camera does not see (so far that its
    edges do not matter)."""
    positions = SQUARE[0] * (4 / 0.6)
    mesh = _obj(tmp_path, 'floor.obj', positions, SQUARE[1])
    body = f'''<integrator type="{integrator}"><integer name="max_depth" value="2"/></integrator>
        <emitter type="constant"><rgb name="radiance" value="1"/></emitter>
        <shape type="obj" id="floor"><string name="filename" value="{mesh}"/>
            <boolean name="face_normals" value="true"/>
            <bsdf type="diffuse"><rgb name="reflectance" value="0.5"/></bsdf></shape>
        <shape type="rectangle"><transform name="to_world"><scale x="100" y="100"/><rotate y="1" angle="-90"/>
            <translate x="2"/></transform>
            <bsdf type="diffuse"><rgb name="reflectance" value="0"/></bsdf></shape>'''
    return tk.load_string(scene_xml(body, width=8, height=8))


@pytest.mark.parametrize('integrator', ['path', pytest.param('prb_projective', marks=pytest.mark.slow)])
def test_turning_surface_reflects_light_differently(tmp_path, integrator):
    # The floor turns about the y axis: the light it reflects changes with its
    # angle to the lamp, also for light found by sampling the BSDF, whose
    # directions stay fixed in world space while the normal turns.
    scene = tilting_floor_scene(tmp_path, integrator)
    positions = tk.traverse(scene)['floor.vertex_positions'].numpy().reshape(-1, 3)
    turn = np.cross([0.0, 1.0, 0.0], positions).ravel()
    check = tk.check_gradient(scene, 'floor.vertex_positions', turn, spp=64, step=0.01)
    assert abs(check.finite_difference) > 1e-2
    assert check.relative_error < 0.08, check

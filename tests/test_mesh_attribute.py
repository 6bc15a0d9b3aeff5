"""The ``mesh_attribute`` texture: vertex and face attributes of meshes as textures.

Against Mitsuba 3 (the same PLY file, and the same mesh built in Python),
and on its own: exact values at known points, face attributes, sizes other
than 1 and 3, shapes without the attribute, derivatives against finite
differences, and names that are refused.
"""
import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk

#: Look at the grids from above and in front.
CAMERA = dict(origin=[0, -2.2, 3.2], target=[0, 0, 0], up=[0, 0, 1])


def grid(n, x0, x1, y0=-1.0, y1=1.0):
    """An n x n vertex grid over [x0, x1] x [y0, y1], gently curved in z:
    positions (n*n, 3) float and faces (2 (n-1)^2, 3) int, counter-clockwise from +z."""
    x, y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    z = 0.15 * np.sin(2 * x) * np.cos(2 * y)
    positions = np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)
    faces = []
    for j in range(n - 1):
        for i in range(n - 1):
            a, b, c, d = j * n + i, j * n + i + 1, (j + 1) * n + i + 1, (j + 1) * n + i
            faces += [[a, b, c], [a, c, d]]
    return positions, np.array(faces)


def write_ascii_ply(path, positions, faces, vertex_colors, face_colors):
    """A PLY file with float ``red green blue`` per vertex and ``r g b`` per face,
    which Mitsuba 3 and the toolkit both read as ``vertex_color`` and ``face_color``."""
    lines = ['ply', 'format ascii 1.0', f'element vertex {len(positions)}',
             'property float x', 'property float y', 'property float z',
             'property float red', 'property float green', 'property float blue',
             f'element face {len(faces)}', 'property list uchar int vertex_indices',
             'property float r', 'property float g', 'property float b', 'end_header']
    lines += [' '.join(f'{v:.6f}' for v in row) for row in np.concatenate([positions, vertex_colors], 1)]
    lines += ['3 ' + ' '.join(map(str, f)) + ' ' + ' '.join(f'{v:.6f}' for v in c)
              for f, c in zip(faces, face_colors)]
    path.write_text('\n'.join(lines) + '\n')


def scene_dict(module, shapes, size=64, spp=256):
    """A scene for ``module`` (tutorial_kit or mitsuba): ``shapes`` (a dict of
    entries) under a constant white sky, direct light only."""
    T = module.ScalarTransform4f
    return {'type': 'scene',
            'integrator': {'type': 'path', 'max_depth': 2},
            'sensor': {'type': 'perspective', 'fov': 45, 'to_world': T().look_at(**CAMERA),
                       'film': {'type': 'hdrfilm', 'width': size, 'height': size},
                       'sampler': {'type': 'independent', 'sample_count': spp}},
            'light': {'type': 'constant', 'radiance': {'type': 'rgb', 'value': [1.0, 1.0, 1.0]}},
            **shapes}


def painted(name, scale=None):
    """A diffuse BSDF whose reflectance is the attribute ``name``."""
    texture = {'type': 'mesh_attribute', 'name': name}
    if scale is not None:
        texture['scale'] = scale
    return {'type': 'diffuse', 'reflectance': texture}


def ply_shapes(module, path):
    """The PLY file twice, coloured by vertex (left) and by face (right), and a
    rectangle behind them that shares the vertex-coloured BSDF but has no attribute."""
    T = module.ScalarTransform4f
    return {'by_vertex': painted('vertex_color'),
            'left': {'type': 'ply', 'filename': str(path), 'to_world': T().translate([-1.05, 0, 0]),
                     'bsdf': {'type': 'ref', 'id': 'by_vertex'}},
            'right': {'type': 'ply', 'filename': str(path), 'to_world': T().translate([1.05, 0, 0]),
                      'bsdf': painted('face_color', scale=0.8)},
            'back': {'type': 'rectangle', 'bsdf': {'type': 'ref', 'id': 'by_vertex'},
                     'to_world': T().translate([0, 1.5, 0]).rotate([1, 0, 0], 90).scale(3)}}


def python_meshes(module):
    """Two meshes built in Python with ``add_attribute``: one coloured by vertex,
    one grey by a one-value face attribute."""
    rng = np.random.default_rng(7)
    meshes = {}
    for key, x0, attribute, size in (('colours', -2.0, 'vertex_color', 3), ('greys', 0.1, 'face_albedo', 1)):
        positions, faces = grid(6, x0, x0 + 1.9)
        props = module.Properties()
        props['bsdf'] = module.load_dict(painted(attribute))
        mesh = module.Mesh(key, len(positions), len(faces), props=props)
        params = module.traverse(mesh)
        params['vertex_positions'] = module.Float(positions.ravel().astype(np.float32))
        params['faces'] = module.UInt32(faces.ravel().astype(np.uint32))
        params.update()
        count = len(positions) if attribute.startswith('vertex_') else len(faces)
        mesh.add_attribute(attribute, size, rng.uniform(0.05, 0.95, count * size).tolist())
        meshes[key] = mesh
    return meshes


def block_means(image, blocks=8):
    h, w, _ = image.shape
    return image.reshape(blocks, h // blocks, blocks, w // blocks, 3).mean(axis=(1, 3))


def assert_same_picture(ours, theirs):
    """Channel means within 1.5 %, 8 x 8 block means within 4 % (of the block, or at
    least of 1 % of the image mean)."""
    assert ours.shape == theirs.shape
    mean_ours, mean_theirs = ours.mean(axis=(0, 1)), theirs.mean(axis=(0, 1))
    assert np.allclose(mean_ours, mean_theirs, rtol=0.015), (mean_ours, mean_theirs)
    a, b = block_means(ours), block_means(theirs)
    worst = np.abs(a - b) / np.maximum(b, 0.01 * mean_theirs)
    assert worst.max() < 0.04, (worst.max(), np.unravel_index(worst.argmax(), worst.shape))


@pytest.fixture
def ply_file(tmp_path):
    rng = np.random.default_rng(3)
    positions, faces = grid(7, -1, 1)
    path = tmp_path / 'painted.ply'
    write_ascii_ply(path, positions, faces, rng.uniform(0.05, 0.95, (len(positions), 3)),
                    rng.uniform(0.05, 0.95, (len(faces), 3)))
    return path


@pytest.fixture
def mi():
    mitsuba = pytest.importorskip('mitsuba')
    mitsuba.set_variant('llvm_ad_rgb')
    return mitsuba


@pytest.mark.mitsuba
def test_ply_vertex_and_face_colours_as_mitsuba(mi, ply_file):
    ours = tk.render(tk.load_dict(scene_dict(tk, ply_shapes(tk, ply_file))), seed=1).numpy()
    theirs = np.array(mi.render(mi.load_dict(scene_dict(mi, ply_shapes(mi, ply_file))), seed=1))
    assert ours.mean() > 0.1
    assert_same_picture(ours, theirs)


@pytest.mark.mitsuba
def test_python_built_meshes_as_mitsuba(mi):
    ours = tk.render(tk.load_dict(scene_dict(tk, python_meshes(tk))), seed=1).numpy()
    theirs = np.array(mi.render(mi.load_dict(scene_dict(mi, python_meshes(mi))), seed=1))
    assert ours.mean() > 0.1
    assert_same_picture(ours, theirs)


# -- exact values at known points ------------------------------------------------------

def square_with(attributes, texture_name, scale=1.0, **extra_shapes):
    """A scene holding the square z = 0, [-1, 1]^2 (two triangles: (0, 1, 2) and
    (0, 2, 3)), with ``attributes`` ({name: (size, values)}) and a diffuse
    BSDF reading ``texture_name``; ``extra_shapes`` come first, so that the
    square's triangles do not start at 0. Returns (scene, texture)."""
    mesh = tk.Mesh('square', 4, 2)
    params = tk.traverse(mesh)
    params['vertex_positions'] = [-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0]
    params['faces'] = [0, 1, 2, 0, 2, 3]
    params.update()
    for name, (size, values) in attributes.items():
        mesh.add_attribute(name, size, values)
    bsdf = tk.load_dict(painted(texture_name, scale))
    mesh.set_bsdf(bsdf)
    scene = tk.load_dict({'type': 'scene', **extra_shapes, 'square': mesh})
    return scene, bsdf.reflectance


def hits(scene, points):
    """The interactions of rays straight down onto ``points`` ((k, 2) x, y)."""
    points = np.asarray(points, dtype=np.float32)
    origin = tk.Point3f(points[:, 0], points[:, 1], np.full(len(points), 5, np.float32))
    direction = tk.Vector3f(0, 0, -1)
    return scene.ray_intersect(tk.Ray3f(origin, direction))


VERTEX_COLORS = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]
POINTS = [[0.5, -0.5], [-0.5, 0.5], [0.9, 0.0], [-1.0 + 1e-3, -1.0 + 2e-3]]


def expected_vertex_colours(points, corners=np.array(VERTEX_COLORS, float).reshape(4, 3)):
    """Barycentric blends of the corner colours at ``points`` of the square."""
    out = []
    for x, y in points:
        u, v = (x + 1) / 2, (y + 1) / 2
        if u >= v:     # triangle (0, 1, 2): p = p0 + a (p1 - p0) + b (p2 - p0)
            a, b = u - v, v
            out.append((1 - a - b) * corners[0] + a * corners[1] + b * corners[2])
        else:          # triangle (0, 2, 3)
            a, b = u, v - u
            out.append((1 - a - b) * corners[0] + a * corners[2] + b * corners[3])
    return np.array(out)


def test_vertex_colours_blend_with_barycentrics():
    floor = {'type': 'rectangle', 'to_world': tk.ScalarTransform4f().translate([0, 0, -3])}
    scene, texture = square_with({'vertex_color': (3, VERTEX_COLORS)}, 'vertex_color', scale=0.5,
                                 floor=floor)
    si = hits(scene, POINTS)
    assert np.all(si.shape.numpy() == 1) and np.all(si.prim_index.numpy() >= 2)
    values = np.array(texture.eval(si)).T
    assert np.allclose(values, 0.5 * expected_vertex_colours(POINTS), atol=1e-5)
    # A colour has no one-value reading (0, as in Mitsuba 3); eval_3 gives it again.
    assert np.allclose(texture.eval_1(si).numpy(), 0)
    assert np.allclose(np.array(texture.eval_3(si)).T, values, atol=1e-6)


def test_face_attributes_are_constant_per_triangle():
    scene, texture = square_with({'face_value': (1, [0.25, 0.75]), 'face_pair': (2, [1, 1, 1, 1])},
                                 'face_value')
    si = hits(scene, [[0.5, -0.5], [0.9, 0.1], [-0.5, 0.5], [-0.9, -0.1]])
    assert np.allclose(texture.eval_1(si).numpy(), [0.25, 0.25, 0.75, 0.75])
    # One value as a colour is grey, as in Mitsuba 3.
    assert np.allclose(np.array(texture.eval(si)).T, np.repeat([[.25], [.25], [.75], [.75]], 3, 1))
    assert np.allclose(np.array(texture.eval_3(si)), 0)
    assert np.isclose(texture.mean().numpy()[0], 0.5)
    # Sizes other than 1 and 3 read as zero (Mitsuba 3's JIT variants).
    pair_scene, pair = square_with({'face_pair': (2, [1, 1, 1, 1])}, 'face_pair')
    assert np.allclose(np.array(pair.eval(hits(pair_scene, [[0.5, -0.5]]))), 0)


def test_a_shape_without_the_attribute_reads_zero(tmp_path):
    scene, texture = square_with({'vertex_color': (3, VERTEX_COLORS)}, 'vertex_color')
    bsdf = scene.shapes()[0].bsdf()
    rectangle = tk.load_dict({'type': 'rectangle', 'bsdf': bsdf,
                              'to_world': tk.ScalarTransform4f().translate([3, 0, 0])})
    both = tk.load_dict({'type': 'scene', 'square': scene.shapes()[0], 'plain': rectangle})
    si = hits(both, [[3.2, 0.3], [0.5, -0.5]])
    values = np.array(texture.eval(si)).T
    assert np.allclose(values[0], 0) and np.allclose(values[1], expected_vertex_colours([[0.5, -0.5]])[0])


def test_parameters_and_printing():
    scene, texture = square_with({'vertex_color': (3, VERTEX_COLORS)}, 'vertex_color')
    params = tk.traverse(scene)
    assert params.flags('square.bsdf.reflectance.scale') & tk.ParamFlags.NonDifferentiable
    assert params.is_differentiable('square.vertex_color')
    params['square.bsdf.reflectance.scale'] = 2.0
    params.update()
    si = hits(scene, [[0.5, -0.5]])
    assert np.allclose(np.array(texture.eval(si)).T, 2 * expected_vertex_colours([[0.5, -0.5]]))
    assert 'MeshAttribute' in repr(texture) and 'vertex_color' in repr(texture)


# -- derivatives -----------------------------------------------------------------------

def lit_square():
    """The square coloured by vertex, seen from above under a white sky (16 x 16)."""
    scene, _ = square_with({'vertex_color': (3, [0.5] * 12)}, 'vertex_color')
    return tk.load_dict(scene_dict(tk, {'square': scene.shapes()[0]}, size=16, spp=4))


def test_derivatives_reach_the_vertex_colours():
    scene = lit_square()
    direction = np.zeros(12)
    direction[[0, 4, 8]] = 1.0               # red of corner 0, green of 1, blue of 2
    check = tk.check_gradient(scene, 'square.vertex_color', direction=direction, spp=8, seed=2,
                              step=0.05)
    assert abs(check.finite_difference) > 1e-3
    assert check.relative_error < 0.02, check


def test_derivatives_recorded_with_the_geometry():
    # With the positions tracked too the render is recorded, not replayed:
    # the colours' gradient must be the same either way (same samples).
    def colour_gradient(with_positions):
        scene = lit_square()
        params = tk.traverse(scene)
        colours = params['square.vertex_color']
        dr.enable_grad(colours)
        if with_positions:
            dr.enable_grad(params['square.vertex_positions'])
        image = tk.render(scene, params, seed=4, seed_grad=5, spp=4)
        dr.backward(dr.mean(image, axis=None))
        return dr.grad(colours).numpy()
    replayed, recorded = colour_gradient(False), colour_gradient(True)
    assert np.abs(replayed).max() > 1e-3
    assert np.allclose(replayed, recorded, rtol=1e-3, atol=1e-6)


# -- refused -------------------------------------------------------------------------

def test_names_without_prefix_are_refused():
    with pytest.raises(tk.PluginError, match='"name" must start with "vertex_" or "face_", got "color"'):
        tk.load_dict(painted('color'))


def test_unknown_attribute_is_refused_when_the_scene_is_built(ply_file):
    shapes = ply_shapes(tk, ply_file)
    shapes['right']['bsdf'] = painted('vertex_colour')
    named = r'"vertex_colour"; their attributes: face_color, vertex_color \(did you mean "vertex_color"\?\)'
    with pytest.raises(tk.PluginError, match=named):
        tk.load_dict(scene_dict(tk, shapes))
    shapes['right']['bsdf'] = painted('face_normal')
    with pytest.raises(tk.PluginError, match=r'"right".*"face_normal"'):
        tk.load_dict(scene_dict(tk, shapes))


def test_outside_a_shape_it_cannot_be_read():
    texture = tk.load_dict({'type': 'mesh_attribute', 'name': 'vertex_color'})
    with pytest.raises(tk.RenderError, match='inside the BSDF of a shape'):
        texture.eval(dr.zeros(tk.SurfaceInteraction3f, 1))

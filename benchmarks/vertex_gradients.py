"""Vertex-position derivatives of large meshes against finite differences.

A sphere of 10k-100k triangles, moved by a smooth deformation it does not
know (bumps of random phase), is seen by several sensors under a sky and a
lamp, so that silhouettes, shading and a shadow all change. For one
deformation direction ``d`` (another smooth random field over the
vertices) the derivative image ``dI/dt`` of ``I(v + t d)`` from forward
mode is compared with the central finite difference
``(I(v + e d) - I(v - e d)) / 2e`` of two renders with the same samples,
both averaged over 2 x 2 pixel blocks: their correlation and the relative
L2 error ``|grad - fd| / |fd|`` over all sensors.

    python benchmarks/vertex_gradients.py [--subdivisions 5] [--unwelded] [--integrator direct_projective]
"""
import argparse
import time

import drjit as dr
import numpy as np

import tutorial_kit as tk


def icosphere(subdivisions):
    """A unit sphere of 20 * 4^subdivisions triangles: (V, 3) positions, (F, 3) faces."""
    t = (1 + 5 ** 0.5) / 2
    v = np.array([(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t), (0, -1, -t),
                  (0, 1, -t), (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)], float)
    f = np.array([(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
                  (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
                  (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    for _ in range(subdivisions):
        edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        unique, inverse = np.unique(edges, axis=0, return_inverse=True)
        middle = v[unique[:, 0]] + v[unique[:, 1]]
        middle /= np.linalg.norm(middle, axis=1, keepdims=True)
        m = len(v) + inverse.ravel().reshape(3, -1).T             # midpoints of edges 01, 12, 20
        v = np.concatenate([v, middle])
        f = np.concatenate([np.stack([f[:, 0], m[:, 0], m[:, 2]], 1), np.stack([f[:, 1], m[:, 1], m[:, 0]], 1),
                            np.stack([f[:, 2], m[:, 2], m[:, 1]], 1), m])
    return v, f


def smooth_field(positions, rng, amplitude):
    """A smooth random displacement per vertex: sums of sines of random phase
    along random directions, mostly along the normal (the sphere's radius)."""
    field = np.zeros_like(positions)
    for _ in range(4):
        k = rng.normal(size=3) * 2.5
        phase = rng.uniform(0, 2 * np.pi)
        wave = np.sin(positions @ k + phase)[:, None]
        field += wave * (positions + 0.3 * rng.normal(size=3))
    return amplitude * field / np.abs(field).max()


def deformed_mesh(subdivisions, unwelded, seed=3):
    positions, faces = icosphere(subdivisions)
    rng = np.random.default_rng(seed)
    positions = positions + smooth_field(positions, rng, 0.15)        # the hidden shape
    direction = smooth_field(positions, rng, 1.0)                      # the derivative's direction
    if unwelded:
        positions, direction = positions[faces.ravel()], direction[faces.ravel()]
        faces = np.arange(faces.size).reshape(-1, 3)
    return positions, faces, direction


def write_obj(path, positions, faces):
    with open(path, 'w') as out:
        out.write(''.join('v %.7f %.7f %.7f\n' % tuple(p) for p in positions))
        out.write(''.join('f %d %d %d\n' % tuple(t + 1) for t in faces))
    return path


def build(path, integrator, size, views, sky=0.5):
    T = tk.ScalarTransform4f
    scene = {'type': 'scene', 'integrator': {'type': integrator, 'max_depth': 3 if integrator == 'prb_projective' else 2},
             'sky': {'type': 'constant', 'radiance': sky},
             'lamp': {'type': 'point', 'position': [2.5, 3, 3], 'intensity': 25.0},
             'shape': {'type': 'obj', 'filename': str(path),
                       'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.7, 0.6, 0.5]}}}}
    golden = (1 + 5 ** 0.5) / 2
    for i in range(views):
        theta, phi = 2 * np.pi * i / golden, np.arccos(1 - 2 * (i + 0.5) / views)
        origin = 4.2 * np.array([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)])
        scene[f'sensor{i}'] = {'type': 'perspective', 'fov': 40,
                               'to_world': T().look_at(origin=origin.tolist(), target=[0, 0, 0], up=[0, 1, 0]),
                               'film': {'type': 'hdrfilm', 'width': size, 'height': size}}
    return tk.load_dict(scene)


def blocks(image):
    h, w = image.shape[:2]
    return image[:h // 2 * 2, :w // 2 * 2].reshape(h // 2, 2, w // 2, 2, -1).mean(axis=(1, 3))


def compare(scene, direction, spp_grad, spp_fd, step, seed=1):
    """``(correlation, relative L2, seconds of the derivative renders)`` over all sensors."""
    params = tk.traverse(scene)
    base = params['shape.vertex_positions'].numpy().copy()
    d = tk.Float(direction.ravel().astype(np.float32))
    grads, fds, seconds = [], [], 0.0
    for index in range(len(scene.sensors())):
        t = tk.Float(0.0)
        dr.enable_grad(t)
        params['shape.vertex_positions'] = tk.Float(base) + t * d
        params.update()
        start = time.perf_counter()
        image = tk.render(scene, params, sensor=index, seed=seed, spp=spp_grad)
        dr.forward(t)
        grads.append(blocks(dr.grad(image).numpy()))
        seconds += time.perf_counter() - start
        rendered = []
        for sign in (1, -1):
            params['shape.vertex_positions'] = tk.Float(base + sign * step * direction.ravel())
            params.update()
            rendered.append(tk.render(scene, sensor=index, seed=seed + 7, spp=spp_fd).numpy())
        fds.append(blocks((rendered[0] - rendered[1]) / (2 * step)))
    params['shape.vertex_positions'] = tk.Float(base)
    params.update()
    g, f = np.concatenate([x.ravel() for x in grads]), np.concatenate([x.ravel() for x in fds])
    return float(np.corrcoef(g, f)[0, 1]), float(np.linalg.norm(g - f) / np.linalg.norm(f)), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--subdivisions', type=int, default=5)
    parser.add_argument('--unwelded', action='store_true')
    parser.add_argument('--integrator', default='direct_projective')
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--views', type=int, default=3)
    parser.add_argument('--spp-grad', type=int, default=64)
    parser.add_argument('--spp-fd', type=int, default=256)
    parser.add_argument('--sky', type=float, default=0.5, help='radiance of the constant sky (0: the lamp alone)')
    args = parser.parse_args()
    import tempfile
    positions, faces, direction = deformed_mesh(args.subdivisions, args.unwelded)
    with tempfile.TemporaryDirectory() as folder:
        scene = build(write_obj(f'{folder}/mesh.obj', positions, faces), args.integrator, args.size, args.views, args.sky)
        correlation, error, seconds = compare(scene, direction, args.spp_grad, args.spp_fd, 0.01)
    print(f'{len(faces)} triangles ({"unwelded" if args.unwelded else "welded"}), {args.views} views, '
          f'{args.integrator}, sky {args.sky:g}: correlation {correlation:.3f}, relative L2 {error:.3f}, '
          f'derivative renders {seconds:.1f} s')


if __name__ == '__main__':
    main()

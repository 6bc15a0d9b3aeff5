"""Test meshes for the large-mesh benchmarks: a noisy terrain of any size.

``terrain(triangles)`` makes a height field over the unit square, ``n x n``
quads split into two triangles each (``2 n^2`` triangles, rounded to the
nearest such count), with rolling hills plus per-vertex noise so that rays
scatter between the hills. :func:`write_ply` (binary little endian) and
:func:`write_obj` store it; :func:`write_scene` writes a scene file that both
tutorial_kit and Mitsuba 3 load: the terrain seen from above at an angle,
512 x 512, under a constant sky, path tracer with ``max_depth`` 3.

    python benchmarks/make_mesh.py 1000000 /tmp/terrain   # -> .ply, .obj, _ptn.obj, and a scene for each
"""
import argparse
import os

import numpy as np


def terrain(triangles, seed=1):
    """``(positions (V, 3) float32, faces (M, 3) int32)`` with ``M`` close to ``triangles``.

    y is up; the terrain spans x, z in [-1, 1] with heights around 0.
    """
    n = max(1, int(round(np.sqrt(triangles / 2))))
    axis = np.linspace(-1, 1, n + 1)
    x, z = np.meshgrid(axis, axis, indexing='xy')
    rng = np.random.default_rng(seed)
    y = (0.15 * np.sin(3 * x) * np.cos(4 * z) + 0.08 * np.sin(9 * x + 2 * z)
         + rng.normal(0, 0.3 / n, x.shape))
    positions = np.stack([x, y, z], axis=-1).reshape(-1, 3).astype(np.float32)
    corner = (np.arange(n)[:, None] * (n + 1) + np.arange(n)[None, :]).reshape(-1)
    a, b, c, d = corner, corner + 1, corner + n + 2, corner + n + 1
    # Counter-clockwise seen from above (+y).
    faces = np.stack([np.stack([a, d, c], 1), np.stack([a, c, b], 1)], 1).reshape(-1, 3)
    return positions, faces.astype(np.int32)


def write_ply(path, positions, faces):
    header = ('ply\nformat binary_little_endian 1.0\n'
              f'element vertex {len(positions)}\n'
              'property float x\nproperty float y\nproperty float z\n'
              f'element face {len(faces)}\n'
              'property list uchar int vertex_indices\nend_header\n')
    records = np.empty(len(faces), dtype=[('n', 'u1'), ('i', '<i4', 3)])
    records['n'] = 3
    records['i'] = faces
    with open(path, 'wb') as file:
        file.write(header.encode('ascii'))
        file.write(positions.astype('<f4').tobytes())
        file.write(records.tobytes())


def write_obj(path, positions, faces):
    with open(path, 'w') as file:
        file.write('# terrain written by benchmarks/make_mesh.py\n')
        np.savetxt(file, positions, fmt='v %.6f %.6f %.6f')
        np.savetxt(file, faces + 1, fmt='f %d %d %d')


def write_obj_with_attributes(path, positions, faces, seed=2):
    """An OBJ file as exporters write one for a textured, smooth mesh: a
    texture coordinate and a normal per vertex, each table in an order of
    its own (so that a corner reads ``p/t/n`` with three different numbers),
    and the statements that exporters add (``mtllib``, ``o``, ``s``, ``usemtl``)."""
    rng = np.random.default_rng(seed)
    count = len(positions)
    texcoord_place, normal_place = rng.permutation(count), np.arange(count)[::-1]
    texcoords = np.empty((count, 2), np.float32)
    texcoords[texcoord_place] = 0.5 + 0.5 * positions[:, [0, 2]]
    normals = np.empty((count, 3), np.float32)
    normals[normal_place] = vertex_normals(positions, faces)
    corners = np.stack([faces, texcoord_place[faces], normal_place[faces]], axis=-1) + 1
    with open(path, 'w') as file:
        file.write('# terrain written by benchmarks/make_mesh.py\nmtllib terrain.mtl\no Terrain\n')
        np.savetxt(file, positions, fmt='v %.6f %.6f %.6f')
        np.savetxt(file, texcoords, fmt='vt %.6f %.6f')
        np.savetxt(file, normals, fmt='vn %.4f %.4f %.4f')
        file.write('s 1\nusemtl Ground\n')
        np.savetxt(file, corners.reshape(len(faces), 9), fmt='f %d/%d/%d %d/%d/%d %d/%d/%d')


def vertex_normals(positions, faces):
    """Unit normals per vertex: the area-weighted sum of the adjacent faces' normals."""
    p = positions.astype(np.float64)
    face_normal = np.cross(p[faces[:, 1]] - p[faces[:, 0]], p[faces[:, 2]] - p[faces[:, 0]])
    total = np.zeros_like(p)
    for corner in range(3):
        np.add.at(total, faces[:, corner], face_normal)
    return total / np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)


SCENE = """<scene version="3.0.0">
    <integrator type="path">
        <integer name="max_depth" value="3"/>
    </integrator>
    <sensor type="perspective">
        <float name="fov" value="40"/>
        <transform name="to_world">
            <lookat origin="0, 1.6, 2.2" target="0, 0, 0" up="0, 1, 0"/>
        </transform>
        <sampler type="independent">
            <integer name="sample_count" value="16"/>
        </sampler>
        <film type="hdrfilm">
            <integer name="width" value="512"/>
            <integer name="height" value="512"/>
            <rfilter type="box"/>
        </film>
    </sensor>
    <emitter type="constant">
        <rgb name="radiance" value="1.0, 1.0, 1.0"/>
    </emitter>
    <shape type="{kind}">
        <string name="filename" value="{filename}"/>
        <bsdf type="diffuse">
            <rgb name="reflectance" value="0.6, 0.5, 0.4"/>
        </bsdf>
    </shape>
</scene>
"""


def write_scene(path, mesh_path):
    kind = os.path.splitext(mesh_path)[1][1:]
    with open(path, 'w') as file:
        file.write(SCENE.format(kind=kind, filename=os.path.abspath(mesh_path)))


def write_all(triangles, stem):
    """Write ``stem``.ply/.obj, ``stem``_ptn.obj (with texture coordinates and
    normals, :func:`write_obj_with_attributes`) and a scene file for each
    (``stem``_ply.xml, _obj.xml, _ptn_obj.xml); returns the triangle count and
    the dict of paths."""
    positions, faces = terrain(triangles)
    paths = dict(ply=stem + '.ply', obj=stem + '.obj', obj_ptn=stem + '_ptn.obj',
                 ply_scene=stem + '_ply.xml', obj_scene=stem + '_obj.xml',
                 obj_ptn_scene=stem + '_ptn_obj.xml')
    write_ply(paths['ply'], positions, faces)
    write_obj(paths['obj'], positions, faces)
    write_obj_with_attributes(paths['obj_ptn'], positions, faces)
    for kind in ('ply', 'obj', 'obj_ptn'):
        write_scene(paths[kind + '_scene'], paths[kind])
    return len(faces), paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('triangles', type=int)
    parser.add_argument('stem', help='path without extension, e.g. /tmp/terrain')
    args = parser.parse_args()
    count, paths = write_all(args.triangles, args.stem)
    print(f'{count} triangles:', ', '.join(paths.values()))


if __name__ == '__main__':
    main()

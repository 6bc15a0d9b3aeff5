"""The fast PLY reader (io/ply_fast.py) reads what plyfile reads, or declines."""
import numpy as np
import plyfile
import pytest

from tutorial_kit.io import ply as ply_module
from tutorial_kit.io.ply import read_ply
from tutorial_kit.io.ply_fast import read_binary_ply

RNG = np.random.default_rng(7)


def write(path, faces, byte_order='<', corner_type='i4', count_type='u1', face_values=False,
          extra_list=False, text=False):
    """A PLY file of 5 vertices (positions, normals, uv, a colour, a vertex_weight_x)
    and the given faces, written by plyfile."""
    vertex = np.zeros(5, [('x', 'f4'), ('y', 'f4'), ('z', 'f4'), ('nx', 'f4'), ('ny', 'f4'), ('nz', 'f4'),
                          ('u', 'f4'), ('v', 'f4'), ('red', 'u1'), ('green', 'u1'), ('blue', 'u1'),
                          ('weight_x', 'f8')])
    for name in vertex.dtype.names:
        vertex[name] = RNG.uniform(0, 200, 5).astype(vertex.dtype[name])
    fields = [('vertex_indices', 'O')] + ([('id_x', 'i4')] if face_values else [])
    face = np.empty(len(faces), fields)
    face['vertex_indices'] = [np.array(f, corner_type) for f in faces]
    if face_values:
        face['id_x'] = np.arange(len(faces)) * 3
    elements = [plyfile.PlyElement.describe(vertex, 'vertex'),
                plyfile.PlyElement.describe(face, 'face', len_types={'vertex_indices': count_type},
                                            val_types={'vertex_indices': corner_type})]
    if extra_list:
        edges = np.empty(1, [('vertex_pair', 'O')])
        edges['vertex_pair'] = [np.array([0, 1], 'i4')]
        elements.append(plyfile.PlyElement.describe(edges, 'edge'))
    plyfile.PlyData(elements, text=text, byte_order=byte_order).write(str(path))
    return path


def read_with_plyfile(path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(ply_module, 'read_binary_ply', lambda path: None)
        return read_ply(path)


def assert_same_mesh(a, b):
    for key in ('positions', 'faces', 'normals', 'texcoords'):
        x, y = getattr(a, key), getattr(b, key)
        assert (x is None) == (y is None), key
        if x is not None:
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
    assert a.attributes.keys() == b.attributes.keys()
    for key in a.attributes:
        np.testing.assert_array_equal(a.attributes[key], b.attributes[key])


@pytest.mark.parametrize('byte_order', ['<', '>'])
@pytest.mark.parametrize('corner_type, count_type', [('i4', 'u1'), ('u4', 'i4'), ('i2', 'u2')])
@pytest.mark.parametrize('face_values', [False, True])
def test_same_mesh_as_plyfile(tmp_path, monkeypatch, byte_order, corner_type, count_type, face_values):
    path = write(tmp_path / 'm.ply', [[0, 1, 2], [2, 3, 4], [4, 0, 1]], byte_order, corner_type,
                 count_type, face_values)
    assert read_binary_ply(path) is not None
    mesh = read_ply(path)
    assert_same_mesh(mesh, read_with_plyfile(path, monkeypatch))
    assert set(mesh.attributes) == {'vertex_color', 'vertex_weight'} | ({'face_id'} if face_values else set())
    np.testing.assert_array_equal(mesh.faces, [[0, 1, 2], [2, 3, 4], [4, 0, 1]])


@pytest.mark.parametrize('case', ['polygon', 'edge list', 'ascii', 'trailing bytes', 'truncated'])
def test_declines_what_it_does_not_read(tmp_path, monkeypatch, case):
    """Polygons, other list properties, ASCII files and files whose size does not
    match the header go to plyfile, which reads them or names what is wrong."""
    faces = [[0, 1, 2, 3], [0, 3, 4]] if case == 'polygon' else [[0, 1, 2]]
    path = write(tmp_path / 'm.ply', faces, extra_list=case == 'edge list', text=case == 'ascii')
    data = path.read_bytes()
    if case == 'trailing bytes':
        path.write_bytes(data + b'\0\0\0\0')
    if case == 'truncated':
        path.write_bytes(data[:-5])
    assert read_binary_ply(path) is None
    if case == 'truncated':
        with pytest.raises(Exception, match='truncated'):
            read_ply(path)
    elif case != 'trailing bytes':
        assert_same_mesh(read_ply(path), read_with_plyfile(path, monkeypatch))
        assert len(read_ply(path).faces) == (3 if case == 'polygon' else 1)


@pytest.mark.parametrize('header', [
    b'ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty floot x\nend_header\n',
    b'ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\nproperty float x\nend_header\n',
    b'ply\nformat binary_little_endian 1.0\nelement vertex -1\nproperty float x\nend_header\n',
    b'ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n',
    b'ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float \xff\nend_header\n',
])
def test_odd_headers_are_left_to_plyfile(tmp_path, header):
    path = tmp_path / 'odd.ply'
    path.write_bytes(header + b'\0' * 4)
    assert read_binary_ply(path) is None


def test_large_file_the_same(tmp_path, monkeypatch):
    """A file above the size that is memory-mapped instead of read."""
    count = 60_000
    vertex = np.zeros(count, [('x', 'f4'), ('y', 'f4'), ('z', 'f4'), ('s', 'f4'), ('t', 'f4')])
    for name in vertex.dtype.names:
        vertex[name] = RNG.uniform(-1, 1, count)
    corners = RNG.integers(0, count, (2 * count, 3)).astype(np.int32)
    face = np.empty(len(corners), [('vertex_indices', 'i4', (3,))])
    face['vertex_indices'] = corners
    path = tmp_path / 'large.ply'
    plyfile.PlyData([plyfile.PlyElement.describe(vertex, 'vertex'),
                     plyfile.PlyElement.describe(face, 'face', len_types={'vertex_indices': 'u1'})],
                    byte_order='<').write(str(path))
    assert path.stat().st_size > 1 << 20
    mesh = read_ply(path)
    assert_same_mesh(mesh, read_with_plyfile(path, monkeypatch))
    np.testing.assert_array_equal(mesh.faces, corners.astype(np.uint32))
    assert mesh.normals is None and mesh.texcoords.shape == (count, 2)

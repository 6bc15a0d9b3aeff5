"""Tests for the OBJ and PLY mesh readers: layout of the arrays, vertex
deduplication, triangulation, every error case, and garbage input."""
import warnings

import numpy as np
import plyfile
import pytest

from tutorial_kit.core.errors import MeshError
from tutorial_kit.io.mesh_data import MeshData, fan_triangulate
from tutorial_kit.io.obj import read_obj
from tutorial_kit.io.ply import read_ply

QUAD_POSITIONS = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]]


def write_text(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def check_layout(mesh, vertex_count, face_count):
    """Shapes and dtypes promised by MeshData."""
    assert isinstance(mesh, MeshData)
    assert mesh.positions.shape == (vertex_count, 3) and mesh.positions.dtype == np.float32
    assert mesh.faces.shape == (face_count, 3) and mesh.faces.dtype == np.uint32
    if mesh.normals is not None:
        assert mesh.normals.shape == (vertex_count, 3) and mesh.normals.dtype == np.float32
    if mesh.texcoords is not None:
        assert mesh.texcoords.shape == (vertex_count, 2) and mesh.texcoords.dtype == np.float32


def expect_error(reader, path, *message_parts, line=None):
    """The reader raises a MeshError naming the file (and line) and the problem."""
    with pytest.raises(MeshError) as caught:
        reader(path)
    message = str(caught.value)
    assert path.name in message
    if line is not None:
        assert caught.value.line == line
        assert f'{path.name}:{line}:' in message
    for part in message_parts:
        assert part in message
    return caught.value


# -- triangulation ----------------------------------------------------------

def test_fan_triangulate_mixed_polygons():
    corners = np.array([10, 11, 12, 20, 21, 22, 23, 24])
    triangles = fan_triangulate(corners, np.array([3, 5]))
    assert triangles.tolist() == [[10, 11, 12], [20, 21, 22], [20, 22, 23], [20, 23, 24]]


# -- OBJ: reading -------------------------------------------------------------

def test_obj_quad_is_fan_triangulated_keeping_winding(tmp_path):
    path = write_text(tmp_path, 'quad.obj',
                      'v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n')
    mesh = read_obj(path)
    check_layout(mesh, 4, 2)
    assert mesh.faces.tolist() == [[0, 1, 2], [0, 2, 3]]
    np.testing.assert_array_equal(mesh.positions, QUAD_POSITIONS)
    assert mesh.normals is None and mesh.texcoords is None


def test_obj_pentagon_fan(tmp_path):
    path = write_text(tmp_path, 'pentagon.obj',
                      'v 0 0 0\nv 1 0 0\nv 2 1 0\nv 1 2 0\nv 0 1 0\nf 1 2 3 4 5\n')
    assert read_obj(path).faces.tolist() == [[0, 1, 2], [0, 2, 3], [0, 3, 4]]


def test_obj_vertices_are_unique_index_triples(tmp_path):
    path = write_text(tmp_path, 'crease.obj', '\n'.join([
        'v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'v 1 1 0',
        'vt 0 0', 'vt 1 0', 'vt 0 1', 'vt 1 1',
        'vn 0 0 1', 'vn 0 0 -1',
        'f 1/1/1 2/2/1 3/3/1',
        'f 2/2/1 4/4/1 3/3/1',    # shares two corners with the first face
        'f 1/1/2 3/3/2 2/2/2',    # same positions, other normal: new vertices
    ]) + '\n')
    mesh = read_obj(path)
    check_layout(mesh, 7, 3)
    assert mesh.faces.tolist() == [[0, 1, 2], [1, 3, 2], [4, 5, 6]]
    np.testing.assert_array_equal(mesh.positions[4:], [[0, 0, 0], [0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(mesh.normals[:4], [[0, 0, 1]] * 4)
    np.testing.assert_array_equal(mesh.normals[4:], [[0, 0, -1]] * 3)
    # v is flipped (1 - v), as Mitsuba 3 reads OBJ files: row 0 of a texture is its top.
    np.testing.assert_array_equal(mesh.texcoords[:4], [[0, 1], [1, 1], [0, 0], [1, 0]])
    np.testing.assert_array_equal(mesh.texcoords[4:], [[0, 1], [0, 0], [1, 1]])


def test_obj_position_normal_and_position_texcoord_corners(tmp_path):
    normals_only = write_text(tmp_path, 'vn.obj',
                              'v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//1\n')
    mesh = read_obj(normals_only)
    check_layout(mesh, 3, 1)
    assert mesh.texcoords is None
    np.testing.assert_array_equal(mesh.normals, [[0, 0, 1]] * 3)

    texcoords_only = write_text(tmp_path, 'vt.obj',
                                'v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0.25\nvt 0.5 1\nf 1/1 2/2 3/1\n')
    mesh = read_obj(texcoords_only)
    check_layout(mesh, 3, 1)
    assert mesh.normals is None
    np.testing.assert_array_equal(mesh.texcoords, [[0.25, 1], [0.5, 0], [0.25, 1]])   # v flipped


def test_obj_attribute_missing_on_some_faces_is_dropped_and_vertices_merged(tmp_path):
    path = write_text(tmp_path, 'mixed.obj', '\n'.join([
        'v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'v 1 1 0', 'vn 0 0 1', 'vn 0 0 -1',
        'f 1//1 2//1 3//1',
        'f 2//2 4 3',             # no normals on two corners: flat shading
    ]) + '\n')
    mesh = read_obj(path)
    assert mesh.normals is None
    # '2//1' and '2//2' are the same vertex once normals are gone.
    check_layout(mesh, 4, 2)
    assert mesh.faces.tolist() == [[0, 1, 2], [1, 3, 2]]
    np.testing.assert_array_equal(mesh.positions, [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]])


def test_obj_negative_indices_count_back_from_latest(tmp_path):
    path = write_text(tmp_path, 'relative.obj', '\n'.join([
        'v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'vn 0 0 1',
        'f -3//-1 -2//-1 -1//-1',
        'v 5 5 5', 'vt 0.5 0.5', 'vn 1 0 0',
        'f -4/-1/-1 -2/-1/-1 -1/-1/-1',   # positions 1, 3, 4 (1-based)
    ]) + '\n')
    mesh = read_obj(path)
    check_layout(mesh, 6, 2)
    assert mesh.normals is not None and mesh.texcoords is None
    np.testing.assert_array_equal(mesh.positions[3:], [[0, 0, 0], [0, 1, 0], [5, 5, 5]])
    np.testing.assert_array_equal(mesh.normals[3:], [[1, 0, 0]] * 3)


def test_obj_ignores_comments_groups_materials_and_blank_lines(tmp_path):
    text = ('# exported for a test\r\n'
            'mtllib scene.mtl\r\no Quad\r\ng front\r\ns 1\r\nusemtl red\r\n\r\n'
            '\tv 0 0 0   # trailing comment\r\nv 1 0 0\r\nv 1 1 0 1.0\r\nv 0 1 0 0.2 0.3 0.4\r\n'
            'l 1 2\r\nf\t1 2 3 4\r\n')
    path = tmp_path / 'decorated.obj'
    path.write_bytes(b'\xef\xbb\xbf' + text.encode())   # with a UTF-8 byte-order mark
    mesh = read_obj(path)
    check_layout(mesh, 4, 2)
    np.testing.assert_array_equal(mesh.positions, QUAD_POSITIONS)


def _obj_with_seams(vertices=40, faces=300, seed=5):
    """Random faces whose positions mostly keep one texture and normal index,
    some (seams) another, in a random order."""
    rng = np.random.default_rng(seed)
    texcoord, normal = rng.integers(0, vertices, (2, vertices))
    rows = [f'v {i} {i % 3} {i % 5}' for i in range(vertices)]
    rows += [f'vt {i / vertices} 0.5' for i in range(vertices)] + [f'vn 0 0 {i + 1}' for i in range(vertices)]
    for _ in range(faces):
        corner = []
        for p in rng.choice(vertices, 3, replace=False):
            t, n = texcoord[p], normal[p]
            if rng.random() < 0.3:
                t, n = rng.integers(0, vertices, 2)
            corner.append(f'{p + 1}/{t + 1}/{n + 1}')
        rows.append('f ' + ' '.join(corner))
    return '\n'.join(rows) + '\n'


def test_obj_whole_file_reader_agrees_with_line_reader(tmp_path):
    """The vectorised reader takes the common forms itself (no fallback) and
    gives exactly the line reader's arrays."""
    from tutorial_kit.io import obj, obj_fast
    texts = {
        'p': '# c/d\nv 0 0 0\nv 1 0 0 1\nv 1 1 0\n  v 0 1 0 # note\ns off\nf 1 2 3 4\nf -4 -2 -1\n',
        'p/t/n': '\n'.join(['v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'v 1 1 0', 'vt 0 0', 'vt 1',
                             'vn 0 0 1', 'vn 0 0 -1', 'f 1/1/1 2/2/1 3/1/1',
                             'f 2/2/1 4/2/1 3/1/2', 'f\t-1/-1/-1 -2/-2/-2 -3/-1/-1']),
        'p//n': 'v 0 0 0\r\nv 1 0 0\r\nv 0 1 0\r\nvn 0 0 1\r\nf 1//1 2//1 3//1\r\n',
        'p/p/p': '\n'.join(['v 0 0 0', 'v 1 0 0', 'v 0 1 0', 'v 1 1 0', 'vt 0 0', 'vt 1 0', 'vt 0 1',
                             'vt 1 1', 'vn 0 0 1', 'vn 0 1 0', 'vn 1 0 0', 'vn 0 0 -1',
                             'f 3/3/3 2/2/2 4/4/4', 'f 1/1/1 2/2/2 3/3/3']),   # the same number in each table
        'p/t': 'v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0.25\nvt 0.5 1\nf 1/1 2/2 3/1',
        'p/t, 1 and 3 values': 'v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0.25\nvt 0.5 1 0.75\nf 1/1 2/2 3/1',
        'seams': _obj_with_seams(),
    }
    for name, text in texts.items():
        data = text.encode()
        fast = obj_fast.read_obj_fast(data, name, obj.IGNORED_STATEMENTS)
        reference = obj._read_by_line(data, name)
        assert isinstance(fast, MeshData), name
        for field in ('positions', 'faces', 'normals', 'texcoords'):
            a, b = getattr(fast, field), getattr(reference, field)
            assert (a is None) == (b is None), (name, field)
            if a is not None:
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a, b, err_msg=f'{name} {field}')


def test_obj_error_in_a_large_file_names_its_line(tmp_path, monkeypatch):
    """Errors found by the whole-file reader still name the line, without
    reading the file again line by line."""
    from tutorial_kit.io import obj
    monkeypatch.setattr(obj, '_read_by_line', None)
    rows = [f'v {i} {i % 7} 0' for i in range(3000)] + [f'f {i + 1} {i + 2} {i + 3}' for i in range(2990)]
    for bad, line, problem in ((1500, 'v 1 2 x', 'is not a number'),
                               (4000, 'f 1 2 99999', 'out of range'),
                               (2500, 'v 1 2 nan', 'finite'),
                               (100, 'vx 1 2 3', 'unknown statement')):
        text = '\n'.join(rows[:bad] + [line] + rows[bad:]) + '\n'
        expect_error(read_obj, write_text(tmp_path, 'large.obj', text), problem, line=bad + 1)


def test_obj_control_bytes_are_left_to_the_line_reader(tmp_path):
    """Only spaces and newlines separate tokens in the whole-file reader; a
    stray control byte hands the file to the line reader, which names the line."""
    from tutorial_kit.io import obj, obj_fast
    rows = [f'v {i} {i % 7} 0' for i in range(300)] + [f'f {i + 1} {i + 2} {i + 3}' for i in range(290)]
    for bad, line in ((120, 'v 1 2\x013'), (400, 'f 1 2\x023')):
        text = '\n'.join(rows[:bad] + [line] + rows[bad:]) + '\n'
        assert obj_fast.read_obj_fast(text.encode(), 'control.obj', obj.IGNORED_STATEMENTS) is None
        expect_error(read_obj, write_text(tmp_path, 'control.obj', text), line=bad + 1)
    clean = '\n'.join(rows) + '\n'
    assert isinstance(obj_fast.read_obj_fast(clean.encode(), 'clean.obj', obj.IGNORED_STATEMENTS), MeshData)


def test_obj_from_a_pipe_and_with_a_byte_order_mark(tmp_path):
    """A file that does not know its size (a named pipe) is read to its end;
    a byte-order mark is skipped and errors still name their line."""
    import os
    import threading
    text = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n'
    pipe = tmp_path / 'pipe.obj'
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_text, args=(text,))
    writer.start()
    mesh = read_obj(pipe)
    writer.join()
    check_layout(mesh, 3, 1)
    marked = tmp_path / 'marked.obj'
    marked.write_bytes(b'\xef\xbb\xbf' + text.encode())
    np.testing.assert_array_equal(read_obj(marked).faces, [[0, 1, 2]])
    marked.write_bytes(b'\xef\xbb\xbf' + text.replace('f 1 2 3', 'f 1 2 4').encode())
    expect_error(read_obj, marked, 'out of range', line=4)


# -- OBJ: errors --------------------------------------------------------------

def test_obj_missing_file(tmp_path):
    expect_error(read_obj, tmp_path / 'absent.obj', 'file not found')


def test_obj_unreadable_path(tmp_path):
    directory = tmp_path / 'folder.obj'
    directory.mkdir()
    expect_error(read_obj, directory, 'cannot read')


def test_obj_not_an_obj_file(tmp_path):
    path = write_text(tmp_path, 'mesh.obj', 'ply\nformat ascii 1.0\n')
    expect_error(read_obj, path, "unknown statement 'ply'", line=1)


@pytest.mark.parametrize('line, problem', [
    ('v 1 abc 3', 'is not a number'),
    ('v 1 nan 3', 'finite'),
    ('v inf 2 3', 'finite'),
    ('v 1 2 -1e39', 'finite'),       # overflows float32
    ('vn 0 0 NaN', 'finite'),
    ('vt 0.5 x', 'is not a number'),
    ('v 1 2', 'at least 3'),
])
def test_obj_bad_numbers(tmp_path, line, problem):
    path = write_text(tmp_path, 'numbers.obj', f'v 0 0 0\n# a comment\n{line}\nf 1 1 1\n')
    expect_error(read_obj, path, problem, line=3)


@pytest.mark.parametrize('face, problem', [
    ('f 1 2', 'at least 3 corners'),
    ('f', 'at least 3 corners'),
    ('f 0 1 2', 'index 0'),
    ('f 1 2 4', 'position index 4 is out of range'),
    ('f -4 -2 -1', 'reaches before the first position'),
    ('f 1/1 2/1 3/1', 'texture coordinate index 1 is out of range'),
    ('f 1//2 2//1 3//1', 'normal index 2 is out of range'),
    ('f 1/1/1/1 2 3', 'is not one of'),
    ('f /1 2 3', 'is not one of'),
    ('f 1 2 x', "position index 'x' is not an integer"),
])
def test_obj_bad_faces(tmp_path, face, problem):
    path = write_text(tmp_path, 'faces.obj', f'v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\n\n{face}\n')
    expect_error(read_obj, path, problem, line=6)


def test_obj_without_faces(tmp_path):
    path = write_text(tmp_path, 'points.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\n')
    error = expect_error(read_obj, path, 'no faces')
    assert error.line is None
    expect_error(read_obj, write_text(tmp_path, 'empty.obj', ''), 'no faces')


# -- PLY: reading -------------------------------------------------------------

def write_ply(path, faces, *, text, byte_order='<', texcoord_names=('u', 'v'),
              index_name='vertex_indices', normals=True):
    """Write a unit square's four vertices and ``faces`` (lists of indices)."""
    fields = [('x', 'f4'), ('y', 'f4'), ('z', 'f4')]
    if normals:
        fields += [('nx', 'f4'), ('ny', 'f4'), ('nz', 'f4')]
    if texcoord_names:
        fields += [(name, 'f4') for name in texcoord_names]
    vertices = np.zeros(4, dtype=fields)
    positions = np.array(QUAD_POSITIONS, dtype=np.float32)
    vertices['x'], vertices['y'], vertices['z'] = positions.T
    if normals:
        vertices['nz'] = 1
    if texcoord_names:
        vertices[texcoord_names[0]], vertices[texcoord_names[1]] = positions[:, 0], positions[:, 1]
    face_records = np.empty(len(faces), dtype=[(index_name, 'O')])
    face_records[index_name] = [np.array(face, dtype=np.int32) for face in faces]
    plyfile.PlyData([plyfile.PlyElement.describe(vertices, 'vertex'),
                     plyfile.PlyElement.describe(face_records, 'face')],
                    text=text, byte_order=byte_order).write(str(path))
    return path


PLY_FORMATS = [pytest.param(True, '=', id='ascii'),
               pytest.param(False, '<', id='binary_little_endian'),
               pytest.param(False, '>', id='binary_big_endian')]


@pytest.mark.parametrize('text, byte_order', PLY_FORMATS)
@pytest.mark.parametrize('faces, triangles', [
    ([[0, 1, 2], [0, 2, 3]], [[0, 1, 2], [0, 2, 3]]),          # triangles only
    ([[0, 1, 2, 3], [3, 2, 1]], [[0, 1, 2], [0, 2, 3], [3, 2, 1]]),   # a quad, then a triangle
], ids=['triangles', 'quad_and_triangle'])
def test_ply_formats_with_normals_and_texcoords(tmp_path, text, byte_order, faces, triangles):
    path = write_ply(tmp_path / 'square.ply', faces, text=text, byte_order=byte_order)
    mesh = read_ply(path)
    check_layout(mesh, 4, len(triangles))
    assert mesh.faces.tolist() == triangles
    np.testing.assert_array_equal(mesh.positions, QUAD_POSITIONS)
    np.testing.assert_array_equal(mesh.normals, [[0, 0, 1]] * 4)
    np.testing.assert_array_equal(mesh.texcoords, np.array(QUAD_POSITIONS)[:, :2])


@pytest.mark.parametrize('texcoord_names', [('u', 'v'), ('s', 't'), ('texture_u', 'texture_v'),
                                            ('texture_s', 'texture_t')])
def test_ply_texcoord_names(tmp_path, texcoord_names):
    path = write_ply(tmp_path / 'uv.ply', [[0, 1, 2]], text=False, texcoord_names=texcoord_names)
    np.testing.assert_array_equal(read_ply(path).texcoords, np.array(QUAD_POSITIONS)[:, :2])


def test_ply_vertex_index_name_and_no_attributes(tmp_path):
    path = write_ply(tmp_path / 'plain.ply', [[0, 1, 2, 3]], text=False,
                     index_name='vertex_index', normals=False, texcoord_names=None)
    mesh = read_ply(path)
    check_layout(mesh, 4, 2)
    assert mesh.normals is None and mesh.texcoords is None
    assert mesh.faces.tolist() == [[0, 1, 2], [0, 2, 3]]


def test_ply_written_by_hand(tmp_path):
    path = write_text(tmp_path, 'hand.ply', '\n'.join([
        'ply', 'format ascii 1.0', 'comment two triangles', 'element vertex 4',
        'property double x', 'property double y', 'property double z',
        'element face 2', 'property list uchar uint vertex_indices', 'end_header',
        '0 0 0', '1 0 0', '1 1 0', '0 1 0', '3 0 1 2', '3 0 2 3', '']))
    mesh = read_ply(path)
    check_layout(mesh, 4, 2)
    assert mesh.faces.tolist() == [[0, 1, 2], [0, 2, 3]]


# -- PLY: errors --------------------------------------------------------------

ASCII_HEADER = ('ply\nformat ascii 1.0\nelement vertex {vertices}\nproperty float x\n'
                'property float y\nproperty float z\nelement face {faces}\n'
                'property list uchar int vertex_indices\nend_header\n')


def ascii_ply(tmp_path, body, vertices=3, faces=1, name='bad.ply'):
    return write_text(tmp_path, name, ASCII_HEADER.format(vertices=vertices, faces=faces) + body)


def test_ply_missing_file(tmp_path):
    expect_error(read_ply, tmp_path / 'absent.ply', 'file not found')


def test_ply_unreadable_path(tmp_path):
    directory = tmp_path / 'folder.ply'
    directory.mkdir()
    expect_error(read_ply, directory, 'cannot read')


def test_ply_not_a_ply_file(tmp_path):
    path = write_text(tmp_path, 'mesh.ply', 'v 0 0 0\nf 1 2 3\n')
    expect_error(read_ply, path, 'not a PLY file')


def test_ply_malformed_header(tmp_path):
    path = write_text(tmp_path, 'header.ply', 'ply\nformat ascii 1.0\nelement vertex\nend_header\n')
    expect_error(read_ply, path, 'header')


@pytest.mark.parametrize('text, byte_order', PLY_FORMATS)
def test_ply_truncated(tmp_path, text, byte_order):
    path = write_ply(tmp_path / 'cut.ply', [[0, 1, 2], [0, 2, 3]], text=text, byte_order=byte_order)
    path.write_bytes(path.read_bytes()[:-10])
    expect_error(read_ply, path, 'truncated')


def test_ply_header_promising_more_data_than_the_file_holds(tmp_path):
    binary = write_ply(tmp_path / 'promise.ply', [[0, 1, 2]], text=False)
    promise = binary.read_bytes().replace(b'element vertex 4', b'element vertex 4000000000')
    binary.write_bytes(promise)
    expect_error(read_ply, binary, 'truncated')
    ascii_file = ascii_ply(tmp_path, '0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n', vertices=10**12,
                           name='promise_ascii.ply')
    expect_error(read_ply, ascii_file, 'truncated')


@pytest.mark.parametrize('body, problem', [
    ('0 0 0\n1 nan 0\n0 1 0\n3 0 1 2\n', 'vertex 1 has a position that is not a finite number'),
    ('0 0 0\n1 0 0\n0 1 inf\n3 0 1 2\n', 'vertex 2 has a position'),
    ('0 0 0\n1 0 0\n0 1 0\n2 0 1\n', 'face 0 has 2 vertices'),
    ('0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n', 'face 0 refers to vertex 3'),
    ('0 0 0\n1 0 0\n0 1 0\n3 0 -1 2\n', 'refers to vertex -1'),
    ('0 0 0\n1 0 0\n0 1 abc\n3 0 1 2\n', 'malformed'),
])
def test_ply_bad_values(tmp_path, body, problem):
    expect_error(read_ply, ascii_ply(tmp_path, body), problem)


def test_ply_double_too_large_for_float32(tmp_path):
    path = write_text(tmp_path, 'huge.ply', ASCII_HEADER.replace('float', 'double').format(
        vertices=3, faces=1) + '0 0 0\n1e300 0 0\n0 1 0\n3 0 1 2\n')
    with warnings.catch_warnings():
        warnings.simplefilter('error')   # the overflow is reported, not warned about
        expect_error(read_ply, path, 'vertex 1 has a position that is not a finite number')


def test_ply_non_ascii_header(tmp_path):
    path = tmp_path / 'latin.ply'
    path.write_bytes(ASCII_HEADER.format(vertices=3, faces=1).replace(
        'end_header', 'comment caf\xe9\nend_header').encode('latin-1'))
    expect_error(read_ply, path, 'byte 0xe9', 'not ASCII')


def test_ply_index_out_of_range_in_a_later_face(tmp_path):
    path = write_ply(tmp_path / 'range.ply', [[0, 1, 2], [0, 2, 3, 7]], text=False)
    expect_error(read_ply, path, 'face 1 refers to vertex 7', 'has 4 vertices')


def test_ply_without_faces(tmp_path):
    expect_error(read_ply, ascii_ply(tmp_path, '0 0 0\n1 0 0\n0 1 0\n', faces=0), 'no faces')
    no_face_element = write_text(tmp_path, 'cloud.ply', '\n'.join([
        'ply', 'format ascii 1.0', 'element vertex 1', 'property float x', 'property float y',
        'property float z', 'end_header', '0 0 0', '']))
    expect_error(read_ply, no_face_element, 'no faces')


def test_ply_without_positions_or_integer_indices(tmp_path):
    no_z = write_text(tmp_path, 'flat.ply', '\n'.join([
        'ply', 'format ascii 1.0', 'element vertex 3', 'property float x', 'property float y',
        'element face 1', 'property list uchar int vertex_indices', 'end_header',
        '0 0', '1 0', '0 1', '3 0 1 2', '']))
    expect_error(read_ply, no_z, 'lack the position properties z')
    float_indices = write_text(tmp_path, 'float_index.ply', (ASCII_HEADER.replace(
        'uchar int', 'uchar float').format(vertices=3, faces=1) + '0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n'))
    expect_error(read_ply, float_indices, 'must be integers')


# -- garbage input ------------------------------------------------------------

def read_or_mesh_error(reader, path):
    """Garbage may, by chance, be a valid mesh; anything else must be a MeshError."""
    try:
        reader(path)
    except MeshError as error:
        assert path.name in str(error)


@pytest.mark.parametrize('reader, suffix', [(read_obj, 'obj'), (read_ply, 'ply')])
def test_random_bytes(tmp_path, reader, suffix):
    rng = np.random.default_rng(1)
    for trial in range(50):
        path = tmp_path / f'garbage{trial}.{suffix}'
        path.write_bytes(rng.bytes(int(rng.integers(0, 4000))))
        read_or_mesh_error(reader, path)


@pytest.mark.parametrize('text, byte_order', PLY_FORMATS)
def test_ply_valid_header_with_random_body(tmp_path, text, byte_order):
    rng = np.random.default_rng(2)
    template = write_ply(tmp_path / 'template.ply', [[0, 1, 2, 3]], text=text,
                         byte_order=byte_order).read_bytes()
    header = template[:template.index(b'end_header\n') + len(b'end_header\n')]
    for trial in range(50):
        path = tmp_path / f'body{trial}.ply'
        path.write_bytes(header + rng.bytes(int(rng.integers(0, 200))))
        read_or_mesh_error(read_ply, path)


@pytest.mark.parametrize('reader, suffix', [(read_obj, 'obj'), (read_ply, 'ply')])
def test_randomly_corrupted_valid_files(tmp_path, reader, suffix):
    """Flip random bytes of a valid file: the reader either copes or says why it cannot."""
    rng = np.random.default_rng(3)
    if suffix == 'obj':
        original = write_text(tmp_path, 'valid.obj', '\n'.join([
            'v 0 0 0', 'v 1 0 0', 'v 1 1 0', 'v 0 1 0', 'vt 0 0', 'vt 1 1', 'vn 0 0 1',
            'f 1/1/1 2/2/1 3/2/1 4/1/1', 'f -4//-1 -3//-1 -2//-1']) + '\n').read_bytes()
    else:
        original = write_ply(tmp_path / 'valid.ply', [[0, 1, 2, 3], [0, 1, 2]],
                             text=False).read_bytes()
    for trial in range(100):
        corrupted = bytearray(original)
        for position in rng.integers(0, len(corrupted), size=int(rng.integers(1, 5))):
            corrupted[position] = int(rng.integers(0, 256))
        path = tmp_path / f'corrupted{trial}.{suffix}'
        path.write_bytes(bytes(corrupted))
        read_or_mesh_error(reader, path)

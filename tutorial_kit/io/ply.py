"""Read PLY meshes into a :class:`~tutorial_kit.io.mesh_data.MeshData`.

A PLY file starts with a text header that declares *elements* (here ``vertex``
and ``face``), how many of each there are, and the *properties* each one
carries; the data follows as ASCII text or as binary in either byte order::

    ply
    format binary_little_endian 1.0
    element vertex 8
    property float x
    property float y
    property float z
    element face 6
    property list uchar int vertex_indices
    end_header

The ``plyfile`` package parses the header and hands back one numpy record
array per element (binary files of triangles are read the same way, faster,
by :mod:`~tutorial_kit.io.ply_fast`), so this module only picks the columns
it needs:

* positions from ``x, y, z``;
* normals from ``nx, ny, nz``, when all three are present;
* texture coordinates from the first pair present among ``u, v``,
  ``s, t``, ``texture_u, texture_v`` and ``texture_s, texture_t``;
* faces from the list property ``vertex_indices`` (or ``vertex_index``),
  0-based, each polygon split into a fan of triangles;
* every other number property of vertices and faces as a mesh attribute,
  grouped as Mitsuba 3 groups them (:func:`attribute_groups`): ``r, g, b``
  (or ``red, green, blue``, optionally with alpha) become ``vertex_color``;
  ``<prefix>_x, _y, _z`` (or ``_r, _g, _b``, ``_0, _1, _2``, ``_1, _2, _3``)
  become ``vertex_<prefix>`` (``vertex_<prefix>_color`` for ``_r, _g, _b``);
  one field ``<prefix>_x`` a one-value attribute. Groups of 2 or 4 fields
  and names without a ``_`` suffix are skipped, as Mitsuba skips them.

:func:`write_ply` writes a binary PLY file (what ``Mesh.write_ply`` uses).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import plyfile

from tutorial_kit.core.errors import MeshError
from tutorial_kit.core.limits import MAX_MESH_FILE_BYTES, size_text
from tutorial_kit.io.mesh_data import MeshData, fan_triangulate
from tutorial_kit.io.ply_fast import read_binary_ply

_POSITION_NAMES = ('x', 'y', 'z')
_NORMAL_NAMES = ('nx', 'ny', 'nz')
_TEXCOORD_NAMES = (('u', 'v'), ('s', 't'), ('texture_u', 'texture_v'),
                   ('texture_s', 'texture_t'))
_FACE_INDEX_NAMES = ('vertex_indices', 'vertex_index')

# Telling plyfile that every face is a triangle lets it memory-map the face
# data in one go instead of reading faces one at a time in Python, which is
# far slower for large binary files. If a face is not a triangle, plyfile
# fails, and the file is read again the general way.
_TRIANGLES_ONLY = {'face': {name: 3 for name in _FACE_INDEX_NAMES}}

# What plyfile and numpy raise on a malformed or truncated file, besides
# plyfile's own PlyParseError: a bad number in the header or the ASCII data
# (ValueError), or element counts so large or negative that the arrays for
# them cannot exist (ValueError, OverflowError, MemoryError).
_MALFORMED_FILE_ERRORS = (plyfile.PlyParseError, ValueError, TypeError, IndexError,
                          OverflowError, MemoryError)


def read_ply(path) -> MeshData:
    """Read a PLY file, ASCII or binary in either byte order.

    Args:
        path: the ``.ply`` file, a ``str`` or ``pathlib.Path``.

    Returns:
        A :class:`MeshData`; ``normals`` and ``texcoords`` are ``None`` when
        the vertices do not carry them.

    Raises:
        MeshError: the file is missing or unreadable, is not a PLY file or is
            truncated, lacks vertex positions or faces, has a non-finite
            value, a face with fewer than 3 vertices or an index out of range.
            The message names the file.
    """
    ply = _load(path)
    positions, normals, texcoords = _read_vertices(ply, path)
    faces = _read_faces(ply, len(positions), path)
    attributes = _read_attributes(ply['vertex'], 'vertex_', _vertex_reserved(ply['vertex']), path)
    face_indices = {name for name in _FACE_INDEX_NAMES}
    attributes.update(_read_attributes(ply['face'], 'face_', face_indices, path)
                      if len(faces) == ply['face'].count else {})
    return MeshData(positions=positions, faces=faces, normals=normals, texcoords=texcoords,
                    attributes=attributes)


# -- attributes ---------------------------------------------------------------------------

#: Suffix families of a grouped attribute: field k of a group ends in family[k].
_SUFFIX_FAMILIES = ('xyzw', 'rgba', '0123', '1234')


def _vertex_reserved(vertices):
    names = set(vertices.data.dtype.names or ())
    reserved = set(_POSITION_NAMES) | set(_NORMAL_NAMES)
    for pair in _TEXCOORD_NAMES:
        if all(name in names for name in pair):
            reserved |= set(pair)
            break
    return reserved


def attribute_groups(names, prefix, reserved):
    """``{attribute name: [field names]}`` for the fields ``names`` (in file order)
    of an element, following Mitsuba 3's PLY rules (see the module docstring)."""
    names = [name for name in names if name not in reserved]
    groups = {}
    for colour in (('r', 'g', 'b', 'a'), ('red', 'green', 'blue', 'alpha')):
        if all(name in names for name in colour[:3]):
            groups[prefix + 'color'] = [n for n in colour if n in names]
            break
    names = [n for n in names if n not in ('r', 'g', 'b', 'a', 'red', 'green', 'blue', 'alpha')]
    seen, k = set(), 0
    while k < len(names):
        stem, _, suffix = names[k].rpartition('_')
        family = next((f for f in _SUFFIX_FAMILIES if suffix == f[0]), None)
        if not stem or family is None or stem in seen:
            k += 1
            continue
        fields = [names[k]]
        while (k + len(fields) < len(names) and len(fields) < 4
               and names[k + len(fields)] == f'{stem}_{family[len(fields)]}'):
            fields.append(names[k + len(fields)])
        seen.add(stem)
        k += len(fields)
        if len(fields) in (1, 3):
            groups[prefix + stem + ('_color' if family == 'rgba' else '')] = fields
    return groups


def _read_attributes(element, prefix, reserved, path):
    """``{name: (count, size) float32 array}`` of the element's attribute fields."""
    data = element.data
    scalar = [p.name for p in element.properties if not isinstance(p, plyfile.PlyListProperty)]
    attributes = {}
    for name, fields in attribute_groups(scalar, prefix, reserved).items():
        try:
            with np.errstate(over='ignore'):
                values = np.stack([np.asarray(data[f], dtype=np.float32) for f in fields], axis=1)
        except (TypeError, ValueError):
            continue
        if not np.isfinite(values).all():
            raise MeshError(f'the attribute "{name}" holds a value that is not a finite number', path=path)
        attributes[name] = values
    return attributes


def write_ply(path, vertex_values, vertex_names, faces, face_values=None, face_names=()):
    """Write a binary little-endian PLY file.

    ``vertex_values``: (N, k) float32 columns named ``vertex_names`` (x, y, z
    first); ``faces``: (M, 3) vertex indices; ``face_values``: (M, j) float32
    columns named ``face_names``, or None. Raises MeshError naming the file.
    """
    vertex = np.empty(len(vertex_values), dtype=[(name, '<f4') for name in vertex_names])
    for k, name in enumerate(vertex_names):
        vertex[name] = vertex_values[:, k]
    face_dtype = [('vertex_indices', '<i4', (3,))] + [(name, '<f4') for name in face_names]
    face = np.empty(len(faces), dtype=face_dtype)
    face['vertex_indices'] = faces
    for k, name in enumerate(face_names):
        face[name] = face_values[:, k]
    elements = [plyfile.PlyElement.describe(vertex, 'vertex'),
                plyfile.PlyElement.describe(face, 'face', len_types={'vertex_indices': 'u1'},
                                            val_types={'vertex_indices': 'i4'})]
    try:
        plyfile.PlyData(elements, text=False, byte_order='<').write(str(path))
    except OSError as error:
        raise MeshError(f'cannot write the file ({error.strerror or error})', path=path) from None


def _load(path):
    """Parse the whole file with plyfile, turning every failure into a MeshError."""
    _check_magic(path)
    fast = read_binary_ply(path)
    if fast is not None:
        return fast
    try:
        # On malformed ASCII data numpy may warn before plyfile raises; the
        # MeshError below says all there is to say, so keep the warning quiet.
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)
            try:
                return plyfile.PlyData.read(str(path), mmap='c', known_list_len=_TRIANGLES_ONLY)
            except plyfile.PlyElementParseError:
                # Faces that are not all triangles make the fast read fail, in
                # more than one way (a list length, or, for shorter faces, an
                # early end of the data): the general read decides, and names
                # what is wrong if the file is malformed after all.
                return plyfile.PlyData.read(str(path), mmap='c')
    except OSError as error:
        raise MeshError(f'cannot read the file ({error.strerror or error})', path=path) from None
    except plyfile.PlyHeaderParseError as error:
        raise MeshError(f'malformed PLY header: {error}', path=path) from None
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        raise MeshError(f'malformed PLY file: byte 0x{byte:02x} in the header or in ASCII '
                        'data is not ASCII text', path=path) from None
    except _MALFORMED_FILE_ERRORS as error:
        raise MeshError(f'truncated or malformed PLY file: {error}', path=path) from None


def _check_magic(path):
    """Fail early, with a clear message, on a file that is missing or not a PLY file."""
    try:
        with open(path, 'rb') as file:
            magic = file.read(3)
            size = os.fstat(file.fileno()).st_size
    except FileNotFoundError:
        raise MeshError('file not found', path=path) from None
    except OSError as error:
        raise MeshError(f'cannot read the file ({error.strerror or error})', path=path) from None
    if magic != b'ply':
        raise MeshError("not a PLY file: it does not start with 'ply'", path=path)
    if size > MAX_MESH_FILE_BYTES:
        raise MeshError(f'the file is {size_text(size)}, more than the {size_text(MAX_MESH_FILE_BYTES)} '
                        'that a mesh file may have (it is read whole into memory)', path=path)


def _element(ply, name):
    """The element called ``name``, or None if the header declares none."""
    return ply[name] if name in ply else None


def _read_vertices(ply, path):
    """Positions ``(N, 3)``, and normals ``(N, 3)`` and texcoords ``(N, 2)`` or None."""
    vertices = _element(ply, 'vertex')
    if vertices is None:
        raise MeshError("the file has no 'vertex' element", path=path)
    names = vertices.data.dtype.names or ()

    missing = [name for name in _POSITION_NAMES if name not in names]
    if missing:
        raise MeshError(f"the vertices lack the position properties {', '.join(missing)}",
                        path=path)
    positions = _columns(vertices.data, _POSITION_NAMES, 'position', path)

    normals = None
    if all(name in names for name in _NORMAL_NAMES):
        normals = _columns(vertices.data, _NORMAL_NAMES, 'normal', path)

    texcoords = None
    for pair in _TEXCOORD_NAMES:
        if all(name in names for name in pair):
            texcoords = _columns(vertices.data, pair, 'texture coordinate', path)
            break
    return positions, normals, texcoords


def _columns(records, names, what, path) -> np.ndarray:
    """Stack record fields into an ``(N, len(names))`` float32 array of finite values."""
    try:
        # A double too large for float32 becomes inf here, and is reported below.
        with np.errstate(over='ignore'):
            values = np.stack([np.asarray(records[name], dtype=np.float32) for name in names],
                              axis=1)
    except (TypeError, ValueError):   # a list property where a number was expected
        raise MeshError(f"vertex properties {', '.join(names)} must be numbers",
                        path=path) from None
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        vertex = int(np.argmin(finite))
        raise MeshError(f'vertex {vertex} has a {what} that is not a finite number: '
                        f'{values[vertex].tolist()}', path=path)
    return values


def _read_faces(ply, vertex_count, path) -> np.ndarray:
    """Read the polygons, check them and split them into ``(M, 3)`` uint32 triangles."""
    faces = _element(ply, 'face')
    if faces is None or faces.count == 0:
        raise MeshError('the mesh has no faces', path=path)
    property_name = next((name for name in _FACE_INDEX_NAMES
                          if name in (faces.data.dtype.names or ())), None)
    if property_name is None:
        raise MeshError("the faces have no 'vertex_indices' property", path=path)
    if not isinstance(faces.ply_property(property_name), plyfile.PlyListProperty):
        raise MeshError(f"the face property '{property_name}' must be a list", path=path)

    corner_vertices, corner_counts = _flatten_polygons(faces.data[property_name], path)
    _check_polygons(corner_vertices, corner_counts, vertex_count, path)
    if faces.data[property_name].dtype != object and faces.data[property_name].shape[1:] == (3,):
        # Triangles only (read in one block): one conversion, no int64 copy.
        return corner_vertices.reshape(-1, 3).astype(np.uint32)
    return fan_triangulate(corner_vertices.astype(np.int64), corner_counts).astype(np.uint32)


def _flatten_polygons(index_lists, path):
    """All polygon corners in one array, plus the number of corners of each polygon.

    Args:
        index_lists: plyfile's face indices: an ``(M, 3)`` array when every
            face was read as a triangle, otherwise an ``(M,)`` object array
            holding one index array per face.

    Returns:
        ``(corner_vertices, corner_counts)``: ``(C,)`` integer vertex indices
        and ``(M,)`` int64 corner counts.
    """
    if index_lists.dtype != object:
        face_count, corners_per_face = index_lists.shape
        corner_vertices = index_lists.reshape(-1)
        corner_counts = np.full(face_count, corners_per_face, dtype=np.int64)
    else:
        corner_counts = np.fromiter(map(len, index_lists), dtype=np.int64,
                                    count=len(index_lists))
        corner_vertices = np.concatenate(list(index_lists))
    if not np.issubdtype(corner_vertices.dtype, np.integer):
        raise MeshError(f'face vertex indices must be integers, not {corner_vertices.dtype}',
                        path=path)
    return corner_vertices, corner_counts


def _check_polygons(corner_vertices, corner_counts, vertex_count, path):
    """Raise a MeshError for the first face that is too small or points nowhere."""
    too_small = corner_counts < 3
    if too_small.any():
        face = int(np.argmax(too_small))
        raise MeshError(f'face {face} has {corner_counts[face]} vertices; '
                        'a face needs at least 3', path=path)
    # Two reductions first: the masks below, three arrays as large as the
    # index list, are only needed to name the face at fault.
    if len(corner_vertices) and 0 <= corner_vertices.min() and corner_vertices.max() < vertex_count:
        return
    out_of_range = (corner_vertices < 0) | (corner_vertices >= vertex_count)
    if out_of_range.any():
        corner = int(np.argmax(out_of_range))
        face = int(np.searchsorted(np.cumsum(corner_counts), corner, side='right'))
        raise MeshError(f'face {face} refers to vertex {corner_vertices[corner]}, but the '
                        f'file has {vertex_count} vertices (numbered from 0)', path=path)

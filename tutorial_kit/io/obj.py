"""Read Wavefront OBJ meshes into a :class:`~tutorial_kit.io.mesh_data.MeshData`.

An OBJ file is text, one statement per line::

    v  1.0 0.0 0.0        a position (x y z)
    vt 0.5 1.0            a texture coordinate (u v)
    vn 0.0 0.0 1.0        a normal (x y z)
    f  1/1/1 2/2/1 3/3/1  a face: one index triple per corner

Each face corner is ``p``, ``p/t``, ``p//n`` or ``p/t/n``: indices into the
positions, texture coordinates and normals defined so far. Indices start at 1;
a negative index counts back from the latest entry, so ``-1`` is the one just
defined. Faces with more than three corners are split into a fan of triangles.

OBJ indexes positions, texture coordinates and normals separately, but a
renderer wants a single index per vertex. So every distinct ``(p, t, n)``
triple becomes one vertex: corners that share a triple share a vertex, and a
position used with two different normals (at a crease) becomes two vertices.

Texture coordinates are flipped to ``1 - v``, as Mitsuba 3 does: OBJ's ``v``
points up the image, a texture's rows run down it.

This module is the reference reader, a loop over the lines that reads as the
format is described above: read it first. A loop per line is slow in
Python on large files, so :func:`read_obj` first hands the whole file to
:mod:`tutorial_kit.io.obj_fast`, which reads the same files with array
operations and gives the same results (a student can skip it). The line
reader below runs when the fast one declines a file (unusual syntax, mixed
corner forms, bytes that are not ASCII) and judges the line the fast one
suspects, so that every error comes from here and names its line.
"""
from __future__ import annotations

import io
import os

import numpy as np

from tutorial_kit.core.errors import MeshError
from tutorial_kit.core.limits import FLOAT32_MAX, MAX_MESH_FILE_BYTES, size_text
from tutorial_kit.io.mesh_data import MeshData, fan_triangulate
from tutorial_kit.io.obj_fast import SuspectLine, read_obj_fast

#: Statements that are valid OBJ but carry nothing a triangle mesh needs:
# names, groups, smoothing groups and materials, then points, lines and the
# free-form curve and surface statements, which have no triangles to give.
IGNORED_STATEMENTS = frozenset((
    'o', 'g', 's', 'mg', 'usemtl', 'mtllib', 'usemap', 'maplib', 'lod',
    'bevel', 'c_interp', 'd_interp', 'shadow_obj', 'trace_obj',
    'p', 'l', 'vp', 'cstype', 'deg', 'bmat', 'step', 'curv', 'curv2', 'surf',
    'parm', 'trim', 'hole', 'scrv', 'sp', 'end', 'con', 'ctech', 'stech',
))

# Marks a corner that gives no texture coordinate or no normal.
_MISSING = -1

_BYTE_ORDER_MARK = b'\xef\xbb\xbf'

#: Files of up to this many bytes are read line by line (see read_obj).
SMALL_FILE_BYTES = 16 * 1024


def read_obj(path) -> MeshData:
    """Read a Wavefront OBJ file.

    Args:
        path: the ``.obj`` file, a ``str`` or ``pathlib.Path``.

    Returns:
        A :class:`MeshData`. ``normals`` is ``None`` unless every face corner
        names a normal, and likewise for ``texcoords``.

    Raises:
        MeshError: the file is missing or unreadable, is not an OBJ file, has
            a malformed statement or an index out of range, or has no faces.
            The message names the file and, where there is one, the line.
    """
    # The fast reader first, on a bytearray it may change in place (which
    # saves copying the file); the line reader judges the line it suspects,
    # or reads the files it declines. A small file goes to the line reader
    # at once: the fast one launches a few kernels per file, which a scene
    # of thousands of small meshes would pay thousands of times.
    data = _read_file(path, bytearray)
    if len(data) <= SMALL_FILE_BYTES:
        return _read_by_line(bytes(data), path)
    outcome = read_obj_fast(data, path, IGNORED_STATEMENTS)
    if isinstance(outcome, MeshData):
        return outcome
    if isinstance(outcome, SuspectLine):
        _check_line(outcome, path)          # raises the error that names the line
    return _read_by_line(_read_file(path, bytes), path)


def _read_file(path, kind):
    """The file's bytes, as ``kind`` (bytes, or bytearray to change in place)."""
    try:
        with open(path, 'rb') as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_MESH_FILE_BYTES:
                raise MeshError(f'the file is {size_text(size)}, more than the {size_text(MAX_MESH_FILE_BYTES)} '
                                'that a mesh file may have (it is read whole into memory)', path=path)
            if kind is bytes:
                return file.read(MAX_MESH_FILE_BYTES + 1)
            data = bytearray(size)
            del data[file.readinto(data):]      # a file that shrank meanwhile
            # What the size left out: a file that grew meanwhile, or one that
            # does not know its size (a pipe).
            data += file.read(MAX_MESH_FILE_BYTES + 1 - len(data))
            if len(data) > MAX_MESH_FILE_BYTES:
                raise MeshError(f'the file holds more than the {size_text(MAX_MESH_FILE_BYTES)} that a mesh '
                                'file may have (it is read whole into memory)', path=path)
            return data
    except FileNotFoundError:
        raise MeshError('file not found', path=path) from None
    except OSError as error:
        raise MeshError(f'cannot read the file ({error.strerror or error})', path=path) from None


def _read_by_line(data, path) -> MeshData:
    """Parse the file line by line: every statement, in order, as the format reads."""
    parser = _ObjParser(path)
    # 'utf-8-sig' skips the byte-order mark some editors put first; bytes
    # that are not UTF-8 become U+FFFD and then fail as bad numbers or
    # unknown statements, with their line number, rather than here.
    lines = io.TextIOWrapper(io.BytesIO(data), encoding='utf-8-sig', errors='replace')
    for line_number, line in enumerate(lines, start=1):
        parser.parse_line(line, line_number)
    return parser.finish()


def _check_line(suspect, path):
    """Parse the one line the fast reader suspects; raise its error if it is wrong.

    A line's checks depend only on how many positions, texture coordinates and
    normals the lines above it define, so the vertex lists hold placeholders.
    """
    text = suspect.text
    if text is None:                        # the fast reader blanked its copy in place
        data = _read_file(path, bytes)
        if data.startswith(_BYTE_ORDER_MARK):
            data = data[len(_BYTE_ORDER_MARK):]
        text = data[suspect.start:suspect.end].decode('ascii')
    parser = _ObjParser(path)
    positions, texcoords, normals = suspect.defined
    parser.positions, parser.texcoords, parser.normals = (
        [None] * positions, [None] * texcoords, [None] * normals)
    parser.parse_line(text, suspect.number)


class _ObjParser:
    """Collects an OBJ file's statements one line at a time.

    The per-line work is kept to splitting the line and converting a few
    numbers; everything that can be done on whole arrays waits for
    :meth:`finish`.
    """

    def __init__(self, path):
        self.path = path
        self.positions = []       # [x, y, z] of each 'v' statement
        self.texcoords = []       # [u, v] of each 'vt' statement
        self.normals = []         # [x, y, z] of each 'vn' statement
        # Each distinct (position, texcoord, normal) triple of 0-based indices
        # gets the next vertex number; dicts keep insertion order, so the keys
        # listed in order are the vertices in order.
        self.vertex_of_triple = {}
        # A corner written with positive indices, such as '4/2/7', means the
        # same triple wherever it appears, so its text can be looked up
        # directly without parsing it again. Relative indices cannot be
        # cached: '-1' means a different vertex on every line.
        self.vertex_of_corner_text = {}
        self.corner_vertices = []  # vertex number of every face corner, face after face
        self.corner_counts = []    # number of corners of each face
        self.handlers = {'v': self._read_position, 'vt': self._read_texcoord,
                         'vn': self._read_normal, 'f': self._read_face}

    def error(self, message, line_number=None):
        return MeshError(message, path=self.path, line=line_number)

    def parse_line(self, line, line_number):
        """Dispatch one line of the file to the reader of its statement."""
        if '#' in line:   # a comment runs to the end of the line
            line = line[:line.index('#')]
        tokens = line.split()
        if not tokens:
            return
        handler = self.handlers.get(tokens[0])
        if handler is not None:
            handler(tokens, line_number)
        elif tokens[0] not in IGNORED_STATEMENTS:
            raise self.error(f'unknown statement {_shorten(tokens[0])}: is this an OBJ file?',
                             line_number)

    # -- vertex data -------------------------------------------------------

    def _read_position(self, tokens, line_number):
        # 'v x y z', optionally followed by a weight or a colour, ignored here.
        values = self._parse_numbers(tokens, line_number, 'position', at_least=3)
        self.positions.append(values[:3])

    def _read_texcoord(self, tokens, line_number):
        # 'vt u [v [w]]': v defaults to 0 and w is ignored. OBJ's v points up the
        # image, textures' v down it (row 0 on top): flipped, as Mitsuba 3 does.
        values = self._parse_numbers(tokens, line_number, 'texture coordinate', at_least=1)
        self.texcoords.append([values[0], 1.0 - (values[1] if len(values) > 1 else 0.0)])

    def _read_normal(self, tokens, line_number):
        values = self._parse_numbers(tokens, line_number, 'normal', at_least=3)
        self.normals.append(values[:3])

    def _parse_numbers(self, tokens, line_number, what, at_least):
        """Convert the tokens after the keyword to finite float32-range floats."""
        texts = tokens[1:]
        if len(texts) < at_least:
            raise self.error(f'a {what} needs at least {at_least} numbers, got {len(texts)}',
                             line_number)
        try:
            values = list(map(float, texts))
        except ValueError:
            bad = next(text for text in texts if not _is_float(text))
            raise self.error(f'{what} value {_shorten(bad)} is not a number',
                             line_number) from None
        # One chained comparison rejects NaN (it compares false with
        # everything), inf and anything too large for float32.
        if not all([-FLOAT32_MAX <= value <= FLOAT32_MAX for value in values]):
            raise self.error(f'{what} values must be finite numbers, got '
                             f'{_shorten(" ".join(texts), limit=80)}', line_number)
        return values

    # -- faces -------------------------------------------------------------

    def _read_face(self, tokens, line_number):
        corners = tokens[1:]
        if len(corners) < 3:
            raise self.error(f'a face needs at least 3 corners, got {len(corners)}', line_number)
        vertices = list(map(self.vertex_of_corner_text.get, corners))
        if None in vertices:
            vertices = [self._resolve_corner(corner, line_number) if vertex is None else vertex
                        for corner, vertex in zip(corners, vertices)]
        self.corner_vertices.extend(vertices)
        self.corner_counts.append(len(corners))

    def _resolve_corner(self, corner, line_number):
        """Vertex number of a corner seen for the first time, such as '4/2/7'."""
        parts = corner.split('/')
        if len(parts) > 3 or not parts[0]:
            raise self.error(f'face corner {_shorten(corner)} is not one of '
                             "'p', 'p/t', 'p//n' or 'p/t/n'", line_number)
        position = self._resolve_index(parts[0], self.positions, 'position', line_number)
        texcoord = normal = _MISSING
        if len(parts) > 1 and parts[1]:
            texcoord = self._resolve_index(parts[1], self.texcoords, 'texture coordinate',
                                           line_number)
        if len(parts) > 2 and parts[2]:
            normal = self._resolve_index(parts[2], self.normals, 'normal', line_number)

        triple = (position, texcoord, normal)
        vertex = self.vertex_of_triple.setdefault(triple, len(self.vertex_of_triple))
        if '-' not in corner:
            self.vertex_of_corner_text[corner] = vertex
        return vertex

    def _resolve_index(self, text, defined, what, line_number):
        """Turn a 1-based or negative OBJ index into a 0-based index into ``defined``."""
        try:
            index = int(text)
        except ValueError:
            raise self.error(f'{what} index {_shorten(text)} is not an integer',
                             line_number) from None
        count = len(defined)
        if 0 < index <= count:
            return index - 1
        if -count <= index < 0:
            return count + index
        if index == 0:
            raise self.error(f'{what} index 0 is invalid: OBJ indices start at 1', line_number)
        if index > 0:
            raise self.error(f'{what} index {index} is out of range: '
                             f'{count} {what}s are defined above this line', line_number)
        raise self.error(f'relative {what} index {index} reaches before the first {what}: '
                         f'{count} {what}s are defined above this line', line_number)

    # -- assembling the mesh -----------------------------------------------

    def finish(self) -> MeshData:
        """Build the mesh arrays once every line has been read."""
        if not self.corner_counts:
            raise self.error("the file has no faces ('f' statements)")
        triples = np.array(list(self.vertex_of_triple), dtype=np.int64)   # (V, 3)
        corner_vertices = np.array(self.corner_vertices, dtype=np.int64)

        # Normals (or texcoords) that only some corners have cannot be used,
        # since the others would have none: drop them for the whole mesh.
        dropped = False
        for column in (1, 2):
            missing = triples[:, column] == _MISSING
            if missing.any() and not missing.all():
                triples[:, column] = _MISSING
                dropped = True
        if dropped:
            triples, corner_vertices = _merge_duplicate_vertices(triples, corner_vertices)

        faces = fan_triangulate(corner_vertices, np.array(self.corner_counts))
        return MeshData(
            positions=_gather(self.positions, triples[:, 0], 3),
            faces=faces.astype(np.uint32),
            normals=_gather(self.normals, triples[:, 2], 3),
            texcoords=_gather(self.texcoords, triples[:, 1], 2))


def _gather(values, indices, width):
    """Per-vertex ``(V, width)`` float32 rows of ``values``, or None if unused."""
    if indices[0] == _MISSING:   # after finish(), a column is all missing or all present
        return None
    table = np.array(values, dtype=np.float32).reshape(-1, width)
    return table[indices]


def _merge_duplicate_vertices(triples, corner_vertices):
    """Merge vertices whose index triples became equal after a column was dropped.

    Args:
        triples: ``(V, 3)`` int64 index triple of each vertex.
        corner_vertices: ``(C,)`` int64 vertex of each face corner.

    Returns:
        The ``(V', 3)`` distinct triples, in order of first appearance so that
        vertices keep the order of the file, and the corners renumbered to them.
    """
    distinct, first_seen, distinct_of_vertex = np.unique(
        triples, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first_seen)           # np.unique sorts; undo that
    new_number = np.empty(len(order), dtype=np.int64)
    new_number[order] = np.arange(len(order))
    vertex_renumbering = new_number[distinct_of_vertex.reshape(-1)]
    return distinct[order], vertex_renumbering[corner_vertices]


def _is_float(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _shorten(text, limit=40):
    """Quote a piece of the file for a message, cut short if it is long garbage."""
    return repr(text if len(text) <= limit else text[:limit] + '...')

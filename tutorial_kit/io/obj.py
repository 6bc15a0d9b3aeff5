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

Vertex texture coordinates are returned as stored; many OBJ exporters put
``v = 0`` at the bottom of the image, which a renderer may need to flip.
"""
from __future__ import annotations

import io
import os

import numpy as np

from tutorial_kit.core.errors import MeshError
from tutorial_kit.io.decimals import DeviceText, read_decimals, read_index_tuples
from tutorial_kit.io.mesh_data import MeshData, fan_triangulate

# Statements that are valid OBJ but carry nothing a triangle mesh needs:
# names, groups, smoothing groups and materials, then points, lines and the
# free-form curve and surface statements, which have no triangles to give.
_IGNORED_STATEMENTS = frozenset((
    'o', 'g', 's', 'mg', 'usemtl', 'mtllib', 'usemap', 'maplib', 'lod',
    'bevel', 'c_interp', 'd_interp', 'shadow_obj', 'trace_obj',
    'p', 'l', 'vp', 'cstype', 'deg', 'bmat', 'step', 'curv', 'curv2', 'surf',
    'parm', 'trim', 'hole', 'scrv', 'sp', 'end', 'con', 'ctech', 'stech',
))

# Marks a corner that gives no texture coordinate or no normal.
_MISSING = -1

# The largest finite float32: a coordinate beyond it would become inf once
# stored as float32, so it is rejected like inf itself.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
    # The whole file at once with NumPy, working in place on a bytearray
    # (for 100 MB, a tenth of a second less than copying a bytes object);
    # the line reader below takes what that leaves to it, and names the line
    # of any error the former finds.
    mesh = _read_vectorised(_read_file(path, bytearray), path)
    return mesh if mesh is not None else _read_by_line(_read_file(path, bytes), path)


def _read_file(path, kind):
    """The file's bytes, as ``kind`` (bytes, or bytearray to change in place)."""
    try:
        with open(path, 'rb') as file:
            if kind is bytes:
                return file.read()
            data = bytearray(os.fstat(file.fileno()).st_size)
            del data[file.readinto(data):]      # a file that shrank meanwhile
            # What the size left out: a file that grew meanwhile, or one that
            # does not know its size (a pipe).
            data += file.read()
            return data
    except FileNotFoundError:
        raise MeshError('file not found', path=path) from None
    except OSError as error:
        raise MeshError(f'cannot read the file ({error.strerror or error})', path=path) from None


def _read_by_line(data, path) -> MeshData:
    """Parse the file line by line (about 9 s per million triangles, unloaded)."""
    parser = _ObjParser(path)
    # 'utf-8-sig' skips the byte-order mark some editors put first; bytes
    # that are not UTF-8 become U+FFFD and then fail as bad numbers or
    # unknown statements, with their line number, rather than here.
    lines = io.TextIOWrapper(io.BytesIO(data), encoding='utf-8-sig', errors='replace')
    for line_number, line in enumerate(lines, start=1):
        parser.parse_line(line, line_number)
    return parser.finish()


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
        elif tokens[0] not in _IGNORED_STATEMENTS:
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
        if not all([-_FLOAT32_MAX <= value <= _FLOAT32_MAX for value in values]):
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


# -- reading the whole file at once ---------------------------------------------

_SPACE, _NEWLINE, _SLASH = ord(' '), ord('\n'), ord('/')
# Tabs, carriage returns and other whitespace read as spaces.
_AS_SPACE = bytes.maketrans(b'\t\r\v\f', b'    ')
# Line kinds; a statement other than these is looked up in _IGNORED_STATEMENTS.
_EMPTY, _OTHER, _POSITION, _TEXCOORD, _NORMAL, _FACE = range(6)
_BYTE_ORDER_MARK = b'\xef\xbb\xbf'


def _read_vectorised(data, path):
    """Read an OBJ file with whole-array NumPy operations, no loop per line.

    The file becomes one byte array; its lines are classified by their first
    bytes, and the numbers of each statement kind are converted at once: on
    the device, a number per lane (:mod:`~tutorial_kit.io.decimals`), or
    where that declines, in one ``np.fromstring`` call. Measured on a 2-core
    CPU, in one run: a 100,000-triangle OBJ file reads 6.2 times as fast as
    line by line with ``np.fromstring`` alone; reading the numbers on the
    device takes a million-triangle file from 1.2 s to 0.9 s.

    Anything irregular makes a *suspect* line. The first one is handed to the
    line reader, which raises its usual error naming the line; if it finds
    nothing wrong there (valid but unusual syntax such as ``1_000``), or the
    file has non-ASCII bytes, lone carriage returns, control bytes other than
    white space, or face corners of mixed forms (``1/2`` next to ``3``),
    this returns None and the line reader reads the whole file.

    ``data``: the file's bytes; a bytearray is the caller's to give away:
    it is changed in place (and the file read again for a message).
    """
    owned = isinstance(data, bytearray)          # the caller's own copy, to change in place
    data = _without_byte_order_mark(data)
    if not data.isascii() or (b'\r' in data and data.count(b'\r') != data.count(b'\r\n')):
        return None                               # not ASCII, or lines ending in a lone '\r'
    # The text to work on (comments and keywords get blanked): the caller's
    # bytearray, or a copy; a newline after the last line, and zeros up to a
    # whole number of 32-bit words, so that the device's copy of the text
    # needs no padded copy of its own. (A copy extended in place: for 100 MB,
    # half the time of filling a new zeroed buffer and copying into it, as
    # the extension moves no bytes.)
    size = len(data) + 1
    text = data if owned else bytearray(data)
    original = None if owned else data          # None: read again for messages
    text += b'\n' + bytes(-size % 4)
    if any(space in data for space in (b'\t', b'\r', b'\v', b'\f')):
        text = text.translate(_AS_SPACE)
    padded = np.frombuffer(text, np.uint8)
    buf = padded[:size]
    line_end = _positions(buf, _bytes_equal_to(_NEWLINE))
    line_start = np.r_[0, line_end[:-1] + 1]
    if b'#' in data:                              # a comment runs to the end of its line
        hashes = _positions(buf, _bytes_equal_to(ord('#')))
        line = np.searchsorted(line_end, hashes)
        first = np.r_[True, line[1:] != line[:-1]]
        _blank(buf, hashes[first], line_end[line[first]])
    lines = _Lines(original, text, buf, line_start, line_end, padded)
    if lines.irregular:
        return None                               # control bytes besides the newline
    suspects = [lines.unknown_statements()]

    positions, bad = lines.numbers(_POSITION, 3, 3)
    suspects.append(bad)
    texcoords, bad = lines.numbers(_TEXCOORD, 1, 2)
    suspects.append(bad)
    if texcoords is not None:
        texcoords[:, 1] = 1.0 - texcoords[:, 1]     # v flipped, as the line reader does
    normals, bad = lines.numbers(_NORMAL, 3, 3)
    suspects.append(bad)
    faces = lines.faces()
    if faces is None:
        return None
    corners, form, corner_counts, bad = faces
    suspects.append(bad)

    suspects = np.concatenate(suspects)
    if len(suspects):
        lines.diagnose(int(suspects.min()), path)
        return None
    if not len(corner_counts):
        raise MeshError("the file has no faces ('f' statements)", path=path)
    tables = {_POSITION: positions, _TEXCOORD: texcoords, _NORMAL: normals}
    return _assemble(corners, form, corner_counts, tables)


def _without_byte_order_mark(data):
    """``data`` without the UTF-8 byte-order mark some editors put first
    (a bytearray loses it in place)."""
    if not data.startswith(_BYTE_ORDER_MARK):
        return data
    if isinstance(data, bytearray):
        del data[:len(_BYTE_ORDER_MARK)]
        return data
    return data[len(_BYTE_ORDER_MARK):]


def _positions(buf, test, chunk=1 << 20):
    """The offsets in ``buf`` (uint8) at which ``test`` finds something (int64).

    ``test(part, before, out)`` marks in ``out`` (bool, as long as ``part``)
    what it looks for in ``part``, a piece of ``buf``; ``before`` is the
    byte just before the piece, or None at the start. Reading the text a
    megabyte at a time keeps the masks in the cache and makes no array as
    large as the text: for a 100 MB file that costs about as much as the
    comparisons themselves (the memory of a fresh array is zeroed on first
    use), and the pieces took 10 to 60 % less time.
    """
    mask = np.empty(chunk, bool)
    found = []
    for begin in range(0, len(buf), chunk):
        part = buf[begin:begin + chunk]
        test(part, buf[begin - 1] if begin else None, mask[:len(part)])
        where = np.flatnonzero(mask[:len(part)])
        where += begin
        found.append(where)
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def _bytes_equal_to(value):
    """A test for :func:`_positions`: the bytes equal to ``value``."""
    return lambda part, before, out: np.equal(part, value, out=out)


def _token_starts(part, before, out):
    """A byte above 32 after one that is not (a space, a newline)."""
    inside = part > _SPACE
    np.greater(inside[1:], inside[:-1], out=out[1:])
    out[0] = inside[0] and (before is None or before <= _SPACE)


def _blank(buf, begin, end):
    """Overwrite the byte ranges ``buf[begin[k]:end[k]]`` with spaces."""
    lengths = end - begin
    offsets = np.cumsum(lengths) - lengths
    buf[np.repeat(begin - offsets, lengths) + np.arange(lengths.sum())] = _SPACE


#: Which field of a corner ``p/t/n`` holds the index of each statement kind.
_FIELD = {_POSITION: 0, _TEXCOORD: 1, _NORMAL: 2}
#: Corner forms by (slashes, fields present): ``p``, ``p/t``, ``p//n``, ``p/t/n``.
_FORMS = {(0, (True, False, False)): (_POSITION,), (1, (True, True, False)): (_POSITION, _TEXCOORD),
          (2, (True, False, True)): (_POSITION, _NORMAL), (2, (True, True, True)): (_POSITION, _TEXCOORD, _NORMAL)}


def _uniform_form(present, slashes):
    """The form that all corners share (see :data:`_FORMS`), from whether
    each of the three fields has digits (``present``: three bool arrays) and
    the slashes of each corner; or None if they differ, there are none, or
    it is none of the four."""
    if not len(slashes):
        return None
    form = _FORMS.get((int(slashes[0]), tuple(bool(field[0]) for field in present)))
    if form is None or np.any(slashes != slashes[0]):
        return None
    if any(np.any(field != field[0]) for field in present):
        return None
    return form


def _parse(text, dtype):
    """The whitespace-separated numbers in ``text``, lines ending in newlines.

    Returns ``(values, None)``, or ``(None, line)`` with the index of the
    first line of ``text`` that holds something else, found by bisection
    (each step converts half of what is left, so about one more pass).
    """
    try:
        return np.fromstring(text, dtype=dtype, sep=' '), None
    except ValueError:
        pass
    ends = np.flatnonzero(np.frombuffer(text, np.uint8) == _NEWLINE)
    low, high = 0, len(ends)              # the first bad line is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        start = ends[low - 1] + 1 if low else 0
        try:
            np.fromstring(text[start:ends[middle - 1] + 1], dtype=dtype, sep=' ')
            low = middle
        except ValueError:
            high = middle
    return None, low


class _Lines:
    """An OBJ file as a byte array, its lines classified by statement."""

    def __init__(self, original, text, buf, line_start, line_end, padded):
        """``original``: the file's bytes (None: read them again when a
        message needs them); ``text``: the bytearray to work on; ``buf``: the
        text as uint8; ``padded``: the same memory and zeros after it, a
        whole number of 32-bit words long."""
        self.original, self.text, self.buf = original, text, buf
        self.line_start, self.line_end = line_start, line_end
        # The first byte of each line that is not a space (its newline at the latest).
        first = line_start.copy()
        todo = np.flatnonzero(buf[first] == _SPACE)
        while len(todo):
            first[todo] += 1
            todo = todo[buf[first[todo]] == _SPACE]
        self.first = first
        self.kind = self._classify()
        # The keywords blanked: numbers and corners only.
        self.device_text = DeviceText(padded, len(buf))
        # Spaces and newlines separate tokens. Other control bytes make the
        # file irregular (left to the line reader), so that every byte above
        # 32 is part of a token.
        self.irregular = self.device_text.has_control_bytes()
        # Token starts: a token per number or corner, where a byte above 32
        # follows one that is not, or starts the text.
        self.tokens = _positions(buf, _token_starts)
        # Tokens per line, from where the lines start among the token starts
        # (np.add.reduceat over the bytes took three times as long).
        self.token_count = np.diff(np.searchsorted(self.tokens, np.r_[line_start, len(buf)]))
        self.token_kind = np.repeat(self.kind, self.token_count)

    def _classify(self):
        buf, first = self.buf, self.first
        last = len(buf) - 1
        c0 = buf[first]
        c1 = buf[np.minimum(first + 1, last)]
        c2 = buf[np.minimum(first + 2, last)]
        ends = lambda c: (c == _SPACE) | (c == _NEWLINE)   # noqa: E731
        kind = np.full(len(first), _OTHER, np.int8)
        kind[c0 == _NEWLINE] = _EMPTY
        kind[(c0 == ord('f')) & ends(c1)] = _FACE
        kind[(c0 == ord('v')) & ends(c1)] = _POSITION
        kind[(c0 == ord('v')) & (c1 == ord('t')) & ends(c2)] = _TEXCOORD
        kind[(c0 == ord('v')) & (c1 == ord('n')) & ends(c2)] = _NORMAL
        # Blank the keywords, so that only numbers and corners remain: their
        # first bytes, then the second bytes of 'vt' and 'vn'.
        buf[first[kind >= _POSITION]] = _SPACE
        buf[first[(kind == _TEXCOORD) | (kind == _NORMAL)] + 1] = _SPACE
        return kind

    def unknown_statements(self):
        """Lines whose statement is neither read nor ignored (few, checked in Python)."""
        unknown = [line for line in np.flatnonzero(self.kind == _OTHER)
                   if self.text[self.first[line]:self.line_end[line]].split()[0].decode()
                   not in _IGNORED_STATEMENTS]
        return np.array(unknown[:1], np.int64)

    def _text(self, kind):
        """The bytes of all lines of one kind (keywords blanked), and those lines."""
        lines = np.flatnonzero(self.kind == kind)
        if not len(lines):
            return b'', lines
        if lines[-1] - lines[0] + 1 == len(lines):       # one block, as files tend to be
            return self.buf[self.line_start[lines[0]]:self.line_end[lines[-1]] + 1].tobytes(), lines
        selected = np.repeat(self.kind == kind, self.line_end - self.line_start + 1)
        return self.buf[selected].tobytes(), lines

    def numbers(self, kind, at_least, width):
        """``(values (L, width) float64, suspect lines)`` of the vertex
        statements of one kind, a missing second value being 0."""
        lines = np.flatnonzero(self.kind == kind)
        counts = self.token_count[lines]
        # On the device, all at once; NumPy (and its diagnosis) for anything unusual.
        values, bad_line = read_decimals(self.device_text, self.tokens[self.token_kind == kind]), None
        if values is None:
            values, bad_line = _parse(self._text(kind)[0], np.float64)
        suspect = [lines[counts < at_least]]
        if values is None:
            suspect.append(lines[[bad_line]])
        elif len(values) != counts.sum():
            suspect.append(lines)           # the line reader finds the one at fault
        else:
            # NaN fails the comparison too; beyond float32 would become inf.
            bad = np.flatnonzero(~(np.abs(values) <= _FLOAT32_MAX))
            suspect.append(lines[np.searchsorted(np.cumsum(counts), bad, 'right')])
        suspect = np.concatenate(suspect)
        if len(suspect):
            return None, suspect
        if np.all(counts == width):
            return values.reshape(-1, width), suspect       # the usual file: all lines full
        offset = np.cumsum(counts) - counts
        column = np.minimum(np.arange(width), np.maximum(counts[:, None] - 1, 0))
        rows = values[offset[:, None] + column] if len(values) else np.zeros((0, width))
        return np.where(np.arange(width) < counts[:, None], rows, 0), suspect

    def faces(self):
        """``(corners: k int64 arrays (C,) of 0-based indices, form, corners per
        face, suspect lines)``: ``form`` names the statement kinds that the ``k``
        indices of a corner refer to (see :meth:`_corner_form`); None if
        corners have mixed forms."""
        lines = np.flatnonzero(self.kind == _FACE)
        corner_counts = self.token_count[lines]
        suspect = [lines[corner_counts < 3]]
        # On the device, a corner per lane; NumPy (and its diagnosis) for anything unusual.
        device = read_index_tuples(self.device_text, self.tokens[self.token_kind == _FACE])
        form = _uniform_form(*device[1:]) if device is not None else None
        if form is not None:
            raw = [device[0][_FIELD[kind]] for kind in form]
        else:
            form = self._corner_form(lines)
            if form is None:
                return None
            values, bad_line = _parse(self._text(_FACE)[0].replace(b'/', b' '), np.int64)
            if values is None:
                suspect.append(lines[[bad_line]])
                return None, form, corner_counts, np.concatenate(suspect)
            if len(values) != corner_counts.sum() * len(form):
                return None                     # tokens the count above missed: read by line
            raw = list(values.reshape(-1, len(form)).T)
        corner_line = None
        columns = []
        for index, kind in zip(raw, form):
            statements = np.count_nonzero(self.kind == kind)
            if (len(index) and statements and self._all_before(kind, lines[0])
                    and index.min() > 0 and index.max() <= statements):
                # All defined before the first face, all counted from the start
                # and in range: the usual file, checked without a count per
                # line (the indices are this reader's own, converted in place).
                index -= 1
                columns.append(index)
                continue
            # Statements of this kind defined above each corner's line.
            if corner_line is None:
                corner_line = np.repeat(lines, corner_counts)
            defined = np.cumsum(self.kind == kind)[corner_line]
            resolved = np.where(index > 0, index - 1, defined + index)
            bad = (index == 0) | (resolved < 0) | (resolved >= defined)
            columns.append(resolved)
            suspect.append(corner_line[bad])
        return columns, form, corner_counts, np.concatenate(suspect)

    def _all_before(self, kind, line):
        """Whether every statement of ``kind`` comes before line number ``line``."""
        return not np.any(self.kind[line:] == kind)

    def _corner_form(self, lines):
        """The statement kinds a face corner indexes, the same for all corners
        (``p``, ``p/t``, ``p//n`` or ``p/t/n``), or None."""
        buf = self.buf
        if b'/' not in self.text:
            return (_POSITION,)
        slash = np.flatnonzero(buf == _SLASH)
        on_face = self.kind[np.searchsorted(self.line_end, slash)] == _FACE
        slash = slash[on_face]
        corner_total = self.token_count[lines].sum()
        slashes = len(slash) // max(corner_total, 1)
        if len(slash) != slashes * corner_total or slashes > 2:
            return None
        if slashes == 0:                    # the slashes were in comments
            return (_POSITION,)
        tokens = self.tokens
        per_token = np.bincount(np.searchsorted(tokens, slash, 'right') - 1, minlength=len(tokens))
        if np.any(per_token[self.token_kind == _FACE] != slashes):
            return None
        doubled = (buf[slash + 1] == _SLASH)
        # Every slash sits between digits, or in a '//' between a digit and
        # a digit or minus sign.
        digit = lambda c: (c >= ord('0')) & (c <= ord('9'))     # noqa: E731
        before, after = buf[slash - 1], buf[slash + 1]
        ok = (digit(before) | (before == _SLASH)) & (digit(after) | (after == ord('-')) | doubled)
        if not ok.all():
            return None
        if slashes == 1:
            return (_POSITION, _TEXCOORD)
        if doubled.sum() * 2 == len(slash):
            return (_POSITION, _NORMAL)
        return (_POSITION, _TEXCOORD, _NORMAL) if not doubled.any() else None

    def diagnose(self, line, path):
        """Parse one line with the line reader, which raises its error if
        the line is wrong. Only the statement counts above it matter for its
        checks, so the vertex lists hold placeholders."""
        parser = _ObjParser(path)
        above = np.bincount(self.kind[:line], minlength=6)
        parser.positions = [None] * above[_POSITION]
        parser.texcoords = [None] * above[_TEXCOORD]
        parser.normals = [None] * above[_NORMAL]
        original = self.original
        if original is None:                      # blanked in place: the file again
            original = _without_byte_order_mark(_read_file(path, bytes))
        text = original[self.line_start[line]:self.line_end[line]].decode('ascii')
        parser.parse_line(text, line + 1)


def _assemble(corners, form, corner_counts, tables):
    """MeshData from resolved corners: one vertex per distinct index tuple,
    numbered in order of first appearance, as the line reader numbers them.

    ``corners``: k int64 arrays (C,), the 0-based indices of each corner into
    ``tables[form[j]]`` (the (L, width) values of each statement kind)."""
    sizes = [max(len(tables[kind]), 1) for kind in form]
    first_seen, vertex_of_corner = _distinct_tuples(corners, sizes)
    order = np.argsort(first_seen)
    number = np.empty(len(order), np.int64)
    number[order] = np.arange(len(order))
    first_corner = first_seen[order]                  # where each vertex's index tuple is

    def per_vertex(kind):
        if kind not in form:
            return None
        return tables[kind][corners[form.index(kind)][first_corner]].astype(np.float32)
    faces = fan_triangulate(number[vertex_of_corner.reshape(-1)], corner_counts)
    return MeshData(positions=per_vertex(_POSITION), faces=faces.astype(np.uint32),
                    normals=per_vertex(_NORMAL), texcoords=per_vertex(_TEXCOORD))


def _distinct_tuples(corners, sizes):
    """The distinct index tuples among the corners (``corners``: k int64
    arrays (C,), ``sizes``: each index's table length): ``(first_seen,
    tuple_of_corner)``, each distinct tuple's first corner and each corner's
    tuple number (numbered in no particular order).

    Most corners of a position share its first corner's texture and normal
    indices (all of them in a smooth mesh without seams, or with corners
    such as '7/7/7'). So the tuple of a position's first corner, found
    without sorting, stands for all corners that agree with it; only the
    others (seams, hard edges) are told apart by sorting. Measured on a
    million-triangle OBJ file with different numbers in each table: 0.1 s
    where sorting all corners took 0.3 s.
    """
    positions, count = corners[0], len(corners[0])
    first_use = np.full(sizes[0], count)
    np.minimum.at(first_use, positions, np.arange(count))
    used = np.flatnonzero(first_use < count)
    slot = np.empty(sizes[0], np.int64)
    slot[used] = np.arange(len(used))
    tuple_of_corner = slot[positions]
    first_seen = first_use[used]
    leader = first_use[positions]                 # the first corner of each corner's position
    differ = np.zeros(count, bool)
    for column in corners[1:]:
        differ |= column != column[leader]
    others = np.flatnonzero(differ)
    if len(others):
        rest = [column[others] for column in corners]
        if np.prod(np.array(sizes, np.float64)) < 2 ** 62:        # one integer per index tuple
            key = np.zeros(len(others), np.int64)
            for column, size in zip(rest, sizes):
                key = key * size + column
        else:
            key = np.stack(rest, axis=1)
        _, first, inverse = np.unique(key, axis=0 if key.ndim > 1 else None, return_index=True,
                                      return_inverse=True)
        tuple_of_corner[others] = len(used) + inverse.reshape(-1)
        first_seen = np.concatenate([first_seen, others[first]])
    return first_seen, tuple_of_corner

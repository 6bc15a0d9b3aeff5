"""The fast OBJ reader: a whole file read with array operations, no loop per line.

A student can skip this module: it reads exactly what the line reader in
:mod:`tutorial_kit.io.obj` reads, with the same results, and only exists
because a loop per line in Python is slow on large files.
:func:`~tutorial_kit.io.obj.read_obj` tries it first on every file. It
classifies the lines of the whole file by their first bytes and converts the
numbers of each statement kind at once: on the device, a number per lane
(:mod:`~tutorial_kit.io.decimals`), or where that declines, in one
``np.fromstring`` call (benchmarks/README.md, "Reading OBJ files", has the
figures).

It never decides on its own that a file is wrong. Anything irregular makes a
*suspect* line, and the first one goes back to the line reader as a
:class:`SuspectLine`: the line reader parses that line alone and raises its
usual error naming it. Files this reader does not handle (non-ASCII bytes,
lone carriage returns, control bytes other than white space, face corners of
mixed forms such as ``1/2`` next to ``3``) make it return None, and the line
reader reads the whole file.
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from tutorial_kit.core.errors import MeshError
from tutorial_kit.core.limits import FLOAT32_MAX
from tutorial_kit.io.decimals import DeviceText, read_decimals, read_index_tuples
from tutorial_kit.io.mesh_data import MeshData, fan_triangulate

_SPACE, _NEWLINE, _SLASH = ord(' '), ord('\n'), ord('/')
# Tabs, carriage returns and other whitespace read as spaces.
_AS_SPACE = bytes.maketrans(b'\t\r\v\f', b'    ')
# Line kinds; a statement other than these is looked up in the ignored ones.
_EMPTY, _OTHER, _POSITION, _TEXCOORD, _NORMAL, _FACE = range(6)
_BYTE_ORDER_MARK = b'\xef\xbb\xbf'


class SuspectLine(NamedTuple):
    """The first line the fast reader cannot vouch for, for the line reader to judge.

    ``number``: the line number (from 1); ``start``, ``end``: the line's byte
    offsets in the file after its byte-order mark, if any (the newline
    excluded); ``text``: the line, when the bytes given were not changed in
    place, else None (read the file again); ``defined``: how many positions,
    texture coordinates and normals the lines above it define, which is all
    that the checks of a single line depend on.
    """
    number: int
    start: int
    end: int
    text: str | None
    defined: tuple[int, int, int]


def read_obj_fast(data, path, ignored_statements) -> MeshData | SuspectLine | None:
    """Read an OBJ file with whole-array NumPy operations, no loop per line.

    Args:
        data: the file's bytes. A ``bytearray`` is the caller's to give away:
            it is changed in place (comments and keywords blanked), which
            saves a copy of the whole file.
        path: the file, named in messages.
        ignored_statements: the statements that are valid but carry nothing a
            triangle mesh needs (the line reader's list), so that both readers
            accept the same files.

    Returns:
        The :class:`MeshData`, exactly as the line reader would build it; or a
        :class:`SuspectLine` (the first line that may be wrong: the line
        reader raises its error, or, finding nothing wrong there, as with
        valid but unusual syntax such as ``1_000``, reads the whole file); or
        None for a file this reader leaves to the line reader.

    Raises:
        MeshError: the file has no faces.
    """
    owned = isinstance(data, bytearray)          # the caller's own copy, to change in place
    data = _without_byte_order_mark(data)
    if not data.isascii() or (b'\r' in data and data.count(b'\r') != data.count(b'\r\n')):
        return None                               # not ASCII, or lines ending in a lone '\r'
    # The text to work on (comments and keywords get blanked): the caller's
    # bytearray, or a copy; a newline after the last line, and zeros up to a
    # whole number of 32-bit words, so that the device's copy of the text
    # needs no padded copy of its own. (Extended in place, as that moves no
    # bytes; benchmarks/README.md, "Reading OBJ files".)
    size = len(data) + 1
    text = data if owned else bytearray(data)
    original = None if owned else data          # None: blanked in place, read again for messages
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
    lines = _Lines(text, buf, line_start, line_end, padded)
    if lines.irregular:
        return None                               # control bytes besides the newline
    suspects = [lines.unknown_statements(ignored_statements)]

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
        return lines.suspect_line(int(suspects.min()), original)
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
    large as the text, whose fresh memory would cost about as much as the
    comparisons (benchmarks/README.md, "Reading OBJ files").
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
        return _numbers(text, dtype), None
    except ValueError:
        pass
    ends = np.flatnonzero(np.frombuffer(text, np.uint8) == _NEWLINE)
    low, high = 0, len(ends)              # the first bad line is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        start = ends[low - 1] + 1 if low else 0
        try:
            _numbers(text[start:ends[middle - 1] + 1], dtype)
            low = middle
        except ValueError:
            high = middle
    return None, low


def _numbers(text, dtype):
    """``np.fromstring(text, sep=' ')``, raising ValueError on anything but numbers.

    NumPy 2.3 raises ValueError there; older releases stop at the first bad
    token with a DeprecationWarning and return what came before, which is
    turned into the same ValueError here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter('error', DeprecationWarning)
        try:
            return np.fromstring(text, dtype=dtype, sep=' ')
        except DeprecationWarning as warning:
            raise ValueError(str(warning)) from None


class _Lines:
    """An OBJ file as a byte array, its lines classified by statement."""

    def __init__(self, text, buf, line_start, line_end, padded):
        """``text``: the bytearray to work on; ``buf``: the text as uint8;
        ``padded``: the same memory and zeros after it, a whole number of
        32-bit words long."""
        self.text, self.buf = text, buf
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
        # (cheaper than np.add.reduceat over the bytes).
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

    def unknown_statements(self, ignored_statements):
        """Lines whose statement is neither read nor ignored (few, checked in Python)."""
        unknown = [line for line in np.flatnonzero(self.kind == _OTHER)
                   if self.text[self.first[line]:self.line_end[line]].split()[0].decode()
                   not in ignored_statements]
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
            bad = np.flatnonzero(~(np.abs(values) <= FLOAT32_MAX))
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

    def suspect_line(self, line, original):
        """The :class:`SuspectLine` for line index ``line`` (from 0);
        ``original``: the file's bytes, or None if they were blanked in place."""
        above = np.bincount(self.kind[:line], minlength=6)
        start, end = int(self.line_start[line]), int(self.line_end[line])
        text = original[start:end].decode('ascii') if original is not None else None
        return SuspectLine(number=line + 1, start=start, end=end, text=text,
                           defined=(int(above[_POSITION]), int(above[_TEXCOORD]), int(above[_NORMAL])))


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
    others (seams, hard edges) are told apart by sorting, which costs a
    fraction of sorting all corners (benchmarks/README.md).
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

"""The fast PLY reader: binary files of triangles, read as NumPy views.

A student can skip this module: it reads exactly what ``plyfile`` reads, for
the files it accepts, and exists only because ``plyfile`` spends about a
millisecond of Python on each file's header and elements. A scene of a few
hundred small meshes (a model built from parts) pays that hundreds of times;
this reader parses the header with a few string operations and views the
data as one structured NumPy array per element (benchmarks/README.md,
"Reading PLY files", has the figures).

It accepts binary files (either byte order) whose elements hold only number
properties, except the ``face`` element, which may hold one list property of
vertex indices, provided every face in it is a triangle. Anything else (ASCII
data, other list properties, polygons, a file whose size does not match its
header, a header it cannot read) makes :func:`read_binary_ply` return None,
and :mod:`tutorial_kit.io.ply` reads the file with ``plyfile``, which also
names what is wrong with a malformed one. It never raises on a bad file.

The result offers what :mod:`tutorial_kit.io.ply` uses of a ``plyfile.PlyData``:
``name in ply``, ``ply[name]``, and per element ``data`` (a structured array),
``count``, ``properties`` and ``ply_property(name)`` (``plyfile`` property
objects, so that the same ``isinstance`` checks apply).
"""
from __future__ import annotations

import mmap
import os

import numpy as np
import plyfile

#: PLY's type names and the NumPy scalar types they denote.
_TYPES = {'char': 'i1', 'int8': 'i1', 'uchar': 'u1', 'uint8': 'u1',
          'short': 'i2', 'int16': 'i2', 'ushort': 'u2', 'uint16': 'u2',
          'int': 'i4', 'int32': 'i4', 'uint': 'u4', 'uint32': 'u4',
          'float': 'f4', 'float32': 'f4', 'double': 'f8', 'float64': 'f8'}
_BYTE_ORDERS = {'binary_little_endian': '<', 'binary_big_endian': '>'}
#: The most header bytes read before giving up on finding its end.
_HEADER_LIMIT = 65536
#: Files larger than this are memory-mapped; smaller ones read whole (mapping costs more).
_MAP_BYTES = 1 << 20
#: Corners per face that this reader accepts.
_TRIANGLE = 3


class FastElement:
    """One element of the file: its records and its properties."""

    def __init__(self, name, data, properties):
        self.name = name
        self.data = data                    # structured array, one record per item
        self.count = len(data)
        self.properties = properties        # plyfile property objects, in file order

    def ply_property(self, name):
        return next(p for p in self.properties if p.name == name)


class FastPly(dict):
    """The elements by name, as ``plyfile.PlyData`` offers them."""


def read_binary_ply(path) -> FastPly | None:
    """Read a binary PLY file of triangles, or None if this reader does not handle it."""
    try:
        with open(path, 'rb') as file:
            head = file.read(_HEADER_LIMIT)
            end = head.find(b'end_header')
            if end < 0:
                return None
            line_end = head.find(b'\n', end)
            if line_end < 0:
                return None
            header = _parse_header(head[:end].decode('ascii'))
            if header is None:
                return None
            byte_order, elements = header
            layouts = [_layout(name, properties, byte_order) for name, _, properties in elements]
            if any(layout is None for layout in layouts):
                return None
            expected = line_end + 1 + sum(count * dtype.itemsize
                                          for (_, count, _), (dtype, _) in zip(elements, layouts))
            if os.fstat(file.fileno()).st_size != expected:
                return None
            # A large file mapped (its pages read as they are used, no copy), a small one read.
            if expected > _MAP_BYTES:
                body = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY)
            else:
                file.seek(0)
                body = file.read()
    except (OSError, UnicodeDecodeError, ValueError, OverflowError):
        return None
    ply, offset = FastPly(), line_end + 1
    for (name, count, _), (dtype, properties) in zip(elements, layouts):
        data = np.frombuffer(body, dtype, count, offset)
        offset += count * dtype.itemsize
        if name == 'face' and not _all_triangles(data, properties):
            return None
        ply[name] = FastElement(name, _without_counts(data, properties), properties)
    return ply


def _parse_header(text):
    """``(byte order, [(element name, count, [(property name, type, count type)]...)])``
    from the header's text (up to ``end_header``), or None."""
    lines = [line.split() for line in text.split('\n')]
    if not lines or lines[0] != ['ply']:
        return None
    byte_order, elements = None, []
    for words in lines[1:]:
        if not words or words[0] in ('comment', 'obj_info'):
            continue
        if words[0] == 'format' and len(words) == 3 and words[1] in _BYTE_ORDERS:
            byte_order = _BYTE_ORDERS[words[1]]
        elif words[0] == 'element' and len(words) == 3 and words[2].isdigit():
            elements.append((words[1], int(words[2]), []))
        elif words[0] == 'property' and elements and len(words) == 3 and words[1] in _TYPES:
            elements[-1][2].append((words[2], _TYPES[words[1]], None))
        elif (words[0] == 'property' and elements and len(words) == 5 and words[1] == 'list'
              and words[2] in _TYPES and words[3] in _TYPES):
            elements[-1][2].append((words[4], _TYPES[words[3]], _TYPES[words[2]]))
        else:
            return None
    names = [name for name, _, _ in elements]
    if byte_order is None or len(set(names)) != len(names):
        return None
    return byte_order, elements


def _layout(element, properties, byte_order):
    """``(record dtype, plyfile properties)`` of one element, or None where a
    list property is not the face's list of triangle corners."""
    if len({name for name, _, _ in properties}) != len(properties):
        return None
    fields, described = [], []
    for name, kind, count_kind in properties:
        if count_kind is None:
            fields.append((name, byte_order + kind))
            described.append(plyfile.PlyProperty(name, kind))
        elif element == 'face' and not any(p[2] for p in properties if p[0] != name):
            # The corner count of each face, then its corners (checked to be 3).
            fields.append((_count_field(name), byte_order + count_kind))
            fields.append((name, byte_order + kind, (_TRIANGLE,)))
            described.append(plyfile.PlyListProperty(name, count_kind, kind))
        else:
            return None
    try:
        return np.dtype(fields), described
    except (TypeError, ValueError):
        return None


def _count_field(name):
    return f'\0count of {name}'


def _all_triangles(data, properties):
    """Whether every face's corner count is 3 (the layout assumed it)."""
    lists = [p.name for p in properties if isinstance(p, plyfile.PlyListProperty)]
    return all(bool(np.all(data[_count_field(name)] == _TRIANGLE)) for name in lists)


def _without_counts(data, properties):
    """The records with the corner-count fields left out, as ``plyfile`` returns them."""
    if not any(isinstance(p, plyfile.PlyListProperty) for p in properties):
        return data
    names = [p.name for p in properties]
    kept = np.dtype({'names': names, 'formats': [data.dtype.fields[n][0] for n in names],
                     'offsets': [data.dtype.fields[n][1] for n in names], 'itemsize': data.dtype.itemsize})
    return data.view(kept)

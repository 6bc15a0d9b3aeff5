"""Read a scene from Mitsuba's XML format.

``load_file('scenes/cbox/cbox.xml')`` parses the file, upgrades old scene
versions the way Mitsuba does, substitutes ``$name`` parameters, follows
``<include>`` and ``<ref>``, and creates one plugin object per element
through :mod:`tutorial_kit.core.registry`. Children are created before their
parents, so a shape receives finished BSDF and emitter objects.

Every problem raises a :class:`~tutorial_kit.core.errors.SceneError` that names
the file and line. Nothing is modified in place: a failed load leaves no
half-built scene behind. Bounds on nesting (:data:`MAX_NESTING_DEPTH`,
:data:`MAX_OBJECT_TREE`, :data:`MAX_INCLUDE_DEPTH`, :data:`MAX_INCLUDED_FILES`), on
``$parameter`` substitution (:data:`MAX_SUBSTITUTED_CHARS`) and on numbers (32-bit
ranges) keep a small file from causing unbounded work or non-finite values.
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import os
import re
import stat
import sys
import warnings
import xml.parsers.expat
from typing import Any, Union

import numpy as np

from tutorial_kit.core import registry

from tutorial_kit.core import transform
from tutorial_kit.core.errors import PluginError, SceneError, XMLError
from tutorial_kit.core.file_resolver import file_resolver
from tutorial_kit.core.limits import MAX_SCENE_FILE_BYTES, size_text
from tutorial_kit.io.properties import Properties, SceneWarning, is_lenient, nearest_names
from tutorial_kit.core.spectrum import CIE_MAX_NM, CIE_MIN_NM, parse_spectrum, spectrum_to_srgb

#: Scene versions we read. 0.x files are upgraded first.
SUPPORTED_MAJOR_VERSIONS = (0, 1, 2, 3)
_PROPERTY_TAGS = ('integer', 'float', 'boolean', 'string', 'point', 'vector',
                  'rgb', 'spectrum', 'transform')
_TRANSFORM_OPS = ('translate', 'rotate', 'scale', 'matrix', 'lookat')

#: Elements may nest at most this deep (a scene of twosided BSDFs 200 deep is
#: fine); deeper documents are refused before any object is created, so that
#: building them cannot exhaust Python's stack.
MAX_NESTING_DEPTH = 256
#: An object may contain at most this many objects, counting one reached
#: twice (through ``<ref>``) twice: an object is evaluated once per path to
#: it, so references could otherwise make a small file exponentially costly.
MAX_OBJECT_TREE = 4096
#: ``<include>`` chains may be at most this long.
MAX_INCLUDE_DEPTH = 32
#: A scene may include at most this many files in all (counting a file
#: included twice twice): depth alone would let each level include the next
#: many times over, a small set of files that takes forever to load.
MAX_INCLUDED_FILES = 1000
#: An attribute value may be at most this long once its ``$parameters`` are
#: replaced (a parameter repeated many times could otherwise build a value of
#: gigabytes).
MAX_SUBSTITUTED_CHARS = 1_000_000
#: The largest magnitude a scene number may have: every value ends up in a
#: 32-bit float, whose largest finite value this is.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: ``<integer>`` values are 32-bit signed integers, as in Mitsuba.
INT32_RANGE = (-2 ** 31, 2 ** 31 - 1)

#: Which objects each element may contain, and how many of each (None: any
#: number). A child elsewhere would be ignored by its parent, so it is an error.
#: Children that only some plugins of a kind take: a batch sensor its sensors,
#: an aov integrator the integrators it renders along.
_PLUGIN_CHILDREN = {('sensor', 'batch'): {'sensor': None}, ('integrator', 'aov'): {'integrator': None},
                    ('integrator', 'stokes'): {'integrator': 1}}
_ALLOWED_CHILDREN = {
    'scene': {'integrator': 1, 'sensor': None, 'shape': None, 'emitter': None, 'bsdf': None,
              'texture': None, 'medium': None, 'phase': None, 'volume': None},
    'sensor': {'film': 1, 'sampler': 1, 'medium': 1},
    'film': {'rfilter': 1},
    'shape': {'bsdf': 1, 'emitter': 1, 'medium': 2},
    'medium': {'phase': 1, 'volume': None, 'texture': None},
    'volume': {'texture': None},
    'phase': {},
    'bsdf': {'bsdf': None, 'texture': None},
    'emitter': {'texture': None},
    'texture': {'texture': None, 'volume': None},
    'volume': {},
    'integrator': {},
    'sampler': {},
    'rfilter': {},
}

# A number as scene files write it: ASCII digits with an optional fraction
# and exponent. Stricter than float(), which also takes 'nan', 'inf', '4_0'
# and digits of other scripts.
_NUMBER = re.compile(r'[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?')
# Such numbers separated by commas and white space (one match for the whole list).
# (Written so that each character has one way to match: no backtracking blow-up.)
_NUMBER_LIST = re.compile(rf'[\s,]*(?:{_NUMBER.pattern}(?:[\s,]+{_NUMBER.pattern})*[\s,]*)?')
_INTEGER = re.compile(r'\s*[-+]?[0-9]{1,12}\s*')
_PARAMETER_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_PARAMETER_REFERENCE = re.compile(r'\$([A-Za-z_][A-Za-z0-9_]*)')


class Node:
    """One XML element: tag, attributes (a dict the node then owns), children,
    and where it came from."""

    #: Whether its ``$parameters`` have been replaced (see _substitute).
    substituted = False

    def __init__(self, tag, attrib, line, path):
        self.tag, self.attrib, self.line, self.path = tag, attrib, line, path
        self.children = []

    def error(self, message, cls=XMLError):
        return cls(message, self.path, self.line)

    def require(self, attribute):
        if attribute not in self.attrib:
            # A misspelt attribute (valeu="1") is named: it is why the right one is missing.
            close = difflib.get_close_matches(attribute, list(self.attrib), n=1, cutoff=0.6)
            found = f' (found "{close[0]}": did you mean "{attribute}"?)' if close else ''
            raise self.error(f'<{self.tag}> requires the attribute "{attribute}"{found}')
        return self.attrib[attribute]


# -- public entry points ----------------------------------------------------------

def load_file(path: Union[str, bytes, os.PathLike], /, update_scene: bool = False, parallel: bool = True,
              optimize: bool = True, **parameters: Any) -> Any:
    """Load the scene in the XML file ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        A Mitsuba scene file, of format version 0.x to 3.x (older names are
        upgraded on load). Files it names (meshes, images, ``<include>``)
        are looked up beside it, then in :func:`file_resolver`'s folders.
    update_scene, parallel, optimize : bool
        Accepted for Mitsuba 3's signature; they change nothing here.
    **parameters
        Values of the file's ``$name`` parameters, which take precedence over
        its ``<default>`` values, e.g. ``load_file('cbox.xml', spp=16)``.

    Returns
    -------
    Scene
        The scene (a :class:`~tutorial_kit.renderer.scene.Scene`), or the one
        plugin the file describes when its root is not a ``<scene>``.

    Raises
    ------
    SceneError
        An :class:`XMLError` for a file that cannot be read or parsed, a
        :class:`PluginError` for an unknown plugin or a bad property, always
        naming the file and the element; a keyword that sets no parameter of
        the file is refused too, naming the nearest one, as in Mitsuba 3.
    """
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise XMLError(f'load_file expects a file name (str or os.PathLike), got {type(path).__name__}')
    path = os.fspath(path)
    loader = _Loader(parameters)
    with _collector_paused():
        return loader.load_scene(_parse_file(path))


def load_string(text: Union[str, bytes], /, base_dir: Union[str, os.PathLike] = ".", update_scene: bool = False,
                parallel: bool = True, optimize: bool = True, **parameters: Any) -> Any:
    """Load a scene from an XML string.

    Parameters
    ----------
    text : str or bytes
        The scene in Mitsuba's XML format.
    base_dir : str or os.PathLike
        Where relative file names in ``text`` (meshes, images) are resolved.
    update_scene, parallel, optimize : bool
        Accepted for Mitsuba 3's signature; they change nothing here.
    **parameters
        Values of ``$name`` parameters, as for :func:`load_file`.

    Returns
    -------
    Scene
        The scene, or the one plugin ``text`` describes.
    """
    if not isinstance(text, (str, bytes)):
        raise XMLError(f'load_string expects the XML text (str or bytes), got {type(text).__name__}')
    if not isinstance(base_dir, (str, os.PathLike)):
        raise XMLError(f'base_dir must be a directory name, got {type(base_dir).__name__}')
    loader = _Loader(parameters)
    with _collector_paused():
        return loader.load_scene(parse_text(text, os.path.join(os.fspath(base_dir), '<string>')))


# -- parsing ---------------------------------------------------------------------

def check_regular_file(path, error_class, what='file', max_bytes=None):
    """Refuse ``path`` unless it is an existing regular file (of at most
    ``max_bytes`` bytes, when given).

    Opening a FIFO or a device would block or never end, so these are
    refused before they are opened. ``error_class`` is the SceneError
    subclass to raise; ``what`` names the file in the message.
    """
    try:
        info = os.stat(path)
    except OSError as error:
        raise error_class(f'cannot read the {what}: {error.strerror or error}', path) from None
    except ValueError as error:     # e.g. a NUL character in the name
        raise error_class(f'cannot read the {what}: {error}', path) from None
    if not stat.S_ISREG(info.st_mode):
        raise error_class(f'the {what} is not a regular file', path)
    if max_bytes is not None and info.st_size > max_bytes:
        raise error_class(f'the {what} is {size_text(info.st_size)}, more than the {size_text(max_bytes)} '
                          f'that are read whole into memory', path)


def read_regular_file(path, error_class, what='file', max_bytes=MAX_SCENE_FILE_BYTES):
    """The bytes of ``path`` once :func:`check_regular_file` accepts it (at most
    ``max_bytes`` bytes: the file is read whole)."""
    check_regular_file(path, error_class, what, max_bytes)
    try:
        with open(path, 'rb') as file:
            return file.read()
    except OSError as error:
        raise error_class(f'cannot read the {what}: {error.strerror or error}', path) from None


def _parse_file(path):
    return parse_text(read_regular_file(path, XMLError, 'scene file'), path)


def parse_text(data, path):
    """Parse XML with expat into :class:`Node` objects, refusing DTDs and entities.

    Entity declarations can make a small file expand without bound or read
    other files, so a scene file may not contain any.
    """
    parser = xml.parsers.expat.ParserCreate()
    stack, roots = [], []

    def refuse(*_):
        raise XMLError('document type and entity declarations are not allowed in scene files',
                       path, parser.CurrentLineNumber)

    def start(tag, attrib):
        if len(stack) >= MAX_NESTING_DEPTH:
            raise XMLError(f'elements are nested more than {MAX_NESTING_DEPTH} deep',
                           path, parser.CurrentLineNumber)
        node = Node(tag, attrib, parser.CurrentLineNumber, path)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        raise XMLError(f'malformed XML: {xml.parsers.expat.ErrorString(error.code)}',
                       path, error.lineno) from None
    except RecursionError:
        raise XMLError('the document is nested too deeply to be read', path) from None
    except LookupError as error:        # an encoding="..." that Python does not know
        raise XMLError(f'the XML declaration names an unknown text encoding ({error}); '
                       'write the file in UTF-8', path, parser.CurrentLineNumber) from None
    if not roots:
        raise XMLError('the document has no root element', path)
    return roots[0]


# -- versions and parameters ------------------------------------------------------

def _scene_version(root):
    text = root.require('version')
    match = re.fullmatch(r'([0-9]{1,6})\.([0-9]{1,6})\.([0-9]{1,6})', text.strip())
    if not match:
        raise root.error(f'the scene version "{text}" is not of the form MAJOR.MINOR.PATCH')
    version = tuple(int(part) for part in match.groups())
    if version[0] not in SUPPORTED_MAJOR_VERSIONS:
        raise root.error(f'scene version {text} is not supported (expected 0.x to 3.x)')
    return version


def _snake_case(name):
    return re.sub(r'(?<=[a-z0-9])([A-Z])', r'_\1', name).lower()


def upgrade_tree(node):
    """Rewrite a scene of version 0.x to current names, as Mitsuba does on load.

    Parameter names go from camelCase to snake_case (``toWorld`` becomes
    ``to_world``) and ``<lookAt>`` becomes ``<lookat>``.
    """
    pending = [node]                # iterative: scenes may nest deeply
    while pending:
        node = pending.pop()
        if 'name' in node.attrib:
            node.attrib['name'] = _snake_case(node.attrib['name'])
        if node.tag == 'lookAt':
            node.tag = 'lookat'
        pending.extend(node.children)


def _substitute(node, parameters, used):
    """Replace ``$name`` in every attribute value with its parameter value, once
    per element; the names replaced are added to the set ``used``. A value
    that would grow beyond :data:`MAX_SUBSTITUTED_CHARS` is refused before it is built."""
    if node.substituted:
        return
    node.substituted = True
    for key, value in node.attrib.items():
        if '$' not in value:
            continue
        length = len(value)
        for match in _PARAMETER_REFERENCE.finditer(value):
            name = match.group(1)
            if name not in parameters:
                raise node.error(f'the parameter "${name}" has no value: give it with '
                                 f'<default name="{name}" value="..."/> or as an argument')
            length += len(parameters[name]) - len(match.group(0))
            if length > MAX_SUBSTITUTED_CHARS:
                raise node.error(f'the attribute "{key}" would be longer than {MAX_SUBSTITUTED_CHARS} '
                                 f'characters once its $parameters are replaced')
            used.add(name)
        node.attrib[key] = _PARAMETER_REFERENCE.sub(lambda m: parameters[m.group(1)], value)


# -- value parsing -----------------------------------------------------------------

def _numbers(node, text, count=None, what='number'):
    """Parse comma- or space-separated floats from ``text``; ``count``: the number
    (an int) or numbers (a tuple) of values allowed."""
    if not _NUMBER_LIST.fullmatch(text):
        raise node.error(f'<{node.tag}> expects {what}s, got "{_excerpt(text)}"')
    values = [float(p) for p in text.replace(',', ' ').split()]
    if count is not None:
        allowed = count if isinstance(count, tuple) else (count,)
        if len(values) not in allowed:
            raise node.error(f'<{node.tag}> expects {" or ".join(map(str, allowed))} '
                             f'{what}(s), got {len(values)} in "{_excerpt(text)}"')
    if values and not max(map(abs, values)) <= FLOAT32_MAX:
        raise node.error(f'<{node.tag}> expects {what}s within the 32-bit float range '
                         f'(|x| <= {FLOAT32_MAX:.4g}), got "{_excerpt(text)}"')
    return values


def _excerpt(text, length=60):
    """``text`` shortened for a message."""
    return text if len(text) <= length else text[:length] + '...'


def _check_no_children(node):
    """Property and transform-operation elements hold no elements of their own."""
    if node.children:
        child = node.children[0]
        raise child.error(f'<{node.tag}> cannot contain <{child.tag}>')


def _xyz(node, default):
    """A 3-vector from ``value="x, y, z"`` or from ``x``, ``y``, ``z`` attributes."""
    if 'value' in node.attrib:
        values = _numbers(node, node.attrib['value'], (1, 3))
        return np.array(values * 3 if len(values) == 1 else values, dtype=np.float64)
    return np.array([_numbers(node, node.attrib.get(axis, str(default)), 1)[0]
                     for axis in 'xyz'])


def _parse_transform(node):
    rows = [[1.0 if i == j else 0.0 for j in range(4)] for i in range(4)]    # the identity
    for op in node.children:
        if op.tag not in _TRANSFORM_OPS:
            close = difflib.get_close_matches(op.tag, list(_TRANSFORM_OPS), n=1, cutoff=0.6)
            hint = f'did you mean <{close[0]}>? ' if close else ''
            raise op.error(f'unknown transform operation <{op.tag}> '
                           f'({hint}expected one of {", ".join(_TRANSFORM_OPS)})')
        _check_no_children(op)
        rows = _then(rows, op)
        # Overflow gives inf or NaN (which fails the comparison too).
        if not all(abs(value) <= FLOAT32_MAX for row in rows for value in row):
            raise op.error('the transform overflows the 32-bit float range')
    matrix = np.array(rows)
    if not transform.is_valid_affine(matrix):
        raise node.error('the transform is not an invertible affine transform')
    return matrix


def _then(rows, op):
    """``op`` applied after the matrix ``rows`` (4 lists of 4 floats): new rows.

    A translation or a scaling of an affine matrix adds to its last column
    or scales its rows: the same values as the product with the operation's
    matrix (whose other terms add zeros), in plain Python floats, without
    building that matrix, which matters once per shape in a file of
    thousands. Other operations multiply NumPy matrices.
    """
    if op.tag in ('translate', 'scale') and rows[3] == [0.0, 0.0, 0.0, 1.0]:
        if op.tag == 'translate':
            offset = _xyz(op, 0).tolist()
            return [[*row[:3], row[3] + offset[i]] for i, row in enumerate(rows[:3])] + [rows[3]]
        factors = _xyz(op, 1).tolist()
        return [[value * factors[i] for value in row] for i, row in enumerate(rows[:3])] + [rows[3]]
    with np.errstate(over='ignore', invalid='ignore'):
        return (_transform_op(op) @ np.array(rows)).tolist()


def _transform_op(op):
    if op.tag == 'translate':
        return transform.translate(_xyz(op, 0))
    if op.tag == 'scale':
        return transform.scale(_xyz(op, 1))
    if op.tag == 'rotate':
        axis = _xyz(op, 0)
        angle = _numbers(op, op.require('angle'), 1)[0]
        if not np.linalg.norm(axis) > 0:
            raise op.error('<rotate> needs a non-zero axis (x, y, z or value)')
        return transform.rotate(axis, angle)
    if op.tag == 'matrix':
        values = _numbers(op, op.require('value'), (9, 16))
        if len(values) == 9:
            matrix = np.eye(4)
            matrix[:3, :3] = np.reshape(values, (3, 3))
            return matrix
        return np.reshape(values, (4, 4))
    vectors = [_numbers(op, op.require(key), 3) for key in ('origin', 'target')]
    up = _numbers(op, op.attrib['up'], 3) if 'up' in op.attrib else None
    try:
        return transform.look_at(*vectors, up)
    except ValueError as error:
        raise op.error(str(error)) from None


def _parse_spectrum(node):
    if 'filename' in node.attrib:
        raise node.error('<spectrum filename=...> is not supported; list wavelength:value pairs')
    text = node.require('value')
    if ':' not in text:
        return _numbers(node, text, 1)[0]
    return spectrum_from_pairs(text, node, f'<spectrum name="{node.attrib.get("name")}">')


def spectrum_from_pairs(text, where, label='<spectrum>'):
    """Linear sRGB (float64 (3,)) of ``"wavelength:value, ..."`` pairs; ``where.error``
    makes the error for bad pairs, ``label`` names the spectrum in it."""
    if not text.isascii():
        raise where.error(f'{label} expects wavelength:value pairs of ASCII numbers, '
                          f'got "{_excerpt(text)}"')
    try:
        wavelengths, values = parse_spectrum(text)
    except ValueError as error:
        raise where.error(f'{label}: {error}') from None
    if not np.all(np.abs(values) <= FLOAT32_MAX):
        raise where.error(f'{label} values must lie within the 32-bit float range')
    if np.max(wavelengths) < CIE_MIN_NM or np.min(wavelengths) > CIE_MAX_NM:
        raise where.error(f'{label} lies entirely outside the visible range '
                          f'({CIE_MIN_NM:g}-{CIE_MAX_NM:g} nm), so it would be black')
    return spectrum_to_srgb(wavelengths, values)


def _parse_value(node):
    """The Python value of a property element such as ``<float name=.. value=../>``."""
    tag = node.tag
    if tag == 'transform':
        return _parse_transform(node)
    _check_no_children(node)
    if tag in ('point', 'vector'):
        return _xyz(node, 0)
    if tag == 'spectrum':
        return _parse_spectrum(node)
    text = node.require('value')
    if tag == 'rgb':
        values = _numbers(node, text, (1, 3))
        return np.array(values * 3 if len(values) == 1 else values, dtype=np.float64)
    if tag == 'float':
        return _numbers(node, text, 1)[0]
    if tag == 'integer':
        if not _INTEGER.fullmatch(text) or not INT32_RANGE[0] <= int(text) <= INT32_RANGE[1]:
            raise node.error(f'<integer name="{node.attrib.get("name")}"> expects an integer in '
                             f'[{INT32_RANGE[0]}, {INT32_RANGE[1]}], got "{_excerpt(text)}"')
        return int(text)
    if tag == 'boolean':
        if text.strip().lower() not in ('true', 'false'):
            raise node.error(f'<boolean name="{node.attrib.get("name")}"> expects true or false, got "{text}"')
        return text.strip().lower() == 'true'
    return text   # string


# -- building objects ----------------------------------------------------------------

class _Loader:
    """Turns a parsed tree into plugin objects; holds the ``id`` table."""

    def __init__(self, parameters):
        for name in parameters:
            if not _PARAMETER_NAME.fullmatch(name):
                raise XMLError(f'the scene parameter name "{name}" is not a valid $name '
                               f'(letters, digits and _, not starting with a digit)')
        self.parameters = {k: str(v) for k, v in parameters.items()}
        self.arguments = set(parameters)    # given by the caller, not by <default>
        self.used_parameters = set()
        self.objects_by_id = {}       # id -> (category, object)
        self.tree_sizes = {}          # id(object) -> (object, depth, objects in its tree)
        self.include_stack = []
        self.included_files = 0

    def load_scene(self, root):
        if root.tag != 'scene':
            raise root.error(f'the root element must be <scene>, not <{root.tag}>')
        version = _scene_version(root)
        if version[0] < 2:
            upgrade_tree(root)
        self._read_defaults(root)
        self.include_stack.append(os.path.abspath(root.path))
        with _stack_for_nesting():
            scene = self._create('scene', root)
        self._check_arguments_used(root)
        return scene

    def _check_arguments_used(self, root):
        """Refuse arguments that no ``$name`` in the file took (``rez=64`` for ``res``),
        as Mitsuba 3 refuses "unused parameters"; inside ``lenient_loading``, warn."""
        for name in sorted(self.arguments - self.used_parameters):
            message = (f'the argument {name}={self.parameters[name]} sets no $parameter of the scene'
                       f'{nearest_names(name, (self.parameters.keys() - self.arguments) | self.used_parameters)}')
            if not is_lenient():
                raise SceneError(message, root.path)
            warnings.warn(f'{root.path}: {message}', SceneWarning, stacklevel=3)

    def _read_defaults(self, root):
        for node in [n for n in root.children if n.tag == 'default']:
            name, value = node.require('name'), node.require('value')
            if not _PARAMETER_NAME.fullmatch(name):
                raise node.error(f'<default name="{name}"> is not a valid parameter name')
            _check_no_children(node)
            self.parameters.setdefault(name, value)
            root.children.remove(node)

    def _create(self, category, node):
        _substitute(node, self.parameters, self.used_parameters)
        props = Properties(node.attrib.get('type', 'scene' if category == 'scene' else None),
                           node.path, node.line, node.attrib.get('id'))
        if props.plugin is None:
            raise node.error(f'<{category}> requires the attribute "type"')
        self._fill(node, props, category)
        return self.instantiate(category, props, node)

    def instantiate(self, category, props, where):
        """The plugin ``props`` describes, once its tree passes the limits; its id
        is recorded for references. ``where`` (with ``error(message, cls)``) locates errors."""
        depth, size = self._tree_size(props, category, where)
        ident = props.id() or None
        if ident is not None and ident in self.objects_by_id:
            raise where.error(f'the id "{ident}" is used twice')
        obj = registry.create(category, props)
        self.tree_sizes[id(obj)] = (obj, depth, size)
        props.check_unused()
        obj.id = ident
        if ident is not None:
            self.objects_by_id[ident] = (category, obj)
        return obj

    def _tree_size(self, props, category, node):
        """Depth and object count of the tree an object with ``props``'s children
        would root, refused beyond MAX_NESTING_DEPTH or MAX_OBJECT_TREE."""
        children = {id(child): child for child in props.objects()}
        if not children:
            return 1, 1
        sizes = [self.tree_sizes[key][1:] for key in children if key in self.tree_sizes]
        depth = 1 + max((d for d, _ in sizes), default=0)
        size = 1 + sum(s for _, s in sizes)
        if category != 'scene':     # the scene evaluates each shared object once
            if depth > MAX_NESTING_DEPTH:
                raise node.error(f'objects are nested more than {MAX_NESTING_DEPTH} deep '
                                 f'(counting <ref>)', PluginError)
            if size > MAX_OBJECT_TREE:
                raise node.error(f'this <{category}> contains more than {MAX_OBJECT_TREE} objects '
                                 f'(counting each <ref> to the same object again)', PluginError)
        return depth, size

    def _fill(self, node, props, category, counts=None):
        counts = {} if counts is None else counts
        for child in node.children:
            _substitute(child, self.parameters, self.used_parameters)
            if child.tag == 'include':
                self._fill(self._include(child), props, category, counts)
            elif child.tag in _PROPERTY_TAGS:
                props.set(child.require('name'), _parse_value(child), child.tag, child.line)
            elif child.tag in registry.CATEGORIES or child.tag == 'ref':
                self._add_object(child, props, category, counts)
            elif child.tag == 'default':
                raise child.error('<default> is only allowed directly inside <scene>')
            else:
                known = {*_PROPERTY_TAGS, *registry.CATEGORIES, 'ref', 'include', 'default'}
                raise child.error(f'unknown element <{child.tag}>{nearest_names(child.tag, known)}')

    def _add_object(self, child, props, category, counts):
        if child.tag == 'ref':
            ident = child.require('id')
            if ident not in self.objects_by_id:
                raise child.error(f'<ref id="{ident}"> refers to an object that is not defined '
                                  f'before it', SceneError)
            kind, obj = self.objects_by_id[ident]
            _check_child(child, category, kind, counts, props.plugin)
        else:
            if child.tag == 'scene':
                raise child.error('a <scene> cannot be nested')
            _check_child(child, category, child.tag, counts, props.plugin)
            obj = self._create(child.tag, child)
        if 'name' in child.attrib:
            props.set(child.attrib['name'], obj, 'object', child.line)
        else:
            props.children.append(obj)

    def _include(self, node):
        """The root of an included file, whose children join the including element."""
        base = os.path.dirname(node.path)
        path = resolve_path(_Directory(base), node.require('filename'))
        if os.path.abspath(path) in self.include_stack:
            raise node.error(f'"{path}" includes itself')
        if len(self.include_stack) > MAX_INCLUDE_DEPTH:
            raise node.error(f'<include> files are nested more than {MAX_INCLUDE_DEPTH} deep')
        self.included_files += 1
        if self.included_files > MAX_INCLUDED_FILES:
            raise node.error(f'the scene includes more than {MAX_INCLUDED_FILES} files in all '
                             f'(counting a file included twice twice)')
        _check_no_children(node)
        root = _parse_file(path)
        if root.tag != 'scene':
            raise root.error(f'an included file must have a <scene> root, not <{root.tag}>')
        if _scene_version(root)[0] < 2:
            upgrade_tree(root)
        self._read_defaults(root)
        # Resolve nested includes now, while this file is on the stack.
        self.include_stack.append(os.path.abspath(path))
        expanded = Node('scene', {}, root.line, path)
        for child in root.children:
            expanded.children += self._include(child).children if child.tag == 'include' else [child]
        self.include_stack.pop()
        return expanded


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while a scene is built, restored afterwards.

    Building a scene only adds objects, none of them garbage; but the
    collector, started every few hundred new objects, walks all of them
    again each time it reaches its oldest generation: for a scene of
    20,000 shapes, a third of the loading time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _stack_for_nesting():
    """Room on Python's stack for creating objects nested ``MAX_NESTING_DEPTH`` deep
    (a few frames per level), restored afterwards."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, 8 * MAX_NESTING_DEPTH + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@functools.lru_cache(maxsize=None)
def _allowed_children(category, plugin):
    """{kind: most (None: any)} of the objects a ``category`` element of ``plugin`` takes."""
    return dict(_ALLOWED_CHILDREN.get(category, {}), **_PLUGIN_CHILDREN.get((category, plugin), {}))


def _check_child(child, category, kind, counts, plugin=None):
    """Refuse an object of ``kind`` inside a ``category`` element (of plugin type
    ``plugin``) that cannot use it, or one more than that element takes."""
    allowed = _allowed_children(category, plugin)
    if kind not in allowed:
        takes = ', '.join(f'<{k}>' for k in allowed) or 'no objects'
        raise child.error(f'<{kind}> cannot stand inside <{category}> (it takes {takes})',
                          PluginError)
    counts[kind] = counts.get(kind, 0) + 1
    if allowed[kind] is not None and counts[kind] > allowed[kind]:
        most = 'one' if allowed[kind] == 1 else allowed[kind]
        raise child.error(f'<{category}> takes at most {most} <{kind}>', PluginError)


class _Directory:
    """What :func:`resolve_path` reads of a plugin's properties: where its file lies."""

    def __init__(self, base_dir):
        self.base_dir = base_dir


def resolve_path(props, filename):
    """``filename`` relative to the directory of the scene file that named it
    (``props.base_dir``); when no file is there, in the first directory of
    :func:`~tutorial_kit.core.file_resolver.file_resolver` that has it, as
    Mitsuba 3 searches. A file found nowhere keeps the first name, which
    the error then reports."""
    own = os.path.normpath(os.path.join(props.base_dir, filename))
    if os.path.exists(own) or os.path.isabs(filename):
        return own
    found = file_resolver().resolve(filename)
    return os.path.normpath(found) if os.path.isabs(found) else own


__all__ = ['load_file', 'load_string', 'upgrade_tree', 'resolve_path', 'read_regular_file',
           'check_regular_file', 'PluginError']

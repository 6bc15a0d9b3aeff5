"""The named values an XML element hands to the plugin it creates.

``<float name="fov" value="39.3"/>`` inside a ``<sensor>`` becomes the entry
``fov`` of that sensor's :class:`Properties`. A plugin reads each value with a
typed getter (``props.float('fov', 45.0)``), which checks the XML type and
raises a :class:`~tutorial_kit.core.errors.PluginError` naming file and line
when it does not fit. An entry that no getter asked for is refused
afterwards with a PluginError that names it and the nearest names the
plugin does take, as Mitsuba 3 refuses an "unreferenced property": it is
usually a typo (``reflectanse``). Scenes written for another renderer, with
parameters meant for it, load inside :func:`lenient_loading`, which turns
the refusal into a :class:`SceneWarning`.

Plugins written in Python may read them as Mitsuba 3's do: ``props['tint']``
(an ``<rgb>`` comes out as a Dr.Jit scalar Array3f64, so that
``tk.Color3f(props['tint'])`` works; a ``<transform>`` as a
``ScalarTransform4f``), ``'eta' in props``, ``props.get('eta', 1.33)``,
``props.keys()``, ``props.id()``, ``props.plugin_name()``; and set them,
``props['eta'] = 1.5``.
"""
import contextlib
import difflib
import numbers
import os
import threading
import warnings
from dataclasses import dataclass

import drjit as dr
import numpy as np

from tutorial_kit.core import registry
from tutorial_kit.core.errors import PluginError
from tutorial_kit.core.transform4f import ScalarTransform4f, Transform4f
from tutorial_kit.core.value_ranges import MAX_COLOR


class SceneWarning(UserWarning):
    """A scene file says something the loader ignores (e.g. an unused parameter
    inside :func:`lenient_loading`)."""


_leniency = threading.local()


@contextlib.contextmanager
def lenient_loading():
    """Load scenes whose unused parameters are warned about instead of refused.

    By default a parameter that no plugin reads (``<float name="max_depht">``,
    a dict's ``'reflectanse'``, ``load_file(path, rez=64)``) is an error, as
    in Mitsuba 3, because it is almost always a typo. Inside this context
    (``with tk.lenient_loading(): scene = tk.load_file(path)``) each is a
    :class:`SceneWarning` instead: for scenes written for another renderer,
    whose extra parameters are meant for it.
    """
    previous = getattr(_leniency, 'on', False)
    _leniency.on = True
    try:
        yield
    finally:
        _leniency.on = previous


def is_lenient():
    """Whether :func:`lenient_loading` is in effect in this thread."""
    return getattr(_leniency, 'on', False)


def nearest_names(name, candidates):
    """A hint for a misspelt ``name``: `` (did you mean "x"?)`` naming the
    closest of ``candidates``, `` (valid names: a, b)`` when none is close,
    ``''`` when there are no candidates."""
    candidates = sorted(candidates)
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if close:
        quoted = [f'"{c}"' for c in close]
        return f' (did you mean {" or ".join(quoted)}?)'
    return f' (valid names: {", ".join(candidates)})' if candidates else ''


@dataclass
class Entry:
    """One named value: ``kind`` is the XML tag ('float', 'rgb', 'object', ...);
    ``given``: the Dr.Jit array it was given as from Python (a ``tk.Color3f``,
    ``tk.Float``...), which ``props[name]`` returns as it is, as in Mitsuba 3:
    a plugin written in Python keeps that very array (and its derivative
    tracking), while the built-in plugins read ``value``."""
    value: object
    kind: str
    line: int = None
    given: object = None


class Properties:
    """Typed, usage-tracked parameters of one plugin instance.

    ``plugin`` is the XML type (``'perspective'``), ``path`` the scene file and
    ``line`` the element's line, for messages (for a dictionary, ``path`` is
    the entry's key path, ``sphere.bsdf``). ``id`` is the
    element's ``id`` attribute or None. ``base_dir``: where relative file
    names resolve (default: the scene file's directory).
    """

    def __init__(self, plugin=None, path=None, line=None, id=None, base_dir=None):
        self.plugin = plugin
        self.path = path
        self.line = line
        self._id = id
        self._base_dir = base_dir
        self._entries = {}
        self._queried = set()
        self._asked = set()         # every name a getter asked for, given or not
        self.children = []          # unnamed nested objects, in file order

    @property
    def base_dir(self):
        """Where relative file names resolve: as given, else the scene file's directory."""
        if self._base_dir is None:
            return os.path.dirname(self.path) if self.path else '.'
        return self._base_dir

    @base_dir.setter
    def base_dir(self, value):
        self._base_dir = value

    # -- Mitsuba 3's interface -----------------------------------------------
    def id(self):
        """The identifier (the ``id`` attribute), or '' when there is none, as in Mitsuba."""
        return self._id or ''

    def set_id(self, id):
        self._id = id

    def plugin_name(self):
        """The plugin's type name (``'diffuse'``)."""
        return self.plugin

    def set_plugin_name(self, name):
        self.plugin = name

    def has_property(self, name):
        return name in self

    def keys(self):
        """The names of the parameters, in the order given."""
        return list(self._entries)

    def __iter__(self):
        return iter(self.keys())

    def items(self):
        return [(name, self[name]) for name in self._entries]

    def __getitem__(self, name):
        """The value of parameter ``name`` as Python sees it (marks it as used).

        Numbers, booleans and strings as they are; a colour (``<rgb>``,
        ``<spectrum>``), point or vector as a Dr.Jit scalar Array3f64; a
        transform as a :class:`~tutorial_kit.core.transform4f.ScalarTransform4f`;
        a nested object as the object.
        """
        self._asked.add(name)
        if name not in self._entries:
            raise PluginError(f'plugin "{self.plugin}" has no parameter "{name}" '
                              f'(given: {", ".join(self._entries) or "none"})', self.path, self.line)
        self._queried.add(name)
        return _python_value(self._entries[name])

    def get(self, name, default=None):
        """``props[name]``, or ``default`` when it is not given."""
        self._asked.add(name)
        return self[name] if name in self._entries else default

    def __setitem__(self, name, value):
        """Set (or replace) parameter ``name`` from a Python value: a bool, int,
        float, str, three numbers (a vector), a transform or a plugin object."""
        if not isinstance(name, str) or not name:
            raise PluginError(f'parameter names are non-empty strings, got {name!r}', self.path)
        self._entries.pop(name, None)
        self._queried.discard(name)
        self.set(name, *python_entry(name, value, self.plugin), given=value)

    def __delitem__(self, name):
        if name not in self._entries:
            raise PluginError(f'plugin "{self.plugin}" has no parameter "{name}"', self.path, self.line)
        del self._entries[name]
        self._queried.discard(name)

    def __repr__(self):
        rows = ''.join(f'  {name} = {_python_value(entry)!r},\n' for name, entry in self._entries.items())
        return f'Properties[\n  plugin_name = "{self.plugin}",\n  id = "{self.id()}",\n{rows}]'

    def location(self):
        """``path:line`` (or what of them is known), for messages."""
        if self.path is None:
            return '<code>'
        return f'{self.path}:{self.line}' if self.line is not None else str(self.path)

    # -- filling ---------------------------------------------------------
    def set(self, name, value, kind, line=None, given=None):
        """Store parameter ``name``: ``value`` of ``kind`` (from :func:`python_entry`
        or the XML reader); ``given``: the Python object it came from, kept
        when it is a Dr.Jit array that ``props[name]`` should return."""
        if name in self._entries:
            raise PluginError(f'parameter "{name}" of plugin "{self.plugin}" is given twice',
                              self.path, line)
        self._entries[name] = Entry(value, kind, line, given if _is_jit_array(given) else None)

    def __contains__(self, name):
        self._asked.add(name)
        return name in self._entries

    def kind(self, name):
        """The XML tag that gave ``name`` ('float', 'rgb', 'object', ...), or None."""
        self._asked.add(name)
        return self._entries[name].kind if name in self._entries else None

    def line_of(self, name):
        """The line of parameter ``name`` (the element's own line when it is absent)."""
        return self._entries[name].line if name in self._entries else self.line

    # -- typed getters ---------------------------------------------------
    def _get(self, name, kinds, default, expected):
        self._asked.add(name)
        if name not in self._entries:
            if default is _REQUIRED:
                raise PluginError(f'plugin "{self.plugin}" requires the parameter "{name}" ({expected})',
                                  self.path, self.line)
            return default
        self._queried.add(name)
        entry = self._entries[name]
        if entry.kind not in kinds:
            raise PluginError(f'parameter "{name}" of plugin "{self.plugin}" must be {expected}, '
                              f'got <{entry.kind}>', self.path, entry.line)
        return entry.value

    def float(self, name, default=None):
        return float(self._get(name, ('float', 'integer'), _default(default), 'a <float>'))

    def int(self, name, default=None):
        return int(self._get(name, ('integer',), _default(default), 'an <integer>'))

    def bool(self, name, default=None):
        return bool(self._get(name, ('boolean',), _default(default), 'a <boolean>'))

    def string(self, name, default=None):
        return str(self._get(name, ('string',), _default(default), 'a <string>'))

    def vector(self, name, default=None):
        """A <point> or <vector> as a float64 array of shape (3,)."""
        value = self._get(name, ('point', 'vector'), _default(default), 'a <point> or <vector>')
        return np.asarray(value, dtype=np.float64)

    def color(self, name, default=None, at_most=None):
        """An <rgb>, <spectrum> or number as a linear RGB float64 array of shape (3,).

        Colours are amounts of light or fractions of it: negative values are
        refused, and so are values above ``at_most`` (default
        :data:`MAX_COLOR`, beyond which products along a path would overflow
        32-bit floats). A reflectance passes ``at_most=1``: a surface that
        reflects more light than arrives makes the image diverge.
        """
        at_most = MAX_COLOR if at_most is None else at_most
        value = self._get(name, ('rgb', 'spectrum', 'float', 'integer'), _default(default),
                          'an <rgb> or <spectrum>')
        rgb = _three_floats(value)
        kind = self._entries[name].kind if name in self._entries else None
        # A spectrum's conversion to sRGB may dip slightly below zero for
        # saturated colours; only values given directly must be non-negative.
        # (Checked on Python floats: NumPy's overhead on three numbers would
        # be most of a load of many shapes.)
        if kind != 'spectrum' and any(c < 0 for c in rgb):
            raise self.error(name, f'"{name}" must not be negative, got {_rgb_text(rgb)}')
        if kind == 'spectrum':
            # A reflectance spectrum bounded by 1 may still convert to sRGB
            # channels above 1 (an even spectrum is reddish in sRGB's D65 white).
            at_most = MAX_COLOR
        if not all(abs(c) <= at_most for c in rgb):
            raise self.error(name, f'"{name}" must be at most {at_most:g} per channel, '
                                   f'got {_rgb_text(rgb)}')
        return np.array(rgb)

    def image_pixels(self, name):
        """An image given as a Python value (a ``Bitmap``, a NumPy array or
        Dr.Jit tensor of shape (height, width, channels)) as float32 NumPy,
        linear (a Bitmap's sRGB 8-bit values decoded)."""
        pixels = self._get(name, ('bitmap', 'tensor'), _REQUIRED, 'an image (Bitmap or (H, W, C) array)')
        if self.kind(name) == 'bitmap':
            pixels = np.asarray(pixels.linear(), dtype=np.float32)
            pixels = pixels[:, :, None] if pixels.ndim == 2 else pixels
        if pixels.ndim != 3:
            raise self.error(name, f'"{name}" must be an image of shape (height, width, channels), '
                                   f'got an array of shape {pixels.shape}')
        return pixels

    def transform(self, name):
        """A <transform> as a float64 (4, 4) matrix, the identity when absent."""
        return np.asarray(self._get(name, ('transform',), np.eye(4), 'a <transform>'), dtype=np.float64)

    def tensor(self, name, default=None):
        """An array given from Python (a NumPy array or a Dr.Jit tensor of two or
        more dimensions, e.g. a texture's pixels) as a float32 NumPy array."""
        return self._get(name, ('tensor',), _default(default), 'an array (NumPy or Dr.Jit tensor)')

    def bitmap(self, name, default=None):
        """A :class:`~tutorial_kit.io.image.Bitmap` given from Python (e.g. a texture's image)."""
        return self._get(name, ('bitmap',), _default(default), 'a tk.Bitmap')

    def object(self, name, default=None):
        """A named nested object (e.g. ``<ref name="interior" id="..."/>``)."""
        return self._get(name, ('object',), _default(default), 'a nested object')

    def choice(self, name, options, default):
        """A <string> that must be one of ``options``."""
        value = self.string(name, default)
        if value not in options:
            line = self._entries[name].line if name in self._entries else self.line
            raise PluginError(f'parameter "{name}" of plugin "{self.plugin}" must be one of '
                              f'{", ".join(options)}; got "{value}"', self.path, line)
        return value

    def error(self, name, message):
        """A PluginError pointing at the line of parameter ``name``."""
        line = self._entries[name].line if name in self._entries else self.line
        return PluginError(f'plugin "{self.plugin}": {message}', self.path, line)

    def warn(self, name, message):
        """A SceneWarning about parameter ``name``, naming file and line."""
        line = self._entries[name].line if name in self._entries else self.line
        warnings.warn(f'{self._where(line)}plugin "{self.plugin}": {message}', SceneWarning, stacklevel=3)

    # -- after construction ----------------------------------------------
    def named_objects(self):
        """Nested objects given with a ``name`` attribute, as (name, object) pairs."""
        named = [(k, e.value) for k, e in self._entries.items() if e.kind == 'object']
        self._queried.update(k for k, _ in named)
        return named

    def nested_objects(self):
        """Every nested object, unnamed (file order) then named, marked as used: for
        plugins that tell their objects apart by kind (a sensor's film and sampler)."""
        return self.children + [obj for _, obj in self.named_objects()]

    def objects(self):
        """Every nested object, unnamed and named, without marking any as used."""
        return self.children + [e.value for e in self._entries.values() if e.kind == 'object']

    def check_unused(self):
        """Refuse each parameter the plugin never asked for (a PluginError naming
        it, its line and the nearest names the plugin takes); inside
        :func:`lenient_loading`, warn instead."""
        unused = [name for name in self._entries if name not in self._queried]
        for name in unused:
            entry = self._entries[name]
            message = (f'parameter "{name}" is not used by plugin "{self.plugin}"'
                       f'{nearest_names(name, self._asked - set(self._entries))}')
            if not is_lenient():
                raise PluginError(message, self.path, entry.line)
            warnings.warn(f'{self._where(entry.line)}{message}', SceneWarning, stacklevel=2)

    def _where(self, line):
        """The prefix of a warning: ``path:line: ``, ``path: `` or nothing."""
        if not self.path:
            return ''
        return f'{self.path}:{line}: ' if line is not None else f'{self.path}: '


#: Classes of Python objects that a parameter holds as they are, with the kind
#: each is stored as: ``Bitmap`` is ``'bitmap'`` (added by :mod:`tutorial_kit.io.image`,
#: which this module cannot import: the image readers import the scene loader).
VALUE_CLASSES = {}


def accept_values_of(cls, kind):
    """Let parameters hold objects of ``cls`` (stored with the kind ``kind``, a str)."""
    VALUE_CLASSES[cls] = kind


def python_entry(name, value, plugin=None):
    """(stored value, kind) of a Python value given for parameter ``name``.

    Objects a plugin can take (BSDFs, textures, ...) are recognised through
    the registry's interfaces; three numbers (a list, a NumPy or Dr.Jit
    array) are a vector, as in Mitsuba 3 (``{'type': 'rgb', 'value': ...}``
    in a dictionary, or ``<rgb>``, makes a colour).
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value), 'boolean'
    if isinstance(value, numbers.Integral):
        return int(value), 'integer'
    if isinstance(value, numbers.Real):
        return float(value), 'float'
    if isinstance(value, str):
        return value, 'string'
    if isinstance(value, (ScalarTransform4f, Transform4f)):
        return value.matrix, 'transform'
    if _is_jit_array(value) and dr.depth_v(value) == 1 and not dr.is_tensor_v(value) \
            and dr.width(value) == 1 and dr.is_arithmetic_v(value):
        return python_entry(name, dr.detach(value).numpy().item(), plugin)      # a tk.Float(0.5)
    if registry.category_of(value) is not None:
        return value, 'object'
    for cls, kind in VALUE_CLASSES.items():
        if isinstance(value, cls):
            return value, kind
    array = _array_of_two_or_more_dimensions(value)
    if array is not None:
        return array, 'tensor'
    vector = _three_numbers(value)
    if vector is not None:
        return vector, 'vector'
    where = f' of plugin "{plugin}"' if plugin else ''
    raise PluginError(f'parameter "{name}"{where} cannot be a {type(value).__name__}: expected a '
                      f'number, bool, string, three numbers, a transform, an array, a tk.Bitmap '
                      f'or a plugin object')


def _array_of_two_or_more_dimensions(value):
    """``value`` as a float32 NumPy array when it is a NumPy array or Dr.Jit tensor
    of two or more dimensions (pixels, a grid), else None."""
    if value is not None and dr.is_tensor_v(value):
        value = dr.detach(value).numpy()
    if not isinstance(value, np.ndarray) or value.ndim < 2:
        return None
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise PluginError(f'an array of {value.dtype} cannot be read as numbers') from None
    if not np.all(np.isfinite(array)):
        raise PluginError('the array holds NaN or infinite values (or values beyond the 32-bit float range)')
    return array


def _three_numbers(value):
    """``value`` as a float64 array of shape (3,) if it holds exactly three numbers, else None."""
    if dr.is_array_v(value):
        value = dr.detach(value).numpy()
    elif not isinstance(value, (list, tuple, np.ndarray)):
        return None
    try:
        array = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None
    return array if array.size == 3 else None


def _python_value(entry):
    """What ``props[name]`` returns for a stored entry (see Properties.__getitem__)."""
    if entry.given is not None:
        return entry.given
    if entry.kind in ('rgb', 'point', 'vector') or (entry.kind == 'spectrum'
                                                    and np.ndim(entry.value) == 1):
        return dr.scalar.Array3f64(*(float(v) for v in entry.value))
    if entry.kind == 'transform':
        return ScalarTransform4f(entry.value)
    return entry.value


def _three_floats(value):
    """A colour's value (one number or three; a list, tuple or array) as a list of
    three Python floats."""
    if isinstance(value, (int, float)):
        return [float(value)] * 3
    values = np.asarray(value, dtype=np.float64).reshape(-1).tolist()
    if len(values) == 1:
        return values * 3
    if len(values) != 3:
        raise ValueError(f'a colour has one or three values, got {len(values)}')
    return values


def _rgb_text(rgb):
    return ', '.join(f'{v:g}' for v in rgb)


class _Required:
    def __repr__(self):
        return '<required>'


_REQUIRED = _Required()


def _default(value):
    return _REQUIRED if value is None else value


def _is_jit_array(value):
    """Whether ``value`` is an array of a JIT backend (a ``tk.Float``, ``tk.Color3f``...)."""
    return value is not None and dr.is_array_v(value) and dr.is_jit_v(value)

"""The named values an XML element hands to the plugin it creates.

``<float name="fov" value="39.3"/>`` inside a ``<sensor>`` becomes the entry
``fov`` of that sensor's :class:`Properties`. A plugin reads each value with a
typed getter (``props.float('fov', 45.0)``), which checks the XML type and
raises a :class:`~tutorial_kit.core.errors.PluginError` naming file and line
when it does not fit. Entries no getter asked for are reported afterwards as
warnings, as Mitsuba does, because they are usually typos.
"""
import warnings
from dataclasses import dataclass

import numpy as np

from tutorial_kit.core.errors import PluginError


class SceneWarning(UserWarning):
    """A scene file says something the loader ignores (e.g. an unused parameter)."""


@dataclass
class Entry:
    """One named value: ``kind`` is the XML tag ('float', 'rgb', 'object', ...)."""
    value: object
    kind: str
    line: int = None


class Properties:
    """Typed, usage-tracked parameters of one plugin instance.

    ``plugin`` is the XML type (``'perspective'``), ``path`` the scene file and
    ``line`` the element's line, for messages. ``id`` is the element's ``id``
    attribute or None.
    """

    def __init__(self, plugin, path=None, line=None, id=None):
        self.plugin = plugin
        self.path = path
        self.line = line
        self.id = id
        self._entries = {}
        self._queried = set()
        self.children = []          # unnamed nested objects, in file order

    # -- filling ---------------------------------------------------------
    def set(self, name, value, kind, line=None):
        if name in self._entries:
            raise PluginError(f'parameter "{name}" of plugin "{self.plugin}" is given twice',
                              self.path, line)
        self._entries[name] = Entry(value, kind, line)

    def __contains__(self, name):
        return name in self._entries

    def kind(self, name):
        """The XML tag that gave ``name`` ('float', 'rgb', 'object', ...), or None."""
        return self._entries[name].kind if name in self._entries else None

    def line_of(self, name):
        """The line of parameter ``name`` (the element's own line when it is absent)."""
        return self._entries[name].line if name in self._entries else self.line

    # -- typed getters ---------------------------------------------------
    def _get(self, name, kinds, default, expected):
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
        rgb = np.broadcast_to(np.asarray(value, dtype=np.float64), (3,)).copy()
        kind = self._entries[name].kind if name in self._entries else None
        # A spectrum's conversion to sRGB may dip slightly below zero for
        # saturated colours; only values given directly must be non-negative.
        if kind != 'spectrum' and np.any(rgb < 0):
            raise self.error(name, f'"{name}" must not be negative, got {_rgb_text(rgb)}')
        if kind == 'spectrum':
            # A reflectance spectrum bounded by 1 may still convert to sRGB
            # channels above 1 (an even spectrum is reddish in sRGB's D65 white).
            at_most = MAX_COLOR
        if not np.all(np.abs(rgb) <= at_most):
            raise self.error(name, f'"{name}" must be at most {at_most:g} per channel, '
                                   f'got {_rgb_text(rgb)}')
        return rgb

    def transform(self, name):
        """A <transform> as a float64 (4, 4) matrix, the identity when absent."""
        return np.asarray(self._get(name, ('transform',), np.eye(4), 'a <transform>'), dtype=np.float64)

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
        where = f'{self.path}:{line}: ' if self.path else ''
        warnings.warn(f'{where}plugin "{self.plugin}": {message}', SceneWarning, stacklevel=3)

    # -- after construction ----------------------------------------------
    def named_objects(self):
        """Nested objects given with a ``name`` attribute, as (name, object) pairs."""
        named = [(k, e.value) for k, e in self._entries.items() if e.kind == 'object']
        self._queried.update(k for k, _ in named)
        return named

    def objects(self):
        """Every nested object, unnamed and named, without marking any as used."""
        return self.children + [e.value for e in self._entries.values() if e.kind == 'object']

    def warn_unused(self):
        """Warn about each parameter the plugin never asked for."""
        for name, entry in self._entries.items():
            if name not in self._queried:
                where = f'{self.path}:{entry.line}: ' if self.path else ''
                warnings.warn(f'{where}parameter "{name}" is not used by plugin "{self.plugin}"',
                              SceneWarning, stacklevel=2)


#: The largest colour value a scene may give (radiance or reflectance), so
#: that products along a path stay finite in 32-bit floats (max. 3.4e38).
MAX_COLOR = 1e15


def _rgb_text(rgb):
    return ', '.join(f'{v:g}' for v in rgb)


class _Required:
    def __repr__(self):
        return '<required>'


_REQUIRED = _Required()


def _default(value):
    return _REQUIRED if value is None else value

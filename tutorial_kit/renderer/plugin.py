"""What every object a scene file creates has in common.

A :class:`Plugin` is created from the :class:`~tutorial_kit.io.properties.Properties`
of its XML element (or dictionary entry), lists its parameters through
:meth:`Plugin.traverse` (:mod:`tutorial_kit.renderer.traversal`), refreshes
what depends on them in :meth:`Plugin.parameters_changed`, and prints itself
the way Mitsuba does: its class name, then its settings and parameters,
nested objects indented inside it, so that ``print(scene)`` shows the whole
scene tree.

Plugins written in Python derive from an interface (``tk.BSDF``,
``tk.Texture``, ...), call its ``__init__(self, props)`` as Mitsuba 3's do,
and are registered with ``tk.register_bsdf(name, constructor)`` and kin.
"""
from abc import ABC

import numpy as np
import drjit as dr

from tutorial_kit.renderer.traversal import Traversable, TraversalCallback


class ObjectId(str):
    """An object's identifier: a string, which can also be called, returning
    itself, as Mitsuba 3's ``Object.id()`` is a method."""

    def __call__(self):
        return str(self)


#: The identifier of an object that has none: '' (falsy), and '' when called.
_NO_ID = ObjectId('')


class Plugin(Traversable, ABC):
    """Base class of all scene objects (BSDFs, emitters, shapes, sensors, ...).

    ``id`` is the element's ``id`` attribute ('' when it has none);
    ``traverse`` names the object after it. It is a string that may also be
    called, ``obj.id()``, as Mitsuba 3 code reads it (:class:`ObjectId`).
    """
    _id = None

    @property
    def id(self):
        return self._id or _NO_ID

    @id.setter
    def id(self, value):
        if callable(value) and not isinstance(value, str):
            value = value()         # Properties.id, as Mitsuba 3's Python plugins pass it
        self._id = ObjectId(value) if value else None

    def set_id(self, value):
        """Mitsuba 3's way of naming an object: ``obj.set_id('wall')``."""
        self.id = value

    def __init__(self, props=None):
        """Keep the identifier of ``props`` (a Properties, or None)."""
        if props is not None:
            self.id = props.id() or None

    def traverse(self, callback):
        """Announce each parameter and nested object with ``callback.put(name, value, flags)``
        (:class:`~tutorial_kit.renderer.traversal.TraversalCallback`)."""

    def parameters_changed(self, keys=None):
        """Called by ``ParameterMap.update`` after parameters of this object
        changed; ``keys`` are their names relative to the object."""

    def prepare_derivatives(self, attributes):
        """Called by ``render`` before a render that tracks derivatives of some of
        this object's own parameters (``attributes``: the set of their attribute
        names): the place to precompute what only derivatives need (e.g. the
        slopes of a table built from a parameter)."""

    def settings(self):
        """Values fixed at load time that ``repr`` shows besides the parameters
        (a dict); e.g. an integrator's ``max_depth``."""
        return {}

    def __repr__(self):
        return self.to_string()

    def to_string(self):
        """The description ``repr`` shows; a plugin may give its own, as in Mitsuba."""
        lister = _Lister()
        lister.visit(self)
        rows = [('id', repr(self.id))] if self.id else []
        rows += [(name, _short(value)) for name, value in self.settings().items()]
        rows += lister.rows
        if not rows:
            return f'{type(self).__name__}[]'
        body = ',\n'.join(f'{name} = {text}' for name, text in rows)
        return f'{type(self).__name__}[\n{_indent(body)}\n]'


class _Lister(TraversalCallback):
    """A traversal callback that records (name, text) rows for ``repr``."""

    def __init__(self):
        super().__init__()
        self.rows = []

    def put_parameter(self, name, parameter):
        self.rows.append((name, _short(parameter.value())))

    def put_object(self, name, obj, flags):
        self.rows.append((name or 'child', repr(obj)))


def _short(value):
    """A one-line description: small arrays in full, large ones by type and size."""
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=4, separator=', ').replace('\n', '')
    if dr.is_array_v(value) and not dr.is_tensor_v(value) and dr.width(value) > 4:
        return f'{type(value).__name__}[{dr.width(value)}]'
    if dr.is_tensor_v(value):
        return f'{type(value).__name__}{tuple(value.shape)}'
    return repr(value)


def _indent(text, spaces=2):
    return '\n'.join(' ' * spaces + line for line in text.split('\n'))

"""Build a scene, or one plugin, from nested Python dictionaries (Mitsuba 3's ``load_dict``).

A dictionary describes one object: ``'type'`` names its plugin, ``'id'``
optionally names it for references, and every other entry is a parameter::

    scene = tk.load_dict({
        'type': 'scene',
        'light': {'type': 'constant', 'radiance': 0.99},
        'floor': {'type': 'rectangle',
                  'bsdf': {'type': 'diffuse',
                           'reflectance': {'type': 'rgb', 'value': [0.8, 0.2, 0.2]}}},
        'sensor': {'type': 'perspective',
                   'to_world': tk.ScalarTransform4f().look_at([0, -5, 5], [0, 0, 0], [0, 0, 1])},
    })

Values are Python numbers, booleans and strings, three numbers (a vector),
``{'type': 'rgb', 'value': ...}`` and ``{'type': 'spectrum', 'value': ...}``
for colours, a ``tk.ScalarTransform4f`` for a transform, a nested
dictionary for a nested object, an object already created (a BSDF made by
an earlier ``load_dict``), or ``{'type': 'ref', 'id': ...}`` for an object
named earlier. The key of an object directly inside a scene is its id unless
it gives one, so that ``traverse`` names it by that key, as in Mitsuba 3.

The same checks, limits and plugin creation as for XML files apply
(:mod:`tutorial_kit.io.loader`). Errors name the entry by its key path
(``sphere.bsdf: unknown bsdf plugin "x"``); a failed load leaves
nothing half-built behind.
"""
from __future__ import annotations

import difflib
import numbers
from typing import Any, Dict

import numpy as np

from tutorial_kit.core import registry
from tutorial_kit.core import transform
from tutorial_kit.core.errors import PluginError, SceneError
from tutorial_kit.io.loader import (FLOAT32_MAX, INT32_RANGE, MAX_NESTING_DEPTH, _ALLOWED_CHILDREN,
                                    _Loader, _check_child, _collector_paused, _stack_for_nesting,
                                    spectrum_from_pairs)
from tutorial_kit.io.properties import Properties, nearest_names, python_entry

#: Keys that describe the object itself rather than a parameter.
_OWN_KEYS = ('type', 'id')


def load_dict(description: Dict[str, Any], parallel: bool = True, optimize: bool = True) -> Any:
    """The scene or the one plugin that a Python dictionary describes, as in Mitsuba 3.

    Parameters
    ----------
    description : dict
        ``{'type': 'scene', 'name': {'type': 'sphere', ...}, ...}`` for a
        scene, or one plugin's ``{'type': ..., ...}``. Values may be numbers,
        colours (``{'type': 'rgb', 'value': [...]}``), transforms, nested
        plugin dictionaries, references (``{'type': 'ref', 'id': ...}``) and
        objects already loaded.
    parallel, optimize : bool
        Accepted for Mitsuba 3's signature; they change nothing here.

    Returns
    -------
    Scene or Plugin
        The scene when ``description['type'] == 'scene'``, else the plugin.

    Raises
    ------
    SceneError
        Naming the entry's key path (``sphere.bsdf.reflectance``) and what
        was wrong with it.
    """
    if not isinstance(description, dict):
        raise SceneError(f'load_dict expects a dict, got {type(description).__name__}')
    root = _Place('scene' if description.get('type') == 'scene' else 'dict')
    with _stack_for_nesting(), _collector_paused():
        return _DictLoader().load(description, root)


class _Place:
    """Where an entry lives, for messages: its key path, dotted as in Mitsuba 3
    (``sphere.bsdf.reflectance``); the top level is ``scene`` or ``dict``."""

    def __init__(self, path, keys=()):
        self.path = path
        self.keys = keys

    def child(self, key):
        keys = self.keys + (key,)
        return _Place('.'.join(_key_text(k) for k in keys), keys)

    def error(self, message, cls=SceneError):
        return cls(message, self.path)


def _key_text(key):
    """A key as it stands in a dotted path: plain when it reads unambiguously."""
    if isinstance(key, str) and key and '.' not in key and key.isprintable() and key.strip() == key:
        return key
    return f'[{key!r}]'


class _DictLoader(_Loader):
    """Turns dictionaries into plugin objects; shares the XML loader's id table and limits."""

    def __init__(self):
        super().__init__({})
        self.open_dicts = set()       # id() of the dictionaries being read, to refuse cycles

    def load(self, description, place):
        plugin_type = _type_of(description, place)
        category = 'scene' if plugin_type == 'scene' else self._category(plugin_type, None, None, place)
        return self._create(category, description, place, depth=1, default_id=None)

    def _create(self, category, description, place, depth, default_id):
        if depth > MAX_NESTING_DEPTH:
            raise place.error(f'objects are nested more than {MAX_NESTING_DEPTH} deep', PluginError)
        self.open_dicts.add(id(description))
        try:
            ident = description.get('id', default_id)
            if ident is not None and (not isinstance(ident, str) or not ident):
                raise place.child('id').error(f'an id must be a non-empty string, got {ident!r}')
            props = Properties(_type_of(description, place), place.path, None, ident, base_dir='.')
            counts = {}
            for key, value in description.items():
                if key in _OWN_KEYS:
                    continue
                if not isinstance(key, str) or not key:
                    raise place.error(f'parameter names are non-empty strings, got {key!r}')
                self._add_entry(props, category, key, value, place.child(key), counts, depth)
            return self.instantiate(category, props, place)
        finally:
            self.open_dicts.discard(id(description))

    def _add_entry(self, props, category, key, value, place, counts, depth):
        """Parameter ``key`` of the object of ``category`` that ``props`` describes."""
        if isinstance(value, dict):
            if id(value) in self.open_dicts:
                raise place.error('the dictionary contains itself')
            plugin_type = _type_of(value, place)
            if plugin_type in ('rgb', 'spectrum'):
                props.set(key, _colour(value, place), plugin_type)
                return
            if plugin_type == 'ref':
                obj, kind = self._reference(value, place)
            else:
                kind = self._category(plugin_type, category, key, place)
                _check_child(place, category, kind, counts, props.plugin)
                obj = self._create(kind, value, place, depth + 1,
                                   default_id=key if category == 'scene' else None)
                if category == 'scene':
                    # As in Mitsuba 3, a scene's entry is found by its key too when its
                    # dictionary gives it another id.
                    self.objects_by_id.setdefault(key, (kind, obj))
                self._add_object(props, category, key, obj)
                return
        elif registry.category_of(value) is not None:
            obj, kind = value, registry.category_of(value)
            if category == 'scene' and not getattr(obj, 'id', None):
                # As in Mitsuba 3, an unnamed object takes its key as its id (tk.Mesh(...)).
                _check_child(place, category, kind, counts)
                obj.id = key
                self._add_object(props, category, key, obj)
                return
        else:
            props.set(key, *_plain_value(key, value, place), given=value)
            return
        _check_child(place, category, kind, counts, props.plugin)
        self._add_object(props, category, key, obj)

    @staticmethod
    def _add_object(props, category, key, obj):
        # A scene's entries are its objects (the key is an id); elsewhere the key names the role.
        if category == 'scene':
            props.children.append(obj)
        else:
            props.set(key, obj, 'object')

    def _reference(self, value, place):
        """(object, category) of ``{'type': 'ref', 'id': ...}``."""
        extra = [key for key in value if key not in _OWN_KEYS]
        if extra:
            raise place.error(f'a reference takes only "type" and "id", got {", ".join(map(repr, extra))}')
        ident = value.get('id')
        if ident not in self.objects_by_id:
            raise place.error(f'the reference to "{ident}" names no object defined before it')
        category, obj = self.objects_by_id[ident]
        return obj, category

    @staticmethod
    def _category(plugin_type, parent, key, place):
        """The category of a plugin named ``plugin_type`` inside a ``parent`` object."""
        if plugin_type == 'scene':
            raise place.error('a scene cannot be nested')
        allowed = list(_ALLOWED_CHILDREN.get(parent, {})) if parent else None
        found = [c for c in registry.categories_of(plugin_type) if c != 'scene']
        if allowed is not None and len(found) > 1:
            found = [c for c in found if c in allowed] or found
        if len(found) > 1 and key in found:
            found = [key]
        if len(found) == 1:
            return found[0]
        if found:
            raise place.error(f'"{plugin_type}" names plugins of several kinds ({", ".join(found)})',
                              PluginError)
        # Unknown: name the kind the context expects, as the XML tag would.
        expected = key if key in registry.CATEGORIES else (
            allowed[0] if allowed is not None and len(allowed) == 1 else None)
        if expected is None:
            every = {name for (_, name) in registry.REGISTRY}
            raise place.error(f'unknown plugin "{plugin_type}"{nearest_names(str(plugin_type), every)}',
                              PluginError)
        known = sorted(name for (cat, name) in registry.REGISTRY if cat == expected)
        close = difflib.get_close_matches(str(plugin_type), known, n=3, cutoff=0.6)
        hint = 'did you mean ' + ' or '.join(f'"{c}"' for c in close) + '? ' if close else ''
        raise place.error(f'unknown {expected} plugin "{plugin_type}" ({hint}known: {", ".join(known)})',
                          PluginError)


def _type_of(description, place):
    plugin_type = description.get('type')
    if not isinstance(plugin_type, str) or not plugin_type:
        raise place.error(f'a dictionary describing an object needs a "type" (a string), '
                          f'got {plugin_type!r}')
    return plugin_type


def _colour(value, place):
    """The value of ``{'type': 'rgb', 'value': ...}`` or ``{'type': 'spectrum', 'value': ...}``."""
    extra = [key for key in value if key not in ('type', 'value')]
    if extra or 'value' not in value:
        raise place.error(f'a {value["type"]} takes one entry "value", got '
                          f'{", ".join(map(repr, [k for k in value if k != "type"])) or "none"}')
    given = value['value']
    if value['type'] == 'spectrum':
        if isinstance(given, str):
            return spectrum_from_pairs(given, place)
        if isinstance(given, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2
                                                    for p in given):
            text = ', '.join(f'{_number(w, place)!r}:{_number(v, place)!r}' for w, v in given)
            return spectrum_from_pairs(text, place)
        return _number(given, place)
    if isinstance(given, np.ndarray):
        given = given.ravel().tolist()
    numbers_given = np.array([_number(v, place) for v in (
        given if isinstance(given, (list, tuple)) else [given])])
    if numbers_given.size not in (1, 3):
        raise place.error(f'an rgb value is 1 or 3 numbers, got {numbers_given.size}')
    return np.broadcast_to(numbers_given, (3,)).astype(np.float64)


def _number(value, place):
    """A finite float within the 32-bit range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise place.error(f'expected a number, got {value!r}')
    if not abs(float(value)) <= FLOAT32_MAX:
        raise place.error(f'expected a number within the 32-bit float range '
                          f'(|x| <= {FLOAT32_MAX:.4g}), got {value!r}')
    return float(value)


def _plain_value(key, value, place):
    """(value, kind) of a parameter given as a Python value, within the XML loader's limits."""
    try:
        stored, kind = python_entry(key, value)
    except PluginError as error:
        raise place.error(error.reason) from None
    if kind == 'integer' and not INT32_RANGE[0] <= stored <= INT32_RANGE[1]:
        raise place.error(f'an integer must lie in [{INT32_RANGE[0]}, {INT32_RANGE[1]}], got {stored}')
    if kind in ('float', 'vector') and not np.all(np.abs(stored) <= FLOAT32_MAX):
        raise place.error(f'expected numbers within the 32-bit float range '
                          f'(|x| <= {FLOAT32_MAX:.4g}), got {value!r}')
    if kind == 'transform' and not (np.all(np.abs(stored) <= FLOAT32_MAX)
                                    and transform.is_valid_affine(stored)):
        raise place.error('the transform is not an invertible affine transform')
    return stored, kind

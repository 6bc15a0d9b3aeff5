"""BSDFs that differ only in their constant colours and numbers run as one.

The path tracer reaches each lane's BSDF by calling every BSDF of the scene
and keeping each lane's own result (:func:`~tutorial_kit.core.dispatch.dispatch`).
A scene of many shapes often gives each shape a BSDF of its own (every shape
without one gets its own grey ``diffuse``, as in Mitsuba 3): called one by
one, a kernel would hold one copy of the BSDF's code per shape, growing with
the scene and compiled anew for every new count of shapes.

Mitsuba 3 avoids this because its vectorised calls merge identical code and
read each instance's values from memory. Here the same idea is spelt out:
BSDFs of the same class and settings whose constant textures (``srgb``,
``uniform``: one value for the whole surface) may differ only in that value
form a :class:`BSDFBatch`. Its members' values sit in one table (a row per
member); :meth:`BSDFBatch.bound` gives a copy of the first member whose
constant textures hold, in each lane, the value of that lane's member,
gathered from the table. One copy of the code then serves the whole batch.

Derivatives: a member whose value tracks derivatives (an optimised colour)
is selected into the lanes of that member from the parameter itself, so
gradients reach it; the table holds detached copies only.

Anything else that differs (a bitmap, an index of refraction stored on the
BSDF itself, a Python setting) keeps BSDFs apart: they are then called one
by one as before.
"""
import copy
import functools

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.value_ranges import ValueRange
from tutorial_kit.renderer.bsdf import BSDF
from tutorial_kit.renderer.texture import Texture
from tutorial_kit.renderer.traversal import ParamFlags

#: Attributes that name an object rather than describe it: they may differ within a batch.
_NAMING = frozenset({'id'})
#: Nesting deeper than this is not looked into (such BSDFs stay on their own).
_MAX_DEPTH = 8
#: Values compared as they are (a ValueRange is a frozen record).
_PLAIN = (bool, int, float, str, ValueRange)


class _Unbatchable(Exception):
    """Raised while describing an object whose structure cannot be compared."""


def batch_bsdfs(bsdfs):
    """Group ``bsdfs`` (distinct BSDF objects) into batches.

    Returns ``(callees, slots)``: ``callees``, a list whose entries are either
    a BSDF (alone in its group) or a :class:`BSDFBatch`; ``slots``, for each
    of ``bsdfs`` in order, ``(position in callees, member index)``.
    """
    groups, textures = {}, [None] * len(bsdfs)
    for k, bsdf in enumerate(bsdfs):
        try:
            textures[k] = []
            key = ('batch', _signature(bsdf, 0, textures[k]))
        except _Unbatchable:
            key = ('alone', id(bsdf))
        groups.setdefault(key, []).append(k)
    callees, slots = [], [None] * len(bsdfs)
    for members in groups.values():
        position = len(callees)
        if len(members) == 1:
            callees.append(bsdfs[members[0]])
        else:
            callees.append(BSDFBatch([bsdfs[k] for k in members], [textures[k] for k in members]))
        for m, k in enumerate(members):
            slots[k] = (position, m)
    return callees, slots


class BSDFBatch:
    """BSDFs that differ only in the values of their constant textures.

    ``members``: two or more BSDFs with equal :func:`_signature`; ``textures``:
    each one's constant textures (:func:`_value_textures`), if known. Call
    :meth:`refresh` after their values may have changed (the scene does so
    before each render), then :meth:`bound` for the BSDF to call.
    """

    def __init__(self, members, textures=None):
        self.members = list(members)
        # Each member's constant textures (given, or found now), once: refresh()
        # then reads their values.
        self.textures = textures if textures is not None else [_value_textures(m) for m in self.members]
        self._table_key = None
        self.refresh()

    def __repr__(self):
        return f'BSDFBatch[{type(self.members[0]).__name__} x {len(self.members)}]'

    def refresh(self):
        """Rebuild the table of values if any member's changed; note which track derivatives."""
        leaves = [[texture.value for texture in textures] for textures in self.textures]
        key = bk.variables(leaves)          # all members' at once: a batch may have thousands
        count = len(leaves[0])
        with dr.resume_grad():      # asked whether they track derivatives at all, even from a suspended scope
            self.tracked = ([m for m, row in enumerate(leaves) if dr.grad_enabled(row)]
                            if dr.grad_enabled(leaves) else [])
        if key == self._table_key:
            return
        self.table = [_stack([textures[j] for textures in self.textures]) for j in range(count)]
        self._table_key = key

    def bound(self, member):
        """A copy of the first member whose constant textures hold, in each lane,
        the value of member ``member[lane]`` (``member``: UInt32 per lane)."""
        readers = iter([functools.partial(self._value, j, member) for j in range(len(self.table))])
        return _rebuild(self.members[0], readers)

    def _value(self, j, member):
        """The ``j``-th constant value of each lane's member. Built when a texture
        reads it (inside the BSDF's method, where an integrator may have
        resumed derivative tracking), from the members' current values: a
        render's derivative pass may have swapped in copies of them."""
        table = self.table[j]
        value = dr.gather(type(table), table, member)
        for m in self.tracked:
            value = dr.select(member == m, self.textures[m][j].value, value)
        return value


@functools.lru_cache(maxsize=None)
def _is_subclass(cls, base):
    """``issubclass(cls, base)``, remembered: asked of every attribute of thousands of
    BSDFs, where an ``isinstance`` against an abstract class costs a call into ``abc``."""
    return issubclass(cls, base)


def _is_value_texture(obj):
    """A texture that is one value everywhere, held in ``obj.value`` (width 1)."""
    return (_is_subclass(type(obj), Texture) and obj.is_constant and not obj.reads_shapes
            and dr.is_array_v(getattr(obj, 'value', None)) and not dr.is_tensor_v(obj.value)
            and dr.width(obj.value) == 1)


def _signature(obj, depth, found=None):
    """A hashable description of ``obj`` that leaves out the values of constant
    textures and the names of objects. Raises _Unbatchable where the
    structure cannot be compared (too deep, or a kind of object not known).
    ``found``: a list to which the constant textures met are appended, in order."""
    if depth > _MAX_DEPTH:
        raise _Unbatchable()
    # Plain values first: most attributes are, and the class checks below cost more.
    if obj is None or isinstance(obj, _PLAIN):
        return (type(obj), obj)          # compared by value (a ValueRange is a frozen record)
    if _is_value_texture(obj):
        if found is not None:
            found.append(obj)
        # Private attributes (a texture's record of the value it was read as) follow
        # the value and are left out with it.
        rest = tuple((k, _signature(v, depth + 1)) for k, v in vars(obj).items()
                     if k != 'value' and k not in _NAMING and not k.startswith('_'))
        return ('texture', type(obj), type(obj.value), rest)
    if _is_subclass(type(obj), (BSDF, Texture)):
        if _is_subclass(type(obj), Texture) and obj.reads_shapes:
            return ('same', id(obj))
        return (type(obj),) + tuple((k, _signature(v, depth + 1, found)) for k, v in vars(obj).items()
                                    if k not in _NAMING)
    if isinstance(obj, dict):
        return ('dict',) + tuple((k, _signature(v, depth + 1, found)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return (type(obj),) + tuple(_signature(v, depth + 1, found) for v in obj)
    if dr.is_array_v(obj):
        return ('array', bk.variables(obj) if not dr.is_tensor_v(obj) else id(obj))
    # Another object (a table, a callable): the same object only.
    return ('same', id(obj))


def _value_textures(obj):
    """The constant textures inside ``obj``, in the order of :func:`_signature`."""
    found = []
    _signature(obj, 0, found)
    return found


def _rebuild(obj, values):
    """A copy of ``obj`` whose constant textures take the next of ``values`` in
    turn (order of :func:`_value_textures`); parts without such textures are shared."""
    if _is_value_texture(obj):
        clone = copy.copy(obj)
        del clone.value
        clone.__class__ = _batched_class(type(obj))
        clone.read_value = next(values)
        return clone
    if _is_subclass(type(obj), (BSDF, Texture)):
        if _is_subclass(type(obj), Texture) and obj.reads_shapes:
            return obj
        changed = {k: _rebuild(v, values) for k, v in vars(obj).items() if k not in _NAMING}
        changed = {k: v for k, v in changed.items() if v is not vars(obj)[k]}
        if not changed:
            return obj
        clone = copy.copy(obj)
        for k, v in changed.items():
            setattr(clone, k, v)
        return clone
    if isinstance(obj, dict):
        return {k: _rebuild(v, values) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rebuild(v, values) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, '_fields'):
        return tuple(_rebuild(v, values) for v in obj)
    return obj


@functools.lru_cache(maxsize=None)
def _batched_class(texture_class):
    """``texture_class`` whose ``value`` is read, at each use, from ``read_value()``."""
    def traverse(self, callback):
        callback.put('value', self.value, ParamFlags.Differentiable, attribute='value')
    return type(texture_class.__name__, (texture_class,),
                {'value': property(lambda self: self.read_value()), 'traverse': traverse,
                 '__module__': texture_class.__module__})


def _host_values(array):
    """The numbers of a width-1 ``array``, read channel by channel (reading a
    colour whole would pack its channels with a kernel, one per member)."""
    if dr.depth_v(array) == 1:
        return [float(x) for x in array.numpy()]
    return [x for channel in array for x in _host_values(channel)]


def _known_values(texture, channels):
    """The ``channels`` numbers of a constant texture's width-1 ``value``: those it
    was read from when it still holds them (:meth:`Texture.range_values`: no
    read-back at all), else read back channel by channel."""
    known = texture.range_values()
    if known is not None and np.size(known) == channels:
        return np.ravel(known).tolist()
    return _host_values(dr.detach(texture.value))


def _stack(textures):
    """One array of the type of the constant ``textures``' values (width-1 arrays)
    holding, detached, an entry per texture."""
    array_type = type(textures[0].value)
    channels = len(_host_values(dr.detach(textures[0].value)))
    host = np.array([_known_values(texture, channels) for texture in textures], dtype=np.float32)
    if dr.depth_v(array_type) == 1:
        return bk.from_numpy(array_type, host[:, 0])
    return array_type(*(bk.from_numpy(dr.value_t(array_type), host[:, c]) for c in range(host.shape[1])))


# What batches of other objects (area lights: emitter_batch) share with BSDFs'.
signature, is_value_texture, Unbatchable = _signature, _is_value_texture, _Unbatchable

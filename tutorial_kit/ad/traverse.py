"""``traverse`` and ``ParameterMap``: the scene's parameters, by name.

``traverse(scene)`` walks the scene graph and lists every parameter an
object exposes, under Mitsuba's names: an object's ``id`` if it has one
(``red.reflectance.value``), otherwise its class name, numbered from the
second occurrence on (``OBJMesh``, ``OBJMesh_1``, ...), and nested objects
under their role (``OBJMesh.emitter.radiance.value``).

The :class:`ParameterMap` reads the *live* value of a parameter, checks
every assignment (shape, type, range) before it touches the scene, and
:meth:`ParameterMap.update` tells changed objects to refresh what depends
on them (e.g. the BVH after vertices move).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union
import re

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import transform
from tutorial_kit.core.transform4f import ScalarTransform4f, Transform4f
from tutorial_kit.core.errors import ParameterError, interrupts_deferred
from tutorial_kit.io.loader import FLOAT32_MAX
from tutorial_kit.plugins.sensors.perspective import MAX_FOV
from tutorial_kit.renderer.traversal import Parameter, ParamKind, TraversalCallback


class _Collector(TraversalCallback):
    """The callback passed to each object's ``traverse``: gathers parameters by key."""

    def __init__(self):
        super().__init__()
        self.parameters = {}
        self.visited = set()
        self.class_counts = {}
        self.prefix = None

    def put_parameter(self, name, parameter):
        # Parameters of the object traversed itself (not a scene) keep their own names.
        self.parameters[name if self.prefix is None else f'{self.prefix}.{name}'] = parameter

    def put_object(self, name, obj, flags):
        if id(obj) in self.visited:
            return
        self.visited.add(id(obj))
        outer = self.prefix
        self.prefix = self._name(name, obj)
        self.visit(obj)
        self.prefix = outer

    def _name(self, role, obj):
        if getattr(obj, 'id', None):
            return obj.id
        if role is not None:
            return role if self.prefix is None else f'{self.prefix}.{role}'
        cls = type(obj).__name__
        count = self.class_counts.get(cls, 0)
        self.class_counts[cls] = count + 1
        return cls if count == 0 else f'{cls}_{count}'


def traverse(obj: Any) -> ParameterMap:
    """All parameters of ``obj`` (usually a scene), by name.

    Parameters
    ----------
    obj : Scene or Plugin
        The scene, or one of its objects (whose own parameters are then named
        without a prefix).

    Returns
    -------
    ParameterMap
        Every parameter under Mitsuba's names (``red.reflectance.value``);
        differentiable ones are marked ``*`` when printed.

    Raises
    ------
    ParameterError
        ``obj`` is not a scene or one of its objects.
    """
    from tutorial_kit.renderer.plugin import Plugin
    if not isinstance(obj, Plugin):
        raise ParameterError(f'traverse expects a scene or one of its objects, '
                             f'got {type(obj).__name__}')
    collector = _Collector()
    # The scene is only a container: its children are named from the top level.
    collector.visited.add(id(obj))
    collector.visit(obj)
    return ParameterMap(collector.parameters, scene=obj)


class ParameterMap:
    """A dictionary-like view of scene parameters.

    ``params[key]`` returns the value the scene uses right now (a Dr.Jit
    array, or an int for counts); ``params[key] = value`` checks and stores
    a new one; ``params.update()`` makes the scene take it into account.
    """

    def __init__(self, parameters, scene=None):
        self._parameters = dict(parameters)
        self._scene = scene
        self._dirty = {}
        # Keys read since the last update, with the Dr.Jit variables their values
        # were then: a value changed in place (dr.enable_grad(params[key]), a
        # texture's tensor) counts as changed, as in Mitsuba 3.
        self._read = {}

    # -- reading -----------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        value = self.parameter(key).value()
        self._read.setdefault(key, _variables(value))
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._parameters

    def __delitem__(self, key):
        raise ParameterError('parameters cannot be deleted from a ParameterMap; '
                             'select the ones to keep with keep([...])')

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def keys(self) -> List[str]:
        """The parameters' names, in traversal order."""
        return list(self._parameters)

    def items(self) -> List[Tuple[str, Any]]:
        """``(name, current value)`` pairs."""
        return [(key, self[key]) for key in self._parameters]

    def differentiable_keys(self) -> List[str]:
        """The names of the parameters that derivatives can reach."""
        return [k for k, p in self._parameters.items() if p.differentiable]

    def is_differentiable(self, key: str) -> bool:
        """Whether derivatives can reach ``key``."""
        return self.parameter(key).differentiable

    def __repr__(self):
        lines = [('  * ' if p.differentiable else '    ') + key for key, p in self._parameters.items()]
        return 'ParameterMap[\n' + ',\n'.join(lines) + ('\n' if lines else '') + ']'

    def scene_of(self):
        """The object whose parameters these are (what ``traverse`` was given), or None."""
        return self._scene

    def parameters(self):
        """Every :class:`~tutorial_kit.renderer.traversal.Parameter` record, in key order."""
        return list(self._parameters.values())

    def flags(self, key: str) -> Any:
        """The :class:`~tutorial_kit.renderer.traversal.ParamFlags` of ``key``."""
        return self.parameter(key).flags

    def parameter(self, key: str) -> Any:
        """The :class:`~tutorial_kit.renderer.traversal.Parameter` record of ``key``:
        its owner, attribute, kind and flags."""
        if not isinstance(key, str):
            raise ParameterError(f'parameter keys are strings, got {type(key).__name__}')
        if key not in self._parameters:
            close = [k for k in self._parameters if key.split('.')[-1] in k][:5]
            hint = f'; similar keys: {", ".join(close)}' if close else ''
            raise ParameterError(f'no parameter named "{key}"{hint}')
        return self._parameters[key]

    # -- selecting -----------------------------------------------------------------------
    def keep(self, keys: Union[str, Iterable[str]]) -> None:
        """Keep only some parameters.

        Parameters
        ----------
        keys : str or list of str
            A regular expression that whole names must match
            (``'.*reflectance.*'``), or a list of names.

        Raises
        ------
        ParameterError
            An unknown name, a pattern that matches nothing or is not valid.
        """
        if isinstance(keys, str):
            try:
                pattern = re.compile(keys)
            except re.error as error:
                raise ParameterError(f'keep("{keys}"): not a valid regular expression ({error})') from None
            selected = [k for k in self._parameters if pattern.fullmatch(k) or k == keys]
            if not selected:
                raise ParameterError(f'keep("{keys}"): no parameter matches this pattern')
        elif isinstance(keys, (list, tuple, set, frozenset)):
            selected = list(keys)
            for key in selected:
                self.parameter(key)
        else:
            raise ParameterError(f'keep expects a list of names or a regular expression (str), '
                                 f'got {type(keys).__name__}')
        self._parameters = {k: p for k, p in self._parameters.items() if k in selected}

    # -- writing ------------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        parameter = self.parameter(key)
        new_value = _convert(key, parameter, value)     # raises before anything changes
        with interrupts_deferred():
            # Marked first: a change that is in place is always refreshed by update().
            self._dirty = _with_key(self._dirty, parameter.owner, key)
            parameter.assign(new_value)

    def set_dirty(self, key: str) -> None:
        """Mark ``key`` as changed in place, so that :meth:`update` refreshes its owner."""
        parameter = self.parameter(key)
        self._dirty = _with_key(self._dirty, parameter.owner, key)

    def update(self, values: Optional[Mapping[str, Any]] = None) -> List[str]:
        """Let every object whose parameters changed refresh its derived state.

        All or nothing: every value is checked before any is stored, and if
        storing or refreshing fails (or is interrupted), the previous values
        are put back and refreshed, so that the scene is as before; Ctrl-C
        during the commit takes effect once it has finished, so that the
        scene is as after.

        Parameters
        ----------
        values : mapping, optional
            A mapping (such as an optimizer) whose entries are first assigned
            to the keys of this map that it shares, as in Mitsuba 3's
            ``params.update(opt)``; its other keys are ignored.

        Returns
        -------
        list of str
            The names of the parameters that had changed.
        """
        return self._commit(self.checked(values))

    def checked(self, values):
        """``{key: value}`` for the entries of ``values`` (a mapping, or None) whose
        keys this map has, each converted and checked as an assignment would be;
        nothing is stored. Raises the first ParameterError found."""
        if values is None:
            return {}
        if not hasattr(values, 'keys'):
            raise ParameterError(f'update expects a mapping of keys to values (a dict or an '
                                 f'optimizer), got {type(values).__name__}')
        return {key: _convert(key, self.parameter(key), values[key])
                for key in list(values.keys()) if key in self}

    def _commit(self, checked, on_success=None):
        """Store ``checked`` values (from :meth:`checked`) and refresh every changed
        owner, all or nothing (see :meth:`update`). ``on_success``: a function
        called as the commit's last act, whose failure rolls it back too (an
        optimizer advancing its own state with the scene's)."""
        parameters = {key: self.parameter(key) for key in checked}
        previous = {key: parameter.value() for key, parameter in parameters.items()}
        read = self._read
        dirty = self._dirty
        for key in self._changed_in_place():
            dirty = _with_key(dirty, self._parameters[key].owner, key)
        for key, parameter in parameters.items():
            dirty = _with_key(dirty, parameter.owner, key)
        # A Ctrl-C held back here is raised once the commit is complete (the
        # scene as after); any exception inside it rolls back (as before).
        with interrupts_deferred():
            try:
                self._dirty, self._read = dirty, {}
                for key, value in checked.items():
                    parameters[key].assign(value)
                self._refresh(dirty)
                self._dirty = {}
                if on_success is not None:
                    on_success()
            except BaseException:
                self._read = read
                self._roll_back(parameters, previous, dirty)
                raise
        return [key for _, keys in dirty.values() for key in sorted(keys)]

    def _roll_back(self, parameters, previous, dirty):
        """Put ``previous`` values back and refresh their owners; if even that fails,
        the owners stay marked, so that the next update() refreshes them."""
        self._dirty = dirty
        for key, value in previous.items():
            parameters[key].assign(value)
        try:
            self._refresh(dirty)
            self._dirty = {}
        except Exception:       # the caller raises the first error; the marks stay
            pass

    def _changed_in_place(self):
        """Keys read since the last update whose value now holds other Dr.Jit
        variables (``dr.enable_grad(params[key])``, a texture's tensor changed
        in place): changed, as in Mitsuba 3."""
        return [key for key, variables in self._read.items()
                if key in self._parameters and variables is not None
                and _variables(self._parameters[key].value()) != variables]

    def _refresh(self, dirty):
        """Call ``parameters_changed`` on each owner in ``dirty``, then on the scene."""
        for owner, keys in dirty.values():
            if hasattr(owner, 'parameters_changed'):
                owner.parameters_changed(set(keys))
        from tutorial_kit.renderer.scene import Scene
        # A scene rebuilds what joins its objects; an object traversed on its
        # own (a plugin) was told above, with its keys.
        if isinstance(self._scene, Scene):
            self._scene.parameters_changed([owner for owner, _ in dirty.values()])


def _with_key(dirty, owner, key):
    """A copy of ``dirty`` ({id(owner): (owner, keys)}) with ``key`` of ``owner`` added:
    never changed in place, so that a failed commit can return to the old one."""
    entry = dirty.get(id(owner), (owner, frozenset()))
    return {**dirty, id(owner): (owner, entry[1] | {key})}


def _variables(value):
    """The Dr.Jit variables (and their AD nodes) that ``value`` holds, or None
    for a value that is not a Dr.Jit array (its changes are assignments)."""
    return tuple(dr.detail.collect_indices(value)) if dr.is_array_v(value) else None


# -- checking assignments ------------------------------------------------------------------

def _convert(key, parameter, value):
    """``value`` as the type the parameter needs, or a ParameterError saying why not."""
    if parameter.read_only:
        raise ParameterError(f'"{key}" is read-only: it follows from other data')
    current = parameter.value()
    return _CONVERTERS[parameter.kind](key, parameter, current, value)


def _flat_drjit(value):
    """A Dr.Jit float tensor's flat array (a PyTorch tensor through ``dr.wrap``
    arrives as one); other values as they are."""
    if isinstance(value, bk.TensorXf):
        return value.array
    return value


def _in_range(key, parameter, values):
    """``values`` (a Dr.Jit array, read back, or NumPy) checked against the
    parameter's range, the loader's range for it (a reflectance in [0, 1], an
    index of refraction positive; any finite float otherwise). NaN and
    infinity never fit, whatever the array type or width."""
    numbers = dr.detach(values).numpy() if dr.is_array_v(values) else values
    refusal = parameter.value_range.refusal(numbers)
    if refusal is not None:
        if not np.all(np.isfinite(np.asarray(numbers, dtype=np.float64))):
            raise ParameterError(f'"{key}" expects finite numbers, got NaN or infinity')
        raise ParameterError(f'"{key}" {refusal}')
    return values


def _color(key, parameter, current, value):
    value = _flat_drjit(value)
    if isinstance(value, bk.Float) and dr.width(value) in (1, 3):
        # Three Dr.Jit floats (or one grey): a colour that keeps their derivatives.
        value = dr.unravel(bk.Array3f, value) if dr.width(value) == 3 else bk.Array3f(value, value, value)
    if isinstance(value, bk.Array3f) and dr.width(value) == 1:
        # Keep Dr.Jit colours as they are: they may carry derivatives.
        return _in_range(key, parameter, value)
    values = _floats(key, value, 'an RGB colour of 3 numbers').reshape(-1)
    if values.size not in (1, 3):
        raise ParameterError(f'"{key}" expects an RGB colour of 3 numbers, got {values.size}')
    return bk.color3f(_in_range(key, parameter, values))


def _float(key, parameter, current, value):
    value = _flat_drjit(value)
    if isinstance(value, bk.Float) and dr.width(value) == 1:
        # Keep Dr.Jit floats as they are (they may carry derivatives), once checked.
        return _in_range(key, parameter, value)
    values = _floats(key, value, 'one number').reshape(-1)
    if values.size != 1:
        raise ParameterError(f'"{key}" expects one number, got {values.size}')
    return dr.opaque(bk.Float, float(_in_range(key, parameter, values)[0]))


def _matrix(key, parameter, current, value):
    matrix = _floats(key, value, 'a 4x4 matrix').reshape(-1)
    if matrix.size != 16 or not transform.is_valid_affine(matrix.reshape(4, 4)):
        raise ParameterError(f'"{key}" expects an invertible affine 4x4 matrix')
    return matrix.reshape(4, 4).astype(np.float64)


def _transform(key, parameter, current, value):
    """A Transform4f placing a shape. A Transform4f keeps its entries (they may
    carry derivatives); anything else that reads as a 4x4 matrix (a
    ScalarTransform4f, NumPy, nested lists) becomes one of opaque entries,
    so that a new value does not compile new kernels."""
    if isinstance(value, Transform4f):
        matrix = value.matrix
        entries = value.rows
    else:
        if isinstance(value, ScalarTransform4f):
            value = value.matrix
        matrix = _floats(key, value, 'a 4x4 transform').reshape(-1)
        if matrix.size != 16:
            raise ParameterError(f'"{key}" expects a 4x4 transform, got {matrix.size} numbers')
        matrix = matrix.reshape(4, 4)
        entries = matrix
    if not transform.is_valid_affine(matrix):
        raise ParameterError(f'"{key}" expects an invertible affine 4x4 transform (finite, last row '
                             f'0, 0, 0, 1)')
    rows = [[entry if dr.is_array_v(entry) and dr.grad_enabled(entry)
             else dr.opaque(bk.Float, float(matrix[i][j])) for j, entry in enumerate(row)]
            for i, row in enumerate(entries)]
    return Transform4f(rows)


def _angle(key, parameter, current, value):
    values = _floats(key, value, 'an angle in degrees').reshape(-1)
    if values.size != 1 or not 0 < values[0] <= MAX_FOV:
        raise ParameterError(f'"{key}" expects one angle in (0, {MAX_FOV:g}] degrees')
    return float(values[0])


def _array(key, parameter, current, value):
    """A Dr.Jit array of the current type and width (a plugin's own array)."""
    cls, width = type(current), dr.width(current)
    if isinstance(value, cls):
        converted = value           # may carry derivatives
    else:
        array = _floats(key, value, f'a {cls.__name__} of width {width}')
        try:
            converted = cls(array.T if array.ndim > 1 else array)
        except (TypeError, ValueError, RuntimeError):
            raise ParameterError(f'"{key}" expects a {cls.__name__} of width {width}, '
                                 f'got {type(value).__name__}') from None
    if dr.width(converted) != width:
        raise ParameterError(f'"{key}" expects a {cls.__name__} of width {width}, '
                             f'got width {dr.width(converted)}')
    if dr.is_float_v(converted) and not dr.all(dr.isfinite(dr.detach(converted)), axis=None):
        raise ParameterError(f'"{key}" expects finite numbers, got NaN or infinity')
    return converted


def _scalar(key, parameter, current, value):
    """A Python number of the current type (bool, int or float)."""
    number_type = type(current) if isinstance(current, (bool, int, float)) else float
    values = _floats(key, value, f'one {number_type.__name__}').reshape(-1)
    if values.size != 1:
        raise ParameterError(f'"{key}" expects one {number_type.__name__}, got {values.size} numbers')
    if number_type is not float and values[0] != int(values[0]):
        raise ParameterError(f'"{key}" expects a whole number ({number_type.__name__}), got {values[0]:g}')
    return number_type(values[0])


def _count(key, parameter, current, value):
    raise ParameterError(f'"{key}" is read-only: it follows from other data')


def _floats(key, value, expected):
    """Any array-like as a finite float64 NumPy array (detached from AD)."""
    if isinstance(value, (str, bytes, dict)) or value is None:
        raise ParameterError(f'"{key}" expects {expected}, got {type(value).__name__}')
    try:
        array = np.asarray(dr.detach(value).numpy() if dr.is_array_v(value) else value,
                           dtype=np.float64)
    except (TypeError, ValueError, OverflowError):      # OverflowError: an int beyond float64
        raise ParameterError(f'"{key}" expects {expected}, got {type(value).__name__}') from None
    if array.dtype == object:
        raise ParameterError(f'"{key}" expects {expected}, got {type(value).__name__}')
    # Stored as 32-bit floats: 1e39 is finite here but infinite there.
    if not np.all(np.abs(array) <= FLOAT32_MAX):
        raise ParameterError(f'"{key}" expects finite 32-bit float numbers (|x| <= {FLOAT32_MAX:.4g}), '
                             f'got NaN, infinity or a larger value')
    return array


def _tensor(key, parameter, current, value):
    """A TensorXf of the current shape (an image's pixels); Dr.Jit tensors keep their derivatives."""
    shape = tuple(current.shape)
    if getattr(parameter.owner, 'accepts_new_resolution', False) and dr.is_array_v(value) \
            and len(value.shape) == len(shape) and tuple(value.shape)[2:] == shape[2:] \
            and all(n > 0 for n in value.shape):
        # An image that may change its resolution (a bitmap texture refined coarse to
        # fine, as Mitsuba 3 allows): the same channels, any positive height and width.
        shape = tuple(value.shape)
    if isinstance(value, bk.TensorXf):
        if tuple(value.shape) != shape:
            raise ParameterError(f'"{key}" expects a tensor of shape {shape}, got {tuple(value.shape)}')
        _in_range(key, parameter, value.array)
        return value
    values = _floats(key, value, f'an array of shape {shape}')
    if values.shape != shape:
        raise ParameterError(f'"{key}" expects an array of shape {shape}, got {values.shape}')
    _in_range(key, parameter, values)
    return bk.TensorXf(bk.from_numpy(bk.Float, values.astype(np.float32)), shape)


def _texture(key, parameter, current, value):
    """A TensorXf for a Dr.Jit texture: as many dimensions as now (the last the
    channels), any resolution; Dr.Jit tensors keep their derivatives."""
    if not isinstance(value, bk.TensorXf):
        values = _floats(key, value, f'an array of {len(current.shape)} dimensions')
        value = bk.TensorXf(bk.from_numpy(bk.Float, values.astype(np.float32).ravel()), values.shape)
    if len(value.shape) != len(current.shape) or 0 in value.shape:
        raise ParameterError(f'"{key}" is a texture of {len(current.shape)} dimensions '
                             f'{tuple(current.shape)}; got a tensor of shape {tuple(value.shape)}')
    if not dr.all(dr.isfinite(dr.detach(value.array))):
        raise ParameterError(f'"{key}" expects finite numbers, got NaN or infinity')
    return value


def _grid(key, parameter, current, value):
    """A TensorXf of shape (z, y, x, channels) with the current channel count; the
    resolution may change (a grid upsampled between stages of an optimisation)."""
    channels = current.shape[3]
    if isinstance(value, bk.TensorXf):
        shape = tuple(value.shape)
        if len(shape) != 4 or shape[3] != channels or 0 in shape:
            raise ParameterError(f'"{key}" expects a tensor of shape (z, y, x, {channels}), got {shape}')
        if not dr.all(dr.isfinite(dr.detach(value.array))):
            raise ParameterError(f'"{key}" expects finite numbers, got NaN or infinity')
        return value
    values = _floats(key, value, f'an array of shape (z, y, x, {channels})')
    if values.ndim != 4 or values.shape[3] != channels or 0 in values.shape:
        raise ParameterError(f'"{key}" expects an array of shape (z, y, x, {channels}), got {values.shape}')
    return bk.TensorXf(bk.from_numpy(bk.Float, values.astype(np.float32).ravel()), values.shape)


def _vertex_attribute(key, parameter, current, value):
    """Flat Float of 3N values (positions, normals) or 2N (texcoords); normals and
    texcoords may also be emptied.

    Positions may change the vertex count (a remeshed surface, as in Mitsuba
    3): any non-empty whole number of points is taken, and the faces (and
    normals or texture coordinates) that must follow are checked by the
    mesh at ``update()``."""
    value = _flat_drjit(value)     # a (V, 3) tensor, as LargeSteps.from_differential gives
    per_vertex = 2 if parameter.kind is ParamKind.TEXCOORDS else 3
    expected = per_vertex * parameter.owner.vertex_count()
    if parameter.kind is ParamKind.POSITIONS:
        allowed = lambda width: width > 0 and width % 3 == 0      # noqa: E731
        wanted = f'a non-empty multiple of 3 numbers (currently {expected})'
    else:
        allowed = lambda width: width in (expected, 0)            # noqa: E731
        wanted = f'{expected} numbers ({per_vertex} per vertex)'
    if isinstance(value, bk.Float):
        # Keep Dr.Jit arrays as they are: they may carry derivatives.
        if not allowed(dr.width(value)):
            raise ParameterError(f'"{key}" expects {wanted}, got {dr.width(value)}')
        if dr.width(value) and not dr.all(dr.isfinite(dr.detach(value))):
            raise ParameterError(f'"{key}" expects finite numbers, got NaN or infinity')
        return value
    values = _floats(key, value, wanted).reshape(-1)
    if not allowed(values.size):
        raise ParameterError(f'"{key}" expects {wanted}, got {values.size}')
    return bk.from_numpy(bk.Float, values.astype(np.float32))


def _faces(key, parameter, current, value):
    """Flat UInt32 of 3M vertex indices, each below the vertex count."""
    if dr.is_array_v(value):
        value = dr.detach(value).numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        array = np.zeros(0)
    # NumPy makes [True, 1, 2] an integer array: a boolean among indices is refused too.
    has_bool = isinstance(value, (list, tuple)) and any(isinstance(v, (bool, np.bool_)) for v in value)
    if array.dtype.kind not in 'iu' or array.size == 0 or array.size % 3 or has_bool:
        raise ParameterError(f'"{key}" expects a non-empty array of integers, three per triangle')
    count = parameter.owner.vertex_count()
    if array.min() < 0 or array.max() >= count:
        raise ParameterError(f'"{key}" has vertex indices outside [0, {count - 1}] (to change the '
                             f'vertex count, assign the new vertex_positions first)')
    return bk.from_numpy(bk.UInt32, array.astype(np.uint32))


#: The checks and conversion of an assignment, by parameter kind.
_CONVERTERS = {
    ParamKind.COLOR: _color, ParamKind.FLOAT: _float, ParamKind.TENSOR: _tensor, ParamKind.TEXTURE: _texture,
    ParamKind.GRID: _grid,
    ParamKind.POSITIONS: _vertex_attribute, ParamKind.NORMALS: _vertex_attribute,
    ParamKind.TEXCOORDS: _vertex_attribute, ParamKind.FACES: _faces, ParamKind.MATRIX: _matrix,
    ParamKind.TRANSFORM: _transform,
    ParamKind.ANGLE: _angle, ParamKind.COUNT: _count, ParamKind.ARRAY: _array,
    ParamKind.SCALAR: _scalar,
}

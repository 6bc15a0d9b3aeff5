"""How a scene object lists its parameters: ``traverse(callback)`` and ``callback.put``.

Every scene object (a :class:`Traversable`, which every plugin is) answers
``traverse(callback)`` by calling, for each parameter and each nested object,
Mitsuba 3's ::

    callback.put(name, value, flags)

``value`` is the attribute's current object (``self.tint``, a Color3f) or a
nested plugin (``self.reflectance``); ``flags`` are :class:`ParamFlags`
(whether derivatives may be tracked, whether the parameter moves
discontinuities, whether it is read-only). Two optional keywords say what
the callback cannot guess: ``kind``, the :class:`ParamKind` whose checks an
assignment passes (otherwise inferred from the value's type), and
``attribute``, the name of the attribute that holds the value (otherwise the
attribute called ``name``, or else the one holding this very object). That
attribute is what ``params[key] = ...`` replaces and what path replay swaps
for a gradient-tracking copy, so a plugin must read it anew whenever it
evaluates.

What the callback does with them depends on who asks: ``tk.traverse``
collects :class:`Parameter` records into a ParameterMap, ``repr`` prints
them. Both derive from :class:`TraversalCallback`, which turns each ``put``
into :meth:`~TraversalCallback.put_object` or
:meth:`~TraversalCallback.put_parameter`.
"""
import enum
import numbers

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core.errors import PluginError


class ParamFlags(enum.IntFlag):
    """Mitsuba 3's parameter flags, with its values.

    ``Differentiable`` is 0, the absence of the others: combine with ``|``
    (``ParamFlags.Differentiable | ParamFlags.Discontinuous``).
    """
    Differentiable = 0
    #: Derivatives with respect to this parameter are not tracked.
    NonDifferentiable = 1
    #: Changing it moves discontinuities of the image (silhouettes, shadows).
    Discontinuous = 2
    #: It may be read but not assigned (it follows from other data).
    ReadOnly = 4


#: The flags that keep derivatives off, as a plain int (enum arithmetic is slow,
#: and a scene of many shapes has many parameters).
_NOT_DIFFERENTIABLE = int(ParamFlags.NonDifferentiable | ParamFlags.ReadOnly)


def is_differentiable(flags):
    """Whether derivatives may be tracked for a parameter with ``flags``."""
    return not int(flags) & _NOT_DIFFERENTIABLE


class ParamKind(enum.Enum):
    """What a parameter holds, which selects the checks of an assignment."""
    #: Color3f of width 1 (an RGB colour).
    COLOR = 'color'
    #: Float of width 1.
    FLOAT = 'float'
    #: TensorXf whose shape stays fixed (an image's pixels).
    TENSOR = 'tensor'
    #: TensorXf of shape (z, y, x, channels) whose resolution may change but
    #: whose channels stay (a volume grid, upsampled between optimisation stages).
    GRID = 'grid'
    #: Float of 3N vertex coordinates (N: the owner's ``vertex_count``).
    POSITIONS = 'positions'
    #: Float of 3N normal coordinates, or empty.
    NORMALS = 'normals'
    #: Float of 2N texture coordinates, or empty.
    TEXCOORDS = 'texcoords'
    #: UInt32 of 3M vertex indices, each below the owner's ``vertex_count``.
    FACES = 'faces'
    #: NumPy float64 (4, 4): an invertible affine transform.
    MATRIX = 'matrix'
    #: A Transform4f (Dr.Jit entries, which may carry derivatives): an invertible
    #: affine transform that places an analytic shape.
    TRANSFORM = 'transform'
    #: A Python float: a field of view in degrees.
    ANGLE = 'angle'
    #: A Python int derived from other data (read-only).
    COUNT = 'count'
    #: Any other Dr.Jit array: the same type and width as before.
    ARRAY = 'array'
    #: A Python number (float, int or bool) that stays one.
    SCALAR = 'scalar'
    #: The TensorXf of a Dr.Jit texture (``Texture3f``...): a tensor of as many
    #: dimensions, whose resolution may change (a grid upsampled between
    #: stages of an optimisation); the texture is given it with ``set_tensor``.
    TEXTURE = 'texture'

    @property
    def is_geometry(self):
        """Whether the parameter is geometry (mesh data, a shape's transform): its
        derivatives need the recorded render (path replay covers materials and
        lights only)."""
        return self in (ParamKind.POSITIONS, ParamKind.NORMALS, ParamKind.TEXCOORDS, ParamKind.TRANSFORM)

    @staticmethod
    def of(value):
        """The kind a value of this type has when a plugin does not say, or None."""
        if isinstance(value, bk.TensorXf):
            return ParamKind.TENSOR
        if isinstance(value, bk.Array3f) and dr.width(value) == 1:
            return ParamKind.COLOR
        if isinstance(value, bk.Float) and dr.width(value) == 1:
            return ParamKind.FLOAT
        if dr.is_array_v(value) and not dr.is_tensor_v(value):
            return ParamKind.ARRAY
        if isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, np.ndarray):
            return ParamKind.SCALAR
        return None


class Parameter:
    """Where a parameter lives (``getattr(owner, attribute)``), its kind, flags
    and the :class:`~tutorial_kit.core.value_ranges.ValueRange` of its values.

    A parameter of kind :attr:`ParamKind.TEXTURE` is the tensor of the Dr.Jit
    texture that the attribute holds: :meth:`value` reads it and
    :meth:`assign` hands the texture a new one.
    """

    def __init__(self, owner, attribute, kind, flags, value_range=None):
        self.owner, self.attribute = owner, attribute
        self.kind, self.flags = kind, flags if type(flags) is ParamFlags else ParamFlags(flags)
        self.value_range = value_range or value_ranges.FINITE

    @property
    def differentiable(self):
        return is_differentiable(self.flags)

    @property
    def read_only(self):
        return bool(self.flags & ParamFlags.ReadOnly)

    def value(self):
        """The value the owner uses now."""
        held = getattr(self.owner, self.attribute)
        # A texture's tensor() is a view of its data, as in Mitsuba 3 (so that
        # dr.enable_grad(params[key]) reaches the texture); set_tensor changes it.
        return held.tensor() if self.kind is ParamKind.TEXTURE else held

    def assign(self, value):
        """Make ``value`` (already checked) the owner's: its attribute, or its texture's tensor."""
        if self.kind is ParamKind.TEXTURE:
            texture = getattr(self.owner, self.attribute)
            texture.set_tensor(value)
            # Bring the texture's tensor() view up to date at once: the owner's
            # parameters_changed may call update_inplace(), which rebuilds the
            # texture from that view and would otherwise restore the old values.
            texture.tensor()
        else:
            setattr(self.owner, self.attribute, value)


class Traversable:
    """An object that lists its parameters and nested objects (every plugin)."""

    def traverse(self, callback):
        """Call ``callback.put(name, value, flags)`` for each parameter and nested object."""

    def parameters_changed(self, keys=None):
        """Called by ``ParameterMap.update`` after parameters of this object changed;
        ``keys`` are their names relative to the object."""


class TraversalCallback:
    """What ``traverse`` hands to each object: receives its ``put`` calls.

    :meth:`visit` traverses one object; while it runs, ``owner`` is that
    object, whose attributes the parameters are.
    """

    def __init__(self):
        self.owner = None

    def visit(self, obj):
        """Let ``obj`` announce its parameters to this callback."""
        outer, self.owner = self.owner, obj
        try:
            obj.traverse(self)
        finally:
            self.owner = outer

    def put(self, name, value, flags, *, kind=None, attribute=None, value_range=None):
        """Announce parameter (or nested object) ``name`` of the object being traversed.

        ``value``: the parameter's current value, or a nested object (None:
        no object, skipped). ``flags``: :class:`ParamFlags`. ``kind``: a
        :class:`ParamKind` (default: from ``value``'s type). ``attribute``:
        the owner's attribute holding it (default: found as described in
        this module's documentation). ``value_range``: the
        :class:`~tutorial_kit.core.value_ranges.ValueRange` its values must
        lie in (the loader's range for it; default: any finite float).
        """
        if value is None:
            return
        if isinstance(value, Traversable):
            self.put_object(name, value, flags if type(flags) is ParamFlags else ParamFlags(flags))
            return
        owner = self.owner
        if not isinstance(flags, (ParamFlags, int)) or isinstance(flags, bool):
            raise PluginError(f'{type(owner).__name__}.traverse: the flags of "{name}" must be '
                              f'ParamFlags, got {flags!r}')
        if kind is None:
            kind = ParamKind.of(value)
        if not isinstance(kind, ParamKind):
            raise PluginError(f'{type(owner).__name__}.traverse: cannot tell what kind of parameter '
                              f'"{name}" is ({type(value).__name__}); pass kind=ParamKind...')
        attribute = attribute or _attribute_holding(owner, name, value)
        if is_texture(getattr(owner, attribute, None)):
            kind = ParamKind.TEXTURE
        self.put_parameter(name, Parameter(owner, attribute, kind, flags, value_range))

    def put_object(self, name, obj, flags):
        """A nested object ``obj`` in the role ``name`` (None: a scene's own object)."""

    def put_parameter(self, name, parameter):
        """A :class:`Parameter` called ``name`` of the object being traversed."""


def is_texture(value):
    """Whether ``value`` is a Dr.Jit texture (``Texture1f``, ``Texture3f``...)."""
    return getattr(type(value), 'IsTexture', False) is True


def _attribute_holding(owner, name, value):
    """The attribute of ``owner`` that holds ``value``: the one called ``name`` if it
    does, else the only one holding this very object; a Dr.Jit texture holds
    the tensor its ``tensor()`` returns (Mitsuba 3's ``cb.put('sigmat',
    self.sigmat.tensor(), ...)``)."""
    attributes = getattr(owner, '__dict__', {})
    if attributes.get(name) is value:
        return name

    def holds(held):
        return held is value or (is_texture(held) and held.tensor() is value)
    if holds(attributes.get(name)):
        return name
    holders = [key for key, held in attributes.items() if holds(held)]
    if len(holders) != 1:
        found = 'none' if not holders else 'several (' + ', '.join(holders) + ')'
        raise PluginError(f'{type(owner).__name__}.traverse: "{name}" must be the value of one '
                          f'attribute of the object (self.{name} or another), found {found}; '
                          f'pass attribute="..."')
    return holders[0]

"""The texture interface: a colour or a number that varies over a surface.

Any colour or float parameter of a BSDF or emitter is a :class:`Texture`,
as in Mitsuba 3: a plain ``<rgb>`` becomes an ``srgb`` texture, a plain
``<float>`` a ``uniform`` one, and an image or a pattern is given by a
nested ``<texture type="bitmap">`` (or a ``<ref>`` to one). A texture is
looked up at a :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction3f`
through its texture coordinates ``si.uv`` (Array2f; a mesh without
texture coordinates gives the barycentric coordinates of the hit instead,
as Mitsuba does).

Every texture's data are parameters (``traverse``) and differentiable: the
value of a constant (``<bsdf id>.reflectance.value``), the pixels of an
image (``<bsdf id>.reflectance.data``, a TensorXf of shape (H, W, C)).

A texture may instead read data of the shape that the ray hit (the
``mesh_attribute`` texture reads a mesh's per-vertex or per-face values).
Such a texture sets :attr:`Texture.reads_shapes`; the scene then finds it
in its shapes' BSDFs (:func:`shape_reading_textures`) and hands it, through
:meth:`Texture.attach`, itself and the shapes whose BSDF holds it, before
each render. ``si.shape`` and ``si.prim_index`` of a hit then tell the
texture which shape and triangle to read. Scenes without such textures pay
nothing for this.
"""
from abc import abstractmethod

from tutorial_kit.core import value_ranges
from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.renderer.traversal import Traversable, TraversalCallback
from tutorial_kit.core.registry import create, declare_interface

#: XML tags that give a constant value in place of a texture.
_CONSTANT_TAGS = ('rgb', 'spectrum', 'float', 'integer')


class Texture(Plugin):
    """Base class of texture plugins (XML ``<texture>``)."""

    #: True when the value is the same everywhere (``srgb``, ``uniform``).
    is_constant = False
    #: True when the value comes from the shape hit (``mesh_attribute``): the
    #: scene then calls :meth:`attach` before rendering.
    reads_shapes = False

    def attach(self, scene, shape_indices):
        """Called by ``scene`` (when it is built, and before each render) on a
        texture that :attr:`reads_shapes`: ``shape_indices`` (ints, into
        ``scene.shapes()``) are the shapes whose BSDF holds this texture.
        Raises a SceneError if the texture cannot read them."""

    @abstractmethod
    def eval(self, si, active=True):
        """Color3f at each lane's texture coordinates ``si.uv``."""

    @abstractmethod
    def eval_1(self, si, active=True):
        """Float at each lane's texture coordinates (the luminance of a colour texture)."""

    #: The :class:`~tutorial_kit.core.value_ranges.ValueRange` its values must lie
    #: in (set by :func:`texture` from the role the texture plays), or None.
    value_range = None

    def range_values(self):
        """The values to check against a range (a NumPy array), or None when they
        are not known before rendering (a procedural texture, mesh data)."""
        return None

    @abstractmethod
    def mean(self):
        """The mean value over [0, 1]^2: a detached Float of width 1, computed on the
        device (BSDFs weigh their lobes with it without reading it back)."""


def shape_reading_textures(shapes):
    """``[(texture, shape_indices)]``: every texture that :attr:`~Texture.reads_shapes`
    inside the BSDFs of ``shapes`` (a list of Shapes, nested textures and BSDFs
    included), each with the indices of the shapes whose BSDF holds it, in order."""
    found = {}
    textures_of_bsdf = {}
    for index, shape in enumerate(shapes):
        bsdf = shape.bsdf()
        if id(bsdf) not in textures_of_bsdf:
            collector = _TextureCollector()
            collector.collect(bsdf)
            textures_of_bsdf[id(bsdf)] = collector.textures
        for texture in textures_of_bsdf[id(bsdf)]:
            found.setdefault(id(texture), (texture, []))[1].append(index)
    return list(found.values())


class _TextureCollector(TraversalCallback):
    """Walks an object's nested objects (through ``traverse``) and keeps the
    textures that read shapes; parameters are passed over."""

    def __init__(self):
        super().__init__()
        self.textures, self._seen = [], set()

    def collect(self, obj):
        if id(obj) in self._seen:
            return
        self._seen.add(id(obj))
        if isinstance(obj, Texture) and obj.reads_shapes:
            self.textures.append(obj)
        self.visit(obj)

    def put(self, name, value, flags, *, kind=None, attribute=None, value_range=None):
        if isinstance(value, Traversable):
            self.collect(value)


def luminance(color):
    """Y of a linear sRGB colour (Rec. 709 weights), as Mitsuba's ``luminance``."""
    return color[0] * 0.212671 + color[1] * 0.715160 + color[2] * 0.072169


def texture(props, name, default, unbounded=False, value_range=None):
    """Parameter ``name`` of ``props`` as a :class:`Texture`.

    A nested texture (or ``<ref>``) is returned as it is; an ``<rgb>`` or a
    spectrum becomes an ``srgb`` texture, a number a ``uniform`` one; when
    the parameter is absent, ``default`` (a number or three) does.
    ``unbounded``: whether colours may leave [0, 1] (radiance, IOR);
    reflectances may not, as in Mitsuba. ``value_range``: the
    :class:`~tutorial_kit.core.value_ranges.ValueRange` of the role
    (default: ``REFLECTANCE``, or ``COLOR`` when ``unbounded``).

    Every way of giving the value passes the same check here, the one place
    each plugin reads its colours through: ``<rgb>``, ``<spectrum>``, a
    number, and a nested texture whose values are known (a constant, an
    image's pixels). The texture keeps the range, so that assignments
    through a ParameterMap are checked against it too.
    """
    role = value_range or (value_ranges.COLOR if unbounded else value_ranges.REFLECTANCE)
    unbounded = role.high > 1           # an srgb texture made here takes the role's bound
    kind = props.kind(name)
    if kind == 'object':
        value = props.object(name)
        if not isinstance(value, Texture):
            raise props.error(name, f'"{name}" must be a texture or a value, '
                                    f'got a {type(value).__name__}')
        return _in_role(props, name, value, role)
    if kind is not None and kind not in _CONSTANT_TAGS:
        raise props.error(name, f'"{name}" must be an <rgb>, <float>, <spectrum> or '
                                f'<texture>, got <{kind}>')
    if kind is not None:
        # Numbers go through the colour checks of <rgb> (not negative, at most
        # MAX_COLOR): <float name="reflectance" value="3e38"/> is no more valid
        # than <rgb value="3e38"/>.
        color = props.color(name)
        # Written in the scene, a colour is also never negative: [0, 1] for a reflectance.
        _check_role(props, name, color, role.intersection(value_ranges.NON_NEGATIVE))
        # A spectrum of one value is grey everywhere: a number, as in Mitsuba.
        grey = kind in ('float', 'integer') or (kind == 'spectrum' and color[0] == color[1] == color[2])
        value = _constant(props, name, None if grey else color, float(color[0]) if grey else None,
                          unbounded)
        # Checked above against the role: the texture only keeps the range.
        value.value_range = role.intersection(value.value_range)
        return value
    if isinstance(default, (int, float)):
        return _in_role(props, name, _constant(props, name, None, float(default), unbounded), role)
    return _in_role(props, name, _constant(props, name, default, None, unbounded), role)


def _check_role(props, name, values, role, source=None):
    """A PluginError naming ``name``'s line unless every one of ``values`` lies in
    ``role``; ``source``: the image file the values come from, for the message."""
    refusal = role.refusal(values)
    if refusal is not None:
        where = f' (the image "{source}")' if source else ''
        raise props.error(name, f'"{name}"{where} {refusal}')


def _in_role(props, name, texture, role):
    """``texture`` checked against the range of its role and made to keep it.

    A texture whose values are known now (:meth:`Texture.range_values`) must
    fit; one shared by two roles keeps the narrower range of both.
    """
    values = texture.range_values()
    if values is not None:
        _check_role(props, name, values, role, getattr(texture, 'filename', None))
    texture.value_range = role.intersection(texture.value_range)
    return texture


def _constant(props, name, color, number, unbounded):
    """An ``srgb`` (``color``) or ``uniform`` (``number``) texture for parameter ``name``."""
    line = props.line_of(name)
    inner = Properties('srgb' if color is not None else 'uniform', props.path, line)
    if color is not None:
        inner.set('color', [float(c) for c in color], 'rgb', line)
    else:
        inner.set('value', number, 'float', line)
    inner.set('unbounded', bool(unbounded), 'boolean', line)
    return create('texture', inner)


def constant_float(props, name, default):
    """A float parameter that must be one number for the whole surface.

    Raises a PluginError naming file and line if it is given a texture.
    """
    if props.kind(name) == 'object':
        raise props.error(name, f'"{name}" must be a constant <float>, not a texture')
    return props.float(name, default)


declare_interface('texture', Texture)

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
"""
from abc import abstractmethod

from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.core.registry import create, declare_interface

#: XML tags that give a constant value in place of a texture.
_CONSTANT_TAGS = ('rgb', 'spectrum', 'float', 'integer')


class Texture(Plugin):
    """Base class of texture plugins (XML ``<texture>``)."""

    #: True when the value is the same everywhere (``srgb``, ``uniform``).
    is_constant = False

    @abstractmethod
    def eval(self, si, active=True):
        """Color3f at each lane's texture coordinates ``si.uv``."""

    @abstractmethod
    def eval_1(self, si, active=True):
        """Float at each lane's texture coordinates (the luminance of a colour texture)."""

    @abstractmethod
    def mean(self):
        """The mean value over [0, 1]^2: a detached Float of width 1, computed on the
        device (BSDFs weigh their lobes with it without reading it back)."""


def luminance(color):
    """Y of a linear sRGB colour (Rec. 709 weights), as Mitsuba's ``luminance``."""
    return color[0] * 0.212671 + color[1] * 0.715160 + color[2] * 0.072169


def texture(props, name, default, unbounded=False):
    """Parameter ``name`` of ``props`` as a :class:`Texture`.

    A nested texture (or ``<ref>``) is returned as it is; an ``<rgb>`` or a
    spectrum becomes an ``srgb`` texture, a number a ``uniform`` one; when
    the parameter is absent, ``default`` (a number or three) does.
    ``unbounded``: whether colours may leave [0, 1] (radiance, IOR);
    reflectances may not, as in Mitsuba.
    """
    kind = props.kind(name)
    if kind == 'object':
        value = props.object(name)
        if not isinstance(value, Texture):
            raise props.error(name, f'"{name}" must be a texture or a value, '
                                    f'got a {type(value).__name__}')
        return value
    if kind is not None and kind not in _CONSTANT_TAGS:
        raise props.error(name, f'"{name}" must be an <rgb>, <float>, <spectrum> or '
                                f'<texture>, got <{kind}>')
    if kind in ('float', 'integer'):
        return _constant(props, name, None, props.float(name), unbounded)
    if kind in ('rgb', 'spectrum'):
        color = props.color(name)
        # A spectrum of one value is grey everywhere: a number, as in Mitsuba.
        if kind == 'spectrum' and color[0] == color[1] == color[2]:
            return _constant(props, name, None, float(color[0]), unbounded)
        return _constant(props, name, color, None, unbounded)
    if isinstance(default, (int, float)):
        return _constant(props, name, None, float(default), unbounded)
    return _constant(props, name, default, None, unbounded)


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

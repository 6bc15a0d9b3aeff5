"""The emitter interface: where light comes from.

An emitter is either attached to a shape (``area``: it covers the shape's
surface) or surrounds the scene as an environment (``constant``: rays that
escape the scene see it). The path tracer finds light in two ways and
weighs them against each other with multiple importance sampling (Veach,
*Robust Monte Carlo Methods for Light Transport Simulation*, 1997, ch. 9),
so every emitter answers both:

- *hit*: a ray found it. :meth:`Emitter.eval` gives the radiance it sends
  back along the ray, :meth:`Emitter.pdf_direction` how likely emitter
  sampling from the ray's origin was to choose the same direction.
  ``si.emitter(scene)`` (an :class:`EmitterPtr`) finds each lane's emitter.
- *sampled*: :meth:`Emitter.sample_direction` picks a point on it as seen
  from a reference point.

Radiance is linear RGB in W/(m^2 sr) (scene units for m); densities are per
unit solid angle at the reference point (1/sr). The emitter's radiance is
differentiable. The signatures are Mitsuba 3's.
"""
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import registry
from tutorial_kit.core.dispatch import dispatch
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags


class Emitter(Plugin):
    """Base class of emitter plugins (XML ``<emitter>``).

    ``is_environment``: True for emitters at infinity, which rays that hit
    nothing see; False for emitters attached to a shape (the scene sets
    ``shape`` on those).
    """
    is_environment = False

    def __init__(self, props):
        """``radiance``: one colour (an ``srgb`` or ``uniform`` texture), linear RGB."""
        self.radiance = texture(props, 'radiance', (1.0, 1.0, 1.0), unbounded=True)
        if not self.radiance.is_constant:
            # Sampling a point on the light would need its texture coordinates too.
            raise props.error('radiance', f'the radiance of an {props.plugin} emitter must be '
                                          'one colour, not a varying texture')

    def traverse(self, callback):
        callback.put('radiance', self.radiance, ParamFlags.Differentiable)

    @abstractmethod
    def eval(self, si, active=True):
        """Color3f radiance (W/(m^2 sr)) that the emitter sends towards ``si.wi``.

        ``si``: the :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction3f`
        where a ray ended: on this emitter's shape (``si.wi`` local to the
        shading frame), or, for an environment, an escaped ray (``si.wi``
        the world direction back along it).
        """

    @abstractmethod
    def pdf_direction(self, it, ds, active=True):
        """Float density (1/sr) with which :meth:`sample_direction`, called from the
        reference point ``it`` (an Interaction3f), would have produced the point
        and direction of ``ds`` (a DirectionSample3f: ``p``, ``n``, ``d``,
        ``dist`` are read; e.g. ``DirectionSample3f.from_hit``)."""

    @abstractmethod
    def sample_direction(self, it, sample, active=True):
        """A point on the emitter seen from ``it.p`` (``it``: an Interaction3f,
        e.g. a SurfaceInteraction3f).

        ``sample``: Array2f in [0, 1)^2. Returns ``(ds, weight)``: a
        :class:`~tutorial_kit.renderer.interaction.DirectionSample3f` (point,
        normal, unit direction, distance, density per solid angle) and the
        Color3f radiance / pdf, ignoring occlusion (the scene tests it).
        Differentiable in the emitter's radiance and in ``it.p``.
        """


class EmitterPtr:
    """An emitter per lane (Mitsuba 3's ``EmitterPtr``), as ``si.emitter(scene)``
    returns it: ``emitters`` (the candidates) and ``index`` (UInt32, out of
    range: none). The methods have the :class:`Emitter` signatures, call each
    lane's own emitter and give zeros on lanes without one or not ``active``."""

    def __init__(self, emitters, index):
        self.emitters = list(emitters)
        self.index = index

    def eval(self, si, active=True):
        value = dispatch(self.emitters, self.index, lambda e: e.eval(si, active), active)
        return dr.zeros(bk.Color3f, dr.width(si.t)) if value is None else value

    def pdf_direction(self, it, ds, active=True):
        value = dispatch(self.emitters, self.index, lambda e: e.pdf_direction(it, ds, active), active)
        return dr.zeros(bk.Float, dr.width(ds.d)) if value is None else value

    def sample_direction(self, it, sample, active=True):
        result = dispatch(self.emitters, self.index, lambda e: e.sample_direction(it, sample, active), active)
        if result is None:
            width = dr.width(sample)
            return dr.zeros(DirectionSample3f, width), dr.zeros(bk.Color3f, width)
        return result

    def is_environment(self):
        """Bool per lane: whether the lane's emitter is an environment."""
        value = dispatch(self.emitters, self.index, lambda e: bk.Bool(e.is_environment))
        return dr.zeros(bk.Bool, dr.width(self.index)) if value is None else value

    def __repr__(self):
        return f'EmitterPtr[{", ".join(type(e).__name__ for e in self.emitters)}; index = {self.index}]'


registry.declare_interface('emitter', Emitter)

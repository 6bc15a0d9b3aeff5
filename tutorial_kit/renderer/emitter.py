"""The emitter interface: where light comes from.

Emitters come in three kinds (PBR 4th ed., ch. 12), told apart by their
:class:`EmitterFlags` (``m_flags``, read with :meth:`Emitter.flags`):

- *area* lights cover a shape's surface (``area``; ``Surface``);
- *environments* surround the scene at infinity (``constant``, ``envmap``;
  ``Infinite``): rays that hit nothing see them;
- *delta* lights (``point``, ``spot``: ``DeltaPosition``; ``directional``:
  ``DeltaDirection``) send light from a single point or along a single
  direction. No ray can hit them; emitter sampling is the only way to find
  them, and its sample is certain (``ds.delta``, density 1), so it takes
  the whole MIS weight.

The path tracer finds light in two ways and weighs them against each other
with multiple importance sampling (Veach, *Robust Monte Carlo Methods for
Light Transport Simulation*, 1997, ch. 9), so every emitter answers both:

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
import enum
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import registry
from tutorial_kit.core.dispatch import dispatch
from tutorial_kit.core.errors import RenderError
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags


class EmitterFlags(enum.IntFlag):
    """What kind of light an emitter is (Mitsuba 3's ``EmitterFlags``, with its values)."""
    Empty = 0
    #: Light leaves a single point (``point``, ``spot``).
    DeltaPosition = 1
    #: Light arrives along a single direction (``directional``).
    DeltaDirection = 2
    #: The emitter lies at infinity (environments, ``directional``).
    Infinite = 4
    #: The emitter covers a shape's surface (``area``).
    Surface = 8
    #: Its radiance varies over its surface or directions (``envmap``).
    SpatiallyVarying = 16
    #: Either delta flag: no ray can hit the emitter.
    Delta = DeltaPosition | DeltaDirection


class Emitter(Plugin):
    """Base class of emitter plugins (XML ``<emitter>``).

    ``m_flags`` (:class:`EmitterFlags`, set by each plugin as in Mitsuba 3);
    ``is_environment()``: True for emitters at infinity that rays which hit
    nothing see (``Infinite`` and not delta); area emitters are attached to a
    shape (the scene sets ``shape`` on those).
    """
    m_flags = EmitterFlags.Empty

    def __init__(self, props=None):
        super().__init__(props)

    def flags(self):
        """The :class:`EmitterFlags` of this emitter."""
        return EmitterFlags(self.m_flags)

    def is_environment(self):
        """Whether rays that hit nothing see this emitter (at infinity, not delta)."""
        return bool(self.m_flags & EmitterFlags.Infinite) and not self.m_flags & EmitterFlags.Delta

    def is_delta(self):
        """Whether no ray can hit the emitter (a point, spot or directional light)."""
        return bool(self.m_flags & EmitterFlags.Delta)

    def get_shape(self):
        """The shape an area light covers (Mitsuba 3's name), or None."""
        return getattr(self, 'shape', None)

    def sampling_weight(self):
        """How often the scene picks this emitter relative to the others: all
        emitters here are picked uniformly, each with weight 1."""
        return 1.0

    def set_scene(self, scene):
        """Called by the scene once its geometry is known (and again after it
        moves): emitters at infinity size themselves to ``scene.bbox()``."""

    @abstractmethod
    def eval(self, si, active=True):
        """Color3f radiance (W/(m^2 sr)) that the emitter sends towards ``si.wi``.

        ``si``: the :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction3f`
        where a ray ended: on this emitter's shape (``si.wi`` local to the
        shading frame), or, for an environment, an escaped ray (``si.wi``
        the world direction back along it). Zero for delta lights, which no
        ray hits.
        """

    @abstractmethod
    def pdf_direction(self, it, ds, active=True):
        """Float density (1/sr) with which :meth:`sample_direction`, called from the
        reference point ``it`` (an Interaction3f), would have produced the point
        and direction of ``ds`` (a DirectionSample3f: ``p``, ``n``, ``d``,
        ``dist`` are read; e.g. ``DirectionSample3f.from_hit``). Zero for delta
        lights: no other strategy can produce their directions."""

    @abstractmethod
    def sample_direction(self, it, sample, active=True):
        """A point on the emitter seen from ``it.p`` (``it``: an Interaction3f,
        e.g. a SurfaceInteraction3f).

        ``sample``: Array2f in [0, 1)^2. Returns ``(ds, weight)``: a
        :class:`~tutorial_kit.renderer.interaction.DirectionSample3f` (point,
        normal, unit direction, distance, density per solid angle) and the
        Color3f radiance / pdf, ignoring occlusion (the scene tests it).
        For a delta light ``ds.delta`` is True, ``ds.pdf`` is 1 and the weight
        is the radiance arriving at ``it.p`` (e.g. intensity / distance^2).
        Differentiable in the emitter's radiance and in ``it.p``.
        """

    def eval_direction(self, it, ds, active=True):
        """Color3f: the light arriving at ``it.p`` from the point of ``ds`` (a record
        from :meth:`sample_direction`), evaluated again: radiance for lights with a
        surface or at infinity, intensity / distance^2 for point-like ones. What
        an integrator recomputes with derivatives switched on (Mitsuba 3's
        ``eval_direction``, reached through ``scene.eval_emitter_direction``)."""
        raise RenderError(f'the {type(self).__name__} emitter cannot evaluate the light of a direction sample')

    # -- light paths, for integrators that trace from the lights (ptracer) ----------------
    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """A ray leaving the emitter, for a light path (Mitsuba 3's signature).

        ``time``: Float (unused); ``sample1``: Float (unused here: it chooses
        wavelengths in spectral renderers); ``sample2``: Array2f, the point on
        the emitter; ``sample3``: Array2f, the direction. Returns ``(ray,
        weight)``: a Ray3f (world space, unit ``d``) and the Color3f emitted
        power carried by the ray, ``Le cos / (pdf_position pdf_direction)``
        (Veach 1997, sec. 4.A: the importance of a light path starts with
        it). Emitters that cannot start light paths raise RenderError.
        """
        raise RenderError(f'the {type(self).__name__} emitter cannot start light paths: an '
                          'integrator tracing from the lights (ptracer) needs its sample_ray')

    def sample_position(self, time, sample, active=True):
        """A point on the emitter, for connecting it to the camera directly.

        ``sample``: Array2f in [0, 1)^2. Returns ``(ps, weight)``: a
        :class:`~tutorial_kit.renderer.interaction.DirectionSample3f` used as
        Mitsuba 3's position record (``p``, ``n``, ``uv``, ``pdf`` per unit
        area) and the Float 1 / pdf. Only emitters with a surface implement it.
        """
        raise RenderError(f'the {type(self).__name__} emitter has no surface to sample a position on')

    def eval_radiance(self, ps, active=True):
        """Color3f: the radiance leaving the point of the position record ``ps``
        (from :meth:`sample_position`) on the emitter's front side."""
        raise RenderError(f'the {type(self).__name__} emitter has no surface radiance to evaluate')


def constant_emission(props, name, default=(1.0, 1.0, 1.0)):
    """Parameter ``name`` of ``props`` (radiance, intensity, irradiance) as a
    texture that must be one colour (``srgb`` or ``uniform``), linear RGB:
    sampling a point on the light would otherwise need its texture
    coordinates too. Negative values are refused (PluginError)."""
    if props.kind(name) in ('float', 'integer') and props.float(name) < 0:
        raise props.error(name, f'"{name}" must not be negative, got {props.float(name):g}')
    value = texture(props, name, default, unbounded=True)
    if not value.is_constant:
        raise props.error(name, f'the {name} of an {props.plugin} emitter must be '
                                'one colour, not a varying texture')
    return value


class EmitterPtr:
    """An emitter per lane (Mitsuba 3's ``EmitterPtr``), as ``si.emitter(scene)``
    returns it: ``emitters`` (the candidates) and ``index`` (UInt32, out of
    range: none). The methods have the :class:`Emitter` signatures, call each
    lane's own emitter and give zeros on lanes without one or not ``active``."""

    def __init__(self, emitters, index):
        self.emitters = list(emitters)
        self.index = index

    def call(self, function, active=True):
        """``function(emitter)`` of each lane's emitter (see :func:`dispatch`); None
        when there are no emitters. The scene's pointer calls batches of area
        lights instead (:mod:`tutorial_kit.renderer.emitter_batch`)."""
        return dispatch(self.emitters, self.index, function, active)

    def eval(self, si, active=True):
        value = self.call(lambda e: e.eval(si, active), active)
        return dr.zeros(bk.Color3f, dr.width(si.t)) if value is None else value

    def pdf_direction(self, it, ds, active=True):
        value = self.call(lambda e: e.pdf_direction(it, ds, active), active)
        return dr.zeros(bk.Float, dr.width(ds.d)) if value is None else value

    def sample_direction(self, it, sample, active=True):
        result = self.call(lambda e: e.sample_direction(it, sample, active), active)
        if result is None:
            width = dr.width(sample)
            return dr.zeros(DirectionSample3f, width), dr.zeros(bk.Color3f, width)
        return result

    def eval_direction(self, it, ds, active=True):
        value = self.call(lambda e: e.eval_direction(it, ds, active), active)
        return dr.zeros(bk.Color3f, dr.width(ds.d)) if value is None else value

    def flags(self, active=True):
        """UInt32 per lane: the :class:`EmitterFlags` of each lane's emitter (0 where none)."""
        value = self.call(lambda e: bk.UInt32(int(e.flags())), active)
        return dr.zeros(bk.UInt32, dr.width(self.index)) if value is None else value

    def is_environment(self):
        """Bool per lane: whether the lane's emitter is an environment."""
        value = self.call(lambda e: bk.Bool(e.is_environment()))
        return dr.zeros(bk.Bool, dr.width(self.index)) if value is None else value

    def is_delta(self):
        """Bool per lane: whether the lane's emitter is a delta light."""
        value = self.call(lambda e: bk.Bool(e.is_delta()))
        return dr.zeros(bk.Bool, dr.width(self.index)) if value is None else value

    def __eq__(self, other):
        """``ptr == None``: Bool per lane, where the lane has no emitter (Mitsuba 3's
        null-pointer test, ``si.shape.emitter() != None``)."""
        if other is None:
            return self.index >= len(self.emitters)
        return NotImplemented

    def __ne__(self, other):
        """``ptr != None``: Bool per lane, where the lane has an emitter."""
        if other is None:
            return self.index < len(self.emitters)
        return NotImplemented

    __hash__ = object.__hash__

    def __repr__(self):
        return f'EmitterPtr[{", ".join(type(e).__name__ for e in self.emitters)}; index = {self.index}]'


registry.declare_interface('emitter', Emitter)

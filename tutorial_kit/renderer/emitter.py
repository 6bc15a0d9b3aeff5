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
- *sampled*: :meth:`Emitter.sample_direction` picks a point on it as seen
  from a reference point.

Radiance is linear RGB in W/(m^2 sr) (scene units for m); densities are per
unit solid angle at the reference point (1/sr). The emitter's radiance is
differentiable.
"""
from abc import abstractmethod

from tutorial_kit.core import registry
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
    def eval(self, si, direction, active=True):
        """Color3f radiance arriving at the ray's origin along ``direction``.

        ``si``: the :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction`
        where the ray ended (on this emitter's shape, or invalid for an
        escaped ray); ``direction``: the ray's unit world-space Array3f.
        """

    @abstractmethod
    def pdf_direction(self, si, direction, active=True):
        """Float density (1/sr) with which :meth:`sample_direction`, called from
        the ray's origin, would have produced the ray that ended in ``si``."""

    @abstractmethod
    def sample_direction(self, ref_p, sample2, active=True):
        """A point on the emitter seen from ``ref_p`` (world Array3f).

        ``sample2``: Array2f in [0, 1)^2. Returns ``(ds, weight)``: a
        :class:`~tutorial_kit.renderer.interaction.DirectionSample` (point,
        normal, unit direction, distance, density per solid angle) and the
        Color3f radiance / pdf, ignoring occlusion (the scene tests it).
        """


registry.declare_interface('emitter', Emitter)

"""Emitters: where light comes from.

- ``area``: attached to a shape, emits ``radiance`` (W/(m^2 sr), linear RGB)
  from the shape's front side, uniformly in all directions.
- ``constant``: an environment of constant ``radiance`` surrounding the scene.

Each can be *hit* (``eval``) and *sampled* from a reference point
(``sample_direction``, ``pdf_direction``); the path tracer combines both
strategies with multiple importance sampling.
"""
import drjit as dr

from . import backend as bk
from . import warp
from .interaction import DirectionSample
from .plugins import register


class Emitter:
    """Base class. ``attaches_to_shapes`` tells the loader where it may appear."""
    attaches_to_shapes = False

    def __init__(self, props):
        self.radiance = bk.color3f(props.color("radiance", 1.0))

    def traverse(self, visitor):
        visitor.put('radiance.value', self, 'radiance', kind='color', differentiable=True)


@register('emitter', 'area')
class AreaLight(Emitter):
    """Uniform emission from the front side of the shape it is attached to."""
    attaches_to_shapes = True
    shape = None                      # set by the scene: the Mesh this light covers

    def eval(self, si):
        """Radiance leaving the surface towards the viewer (Color3f)."""
        return dr.select(si.wi.z > 0, self.radiance, 0)

    def sample_direction(self, ref_p, sample2):
        """Pick a point uniformly by area and express its density per solid angle."""
        p, n, pdf_area = self.shape.sample_position(sample2)
        to_light = p - ref_p
        dist = dr.norm(to_light)
        d = to_light / dist
        cos_light = dr.dot(n, -d)
        # Area density to solid-angle density: dA = r^2 / |cos| dOmega.
        pdf = dr.select(cos_light > 0, pdf_area * dr.square(dist) / dr.abs(cos_light), 0)
        radiance = dr.select(cos_light > 0, self.radiance, 0)
        weight = dr.select(pdf > 0, radiance / pdf, 0)
        return DirectionSample(p, n, d, dist, pdf), weight

    def eval_with_pdf(self, si):
        """Radiance towards the viewer and the solid-angle density of sampling ``si``.

        ``si.t`` is the distance from the previous vertex (rays are unit length).
        """
        return self.eval(si), self.pdf_direction(si, si.t)

    def pdf_direction(self, si, ref_distance):
        """Density of sample_direction choosing the point ``si`` seen from ``ref_distance`` away."""
        cos_light = dr.dot(si.n, si.to_world(si.wi))
        return dr.select(cos_light > 0,
                         dr.square(ref_distance) / (self.shape.surface_area * dr.abs(cos_light)), 0)


@register('emitter', 'constant')
class ConstantEmitter(Emitter):
    """Light of the same radiance from every direction, infinitely far away."""

    def eval_direction(self, direction):
        """Radiance arriving from ``direction`` (Color3f, broadcast over lanes)."""
        return self.radiance

    def sample_direction(self, ref_p, sample2):
        d = warp.square_to_uniform_sphere(sample2)
        pdf = warp.square_to_uniform_sphere_pdf(d)
        sample = DirectionSample(ref_p + d, -d, d, dr.full(bk.Float, dr.inf, dr.width(d)), pdf)
        return sample, self.radiance / pdf

    def pdf_direction_escaped(self, direction):
        return warp.square_to_uniform_sphere_pdf(direction)

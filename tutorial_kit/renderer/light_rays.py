"""Rays that leave lights at infinity, for light paths (the particle tracer).

An environment (``constant``, ``envmap``) or a ``directional`` light has no
position to start a ray from. Its light enters the scene's bounding sphere
(centre ``c``, radius ``R``) from every direction: a ray is started on the
disk of radius ``R`` through ``c``, perpendicular to the direction ``d`` the
light travels, moved back by ``R`` so that it starts outside the sphere.
Each such disk has area ``pi R^2``, so a ray carries the power
``L(d) / pdf(d) * pi R^2`` (Veach 1997, sec. 4.A; Mitsuba 3's
``sample_ray`` of its environment and directional emitters).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.ray import Ray3f


def ray_through_sphere(center, radius, travel, sample):
    """A Ray3f travelling along ``travel`` (unit Array3f) that starts on the disk
    of ``radius`` perpendicular to it, a radius behind ``center`` (Array3f),
    at the point ``sample`` (Array2f in [0, 1)^2) chooses uniformly."""
    offset = warp.square_to_uniform_disk_concentric(sample)
    across = Frame(travel).to_world(bk.Array3f(offset.x, offset.y, 0))
    origin = center + (across - travel) * radius
    return Ray3f(origin, travel, dr.inf)


def environment_ray(emitter, center, radius, sample2, sample3, active=True):
    """``(ray, weight)`` of a light path leaving the environment ``emitter``: the
    direction by the emitter's own sampling from ``center`` (``sample3``), the
    start on the disk (``sample2``); weight ``L / pdf * pi R^2`` (Color3f)."""
    from tutorial_kit.renderer.interaction import Interaction3f
    width = dr.width(sample2)
    reference = Interaction3f(p=dr.zeros(bk.Array3f, width) + center)
    ds, radiance_over_pdf = emitter.sample_direction(reference, sample3, active)
    ray = ray_through_sphere(center, radius, -ds.d, sample2)
    return ray, radiance_over_pdf * (dr.pi * dr.square(radius))

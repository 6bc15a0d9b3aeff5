"""The perspective camera: turns film positions into rays.

Conventions are Mitsuba's, so the same file gives the same picture: the
camera looks along its local +z, +y is up and +x points to the *left* of the
image; ``to_world`` places it in the scene (usually via ``<lookat>``).
``fov`` is measured along ``fov_axis``.
"""
import math
import re

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.renderer.interaction import DirectionSample3f
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.sensor import Sensor, crop_pixels, film_fraction, read_shutter
from tutorial_kit.plugins.sensors.film_and_sampler import nested_film_and_sampler, nested_medium
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind

FOV_AXES = ('x', 'y', 'diagonal', 'smaller', 'larger')
#: The widest field of view, in degrees. Towards 180 degrees the image plane
#: grows without bound (tan(fov / 2)) and the rays squeeze into a sliver at its rim.
MAX_FOV = 179.0


def x_fov(fov, fov_axis, width, height):
    """Convert a field of view in degrees along ``fov_axis`` to one along x."""
    aspect = width / height
    if fov_axis == 'smaller':
        fov_axis = 'y' if aspect > 1 else 'x'
    elif fov_axis == 'larger':
        fov_axis = 'x' if aspect > 1 else 'y'
    if fov_axis == 'x':
        return fov          # as given: the round trip through tan and atan is not exact
    half = math.tan(math.radians(fov) / 2)
    if fov_axis == 'y':
        half *= aspect
    elif fov_axis == 'diagonal':
        half *= aspect / math.hypot(aspect, 1)
    return math.degrees(2 * math.atan(half))


@register('sensor', 'perspective')
class PerspectiveCamera(Sensor):
    """A pinhole camera with near and far clipping planes (scene units)."""

    def __init__(self, props):
        self.to_world = props.transform('to_world')
        if 'fov' in props:
            self.fov_axis = props.choice('fov_axis', FOV_AXES, 'x')
            self.fov = props.float('fov')
        else:
            # A focal length fixes the angle across the 35 mm frame's diagonal, as in
            # Mitsuba 3, which then ignores fov_axis (and warns that it is unused).
            self.fov_axis = 'diagonal'
            self.fov = _fov_from_focal_length(props)
        self.near_clip = props.float('near_clip', 1e-2)
        self.far_clip = props.float('far_clip', 1e4)
        props.float('focus_distance', 0.0)    # a pinhole is in focus everywhere
        self.shutter = read_shutter(props)
        for name in ('principal_point_offset_x', 'principal_point_offset_y'):
            # An off-centre projection (a shifted lens) is not implemented: refuse it
            # rather than render an image centred where Mitsuba 3's is not.
            if props.float(name, 0.0) != 0:
                raise props.error(name, f'{name} other than 0 (an off-centre projection) is not '
                                        'supported here')
        if not 0 < self.fov <= MAX_FOV:
            raise props.error('fov' if 'fov' in props else 'focal_length',
                              f'the field of view must lie in (0, {MAX_FOV:g}] degrees, got {self.fov:g}')
        if not 0 < self.near_clip < self.far_clip:
            raise props.error('near_clip', 'expected 0 < near_clip < far_clip')
        self._film, self._sampler = nested_film_and_sampler(props)
        self.medium = nested_medium(props)

    def film(self):
        return self._film

    def sampler(self):
        return self._sampler

    def traverse(self, callback):
        callback.put('to_world', self.to_world, ParamFlags.NonDifferentiable, kind=ParamKind.MATRIX)
        callback.put('fov', self.fov, ParamFlags.NonDifferentiable, kind=ParamKind.ANGLE)
        # Mitsuba 3's names: the field of view across x, and the clipping planes.
        callback.put('x_fov', self.x_fov, ParamFlags.NonDifferentiable, kind=ParamKind.ANGLE, attribute='x_fov')
        callback.put('near_clip', self.near_clip, ParamFlags.NonDifferentiable, kind=ParamKind.SCALAR,
                     attribute='near_clip')
        callback.put('far_clip', self.far_clip, ParamFlags.NonDifferentiable, kind=ParamKind.SCALAR,
                     attribute='far_clip')

    @property
    def x_fov(self):
        """The field of view across the film's width, in degrees (Mitsuba 3's ``x_fov``);
        setting it measures ``fov`` along x from then on."""
        width, height = self._film.crop_size()
        return x_fov(self.fov, self.fov_axis, width, height)

    @x_fov.setter
    def x_fov(self, degrees):
        self.fov_axis, self.fov = 'x', degrees

    def settings(self):
        return dict(fov_axis=self.fov_axis, near_clip=self.near_clip, far_clip=self.far_clip,
                    film=self._film, sampler=self._sampler)

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """Rays through film positions ``sample2`` (Array2f in [0, 1]^2, origin top left).

        Returns ``(ray, weight)``: a Ray3f whose origin sits on the near plane,
        as in Mitsuba, with unit ``d`` and ``maxt`` the distance to the far
        clipping plane; and the Color3f weight 1 (a pinhole has no vignetting).
        ``time``, ``sample1`` and ``sample3`` are unused (see
        :meth:`Sensor.sample_ray`).
        """
        position = film_fraction(self._film, sample2)
        width, height = self._film.size()
        # Opaque constants: another placement or field of view (a second camera of
        # a multi-view optimisation) reuses the compiled kernels.
        tan_half = math.tan(math.radians(x_fov(self.fov, self.fov_axis, width, height)) / 2)
        tan_x, tan_y = dr.opaque(bk.Float, tan_half), dr.opaque(bk.Float, tan_half * height / width)
        # Screen coordinates: +x to the left, +y up, one unit = tan(fov_x / 2).
        local = bk.Array3f((1 - 2 * position.x) * tan_x, (1 - 2 * position.y) * tan_y, 1)
        local = dr.normalize(local)
        inv_z = dr.rcp(local.z)
        near_t = dr.opaque(bk.Float, self.near_clip) * inv_z
        far_t = dr.opaque(bk.Float, self.far_clip) * inv_z
        matrix = np.asarray(self.to_world, dtype=np.float64)
        rotation = [[dr.opaque(bk.Float, float(v)) for v in row] for row in matrix[:3, :3]]
        direction = bk.Array3f(*(rotation[i][0] * local.x + rotation[i][1] * local.y
                                 + rotation[i][2] * local.z for i in range(3)))
        direction = dr.normalize(direction)
        origin = bk.Array3f(*[dr.opaque(bk.Float, float(v)) for v in matrix[:3, 3]]) + direction * near_t
        ray = Ray3f(o=origin, d=direction, maxt=far_t - near_t, time=time)
        return ray, bk.Color3f(1.0)

    def sample_direction(self, it, sample, active=True):
        """See :meth:`Sensor.sample_direction`.

        The importance arriving at ``it.p`` is ``We / dist^2`` with
        ``We = 1 / (A cos^3 theta)`` towards the image and zero elsewhere,
        where ``A`` is the area of the crop window on the plane at distance 1
        in front of the pinhole and ``theta`` the angle to the optical axis:
        a camera ray through a uniformly chosen point of that window has the
        solid-angle density ``1 / (A cos^3 theta)`` (Veach 1997, sec. 4.A;
        Mitsuba 3's perspective camera), so a light path's contribution to a
        pixel equals, on average, what camera rays through it estimate. The
        point on the film is :meth:`project`'s, differentiable in ``it.p``.
        """
        matrix = np.asarray(self.to_world, dtype=np.float64)
        rotation, centre = matrix[:3, :3], matrix[:3, 3]
        width, height = (int(n) for n in self._film.size())
        crop_width, crop_height = self._film.crop_size()
        tan_half = math.tan(math.radians(x_fov(self.fov, self.fov_axis, width, height)) / 2)
        aspect = height / width
        origin = bk.Array3f(*(float(v) for v in centre))
        to_point = it.p - origin
        q = [sum(float(rotation[j, i]) * to_point[j] for j in range(3)) for i in range(3)]
        dist = dr.norm(to_point)
        inv_dist = dr.rcp(dist)
        cos_theta = q[2] * inv_dist
        fraction_x = (1 - q[0] / (q[2] * tan_half)) * 0.5
        fraction_y = (1 - q[1] / (q[2] * tan_half * aspect)) * 0.5
        uv = crop_pixels(self._film, (fraction_x, fraction_y))
        valid = (bk.Bool(active) & (q[2] >= self.near_clip) & (q[2] <= self.far_clip)
                 & (uv.x >= 0) & (uv.x <= crop_width) & (uv.y >= 0) & (uv.y <= crop_height))
        # The crop window on the plane z = 1: (2 tan_half cw / W) x (2 tan_half aspect ch / H).
        area = 4 * tan_half * tan_half * aspect * (crop_width / width) * (crop_height / height)
        importance = dr.rcp(area * cos_theta * dr.square(cos_theta))
        width_lanes = dr.width(dist)
        forward = bk.Array3f(*(float(v) for v in rotation[:, 2]))
        ds = DirectionSample3f(p=dr.zeros(bk.Array3f, width_lanes) + origin,
                               n=dr.zeros(bk.Array3f, width_lanes) + forward, uv=uv,
                               pdf=dr.select(valid, 1.0, 0.0), delta=dr.full(bk.Bool, True, width_lanes),
                               d=-to_point * inv_dist, dist=dist)
        weight = dr.select(valid, importance * dr.square(inv_dist), 0)
        return ds, bk.Color3f(weight)

    def origin(self):
        """See :meth:`Sensor.origin`: the translation of ``to_world``."""
        return np.asarray(self.to_world, dtype=np.float64)[:3, 3]

    def project(self, points):
        """See :meth:`Sensor.project`.

        A point ``p`` goes to camera space ``q = R^T (p - o)`` and then to
        film position ``((1 - q.x / (q.z t)) / 2 W, (1 - q.y / (q.z t H / W)) / 2 H)``
        with ``t = tan(fov_x / 2)`` and W x H the whole film, the inverse of
        :meth:`sample_ray`; less the crop window's offset.
        """
        matrix = np.asarray(self.to_world, dtype=np.float64)
        rotation, origin = matrix[:3, :3], matrix[:3, 3]
        width, height = (int(n) for n in self._film.size())
        tan_half = math.tan(math.radians(x_fov(self.fov, self.fov_axis, width, height)) / 2)
        if isinstance(points, np.ndarray):
            q = (points - origin) @ rotation
            with np.errstate(divide='ignore', invalid='ignore'):
                x = (1 - q[:, 0] / (q[:, 2] * tan_half)) / 2
                y = (1 - q[:, 1] / (q[:, 2] * tan_half * height / width)) / 2
                pixels = crop_pixels(self._film, np.stack([x, y], axis=1))
            front = q[:, 2] > self.near_clip
            return np.where(front[:, None], pixels, np.nan)
        d = points - bk.Array3f(*(float(v) for v in origin))
        q = [sum(float(rotation[j, i]) * d[j] for j in range(3)) for i in range(3)]
        x = (1 - q[0] / (q[2] * tan_half)) * 0.5
        y = (1 - q[1] / (q[2] * tan_half * height / width)) * 0.5
        return crop_pixels(self._film, (x, y))


def _fov_from_focal_length(props):
    """Mitsuba's alternative: a focal length on a 35 mm film (36 x 24 mm), e.g. ``50mm``."""
    text = props.string('focal_length', '50mm')
    match = re.fullmatch(r'\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*mm\s*', text)
    focal = float(text.strip()[:-2]) if match else 0.0
    if not 0 < focal < math.inf:
        raise props.error('focal_length', f'focal_length must be a positive length in mm '
                                          f'such as "50mm", got "{text[:40]}"')
    return math.degrees(2 * math.atan(math.hypot(36, 24) / (2 * focal)))

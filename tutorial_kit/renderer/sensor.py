"""The sensor interface: how the scene is observed.

A sensor turns positions on its film into rays (Mitsuba 3's ``Sensor``). It
owns the :class:`~tutorial_kit.renderer.film.Film` that collects the
image and the sampler whose settings (samples per pixel, seed) a render
uses by default.
"""
from abc import abstractmethod

from tutorial_kit.core import backend as bk
from tutorial_kit.core import registry
from tutorial_kit.core.errors import RenderError
from tutorial_kit.core.transform4f import Transform4f
from tutorial_kit.renderer.plugin import Plugin


class Sensor(Plugin):
    """Base class of sensor plugins (XML ``<sensor>``).

    ``medium``: the participating medium the sensor sits in (None: vacuum),
    where its rays start.
    """
    medium = None

    @abstractmethod
    def film(self):
        """The Film that receives this sensor's image."""

    @abstractmethod
    def sampler(self):
        """The sampler plugin: ``sample_count()`` and ``seed``."""

    def world_transform(self):
        """The sensor's placement, camera space to world space, as a
        :class:`~tutorial_kit.core.transform4f.Transform4f` (Mitsuba 3's name),
        for a sensor placed by a ``to_world`` matrix."""
        if getattr(self, 'to_world', None) is None:
            raise NotImplementedError(f'{type(self).__name__} has no single placement (to_world)')
        return Transform4f(self.to_world)

    @abstractmethod
    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """Rays through film positions, with Mitsuba 3's signature.

        ``time``: Float (unused: scenes are static); ``sample1``: Float
        (unused: it chooses wavelengths in spectral renderers);
        ``sample2``: Array2f in [0, 1]^2, the position on the film relative to
        its crop window (:func:`film_fraction`), (0, 0) the top left corner; ``sample3``: Array2f,
        the position on the aperture (unused by a pinhole). Returns
        ``(ray, weight)``: a :class:`~tutorial_kit.core.ray.Ray3f` (world
        space, unit ``d``, ``maxt`` the distance to the far clipping plane)
        and the Color3f importance weight (1 for a pinhole). Differentiable
        with respect to the sensor's parameters where they track derivatives.
        """

    @abstractmethod
    def project(self, points):
        """Where world-space points appear on the film, in pixels relative to its
        crop window (the inverse of :meth:`sample_ray`; (0, 0) the window's top
        left corner).

        ``points``: an Array3f (returns Array2f, differentiable in the points
        and the sensor's parameters) or a NumPy (N, 3) array (returns float64
        (N, 2), NaN for points that have no position: behind the near plane).
        Integrators that sample points in the scene and splat them on the
        film (edge sampling) use it.
        """

    def sample_direction(self, it, sample, active=True):
        """Connect the reference point ``it.p`` (``it``: an Interaction3f) to the
        sensor, as a light path does at each of its vertices (Mitsuba 3's
        signature; ``sample``: Array2f, unused by a pinhole).

        Returns ``(ds, weight)``: a
        :class:`~tutorial_kit.renderer.interaction.DirectionSample3f` whose
        ``p`` is the point on the sensor, ``d`` the unit direction from
        ``it.p`` to it, ``dist`` the distance, ``uv`` the film position in
        pixels relative to the crop window (what :meth:`project` gives) and
        ``pdf`` 1 where the point is seen (0 outside the field of view or
        the clipping range); and the Color3f importance ``We / dist^2``
        arriving at ``it.p`` (Veach 1997, sec. 4.A; the cosine at ``it.p`` is
        the caller's). Sensors that cannot be connected to raise RenderError.
        """
        raise RenderError(f'the {type(self).__name__} sensor cannot be reached by light paths '
                          '(an integrator tracing from the lights, such as ptracer, needs a '
                          'perspective sensor)')

    @abstractmethod
    def origin(self):
        """The centre of projection: world-space float64 NumPy array of shape (3,)."""


def film_fraction(film, sample):
    """Where a position relative to the crop window (Array2f in [0, 1]^2, what
    ``sample_ray`` receives) lies on the whole film, as a fraction of its size
    (Array2f): ``(crop_offset + sample crop_size) / size``, as Mitsuba 3's
    cameras map it. The identity on a film that is not cropped."""
    if film.crop_offset() == (0, 0) and film.crop_size() == film.size():
        return bk.Array2f(sample)
    (x, y), (cw, ch), (w, h) = film.crop_offset(), film.crop_size(), film.size()
    return bk.Array2f((x + sample[0] * cw) / w, (y + sample[1] * ch) / h)


def crop_pixels(film, fraction):
    """The inverse of :func:`film_fraction`, in pixels: a fraction of the whole
    film (Array2f, or a NumPy (N, 2) array) becomes a position in pixels
    relative to the crop window, what ``project`` returns."""
    (x, y), (w, h) = film.crop_offset(), film.size()
    if hasattr(fraction, 'shape'):
        return fraction * [w, h] - [x, y]
    return bk.Array2f(fraction[0] * w - x, fraction[1] * h - y)


registry.declare_interface('sensor', Sensor)


def read_shutter(props):
    """``(shutter_open, shutter_close)`` in seconds, as Mitsuba 3's sensors take them.

    Nothing in a scene moves over time here (no animated transforms), so the
    interval changes no image; it is read so that scenes that give it load,
    and checked: 0 <= shutter_open <= shutter_close.
    """
    opening = props.float('shutter_open', 0.0)
    closing = props.float('shutter_close', opening)
    if not 0 <= opening <= closing:
        raise props.error('shutter_open', f'expected 0 <= shutter_open <= shutter_close, '
                                          f'got {opening:g} and {closing:g}')
    return opening, closing

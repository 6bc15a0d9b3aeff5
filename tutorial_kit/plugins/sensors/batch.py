"""The batch sensor: several viewpoints rendered side by side into one film.

Multi-view reconstruction renders a scene from many cameras each iteration.
Mitsuba 3's ``batch`` sensor renders them in one pass: its film, ``N``
times as wide as one view, is cut into ``N`` columns of equal width, and the
``k``-th nested sensor sees through column ``k`` (left to right, in the
order the sensors are given). One render then traces every view's rays
together, and one image holds them all.

The batch's own film and sampler are used; each nested sensor's film is
resized to one column (``width / N`` by ``height``), so that its aspect
ratio, and with it the field of view, is that of its column.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.sensors.film_and_sampler import nested_film_and_sampler
from tutorial_kit.renderer.sensor import Sensor, film_fraction
from tutorial_kit.renderer.traversal import ParamFlags


def rays_of_chosen_sensors(sensors, chosen, time, sample1, sample2, sample3, active=True):
    """``(ray, weight)`` of sensor ``sensors[chosen[lane]]`` on each lane (``chosen``:
    UInt32), every sensor given the same samples (``sample2`` in its own film)."""
    ray, weight = None, None
    for k, sensor in enumerate(sensors):
        ray_k, weight_k = sensor.sample_ray(time, sample1, sample2, sample3, active)
        if ray is None:
            ray, weight = ray_k, bk.Color3f(weight_k)
            continue
        here = chosen == k
        ray = Ray3f(o=dr.select(here, ray_k.o, ray.o), d=dr.select(here, ray_k.d, ray.d),
                    maxt=dr.select(here, ray_k.maxt, ray.maxt), time=ray.time)
        weight = dr.select(here, weight_k, weight)
    return ray, weight


@register('sensor', 'batch')
class BatchSensor(Sensor):
    """Nested sensors (at least one), a film whose width is a multiple of their
    number, and a sampler. Traversed as Mitsuba 3 does: each nested sensor
    under its id, or ``sensor<i>`` without one."""

    def __init__(self, props):
        super().__init__(props)
        self._film, self._sampler = nested_film_and_sampler(props)
        roles = {id(obj): name for name, obj in props.named_objects()}
        self.sensors = [obj for obj in props.nested_objects() if isinstance(obj, Sensor)]
        if not self.sensors:
            raise props.error('sensor', 'a batch sensor needs at least one nested sensor')
        width, height = self._film.size()
        if width % len(self.sensors):
            raise props.error('width', f'the film\'s width ({width}) must be a multiple of the number '
                                       f'of nested sensors ({len(self.sensors)})')
        for sensor in self.sensors:
            sensor.film().set_size((width // len(self.sensors), height))
        self._names = [sensor.id or roles.get(id(sensor)) or f'sensor{k}'
                       for k, sensor in enumerate(self.sensors)]

    def film(self):
        return self._film

    def sampler(self):
        return self._sampler

    def traverse(self, callback):
        for name, sensor in zip(self._names, self.sensors):
            callback.put(name, sensor, ParamFlags.NonDifferentiable)

    def settings(self):
        return dict(sensors=len(self.sensors), film=self._film, sampler=self._sampler)

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """Rays of the nested sensor whose column holds ``sample2`` (Array2f in
        [0, 1]^2 relative to the crop window): column ``k = floor(x N)`` hands
        ``(x N - k, y)`` to sensor ``k``. Returns ``(ray, weight)``."""
        position = film_fraction(self._film, sample2)
        count = len(self.sensors)
        scaled = position.x * count
        column = dr.minimum(bk.UInt32(dr.maximum(scaled, 0)), count - 1)
        local = bk.Array2f(scaled - bk.Float(column), position.y)
        return rays_of_chosen_sensors(self.sensors, column, time, sample1, local, sample3, active)

    def project(self, points):
        """A point appears once in every column that sees it, so the batch has
        no single projection: a RenderError (edge sampling needs one sensor)."""
        raise RenderError('a batch sensor has no single projection: render each nested sensor '
                          'on its own (e.g. render(scene, sensor=batch.sensors[k]))')

    def origin(self):
        """See :meth:`project`: a RenderError."""
        return self.project(None)

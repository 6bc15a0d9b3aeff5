"""The orthographic camera: parallel rays, for technical views without perspective.

Every ray leaves the camera's near plane along its local +z axis
(Mitsuba 3's ``orthographic``; PBR 4th ed., sec. 5.2.1). The local frame is
the perspective camera's: +y up, +x to the *left* of the image. The film's
width spans local x from +1 to -1 and its height local y in proportion, so
``to_world``'s scale sets the view's extent: ``scale(2, 2, 1)`` shows a
4-unit wide strip of the scene (two units either side of the axis).
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.sensors.film_and_sampler import nested_film_and_sampler, nested_medium
from tutorial_kit.renderer.sensor import Sensor, crop_pixels, film_fraction, read_shutter
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind

#: How far behind an orthographic camera :meth:`OrthographicCamera.origin` puts
#: its stand-in centre of projection, in units of the scene's ``to_world`` scale.
FAR_AWAY = 1e6


@register('sensor', 'orthographic')
class OrthographicCamera(Sensor):
    """``to_world`` (its scale sets the extent), ``near_clip`` (0.01) and
    ``far_clip`` (10000), in local units along the axis as in Mitsuba 3; a
    nested film and sampler."""

    def __init__(self, props):
        super().__init__(props)
        self.to_world = props.transform('to_world')
        self.near_clip = props.float('near_clip', 1e-2)
        self.far_clip = props.float('far_clip', 1e4)
        self.shutter = read_shutter(props)
        if not 0 <= self.near_clip < self.far_clip:
            raise props.error('near_clip', f'expected 0 <= near_clip < far_clip, got '
                                           f'{self.near_clip:g} and {self.far_clip:g}')
        self._film, self._sampler = nested_film_and_sampler(props)
        self.medium = nested_medium(props)

    def film(self):
        return self._film

    def sampler(self):
        return self._sampler

    def traverse(self, callback):
        callback.put('to_world', self.to_world, ParamFlags.NonDifferentiable, kind=ParamKind.MATRIX)

    def settings(self):
        return dict(near_clip=self.near_clip, far_clip=self.far_clip, film=self._film,
                    sampler=self._sampler)

    def _local_extent(self):
        """Half-extents (x, y) of the film in local units: x spans [-1, 1], y keeps the aspect."""
        width, height = self._film.size()
        return 1.0, height / width

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """Parallel rays through film positions ``sample2`` (Array2f in [0, 1]^2,
        relative to the crop window, origin top left).

        Returns ``(ray, weight)``: a Ray3f from the point
        ``to_world((1 - 2 x) ex, (1 - 2 y) ey, near_clip)`` of the near plane
        (``ex, ey`` the film's half-extents, 1 and height / width) along the
        unit local +z axis mapped to world space, with ``maxt = far_clip -
        near_clip`` (as Mitsuba 3, which does not scale it); and the Color3f
        weight 1.
        """
        position = film_fraction(self._film, sample2)
        extent_x, extent_y = self._local_extent()
        matrix = np.asarray(self.to_world, dtype=np.float64)
        local = [(1 - 2 * position.x) * extent_x, (1 - 2 * position.y) * extent_y, self.near_clip]
        origin = bk.Array3f(*(float(matrix[i, 0]) * local[0] + float(matrix[i, 1]) * local[1]
                              + float(matrix[i, 2]) * local[2] + float(matrix[i, 3]) for i in range(3)))
        axis = matrix[:3, 2] / np.linalg.norm(matrix[:3, 2])
        width = dr.width(position)
        direction = bk.Array3f(*(dr.full(bk.Float, float(a), width) for a in axis))
        ray = Ray3f(o=origin, d=direction, maxt=self.far_clip - self.near_clip, time=time)
        return ray, bk.Color3f(1.0)

    def project(self, points):
        """See :meth:`Sensor.project`: ``q = to_world^-1 p`` lands at film
        fraction ``((1 - q.x / ex) / 2, (1 - q.y / ey) / 2)``; NaN (NumPy) for
        points in front of the near plane."""
        inverse = np.linalg.inv(np.asarray(self.to_world, dtype=np.float64))
        extent_x, extent_y = self._local_extent()
        if isinstance(points, np.ndarray):
            q = points @ inverse[:3, :3].T + inverse[:3, 3]
            fraction = np.stack([(1 - q[:, 0] / extent_x) / 2, (1 - q[:, 1] / extent_y) / 2], axis=1)
            front = q[:, 2] >= self.near_clip
            return np.where(front[:, None], crop_pixels(self._film, fraction), np.nan)
        q = [sum(float(inverse[i, j]) * points[j] for j in range(3)) + float(inverse[i, 3])
             for i in range(2)]
        return crop_pixels(self._film, ((1 - q[0] / extent_x) * 0.5, (1 - q[1] / extent_y) * 0.5))

    def origin(self):
        """See :meth:`Sensor.origin`. Parallel projection has its centre at
        infinity; a point :data:`FAR_AWAY` units behind the camera along its axis
        stands in for it (what silhouette tests, which ask from where the
        scene is seen, need)."""
        matrix = np.asarray(self.to_world, dtype=np.float64)
        axis = matrix[:3, 2] / np.linalg.norm(matrix[:3, 2])
        return matrix[:3, 3] - FAR_AWAY * axis

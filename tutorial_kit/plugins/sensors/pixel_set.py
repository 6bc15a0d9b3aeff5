"""A sensor whose film is a chosen set of other sensors' pixels, laid out in one row.

Training a radiance field (or any model fitted to photographs) wants each
optimisation step to see pixels drawn from all the views, not one whole
image. This sensor makes such a minibatch renderable: its film is one row of
``N`` pixels, and film pixel ``j`` shows pixel ``pixel_index[j]`` of the
source sensors (pixels numbered view after view, row by row within a view).
Rendering it traces exactly those rays, with the same jitter inside each
pixel that a render of the source view would draw. Mitsuba 3's
``RayDataLoader`` drives a sensor of this kind (its ``FlatSensor``);
:class:`~tutorial_kit.ad.loaders.RayDataLoader` here drives this one.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError
from tutorial_kit.io.dict_loader import load_dict
from tutorial_kit.plugins.sensors.batch import rays_of_chosen_sensors
from tutorial_kit.renderer.sensor import Sensor


class PixelSetSensor(Sensor):
    """``sensors``: the source sensors (a list; films of one size, no crop window,
    no ``sample_border``); ``pixels``: the film's width N; ``pixel_format``:
    its colour channels (``'luminance'``, ``'rgb'`` or ``'rgba'``).

    ``pixel_index`` (UInt32 of width N) says which source pixels the film
    shows; assign it before each render.
    """

    def __init__(self, sensors, pixels, pixel_format='rgb'):
        super().__init__()
        self.sensors = list(sensors)
        self.source_size = tuple(self.sensors[0].film().size())
        self._film = load_dict({'type': 'hdrfilm', 'width': pixels, 'height': 1, 'pixel_format': pixel_format,
                                'sample_border': False, 'rfilter': {'type': 'box'}})
        self._sampler = load_dict({'type': 'independent', 'sample_count': 1})
        self.pixel_index = dr.zeros(bk.UInt32, pixels)

    def film(self):
        return self._film

    def sampler(self):
        return self._sampler

    def settings(self):
        width, height = self.source_size
        return dict(sensors=len(self.sensors), source_size=f'{width} x {height}', pixels=dr.width(self.pixel_index))

    def sample_ray(self, time, sample1, sample2, sample3, active=True):
        """Rays through the source pixels. ``sample2`` (Array2f) is a position on
        this film; its lanes come pixel by pixel, each pixel's samples together
        (as ``render`` orders them), and the offset inside its pixel is kept
        as the offset inside the source pixel. Returns ``(ray, weight)``."""
        pixels = dr.width(self.pixel_index)
        lanes = dr.width(sample2)
        if lanes % pixels:
            raise RenderError(f'the pixel-set sensor draws whole pixels: {lanes} samples for {pixels} pixels')
        source = dr.repeat(self.pixel_index, lanes // pixels) if lanes != pixels else self.pixel_index
        width, height = self.source_size
        view = source // (width * height)
        within = source % (width * height)
        # The offset inside this film's pixel (the film is N x 1).
        position = bk.Array2f(sample2) * bk.Array2f(pixels, 1)
        jitter = position - dr.floor(position)
        local = bk.Array2f((bk.Float(within % width) + jitter.x) / width,
                           (bk.Float(within // width) + jitter.y) / height)
        return rays_of_chosen_sensors(self.sensors, view, time, sample1, local, sample3, active)

    def project(self, points):
        """Its pixels come from several views: no single projection (a RenderError)."""
        raise RenderError('a pixel-set sensor has no single projection: render each source sensor on its own')

    def origin(self):
        """See :meth:`project`: a RenderError."""
        return self.project(None)

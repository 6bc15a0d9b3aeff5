"""``RayDataLoader``: minibatches of pixels (rays and their target colours) drawn from many views.

A radiance field is fitted to photographs of a scene from several cameras.
Rendering every view at every step is costly and gives correlated updates;
stochastic gradient descent works as well on a random subset of pixels,
provided each full pass over the data visits every pixel once (Mildenhall et
al., "NeRF", ECCV 2020, train on batches of rays drawn from all images).

The loader numbers the pixels of all views one after another (view ``v``,
row ``y``, column ``x`` is pixel ``(v H + y) W + x``), shuffles them once
(or at every pass, ``regular_reshuffle``) and hands them out ``N`` at a time::

    loader = tk.ad.loaders.RayDataLoader(sensors, images, pixels_per_batch=4096)
    for it in range(steps):
        target, sensor = loader.next()         # TensorXf (1, N, C), a sensor
        image = tk.render(scene, params, sensor=sensor, spp=1, seed=it)
        loss = dr.mean(dr.abs(image - target), axis=None)

``sensor`` renders exactly the rays of those pixels into a film one row of
``N`` pixels wide (:class:`~tutorial_kit.plugins.sensors.pixel_set.PixelSetSensor`);
``target`` holds the same pixels of the reference images, in the same order.

Pixels are shuffled in square tiles (``tile_size``): a batch then holds small
patches rather than isolated pixels, whose rays travel through nearby parts
of the scene (coherent memory access, as in Mitsuba 3's loader). The
permutation is Kensler's (:func:`~tutorial_kit.core.random.permute_kensler`),
so a seed gives the same batches as Mitsuba 3 with the same settings.
When ``N`` does not divide the number of pixels, the last batch of a pass is
filled up with pixels from the start of the shuffled order.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError
from tutorial_kit.core.random import permute_kensler
from tutorial_kit.plugins.sensors.pixel_set import PixelSetSensor
from tutorial_kit.renderer.sensor import Sensor

_PIXEL_FORMATS = {1: 'luminance', 3: 'rgb', 4: 'rgba'}


class RayDataLoader:
    """Batches of ``pixels_per_batch`` pixels from ``sensors`` and their ``target_images``.

    ``sensors``: a sensor or a list of them, films of one size without crop
    window or ``sample_border``; ``target_images``: one TensorXf (H, W, C)
    per sensor, C its film's channel count (1, 3 or 4); ``seed``: the
    shuffle's seed (int); ``regular_reshuffle``: shuffle anew at each pass;
    ``tile_size``: side of the shuffled tiles in pixels (1: single pixels).

    Attributes (Mitsuba 3's): ``num_sensors``, ``width``, ``height``,
    ``channel_size``, ``total_pixels``, ``effective_total_pixels`` (the
    pixels of a pass, padded to whole batches), ``iter_shuffle`` (batches per
    pass), ``pixel_batch_multiplier`` (``total_pixels / pixels_per_batch``,
    to scale a batch's loss to a whole pass), ``tiles_per_row``,
    ``tiles_per_col``, ``tiles_per_sensor``. Bad arguments raise ValueError
    (as Mitsuba 3's loader does) saying which.
    """

    def __init__(self, sensors, target_images, pixels_per_batch, seed=0, regular_reshuffle=False, tile_size=4):
        sensors, images = _as_list(sensors), _as_list(target_images)
        if tile_size <= 0:
            raise ValueError(f'tile_size ({tile_size}) must be positive')
        if not sensors or not images:
            raise ValueError('RayDataLoader needs at least one sensor and one target image')
        if len(sensors) != len(images):
            raise ValueError(f'{len(sensors)} sensors but {len(images)} target images: give one image per sensor')
        self.width, self.height = sensors[0].film().size()
        shape = tuple(images[0].shape) if hasattr(images[0], 'shape') else ()
        if len(shape) != 3:
            raise ValueError(f'target images must have the shape (height, width, channels), got {shape}')
        self.channel_size = shape[2]
        if self.channel_size not in _PIXEL_FORMATS:
            raise ValueError(f'target images have 1, 3 or 4 channels, got {self.channel_size}')
        for k, (sensor, image) in enumerate(zip(sensors, images)):
            _check_view(k, sensor, image, self.width, self.height, self.channel_size)
        self.num_sensors = len(sensors)
        self.total_pixels = self.num_sensors * self.width * self.height
        if not 0 < pixels_per_batch <= self.total_pixels:
            raise ValueError(f'pixels_per_batch ({pixels_per_batch}) must be in 1 .. total_pixels '
                             f'({self.total_pixels})')
        self.pixels_per_batch = int(pixels_per_batch)
        self.seed, self.regular_reshuffle, self.counter = seed, regular_reshuffle, 0
        self.iter_shuffle = -(-self.total_pixels // self.pixels_per_batch)
        self.effective_total_pixels = self.iter_shuffle * self.pixels_per_batch
        self.pixel_batch_multiplier = self.total_pixels / self.pixels_per_batch
        self.tile_size = tile_size
        self.tiles_per_row = -(-self.width // tile_size)
        self.tiles_per_col = -(-self.height // tile_size)
        self.tiles_per_sensor = self.tiles_per_row * self.tiles_per_col
        self.target_images = images
        # Every view's pixels, view after view: (total_pixels, C) flattened.
        self._targets = dr.concat([dr.ravel(dr.detach(image)) for image in images]) \
            if len(images) > 1 else dr.ravel(dr.detach(images[0]))
        self._shuffled_pixels = None
        self.flat_sensor = PixelSetSensor(sensors, self.pixels_per_batch, _PIXEL_FORMATS[self.channel_size])

    # -- the order in which a pass visits the pixels --------------------------------------
    def _units(self):
        """The shuffled units as pixel indices: (units, pixels per unit) int64, -1 where a
        tile overhangs the image; single pixels when a tile is 1 pixel or the whole image."""
        if self.tile_size == 1 or self.tile_size >= max(self.width, self.height):
            return np.arange(self.total_pixels)[:, None]
        t = self.tile_size
        view, row, col = np.meshgrid(np.arange(self.num_sensors), np.arange(self.tiles_per_col),
                                     np.arange(self.tiles_per_row), indexing='ij')
        dy, dx = np.divmod(np.arange(t * t), t)
        y = (row * t).reshape(-1, 1) + dy
        x = (col * t).reshape(-1, 1) + dx
        inside = (y < self.height) & (x < self.width)
        pixel = (view.reshape(-1, 1) * self.height + y) * self.width + x
        return np.where(inside, pixel, -1)

    def shuffle_pixel_index(self, seed):
        """Shuffle the units with seed ``seed`` (an int) into the order of the next pass."""
        units = self._units()
        order = permute_kensler(dr.arange(bk.UInt32, len(units)), len(units), seed).numpy()
        pixels = units[order].ravel()
        pixels = pixels[pixels >= 0]
        padded = np.resize(pixels, self.effective_total_pixels)    # repeats from the start
        self._shuffled_pixels = bk.UInt32(padded.astype(np.uint32))

    def next(self):
        """The next batch: ``(target, sensor)``, target a TensorXf (1, N, C) and sensor
        the pixel-set sensor showing the same pixels (the same object every call)."""
        if self.counter == 0 or (self.regular_reshuffle and self.counter % self.iter_shuffle == 0):
            self.shuffle_pixel_index(self.seed + self.counter)
        n, channels = self.pixels_per_batch, self.channel_size
        # An opaque offset: every batch runs the same compiled kernel.
        start = dr.opaque(bk.UInt32, (self.counter % self.iter_shuffle) * n)
        pixel = dr.gather(bk.UInt32, self._shuffled_pixels, dr.arange(bk.UInt32, n) + start)
        self.flat_sensor.pixel_index = pixel
        entry = dr.repeat(pixel, channels) * channels + dr.tile(dr.arange(bk.UInt32, channels), n)
        target = dr.gather(bk.Float, self._targets, entry)
        dr.eval(pixel, target)
        self.counter += 1
        return bk.TensorXf(target, shape=(1, n, channels)), self.flat_sensor


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_view(k, sensor, image, width, height, channels):
    """ValueError unless sensor ``k`` and its image fit the loader."""
    if not isinstance(sensor, Sensor):
        raise ValueError(f'sensor {k} is a {type(sensor).__name__}, not a sensor')
    film = sensor.film()
    if tuple(film.size()) != (width, height):
        raise ValueError(f'sensor {k} has a {film.size()[0]} x {film.size()[1]} film, the first {width} x {height}')
    if tuple(film.crop_size()) != (width, height) or tuple(film.crop_offset()) != (0, 0):
        raise ValueError(f'sensor {k} uses a crop window, which RayDataLoader does not support')
    if film.sample_border():
        raise ValueError(f'sensor {k} has sample_border enabled, which RayDataLoader does not support')
    if not isinstance(image, bk.TensorXf) or tuple(image.shape) != (height, width, channels):
        shape = tuple(image.shape) if hasattr(image, 'shape') else type(image).__name__
        raise ValueError(f'target image {k} must be a TensorXf of shape {(height, width, channels)}, got {shape}')
    if film.base_channels_count() != channels:
        raise ValueError(f'sensor {k}\'s film has {film.base_channels_count()} channels, '
                         f'its target image {channels}')

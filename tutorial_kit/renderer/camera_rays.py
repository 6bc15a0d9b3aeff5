"""Camera rays: where in each pixel a render samples, and the rays through those points.

Both :func:`tutorial_kit.render` and path replay call :func:`camera_rays`;
the replay must regenerate exactly the rays of the render it differentiates,
which the same seed guarantees.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f


def seeded_sampler(sensor, seed, lanes, spp=None):
    """A clone of the sensor's sampler seeded with ``seed`` (an int) for a
    wavefront of ``lanes`` lanes, with ``spp`` samples per pixel if given
    (Mitsuba 3's ``ADIntegrator.prepare``)."""
    sampler = sensor.sampler().clone()
    if spp is not None:
        sampler.set_sample_count(spp)
    sampler.seed(seed, lanes)
    return sampler


def camera_rays(sensor, spp, seed):
    """Film positions (Array2f, pixels), the sampler, and the camera rays (Ray3f) of one pass.

    Sample ``k`` of pixel ``j`` is lane ``j * spp + k``, so that pixels are
    contiguous blocks; the pixels are those of the film's
    :meth:`~tutorial_kit.renderer.film.Film.sampled_region` (the crop window
    and, with ``sample_border``, a border around it). The same seed gives
    the same positions and rays.
    """
    _, _, width, height = sensor.film().sampled_region()
    lanes = width * height * spp
    sampler = seeded_sampler(sensor, seed, lanes, spp)
    # Opaque sizes: another spp or film size reuses the compiled kernels.
    pixel = dr.arange(bk.UInt32, lanes) // dr.opaque(bk.UInt32, spp)
    position, ray = pixel_rays(sensor, pixel, sampler)
    return position, sampler, ray


def pixel_rays(sensor, pixel, sampler):
    """Film positions (Array2f, pixels relative to the crop window) and camera
    rays (Ray3f) of one sample in each of the given pixels (UInt32 indices, row
    by row, of the film's sampled region), drawn from ``sampler``."""
    film = sensor.film()
    x0, y0, grid_width, _ = film.sampled_region()
    width, height = film.crop_size()
    grid_width = dr.opaque(bk.UInt32, grid_width)
    width, height = dr.opaque(bk.UInt32, width), dr.opaque(bk.UInt32, height)
    position = bk.Array2f(bk.Float(pixel % grid_width), bk.Float(pixel // grid_width))
    if x0 or y0:                # a border: its pixels lie left of and above the window
        position += bk.Array2f(x0, y0)
    position += sampler.next_2d()
    ray, _ = sensor.sample_ray(0.0, 0.0, position / bk.Array2f(width, height), bk.Array2f(0.5, 0.5))
    return position, ray

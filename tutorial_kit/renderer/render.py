"""``render``: from a scene to an image tensor.

One call traces ``spp`` camera rays per pixel, each at a random position
inside its pixel, asks the scene's integrator for the radiance along them
and averages the samples into pixels with the film's reconstruction filter.
The result is a Dr.Jit ``TensorXf`` of shape (height, width, 3) holding
linear RGB radiance, on the active backend.
"""
import numbers

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError
from tutorial_kit.ad.path_replay import PathReplay
from tutorial_kit.plugins.samplers.independent import mix64
from tutorial_kit.renderer.camera_rays import camera_rays

#: Above this many samples one render is split into passes, to bound memory.
MAX_SAMPLES_PER_PASS = 2 ** 24
#: The most samples one render may draw: Dr.Jit's arrays are indexed by 32-bit integers.
MAX_SAMPLES = 2 ** 32 - 1
#: Memory one sample needs in a render that records derivatives (an estimate
#: on the safe side: the path state of every bounce, and its AD graph), and
#: in one that replays paths (the path state of one bounce).
BYTES_PER_RECORDED_SAMPLE = 4096
BYTES_PER_REPLAYED_SAMPLE = 512


def render(scene, spp=None, seed=None, sensor_index=0, optimizer=None, unbiased=False):
    """Render ``scene`` as seen by sensor ``sensor_index``.

    ``spp``: samples per pixel (default: the sensor's sampler). ``seed``: an
    int; the same seed gives the same image, and without one every call
    draws fresh samples. Returns TensorXf (H, W, 3).

    Derivatives are tracked whenever a scene parameter has gradients enabled
    (an ``optimizer`` enables them on its parameters). With ``unbiased=True``
    the image is rendered twice with independent samples: its value comes
    from the first render (with the optimizer's gradients, or all
    derivative tracking, switched off), its derivatives from the second. Reusing one set
    of samples for both would correlate them and bias the gradient of
    objectives such as the squared error. ``spp`` may then be a pair
    ``(spp_primal, spp_derivative)``.
    """
    _check_arguments(scene, seed, optimizer, unbiased)
    if unbiased:
        spp_primal, spp_diff = spp if isinstance(spp, (tuple, list)) and len(spp) == 2 else (spp, spp)
        second_seed = None if seed is None else mix64(seed) & 0x7FFFFFFF
        # Check both renders before the first one starts.
        _checked_request(scene, spp_primal, sensor_index)
        _checked_request(scene, spp_diff, sensor_index, tracked_parameters(scene))
        with optimizer.disable_gradients() if optimizer is not None else dr.suspend_grad():
            primal = render(scene, spp_primal, seed, sensor_index)
        differentiable = render(scene, spp_diff, second_seed, sensor_index)
        return dr.replace_grad(primal, differentiable)
    return _render(scene, spp, seed, sensor_index)


def _check_arguments(scene, seed, optimizer, unbiased):
    """Refuse arguments of the wrong kind before any work starts."""
    from tutorial_kit.renderer.scene import Scene
    from tutorial_kit.ad.optimizers import Optimizer
    if not isinstance(scene, Scene):
        raise RenderError(f'render expects a scene (from tk.load_file or tk.load_string), '
                          f'got {type(scene).__name__}')
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise RenderError(f'optimizer must be a tk.Optimizer (SGD, Adam) or None, '
                          f'got {type(optimizer).__name__}')
    if not isinstance(unbiased, bool):
        raise RenderError(f'unbiased must be True or False, got {unbiased!r}')
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed < 2 ** 64):
        raise RenderError(f'seed must be an int in [0, 2^64), got {seed!r}')


def check_sample_budget(width, height, spp, bytes_per_sample=None):
    """Refuse a render whose samples cannot be held or indexed.

    Dr.Jit arrays hold fewer than 2^32 entries, so one render draws at most
    :data:`MAX_SAMPLES` samples in all. A render that tracks derivatives runs
    in one pass and keeps all its samples alive at once, ``bytes_per_sample``
    each (an estimate), which must fit in the memory available now.
    """
    samples = width * height * spp
    if samples > MAX_SAMPLES:
        raise RenderError(f'{width} x {height} pixels x {spp} spp = {samples} samples; one render '
                          f'draws at most {MAX_SAMPLES} (spp <= {MAX_SAMPLES // (width * height)} '
                          f'for this film)')
    if bytes_per_sample is not None:
        available = available_memory()
        if available is not None and samples * bytes_per_sample > available:
            limit = max(available // (bytes_per_sample * width * height), 0)
            raise RenderError(f'a render that tracks derivatives of {width} x {height} pixels x '
                              f'{spp} spp needs about {samples * bytes_per_sample / 2**30:.1f} '
                              f'GiB, but {available / 2**30:.1f} GiB are available '
                              f'(spp <= {limit} fits)')


def available_memory():
    """Bytes of memory available now (Linux and macOS), or None if unknown."""
    import os
    try:
        return os.sysconf('SC_AVPHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
    except (ValueError, OSError, AttributeError):
        return None


def _checked_request(scene, spp, sensor_index, tracked=()):
    """``(sensor, spp, width, height)`` of a render request, each checked, and
    the sample budget checked for a render that tracks ``tracked`` parameters."""
    sensors = scene.sensors()
    if isinstance(sensor_index, bool) or not isinstance(sensor_index, int) \
            or not 0 <= sensor_index < len(sensors):
        raise RenderError(f'sensor_index must be an int in [0, {len(sensors) - 1}], got {sensor_index!r}')
    sensor = sensors[sensor_index]
    spp = sensor.sampler().sample_count() if spp is None else spp
    if isinstance(spp, bool) or not isinstance(spp, numbers.Integral) or spp <= 0:
        raise RenderError(f'spp must be a positive int, got {spp!r}')
    spp = int(spp)
    width, height = sensor.film().crop_size()
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
               for n in (width, height)):
        # The loader checks the film, but code may resize it later (film.width = ...).
        raise RenderError(f'the film must have a positive integer size, got {width!r} x {height!r}')
    width, height = int(width), int(height)
    recorded = any(p.kind in GEOMETRY_KINDS for p in tracked)
    check_sample_budget(width, height, spp, None if not tracked else
                        BYTES_PER_RECORDED_SAMPLE if recorded else BYTES_PER_REPLAYED_SAMPLE)
    return sensor, spp, width, height


def _render(scene, spp, seed, sensor_index):
    tracked = tracked_parameters(scene)
    sensor, spp, width, height = _checked_request(scene, spp, sensor_index, tracked)
    if seed is None:
        seed = mix64(sensor.sampler().seed) ^ scene.render_count
    scene.render_count += 1
    scene.prepare_render()
    if tracked and not any(p.kind in GEOMETRY_KINDS for p in tracked):
        # Derivatives only of materials and lights: replay paths (fast).
        return dr.custom(PathReplay, scene, sensor, spp, mix64(seed), tracked,
                         [getattr(p.owner, p.attribute) for p in tracked])
    # Without derivatives, or with derivatives of geometry (recorded in full).
    passes = 1 if tracked else -(-width * height * spp // MAX_SAMPLES_PER_PASS)
    spp_per_pass = [spp // passes + (k < spp % passes) for k in range(passes)]
    image = None
    for k, count in enumerate(spp_per_pass):
        position, sampler, ray = camera_rays(sensor, count, mix64(seed + k))
        radiance = scene.integrator().sample(scene, sampler, *ray,
                                             loop_mode='evaluated' if tracked else 'symbolic')
        block = sensor.film().develop(position, radiance, count) * (count / spp)
        image = block if image is None else image + block
    return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))


#: Parameter kinds whose derivatives need the fully recorded (not replayed) render.
GEOMETRY_KINDS = ('positions', 'normals', 'texcoords')


def tracked_parameters(scene):
    """The scene parameters (traverse.Parameter records) that have gradients enabled."""
    from tutorial_kit.ad.traverse import traverse
    params = traverse(scene)
    return [params.parameter(key) for key in params.differentiable_keys() if dr.grad_enabled(params[key])]

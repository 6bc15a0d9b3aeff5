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
from tutorial_kit.plugins.samplers.independent import make_generator, mix64
from tutorial_kit.renderer.camera_rays import camera_rays, pixel_rays

#: Above this many samples one render is split into passes, to bound memory:
#: a pass keeps each sample's radiance (12 bytes) until it is averaged into
#: pixels, so 2^20 samples take 12 MiB (a 64-spp 512 x 512 render added 199
#: MiB in one pass; in 16 passes, 25 MiB). Passes are added up in a fixed
#: order, so that a seed always gives the same image, bit for bit.
MAX_SAMPLES_PER_PASS = 2 ** 20


def render(scene, spp=None, seed=None, sensor_index=0, optimizer=None, unbiased=False):
    """Render ``scene`` as seen by sensor ``sensor_index``.

    ``spp``: samples per pixel (default: the sensor's sampler). ``seed``: an
    int; the same seed gives the same image, and without one every call
    draws fresh samples. Returns TensorXf (H, W, 3).

    Derivatives are tracked whenever a scene parameter has gradients enabled
    (an ``optimizer`` enables them on its parameters). With ``unbiased=True``
    the image is rendered twice with independent samples: its value comes
    from the first render, its derivatives from the second. Reusing one set
    of samples for both would correlate them and bias the gradient of
    objectives such as the squared error. ``spp`` may then be a pair
    ``(spp_primal, spp_derivative)``.
    """
    if unbiased:
        if optimizer is None:
            raise RenderError('unbiased=True needs the optimizer, to render the primal image '
                              'without derivatives')
        spp_primal, spp_diff = spp if isinstance(spp, tuple) and len(spp) == 2 else (spp, spp)
        second_seed = None if seed is None else mix64(seed) & 0x7FFFFFFF
        with optimizer.disable_gradients():
            primal = render(scene, spp_primal, seed, sensor_index)
        differentiable = render(scene, spp_diff, second_seed, sensor_index)
        return dr.replace_grad(primal, differentiable)
    return _render(scene, spp, seed, sensor_index)


def _render(scene, spp, seed, sensor_index):
    sensors = scene.sensors()
    if not isinstance(sensor_index, int) or not 0 <= sensor_index < len(sensors):
        raise RenderError(f'sensor_index must be an int in [0, {len(sensors) - 1}], got {sensor_index!r}')
    sensor = sensors[sensor_index]
    spp = sensor.sampler().sample_count() if spp is None else spp
    if isinstance(spp, bool) or not isinstance(spp, int) or spp <= 0:
        raise RenderError(f'spp must be a positive int, got {spp!r}')
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise RenderError(f'seed must be a non-negative int, got {seed!r}')
    width, height = sensor.film().crop_size()
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
               for n in (width, height)):
        # The loader checks the film, but code may resize it later (film.width = ...).
        raise RenderError(f'the film must have a positive integer size, got {width!r} x {height!r}')
    if seed is None:
        seed = mix64(sensor.sampler().seed) ^ scene.render_count
    scene.render_count += 1

    width, height = int(width), int(height)
    tracked = tracked_parameters(scene)
    scene.prepare_render()
    if tracked and not any(p.kind in GEOMETRY_KINDS for p in tracked):
        # Derivatives only of materials and lights: replay paths (fast).
        return dr.custom(PathReplay, scene, sensor, spp, mix64(seed), tracked,
                         [getattr(p.owner, p.attribute) for p in tracked])
    if not tracked and getattr(sensor.film(), 'pixel_box', lambda: False)():
        image = _render_pixel_sums(scene, sensor, spp, mix64(seed))
        return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))
    # With a wider filter, or with derivatives of geometry (recorded in full).
    passes = 1 if tracked else -(-width * height * spp // MAX_SAMPLES_PER_PASS)
    spp_per_pass = [spp // passes + (k < spp % passes) for k in range(passes)]
    image = None
    for k, count in enumerate(spp_per_pass):
        position, sampler, ray = camera_rays(sensor, count, mix64(seed + k))
        radiance = scene.integrator().sample(scene, sampler, *ray,
                                             loop_mode='evaluated' if tracked else 'symbolic')
        block = sensor.film().develop(position, radiance, count) * (count / spp)
        image = block if image is None else image + block
        if passes > 1:
            dr.eval(image)      # frees this pass's samples before the next
    return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))


def _render_pixel_sums(scene, sensor, spp, seed):
    """Pixel means (Color3f, one per pixel) of ``spp`` samples each, for a
    film whose pixels are plain means of their own samples.

    One lane per pixel loops over its samples inside the kernel and adds
    them up in order, so that memory does not grow with ``spp`` and a seed
    gives the same image bit for bit. Measured on the Cornell box (512 x
    512, 64 spp): the render adds 3 MiB instead of 199 MiB for one pass of
    all samples, or 25 MiB for passes of 2^20 samples.
    """
    width, height = sensor.film().crop_size()
    lanes = width * height
    pixel = dr.arange(bk.UInt32, lanes)
    integrator = scene.integrator()

    def add_sample(k, total, sampler):
        _, ray = pixel_rays(sensor, pixel, sampler)
        return k + 1, total + integrator.sample(scene, sampler, *ray), sampler

    count = dr.opaque(bk.UInt32, spp)       # another spp reuses the kernel
    _, total, _ = dr.while_loop(
        (dr.zeros(bk.UInt32, lanes), dr.zeros(bk.Color3f, lanes), make_generator(lanes, seed)),
        lambda k, *_: k < count, add_sample, labels=('k', 'total', 'sampler'),
        label='render_samples', mode='symbolic')
    return total / bk.Float(count)


#: Parameter kinds whose derivatives need the fully recorded (not replayed) render.
GEOMETRY_KINDS = ('positions', 'normals', 'texcoords')


def tracked_parameters(scene):
    """The scene parameters (traverse.Parameter records) that have gradients enabled."""
    from tutorial_kit.ad.traverse import traverse
    params = traverse(scene)
    return [params.parameter(key) for key in params.differentiable_keys() if dr.grad_enabled(params[key])]

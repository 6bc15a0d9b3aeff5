"""``render``: from a scene to an image tensor.

One call traces ``spp`` camera rays per pixel, each at a random position
inside its pixel, asks the scene's integrator for the radiance along them
and averages the samples into pixels with the film's reconstruction filter.
The result is a Dr.Jit ``TensorXf`` of shape (height, width, 3) holding
linear RGB radiance, on the active backend.
"""
import drjit as dr

from . import backend as bk
from .errors import RenderError
from .sampler import make_generator, _mix64

#: Above this many samples one render is split into passes, to bound memory.
MAX_SAMPLES_PER_PASS = 2 ** 24


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
        second_seed = None if seed is None else _mix64(seed) & 0x7FFFFFFF
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
    if seed is None:
        seed = _mix64(sensor.sampler().seed) ^ scene.render_count
    scene.render_count += 1

    width, height = sensor.film().size()
    differentiable = tracks_gradients(scene)
    passes = 1 if differentiable else -(-width * height * spp // MAX_SAMPLES_PER_PASS)
    spp_per_pass = [spp // passes + (k < spp % passes) for k in range(passes)]
    scene.prepare_render()
    image = None
    for k, count in enumerate(spp_per_pass):
        block = _render_pass(scene, sensor, count, _mix64(seed + k), differentiable)
        image = block * (count / spp) if image is None else image + block * (count / spp)
    return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))


def _render_pass(scene, sensor, spp, seed, differentiable):
    """One batch of ``spp`` samples per pixel; returns Color3f per pixel."""
    film = sensor.film()
    width, height = film.size()
    lanes = width * height * spp
    sampler = make_generator(lanes, seed)
    # Sample k of pixel j lies at index j * spp + k: block sums then average pixels.
    pixel = dr.arange(bk.UInt32, lanes) // spp
    position = bk.Array2f(bk.Float(pixel % width), bk.Float(pixel // width))
    position += bk.Array2f(sampler.next_float32(), sampler.next_float32())
    origin, direction, t_max = sensor.sample_ray(position / bk.Array2f(width, height))
    mode = 'evaluated' if differentiable else 'symbolic'
    radiance = scene.integrator().sample(scene, sampler, origin, direction, t_max, mode)
    return film.develop(position, radiance, spp)


def tracks_gradients(scene):
    """True when any differentiable scene parameter has gradients enabled."""
    from .traverse import traverse
    params = traverse(scene)
    return any(dr.grad_enabled(params[key]) for key in params.differentiable_keys())

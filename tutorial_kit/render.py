"""``render``: from a scene to an image tensor.

One call traces ``spp`` camera rays per pixel, each at a random position
inside its pixel, asks the scene's integrator for the radiance along them
and averages the samples into pixels with the film's reconstruction filter.
The result is a Dr.Jit ``TensorXf`` of shape (height, width, 3) holding
linear RGB radiance, on the active backend.
"""
import contextlib
import numbers

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
    width, height = sensor.film().size()
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
               for n in (width, height)):
        # The loader checks the film, but code may resize it later (film.width = ...).
        raise RenderError(f'the film must have a positive integer size, got {width!r} x {height!r}')
    if seed is None:
        seed = _mix64(sensor.sampler().seed) ^ scene.render_count
    scene.render_count += 1

    width, height = int(width), int(height)
    tracked = tracked_parameters(scene)
    scene.prepare_render()
    if tracked and not any(p.kind in GEOMETRY_KINDS for p in tracked):
        # Derivatives only of materials and lights: replay paths (fast).
        return dr.custom(PathReplay, scene, sensor, spp, _mix64(seed), tracked,
                         [getattr(p.owner, p.attribute) for p in tracked])
    # Without derivatives, or with derivatives of geometry (recorded in full).
    passes = 1 if tracked else -(-width * height * spp // MAX_SAMPLES_PER_PASS)
    spp_per_pass = [spp // passes + (k < spp % passes) for k in range(passes)]
    image = None
    for k, count in enumerate(spp_per_pass):
        position, sampler, ray = _camera_rays(sensor, count, _mix64(seed + k))
        radiance = scene.integrator().sample(scene, sampler, *ray,
                                             loop_mode='evaluated' if tracked else 'symbolic')
        block = sensor.film().develop(position, radiance, count) * (count / spp)
        image = block if image is None else image + block
    return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))


def _camera_rays(sensor, spp, seed):
    """Film positions (Array2f, pixels), the sampler, and the camera rays of one pass.

    Sample ``k`` of pixel ``j`` is lane ``j * spp + k``, so that pixels are
    contiguous blocks. The same seed gives the same positions and rays.
    """
    width, height = sensor.film().size()
    lanes = width * height * spp
    sampler = make_generator(lanes, seed)
    # Opaque sizes: another spp or film size reuses the compiled kernels.
    pixel = dr.arange(bk.UInt32, lanes) // dr.opaque(bk.UInt32, spp)
    width, height = dr.opaque(bk.UInt32, width), dr.opaque(bk.UInt32, height)
    position = bk.Array2f(bk.Float(pixel % width), bk.Float(pixel // width))
    position += bk.Array2f(sampler.next_float32(), sampler.next_float32())
    return position, sampler, sensor.sample_ray(position / bk.Array2f(width, height))


class PathReplay(dr.CustomOp):
    """A render whose derivatives come from replaying its paths.

    ``eval`` renders the image without recording derivatives and keeps each
    sample's radiance. ``backward`` and ``forward`` regenerate the same
    paths from the same seed and let the integrator push derivatives to (or
    pull them from) the parameters one vertex at a time. The parameters are
    swapped for fresh copies meanwhile, so the derivatives found here enter
    the rest of the AD graph exactly once, through this operation's inputs.
    """

    def eval(self, scene, sensor, spp, seed, tracked, values):
        self.scene, self.sensor, self.spp, self.seed = scene, sensor, spp, seed
        self.tracked = tracked
        self.film_size = sensor.film().size()
        with dr.suspend_grad():         # the parameters are read from the scene itself
            position, sampler, ray = _camera_rays(sensor, spp, seed)
            self.radiance = scene.integrator().sample(scene, sampler, *ray)
            dr.eval(self.radiance)
            image = sensor.film().develop(position, self.radiance, spp)
        width, height = sensor.film().size()
        return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))

    def backward(self):
        gradient = dr.unravel(bk.Color3f, self.grad_out().array)
        with _parameter_copies(self.tracked, self.grad_in('values')) as copies:
            position, sampler, ray = self._replayed_camera_rays()
            dL = self.sensor.film().develop_adjoint(position, gradient, self.spp)
            with dr.suspend_grad():
                self.scene.integrator().sample(self.scene, sampler, *ray, mode='backward',
                                               dL=dL, L_path=self.radiance)
            self.set_grad_in('values', [dr.grad(copy) for copy in copies])

    def forward(self):
        with _parameter_copies(self.tracked, self.grad_in('values'), forward=True):
            position, sampler, ray = self._replayed_camera_rays()
            with dr.suspend_grad():
                dL = self.scene.integrator().sample(self.scene, sampler, *ray, mode='forward',
                                                    L_path=self.radiance)
        width, height = self.sensor.film().size()
        image = self.sensor.film().develop(position, dL, self.spp)
        self.set_grad_out(bk.TensorXf(dr.ravel(image), shape=(height, width, 3)))

    def _replayed_camera_rays(self):
        """The camera rays of ``eval`` again (same seed), if the film is still the same."""
        if self.sensor.film().size() != self.film_size:
            raise RenderError(f'the film changed from {self.film_size} to {self.sensor.film().size()} '
                              'pixels between the render and its derivative: render again')
        return _camera_rays(self.sensor, self.spp, self.seed)

    def name(self):
        return 'PathReplay'


@contextlib.contextmanager
def _parameter_copies(tracked, gradients, forward=False):
    """Temporarily give the tracked parameters fresh, gradient-enabled copies.

    Yields the copies; with ``forward=True`` each starts with its incoming
    gradient. The originals are put back afterwards.
    """
    originals = [getattr(p.owner, p.attribute) for p in tracked]
    copies = []
    for parameter, original, gradient in zip(tracked, originals, gradients):
        copy = type(original)(dr.detach(original))
        dr.enable_grad(copy)
        if forward:
            dr.set_grad(copy, gradient)
        setattr(parameter.owner, parameter.attribute, copy)
        copies.append(copy)
    try:
        yield copies
    finally:
        for parameter, original in zip(tracked, originals):
            setattr(parameter.owner, parameter.attribute, original)


#: Parameter kinds whose derivatives need the fully recorded (not replayed) render.
GEOMETRY_KINDS = ('positions', 'normals', 'texcoords')


def tracked_parameters(scene):
    """The scene parameters (traverse.Parameter records) that have gradients enabled."""
    from .traverse import traverse
    params = traverse(scene)
    return [params._lookup(key) for key in params.differentiable_keys() if dr.grad_enabled(params[key])]

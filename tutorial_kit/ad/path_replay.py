"""Path replay: derivatives of a render without recording it.

Recording every operation of a path tracer for automatic differentiation
costs memory in proportion to the number of bounces and samples. Path replay
backpropagation (Vicini, Speierer and Jakob, "Path Replay Backpropagation",
SIGGRAPH 2021) instead renders the image once without derivatives and,
when they are asked for, renders it again with the same random numbers:
the integrator then knows, at each path vertex, the radiance still to come
and pushes that vertex's derivative to the parameters at once
(:meth:`~tutorial_kit.renderer.integrator.Integrator.sample` with
``dr.ADMode.Backward`` or ``Forward``). :class:`PathReplay` wraps this as a
Dr.Jit custom operation, so that a replayed render is a node of the AD graph
like any other.

It applies to parameters that do not move geometry (reflectances, emitted
radiance); derivatives with respect to vertex positions record the render.
"""
import contextlib

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError
from tutorial_kit.renderer.camera_rays import camera_rays


class PathReplay(dr.CustomOp):
    """A render whose derivatives come from replaying its paths.

    ``eval`` renders the image without recording derivatives and keeps each
    sample's radiance. ``backward`` and ``forward`` regenerate the same
    paths from the same seed and let the integrator push derivatives to (or
    pull them from) the parameters one vertex at a time. The parameters are
    swapped for fresh copies meanwhile, so the derivatives found here enter
    the rest of the AD graph exactly once, through this operation's inputs.
    """

    def eval(self, scene, sensor, integrator, spp, seed, tracked, values):
        self.scene, self.sensor, self.integrator, self.spp, self.seed = scene, sensor, integrator, spp, seed
        self.tracked = tracked
        self.film_size = sensor.film().crop_size()
        with dr.suspend_grad():         # the parameters are read from the scene itself
            position, sampler, ray = camera_rays(sensor, spp, seed)
            self.radiance = integrator.sample(scene, sampler, ray.o, ray.d, ray.maxt)
            dr.eval(self.radiance)
            image = sensor.film().develop(position, self.radiance, spp)
        width, height = sensor.film().crop_size()
        return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))

    def backward(self):
        gradient = dr.unravel(bk.Color3f, self.grad_out().array)
        with parameter_copies(self.tracked, self.grad_in('values')) as copies:
            position, sampler, ray = self._replayedcamera_rays()
            dL = self.sensor.film().develop_adjoint(position, gradient, self.spp)
            with dr.suspend_grad():
                self.integrator.sample(self.scene, sampler, ray.o, ray.d, ray.maxt, mode=dr.ADMode.Backward,
                                               dL=dL, L_path=self.radiance)
            self.set_grad_in('values', [dr.grad(copy) for copy in copies])

    def forward(self):
        with parameter_copies(self.tracked, self.grad_in('values'), forward=True):
            position, sampler, ray = self._replayedcamera_rays()
            with dr.suspend_grad():
                dL = self.integrator.sample(self.scene, sampler, ray.o, ray.d, ray.maxt, mode=dr.ADMode.Forward,
                                                    L_path=self.radiance)
        width, height = self.sensor.film().crop_size()
        image = self.sensor.film().develop(position, dL, self.spp)
        self.set_grad_out(bk.TensorXf(dr.ravel(image), shape=(height, width, 3)))

    def _replayedcamera_rays(self):
        """The camera rays of ``eval`` again (same seed), if the film is still the same."""
        if self.sensor.film().crop_size() != self.film_size:
            raise RenderError(f'the film changed from {self.film_size} to {self.sensor.film().crop_size()} '
                              'pixels between the render and its derivative: render again')
        return camera_rays(self.sensor, self.spp, self.seed)

    def name(self):
        return 'PathReplay'


@contextlib.contextmanager
def parameter_copies(tracked, gradients, forward=False):
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

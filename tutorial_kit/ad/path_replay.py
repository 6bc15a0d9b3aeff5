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
like any other. It drives any integrator written on that contract (Mitsuba
3's ``RBIntegrator``), ours or a user's.

It applies to parameters that do not move geometry (reflectances, emitted
radiance); derivatives with respect to vertex positions record the render.
"""
import contextlib

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import interrupts_stay_interrupts
from tutorial_kit.core.errors import RenderError
from tutorial_kit.renderer.camera_rays import camera_rays
from tutorial_kit.renderer.integrator import sample_radiance
from tutorial_kit.renderer.traversal import ParamKind


class PathReplay(dr.CustomOp):
    """A render whose derivatives come from replaying its paths.

    ``eval`` renders the image without recording derivatives and keeps the
    state that the integrator's primal pass returned (each sample's
    radiance). Where the caller takes only the derivatives of this node
    (``value_needed=False``: an unbiased render's image comes from a pass
    with other samples), that primal pass waits until a derivative is asked
    for, as in Mitsuba 3, and the node's value is zero: a render that
    nobody differentiates then costs one pass, not two.
    ``backward`` and ``forward`` regenerate the same paths from
    the same seed and hand that state back to the integrator, which pushes
    derivatives to (or pulls them from) the parameters one vertex at a time. The parameters are
    swapped for fresh copies meanwhile, so the derivatives found here enter
    the rest of the AD graph exactly once, through this operation's inputs.
    """

    def eval(self, scene, sensor, integrator, spp, seed, tracked, values, value_needed=True):
        self.scene, self.sensor, self.integrator, self.spp, self.seed = scene, sensor, integrator, spp, seed
        self.tracked = tracked
        self.film_size = sensor.film().crop_size()
        self.state = None
        width, height = self.film_size
        if not value_needed:
            return dr.zeros(bk.TensorXf, (height, width, 3))
        position, radiance = self._primal_pass()
        with dr.suspend_grad():
            image = sensor.film().develop(position, radiance, spp)
        return bk.TensorXf(dr.ravel(image), shape=(height, width, 3))

    def _primal_pass(self):
        """Trace the paths once without derivatives and keep each sample's radiance
        in ``self.state``; returns the samples' film positions and radiance."""
        with dr.suspend_grad():         # the parameters are read from the scene itself
            position, sampler, ray = camera_rays(self.sensor, self.spp, self.seed)
            radiance, _, _, self.state = sample_radiance(self.integrator, dr.ADMode.Primal, self.scene, sampler,
                                                         ray, sensor=self.sensor)
            dr.eval(radiance, self.state)
        return position, radiance

    def _state(self):
        """The primal pass's per-sample state, traced now if ``eval`` left it for later."""
        if self.state is None:
            if self.sensor.film().crop_size() != self.film_size:
                self._replayed_camera_rays()        # raises: the film changed
            self._primal_pass()
        return self.state

    # Ctrl-C inside the pass (run from dr.backward or dr.forward, outside
    # tk.render) reaches the caller as a KeyboardInterrupt, not as Dr.Jit's
    # "dr.while_loop(): encountered an exception".
    @interrupts_stay_interrupts()
    def backward(self):
        gradient = dr.unravel(bk.Color3f, self.grad_out().array)
        state = self._state()
        with parameter_copies(self.tracked, self.grad_in('values')) as copies:
            position, sampler, ray = self._replayed_camera_rays()
            δL = self.sensor.film().develop_adjoint(position, gradient, self.spp)
            with dr.suspend_grad():
                sample_radiance(self.integrator, dr.ADMode.Backward, self.scene, sampler, ray,
                                δL=δL, state_in=state, sensor=self.sensor)
            self.set_grad_in('values', [dr.grad(copy) for copy in copies])

    @interrupts_stay_interrupts()
    def forward(self):
        state = self._state()
        with parameter_copies(self.tracked, self.grad_in('values'), forward=True):
            position, sampler, ray = self._replayed_camera_rays()
            with dr.suspend_grad():
                δL = sample_radiance(self.integrator, dr.ADMode.Forward, self.scene, sampler, ray,
                                     state_in=state, sensor=self.sensor)[0]
            # An integrator with no forward pass of its own may return its zero
            # start (one lane), as Mitsuba 3 lets it: one value per ray here.
            δL = bk.Color3f(δL) + dr.zeros(bk.Color3f, dr.width(ray.o))
        width, height = self.sensor.film().crop_size()
        image = self.sensor.film().develop(position, δL, self.spp)
        self.set_grad_out(bk.TensorXf(dr.ravel(image), shape=(height, width, 3)))

    def _replayed_camera_rays(self):
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
    # The very objects the owners hold, put back afterwards; of a texture, a
    # tensor of its own (its tensor() is a view that the copy would change).
    originals = [type(p.value())(p.value()) if p.kind is ParamKind.TEXTURE else p.value() for p in tracked]
    copies = []
    for parameter, original, gradient in zip(tracked, originals, gradients):
        copy = type(original)(dr.detach(original))
        dr.enable_grad(copy)
        if forward:
            dr.set_grad(copy, gradient)
        parameter.assign(copy)
        copies.append(copy)
    if forward and any(p.kind is ParamKind.TEXTURE for p in tracked):
        # A texture keeps its data in arrays derived from the tensor it was given;
        # carry the incoming derivatives into them now, so that an integrator's
        # dr.forward_to inside a loop finds them there.
        dr.enqueue(dr.ADMode.Forward, copies)
        dr.traverse(dr.ADMode.Forward, dr.ADFlag.ClearEdges)
    try:
        yield copies
    finally:
        for parameter, original in zip(tracked, originals):
            parameter.assign(original)

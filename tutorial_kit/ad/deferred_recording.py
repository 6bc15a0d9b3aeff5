"""Derivatives of a recorded render, computed only when they are asked for.

When a render's derivatives cannot come from path replay (a parameter moves
geometry, or the integrator has no replay), the render is recorded for
automatic differentiation: every operation kept, in memory that grows with
samples and bounces. Recording it eagerly costs that time and memory on
every ``render`` whose parameters track gradients, even when nothing is
ever differentiated through the image (a preview between optimisation
steps, a final render after them). :class:`DeferredRecording` makes the
derivative pass a Dr.Jit custom operation instead, as Mitsuba 3's
``mi.render`` is one: the image's value comes from the primal pass, and the
recorded render runs inside ``backward`` or ``forward``, with the same seed,
only when ``dr.backward``/``dr.forward`` reaches the image.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import interrupts_stay_interrupts
from tutorial_kit.ad.path_replay import parameter_copies


_ALLOW_NO_GRAD = dr.ADFlag.Default | dr.ADFlag.AllowNoGrad


class DeferredRecording(dr.CustomOp):
    """The derivative pass of a render, recorded when a derivative reaches it.

    ``record(k)`` renders part ``k`` of the image recorded for AD (a
    TensorXf (H, W, 3)), reading the tracked parameters from their owners;
    the ``parts`` parts add up to the image. Each part is recorded and
    differentiated on its own, so that memory holds one part's samples at
    a time, as Mitsuba 3 bounds it by rendering in blocks. ``prepare()``
    runs before each part (the owners then hold fresh copies of the
    parameters, and what follows from them, such as computed normals, is
    recomputed inside the part's isolated graph). ``tracked`` are those parameters and ``values`` their
    current values (the operation's inputs, through which derivatives
    enter and leave). ``shape``: the image's. The output's value is zero:
    ``render`` keeps the primal pass's values and takes only the
    derivatives from here (``dr.replace_grad``).
    """

    def eval(self, prepare, record, parts, tracked, values, shape):
        self.prepare, self.record, self.parts, self.tracked = prepare, record, parts, tracked
        return dr.zeros(bk.TensorXf, shape)

    # Ctrl-C inside the pass (run from dr.backward or dr.forward, outside
    # tk.render) reaches the caller as a KeyboardInterrupt, not as Dr.Jit's
    # "dr.while_loop(): encountered an exception".
    @interrupts_stay_interrupts()
    def backward(self):
        gradient = dr.detach(self.grad_out())
        with parameter_copies(self.tracked, self.grad_in('values')) as copies:
            for k in range(self.parts):
                with dr.isolate_grad(), dr.resume_grad():
                    self.prepare()
                    image = self.record(k)
                    # A parameter the image does not depend on (a shape no ray meets)
                    # has derivative zero, not an error.
                    dr.backward_from(dr.sum(image.array * gradient.array), flags=_ALLOW_NO_GRAD)
                # Evaluate the sums so far, so that the next part starts from arrays, not graphs.
                dr.eval([dr.grad(copy) for copy in copies])
            self.set_grad_in('values', [dr.grad(copy) for copy in copies])

    @interrupts_stay_interrupts()
    def forward(self):
        with parameter_copies(self.tracked, self.grad_in('values'), forward=True) as copies:
            total = None
            for k in range(self.parts):
                with dr.isolate_grad(), dr.resume_grad():
                    self.prepare()
                    image = self.record(k)
                    dr.forward_to(image, flags=_ALLOW_NO_GRAD)
                    part = dr.grad(image)
                total = part if total is None else total + part
                dr.eval(total)
            self.set_grad_out(total)

    def name(self):
        return 'DeferredRecording'

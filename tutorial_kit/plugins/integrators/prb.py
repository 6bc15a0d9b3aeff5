"""``prb``: Mitsuba 3's path replay backpropagation integrator.

Vicini, Speierer and Jakob, "Path Replay Backpropagation: Differentiating
Light Paths using Constant Memory and Linear Time", SIGGRAPH 2021. Its
primal pass is a unidirectional path tracer with emitter and BSDF sampling
joined by MIS; its derivative passes replay each path from the same random
numbers and push the derivative of every vertex's contribution to the
parameters at once, instead of recording the whole render.

Our ``path`` integrator already works this way
(:meth:`~tutorial_kit.plugins.integrators.path.PathIntegrator.sample` with
``dr.ADMode.Backward`` or ``Forward``, driven by
:class:`~tutorial_kit.ad.path_replay.PathReplay`), so ``prb`` is the same
algorithm under Mitsuba 3's name and parameters: scene files and tutorial
code that ask for ``prb`` render the same image and the same gradients as
with ``path``.

Parameters (Mitsuba 3's): ``max_depth`` (-1 = unlimited), ``rr_depth`` (5),
``hide_emitters`` (false).
"""
from tutorial_kit.plugins.integrators.path import PathIntegrator
from tutorial_kit.core.registry import register


@register('integrator', 'prb')
class PRBIntegrator(PathIntegrator):
    """``max_depth`` (-1), ``rr_depth`` (5), ``hide_emitters`` (false): see :class:`PathIntegrator`."""

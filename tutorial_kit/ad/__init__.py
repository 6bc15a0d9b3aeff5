"""Differentiation: ``traverse`` and ``ParameterMap``, the optimizers, path
replay, gradient checks against finite differences, and the PyTorch bridge.

``tk.ad.Adam`` and ``tk.ad.SGD`` are where Mitsuba 3's tutorials look for
the optimizers (``mi.ad.Adam``); they are the same classes as ``tk.Adam``.
``tk.ad.common.RBIntegrator`` (also ``tk.ad.integrators.common``) is where
they find the base class of a differentiable integrator.
``tk.ad.loaders.RayDataLoader`` hands out minibatches of pixels from many views.
``tk.ad.LargeSteps`` is the Laplacian preconditioner for optimising a
mesh's vertices (Nicolet et al. 2021).
``tk.ad.render_recorded`` renders with every bounce recorded for AD, to
compare with path replay.
"""
from tutorial_kit.ad.optimizers import Adam, Optimizer, SGD  # noqa: F401
from tutorial_kit.ad.render import render_recorded  # noqa: F401
from tutorial_kit.ad.large_steps import LargeSteps  # noqa: F401
from tutorial_kit.ad import common, integrators, loaders  # noqa: F401

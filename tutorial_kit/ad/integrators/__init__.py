"""Mitsuba 3's ``mi.ad.integrators`` package: ``common`` holds the base classes
of differentiable integrators (:mod:`tutorial_kit.renderer.integrator`)."""
from tutorial_kit.ad.integrators import common  # noqa: F401

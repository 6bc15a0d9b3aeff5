"""``mi.python``: where Mitsuba 3 keeps the parts of its API written in Python.

Its tutorials reach the base class of a differentiable integrator as
``mi.python.ad.integrators.common.RBIntegrator``; here the same path leads
to :mod:`tutorial_kit.ad` and :mod:`tutorial_kit.util`.
"""
from tutorial_kit import ad, util  # noqa: F401

__all__ = ['ad', 'util']

"""Where Mitsuba 3's tutorials find the base classes of differentiable
integrators (``mi.ad.common.RBIntegrator``): the interface of
:mod:`tutorial_kit.renderer.integrator`, under the same names."""
from tutorial_kit.renderer.integrator import (ADIntegrator, Integrator, RBIntegrator,  # noqa: F401
                                              mis_weight, solid_angle_to_area_jacobian)

__all__ = ['ADIntegrator', 'Integrator', 'RBIntegrator', 'mis_weight', 'solid_angle_to_area_jacobian']

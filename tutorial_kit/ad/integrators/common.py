"""``mi.ad.integrators.common``: the base classes of differentiable integrators,
defined in :mod:`tutorial_kit.renderer.integrator` (see :mod:`tutorial_kit.ad.common`)."""
from tutorial_kit.renderer.integrator import (ADIntegrator, Integrator, RBIntegrator,  # noqa: F401
                                              mis_weight, solid_angle_to_area_jacobian)

__all__ = ['ADIntegrator', 'Integrator', 'RBIntegrator', 'mis_weight', 'solid_angle_to_area_jacobian']

"""The integrator interface: estimating the light that arrives along camera rays.

An integrator solves the rendering equation (Kajiya, 1986) by Monte Carlo
integration. :func:`tutorial_kit.render` generates camera rays and asks
:meth:`Integrator.sample` for the radiance along each; the film averages
the samples into pixels.

Differentiation follows Mitsuba 3's ``ADIntegrator.sample``: besides the
primal radiance (``mode=dr.ADMode.Primal``), the same method replays the
same paths to propagate derivatives to the scene parameters
(``dr.ADMode.Backward``) or from them (``dr.ADMode.Forward``), which is path
replay backpropagation (Vicini, Speierer and Jakob, SIGGRAPH 2021).
"""
import numbers
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import registry
from tutorial_kit.renderer.plugin import Plugin

UNLIMITED = 2 ** 32 - 1


class Integrator(Plugin):
    """Base class of integrator plugins (XML ``<integrator>``)."""

    @abstractmethod
    def sample(self, scene, sampler, origin, direction, t_max, mode=dr.ADMode.Primal,
               dL=None, L_path=None, loop_mode='symbolic'):
        """Radiance along rays ``origin + t direction``, 0 < t < ``t_max``.

        ``scene``: the :class:`~tutorial_kit.renderer.scene.Scene`;
        ``sampler``: a PCG32 with one stream per ray; ``origin``,
        ``direction`` (unit): Array3f, world space; ``t_max``: Float.

        ``mode``:

        - ``dr.ADMode.Primal``: return the radiance (Color3f, linear RGB).
          If a parameter has gradients enabled and ``loop_mode`` is
          ``'evaluated'``, automatic differentiation records the whole
          computation.
        - ``dr.ADMode.Backward``: ``dL`` (Color3f) is the adjoint radiance of
          each ray; push ``dL * dL/dparameter`` to the parameters' gradients
          and return nothing useful.
        - ``dr.ADMode.Forward``: return the derivative of the radiance
          (Color3f) with respect to the parameters' gradients.

        In both replay modes ``L_path`` is the radiance that the primal pass
        found with the same sampler seed.
        """

    def visibility_image(self, scene, sensor, spp, seed):
        """The visibility (boundary) terms of a geometry derivative, or None.

        Returns a Color3f per pixel whose value is zero and whose derivative
        with respect to moving vertices is what differentiating :meth:`sample`
        misses at silhouettes and shadow edges. ``seed``: an int. Integrators
        that leave those terms out (``path``, ``direct``) return None;
        ``prb_projective`` adds them.
        """
        return None


def depth_limit(value, name='max_depth'):
    """A path depth as an integrator stores it: -1 (unlimited) becomes ``UNLIMITED``.

    Raises ValueError for other negative values or non-integers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < -1:
        raise ValueError(f'{name} must be -1 (unlimited) or a non-negative integer, got {value!r}')
    return UNLIMITED if value == -1 else int(value)


def read_depth(props, name, default):
    """A depth parameter of the scene file, checked by ``depth_limit``."""
    value = props.int(name, default)
    try:
        return depth_limit(value, name)
    except ValueError as error:
        raise props.error(name, str(error)) from None


registry.declare_interface('integrator', Integrator)

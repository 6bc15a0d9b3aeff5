"""``homogeneous``: a medium with the same coefficients everywhere.

Its majorant is sigma_t itself, so free-flight sampling draws exact
collisions from the density sigma_t exp(-sigma_t t) (every tentative
collision is real) and the transmittance exp(-sigma_t d) is known in closed
form. ``sigma_t`` and ``albedo`` are volumes (usually constant) that Mitsuba 3
also accepts as volumes; ``scale`` multiplies sigma_t (a change of units:
a scene modelled in centimetres with coefficients per metre takes 0.01).
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.medium import Medium
from tutorial_kit.renderer.traversal import ParamFlags
from tutorial_kit.renderer.volume import volume


@register('medium', 'homogeneous')
class HomogeneousMedium(Medium):
    """``sigma_t`` (per unit length, float or rgb, default 1), ``albedo`` (default 0.75),
    ``scale`` (float, default 1), ``phase`` (default isotropic), ``sample_emitters``."""

    def __init__(self, props):
        super().__init__(props)
        self.albedo = volume(props, 'albedo', 0.75)
        self.sigma_t = volume(props, 'sigma_t', 1.0)
        self.scale = props.float('scale', 1.0)

    def is_homogeneous(self):
        return True

    def traverse(self, callback):
        callback.put('scale', self.scale, ParamFlags.NonDifferentiable)
        callback.put('albedo', self.albedo, ParamFlags.Differentiable)
        callback.put('sigma_t', self.sigma_t, ParamFlags.Differentiable)
        super().traverse(callback)

    def _sigma_t(self, mi, active):
        return self.sigma_t.eval(mi, active) * self.scale

    def get_majorant(self, mi, active=True):
        return dr.select(active, self._sigma_t(mi, active), 0)

    def get_scattering_coefficients(self, mi, active=True):
        sigma_t = self._sigma_t(mi, active)
        sigma_s = sigma_t * self.albedo.eval(mi, active)
        return sigma_s, dr.zeros(bk.Color3f, dr.width(mi.p)), sigma_t

    def intersect_aabb(self, ray):
        width = dr.width(ray.d)
        return dr.full(bk.Bool, True, width), dr.zeros(bk.Float, width), dr.full(bk.Float, dr.inf, width)

"""``retarder``: an ideal linear retarder (a wave plate), which delays one field component.

Light crosses the surface without changing direction (a Dirac lobe of kind
``Null``); the field component along the slow axis is delayed by ``delta``
degrees against the fast one (360 = a whole wavelength), which turns linear
into elliptical or circular polarisation: a quarter-wave plate (90, the
default) at 45 degrees makes linear light circular (Goldstein, *Polarized
Light*, 3rd ed., eq. 6.43: :func:`~tutorial_kit.core.mueller.linear_retarder`).
The fast axis lies along the surface's ``u`` direction (the shading frame's
``s``) turned by ``theta``, the angle flipped when the plate is seen from
behind. As in Mitsuba 3, the retardance falls off with the cosine of the
angle of incidence, a simple model of oblique crossing.

Parameters, as in Mitsuba 3: ``theta`` (degrees, texture, default 0),
``delta`` (degrees, texture, default 90) and ``transmittance`` (texture,
default 1), all differentiable. Outside a polarised variant the plate only
attenuates by ``transmittance``.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller, value_ranges
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.bsdfs.optical_filter import OpticalFilter, forward_direction
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags


@register('bsdf', 'retarder')
class LinearRetarder(OpticalFilter):
    """``theta`` (degrees), ``delta`` (degrees), ``transmittance``."""

    def __init__(self, props):
        OpticalFilter.__init__(self, props)
        self.theta = texture(props, 'theta', 0.0, value_range=value_ranges.ANGLE)
        self.delta = texture(props, 'delta', 90.0, value_range=value_ranges.ANGLE)
        self.transmittance = texture(props, 'transmittance', 1.0)

    def traverse(self, callback):
        callback.put('theta', self.theta, ParamFlags.Differentiable)
        callback.put('delta', self.delta, ParamFlags.Differentiable)
        callback.put('transmittance', self.transmittance, ParamFlags.Differentiable)

    def transmission(self, si, active=True):
        return self.transmittance.eval(si, active)

    def mueller_matrix(self, ctx, si, active=True):
        cos_theta = si.wi.z
        theta = dr.deg2rad(self.theta.eval(si, active))
        delta = dr.deg2rad(self.delta.eval(si, active)) * dr.abs(cos_theta)
        M = mueller.rotated_element(dr.sign(cos_theta) * theta, mueller.linear_retarder(delta))
        forward = forward_direction(ctx, si)
        M = mueller.rotate_mueller_basis_collinear(M, forward, bk.Array3f(1, 0, 0), mueller.stokes_basis(forward))
        return mueller.scaled(M, self.transmittance.eval(si, active))

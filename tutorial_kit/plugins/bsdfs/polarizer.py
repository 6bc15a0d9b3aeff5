"""``polarizer``: an ideal linear polariser, a filter that passes one direction of the field.

Light crosses the surface without changing direction (a Dirac lobe of kind
``Null``), and its polarisation is projected onto the filter's transmission
axis: unpolarised light leaves half as bright and fully linearly polarised,
and two polarisers crossed at 90 degrees pass nothing (Malus's law, Collett,
*Polarized Light*, ch. 5: the Mueller matrix of
:func:`~tutorial_kit.core.mueller.linear_polarizer`, turned to the filter's
angle). The *absorbing* axis lies along the surface's ``v`` direction
(the tangent ``t`` of the shading frame) turned by ``theta``; the filter
turns with its shape too. Light crossing it obliquely sees the axis projected
onto the plane perpendicular to its direction (Korger et al., "The
polarization properties of a tilted polarizer", Optics Express 2013), as in
Mitsuba 3.

Parameters, as in Mitsuba 3: ``theta`` (degrees, texture, default 0),
``transmittance`` (texture, default 1) and ``polarizing`` (default true;
false makes a neutral filter that halves the light). Outside a polarised
variant the filter cannot know the polarisation and passes half of the
light, as Mitsuba 3's does. Traverse names ``theta.value`` (differentiable)
and ``transmittance.value``.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller, value_ranges
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.bsdfs.optical_filter import OpticalFilter, forward_direction
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags


@register('bsdf', 'polarizer')
class LinearPolarizer(OpticalFilter):
    """``theta`` (degrees), ``transmittance``, ``polarizing``."""

    def __init__(self, props):
        OpticalFilter.__init__(self, props)
        self.theta = texture(props, 'theta', 0.0, value_range=value_ranges.ANGLE)
        self.transmittance = texture(props, 'transmittance', 1.0)
        self.polarizing = props.bool('polarizing', True)

    def settings(self):
        return dict(polarizing=self.polarizing)

    def traverse(self, callback):
        callback.put('theta', self.theta, ParamFlags.Differentiable | ParamFlags.Discontinuous)
        callback.put('transmittance', self.transmittance, ParamFlags.Differentiable)

    def transmission(self, si, active=True):
        return 0.5 * self.transmittance.eval(si, active)

    def mueller_matrix(self, ctx, si, active=True):
        transmittance = self.transmittance.eval(si, active)
        if not self.polarizing:
            return mueller.absorber(0.5 * transmittance)
        forward = forward_direction(ctx, si)
        theta = dr.deg2rad(self.theta.eval(si, active))
        channels = [self._polarizer(forward, theta[c]) for c in range(3)]
        return mueller.scaled(mueller.from_channels(*channels), transmittance)

    @staticmethod
    def _polarizer(forward, theta):
        """Matrix4f: the polariser at angle ``theta`` (Float, radians) for light along ``forward``."""
        sin_theta, cos_theta = dr.sincos(theta)
        absorbing = bk.Array3f(sin_theta, cos_theta, 0)
        # The axes seen by light crossing obliquely: projected perpendicular to it.
        absorbing = dr.normalize(absorbing - dr.dot(absorbing, forward) * forward)
        transmitting = dr.cross(forward, absorbing)
        return mueller.rotate_mueller_basis_collinear(mueller.linear_polarizer(dr.ones(bk.Float, dr.width(theta))),
                                                      forward, transmitting, mueller.stokes_basis(forward))

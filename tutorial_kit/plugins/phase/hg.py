"""``hg``: the Henyey-Greenstein phase function, one lobe of mean cosine ``g``.

Henyey and Greenstein, "Diffuse radiation in the galaxy", Astrophysical
Journal 93, 1941 (PBR 4th ed., sec. 11.3.1)::

    f_p(cos theta) = (1 - g^2) / (4 pi (1 + g^2 - 2 g cos theta)^(3/2))

where theta is the angle between the direction of travel and the scattered
direction: g > 0 scatters forward (clouds, g about 0.85), g < 0 backward,
g = 0 is isotropic. With ``mi.wi`` pointing back along the ray, as Mitsuba 3
passes it, cos theta = -dot(wi, wo).

Sampling inverts the cumulative distribution of cos theta in closed form,
so that the weight f_p / pdf is exactly 1.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.medium import PhaseFunction
from tutorial_kit.renderer.traversal import ParamFlags


@register('phase', 'hg')
class HGPhaseFunction(PhaseFunction):
    """``g`` (float in (-1, 1), default 0.8): the mean cosine of scattering."""

    def __init__(self, props):
        super().__init__(props)
        g = props.float('g', 0.8)
        if not -1 < g < 1:
            raise props.error('g', f'the asymmetry parameter g must lie in (-1, 1), got {g}')
        self.g = dr.opaque(bk.Float, g)

    def traverse(self, callback):
        callback.put('g', self.g, ParamFlags.Differentiable | ParamFlags.Discontinuous)

    def _eval(self, cos_wi_wo):
        """f_p given dot(wi, wo) = -cos theta."""
        g = self.g
        denominator = 1 + dr.square(g) + 2 * g * cos_wi_wo
        return dr.inv_four_pi * (1 - dr.square(g)) / (denominator * dr.sqrt(denominator))

    def sample(self, ctx, mi, sample1, sample2, active=True):
        g = self.g
        u = sample2.x
        ratio = (1 - dr.square(g)) / (1 - g + 2 * g * u)
        cos_theta = (1 + dr.square(g) - dr.square(ratio)) / (2 * g)
        # Nearly isotropic: the formula divides by g; sample the sphere uniformly.
        cos_theta = dr.select(dr.abs(g) < 1e-3, 1 - 2 * u, cos_theta)
        sin_theta = dr.safe_sqrt(1 - dr.square(cos_theta))
        sin_phi, cos_phi = dr.sincos(dr.two_pi * sample2.y)
        # In the frame around wi, the direction of travel is -z.
        wo = mi.to_world(bk.Array3f(sin_theta * cos_phi, sin_theta * sin_phi, -cos_theta))
        pdf = self._eval(-cos_theta)
        return wo, dr.full(bk.Float, 1, dr.width(pdf)), pdf

    def eval_pdf(self, ctx, mi, wo, active=True):
        value = self._eval(dr.dot(wo, mi.wi))
        return value, dr.detach(value)

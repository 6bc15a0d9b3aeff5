"""``roughdielectric``: rough glass, the microfacet refraction model of Walter et al. (2007).

Each facet is a smooth dielectric interface. For a pair of directions the
only facets that matter have the *generalised half vector* as normal
(Walter et al. 2007, eq. 16): h = (wi + wo) / |wi + wo| for reflection and
h = -(eta_i wi + eta_o wo) / |...| for refraction. The BSDF is

    reflection:    f_r = F D G / (4 |cos theta_i| |cos theta_o|)                               (eq. 20)
    transmission:  f_t = |wi.h| |wo.h| / (|cos theta_i| |cos theta_o|)
                         * eta_o^2 (1 - F) D G / (eta_i (wi.h) + eta_o (wo.h))^2                (eq. 21)

and, for radiance, f_t is divided by eta^2 (the solid-angle compression of
the smooth ``dielectric``); light paths (``TransportMode.Importance``) use
f_t as it stands (Veach 1997, sec. 5.2). Sampling picks a (visible) facet normal m,
then reflection with probability F(wi.m) or refraction otherwise; the
Jacobians dh/dwo of eqs. 14 and 17 turn the density of m into that of wo.
Two-sided. Parameters as in Mitsuba 3: ``distribution``, ``alpha`` or
``alpha_u``/``alpha_v``, ``sample_visible``, ``int_ior``, ``ext_ior``,
``specular_reflectance``, ``specular_transmittance``; traversed ``eta``
and ``alpha.value``, differentiable.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, TransportMode, lobe
from tutorial_kit.plugins.bsdfs.dielectric import SpecularTints
from tutorial_kit.plugins.bsdfs.fresnel import fresnel, reflect, refract, usable_eta
from tutorial_kit.plugins.bsdfs.ior import read_relative_ior
from tutorial_kit.plugins.bsdfs.microfacet import MicrofacetDistribution, read_roughness
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


def mulsign(v, s):
    """``v`` (Array3f) negated where ``s`` (Float) is negative."""
    return v * dr.select(s >= 0, 1.0, -1.0)


@register('bsdf', 'roughdielectric')
class RoughDielectric(BSDF, SpecularTints):
    """See the module docstring."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.distribution, self.alpha_u, self.alpha_v, self.sample_visible = read_roughness(props)
        self.eta = dr.opaque(bk.Float, read_relative_ior(props, 'bk7', 'air', must_differ=True))
        self.read_tints(props)
        sides = BSDFFlags.FrontSide | BSDFFlags.BackSide
        anisotropic = BSDFFlags.Anisotropic if self.alpha_v is not None else BSDFFlags.Empty
        self.set_components(BSDFFlags.GlossyReflection | sides | anisotropic,
                            BSDFFlags.GlossyTransmission | sides | BSDFFlags.NonSymmetric | anisotropic)

    def settings(self):
        return dict(distribution=self.distribution, sample_visible=self.sample_visible)

    def traverse(self, callback):
        callback.put('eta', self.eta, ParamFlags.Differentiable, kind=ParamKind.FLOAT,
                     value_range=value_ranges.IOR)
        if self.alpha_v is None:
            callback.put('alpha', self.alpha_u, ParamFlags.Differentiable)
        else:
            callback.put('alpha_u', self.alpha_u, ParamFlags.Differentiable)
            callback.put('alpha_v', self.alpha_v, ParamFlags.Differentiable)
        self.traverse_tints(callback)

    def _distribution(self, si, active):
        alpha_v = None if self.alpha_v is None else self.alpha_v.eval_1(si, active)
        return MicrofacetDistribution(self.distribution, self.alpha_u.eval_1(si, active), alpha_v,
                                      self.sample_visible)

    def _sampling_distribution(self, si, distribution):
        """The distribution facet normals are drawn from. Without visible-normal
        sampling, Walter et al.'s trick: a slightly wider one tames the weights."""
        if self.sample_visible:
            return distribution
        return distribution.scaled(1.2 - 0.2 * dr.sqrt(dr.abs(si.wi.z)))

    def _half_vector(self, si, wo):
        """(reflect, eta, m): whether (wi, wo) is a reflection, the relative IOR seen
        from wi's side, and the generalised half vector turned to +z."""
        cos_theta_i, cos_theta_o = si.wi.z, wo.z
        is_reflection = cos_theta_i * cos_theta_o > 0
        eta = usable_eta(self.eta)
        eta = dr.select(cos_theta_i > 0, eta, dr.rcp(eta))
        m = dr.normalize(si.wi + wo * dr.select(is_reflection, 1.0, eta))
        return is_reflection, eta, mulsign(m, m.z)

    def eval(self, ctx, si, wo, active=True):
        cos_theta_i, cos_theta_o = si.wi.z, wo.z
        is_reflection, eta, m = self._half_vector(si, wo)
        distribution = self._distribution(si, active)
        D = distribution.eval(m)
        F = fresnel(dr.dot(si.wi, m), self.eta)[0]
        G = distribution.G(si.wi, wo, m)
        reflected = F * D * G / (4 * dr.abs(cos_theta_i)) * self.tint('specular_reflectance', si, active)
        wi_m, wo_m = dr.dot(si.wi, m), dr.dot(wo, m)
        # Eq. 21 times |cos theta_o|, divided by eta^2 for radiance: the eta^2 cancels.
        transmitted = dr.abs((1 - F) * D * G * wi_m * wo_m
                             / (cos_theta_i * dr.square(wi_m + eta * wo_m)))
        if ctx.mode == TransportMode.Importance:
            transmitted = transmitted * dr.square(eta)      # eq. 21 itself: no radiance compression
        transmitted = transmitted * self.tint('specular_transmittance', si, active)
        valid = (cos_theta_i != 0) & (wi_m * cos_theta_i > 0) & (wo_m * cos_theta_o > 0)
        return dr.select(valid, dr.select(is_reflection, reflected, transmitted), 0)

    def pdf(self, ctx, si, wo, active=True):
        cos_theta_i, cos_theta_o = si.wi.z, wo.z
        is_reflection, eta, m = self._half_vector(si, wo)
        wi_m, wo_m = dr.dot(si.wi, m), dr.dot(wo, m)
        # dm/dwo for reflection (eq. 14) and refraction (eq. 17).
        dm_dwo = dr.select(is_reflection, dr.rcp(4 * wo_m),
                           dr.square(eta) * wo_m / dr.square(wi_m + eta * wo_m))
        sampling = self._sampling_distribution(si, self._distribution(si, active))
        pdf = sampling.pdf(mulsign(si.wi, cos_theta_i), m) * dr.abs(dm_dwo)
        F = fresnel(wi_m, self.eta)[0]
        pdf = pdf * dr.select(is_reflection, F, 1 - F)
        valid = (cos_theta_i != 0) & (wi_m * cos_theta_i > 0) & (wo_m * cos_theta_o > 0)
        return dr.select(valid, pdf, 0)

    def sample(self, ctx, si, sample1, sample2, active=True):
        cos_theta_i = si.wi.z
        distribution = self._distribution(si, active)
        sampling = self._sampling_distribution(si, distribution)
        m, pdf_m = sampling.sample(mulsign(si.wi, cos_theta_i), sample2)
        F, cos_theta_t, eta_it, eta_ti = fresnel(dr.dot(si.wi, m), self.eta)
        reflected = sample1 <= dr.detach(F)
        lobe_pdf = dr.detach(dr.select(reflected, F, 1 - F))
        wo = dr.select(reflected, reflect(si.wi, m), refract(si.wi, cos_theta_t, eta_ti, m))
        eta = dr.select(reflected, 1.0, eta_it)
        wo_m = dr.dot(wo, m)
        dm_dwo = dr.select(reflected, dr.rcp(4 * wo_m),
                           dr.square(eta) * wo_m / dr.square(dr.dot(si.wi, m) + eta * wo_m))
        pdf = pdf_m * lobe_pdf * dr.abs(dm_dwo)
        compression = dr.square(eta_ti) if ctx.mode == TransportMode.Radiance else 1.0
        weight = dr.select(reflected, F * self.tint('specular_reflectance', si, active),
                           (1 - F) * compression * self.tint('specular_transmittance', si, active))
        weight = weight / dr.select(lobe_pdf > 0, lobe_pdf, 1)
        if self.sample_visible:
            weight = weight * distribution.smith_g1(wo, m)
        else:
            weight = weight * (distribution.eval(m) * distribution.G(si.wi, wo, m) * dr.dot(si.wi, m)
                               / (pdf_m * cos_theta_i))
        # A refracted direction on the incident side (or the reverse) is a failed sample.
        side_ok = dr.select(reflected, wo.z * cos_theta_i > 0, wo.z * cos_theta_i < 0)
        valid = (cos_theta_i != 0) & (pdf_m > 0) & (pdf > 0) & side_ok & (wo_m * wo.z > 0)
        width = dr.width(pdf)
        bs = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=eta,
                          sampled_type=dr.select(reflected, lobe(BSDFFlags.GlossyReflection),
                                                 lobe(BSDFFlags.GlossyTransmission)),
                          sampled_component=dr.select(reflected, bk.UInt32(0), bk.UInt32(1)))
        return bs, dr.select(valid, dr.abs(weight), 0)

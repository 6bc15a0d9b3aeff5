"""``roughconductor``: a rough metal, the microfacet model of Walter et al. (2007).

Each facet is a smooth conductor; the BSDF sums the light its facets send
from wo towards wi (Walter et al. 2007, eq. 20, with h = m the half vector):

    f(wi, wo) = F(wi . h) D(h) G(wi, wo, h) / (4 cos(theta_i) cos(theta_o)),  h = (wi + wo) / |wi + wo|

``eval`` returns f cos(theta_o). Sampling picks a facet normal m (visible
normals by default, Heitz 2018 for GGX) and reflects wi about it; the
change of variables from m to wo contributes dm/dwo = 1 / (4 wo . m)
(eq. 14). With visible-normal sampling the weight f cos / pdf reduces to
F G1(wo, m).

Parameters as in Mitsuba 3: ``distribution`` (``beckmann`` default, or
``ggx``), ``alpha`` (0.1) or ``alpha_u``/``alpha_v`` (textures),
``sample_visible`` (true), ``material`` or ``eta``/``k``,
``specular_reflectance``. One-sided.

In a polarised variant each facet reflects with the Mueller matrix of a
smooth conductor (:func:`~tutorial_kit.core.mueller.specular_reflection`),
whose plane of incidence is the facet's.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, TransportMode, lobe
from tutorial_kit.plugins.bsdfs.conductor import read_complex_ior
from tutorial_kit.plugins.bsdfs.fresnel import fresnel_conductor, reflect
from tutorial_kit.plugins.bsdfs.microfacet import MicrofacetDistribution, read_roughness
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags


@register('bsdf', 'roughconductor')
class RoughConductor(BSDF):
    """``distribution``, ``alpha`` or ``alpha_u``/``alpha_v``, ``sample_visible``,
    ``material`` or ``eta``/``k``, ``specular_reflectance``."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.distribution, self.alpha_u, self.alpha_v, self.sample_visible = read_roughness(props)
        self.eta, self.k = read_complex_ior(props)
        self.specular_reflectance = texture(props, 'specular_reflectance', 1.0)
        flags = BSDFFlags.GlossyReflection | BSDFFlags.FrontSide
        self.set_components(flags | (BSDFFlags.Anisotropic if self.alpha_v is not None else 0))

    def settings(self):
        return dict(distribution=self.distribution, sample_visible=self.sample_visible)

    def traverse(self, callback):
        if self.alpha_v is None:
            callback.put('alpha', self.alpha_u, ParamFlags.Differentiable)
        else:
            callback.put('alpha_u', self.alpha_u, ParamFlags.Differentiable)
            callback.put('alpha_v', self.alpha_v, ParamFlags.Differentiable)
        callback.put('eta', self.eta, ParamFlags.Differentiable)
        callback.put('k', self.k, ParamFlags.Differentiable)
        callback.put('specular_reflectance', self.specular_reflectance, ParamFlags.Differentiable)

    def _distribution(self, si, active):
        alpha_v = None if self.alpha_v is None else self.alpha_v.eval_1(si, active)
        return MicrofacetDistribution(self.distribution, self.alpha_u.eval_1(si, active), alpha_v,
                                      self.sample_visible)

    def _fresnel(self, si, cos_theta, active):
        """Color3f: F of the conductor times ``specular_reflectance``."""
        return (fresnel_conductor(cos_theta, self.eta.eval(si, active), self.k.eval(si, active))
                * self.specular_reflectance.eval(si, active))

    def _facets(self, si, wo, active):
        """``(h, value)``: the half vector (Array3f) and D G / (4 cos theta_i), what
        :meth:`eval` multiplies the Fresnel factor by (Float; 0 off the lobe)."""
        cos_theta_i, cos_theta_o = si.wi.z, wo.z
        front = (cos_theta_i > 0) & (cos_theta_o > 0)
        h = dr.normalize(si.wi + wo)
        distribution = self._distribution(si, active)
        D = distribution.eval(h)
        G = distribution.G(si.wi, wo, h)
        return h, dr.select(front & (D != 0), D * G / (4 * cos_theta_i), 0)

    def eval(self, ctx, si, wo, active=True):
        h, value = self._facets(si, wo, active)
        return self._fresnel(si, dr.dot(si.wi, h), active) * value

    def pdf(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        h = dr.normalize(si.wi + wo)
        pdf = self._distribution(si, active).pdf(si.wi, h) / (4 * dr.abs(dr.dot(wo, h)))
        return dr.select(front & (dr.dot(wo, h) > 0), pdf, 0)

    def _sample_facet(self, si, sample2, active):
        """``(bs, m, weight)``: the sampled direction, the facet normal chosen
        (Array3f) and the weight f cos / pdf without its Fresnel factor (Float)."""
        distribution = self._distribution(si, active)
        m, pdf_m = distribution.sample(si.wi, sample2)
        wo = reflect(si.wi, m)
        pdf = pdf_m / (4 * dr.dot(wo, m))            # dm/dwo (Walter et al., eq. 14)
        valid = (si.wi.z > 0) & (wo.z > 0) & (pdf_m > 0)
        if self.sample_visible:
            weight = distribution.smith_g1(wo, m)
        else:
            weight = distribution.G(si.wi, wo, m) * dr.dot(si.wi, m) / (si.wi.z * m.z)
        width = dr.width(pdf)
        bs = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=dr.full(bk.Float, 1, width),
                          sampled_type=lobe(BSDFFlags.GlossyReflection), sampled_component=0)
        return bs, m, dr.select(valid, weight, 0)

    def sample(self, ctx, si, sample1, sample2, active=True):
        bs, m, weight = self._sample_facet(si, sample2, active)
        return bs, self._fresnel(si, dr.dot(si.wi, m), active) * weight

    # -- polarised rendering --------------------------------------------------------------

    def _fresnel_mueller(self, ctx, si, wo, m, active):
        """Matrix43f: the facet ``m``'s reflection from ``wo`` to ``si.wi`` (the other
        way on light paths) in the implicit bases, times ``specular_reflectance``."""
        wo_hat, wi_hat = mueller.light_directions(ctx.mode == TransportMode.Radiance, si.wi, wo)
        M = mueller.specular_reflection(bk.Color3f(dr.dot(wo_hat, m)), self.eta.eval(si, active),
                                        self.k.eval(si, active))
        M = mueller.from_plane_of_incidence(M, wo_hat, wi_hat, m)
        return mueller.scaled(M, self.specular_reflectance.eval(si, active))

    def eval_mueller(self, ctx, si, wo, active=True):
        h, value = self._facets(si, wo, active)
        # Off the lobe the facet's matrix is not defined (a zero cross product): masked.
        return dr.select(value > 0, self._fresnel_mueller(ctx, si, wo, h, active) * value, 0)

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        bs, m, weight = self._sample_facet(si, sample2, active)
        return bs, dr.select(weight > 0, self._fresnel_mueller(ctx, si, bs.wo, m, active) * weight, 0)

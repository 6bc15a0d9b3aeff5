"""``pplastic``: a polarising plastic, the polarimetric BRDF of Baek et al. (2018).

A rough dielectric coating over a diffuse base, written so that it also
polarises (S.-H. Baek, D. S. Jeon, X. Tong, M. H. Kim, "Simultaneous
Acquisition of Polarimetric SVBRDF and Normals", ACM Trans. Graph. 37(6),
2018; Mitsuba 3's ``pplastic``):

- **specular**: the coating's facets reflect as in ``roughconductor``, with
  the dielectric Fresnel term, D G F / (4 cos theta_i) (Walter et al. 2007);
  polarised, F is the Mueller matrix of reflection in the facet's plane;
- **diffuse**: light refracts into the coating, is scattered by the base
  (which depolarises), and refracts out again:
  T_out rho T_in cos theta_o / pi; unpolarised, T = 1 - F at each crossing.
  Leaving the coating partly polarises the light again, which is how shape
  from polarisation reads normals off a diffuse surface.

Sampling picks the specular lobe with probability ``s / (s + d)`` (the mean
specular and diffuse reflectances), a visible facet there and a cosine-
weighted direction otherwise; the weight is eval / pdf over both lobes.

Parameters as in Mitsuba 3: ``diffuse_reflectance`` (0.5),
``specular_reflectance`` (optional), ``int_ior`` (``polypropylene``) and
``ext_ior`` (``air``) or ``eta``, ``distribution`` (``beckmann``), ``alpha``
(0.1) or ``alpha_u``/``alpha_v``, ``sample_visible`` (true). One-sided.
Traversed: ``diffuse_reflectance``, ``specular_reflectance`` (when given),
``eta``, ``alpha`` (or ``alpha_u``, ``alpha_v``), all differentiable.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller, value_ranges, warp
from tutorial_kit.core.registry import register
from tutorial_kit.plugins.bsdfs.dielectric import SpecularTints
from tutorial_kit.plugins.bsdfs.fresnel import fresnel, reflect, refract
from tutorial_kit.plugins.bsdfs.ior import read_relative_ior
from tutorial_kit.plugins.bsdfs.microfacet import MicrofacetDistribution, read_roughness
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, TransportMode, lobe
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags


@register('bsdf', 'pplastic')
class PolarizedPlastic(BSDF, SpecularTints):
    """``diffuse_reflectance``, ``specular_reflectance``, ``int_ior``/``ext_ior`` or
    ``eta``, ``distribution``, ``alpha`` or ``alpha_u``/``alpha_v``, ``sample_visible``."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.diffuse_reflectance = texture(props, 'diffuse_reflectance', 0.5)
        self.read_tints(props, transmittance=False)
        if 'eta' in props and ('int_ior' in props or 'ext_ior' in props):
            raise props.error('eta', 'give either "eta" or "int_ior" and "ext_ior", not both')
        default = 1.0 if 'eta' in props else read_relative_ior(props, 'polypropylene', 'air', must_differ=True)
        # A texture, as in Mitsuba 3 (traversed as eta.value).
        self.eta = texture(props, 'eta', default, value_range=value_ranges.IOR)
        self.distribution, self.alpha_u, self.alpha_v, self.sample_visible = read_roughness(props)
        flags = BSDFFlags.GlossyReflection | BSDFFlags.DiffuseReflection | BSDFFlags.FrontSide
        self.set_components(flags | (BSDFFlags.Anisotropic if self.alpha_v is not None else 0))

    def eval_diffuse_reflectance(self, si, active=True):
        return self.diffuse_reflectance.eval(si, active)

    def settings(self):
        return dict(distribution=self.distribution, sample_visible=self.sample_visible)

    def traverse(self, callback):
        callback.put('diffuse_reflectance', self.diffuse_reflectance, ParamFlags.Differentiable)
        self.traverse_tints(callback)
        callback.put('eta', self.eta, ParamFlags.Differentiable)
        if self.alpha_v is None:
            callback.put('alpha', self.alpha_u, ParamFlags.Differentiable)
        else:
            callback.put('alpha_u', self.alpha_u, ParamFlags.Differentiable)
            callback.put('alpha_v', self.alpha_v, ParamFlags.Differentiable)

    # -- the two lobes ------------------------------------------------------------------

    def _microfacets(self, si, active):
        alpha_v = None if self.alpha_v is None else self.alpha_v.eval_1(si, active)
        return MicrofacetDistribution(self.distribution, self.alpha_u.eval_1(si, active), alpha_v,
                                      self.sample_visible)

    def specular_probability(self, si, active):
        """Float: the share of samples given to the specular lobe, s / (s + d)
        with the mean specular (1 unless tinted) and diffuse reflectances."""
        specular = dr.mean(self.tint('specular_reflectance', si, active))
        diffuse = dr.mean(self.diffuse_reflectance.eval(si, active))
        return dr.detach(specular / dr.maximum(specular + diffuse, 1e-8))

    def _specular_scale(self, si, wo, active):
        """``(h, value)``: the half vector and D G / (4 cos theta_i) (Float)."""
        h = dr.normalize(si.wi + wo)
        distribution = self._microfacets(si, active)
        return h, distribution.eval(h) * distribution.G(si.wi, wo, h) / (4 * si.wi.z)

    def eval(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        eta = self.eta.eval_1(si, active)
        h, scale = self._specular_scale(si, wo, active)
        specular = fresnel(dr.dot(si.wi, h), eta)[0] * scale * self.tint('specular_reflectance', si, active)
        inward, outward = (1 - fresnel(c, eta)[0] for c in (si.wi.z, wo.z))
        diffuse = inward * outward * self.diffuse_reflectance.eval(si, active) * (wo.z / dr.pi)
        return dr.select(front, specular + diffuse, 0)

    def pdf(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        probability = self.specular_probability(si, active)
        h = dr.normalize(si.wi + wo)
        distribution = self._microfacets(si, active)
        if self.sample_visible:
            specular = distribution.eval(h) * distribution.smith_g1(si.wi, h) / (4 * si.wi.z)
        else:
            specular = distribution.pdf(si.wi, h) / (4 * dr.dot(wo, h))
        specular = dr.select((dr.dot(si.wi, h) > 0) & (dr.dot(wo, h) > 0), specular, 0)
        diffuse = warp.square_to_cosine_hemisphere_pdf(wo)
        return dr.select(front, probability * specular + (1 - probability) * diffuse, 0)

    def _sample_direction(self, si, sample1, sample2, active):
        """A direction from one of the lobes: ``(bs, valid)``."""
        probability = self.specular_probability(si, active)
        specular = sample1 < probability
        m, _ = self._microfacets(si, active).sample(si.wi, sample2)
        wo = dr.select(specular, reflect(si.wi, m), warp.square_to_cosine_hemisphere(sample2))
        pdf = self.pdf(None, si, wo, active)
        valid = (si.wi.z > 0) & (pdf > 0)
        bs = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=dr.ones(bk.Float, dr.width(pdf)),
                          sampled_type=dr.select(specular, lobe(BSDFFlags.GlossyReflection),
                                                 lobe(BSDFFlags.DiffuseReflection)),
                          sampled_component=dr.select(specular, bk.UInt32(0), bk.UInt32(1)))
        return bs, valid

    def sample(self, ctx, si, sample1, sample2, active=True):
        bs, valid = self._sample_direction(si, sample1, sample2, active)
        value = self.eval(ctx, si, bs.wo, active)
        return bs, dr.select(valid, value / dr.select(valid, bs.pdf, 1), 0)

    # -- polarised rendering ---------------------------------------------------------------

    def eval_mueller(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        eta = self.eta.eval_1(si, active)
        wo_hat, wi_hat = mueller.light_directions(ctx.mode == TransportMode.Radiance, si.wi, wo)
        h, scale = self._specular_scale(si, wo, active)
        reflection = mueller.specular_reflection(dr.dot(wo_hat, h), eta)
        reflection = mueller.from_plane_of_incidence(reflection, wo_hat, wi_hat, h)
        specular = mueller.scaled(reflection * scale, self.tint('specular_reflectance', si, active))

        # In through the coating, scattered (and depolarised) by the base, out again.
        into = mueller.specular_transmission(dr.abs(wo_hat.z), eta)
        cos_inside = fresnel(si.wi.z if ctx.mode == TransportMode.Radiance else wo.z, eta)[1]
        leaving = -refract(wi_hat, cos_inside, dr.rcp(eta))
        out_of = mueller.specular_transmission(dr.abs(leaving.z), dr.rcp(eta))
        base = mueller.depolarizer(self.diffuse_reflectance.eval(si, active))
        diffuse = bk.Matrix43f(out_of) @ base @ bk.Matrix43f(into)
        diffuse = mueller.from_plane_of_incidence(diffuse, wo_hat, wi_hat) * (wo.z / dr.pi)
        return dr.select(front, specular + diffuse, 0)

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        bs, valid = self._sample_direction(si, sample1, sample2, active)
        value = self.eval_mueller(ctx, si, bs.wo, active)
        return bs, dr.select(valid, value * dr.rcp(dr.select(valid, bs.pdf, 1)), 0)

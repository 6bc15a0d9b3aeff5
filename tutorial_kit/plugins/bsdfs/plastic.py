"""``plastic``: a diffuse base under a smooth dielectric coating, like varnished paint.

Light arriving at the coating is either reflected specularly (with the
Fresnel reflectance F_i, a Dirac lobe) or enters the coating, scatters
diffusely in the base, and leaves again; inside, a fraction F_dr of it is
reflected back down by the coating, again and again. Summing that series
gives the diffuse part (Weidlich and Wilkie, "Arbitrarily Layered
Micro-Facet Surfaces", 2007; Mitsuba 3's ``plastic``):

    f_diffuse(wi, wo) = (1 - F_i)(1 - F_o) / eta^2 * rho / (pi (1 - F_dr))

with F_dr the diffuse Fresnel reflectance of the coating seen from inside;
``nonlinear`` uses rho / (1 - rho F_dr) instead, which also darkens and
saturates the colour as real wet or varnished surfaces do.

``sample`` chooses the specular lobe with probability proportional to
F_i times the mean specular reflectance against (1 - F_i) times the mean
diffuse reflectance. One-sided. Parameters as in Mitsuba 3:
``diffuse_reflectance`` (0.5), ``specular_reflectance`` (1), ``nonlinear``
(false), ``int_ior`` (polypropylene), ``ext_ior`` (air); traversed
``eta`` and the reflectances, differentiable.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core import warp
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, lobe
from tutorial_kit.plugins.bsdfs.fresnel import fresnel, fresnel_diffuse_reflectance, reflect, usable_eta
from tutorial_kit.plugins.bsdfs.ior import read_relative_ior
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


class Coated:
    """What ``plastic`` and ``roughplastic`` share: their parameters and the diffuse base."""

    def read_coating(self, props, must_differ=False):
        self.eta = dr.opaque(bk.Float, read_relative_ior(props, 'polypropylene', 'air', must_differ))
        self.diffuse_reflectance = texture(props, 'diffuse_reflectance', 0.5)
        self.has_specular_reflectance = 'specular_reflectance' in props
        self.specular_reflectance = texture(props, 'specular_reflectance', 1.0)
        self.nonlinear = props.bool('nonlinear', False)

    def traverse_coating(self, callback):
        callback.put('diffuse_reflectance', self.diffuse_reflectance, ParamFlags.Differentiable)
        callback.put('eta', self.eta, ParamFlags.Differentiable, kind=ParamKind.FLOAT,
                     value_range=value_ranges.IOR)
        if self.has_specular_reflectance:
            callback.put('specular_reflectance', self.specular_reflectance, ParamFlags.Differentiable)

    def specular_sampling_weight(self):
        """Float: the share of samples the specular lobe would get if F were 1."""
        d_mean = self.diffuse_reflectance.mean()
        s_mean = self.specular_reflectance.mean()
        return s_mean / (d_mean + s_mean)

    def diffuse_base(self, si, internal_reflectance, active):
        """Color3f rho / (1 - F_dr), or rho / (1 - rho F_dr) when ``nonlinear``."""
        rho = self.diffuse_reflectance.eval(si, active)
        return rho / (1 - (rho * internal_reflectance if self.nonlinear else internal_reflectance))


@register('bsdf', 'plastic')
class SmoothPlastic(BSDF, Coated):
    """See the module docstring."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.read_coating(props)
        self.set_components(BSDFFlags.DeltaReflection | BSDFFlags.FrontSide,
                            BSDFFlags.DiffuseReflection | BSDFFlags.FrontSide)

    def eval_diffuse_reflectance(self, si, active=True):
        return self.diffuse_reflectance.eval(si, active)

    def settings(self):
        return dict(nonlinear=self.nonlinear)

    def traverse(self, callback):
        self.traverse_coating(callback)

    def _probabilities(self, f_i):
        """(prob_specular, prob_diffuse) of choosing each lobe, detached."""
        weight = self.specular_sampling_weight()
        specular = dr.detach(f_i) * weight
        diffuse = (1 - dr.detach(f_i)) * (1 - weight)
        return specular / (specular + diffuse), diffuse / (specular + diffuse)

    def _diffuse(self, si, wo, f_i, active):
        """The diffuse lobe's f * cos(theta_o) (Color3f)."""
        f_o = fresnel(wo.z, self.eta)[0]
        base = self.diffuse_base(si, fresnel_diffuse_reflectance(dr.rcp(usable_eta(self.eta))), active)
        return base * (warp.square_to_cosine_hemisphere_pdf(wo) * (1 - f_i) * (1 - f_o)
                       / dr.square(usable_eta(self.eta)))

    def eval(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        f_i = fresnel(si.wi.z, self.eta)[0]
        return dr.select(front, self._diffuse(si, wo, f_i, active), 0)

    def pdf(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        prob_diffuse = self._probabilities(fresnel(si.wi.z, self.eta)[0])[1]
        return dr.select(front, prob_diffuse * warp.square_to_cosine_hemisphere_pdf(wo), 0)

    def sample(self, ctx, si, sample1, sample2, active=True):
        f_i = fresnel(si.wi.z, self.eta)[0]
        prob_specular, prob_diffuse = self._probabilities(f_i)
        specular = sample1 < prob_specular
        diffuse_wo = warp.square_to_cosine_hemisphere(sample2)
        wo = dr.select(specular, reflect(si.wi), diffuse_wo)
        diffuse_pdf = prob_diffuse * warp.square_to_cosine_hemisphere_pdf(diffuse_wo)
        pdf = dr.select(specular, prob_specular, diffuse_pdf)
        specular_weight = f_i * self.specular_reflectance.eval(si, active) / prob_specular
        diffuse_weight = self._diffuse(si, diffuse_wo, f_i, active) / diffuse_pdf
        valid = (si.wi.z > 0) & (pdf > 0)
        bs = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=dr.full(bk.Float, 1, dr.width(pdf)),
                          sampled_type=dr.select(specular, lobe(BSDFFlags.DeltaReflection),
                                                 lobe(BSDFFlags.DiffuseReflection)),
                          sampled_component=dr.select(specular, bk.UInt32(0), bk.UInt32(1)))
        return bs, dr.select(valid, dr.select(specular, specular_weight, diffuse_weight), 0)

"""``roughplastic``: a diffuse base under a rough dielectric coating.

The specular part is a rough dielectric's reflection (Walter et al. 2007,
eq. 20, as in ``roughconductor`` with the dielectric Fresnel term); the
diffuse part is that of ``plastic`` with the smooth coating's Fresnel
transmittances 1 - F replaced by the rough coating's: T(cos theta), the
fraction of light a rough interface lets through, integrated over its
visible facets (Weidlich and Wilkie 2007; Mitsuba 3's ``roughplastic``):

    f_diffuse = T(cos theta_i) T(cos theta_o) / eta^2 * rho / (pi (1 - F_dr))

T is tabulated at load (and after ``alpha`` or ``eta`` change) by Gauss-
Legendre quadrature over the visible normals at 64 angles and looked up
by linear interpolation; F_dr, the reflectance of the coating seen from
inside under diffuse light, is integrated the same way.

Both depend on ``alpha`` and ``eta``, so the diffuse lobe does too: a
rougher or denser coating lets less light through. The tables are built
from detached values, once per parameter change; before a render that
tracks derivatives of ``alpha`` or ``eta`` (:meth:`RoughPlastic.prepare_derivatives`)
each also gets its derivatives with respect to both (central differences
of the same quadrature), and ``eval`` reads T as the first-order expansion
T + dT/dalpha (alpha - alpha_0) + dT/deta (eta - eta_0) about the
tabulated point: the same value, with the derivatives that path replay
and finite differences see. (Mitsuba 3 differentiates only the specular
lobe with respect to these two.)

Parameters as in Mitsuba 3: ``distribution`` (beckmann), ``alpha`` (0.1,
one constant number: the tables depend on it), ``sample_visible``,
``diffuse_reflectance``, ``specular_reflectance``, ``nonlinear``,
``int_ior``, ``ext_ior``. Traversed ``alpha``, ``eta`` (both rebuild the
tables; differentiable through both lobes) and the reflectances. One-sided.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core import warp
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, lobe
from tutorial_kit.plugins.bsdfs.fresnel import fresnel, reflect, refract, usable_eta
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind
from tutorial_kit.plugins.bsdfs.microfacet import MicrofacetDistribution, read_roughness
from tutorial_kit.plugins.bsdfs.plastic import Coated
from tutorial_kit.core.registry import register

#: Angles at which the rough transmittance is tabulated (Mitsuba's MI_ROUGH_TRANSMITTANCE_RES).
TABLE_SIZE = 64


def rough_interface_albedo(distribution, cos_theta, eta, transmitted):
    """Fraction of light from cos_theta (NumPy array) that a rough interface
    reflects (``transmitted`` False) or transmits (True): Float, one value per angle.

    Integrates G1(wo, m) F (or 1 - F) over the visible-normal sampler's unit
    square with Gauss-Legendre quadrature; ``distribution`` must sample
    visible normals; ``eta``: Float.
    """
    nodes, weights = np.polynomial.legendre.leggauss(32 if float(dr.detach(eta)[0]) > 1 else 128)
    nx, ny = np.meshgrid(nodes, nodes, indexing='ij')
    wx, wy = np.meshgrid(weights, weights, indexing='ij')
    count, points = len(cos_theta), nx.size
    mu = np.repeat(np.maximum(cos_theta, 1e-6), points)
    wi = bk.Array3f(bk.Float(np.sqrt(1 - mu * mu).astype(np.float32)), dr.zeros(bk.Float, mu.size),
                    bk.Float(mu.astype(np.float32)))
    square = bk.Array2f(bk.Float(np.tile(nx.ravel() * 0.5 + 0.5, count).astype(np.float32)),
                        bk.Float(np.tile(ny.ravel() * 0.5 + 0.5, count).astype(np.float32)))
    m, _ = distribution.sample(wi, square)
    F, cos_theta_t, _, eta_ti = fresnel(dr.dot(wi, m), eta)
    if transmitted:
        wo = refract(wi, cos_theta_t, eta_ti, m)
        value = dr.select(wo.z * wi.z >= 0, 0, distribution.smith_g1(wo, m) * (1 - F))
    else:
        wo = reflect(wi, m)
        value = dr.select((wo.z <= 0) | (wi.z <= 0), 0, distribution.smith_g1(wo, m) * F)
    quadrature = bk.Float(np.tile((wx * wy).ravel() * 0.25, count).astype(np.float32))
    return dr.block_sum(value * quadrature, points)


def coating_terms(kind, alpha, eta):
    """The rough coating's transmittance T at TABLE_SIZE cosines from 0 to 1
    (Float) and its internal diffuse reflectance F_dr (Float of width 1), for
    roughness ``alpha`` and relative IOR ``eta`` (Floats, may carry derivatives)."""
    distribution = MicrofacetDistribution(kind, alpha)
    mu = np.linspace(0, 1, TABLE_SIZE)
    transmittance = rough_interface_albedo(distribution, mu, eta, transmitted=True)
    reflectance = rough_interface_albedo(distribution, mu, dr.rcp(eta), transmitted=False)
    # F_dr = 2 * integral of R(mu) mu dmu over [0, 1], by the mean over the table's angles.
    internal = 2 * dr.mean(reflectance * bk.Float(np.maximum(mu, 1e-6).astype(np.float32)))
    return transmittance, internal


def coating_slope(kind, alpha, eta, name):
    """(dT/dname, dF_dr/dname) of :func:`coating_terms` at ``alpha`` and ``eta``
    (numbers), ``name`` being 'alpha' or 'eta'.

    Central differences of the quadrature, with steps of 1 % of alpha and of
    eta - 1. Differentiating the quadrature itself would converge far more
    slowly than its value: F_dr's integrand has a square-root kink at the
    critical angle of total internal reflection, and the derivative's
    singularity there falls between fixed nodes (benchmarks/README.md,
    "Rough plastic's coating derivatives").
    """
    h = 0.01 * max(alpha, 0.01) if name == 'alpha' else 0.01 * abs(eta - 1)

    def terms(offset):
        moved = {'alpha': alpha, 'eta': eta}
        moved[name] += offset
        return coating_terms(kind, bk.Float(moved['alpha']), bk.Float(moved['eta']))
    (t_plus, i_plus), (t_minus, i_minus) = terms(h), terms(-h)
    return (t_plus - t_minus) / (2 * h), (i_plus - i_minus) / (2 * h)


@register('bsdf', 'roughplastic')
class RoughPlastic(BSDF, Coated):
    """See the module docstring."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.distribution, alpha, alpha_v, self.sample_visible = read_roughness(props, as_texture=False)
        if alpha_v is not None:
            raise props.error('alpha_u', 'roughplastic supports isotropic roughness only ("alpha")')
        self.alpha = dr.opaque(bk.Float, alpha)
        self.read_coating(props, must_differ=True)
        self.set_components(BSDFFlags.GlossyReflection | BSDFFlags.FrontSide,
                            BSDFFlags.DiffuseReflection | BSDFFlags.FrontSide)
        self.parameters_changed()

    def settings(self):
        return dict(distribution=self.distribution, sample_visible=self.sample_visible,
                    nonlinear=self.nonlinear)

    def eval_diffuse_reflectance(self, si, active=True):
        return self.diffuse_reflectance.eval(si, active)


    def traverse(self, callback):
        callback.put('diffuse_reflectance', self.diffuse_reflectance, ParamFlags.Differentiable)
        callback.put('alpha', self.alpha, ParamFlags.Differentiable, kind=ParamKind.FLOAT,
                     value_range=value_ranges.ROUGHNESS)
        callback.put('eta', self.eta, ParamFlags.Differentiable, kind=ParamKind.FLOAT,
                     value_range=value_ranges.IOR)
        if self.has_specular_reflectance:
            callback.put('specular_reflectance', self.specular_reflectance, ParamFlags.Differentiable)

    def parameters_changed(self, keys=None):
        """Tabulate the coating's transmittance T(mu) and its internal diffuse
        reflectance; their slopes wait for :meth:`prepare_derivatives`."""
        self.coating_values = coating_terms(self.distribution, bk.Float(dr.detach(self.alpha)),
                                            bk.Float(dr.detach(self.eta)))
        self.coating_slopes = {}        # computed ones only, by parameter name
        self._assemble_tables()

    def prepare_derivatives(self, attributes):
        """Add the tables' slopes with respect to those of alpha and eta whose
        derivatives are tracked (two quadratures each, once per value)."""
        missing = {'alpha', 'eta'} & set(attributes) - self.coating_slopes.keys()
        for name in missing:
            self.coating_slopes[name] = coating_slope(self.distribution, float(dr.detach(self.alpha)[0]),
                                                      float(dr.detach(self.eta)[0]), name)
        if missing:
            self._assemble_tables()

    def _assemble_tables(self):
        """``coating_table``: a flat Float holding (T, dT/dalpha, dT/deta) per angle
        (read with ``dr.gather(Array3f, ...)``); ``coating_internal``: the Array3f
        (F_dr, dF_dr/dalpha, dF_dr/deta). Slopes not computed are zero."""
        # Opaque zeros: the kernels stay the ones that read real slopes.
        zero = (dr.opaque(bk.Float, 0, TABLE_SIZE), dr.opaque(bk.Float, 0, 1))
        transmittance, internal = self.coating_values
        alpha, eta = (self.coating_slopes.get(name, zero) for name in ('alpha', 'eta'))
        self.coating_table = dr.ravel(bk.Array3f(transmittance, alpha[0], eta[0]))
        self.coating_internal = bk.Array3f(internal, alpha[1], eta[1])

    def _expansion(self, terms):
        """value + dvalue/dalpha (alpha - alpha_0) + dvalue/deta (eta - eta_0) for
        ``terms`` = (value, dvalue/dalpha, dvalue/deta): the tabulated value, with the
        derivatives of the parameters as they are now (zero offsets, but not zero gradients)."""
        return (terms.x + terms.y * (self.alpha - dr.detach(self.alpha))
                + terms.z * (self.eta - dr.detach(self.eta)))

    def _transmittance(self, cos_theta):
        """T(cos_theta) interpolated from the table (with derivatives)."""
        x = dr.clip(cos_theta, 0, 1) * (TABLE_SIZE - 1)
        index = dr.minimum(bk.UInt32(x), TABLE_SIZE - 2)
        v0 = dr.gather(bk.Array3f, self.coating_table, index)
        v1 = dr.gather(bk.Array3f, self.coating_table, index + 1)
        return self._expansion(dr.lerp(v0, v1, x - bk.Float(index)))

    def _internal_reflectance(self):
        """F_dr, the coating's reflectance seen from inside under diffuse light (with derivatives)."""
        return self._expansion(self.coating_internal)

    def _distribution(self):
        return MicrofacetDistribution(self.distribution, self.alpha, None, self.sample_visible)

    def _prob_specular(self, t_i):
        weight = self.specular_sampling_weight()
        specular = (1 - t_i) * weight
        return dr.detach(specular / (specular + t_i * (1 - weight)))

    def eval(self, ctx, si, wo, active=True):
        cos_theta_i, cos_theta_o = si.wi.z, wo.z
        front = (cos_theta_i > 0) & (cos_theta_o > 0)
        distribution = self._distribution()
        h = dr.normalize(wo + si.wi)
        F = fresnel(dr.dot(si.wi, h), self.eta)[0]
        specular = (F * distribution.eval(h) * distribution.G(si.wi, wo, h) / (4 * cos_theta_i)
                    * self.specular_reflectance.eval(si, active))
        diffuse = self.diffuse_base(si, self._internal_reflectance(), active) * (
            dr.inv_pi * cos_theta_o * self._transmittance(cos_theta_i) * self._transmittance(cos_theta_o)
            / dr.square(usable_eta(self.eta)))
        return dr.select(front, specular + diffuse, 0)

    def pdf(self, ctx, si, wo, active=True):
        front = (si.wi.z > 0) & (wo.z > 0)
        prob_specular = self._prob_specular(self._transmittance(si.wi.z))
        h = dr.normalize(wo + si.wi)
        specular = self._distribution().pdf(si.wi, h) / (4 * dr.abs(dr.dot(wo, h)))
        diffuse = warp.square_to_cosine_hemisphere_pdf(wo)
        pdf = prob_specular * specular + (1 - prob_specular) * diffuse
        return dr.select(front & (dr.dot(wo, h) > 0), pdf, 0)

    def sample(self, ctx, si, sample1, sample2, active=True):
        prob_specular = self._prob_specular(self._transmittance(si.wi.z))
        m, _ = self._distribution().sample(si.wi, sample2)
        specular = sample1 < prob_specular
        wo = dr.select(specular, reflect(si.wi, m), warp.square_to_cosine_hemisphere(sample2))
        pdf = self.pdf(ctx, si, wo, active)
        value = self.eval(ctx, si, wo, active)
        valid = (si.wi.z > 0) & (pdf > 0)
        width = dr.width(pdf)
        bs = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=dr.full(bk.Float, 1, width),
                          sampled_type=dr.select(specular, lobe(BSDFFlags.GlossyReflection),
                                                 lobe(BSDFFlags.DiffuseReflection)),
                          sampled_component=dr.select(specular, bk.UInt32(0), bk.UInt32(1)))
        return bs, dr.select(valid, value / dr.select(valid, pdf, 1), 0)

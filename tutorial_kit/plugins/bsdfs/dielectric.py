"""``dielectric``: a smooth interface between two transparent media, such as glass.

Light meeting the interface is reflected with probability F, the Fresnel
reflectance, and refracted by Snell's law otherwise (PBR 4th ed., sec.
9.3 and 9.5). Both are Dirac lobes: ``eval`` and ``pdf`` are zero and
``sample`` chooses one in proportion to its energy, so the weight is 1
(times ``specular_reflectance`` or ``specular_transmittance``), except that
radiance crossing into a denser medium is compressed into a smaller solid
angle: the refracted weight is multiplied by (n_i / n_t)^2 for radiance (Veach 1997,
sec. 5.2); light paths (``TransportMode.Importance``) carry no such factor.

Unlike the opaque BSDFs, it is two-sided: light arriving from inside
(``si.wi.z < 0``) sees the inverse relative index. ``int_ior`` (default
``bk7``) and ``ext_ior`` (default ``air``) are numbers or names (see
:mod:`tutorial_kit.plugins.bsdfs.ior`); ``eta`` = int_ior / ext_ior is the
traversed parameter (differentiable: through path replay, its derivative
reaches the Fresnel weights, not the bent directions).

In a polarised variant the weight of ``dielectric`` is the Mueller matrix of
the reflection or refraction (:func:`~tutorial_kit.core.mueller.specular_reflection`,
:func:`~tutorial_kit.core.mueller.specular_transmission`) over the lobe's
probability: glass reflects s-polarised light more than p, and nothing of p
at Brewster's angle.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core import value_ranges
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, TransportMode, lobe
from tutorial_kit.plugins.bsdfs.fresnel import fresnel, reflect, refract
from tutorial_kit.plugins.bsdfs.ior import read_relative_ior
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import texture
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


class SpecularTints:
    """The optional ``specular_reflectance`` and ``specular_transmittance`` textures
    of the dielectrics (default 1; traversed only when given, as in Mitsuba)."""

    def read_tints(self, props, transmittance=True):
        names = ('specular_reflectance', 'specular_transmittance') if transmittance \
            else ('specular_reflectance',)
        self.tints = {name: texture(props, name, 1.0) for name in names if name in props}

    def traverse_tints(self, callback):
        for name, tint in self.tints.items():
            callback.put(name, tint, ParamFlags.Differentiable)

    def tint(self, name, si, active):
        """The tint ``name`` at ``si`` (Color3f; 1 when not given)."""
        return self.tints[name].eval(si, active) if name in self.tints else bk.Color3f(1.0)


class SmoothInterface(BSDF, SpecularTints):
    """What the smooth dielectrics share: a relative IOR ``eta`` (traversed,
    differentiable), the optional tints, and only Dirac lobes (``eval`` and
    ``pdf`` are zero everywhere)."""

    #: The second lobe: refraction (``dielectric``) or straight passage (``thindielectric``).
    TRANSMISSION = BSDFFlags.DeltaTransmission

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.eta = dr.opaque(bk.Float, read_relative_ior(props, 'bk7', 'air'))
        self.read_tints(props)
        sides = BSDFFlags.FrontSide | BSDFFlags.BackSide
        self.set_components(BSDFFlags.DeltaReflection | sides, self.TRANSMISSION | sides)

    def sampled_lobe(self, reflected):
        """``(sampled_type, sampled_component)`` (UInt32 each) of the lobe chosen where ``reflected``."""
        return (dr.select(reflected, lobe(BSDFFlags.DeltaReflection), lobe(self.TRANSMISSION)),
                dr.select(reflected, bk.UInt32(0), bk.UInt32(1)))

    def traverse(self, callback):
        callback.put('eta', self.eta, ParamFlags.Differentiable, kind=ParamKind.FLOAT,
                     value_range=value_ranges.IOR)
        self.traverse_tints(callback)

    def eval(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Color3f, dr.width(wo))

    def pdf(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Float, dr.width(wo))


@register('bsdf', 'dielectric')
class SmoothDielectric(SmoothInterface):
    """``int_ior``, ``ext_ior``, ``specular_reflectance``, ``specular_transmittance``."""

    def sample(self, ctx, si, sample1, sample2, active=True):
        r_i, cos_theta_t, eta_it, eta_ti = fresnel(si.wi.z, self.eta)
        t_i = 1 - r_i
        reflected = sample1 <= dr.detach(r_i)
        # The lobe is chosen with probability F (or 1 - F); that choice is not
        # differentiated, the weight F / detach(F) is.
        pdf = dr.detach(dr.select(reflected, r_i, t_i))
        wo = dr.select(reflected, reflect(si.wi), refract(si.wi, cos_theta_t, eta_ti))
        # Radiance is compressed into a narrower cone on entering a denser medium:
        # it gains eta^2 (Veach 1997, sec. 5.2). Importance (light paths) does not.
        compression = dr.square(eta_ti) if ctx.mode == TransportMode.Radiance else 1.0
        weight = dr.select(reflected, r_i * self.tint('specular_reflectance', si, active),
                           t_i * compression * self.tint('specular_transmittance', si, active))
        valid = pdf > 0
        width = dr.width(pdf)
        sampled_type, sampled_component = self.sampled_lobe(reflected)
        bs = BSDFSample3f(wo=wo, pdf=dr.select(valid, pdf, 0), eta=dr.select(reflected, 1, eta_it),
                          sampled_type=sampled_type, sampled_component=sampled_component)
        return bs, dr.select(valid, weight / dr.select(valid, pdf, 1), 0)

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        bs, _ = self.sample(ctx, si, sample1, sample2, active)
        reflected = bs.sampled_component == 0
        wo_hat, wi_hat = mueller.light_directions(ctx.mode == TransportMode.Radiance, si.wi, bs.wo)
        cos_theta = bk.Color3f(wo_hat.z)
        eta = bk.Color3f(self.eta)
        M = dr.select(reflected, mueller.specular_reflection(cos_theta, eta),
                      mueller.specular_transmission(cos_theta, eta))
        M = mueller.from_plane_of_incidence(M, wo_hat, wi_hat)
        eta_ti = fresnel(si.wi.z, self.eta)[3]
        compression = dr.square(eta_ti) if ctx.mode == TransportMode.Radiance else 1.0
        tint = dr.select(reflected, self.tint('specular_reflectance', si, active),
                         compression * self.tint('specular_transmittance', si, active))
        M = mueller.scaled(M, tint / dr.select(bs.pdf > 0, bs.pdf, 1))
        return bs, dr.select(bs.pdf > 0, M, 0)

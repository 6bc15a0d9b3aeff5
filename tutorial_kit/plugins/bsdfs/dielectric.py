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
"""
import drjit as dr

from tutorial_kit.core import backend as bk
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

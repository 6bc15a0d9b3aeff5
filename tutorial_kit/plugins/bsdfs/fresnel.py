"""Fresnel equations: how much light a smooth interface reflects, and where the rest goes.

Light meeting the boundary between two media is split into a reflected and
a refracted part (Born and Wolf, *Principles of Optics*, sec. 1.5; PBR 4th
ed., sec. 9.3). For unpolarised light the reflected fraction is the mean
of the s- and p-polarised amplitudes squared. Directions are local (the
normal is +z); ``eta`` is the relative index of refraction interior /
exterior. These follow Mitsuba 3's ``fresnel.h`` term by term.
"""
import drjit as dr

from tutorial_kit.core import backend as bk

#: The relative indices of refraction the formulas see. Beyond 1e4 (or below
#: 1e-4) an interface reflects all but 4e-4 of the light at normal incidence,
#: ((eta - 1) / (eta + 1))^2, while the squares and reciprocals of eta in the
#: formulas and in their derivatives overflow 32-bit floats (at eta = 1e-30,
#: the derivative of 1 / eta^2 is -2e90: infinite). The parameter keeps its
#: value; its derivative is zero beyond the bounds.
ETA_BOUNDS = (1e-4, 1e4)

#: The largest eta and k of a conductor the formula sees: at |eta + i k| = 1e4
#: it reflects all but 4e-4 of the light, and the fourth powers of eta and k
#: it takes stay finite in 32-bit floats (k = 1e15 gives NaN through inf - inf).
CONDUCTOR_BOUND = 1e4


def usable_eta(eta):
    """``eta`` clipped to :data:`ETA_BOUNDS`, for formulas that square or invert it."""
    return dr.clip(eta, *ETA_BOUNDS)


def fresnel(cos_theta_i, eta):
    """Unpolarised Fresnel reflectance of a dielectric interface.

    ``cos_theta_i``: Float, cosine of the incident direction with the normal;
    negative when light arrives from inside (then eta is inverted).
    ``eta``: Float, interior over exterior index of refraction.

    Returns ``(F, cos_theta_t, eta_it, eta_ti)``: the reflectance, the
    cosine of the refracted direction (signed: opposite to ``cos_theta_i``;
    0 under total internal reflection, where F = 1), and the relative
    indices seen from the incident side: ``eta_it`` = n_t / n_i and
    ``eta_ti`` = n_i / n_t.
    """
    eta = usable_eta(eta)
    outside = cos_theta_i >= 0
    rcp_eta = dr.rcp(eta)
    eta_it = dr.select(outside, eta, rcp_eta)
    eta_ti = dr.select(outside, rcp_eta, eta)
    # Snell's law: sin_t = eta_ti sin_i, so cos_t^2 = 1 - eta_ti^2 (1 - cos_i^2).
    cos_theta_t_sqr = 1 - dr.square(eta_ti) * (1 - dr.square(cos_theta_i))
    cos_i = dr.abs(cos_theta_i)
    cos_t = dr.safe_sqrt(cos_theta_t_sqr)
    # Amplitude ratios for light polarised perpendicular (s) and parallel (p) to the plane of incidence.
    a_s = (cos_i - eta_it * cos_t) / (cos_i + eta_it * cos_t)
    a_p = (cos_t - eta_it * cos_i) / (cos_t + eta_it * cos_i)
    r = 0.5 * (dr.square(a_s) + dr.square(a_p))
    index_matched = eta == 1
    r = dr.select(index_matched, 0, dr.select(cos_i == 0, 1, r))
    return r, dr.select(outside, -cos_t, cos_t), eta_it, eta_ti


def fresnel_conductor(cos_theta_i, eta, k):
    """Unpolarised Fresnel reflectance of a conductor with complex IOR eta + i k.

    ``cos_theta_i``: Float (>= 0); ``eta``, ``k``: Color3f (or Float).
    The exact expression for absorbing media (PBR 4th ed., sec. 9.3.6);
    eta and k beyond :data:`CONDUCTOR_BOUND` are taken at the bound.
    """
    eta, k = dr.clip(eta, 0, CONDUCTOR_BOUND), dr.clip(k, 0, CONDUCTOR_BOUND)
    cos_2 = dr.square(cos_theta_i)
    sin_2 = 1 - cos_2
    sin_4 = dr.square(sin_2)
    temp_1 = dr.square(eta) - dr.square(k) - sin_2
    a_2_pb_2 = dr.safe_sqrt(dr.square(temp_1) + 4 * dr.square(k) * dr.square(eta))
    a = dr.safe_sqrt(0.5 * (a_2_pb_2 + temp_1))
    term_1 = a_2_pb_2 + cos_2
    term_2 = 2 * cos_theta_i * a
    r_s = (term_1 - term_2) / (term_1 + term_2)
    term_3 = a_2_pb_2 * cos_2 + sin_4
    term_4 = term_2 * sin_2
    r_p = r_s * (term_3 - term_4) / (term_3 + term_4)
    return 0.5 * (r_s + r_p)


def fresnel_diffuse_reflectance(eta):
    """The hemispherical mean of the Fresnel reflectance seen from inside a
    medium of relative IOR ``eta`` under diffuse light (Float).

    Fits by Egan and Hilgeman (1973) for eta < 1 and d'Eon and Irving (2011)
    otherwise, as Mitsuba 3 chooses them.
    """
    eta = usable_eta(eta)
    inv_eta = dr.rcp(eta)
    egan_hilgeman = 0.0636 * inv_eta + (eta * (-1.4399 * eta + 0.7099) + 0.6681)
    d_eon_irving = 0
    for coefficient in (-1.36881, 4.98554, -7.80989, 6.75335, -3.4793, 0.919317):
        d_eon_irving = d_eon_irving * inv_eta + coefficient      # Horner's scheme
    return dr.select(eta < 1, egan_hilgeman, d_eon_irving)


def reflect(wi, m=None):
    """Mirror direction of local ``wi`` about the normal +z, or about the unit vector ``m``."""
    if m is None:
        return bk.Array3f(-wi.x, -wi.y, wi.z)
    return 2 * dr.dot(wi, m) * m - wi


def refract(wi, cos_theta_t, eta_ti, m=None):
    """Refracted direction of ``wi`` through the normal +z (or the unit vector ``m``),
    given ``cos_theta_t`` and ``eta_ti`` from :func:`fresnel`."""
    if m is None:
        return bk.Array3f(-eta_ti * wi.x, -eta_ti * wi.y, cos_theta_t)
    return m * (dr.dot(wi, m) * eta_ti + cos_theta_t) - wi * eta_ti

"""The Fresnel equations for polarised light: complex amplitudes of the s and p waves.

A plane wave meeting a smooth interface is split into a reflected and a
transmitted wave, and the two linear polarisations are treated differently:
``s`` (the electric field perpendicular to the plane of incidence) and ``p``
(parallel to it). Their reflected amplitudes ``a_s`` and ``a_p`` are
complex: the magnitude says how much is reflected, the argument the phase
shift, which is what turns linear into elliptical polarisation at a metal
or under total internal reflection (Born and Wolf, *Principles of Optics*,
sec. 1.5.2; Collett, *Polarized Light*, ch. 8). The sign of ``a_p`` follows
the Verdet convention, as Mitsuba 3's ``fresnel_polarized`` does, so that
the Mueller matrices built from it (:mod:`tutorial_kit.core.mueller`) are
Mitsuba 3's.

Complex numbers are pairs ``(re, im)`` of arrays of one type: Float, or
Color3f when each colour channel has its own index of refraction. Directions
are local (the normal is +z); ``cos_theta_i`` is negative for light arriving
from inside, and then the interface is seen with the inverse index.
"""
import drjit as dr


# -- complex arithmetic on (re, im) pairs ---------------------------------------------------

def c_add(a, b):
    return a[0] + b[0], a[1] + b[1]


def c_sub(a, b):
    return a[0] - b[0], a[1] - b[1]


def c_mul(a, b):
    return a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]


def c_div(a, b):
    scale = dr.rcp(b[0] * b[0] + b[1] * b[1])
    return (a[0] * b[0] + a[1] * b[1]) * scale, (a[1] * b[0] - a[0] * b[1]) * scale


def c_sqrt(a):
    """Principal square root (non-negative real part)."""
    modulus = dr.sqrt(a[0] * a[0] + a[1] * a[1])
    re = dr.sqrt(dr.maximum(0.5 * (modulus + a[0]), 0))
    im = dr.sqrt(dr.maximum(0.5 * (modulus - a[0]), 0))
    return re, dr.select(a[1] < 0, -im, im)


def c_norm2(a):
    """|a|^2."""
    return a[0] * a[0] + a[1] * a[1]


def sincos_arg_diff(a, b):
    """``(sin, cos)`` of arg(a) - arg(b), from a conj(b) / (|a| |b|)."""
    product = c_mul(a, (b[0], -b[1]))
    scale = dr.rsqrt(c_norm2(a) * c_norm2(b))
    return product[1] * scale, product[0] * scale


# -- the amplitudes -------------------------------------------------------------------------

def fresnel_polarized(cos_theta_i, eta, k=0.0):
    """Reflected amplitudes of the s and p waves at an interface of relative index ``eta + i k``.

    ``cos_theta_i``: the cosine of the incident direction with the normal (a
    Float or Color3f); ``eta``, ``k``: the real and imaginary parts of the
    interior over exterior index (``k`` = 0 for a dielectric), of the same type
    or plain numbers.

    Returns ``(a_s, a_p, cos_theta_t, eta_it, eta_ti)``: the complex
    amplitudes (pairs), the signed cosine of the transmitted direction (0
    under total internal reflection), and the relative indices (pairs) along
    and against the direction of travel.
    """
    value = type(cos_theta_i)
    # The formulas take the extinction coefficient as negative (a wave exp(i(kx - wt))).
    eta = (value(eta), -dr.abs(value(k)))
    outside = cos_theta_i >= 0
    rcp_eta = c_div((value(1), value(0)), eta)
    eta_it = tuple(dr.select(outside, e, r) for e, r in zip(eta, rcp_eta))
    eta_ti = tuple(dr.select(outside, r, e) for e, r in zip(eta, rcp_eta))

    # Snell's law: cos^2 theta_t = 1 - eta_ti^2 sin^2 theta_i, complex for metals and
    # negative under total internal reflection.
    sin2_i = dr.fma(-cos_theta_i, cos_theta_i, 1)
    eta_ti2 = c_mul(eta_ti, eta_ti)
    cos_t_sqr = (1 - eta_ti2[0] * sin2_i, -eta_ti2[1] * sin2_i)
    cos_t = c_sqrt(cos_t_sqr)
    # The root whose imaginary part is not positive: the transmitted wave decays
    # (Clarke, *Stellar Polarimetry*, app. A.2); it sets the sign of the phase shifts.
    cos_t = (cos_t[0], -dr.abs(cos_t[1]))

    cos_i = (dr.abs(cos_theta_i), value(0))
    eta_cos_t = c_mul(eta_it, cos_t)
    a_s = c_div(c_sub(cos_i, eta_cos_t), c_add(cos_i, eta_cos_t))
    eta_cos_i = c_mul(eta_it, cos_i)
    a_p = c_div(c_sub(eta_cos_i, cos_t), c_add(eta_cos_i, cos_t))

    # An index-matched interface reflects nothing; eta = 0 is no interface at all.
    norm2 = c_norm2(eta)
    nothing = ((norm2 == 1) & (eta[1] == 0)) | (norm2 == 0)
    a_s = tuple(dr.select(nothing, 0, part) for part in a_s)
    a_p = tuple(dr.select(nothing, 0, part) for part in a_p)

    cos_theta_t = dr.select(cos_t_sqr[0] >= 0, dr.select(cos_theta_i >= 0, -cos_t[0], cos_t[0]), 0)
    return a_s, a_p, cos_theta_t, eta_it, eta_ti

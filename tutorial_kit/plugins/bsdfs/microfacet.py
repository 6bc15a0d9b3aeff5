"""Microfacet distributions: rough surfaces as many tiny mirrors.

A rough surface is modelled as a field of microscopic mirror facets whose
normals m follow a distribution D(m) (Walter, Marschner, Li and Torrance,
"Microfacet Models for Refraction through Rough Surfaces", EGSR 2007;
equation numbers below refer to it). Light reflected or refracted by the
surface is the light the facets oriented just right send on, less what
neighbouring facets block, the shadowing-masking term G.

Two distributions, both with roughness alpha (alpha_u, alpha_v along the
shading frame's s and t axes for anisotropic ones):

- ``beckmann``: D(m) = exp(-tan^2(theta_m) / alpha^2) / (pi alpha^2 cos^4(theta_m))  (eq. 25)
- ``ggx``: D(m) = 1 / (pi alpha^2 cos^4(theta_m) (1 + tan^2(theta_m) / alpha^2)^2)   (eq. 33)

Sampling draws facet normals in proportion to D(m) cos(theta_m) (eqs. 28,
35), or, with ``sample_visible``, in proportion to the facets *visible*
from wi, D_wi(m) = G1(wi, m) max(0, wi.m) D(m) / cos(theta_i) (Heitz and
d'Eon, "Importance Sampling Microfacet-Based BSDFs using the Distribution
of Visible Normals", EGSR 2014; Heitz, "Sampling the GGX Distribution of
Visible Normals", JCGT 2018), which wastes far fewer samples. The code
follows Mitsuba 3's ``microfacet.h``.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import warp
from tutorial_kit.core import value_ranges

DISTRIBUTIONS = ('beckmann', 'ggx')

#: The roughness range the formulas see. Below 1e-4 the facets would be a
#: mirror that the densities cannot represent (Mitsuba 3 clamps the same);
#: above MAX_ALPHA almost every facet is seen edge-on, the surface reflects
#: almost nothing (the shadowing falls as 1 / alpha), and sampled normals
#: with cos(theta_m) ~ 1 / alpha would make D(m) = ... / cos^4(theta_m)
#: overflow 32-bit floats (alpha = 1e10 gave NaN images).
MIN_ALPHA, MAX_ALPHA = 1e-4, 1e3


class MicrofacetDistribution:
    """``kind``: 'beckmann' or 'ggx'; ``alpha_u``, ``alpha_v``: Float roughness (clamped
    to [MIN_ALPHA, MAX_ALPHA]); ``sample_visible``: bool."""

    def __init__(self, kind, alpha_u, alpha_v=None, sample_visible=True):
        assert kind in DISTRIBUTIONS, kind
        self.kind = kind
        self.alpha_u = dr.clip(alpha_u, MIN_ALPHA, MAX_ALPHA)
        self.alpha_v = self.alpha_u if alpha_v is None else dr.clip(alpha_v, MIN_ALPHA, MAX_ALPHA)
        self.sample_visible = sample_visible

    def scaled(self, factor):
        """The same distribution with both roughnesses multiplied by ``factor``."""
        return MicrofacetDistribution(self.kind, self.alpha_u * factor, self.alpha_v * factor,
                                      self.sample_visible)

    def eval(self, m):
        """D(m): facet normal density per unit projected area and solid angle (Float)."""
        cos_theta_2 = dr.square(m.z)
        slope_2 = dr.square(m.x / self.alpha_u) + dr.square(m.y / self.alpha_v)
        if self.kind == 'beckmann':
            result = dr.exp(-slope_2 / cos_theta_2) / (
                dr.pi * self.alpha_u * self.alpha_v * dr.square(cos_theta_2))
        else:
            result = dr.rcp(dr.pi * self.alpha_u * self.alpha_v * dr.square(slope_2 + cos_theta_2))
        return dr.select(result * m.z > 1e-20, result, 0)

    def smith_g1(self, v, m):
        """G1(v, m): the fraction of facets with normal m visible from direction v.

        With a = 1 / (alpha tan(theta_v)), Beckmann gives
        G1 = 2 / (1 + erf(a) + exp(-a^2) / (a sqrt(pi))) (eq. 27) and GGX
        G1 = 2 / (1 + sqrt(1 + alpha^2 tan^2(theta_v))) (eq. 34).
        Zero where v sees the back of the facet.
        """
        xy_alpha_2 = dr.square(self.alpha_u * v.x) + dr.square(self.alpha_v * v.y)
        tan_theta_alpha_2 = xy_alpha_2 / dr.square(v.z)       # = 1 / a^2
        if self.kind == 'beckmann':
            a = dr.rsqrt(tan_theta_alpha_2)
            result = 2 / (1 + dr.erf(a) + dr.exp(-dr.square(a)) / (a * dr.sqrt(dr.pi)))
        else:
            result = 2 / (1 + dr.sqrt(1 + tan_theta_alpha_2))
        result = dr.select(xy_alpha_2 == 0, 1, result)
        return dr.select(dr.dot(v, m) * v.z <= 0, 0, result)

    def G(self, wi, wo, m):
        """Shadowing and masking, separable form G1(wi, m) G1(wo, m) (eq. 23)."""
        return self.smith_g1(wi, m) * self.smith_g1(wo, m)

    def pdf(self, wi, m):
        """Density (per solid angle of m) with which :meth:`sample` returns ``m``."""
        if self.sample_visible:
            return self.eval(m) * self.smith_g1(wi, m) * dr.abs(dr.dot(wi, m)) / wi.z
        return self.eval(m) * m.z

    def sample(self, wi, sample):
        """A facet normal for local ``wi`` (wi.z > 0) from ``sample`` (Array2f in [0, 1)^2).

        Returns ``(m, pdf)``: unit Array3f and its density (see :meth:`pdf`).
        """
        if not self.sample_visible:
            return self._sample_all(sample)
        # Stretch wi so that the distribution becomes the isotropic one with alpha = 1,
        # sample slopes there, and unstretch (Heitz and d'Eon 2014, sec. 5.1).
        wi_p = dr.normalize(bk.Array3f(self.alpha_u * wi.x, self.alpha_v * wi.y, wi.z))
        sin_theta = dr.safe_sqrt(1 - dr.square(wi_p.z))
        safe = dr.select(sin_theta > 0, sin_theta, 1)
        cos_phi = dr.select(sin_theta > 0, wi_p.x / safe, 1)
        sin_phi = dr.select(sin_theta > 0, wi_p.y / safe, 0)
        slope = self._sample_visible_11(wi_p.z, sample)
        slope_x = (cos_phi * slope.x - sin_phi * slope.y) * self.alpha_u
        slope_y = (sin_phi * slope.x + cos_phi * slope.y) * self.alpha_v
        m = dr.normalize(bk.Array3f(-slope_x, -slope_y, 1))
        return m, self.pdf(wi, m)

    def _sample_all(self, sample):
        """Normals with density D(m) cos(theta_m) (Walter et al. eqs. 28, 35)."""
        phi = 2 * dr.pi * sample.y
        if self.alpha_u is self.alpha_v:
            sin_phi, cos_phi = dr.sincos(phi)
            alpha_2 = dr.square(self.alpha_u)
        else:
            # Anisotropic: phi follows tan(phi) = alpha_v / alpha_u tan(2 pi xi).
            tmp = self.alpha_v / self.alpha_u * dr.tan(phi)
            cos_phi = dr.rsqrt(tmp * tmp + 1)
            cos_phi = dr.mulsign(cos_phi, dr.abs(sample.y - 0.5) - 0.25)
            sin_phi = cos_phi * tmp
            alpha_2 = dr.rcp(dr.square(cos_phi / self.alpha_u) + dr.square(sin_phi / self.alpha_v))
        if self.kind == 'beckmann':
            tan_theta_2 = -alpha_2 * dr.log(1 - sample.x)
        else:
            tan_theta_2 = alpha_2 * sample.x / (1 - sample.x)
        cos_theta = dr.rsqrt(1 + tan_theta_2)
        sin_theta = dr.safe_sqrt(1 - dr.square(cos_theta))
        m = bk.Array3f(cos_phi * sin_theta, sin_phi * sin_theta, cos_theta)
        return m, self.eval(m) * m.z

    def _sample_visible_11(self, cos_theta_i, sample):
        """Slopes (Array2f) of visible normals of the alpha = 1 distribution seen at cos_theta_i."""
        if self.kind == 'ggx':
            # Heitz 2018: a uniform disk point, squeezed onto the visible half-disk,
            # projected onto the hemisphere and turned into a slope.
            p = warp.square_to_uniform_disk_concentric(sample)
            s = 0.5 * (1 + cos_theta_i)
            py = dr.lerp(dr.safe_sqrt(1 - dr.square(p.x)), p.y, s)
            z = dr.safe_sqrt(1 - dr.square(p.x) - dr.square(py))
            sin_theta_i = dr.safe_sqrt(1 - dr.square(cos_theta_i))
            norm = dr.rcp(sin_theta_i * py + cos_theta_i * z)
            return bk.Array2f((cos_theta_i * py - sin_theta_i * z) * norm, p.x * norm)
        # Beckmann: invert the slope CDF numerically in the erf domain (Jakob,
        # "An Improved Visible Normal Sampling Routine for the Beckmann Distribution", 2014).
        tan_theta_i = dr.safe_sqrt(1 - dr.square(cos_theta_i)) / cos_theta_i
        cot_theta_i = dr.rcp(tan_theta_i)
        maxval = dr.erf(cot_theta_i)
        u = dr.clip(sample.x, 1e-6, 1 - 1e-6)
        v = dr.clip(sample.y, 1e-6, 1 - 1e-6)
        x = maxval - (maxval + 1) * dr.erf(dr.sqrt(-dr.log(u)))     # initial guess
        u = u * (1 + maxval + tan_theta_i * dr.exp(-dr.square(cot_theta_i)) / dr.sqrt(dr.pi))
        for _ in range(3):                                          # Newton steps
            slope = dr.erfinv(x)
            value = 1 + x + tan_theta_i * dr.exp(-dr.square(slope)) / dr.sqrt(dr.pi) - u
            derivative = 1 - slope * tan_theta_i
            x = x - value / derivative
        return bk.Array2f(dr.erfinv(x), dr.erfinv(2 * v - 1))


def read_roughness(props, as_texture=True):
    """The ``distribution``, roughness and ``sample_visible`` parameters of a rough BSDF.

    ``alpha`` (default 0.1) or both ``alpha_u`` and ``alpha_v``, as textures
    (``as_texture``) or as constant numbers. Returns ``(kind, alpha_u,
    alpha_v, sample_visible)``, ``alpha_v`` None when isotropic. Raises a
    PluginError naming file and line for an unknown distribution, a
    negative roughness or a mix of ``alpha`` and ``alpha_u``/``alpha_v``.
    """
    from tutorial_kit.renderer.texture import constant_float, texture

    kind = props.string('distribution', 'beckmann').lower()
    if kind not in DISTRIBUTIONS:
        raise props.error('distribution', f'unknown microfacet distribution "{kind}" '
                                          f'(expected {" or ".join(DISTRIBUTIONS)})')
    anisotropic = 'alpha_u' in props or 'alpha_v' in props
    if anisotropic and 'alpha' in props:
        raise props.error('alpha', 'give either "alpha" or "alpha_u" and "alpha_v", not both')
    if anisotropic and not ('alpha_u' in props and 'alpha_v' in props):
        raise props.error('alpha_u' if 'alpha_u' in props else 'alpha_v',
                          'both "alpha_u" and "alpha_v" must be given')
    names = ('alpha_u', 'alpha_v') if anisotropic else ('alpha',)
    read = (lambda name: texture(props, name, 0.1, value_range=value_ranges.ROUGHNESS)) if as_texture \
        else (lambda name: constant_float(props, name, 0.1))
    values = [read(name) for name in names]
    for name, value in zip(names, values):
        number = value if not as_texture else (value.mean()[0] if value.is_constant else 0)
        if float(number) < 0:
            raise props.error(name, f'the roughness "{name}" must not be negative, got {float(number):g}')
        if not as_texture and not value_ranges.ROUGHNESS.contains(float(number)):
            # (a texture was checked against the range as it was read)
            raise props.error(name, f'"{name}" {value_ranges.ROUGHNESS.refusal(float(number))}')
    return kind, values[0], values[1] if anisotropic else None, props.bool('sample_visible', True)

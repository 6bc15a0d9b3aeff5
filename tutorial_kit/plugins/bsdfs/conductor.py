"""``conductor``: a smooth metal, a perfect mirror tinted by the Fresnel equations.

A polished conductor reflects all light into the mirror direction, with
the Fresnel reflectance of its complex index of refraction eta + i k
(PBR 4th ed., sec. 9.2 and 9.3.6). The reflection is a Dirac delta: ``eval``
and ``pdf`` are zero, and ``sample`` returns the mirror direction with
weight F(cos theta_i) times ``specular_reflectance``.

Parameters, as in Mitsuba 3: ``material`` (a preset name such as ``Au``,
``Cu``, ``Al``, ``Ag``; default ``none``, an ideal mirror with eta = 0,
k = 1), or ``eta`` and ``k`` given directly (textures: numbers, ``<rgb>``
or ``<spectrum>``); ``specular_reflectance`` (default 1) scales the result
and is physically meaningless but handy. Traverse names ``eta.value``,
``k.value``, ``specular_reflectance.value``. One-sided: no light leaves the back.

In a polarised variant the weight is the Mueller matrix of the reflection
(:func:`~tutorial_kit.core.mueller.specular_reflection`): a metal turns
linear into elliptical polarisation, since its s and p waves are reflected
with different phases.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, TransportMode, lobe
from tutorial_kit.plugins.bsdfs.fresnel import fresnel_conductor, reflect
from tutorial_kit.plugins.bsdfs.ior import conductor_presets, conductor_rgb
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import texture
from tutorial_kit.plugins.textures.srgb import constant_color
from tutorial_kit.renderer.traversal import ParamFlags


def read_complex_ior(props):
    """``(eta, k)`` textures from ``material`` or from ``eta`` and ``k``, as Mitsuba 3 reads them."""
    material = props.string('material', 'none')
    if 'eta' in props or material == 'none':
        if 'eta' in props and 'material' in props and material != 'none':
            raise props.error('material', 'give either "material" or "eta" and "k", not both')
        return (texture(props, 'eta', 0.0, unbounded=True),
                texture(props, 'k', 1.0, unbounded=True))
    if material not in conductor_presets():
        raise props.error('material', f'unknown conductor material "{material}"; known: '
                                      f'{", ".join(conductor_presets())}')
    eta, k = conductor_rgb(material)
    return constant_color(eta, unbounded=True), constant_color(k, unbounded=True)


@register('bsdf', 'conductor')
class SmoothConductor(BSDF):
    """``material`` or ``eta``/``k``; ``specular_reflectance``."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.eta, self.k = read_complex_ior(props)
        self.specular_reflectance = texture(props, 'specular_reflectance', 1.0)
        self.set_components(BSDFFlags.DeltaReflection | BSDFFlags.FrontSide)

    def traverse(self, callback):
        callback.put('eta', self.eta, ParamFlags.Differentiable)
        callback.put('k', self.k, ParamFlags.Differentiable)
        callback.put('specular_reflectance', self.specular_reflectance, ParamFlags.Differentiable)

    def eval(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Color3f, dr.width(wo))

    def pdf(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Float, dr.width(wo))

    def sample(self, ctx, si, sample1, sample2, active=True):
        cos_theta_i = si.wi.z
        valid = cos_theta_i > 0
        width = dr.width(cos_theta_i)
        reflectance = fresnel_conductor(cos_theta_i, self.eta.eval(si, active), self.k.eval(si, active))
        weight = reflectance * self.specular_reflectance.eval(si, active)
        bs = BSDFSample3f(wo=reflect(si.wi), pdf=dr.select(valid, 1, dr.zeros(bk.Float, width)),
                          eta=dr.full(bk.Float, 1, width), sampled_type=lobe(BSDFFlags.DeltaReflection),
                          sampled_component=0)
        return bs, dr.select(valid, weight, 0)

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        bs, weight = self.sample(ctx, si, sample1, sample2, active)
        wo_hat, wi_hat = mueller.light_directions(ctx.mode == TransportMode.Radiance, si.wi, bs.wo)
        M = mueller.specular_reflection(bk.Color3f(wo_hat.z), self.eta.eval(si, active), self.k.eval(si, active))
        M = mueller.from_plane_of_incidence(M, wo_hat, wi_hat)
        M = mueller.scaled(M, self.specular_reflectance.eval(si, active))
        return bs, dr.select(bs.pdf > 0, M, 0)

"""BSDFs: how surfaces scatter light.

A BSDF works in the local shading frame (``z`` = cosine to the normal) and
offers the three things the path tracer needs:

- ``eval(si, wo)``: f(wi, wo) * cos(theta_o), the reflected radiance per unit
  incident radiance and solid angle (RGB, 1/sr),
- ``pdf(si, wo)``: the density with which ``sample`` would choose ``wo`` (1/sr),
- ``sample(si, sample2)``: a direction ``wo``, its density and the weight
  ``eval / pdf``.

Like Mitsuba's, these BSDFs are one-sided: light arriving from the back of a
surface is absorbed. Wrap one in ``twosided`` to change that.
"""
import drjit as dr

from . import backend as bk
from . import warp
from .plugins import register


class BSDF:
    """Base class: every BSDF answers eval, pdf and sample for local directions."""


@register('bsdf', 'diffuse')
class Diffuse(BSDF):
    """The ideal diffuse (Lambertian) reflector: f = reflectance / pi.

    ``reflectance`` is a Color3f of width 1 (linear RGB albedo in [0, 1]).
    """

    def __init__(self, props):
        self.reflectance = bk.color3f(props.color("reflectance", 0.5))

    @classmethod
    def with_reflectance(cls, value):
        bsdf = cls.__new__(cls)
        bsdf.reflectance = bk.color3f(value)
        bsdf.id = None
        return bsdf

    def traverse(self, visitor):
        visitor.put('reflectance.value', self, 'reflectance', kind='color', differentiable=True)

    def eval(self, si, wo):
        front = (si.wi.z > 0) & (wo.z > 0)
        return dr.select(front, self.reflectance * (dr.inv_pi * wo.z), 0)

    def pdf(self, si, wo):
        front = (si.wi.z > 0) & (wo.z > 0)
        return dr.select(front, warp.square_to_cosine_hemisphere_pdf(wo), 0)

    def sample(self, si, sample2):
        """Cosine-weighted directions: the weight reduces to the reflectance."""
        wo = warp.square_to_cosine_hemisphere(sample2)
        pdf = warp.square_to_cosine_hemisphere_pdf(wo)
        valid = (si.wi.z > 0) & (pdf > 0)
        return wo, dr.select(valid, pdf, 0), dr.select(valid, self.reflectance, 0)


@register('bsdf', 'twosided')
class TwoSided(BSDF):
    """Makes one-sided BSDFs scatter on both sides.

    With one nested BSDF both sides share it; with two, the first is the
    front and the second the back. The back is evaluated by mirroring both
    directions through the surface, so that it sees them as front-facing.
    """

    def __init__(self, props):
        nested = [child for child in props.children if isinstance(child, BSDF)]
        nested += [obj for _, obj in props.named_objects() if isinstance(obj, BSDF)]
        if not 1 <= len(nested) <= 2:
            raise props.error('bsdf', f'twosided needs one or two nested BSDFs, got {len(nested)}')
        self.front, self.back = nested[0], nested[-1]

    def traverse(self, visitor):
        visitor.put_object('brdf_0', self.front)
        if self.back is not self.front:
            visitor.put_object('brdf_1', self.back)

    @staticmethod
    def _mirror(v):
        return bk.Array3f(v.x, v.y, -v.z)

    def _on_back(self, si):
        return si.wi.z < 0

    def _mirrored(self, si):
        from dataclasses import replace
        return replace(si, wi=self._mirror(si.wi))

    def eval(self, si, wo):
        back = self._on_back(si)
        return dr.select(back, self.back.eval(self._mirrored(si), self._mirror(wo)),
                         self.front.eval(si, wo))

    def pdf(self, si, wo):
        back = self._on_back(si)
        return dr.select(back, self.back.pdf(self._mirrored(si), self._mirror(wo)),
                         self.front.pdf(si, wo))

    def sample(self, si, sample2):
        back = self._on_back(si)
        wo_f, pdf_f, w_f = self.front.sample(si, sample2)
        wo_b, pdf_b, w_b = self.back.sample(self._mirrored(si), sample2)
        return (dr.select(back, self._mirror(wo_b), wo_f), dr.select(back, pdf_b, pdf_f),
                dr.select(back, w_b, w_f))

"""The BSDF interface: how a surface scatters light.

A bidirectional scattering distribution function f(wi, wo) says how much of
the light arriving from direction ``wo`` leaves towards ``wi`` (Pharr, Jakob
and Humphreys, *Physically Based Rendering*, 4th ed., ch. 9; Mitsuba 3's
``BSDF`` class). Every BSDF works in the *local shading frame* of the hit
(``si.frame``): ``z`` is the cosine to the shading normal, and both
``si.wi`` (towards the viewer) and ``wo`` (towards the light) are local,
unit Array3f.

All methods take a :class:`~tutorial_kit.renderer.interaction.SurfaceInteraction`
``si`` for a batch of lanes and return one value per lane. Lanes where
``active`` is False may hold anything; callers mask them. Every returned
quantity is differentiable with respect to the BSDF's parameters (those its
``traverse`` marks differentiable): the path tracer's path replay relies on
``eval`` for that, and, for Dirac lobes (mirrors, glass), on the weight
``sample`` returns, which must carry the derivatives of its reflectance and
Fresnel factors while the lobe's probability stays detached.

Opaque BSDFs see only the front side (``si.wi.z > 0``); dielectrics are
two-sided: seen from below (``si.wi.z < 0``), the interface is the same one
entered from the other medium.
"""
from abc import abstractmethod
from dataclasses import dataclass

from tutorial_kit.core import registry
from tutorial_kit.renderer.plugin import Plugin


@dataclass
class BSDFSample:
    """A direction chosen by :meth:`BSDF.sample`.

    ``wo``: Array3f, local unit direction. ``pdf``: Float, its density per
    unit solid angle (1/sr); for a Dirac lobe (a mirror, glass) the
    probability of choosing that lobe instead. ``delta``: Bool, True where
    a Dirac lobe was chosen: no other strategy (emitter sampling) can
    produce that direction, so multiple importance sampling gives it full
    weight. ``eta``: Float, the relative index of refraction crossed
    (1 for reflection).
    """
    wo: object
    pdf: object
    delta: object
    eta: object


class BSDF(Plugin):
    """Base class of BSDF plugins (XML ``<bsdf>``)."""

    @abstractmethod
    def eval(self, si, wo, active=True):
        """f(si.wi, wo) * |cos theta_o|: Color3f, per steradian.

        The reflected radiance per unit incident radiance and solid angle,
        with the cosine foreshortening of ``wo`` included, so that a path
        tracer multiplies it by incident radiance and divides by a pdf.
        Zero for Dirac lobes, which no finite density can hit.
        """

    @abstractmethod
    def pdf(self, si, wo, active=True):
        """Float: density per unit solid angle (1/sr) with which :meth:`sample`
        picks ``wo``; zero for directions only Dirac lobes reach."""

    @abstractmethod
    def sample(self, si, sample1, sample2, active=True):
        """Importance-sample an outgoing direction.

        ``sample1``: Float in [0, 1) (chooses a lobe); ``sample2``: Array2f in
        [0, 1)^2 (chooses a direction within it). Returns ``(bs, weight)``:
        a :class:`BSDFSample` and the Color3f ``eval / pdf`` (for a Dirac
        lobe, its reflectance divided by the lobe's probability); zero where
        no direction could be sampled.
        """


registry.declare_interface('bsdf', BSDF)

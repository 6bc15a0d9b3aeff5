"""What the ideal filters (``polarizer``, ``retarder``) share: light passes straight through.

A filter is a surface that light crosses without changing direction: one
Dirac lobe of kind ``Null`` on both sides, sampled with probability 1;
``eval`` and ``pdf`` are zero (no other direction carries light). What it
does to the light is its Mueller matrix in a polarised variant
(:meth:`OpticalFilter.mueller_matrix`) and a colour otherwise
(:meth:`OpticalFilter.transmission`), which a shadow ray crossing it also
meets (``eval_null_transmission``).
"""
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.renderer.bsdf import BSDF, BSDFFlags, BSDFSample3f, TransportMode, lobe


def forward_direction(ctx, si):
    """The local direction in which light travels through a filter: towards the
    viewer (``si.wi``) on camera paths, the other way on light paths."""
    return si.wi if ctx.mode == TransportMode.Radiance else -si.wi


class OpticalFilter(BSDF):
    """Base class of the filters: subclasses give :meth:`transmission` and :meth:`mueller_matrix`."""

    def __init__(self, props):
        BSDF.__init__(self, props)
        self.set_components(BSDFFlags.Null | BSDFFlags.FrontSide | BSDFFlags.BackSide)

    @abstractmethod
    def transmission(self, si, active=True):
        """Color3f: the share of unpolarised light passed, as an RGB render sees it."""

    @abstractmethod
    def mueller_matrix(self, ctx, si, active=True):
        """Matrix43f: the filter for light crossing it along :func:`forward_direction`,
        in the implicit bases of that local direction."""

    def eval(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Color3f, dr.width(wo))

    def pdf(self, ctx, si, wo, active=True):
        return dr.zeros(bk.Float, dr.width(wo))

    def sample(self, ctx, si, sample1, sample2, active=True):
        return self._pass_through(si, sample1), self.transmission(si, active)

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        return self._pass_through(si, sample1), self.mueller_matrix(ctx, si, active)

    def eval_null_transmission(self, si, active=True):
        return self.transmission(si, active)

    @staticmethod
    def _pass_through(si, sample1):
        """The sample of a filter: the ray goes on unchanged, with probability 1."""
        width = dr.width(sample1)
        return BSDFSample3f(wo=-si.wi, pdf=dr.full(bk.Float, 1, width), eta=dr.full(bk.Float, 1, width),
                            sampled_type=lobe(BSDFFlags.Null), sampled_component=0)

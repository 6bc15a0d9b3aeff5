"""Participating media and phase functions (Mitsuba 3's ``Medium`` and ``PhaseFunction``).

Between surfaces, light may travel through a medium (fog, smoke, skin) that
absorbs and scatters it. At each point a medium has an extinction
coefficient sigma_t (per unit length: the density of collisions) and an
albedo, the probability that a collision scatters rather than absorbs
(sigma_s = albedo sigma_t); a *phase function* says in which direction a
scattered photon leaves. Light then obeys the radiative transfer equation
(Chandrasekhar 1960; Novák et al., "Monte Carlo Methods for Volumetric
Light Transport Simulation", Eurographics STAR 2018)::

    L(x, w) = integral_0^d T(x, x_t) sigma_s(x_t) integral_S2 f_p(w, w') L(x_t, w') dw' dt
              + T(x, x_d) L(x_d, w),       T(x, y) = exp(-integral_x^y sigma_t)

**Free-flight sampling.** A medium offers a *majorant* sigma_bar >= sigma_t
on its whole extent (:meth:`Medium.get_majorant`) and
:meth:`Medium.sample_interaction` draws a distance from the exponential
density sigma_bar exp(-sigma_bar t): a *tentative* collision. At the
collision, sigma_t / sigma_bar is the probability that it is real and
sigma_n / sigma_bar (sigma_n = sigma_bar - sigma_t, the "null" density) that
it is fictitious: delta tracking (Woodcock et al. 1965) continues through
null collisions and stops at real ones, which is an unbiased estimate
whatever the medium's variation. Ratio tracking, for the transmittance of
a shadow ray, instead multiplies sigma_n / sigma_bar at every tentative
collision. A homogeneous medium's majorant is its sigma_t itself, so that
every collision is real.

**Interfaces.** A shape bounds media: its ``interior`` medium lies on the
side opposite its normals, its ``exterior`` on the side they point to;
rays that cross the shape change medium (:meth:`~tutorial_kit.renderer.scene.Scene.target_medium`).
A shape with the ``null`` BSDF is an invisible boundary, there only to
carry media. A sensor may sit in a medium (its ``medium``).

Media of one scene are numbered (``scene.media()``) and an integrator holds
the number of the medium each path is in (UInt32, :data:`NO_MEDIUM` for
none); :class:`MediumPtr` calls the right medium per lane.
"""
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import registry
from tutorial_kit.core.frame import Frame
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.interaction import Interaction3f
from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.renderer.traversal import ParamFlags

#: The medium index of a path in vacuum.
NO_MEDIUM = INVALID_INDEX


@bk.drjit_struct(t='Float', time='Float', p='Array3f', n='Array3f', wi='Array3f', sh_frame=Frame,
                 sigma_s='Color3f', sigma_n='Color3f', sigma_t='Color3f', combined_extinction='Color3f',
                 mint='Float', medium='UInt32')
class MediumInteraction3f(Interaction3f):
    """A tentative collision in a medium (Mitsuba 3's record).

    Besides :class:`~tutorial_kit.renderer.interaction.Interaction3f`'s
    ``t`` (distance along the ray; inf where no collision was sampled before
    ``maxt``), ``p`` and ``n`` (zero: a point in space has no normal):
    ``wi`` (Array3f, *world* direction back along the ray), ``sh_frame`` (the
    frame around ``wi`` in which phase functions sample), ``sigma_s``,
    ``sigma_n``, ``sigma_t`` (Color3f, per unit length, at ``p``),
    ``combined_extinction`` (Color3f, the majorant), ``mint`` (Float, where
    the ray entered the medium's box) and ``medium`` (UInt32, the medium's
    index in the scene).
    """

    def __init__(self, t=None, time=None, p=None, n=None, wi=None, sh_frame=None, sigma_s=None,
                 sigma_n=None, sigma_t=None, combined_extinction=None, mint=None, medium=None):
        super().__init__(t, time, p, n)
        self.wi = bk.Array3f(0) if wi is None else bk.Array3f(wi)
        self.sh_frame = Frame() if sh_frame is None else sh_frame
        self.sigma_s = bk.Color3f(0) if sigma_s is None else bk.Color3f(sigma_s)
        self.sigma_n = bk.Color3f(0) if sigma_n is None else bk.Color3f(sigma_n)
        self.sigma_t = bk.Color3f(0) if sigma_t is None else bk.Color3f(sigma_t)
        self.combined_extinction = bk.Color3f(0) if combined_extinction is None else bk.Color3f(combined_extinction)
        self.mint = bk.Float(0) if mint is None else bk.Float(mint)
        self.medium = bk.UInt32(NO_MEDIUM) if medium is None else bk.UInt32(medium)

    def to_world(self, v):
        """Direction ``v`` of the frame around ``wi`` in world space."""
        return self.sh_frame.to_world(v)

    def to_local(self, v):
        return self.sh_frame.to_local(v)


class PhaseFunctionContext:
    """What a phase function query knows besides the interaction (Mitsuba 3's
    record): the ``sampler`` of the path. A plain Python object."""

    def __init__(self, sampler=None):
        self.sampler = sampler


class PhaseFunction(Plugin):
    """Base class of phase functions (XML ``<phase>``): the angular density
    f_p(wi, wo) of scattered light, normalised over the sphere (1/sr).

    Directions are in world space; ``mi.wi`` points back along the ray, so
    that forward scattering means ``wo`` close to ``-mi.wi``.
    """

    @abstractmethod
    def sample(self, ctx, mi, sample1, sample2, active=True):
        """Importance-sample ``wo``: ``(wo, weight, pdf)``, Array3f (world, unit),
        the Float f_p / pdf and the density pdf (1/sr). ``sample1`` (Float) is
        unused by single-lobe functions, ``sample2`` (Array2f) draws the direction."""

    @abstractmethod
    def eval_pdf(self, ctx, mi, wo, active=True):
        """``(value, pdf)``: f_p(mi.wi, wo) (Float, 1/sr) and the density of :meth:`sample`."""


class Medium(Plugin):
    """Base class of media (XML ``<medium>``). Plugins implement
    :meth:`get_majorant`, :meth:`get_scattering_coefficients` and
    :meth:`intersect_aabb`; :meth:`sample_interaction` and
    :meth:`transmittance_eval_pdf` are shared (Mitsuba 3's ``Medium``).

    Parameters read here: ``phase`` (a nested phase function, default
    ``isotropic``), ``sample_emitters`` (bool, default true: whether a
    scattering event samples a light directly).
    """

    def __init__(self, props):
        super().__init__(props)
        phase = None
        for name, obj in props.named_objects():
            if isinstance(obj, PhaseFunction):
                phase = obj
        for obj in props.children:
            if isinstance(obj, PhaseFunction):
                if phase is not None:
                    raise props.error('phase', 'a medium takes one phase function')
                phase = obj
            else:
                raise props.error('phase', f'a medium takes a phase function and volumes; '
                                           f'got a {type(obj).__name__}')
        if phase is None:
            phase = registry.create('phase', Properties('isotropic'))
        self.phase = phase
        self.sample_emitters = props.bool('sample_emitters', True)
        self.spectral_extinction = props.bool('has_spectral_extinction', True)

    # -- Mitsuba 3's accessors --------------------------------------------------------
    def phase_function(self):
        return self.phase

    def use_emitter_sampling(self):
        return self.sample_emitters

    def is_homogeneous(self):
        return False

    def has_spectral_extinction(self):
        return self.spectral_extinction

    def traverse(self, callback):
        callback.put('phase_function', self.phase, ParamFlags.Differentiable)

    # -- what plugins implement --------------------------------------------------------
    @abstractmethod
    def get_majorant(self, mi, active=True):
        """Color3f: sigma_bar, an upper bound of sigma_t over the medium (per unit length)."""

    @abstractmethod
    def get_scattering_coefficients(self, mi, active=True):
        """``(sigma_s, sigma_n, sigma_t)`` at ``mi.p`` (Color3f each, per unit length),
        differentiable in the medium's parameters."""

    @abstractmethod
    def intersect_aabb(self, ray):
        """``(hit, mint, maxt)``: where ``ray`` (Ray3f) enters and leaves the region
        in which the medium may be non-zero (Bool, Float, Float)."""

    # -- free-flight sampling ------------------------------------------------------------
    def sample_interaction(self, ray, sample, channel, active=True):
        """A tentative collision along ``ray`` (Ray3f, unit ``d``), its distance
        drawn with ``sample`` (Float in [0, 1)) from the exponential density of
        the majorant of colour ``channel`` (UInt32: 0, 1 or 2), starting where
        the ray enters the medium's box. Returns a :class:`MediumInteraction3f`
        with ``t`` infinite where the distance lies beyond ``ray.maxt`` or
        the box, and the coefficients at the collision otherwise."""
        width = dr.width(ray.d)
        mei = dr.zeros(MediumInteraction3f, width)
        mei.wi = -ray.d
        mei.sh_frame = Frame(mei.wi)
        mei.time = ray.time
        hit, mint, maxt = self.intersect_aabb(ray)
        active = bk.Bool(active) & hit & (dr.isfinite(mint) | dr.isfinite(maxt))
        mint = dr.maximum(0, dr.select(active, mint, 0))
        maxt = dr.minimum(ray.maxt, dr.select(active, maxt, dr.inf))
        majorant = self.get_majorant(mei, active)
        m = select_channel(majorant, channel)
        sampled_t = mint - dr.log(1 - sample) / m
        valid = active & (sampled_t <= maxt)
        mei.t = dr.select(valid, sampled_t, dr.inf)
        mei.p = ray.o + ray.d * sampled_t
        mei.mint = mint
        sigma_s, sigma_n, sigma_t = self.get_scattering_coefficients(mei, valid)
        mei.sigma_s = dr.select(valid, sigma_s, 0)
        mei.sigma_n = dr.select(valid, sigma_n, 0)
        mei.sigma_t = dr.select(valid, sigma_t, 0)
        mei.combined_extinction = bk.Color3f(majorant)
        return mei

    def transmittance_eval_pdf(self, mi, si, active=True):
        """``(tr, pdf)`` (Color3f each): the majorant transmittance from ``mi.mint`` to
        the collision or the surface ``si`` (whichever is nearer), and the
        free-flight density of that outcome: sigma_bar tr for a collision, tr
        (the probability of flying past) for the surface."""
        t = dr.minimum(mi.t, si.t) - mi.mint
        tr = dr.exp(-t * mi.combined_extinction)
        pdf = dr.select(si.t < mi.t, tr, tr * mi.combined_extinction)
        return tr, pdf


def select_channel(color, channel):
    """Float: component ``channel`` (UInt32 per lane, 0..2) of ``color`` (Color3f)."""
    value = bk.Float(color.x)
    value = dr.select(channel == 1, color.y, value)
    return dr.select(channel == 2, color.z, value)


class MediumPtr:
    """The medium of each lane (Mitsuba 3's ``MediumPtr``): ``media`` (a list of
    Medium) and ``index`` (UInt32; :data:`NO_MEDIUM` or out of range: none).

    Each method calls every medium on the lanes that are in it and joins the
    results; lanes in no medium (or not ``active``) get zeros.
    """

    def __init__(self, media, index):
        self.media = list(media)
        self.index = bk.UInt32(index)

    def _join(self, call, active, empty):
        result = empty
        for k, medium in enumerate(self.media):
            mine = bk.Bool(active) & (self.index == k)
            result = _select(mine, call(medium, mine), result)
        return result

    def is_null(self):
        return self.index >= len(self.media)

    def sample_interaction(self, ray, sample, channel, active=True):
        width = dr.width(ray.d)
        empty = dr.zeros(MediumInteraction3f, width)
        empty.t = dr.full(bk.Float, dr.inf, width)
        empty.wi = -ray.d
        empty.sh_frame = Frame(empty.wi)

        def call(medium, mine):
            mei = medium.sample_interaction(ray, sample, channel, mine)
            mei.medium = bk.UInt32(self.index)
            return mei
        return self._join(call, active, empty)

    def transmittance_eval_pdf(self, mi, si, active=True):
        width = dr.width(mi.t)
        ones = (dr.full(bk.Color3f, 1, width), dr.full(bk.Color3f, 1, width))
        return self._join(lambda m, mine: m.transmittance_eval_pdf(mi, si, mine), active, ones)

    def _flag(self, method, active=True):
        width = dr.width(self.index)
        flags = dr.zeros(bk.Bool, width)
        for k, medium in enumerate(self.media):
            if getattr(medium, method)():
                flags |= bk.Bool(active) & (self.index == k)
        return flags

    def is_homogeneous(self, active=True):
        return self._flag('is_homogeneous', active)

    def use_emitter_sampling(self, active=True):
        return self._flag('use_emitter_sampling', active)

    def has_spectral_extinction(self, active=True):
        return self._flag('has_spectral_extinction', active)

    def phase_eval_pdf(self, ctx, mi, wo, active=True):
        """``(value, pdf)`` of each lane's phase function (Float, Float)."""
        width = dr.width(wo)
        empty = (dr.zeros(bk.Float, width), dr.zeros(bk.Float, width))
        return self._join(lambda m, mine: _floats(m.phase.eval_pdf(ctx, mi, wo, mine), width), active, empty)

    def phase_sample(self, ctx, mi, sample1, sample2, active=True):
        """``(wo, weight, pdf)`` of each lane's phase function."""
        width = dr.width(sample1)
        empty = (dr.zeros(bk.Array3f, width), dr.zeros(bk.Float, width), dr.zeros(bk.Float, width))

        def call(medium, mine):
            wo, weight, pdf = medium.phase.sample(ctx, mi, sample1, sample2, mine)
            return (bk.Array3f(wo),) + _floats((weight, pdf), width)
        return self._join(call, active, empty)


def _floats(values, width):
    """Plain numbers a Python phase function returned, widened to Floats."""
    return tuple(v if isinstance(v, bk.Float) and dr.width(v) == width else bk.Float(v) + dr.zeros(bk.Float, width)
                 for v in values)


def _select(mask, a, b):
    if isinstance(a, tuple):
        return tuple(_select(mask, x, y) for x, y in zip(a, b))
    return dr.select(mask, a, b)


registry.declare_interface('medium', Medium)
registry.declare_interface('phase', PhaseFunction)

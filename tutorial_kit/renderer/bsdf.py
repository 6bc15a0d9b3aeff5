"""The BSDF interface: how a surface scatters light (Mitsuba 3's ``BSDF``).

A bidirectional scattering distribution function f(wi, wo) says how much of
the light arriving from direction ``wo`` leaves towards ``wi`` (Pharr, Jakob
and Humphreys, *Physically Based Rendering*, 4th ed., ch. 9; Mitsuba 3's
``BSDF`` class). Every BSDF works in the *local shading frame* of the hit
(``si.sh_frame``): ``z`` is the cosine to the shading normal, and both
``si.wi`` (towards the viewer) and ``wo`` (towards the light) are local,
unit Array3f.

Every method takes a :class:`BSDFContext` ``ctx`` first (the transport mode
and which lobes to consider), then a
:class:`~tutorial_kit.renderer.interaction.SurfaceInteraction3f` ``si`` for
a batch of lanes, and returns one value per lane. Lanes where ``active`` is
False may hold anything; callers mask them (:class:`BSDFPtr` does). Our
BSDFs consider every lobe and render radiance: ``ctx`` is passed on
(``twosided``) but not otherwise read. Every returned quantity is
differentiable with respect to the BSDF's parameters (those its
``traverse`` marks differentiable): the path tracer's path replay relies on
``eval`` for that, and, for Dirac lobes (mirrors, glass), on the weight
``sample`` returns, which must carry the derivatives of its reflectance and
Fresnel factors while the lobe's probability stays detached.

Opaque BSDFs see only the front side (``si.wi.z > 0``); dielectrics are
two-sided: seen from below (``si.wi.z < 0``), the interface is the same one
entered from the other medium.

A BSDF may be written in Python by subclassing :class:`BSDF` as in
Mitsuba 3 (set ``m_flags`` and ``m_components`` in ``__init__``, return
plain numbers where a value is constant) and registered with
``tk.register_bsdf(name, constructor)``.

**The registry of live BSDFs.** ``si.bsdf()`` must find each lane's BSDF
from the interaction alone, and an interaction may hold only arrays, so
that ``dr.zeros``, ``dr.select``, ``dr.detach``, loops and ``if``
statements under ``@dr.syntax`` take it whole (an integrator keeps the
previous bounce's interaction in its loop state). Mitsuba 3 stores a
pointer per lane that Dr.Jit's registry of live instances resolves; here
:data:`LIVE_BSDFS` numbers each BSDF the first time a scene indexes it
(ids 1, 2, ...; 0: none), holding it only by a weak reference, and an
interaction carries the id of each lane's BSDF (``si.bsdf_id``).
``si.bsdf()`` (:func:`live_bsdf_ptr`) then calls each lane's BSDF through
``dr.switch`` over all live BSDFs; a lane whose BSDF has died, or that has
none, gets zeros. The cost: a kernel that calls ``si.bsdf()`` traces every
live BSDF once, those of every scene still alive and not only of the one
its rays met, and is compiled again when that set changes. The
integrators of this package ask the scene instead
(``scene.bsdf_ptr(si)``), which chooses among its own BSDFs only.
"""
import enum
import functools
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core import mueller
from tutorial_kit.core import registry
from tutorial_kit.core.dispatch import dispatch
from tutorial_kit.core.limits import INVALID_INDEX
from tutorial_kit.core.live_instances import LiveInstances
from tutorial_kit.renderer.plugin import Plugin


class BSDFFlags(enum.IntFlag):
    """What kinds of lobes a BSDF has (Mitsuba 3's bit values).

    A lobe is diffuse, glossy or a Dirac delta (``Null``: light passes
    straight through), and reflects or transmits; the combinations below
    name the groups integrators ask about (``Delta``: any Dirac lobe).
    """
    Empty = 0
    Null = 1
    DiffuseReflection = 2
    DiffuseTransmission = 4
    GlossyReflection = 8
    GlossyTransmission = 16
    DeltaReflection = 32
    DeltaTransmission = 64
    Anisotropic = 4096
    SpatiallyVarying = 8192
    NonSymmetric = 16384
    FrontSide = 32768
    BackSide = 65536
    Reflection = DiffuseReflection | GlossyReflection | DeltaReflection | 128
    Transmission = DiffuseTransmission | GlossyTransmission | DeltaTransmission | Null | 256
    Diffuse = DiffuseReflection | DiffuseTransmission
    Glossy = GlossyReflection | GlossyTransmission
    Smooth = Diffuse | Glossy
    Delta = Null | DeltaReflection | DeltaTransmission
    Delta1D = 384
    All = Diffuse | Glossy | Delta | Delta1D


def has_flag(flags, flag):
    """Whether ``flags`` (an int, or UInt32 per lane) has any bit of ``flag``:
    a bool, or a Bool per lane."""
    if isinstance(flags, int):
        return (flags & int(flag)) != 0
    return (flags & bk.UInt32(int(flag))) != 0


class TransportMode(enum.IntEnum):
    """What a path carries: ``Radiance`` (from the camera towards lights, as our
    integrators trace) or ``Importance`` (from lights towards the camera)."""
    Radiance = 0
    Importance = 1


class BSDFContext:
    """How a BSDF is queried (Mitsuba 3's ``BSDFContext``): the transport ``mode``,
    a ``type_mask`` of :class:`BSDFFlags` to consider and one ``component``
    (index) or all of them (0xFFFFFFFF). A plain Python object: the choices it
    holds are the same for every lane."""

    ALL_COMPONENTS = INVALID_INDEX

    def __init__(self, mode=TransportMode.Radiance, type_mask=BSDFFlags.All, component=None):
        self.mode = TransportMode(mode)
        self.type_mask = int(type_mask)
        self.component = self.ALL_COMPONENTS if component is None else int(component)

    def reverse(self):
        """Swap the transport mode (radiance <-> importance)."""
        self.mode = TransportMode(1 - self.mode)

    def is_enabled(self, type_, component=0):
        """Whether lobes of kind ``type_`` (BSDFFlags), component ``component``, are considered."""
        return ((self.component == self.ALL_COMPONENTS or self.component == component)
                and (self.type_mask & int(type_)) != 0)

    def __repr__(self):
        component = 'all' if self.component == self.ALL_COMPONENTS else self.component
        return (f'BSDFContext[\n  mode = {self.mode.name.lower()},\n'
                f'  type_mask = {BSDFFlags(self.type_mask)!r},\n  component = {component}\n]')


@bk.drjit_struct(wo='Array3f', pdf='Float', eta='Float', sampled_type='UInt32', sampled_component='UInt32')
class BSDFSample3f:
    """A direction chosen by :meth:`BSDF.sample` (Mitsuba 3's record).

    ``wo``: Array3f, local unit direction. ``pdf``: Float, its density per
    unit solid angle (1/sr); for a Dirac lobe (a mirror, glass) the
    probability of choosing that lobe instead. ``eta``: Float, the relative
    index of refraction crossed (1 for reflection). ``sampled_type``:
    UInt32, the :class:`BSDFFlags` of the lobe chosen; where it has a
    ``Delta`` bit (see :meth:`is_delta`) no other strategy (emitter
    sampling) can produce the direction, so multiple importance sampling
    gives it full weight. ``sampled_component``: UInt32, that lobe's index
    in ``m_components``.
    """

    def __init__(self, wo=None, pdf=None, eta=None, sampled_type=None, sampled_component=None):
        self.wo = bk.Array3f(0) if wo is None else bk.Array3f(wo)
        self.pdf = bk.Float(0) if pdf is None else bk.Float(pdf)
        self.eta = bk.Float(1) if eta is None else bk.Float(eta)
        self.sampled_type = bk.UInt32(0) if sampled_type is None else bk.UInt32(sampled_type)
        self.sampled_component = bk.UInt32(0) if sampled_component is None else bk.UInt32(sampled_component)

    def is_delta(self):
        """Bool: where a Dirac lobe was chosen."""
        return has_flag(self.sampled_type, BSDFFlags.Delta)

    def __repr__(self):
        return (f'BSDFSample3f[\n  wo = {self.wo},\n  pdf = {self.pdf},\n  eta = {self.eta},\n'
                f'  sampled_type = {self.sampled_type},\n  sampled_component = {self.sampled_component}\n]')


def lobe(flag):
    """A lobe's type as the UInt32 that ``BSDFSample3f.sampled_type`` holds."""
    return bk.UInt32(int(flag))


class BSDF(Plugin):
    """Base class of BSDF plugins (XML ``<bsdf>``).

    ``m_components``: the BSDFFlags of each lobe; ``m_flags``: their union.
    Plugins set both in ``__init__``; a Python subclass calls
    ``BSDF.__init__(self, props)`` first, as in Mitsuba 3.
    """
    m_flags = BSDFFlags.Empty
    m_components = ()

    def __init__(self, props=None):
        self.m_flags = BSDFFlags.Empty
        self.m_components = []
        if props is not None:
            self.id = props.id

    def set_components(self, *components):
        """Declare the lobes (BSDFFlags each): sets ``m_components`` and ``m_flags``."""
        self.m_components = [BSDFFlags(c) for c in components]
        flags = BSDFFlags.Empty
        for component in self.m_components:
            flags |= component
        self.m_flags = flags

    def flags(self, index=None, active=True):
        """The BSDFFlags of all lobes together, or of lobe ``index``."""
        if index is None:
            return BSDFFlags(int(self.m_flags))
        return BSDFFlags(int(self.m_components[index]))

    def component_count(self, active=True):
        return len(self.m_components)

    @abstractmethod
    def eval(self, ctx, si, wo, active=True):
        """f(si.wi, wo) * |cos theta_o|: Color3f, per steradian.

        The reflected radiance per unit incident radiance and solid angle,
        with the cosine foreshortening of ``wo`` included, so that a path
        tracer multiplies it by incident radiance and divides by a pdf.
        Zero for Dirac lobes, which no finite density can hit.
        """

    @abstractmethod
    def pdf(self, ctx, si, wo, active=True):
        """Float: density per unit solid angle (1/sr) with which :meth:`sample`
        picks ``wo``; zero for directions only Dirac lobes reach."""

    def eval_pdf(self, ctx, si, wo, active=True):
        """``(eval, pdf)`` at once (a BSDF may share work between the two)."""
        return self.eval(ctx, si, wo, active), self.pdf(ctx, si, wo, active)

    def eval_null_transmission(self, si, active=True):
        """Color3f: the share of light that passes straight through the surface
        (a shadow ray crossing it); zero but for the ``null`` BSDF's 1."""
        return dr.zeros(bk.Color3f, dr.width(si.t))

    def eval_diffuse_reflectance(self, si, active=True):
        """Color3f: the surface's diffuse albedo at ``si`` (what an albedo AOV or a
        denoiser's guide shows). As in Mitsuba 3, by default :meth:`eval` towards
        the normal times pi, which for a Lambertian surface is its reflectance;
        ``diffuse`` returns its reflectance texture directly."""
        wo = dr.zeros(bk.Array3f, dr.width(si.wi))
        wo.z = 1
        return _color(self.eval(BSDFContext(), si, wo, active), _lanes(si)) * dr.pi

    def eval_pdf_sample(self, ctx, si, wo, sample1, sample2, active=True):
        """``(eval, pdf, bs, weight)``: :meth:`eval_pdf` at ``wo`` and :meth:`sample`
        with ``sample1``, ``sample2`` at once (Mitsuba 3's name)."""
        value, pdf = self.eval_pdf(ctx, si, wo, active)
        bs, weight = self.sample(ctx, si, sample1, sample2, active)
        return value, pdf, bs, weight

    @abstractmethod
    def sample(self, ctx, si, sample1, sample2, active=True):
        """Importance-sample an outgoing direction.

        ``sample1``: Float in [0, 1) (chooses a lobe); ``sample2``: Array2f in
        [0, 1)^2 (chooses a direction within it). Returns ``(bs, weight)``:
        a :class:`BSDFSample3f` and the Color3f ``eval / pdf`` (for a Dirac
        lobe, its reflectance divided by the lobe's probability); zero where
        no direction could be sampled.
        """

    # -- polarised rendering (the *_polarized variants) ----------------------------------
    #
    # In a polarised render a BSDF's value is a Mueller matrix (Matrix43f, one per
    # colour channel: tutorial_kit.core.mueller) in the local frame, in Mitsuba 3's
    # convention: it maps the Stokes vector of light arriving along -wo, in the
    # basis mueller.stokes_basis(-wo), to that of light leaving along si.wi, in
    # the basis mueller.stokes_basis(si.wi) (radiance mode). The integrator turns
    # those local bases into world ones (SurfaceInteraction3f.to_world_mueller).
    # A surface that does not polarise keeps these defaults: a depolariser of
    # its ordinary value, as Mitsuba 3's diffuse, plastic and rough dielectric are.

    def eval_mueller(self, ctx, si, wo, active=True):
        """:meth:`eval` as a Mueller matrix (Matrix43f, see above); its (0, 0)
        entry is :meth:`eval`'s value."""
        return mueller.depolarizer(_color(self.eval(ctx, si, wo, active), _lanes(si, wo)))

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        """:meth:`sample` with the weight as a Mueller matrix (Matrix43f): ``(bs, weight)``."""
        bs, weight = self.sample(ctx, si, sample1, sample2, active)
        return bs, mueller.depolarizer(_color(weight, _lanes(si, sample1)))


class BSDFPtr:
    """A BSDF per lane (Mitsuba 3's ``BSDFPtr``), as ``si.bsdf()`` and
    ``scene.bsdf_ptr(si)`` return it.

    ``bsdfs``: the candidate BSDFs; ``index``: UInt32, which of them each lane
    has (out of range: none). Each method has the signature of the
    :class:`BSDF` method of the same name and returns, in each lane, what
    that lane's BSDF returns; lanes without a BSDF, or not ``active``,
    receive zeros. Plain numbers that a Python BSDF returns (``return 0.0``)
    are widened to one value per lane.

    ``switch`` says how lanes reach their BSDF. False: every candidate is
    called for all lanes and each lane keeps its own BSDF's result
    (:func:`~tutorial_kit.core.dispatch.dispatch`); with the handful of BSDFs
    of one scene, the simplest and a fast way. True: Dr.Jit's own indirect
    call (``dr.switch``), Mitsuba 3's vectorised call: each lane runs only
    its own BSDF, and derivatives flow through it to the BSDFs' parameters;
    ``si.bsdf()`` calls the live BSDFs of every scene this way.
    """

    def __init__(self, bsdfs, index, switch=False):
        self.bsdfs = list(bsdfs)
        self.index = index
        self.switch = switch

    def _call(self, method, args, active):
        """``method(bsdf, *args, active)`` for each lane's BSDF; None without candidates.

        The arrays a method reads per lane travel in ``args``: ``dr.switch``
        hands each BSDF only its own lanes of them."""
        if not self.bsdfs:
            return None
        if not self.switch:
            return dispatch(self.bsdfs, self.index, lambda b: method(b, *args, active), active)
        valid = bk.Bool(active) & (self.index < len(self.bsdfs))
        targets = [functools.partial(method, b) for b in self.bsdfs]
        # A render that records derivatives evaluates its loops (Dr.Jit's
        # SymbolicLoops off); the call is then evaluated too, so that forward-mode
        # AD can later cross it to parameters the BSDFs read implicitly.
        with dr.scoped_set_flag(dr.JitFlag.SymbolicCalls, dr.flag(dr.JitFlag.SymbolicLoops)):
            return dr.switch(dr.select(valid, self.index, 0), targets, *args, active=valid)

    def _width(self, *arrays):
        return max([dr.width(self.index)] + [dr.width(a) for a in arrays])

    def eval(self, ctx, si, wo, active=True):
        def call(b, si, wo, active):
            return _color(b.eval(ctx, si, wo, active), _lanes(si, wo))
        value = self._call(call, (si, wo), active)
        return dr.zeros(bk.Color3f, self._width(wo)) if value is None else value

    def pdf(self, ctx, si, wo, active=True):
        def call(b, si, wo, active):
            return _float(b.pdf(ctx, si, wo, active), _lanes(si, wo))
        value = self._call(call, (si, wo), active)
        return dr.zeros(bk.Float, self._width(wo)) if value is None else value

    def eval_pdf(self, ctx, si, wo, active=True):
        def call(b, si, wo, active):
            value, pdf = b.eval_pdf(ctx, si, wo, active)
            width = _lanes(si, wo)
            return _color(value, width), _float(pdf, width)
        result = self._call(call, (si, wo), active)
        width = self._width(wo)
        return (dr.zeros(bk.Color3f, width), dr.zeros(bk.Float, width)) if result is None else result

    def sample(self, ctx, si, sample1, sample2, active=True):
        def call(b, si, sample1, sample2, active):
            bs, weight = b.sample(ctx, si, sample1, sample2, active)
            # Fields a Python BSDF left as plain numbers become arrays.
            bs = BSDFSample3f(bs.wo, bs.pdf, bs.eta, bs.sampled_type, bs.sampled_component)
            return bs, _color(weight, _lanes(si, sample1))
        result = self._call(call, (si, sample1, sample2), active)
        width = self._width(sample1)
        return (dr.zeros(BSDFSample3f, width), dr.zeros(bk.Color3f, width)) if result is None else result

    def eval_mueller(self, ctx, si, wo, active=True):
        """Matrix43f per lane: :meth:`BSDF.eval_mueller` of each lane's BSDF."""
        value = self._call(lambda b, si, wo, active: b.eval_mueller(ctx, si, wo, active), (si, wo), active)
        return dr.zeros(bk.Matrix43f, self._width(wo)) if value is None else value

    def sample_mueller(self, ctx, si, sample1, sample2, active=True):
        """``(BSDFSample3f, Matrix43f)`` per lane: :meth:`BSDF.sample_mueller` of each lane's BSDF."""
        def call(b, si, sample1, sample2, active):
            bs, weight = b.sample_mueller(ctx, si, sample1, sample2, active)
            bs = BSDFSample3f(bs.wo, bs.pdf, bs.eta, bs.sampled_type, bs.sampled_component)
            return bs, weight
        result = self._call(call, (si, sample1, sample2), active)
        width = self._width(sample1)
        return (dr.zeros(BSDFSample3f, width), dr.zeros(bk.Matrix43f, width)) if result is None else result

    def eval_null_transmission(self, si, active=True):
        """Color3f per lane: what passes straight through each lane's surface."""
        def call(b, si, active):
            return _color(b.eval_null_transmission(si, active), dr.width(si.t))
        value = self._call(call, (si,), active)
        return dr.zeros(bk.Color3f, dr.width(si.t)) if value is None else value

    def eval_diffuse_reflectance(self, si, active=True):
        """Color3f per lane: :meth:`BSDF.eval_diffuse_reflectance` of each lane's BSDF."""
        def call(b, si, active):
            return _color(b.eval_diffuse_reflectance(si, active), dr.width(si.t))
        value = self._call(call, (si,), active)
        return dr.zeros(bk.Color3f, dr.width(si.t)) if value is None else value

    def eval_pdf_sample(self, ctx, si, wo, sample1, sample2, active=True):
        """``(eval, pdf, bs, weight)`` per lane: :meth:`eval_pdf` and :meth:`sample` at once."""
        value, pdf = self.eval_pdf(ctx, si, wo, active)
        bs, weight = self.sample(ctx, si, sample1, sample2, active)
        return value, pdf, bs, weight

    def flags(self, active=True):
        """UInt32 per lane: the BSDFFlags of each lane's BSDF (0 where none)."""
        value = self._call(lambda b, active: bk.UInt32(int(b.flags())), (), active)
        return dr.zeros(bk.UInt32, dr.width(self.index)) if value is None else value

    def __repr__(self):
        return f'BSDFPtr[{", ".join(type(b).__name__ for b in self.bsdfs)}; index = {self.index}]'


def _lanes(*values):
    """The number of lanes of the widest of ``values`` (arrays, records or numbers)."""
    return max(dr.width(v) for v in values)


def _color(value, width):
    """``value`` as a Color3f; a plain number becomes ``width`` lanes of it."""
    if isinstance(value, (int, float)):
        return dr.full(bk.Color3f, value, width)
    return value if isinstance(value, bk.Color3f) else bk.Color3f(value)


def _float(value, width):
    """``value`` as a Float; a plain number becomes ``width`` lanes of it."""
    if isinstance(value, (int, float)):
        return dr.full(bk.Float, value, width)
    return value if isinstance(value, bk.Float) else bk.Float(value)


#: Every BSDF that a scene has numbered, by id (see the module docstring).
LIVE_BSDFS = LiveInstances()


def bsdf_id(bsdf):
    """int: the id of ``bsdf`` among the live BSDFs, given now if it has none."""
    return LIVE_BSDFS.id_of(bsdf)


def live_bsdf_ptr(ids, active=True):
    """The :class:`BSDFPtr` of the BSDFs ``ids`` (UInt32 per lane, 0: none),
    over every live BSDF through ``dr.switch``; dead ids reach none."""
    bsdfs, index = LIVE_BSDFS.positions(ids, active)
    return BSDFPtr(bsdfs, index, switch=True)


registry.declare_interface('bsdf', BSDF)

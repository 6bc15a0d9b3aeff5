"""The integrator interface: estimating the light that arrives along camera rays.

An integrator solves the rendering equation (Kajiya, 1986) by Monte Carlo
integration. :func:`tutorial_kit.render` generates camera rays and asks
:meth:`Integrator.sample` for the radiance along each; the film averages
the samples into pixels.

The contract is Mitsuba 3's for radiative-backpropagation integrators
(``mi.ad.integrators.common.RBIntegrator``), so that an integrator written
for Mitsuba 3's tutorials runs here unchanged::

    class Occlusion(tk.ad.common.RBIntegrator):
        def sample(self, mode, scene, sampler, ray, δL, state_in, active, **kwargs):
            ...
            return L, valid, [], L

    tk.register_integrator('occlusion', lambda props: Occlusion(props))

One method serves three passes, told apart by ``mode`` (a ``dr.ADMode``):

- ``Primal``: estimate the radiance along ``ray``.
- ``Backward``: the same paths again (the sampler is seeded as for the
  primal pass), with ``δL`` the adjoint radiance of each ray (the gradient of
  the objective with respect to it) and ``state_in`` what the primal pass
  returned as ``state_out`` (the radiance). Re-evaluate each contribution with
  derivatives switched on (``dr.resume_grad``) and push ``δL * contribution``
  to the parameters (``dr.backward_from``).
- ``Forward``: the same paths, returning the derivative of the radiance with
  respect to the parameters' gradients (``dr.forward_to``).

This is radiative backpropagation (Nimier-David, Speierer, Ruiz and Jakob,
SIGGRAPH 2020) in its path replay form (Vicini, Speierer and Jakob, SIGGRAPH
2021): derivatives without recording the render, at the cost of rendering it
again. ``tk.render`` and path replay (:mod:`tutorial_kit.ad.path_replay`)
drive the passes; derivatives with respect to geometry instead record a
primal pass whose loops run in Dr.Jit's evaluated mode
(:func:`evaluated_loops`).

Integrators with no replay derive from :class:`SamplingIntegrator` instead
(Mitsuba 3's simpler contract, ``sample(scene, sampler, ray, medium,
active) -> (L, valid, aovs)``): derivatives of their renders are always
recorded.
"""
import numbers
from abc import abstractmethod

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.ray import Ray3f
from tutorial_kit.core import registry
from tutorial_kit.core.errors import RenderError, SceneError
from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.plugin import Plugin
from tutorial_kit.renderer.sampling_result import checked_sampling_result, integrator_name

UNLIMITED = 2 ** 32 - 1


class Integrator(Plugin):
    """Base class of integrator plugins (XML ``<integrator>``)."""

    #: Whether ``sample`` replays paths in ``Forward`` and ``Backward`` mode.
    #: A render that tracks derivatives of an integrator that does not
    #: records its whole computation instead (:class:`SamplingIntegrator`).
    replays_paths = True

    @abstractmethod
    def sample(self, mode, scene, sampler, ray, δL, state_in, active, **kwargs):
        """Radiance along ``ray``, or its derivative (see the module docstring).

        ``mode``: ``dr.ADMode.Primal``, ``Forward`` or ``Backward``;
        ``scene``: the :class:`~tutorial_kit.renderer.scene.Scene`;
        ``sampler``: a seeded :class:`~tutorial_kit.renderer.sampler.Sampler`,
        one lane per ray; ``ray``: a :class:`~tutorial_kit.core.ray.Ray3f`
        (world space); ``δL``: Color3f, the adjoint radiance in ``Backward``
        mode, else None; ``state_in``: in ``Forward`` and ``Backward`` mode
        the ``state_out`` of the primal pass on the same paths, else None;
        ``active``: Bool, the rays to trace.

        Keywords the renderer also passes (Mitsuba 3's): ``depth`` (UInt32,
        the path depth of ``ray``: 0 for camera rays), ``δaovs`` (None).

        Returns ``(L, valid, aovs, state_out)``: ``L`` the radiance (Color3f,
        linear RGB) in ``Primal`` mode, its derivative in ``Forward`` mode
        (anything in ``Backward`` mode); ``valid`` (Bool) where the ray met the
        scene; ``aovs`` a list of Float (empty here); ``state_out`` what the
        replay passes need, usually ``L``.
        """

    def aov_names(self):
        """Names of the arbitrary output variables that ``sample`` returns (none)."""
        return []

    def pass_sample_counts(self, spp):
        """Samples per pixel of the extra passes a render that tracks derivatives
        draws (a dict name -> count; none here), given that render's ``spp``:
        ``render`` checks each against the sample budget before it starts."""
        return {}

    def output_channels(self, pixel_format, rgb, alpha, aovs):
        """The channels of the tensor ``render`` returns, or None for the film's own:
        its colour channels in ``pixel_format``, alpha if the format has it, then
        one per AOV, as Mitsuba 3's films develop them
        (:func:`~tutorial_kit.renderer.film_channels.film_channels`).

        ``rgb``: three Floats (one value per pixel); ``alpha``: Float or None;
        ``aovs``: a list of Float, one per name in :meth:`aov_names`. An
        integrator that lays out its image otherwise (``aov``) returns a list
        of Floats; the film keeps its own channels for writing either way.
        """
        return None

    def visibility_image(self, scene, sensor, spp, seed):
        """The visibility (boundary) terms of a geometry derivative, or None.

        Returns a Color3f per pixel whose value is zero and whose derivative
        with respect to moving vertices is what differentiating :meth:`sample`
        misses at silhouettes and shadow edges. ``seed``: an int. Integrators
        that leave those terms out (``path``, ``direct``) return None;
        ``prb_projective`` adds them.
        """
        return None


class ADIntegrator(Integrator):
    """An integrator with Mitsuba 3's depth parameters: ``max_depth``
    (:data:`DEFAULT_MAX_DEPTH`; -1 = unlimited, stored as :data:`UNLIMITED`)
    and ``rr_depth`` (5), the depth at which Russian roulette starts; and
    ``hide_emitters`` (false), which ``sample`` may honour, as Mitsuba 3's
    ``ADIntegrator`` reads them.

    ``props``: the element's Properties (default: none given, all defaults),
    as Mitsuba 3's ``ADIntegrator(props)``.
    """
    DEFAULT_MAX_DEPTH = 6

    def __init__(self, props=None):
        props = Properties('') if props is None else props
        self.max_depth = read_depth(props, 'max_depth', self.DEFAULT_MAX_DEPTH)
        self.rr_depth = read_depth(props, 'rr_depth', 5)
        self.hide_emitters = props.bool('hide_emitters', False)

    @property
    def max_depth(self):
        """The longest path, in vertices (int; :data:`UNLIMITED` for none)."""
        return self._max_depth

    @max_depth.setter
    def max_depth(self, value):
        """Accepts what a scene file does (-1: unlimited); ValueError otherwise."""
        self._max_depth = depth_limit(value)

    def settings(self):
        return dict(max_depth=self.max_depth, rr_depth=self.rr_depth)


class RBIntegrator(ADIntegrator):
    """Base class of radiative-backpropagation integrators: those whose
    ``sample`` replays paths in ``Forward`` and ``Backward`` mode (Mitsuba
    3's ``RBIntegrator``; reached as ``tk.ad.common.RBIntegrator``)."""


class AdjointIntegrator(ADIntegrator):
    """Base class of integrators that trace light from the emitters and splat
    what reaches the camera onto the film (Mitsuba 3's ``AdjointIntegrator``):
    they solve the adjoint transport problem, importance flowing from the
    sensor meeting power flowing from the lights (Veach 1997, ch. 3 and 4).

    Parameters besides :class:`ADIntegrator`'s: ``hide_emitters`` (false) and
    ``samples_per_pass`` (-1: all samples in one pass), which splits a
    render into passes of at most that many samples per pixel, each one
    kernel over ``film width x height x samples_per_pass`` light paths.
    ``max_depth`` defaults to -1 (unlimited), as in Mitsuba 3.

    :func:`tutorial_kit.render` calls :meth:`render_image`; a subclass
    implements :meth:`sample` for one wavefront of light paths. Derivatives
    are recorded: the render runs again with Dr.Jit's loops evaluated and
    automatic differentiation records every operation of it.
    """
    replays_paths = False
    DEFAULT_MAX_DEPTH = -1

    def __init__(self, props=None):
        super().__init__(props)         # reads hide_emitters too
        props = Properties('') if props is None else props
        per_pass = props.int('samples_per_pass', -1)
        if per_pass == 0 or per_pass < -1:
            raise props.error('samples_per_pass', f'samples_per_pass must be -1 (one pass) or '
                                                  f'positive, got {per_pass}')
        self.samples_per_pass = None if per_pass == -1 else per_pass

    def settings(self):
        return dict(super().settings(), hide_emitters=self.hide_emitters,
                    samples_per_pass=-1 if self.samples_per_pass is None else self.samples_per_pass)

    @abstractmethod
    def sample(self, scene, sensor, sampler, image, sample_scale, active=True):
        """Trace one light path per lane of ``sampler`` and add what reaches the
        camera to ``image`` (Color3f, one entry per pixel of the film's crop
        window, changed in place by ``sensor.film().splat_into``), each
        contribution times ``sample_scale`` (Float). Mitsuba 3's signature,
        with the image in place of its image block.
        """

    def render_image(self, scene, sensor, spp, seed):
        """The image of ``spp`` samples per pixel: Color3f per pixel of the crop
        window, row-major. ``seed``: an int. A sample is one light path per
        pixel of the whole film, so a render traces ``W H spp`` of them; each
        pixel sums what they deposit there times ``crop pixels / (spp W H)``,
        as Mitsuba 3's films develop a light tracer's image.
        """
        from tutorial_kit.core.random import mix64
        from tutorial_kit.renderer.camera_rays import seeded_sampler
        film = sensor.film()
        crop_width, crop_height = film.crop_size()
        width, height = film.size()
        image = dr.zeros(bk.Color3f, crop_width * crop_height)
        if not scene.emitters() or self.max_depth == 0:
            return image
        per_pass = spp if self.samples_per_pass is None else min(self.samples_per_pass, spp)
        passes = -(-spp // per_pass)
        sample_scale = dr.opaque(bk.Float, crop_width * crop_height / (spp * width * height))
        for k in range(passes):
            count = min(per_pass, spp - k * per_pass)
            lanes = width * height * count
            if lanes > UNLIMITED:
                raise RenderError(f'{width} x {height} pixels x {count} samples per pass is more light '
                                  'paths than one pass can hold: set samples_per_pass lower')
            sampler = seeded_sampler(sensor, mix64(seed + k), lanes, count)
            self.sample(scene, sensor, sampler, image, sample_scale)
            if passes > 1:
                dr.eval(image)          # frees this pass's paths before the next
        return image


class SamplingIntegrator(Integrator):
    """Base class of integrators on Mitsuba 3's simpler contract
    (``mi.SamplingIntegrator``): one method that estimates the radiance
    along camera rays, with no replay. The class to start from for a first
    integrator (ambient occlusion, direct light)::

        class Occlusion(tk.SamplingIntegrator):
            def __init__(self, props):
                tk.SamplingIntegrator.__init__(self, props)

            def sample(self, scene, sampler, ray, medium=None, active=True):
                si = scene.ray_intersect(ray, active)
                ...
                return L, si.is_valid(), []

        tk.register_integrator('occlusion', lambda props: Occlusion(props))

    Derivatives come from automatic differentiation of the whole render: a
    render that tracks parameters records every operation of ``sample``
    for every sample, its loops in Dr.Jit's evaluated mode
    (:func:`evaluated_loops`), in one pass. Its memory grows in proportion
    to the paths (samples times bounces), where an :class:`RBIntegrator`
    replays its paths in memory that does not grow with their length; use
    one for long paths or many samples.

    ``props``: the element's Properties. Read here, as in Mitsuba 3:
    ``hide_emitters`` (bool, default false), which :meth:`sample` may honour
    (emitters seen directly left out of the image); other entries are the
    subclass's to read (``props.get('max_depth', 4)``).
    """
    replays_paths = False
    hide_emitters = False
    #: The sensor of the render in progress: the renderer sets it before it calls
    #: :meth:`sample`, as Mitsuba 3 hands its ``stokes`` integrator the sensor.
    render_sensor = None

    def __init__(self, props=None):
        super().__init__(props)
        if props is not None:
            self.hide_emitters = props.bool('hide_emitters', False)

    @abstractmethod
    def sample(self, scene, sampler, ray, medium=None, active=True):
        """Radiance along ``ray``.

        ``scene``: the :class:`~tutorial_kit.renderer.scene.Scene`;
        ``sampler``: a seeded :class:`~tutorial_kit.renderer.sampler.Sampler`,
        one lane per ray; ``ray``: a :class:`~tutorial_kit.core.ray.Ray3f`
        (world space); ``medium``: None (no participating media here);
        ``active``: Bool, the rays to trace. The renderer passes them by
        position, as Mitsuba 3 does.

        Returns ``(L, valid, aovs)``: ``L`` the radiance (Color3f, linear RGB;
        a Float, a Python number or three numbers are widened to Color3f as
        Mitsuba 3 does); ``valid`` (Bool or a Python bool) where the ray met
        the scene; ``aovs`` a list of one Float per name in
        :meth:`aov_names` (the image keeps only the radiance). Differentiable
        in whatever the computation of ``L`` depends on.
        """

    def should_stop(self):
        """Whether a running render was cancelled (Mitsuba 3's check for long
        loops). A render here is one Dr.Jit computation that nothing cancels
        midway, so never."""
        return False


@dr.syntax
def skip_area_emitters(scene, ray, active=True):
    """``ray`` (a Ray3f) moved past the area emitters it meets first, where ``active``.

    ``hide_emitters`` hides the emitters a camera sees directly, and in
    Mitsuba 3 that means looking *through* an area light at what lies behind
    it, not seeing a black hole in its place. Returns a Ray3f that starts just
    beyond the last area emitter crossed (the same ray where none is met); its
    first hit is then the first surface that is not an area emitter.
    """
    origin, direction = bk.Array3f(ray.o), bk.Array3f(ray.d)
    si = scene.ray_intersect(Ray3f(origin, direction), active)
    skip = bk.Bool(active) & si.is_valid() & scene.is_emitter(si)
    while dr.hint(skip, label='skip_area_emitters'):
        origin = dr.select(skip, si.offset_origin(direction), origin)
        si = scene.ray_intersect(Ray3f(origin, direction), skip)
        skip &= si.is_valid() & scene.is_emitter(si)
    return Ray3f(origin, direction, ray.maxt, ray.time)


def solid_angle_to_area_jacobian(o, p, n, active=True):
    """|dA/dω| = |cos θ| / ||p - o||², the Jacobian of the change from solid angle at
    ``o`` to area at ``p`` (normal ``n``); 0 where not ``active`` (Mitsuba 3's helper of
    the same name). A path that samples directions and then moves the hit point
    differentiates it (``prb_basic``). Arrays: Point3f, Point3f, Normal3f, Bool; returns Float."""
    d = p - o
    distance_squared = dr.squared_norm(d)
    cos_theta = dr.abs(dr.dot(n, dr.normalize(d)))
    return dr.select(active & (distance_squared > 0), cos_theta / distance_squared, 0.0)


def mis_weight(pdf_a, pdf_b):
    """Power heuristic weight of strategy a against b, detached and zero where not
    finite: Mitsuba 3's helper of the same name (``mi.ad.common.mis_weight``), for
    integrators written against its API. (The path tracer of this package keeps
    its own, whose detaching it chooses term by term.) Floats in, Float out."""
    a2, b2 = dr.square(pdf_a), dr.square(pdf_b)
    w = a2 / (a2 + b2)
    return dr.detach(dr.select(dr.isfinite(w), w, 0))


def evaluated_loops():
    """A context in which Dr.Jit runs loops that name no mode in evaluated mode.

    A render that records derivatives of geometry needs it: reverse-mode
    automatic differentiation through a loop needs the loop evaluated (or
    a known iteration count). Dr.Jit's own switch, ``JitFlag.SymbolicLoops``,
    so that it reaches every integrator's ``while`` loop, ours or a user's.
    """
    return dr.scoped_set_flag(dr.JitFlag.SymbolicLoops, False)


def depth_limit(value, name='max_depth'):
    """A path depth as an integrator stores it: -1 (unlimited) becomes ``UNLIMITED``.

    Raises ValueError for other negative values or non-integers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < -1:
        raise ValueError(f'{name} must be -1 (unlimited) or a non-negative integer, got {value!r}')
    return UNLIMITED if value == -1 else int(value)


def read_depth(props, name, default):
    """A depth parameter of the scene file, checked by ``depth_limit``."""
    value = props.int(name, default)
    try:
        return depth_limit(value, name)
    except ValueError as error:
        raise props.error(name, str(error)) from None


def sample_radiance(integrator, mode, scene, sampler, ray, δL=None, state_in=None, sensor=None):
    """Call ``integrator.sample`` for camera rays as Mitsuba 3's renderer does:
    every argument by keyword, ``depth`` 0, no AOV adjoints, all rays active.
    A :class:`SamplingIntegrator` is called on its own contract, by position,
    and its result checked and widened (:func:`checked_sampling_result`).

    A ``sensor`` that sits in a medium passes it on as the keyword ``medium``
    (the rays start there); integrators without media need not know it.

    Returns what ``sample`` returns, ``(L, valid, aovs, state_out)``.
    """
    if isinstance(integrator, SamplingIntegrator):
        if mode != dr.ADMode.Primal:
            raise RenderError(f'{integrator_name(integrator)} is a SamplingIntegrator: it has no {mode.name} '
                              'pass to replay paths with (a render records its derivatives instead)')
        integrator.render_sensor = sensor
        try:
            result = integrator.sample(scene, sampler, ray, None, bk.Bool(True))
        except SceneError:
            raise
        except Exception as error:      # a bug in the integrator's code, reported under its name
            raise RenderError(f'{integrator_name(integrator)}.sample failed: {type(error).__name__}: {error}') from error
        L, valid, aovs = checked_sampling_result(integrator, result, dr.width(ray))
        return L, valid, aovs, L
    extra = {'medium': sensor.medium} if getattr(sensor, 'medium', None) is not None else {}
    return integrator.sample(mode=mode, scene=scene, sampler=sampler, ray=ray, depth=bk.UInt32(0),
                             δL=δL, δaovs=None, state_in=state_in, active=bk.Bool(True), **extra)


registry.declare_interface('integrator', Integrator)

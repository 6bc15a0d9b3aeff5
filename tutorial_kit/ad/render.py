"""``render``: from a scene to an image tensor.

One call traces ``spp`` camera rays per pixel, each at a random position
inside its pixel, asks the scene's integrator for the radiance along them
and averages the samples into pixels with the film's reconstruction filter.
The result is a Dr.Jit ``TensorXf`` of shape (height, width, 3) holding
linear RGB radiance, on the active backend.

The signature is Mitsuba 3's ``mi.render(scene, params, sensor, integrator,
seed, seed_grad, spp, spp_grad)``, so that its tutorials run unchanged; the
tutorial's keywords (``optimizer``, ``unbiased``, ``sensor_index``) are
accepted as well.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Optional, Sequence, Union

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError, interrupts_stay_interrupts
from tutorial_kit.ad.deferred_recording import DeferredRecording
from tutorial_kit.ad.path_replay import PathReplay
from tutorial_kit.ad.tracking_probe import any_tracked
from tutorial_kit.renderer.integrator import AdjointIntegrator, Integrator, evaluated_loops, sample_radiance
from tutorial_kit.core.random import mix64
from tutorial_kit.renderer.sensor import Sensor
from tutorial_kit.renderer.camera_rays import camera_rays, pixel_rays
from tutorial_kit.renderer.film import PixelFormat
from tutorial_kit.renderer.film_channels import film_channels, rgb_channels, stack_channels

if TYPE_CHECKING:       # names for the annotations only
    from tutorial_kit.ad.optimizers import Optimizer
    from tutorial_kit.ad.traverse import ParameterMap
    from tutorial_kit.renderer.scene import Scene

#: Above this many samples one render is split into passes, to bound memory:
#: a pass keeps each sample's radiance (12 bytes) until it is averaged into
#: pixels, so 2^20 samples take 12 MiB (benchmarks/README.md, "Rendering"). Passes are added up in a fixed
#: order; within a pass, a filter wider than a pixel adds samples into
#: pixels in no fixed order, so a seed gives the same image to float
#: rounding (bit for bit with the default box filter, which sums in place).
MAX_SAMPLES_PER_PASS = 2 ** 20
#: The most samples one render may draw: Dr.Jit's arrays are indexed by 32-bit integers.
MAX_SAMPLES = 2 ** 32 - 1
#: Memory one sample needs in a render that records derivatives (the path
#: state of every bounce, and its AD graph), and in one that replays paths
#: (the path state of one bounce). Estimates on the safe side of what the
#: Cornell box needs (benchmarks/README.md, "Rendering").
BYTES_PER_RECORDED_SAMPLE = 4096
BYTES_PER_REPLAYED_SAMPLE = 128
#: The most samples one part of a recorded derivative pass keeps for AD at
#: once (:mod:`tutorial_kit.ad.deferred_recording`): a render that moves
#: geometry with more samples is recorded and differentiated part by part.
MAX_RECORDED_SAMPLES_PER_PART = 2 ** 20


def render(scene: Scene, params: Optional[ParameterMap] = None, sensor: Union[int, Sensor] = 0,
           integrator: Optional[Integrator] = None, seed: Optional[int] = None,
           seed_grad: Optional[int] = None, spp: Union[int, Sequence[int], None] = None,
           spp_grad: Optional[int] = None, *, optimizer: Optional[Optimizer] = None,
           unbiased: Optional[bool] = None, sensor_index: Optional[int] = None) -> dr.ArrayBase:
    """Render ``scene`` as seen by ``sensor``.

    Parameters
    ----------
    scene : Scene
        What :func:`load_file`, :func:`load_string` or :func:`load_dict` returned.
    params : ParameterMap, optional
        Its entries with gradients enabled receive derivatives (default:
        every scene parameter with gradients enabled).
    sensor : int or Sensor
        An index into ``scene.sensors()`` or a sensor object (``sensor_index``
        is the same, by its older name).
    integrator : Integrator, optional
        Used instead of the scene's.
    seed : int, optional
        The same seed gives the same image; without one every call draws
        fresh samples (unlike Mitsuba 3, whose default is 0).
    seed_grad : int, optional
        The derivative pass's seed (default: derived from ``seed``); it must
        differ from ``seed``.
    spp : int or (int, int), optional
        Samples per pixel (0 or None: the sensor's sampler); a pair gives
        ``(spp, spp_grad)``.
    spp_grad : int, optional
        Samples per pixel of the derivative pass (default: ``spp``).
    optimizer : Optimizer, optional
        The Mitsuba 2 tutorial's way: its parameters are tracked.
    unbiased : bool, optional
        ``False`` reuses the image's samples for the derivative pass (one pass
        fewer, a biased gradient; finite-difference checks want exactly that).
    sensor_index : int, optional
        ``sensor`` under its older name.

    Returns
    -------
    TensorXf
        The image, shape (H, W, C), on the active backend: the film's crop
        window, linear radiance. C is 3 (linear RGB) for the default film and
        an integrator without AOVs; otherwise, as in Mitsuba 3, the film's
        pixel format chooses the colour channels (1 for luminance, 3 for RGB
        or XYZ, plus alpha) and the integrator's AOVs follow
        (:meth:`Integrator.output_channels`).

    Raises
    ------
    RenderError
        A bad argument (a sensor that does not exist, ``spp`` not positive,
        ``seed == seed_grad``...) or a render that would not fit the sample
        budget or memory, before anything is computed.

    Notes
    -----
    Derivatives are tracked whenever a parameter has gradients enabled (an
    ``optimizer`` enables them on its own). Like Mitsuba 3, the image's value
    and its derivatives then come from independent samples: the primal pass
    uses ``seed`` and ``spp``, the derivative pass ``seed_grad`` (default:
    derived from ``seed``) and ``spp_grad`` (default: ``spp``). Reusing one
    set of samples for both would correlate them and bias the gradient of
    objectives such as the squared error; ``unbiased=False`` does so anyway,
    which saves a pass (finite-difference checks want exactly that). ``spp``
    may also be a pair ``(spp, spp_grad)``.

    The derivative pass replays paths (:mod:`tutorial_kit.ad.path_replay`)
    when the integrator can (an ``RBIntegrator``) and no tracked parameter
    moves geometry; otherwise, and for a ``SamplingIntegrator``, it records
    the whole render for automatic differentiation, in memory that grows
    with the samples and the length of their paths, and only once a
    derivative reaches the image (``dr.backward``, ``dr.forward``): an image
    nobody differentiates costs the primal pass alone
    (:mod:`tutorial_kit.ad.deferred_recording`).
    """
    _check_arguments(scene, optimizer, unbiased)
    if isinstance(spp, (tuple, list)) and len(spp) == 2 and spp_grad is None:
        spp, spp_grad = spp
    sensor = _checked_sensor(scene, sensor if sensor_index is None else sensor_index,
                             'sensor' if sensor_index is None else 'sensor_index')
    integrator = scene.integrator() if integrator is None else integrator
    if not isinstance(integrator, Integrator):
        raise RenderError(f'integrator must be an integrator plugin, got {type(integrator).__name__}')
    spp = _checked_spp(sensor, spp, 'spp')
    spp_grad = spp if spp_grad in (None, 0) else _checked_spp(sensor, spp_grad, 'spp_grad')
    seed = _checked_seed(seed, 'seed')
    seed_grad = _checked_seed(seed_grad, 'seed_grad')
    if seed_grad and seed is not None and seed_grad == seed:
        raise RenderError('seed and seed_grad must differ: the derivative pass needs samples '
                          'independent of the image\'s, or the gradient is biased')
    width, height = _checked_film_size(sensor)

    tracked = _tracked_parameters(scene, params, optimizer)
    # Check every pass's sample budget before the first one starts.
    check_sample_budget(width, height, spp, film=sensor.film())
    if tracked:
        grad_spp = spp if unbiased is False else spp_grad
        if _replays_paths(integrator, tracked):
            check_sample_budget(width, height, grad_spp, BYTES_PER_REPLAYED_SAMPLE, film=sensor.film())
        elif unbiased is False or _extra_channels_needed(sensor, integrator):
            check_sample_budget(width, height, spp, BYTES_PER_RECORDED_SAMPLE, film=sensor.film())
        else:
            # Recorded part by part: one part's samples are held at a time.
            parts = _recorded_parts(sensor, spp_grad)
            check_sample_budget(width, height, -(-spp_grad // parts), BYTES_PER_RECORDED_SAMPLE,
                                film=sensor.film())
        # Passes of their own (an edge-sampling integrator's sppp, sppi) have the same limit.
        for name, count in integrator.pass_sample_counts(grad_spp).items():
            check_sample_budget(width, height, count, what=name)
    if seed is None:
        # Fresh samples for every call: the sampler's seed mixed with a call counter.
        seed = mix64(sensor.sampler().base_seed) ^ scene.render_count
    scene.render_count += 1
    with interrupts_stay_interrupts():
        return _render_passes(scene, sensor, integrator, spp, spp_grad, seed, seed_grad, tracked,
                              unbiased, width, height)


def _render_passes(scene, sensor, integrator, spp, spp_grad, seed, seed_grad, tracked, unbiased,
                   width, height):
    """The image (and its derivative pass where parameters are tracked), arguments checked."""
    _prepare(scene, tracked)
    if isinstance(integrator, AdjointIntegrator):
        return _render_light_paths(scene, sensor, integrator, spp, spp_grad, seed, seed_grad, tracked,
                                   unbiased, width, height)
    channels = _extra_channels_needed(sensor, integrator)
    if not tracked:
        primal = _render_primal(scene, sensor, integrator, spp, seed, width, height, channels)
        return _developed(sensor, integrator, primal, primal, width, height)
    if unbiased is False:
        differentiable = _render_differentiable(scene, sensor, integrator, spp, seed, tracked, width,
                                                height, channels)
        return _developed(sensor, integrator, differentiable, differentiable, width, height)
    if not seed_grad:
        seed_grad = mix64(seed) & 0x7FFFFFFF        # as Mitsuba 3 does: derived from the seed
    with dr.suspend_grad():
        primal = _render_primal(scene, sensor, integrator, spp, seed, width, height, channels)
    if _replays_paths(integrator, tracked):
        # Replay differentiates the radiance only; alpha and AOVs carry no derivatives
        # here, so the primal pass's serve (the image takes their values from it anyway).
        rgb = _render_differentiable(scene, sensor, integrator, spp_grad, seed_grad, tracked, width, height,
                                     value_needed=False)[0]
        differentiable = (rgb, primal[1], primal[2])
    elif channels:
        differentiable = _render_differentiable(scene, sensor, integrator, spp_grad, seed_grad, tracked,
                                                width, height, channels)
    else:
        differentiable = (_deferred_recording(scene, sensor, integrator, spp_grad, seed_grad, tracked,
                                              width, height), None, [])
    return _developed(sensor, integrator, primal, differentiable, width, height)


def _render_light_paths(scene, sensor, integrator, spp, spp_grad, seed, seed_grad, tracked, unbiased,
                        width, height):
    """The image of an integrator that traces light paths (an AdjointIntegrator),
    and its derivatives where parameters are tracked: the paths recorded for
    automatic differentiation, their loops evaluated, from independent
    samples (``seed_grad``) unless ``unbiased`` is False. TensorXf (H, W, 3)."""
    if sensor.film().pixel_format() != PixelFormat.RGB or integrator.aov_names():
        raise RenderError(f'{type(integrator).__name__} splats light paths onto an RGB image: '
                          f'the film\'s pixel_format must be "rgb" (got '
                          f'"{sensor.film().pixel_format().value}") and there are no AOVs')

    def image(count, pass_seed):
        rgb = integrator.render_image(scene, sensor, count, pass_seed)
        return bk.TensorXf(dr.ravel(rgb), shape=(height, width, 3))

    if not tracked:
        primal = (image(spp, seed), None, [])
        return _developed(sensor, integrator, primal, primal, width, height)
    if unbiased is False:
        with evaluated_loops():
            differentiable = (image(spp, seed), None, [])
        return _developed(sensor, integrator, differentiable, differentiable, width, height)
    if not seed_grad:
        seed_grad = mix64(seed) & 0x7FFFFFFF
    with dr.suspend_grad():
        primal = image(spp, seed)
    with evaluated_loops():
        differentiable = image(spp_grad, seed_grad)
    return _developed(sensor, integrator, (primal, None, []), (differentiable, None, []), width, height)


def _prepare(scene, tracked):
    """Join the scene's arrays from its objects' current parameter values, and let
    each owner of a tracked parameter precompute what its derivatives need."""
    scene.prepare_render()
    for owner in {id(p.owner): p.owner for p in tracked}.values():
        owner.prepare_derivatives({p.attribute for p in tracked if p.owner is owner})


def _deferred_recording(scene, sensor, integrator, spp, seed, tracked, width, height):
    """The recorded derivative pass as a node that records only when a derivative
    reaches it (:mod:`tutorial_kit.ad.deferred_recording`), part by part so
    that memory holds :data:`MAX_RECORDED_SAMPLES_PER_PART` samples at most.
    TensorXf (H, W, 3)."""
    parts = _recorded_parts(sensor, spp)

    def prepare():
        # The owners now hold fresh copies of the parameters: join them again.
        _prepare(scene, tracked)

    def record(part):
        return _recorded_part(scene, sensor, integrator, spp, seed, tracked, part, parts, width, height)
    return dr.custom(DeferredRecording, prepare, record, parts, tracked, [p.value() for p in tracked],
                     (height, width, 3))


def _recorded_parts(sensor, spp):
    """Into how many parts a recorded derivative pass of ``spp`` samples per pixel
    is split (at most one per sample per pixel)."""
    _, _, grid_width, grid_height = sensor.film().sampled_region()
    return max(1, min(spp, -(-grid_width * grid_height * spp // MAX_RECORDED_SAMPLES_PER_PART)))


def _recorded_part(scene, sensor, integrator, spp, seed, tracked, part, parts, width, height):
    """Part ``part`` of ``parts`` of a recorded derivative pass: an image of its
    share of the ``spp`` samples per pixel (interior and visibility terms),
    weighted by that share, so that the parts add up to the whole estimate.
    With one part it is :func:`_render_differentiable`'s image. TensorXf (H, W, 3)."""
    if parts == 1:
        return _render_differentiable(scene, sensor, integrator, spp, seed, tracked, width, height)[0]
    count = spp // parts + (part < spp % parts)
    part_seed = mix64(seed) + part
    image = _render_differentiable(scene, sensor, integrator, count, part_seed, tracked, width, height)[0]
    return image * (count / spp)


# -- what a render returns ---------------------------------------------------------------

def _extra_channels_needed(sensor, integrator):
    """Whether the render returns more than the RGB image: an alpha channel,
    other colour channels (the film's pixel format) or the integrator's AOVs."""
    return sensor.film().pixel_format() != PixelFormat.RGB or bool(integrator.aov_names())


def _developed(sensor, integrator, primal, differentiable, width, height):
    """The tensor ``render`` returns, from the developed passes (each a tuple
    ``(rgb, alpha, aovs)``: a TensorXf (H, W, 3), a Float per pixel or None, a
    list of Float per pixel): the primal pass's values with the derivatives
    of the differentiable pass. Keeps the image, with its channel names, in
    the film (for ``film.write``)."""
    film = sensor.film()
    if primal[1] is None and not primal[2] and film.pixel_format() == PixelFormat.RGB:
        image = primal[0] if differentiable is primal else dr.replace_grad(primal[0], differentiable[0])
        _store(film, image, PixelFormat.RGB.channel_names)
        return image
    images = []
    for rgb, alpha, aovs in (primal, differentiable):
        rgb = rgb_channels(rgb)
        full = film_channels(film.pixel_format(), rgb, alpha, aovs)
        output = integrator.output_channels(film.pixel_format(), rgb, alpha, aovs)
        images.append((stack_channels(full if output is None else output, width, height),
                       None if output is None else full))
        if differentiable is primal:
            break
    image = images[0][0] if len(images) == 1 else dr.replace_grad(images[0][0], images[1][0])
    full = images[0][0] if images[0][1] is None else stack_channels(images[0][1], width, height)
    _store(film, full, film.pixel_format().channel_names + list(integrator.aov_names()))
    return image


def _store(film, image, names):
    """Hand the developed image to a film that keeps it (Mitsuba 3's film storage)."""
    store = getattr(film, 'store_image', None)
    if store is not None:
        store(dr.detach(image), names)


# -- the two kinds of pass ---------------------------------------------------------------

def _render_primal(scene, sensor, integrator, spp, seed, width, height, channels=False):
    """The image without derivatives, in memory that does not grow with ``spp``:
    ``(rgb, alpha, aovs)`` as :func:`_developed` takes them (alpha and AOVs
    only if ``channels``)."""
    if sensor.film().pixel_box() and integrator.replays_paths and not channels:
        image = _render_pixel_sums(scene, sensor, integrator, spp, mix64(seed))
        return bk.TensorXf(dr.ravel(image), shape=(height, width, 3)), None, []
    # A wider filter spreads samples over pixels, and a SamplingIntegrator sees a
    # pass's samples at once, as in Mitsuba 3: passes bound the memory of one kernel.
    _, _, grid_width, grid_height = sensor.film().sampled_region()
    passes = -(-grid_width * grid_height * spp // MAX_SAMPLES_PER_PASS)
    return _accumulate(scene, sensor, integrator, spp, seed, passes, width, height, channels)


def _render_differentiable(scene, sensor, integrator, spp, seed, tracked, width, height,
                           channels=False, value_needed=True):
    """The image as a node of the AD graph, with derivatives for ``tracked``:
    ``(rgb, alpha, aovs)`` as :func:`_developed` takes them. ``value_needed=False``:
    the caller uses only the derivatives of the RGB image, whose value a
    replaying integrator may then leave at zero (no pass until a derivative
    is asked for)."""
    if _replays_paths(integrator, tracked):
        # Derivatives only of materials and lights: replay paths (fast).
        image = dr.custom(PathReplay, scene, sensor, integrator, spp, mix64(seed), tracked,
                          [p.value() for p in tracked], value_needed)
        if not channels:
            return image, None, []
        # Alpha and AOVs from a primal pass with the same samples (no derivatives).
        with dr.suspend_grad():
            _, alpha, aovs = _accumulate(scene, sensor, integrator, spp, seed, 1, width, height, True)
        return image, alpha, aovs
    # Derivatives of geometry, or an integrator with no replay (a SamplingIntegrator):
    # the render is recorded in full, in one pass, its loops evaluated (reverse-mode
    # AD cannot go back through a symbolic loop). Memory grows with samples x bounces.
    with evaluated_loops():
        image, alpha, aovs = _accumulate(scene, sensor, integrator, spp, seed, 1, width, height,
                                         channels)
    boundary = integrator.visibility_image(scene, sensor, spp, mix64(seed) ^ 0x5bd1e995)
    if boundary is not None:
        image = image + bk.TensorXf(dr.ravel(boundary), shape=(height, width, 3))
    return image, alpha, aovs


def _accumulate(scene, sensor, integrator, spp, seed, passes, width, height, channels=False):
    """``passes`` passes of the integrator averaged into the film: ``(rgb, alpha,
    aovs)``, the RGB a TensorXf (H, W, 3); alpha (the share of samples whose ray
    met the scene, Float per pixel) and the AOVs (Float per pixel each) only if
    ``channels``, else None and []."""
    spp_per_pass = [spp // passes + (k < spp % passes) for k in range(passes)]
    film = sensor.film()
    image, alpha, aovs = None, None, []
    for k, count in enumerate(spp_per_pass):
        position, sampler, ray = camera_rays(sensor, count, mix64(seed + k))
        radiance, valid, sample_aovs, _ = sample_radiance(integrator, dr.ADMode.Primal, scene, sampler, ray,
                                                          sensor=sensor)
        if channels:
            # One kernel for all outputs (radiance, alpha, AOVs): the film develops
            # each channel on its own, and each would otherwise trace the paths again.
            dr.eval(radiance, valid, sample_aovs)
        share = count / spp
        block = film.develop(position, radiance, count) * share
        image = block if image is None else image + block
        if channels:
            extra = [film.develop(position, dr.select(valid, bk.Float(1), bk.Float(0)), count) * share]
            extra += [film.develop(position, bk.Float(aov), count) * share for aov in sample_aovs]
            if alpha is None:
                alpha, aovs = extra[0], extra[1:]
            else:
                alpha, aovs = alpha + extra[0], [a + b for a, b in zip(aovs, extra[1:])]
        if passes > 1:
            dr.eval(image, alpha, aovs)      # frees this pass's samples before the next
    return bk.TensorXf(dr.ravel(image), shape=(height, width, 3)), alpha, aovs


def render_recorded(scene, sensor, spp, seed):
    """The image of ``render(scene, sensor=sensor, spp=spp, seed=seed,
    unbiased=False)``, drawn as a render that tracks geometry draws it: one
    pass whose every bounce is recorded for AD (the loop over bounces in
    Dr.Jit's evaluated mode), without the visibility term. ``sensor``: a
    Sensor; ``seed``: an int. Returns TensorXf (H, W, 3). For comparing the
    cost of recording everything with path replay.
    """
    width, height = _checked_film_size(sensor)
    scene.prepare_render()
    with evaluated_loops():
        return _accumulate(scene, sensor, scene.integrator(), spp, seed, 1, width, height)[0]


def _render_pixel_sums(scene, sensor, integrator, spp, seed):
    """Pixel means (Color3f, one per pixel) of ``spp`` samples each, for a
    film whose pixels are plain means of their own samples.

    One lane per pixel loops over its samples inside the kernel and adds
    them up in order, so that memory does not grow with ``spp`` and a seed
    gives the same image bit for bit. Sample ``k`` of pixel ``j`` draws the
    random numbers of sample ``j * spp + k``, as in :func:`camera_rays`, so
    the samples are those of a render that keeps them all (path replay,
    finite differences with common random numbers).
    """
    width, height = sensor.film().crop_size()
    lanes = width * height
    pixel = dr.arange(bk.UInt32, lanes)

    count = dr.opaque(bk.UInt32, spp)       # another spp reuses the kernel
    template = sensor.sampler().clone()
    template.set_sample_count(spp)

    def add_sample(k, total):
        sampler = template.clone()
        sampler.seed(seed, lanes, sample_index=bk.UInt64(pixel) * bk.UInt64(count) + bk.UInt64(k))
        _, ray = pixel_rays(sensor, pixel, sampler)
        return k + 1, total + sample_radiance(integrator, dr.ADMode.Primal, scene, sampler, ray,
                                              sensor=sensor)[0]

    _, total = dr.while_loop(
        (dr.zeros(bk.UInt32, lanes), dr.zeros(bk.Color3f, lanes)),
        lambda k, total: k < count, add_sample, labels=('k', 'total'),
        label='render_samples', mode='symbolic')
    return total / bk.Float(count)


def _replays_paths(integrator, tracked):
    """Whether the derivatives of ``tracked`` come from path replay: the
    integrator replays paths and no parameter moves geometry."""
    return integrator.replays_paths and not any(p.kind.is_geometry for p in tracked)


def _tracked_parameters(scene, params, optimizer):
    """The parameter records (traverse.Parameter) that have gradients enabled.

    Those of ``params`` (a ParameterMap) if given, else of the ``optimizer``'s
    map, else of the whole scene.
    """
    from tutorial_kit.ad.traverse import ParameterMap
    if params is None and optimizer is not None and isinstance(optimizer.params, ParameterMap):
        params = optimizer.params
    if params is None:
        if not any_tracked(scene):
            return []
        params = _scene_parameters(scene)
    elif not isinstance(params, ParameterMap):
        raise RenderError(f'params must be a ParameterMap (from tk.traverse(scene)), '
                          f'got {type(params).__name__}')
    elif params.scene_of() is not None and params.scene_of() is not scene and _is_scene(params.scene_of()):
        what = 'the optimizer\'s parameters belong' if optimizer is not None and params is optimizer.params \
            else 'params belong'
        raise RenderError(f'{what} to another scene: traverse the scene you render (tk.traverse(scene)) '
                          'and give the optimizer its parameters')
    return [p for p in params.parameters() if p.differentiable and dr.grad_enabled(p.value())]


def _is_scene(obj):
    from tutorial_kit.renderer.scene import Scene
    return isinstance(obj, Scene)


def _scene_parameters(scene):
    """``traverse(scene)``, kept on the scene until it rebuilds its tables (the
    records read live values; a scene of many shapes has many of them, and
    each render without ``params`` asks which track derivatives)."""
    from tutorial_kit.ad.traverse import traverse
    cached = getattr(scene, 'traversal_cache', None)
    if cached is None:
        cached = scene.traversal_cache = traverse(scene)
    return cached


# -- checking the arguments --------------------------------------------------------------

def _check_arguments(scene, optimizer, unbiased):
    """Refuse arguments of the wrong kind before any work starts."""
    from tutorial_kit.renderer.scene import Scene
    from tutorial_kit.ad.optimizers import Optimizer
    if not isinstance(scene, Scene):
        raise RenderError(f'render expects a scene (from tk.load_file or tk.load_string), '
                          f'got {type(scene).__name__}')
    if getattr(scene, 'polarized', False) != bk.polarized:
        loaded = 'a polarised' if scene.polarized else 'an unpolarised'
        raise RenderError(f'the scene was loaded in {loaded} variant and the active variant is '
                          f'{"" if bk.polarized else "not "}polarised: load it again after set_variant, '
                          'as its integrator and materials follow the variant they were loaded in')
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise RenderError(f'optimizer must be a tk.Optimizer (SGD, Adam) or None, '
                          f'got {type(optimizer).__name__}')
    if unbiased is not None and not isinstance(unbiased, bool):
        raise RenderError(f'unbiased must be True, False or None, got {unbiased!r}')


def check_sample_budget(width, height, spp, bytes_per_sample=None, film=None, what='spp'):
    """Refuse a render whose samples cannot be held or indexed.

    Dr.Jit arrays hold fewer than 2^32 entries, so one render draws at most
    :data:`MAX_SAMPLES` samples in all. A render that tracks derivatives runs
    in one pass and keeps all its samples alive at once, ``bytes_per_sample``
    each (an estimate), which must fit in the memory available now. A
    ``film`` that samples a border around its crop window counts those pixels too.
    ``what``: the name of the sample count in the message.
    """
    if film is not None:
        width, height = film.sampled_region()[2:]
    samples = width * height * spp
    if samples > MAX_SAMPLES:
        raise RenderError(f'{width} x {height} pixels x {spp} {what} = {samples} samples; one render '
                          f'pass draws at most {MAX_SAMPLES} (a Dr.Jit array holds fewer than 2^32 '
                          f'entries): {what} <= {MAX_SAMPLES // (width * height)} for this film')
    if bytes_per_sample is not None:
        available = available_memory()
        if available is not None and samples * bytes_per_sample > available:
            limit = max(available // (bytes_per_sample * width * height), 0)
            raise RenderError(f'a render that tracks derivatives of {width} x {height} pixels x '
                              f'{spp} spp needs about {samples * bytes_per_sample / 2**30:.1f} '
                              f'GiB, but {available / 2**30:.1f} GiB are available '
                              f'(spp <= {limit} fits)')


def available_memory():
    """Bytes of memory available now, or None if unknown.

    Linux's MemAvailable counts the page cache the kernel would give up;
    elsewhere the free pages are the best guess.
    """
    import os
    try:
        with open('/proc/meminfo') as meminfo:
            for line in meminfo:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf('SC_AVPHYS_PAGES') * os.sysconf('SC_PAGE_SIZE')
    except (ValueError, OSError, AttributeError):
        return None


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _checked_sensor(scene, sensor, name):
    if isinstance(sensor, Sensor):
        return sensor
    sensors = scene.sensors()
    if not _is_int(sensor) or not 0 <= sensor < len(sensors):
        raise RenderError(f'{name} must be a sensor or an int in [0, {len(sensors) - 1}], got {sensor!r}')
    return sensors[int(sensor)]


def _checked_spp(sensor, spp, name):
    if spp is None or (_is_int(spp) and spp == 0):
        return sensor.sampler().sample_count()
    if not _is_int(spp) or spp < 0:
        raise RenderError(f'{name} must be a positive int (0: the sensor\'s sample count), got {spp!r}')
    return int(spp)


def _checked_seed(seed, name):
    if dr.is_array_v(seed) and dr.width(seed) == 1 and dr.is_integral_v(seed):
        seed = int(seed[0])                     # Mitsuba 3 code passes mi.UInt32(it)
    if seed is not None and (not _is_int(seed) or not 0 <= seed < 2 ** 64):
        raise RenderError(f'{name} must be an int in [0, 2^64), got {seed!r}')
    return None if seed is None else int(seed)


def _checked_film_size(sensor):
    width, height = sensor.film().crop_size()
    if not all(_is_int(n) and n > 0 for n in (width, height)):
        # The loader checks the film, but code may resize it later (film.width = ...).
        raise RenderError(f'the film must have a positive integer size, got {width!r} x {height!r}')
    return int(width), int(height)

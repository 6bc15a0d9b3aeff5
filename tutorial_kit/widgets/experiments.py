"""Repeatable experiments on the inverse problem of notebook 3.

One run of the optimisation loop tells little about noise and bias: the
next run, with other random samples, looks different. The functions here
run the loop (or one gradient) with *seeded* renders, so that several seeds
can be compared and every notebook execution prints the same numbers:

- :func:`fit` runs the loop of notebook 3 and keeps its whole history,
- :func:`objective_gradients` evaluates the gradient of the objective at
  one parameter value, once per seed,
- :func:`recorded_render` renders with every operation recorded for
  automatic differentiation, to compare with path replay.
"""
import dataclasses
import time

import drjit as dr
import numpy as np

import tutorial_kit as tk


@dataclasses.dataclass
class History:
    """What one optimisation run went through, one entry per iteration.

    ``objective``: the mean squared pixel difference to the reference (the
    number the optimizer minimises); ``error``: the squared distance of the
    parameter to its true value (known only in a synthetic experiment);
    ``values``: the parameter after each step, an array (iterations, 3) for
    an RGB colour; ``seconds``: wall-clock time of each iteration (the first
    includes compiling the kernels, if the run needed new ones).
    """
    objective: list
    error: list
    values: np.ndarray
    seconds: list


def objective(image, image_ref):
    """The tutorial's objective: the mean squared difference of all pixels."""
    return dr.mean(dr.square(image - image_ref), axis=None)


def fit(scene, key, image_ref, true_value, start, make_optimizer, iterations, spp=1,
        unbiased=True, seed=0, learning_rates=None):
    """Run the optimisation loop of notebook 3 from ``start`` and return its :class:`History`.

    ``make_optimizer(params)`` builds the optimizer on a ParameterMap that
    holds only ``key`` (e.g. ``lambda p: tk.Adam(p, lr=0.2)``). Render ``it``
    uses seed ``(seed, it)``, so a run is repeatable and two seeds give
    independent runs. ``learning_rates``: optional function from the
    iteration (0, 1, ...) to the learning rate, set with
    ``set_learning_rate`` before each step (a schedule). The parameter keeps
    its final value; derivative tracking is switched off at the end.
    """
    params = tk.traverse(scene)
    params.keep([key])
    params[key] = start
    params.update()
    optimizer = make_optimizer(params)
    truth = np.asarray(true_value, dtype=np.float64).ravel()
    objectives, errors, values, seconds = [], [], [], []
    for it in range(iterations):
        started = time.perf_counter()
        if learning_rates is not None:
            optimizer.set_learning_rate(learning_rates(it))
        image = tk.render(scene, optimizer=optimizer, unbiased=unbiased, spp=spp,
                          seed=int(tk.util.mix64(seed * 1_000_003 + it) & 0x7FFFFFFF))
        value = objective(image, image_ref)
        dr.backward(value)
        optimizer.step()
        current = params[key].numpy().ravel().astype(np.float64)
        objectives.append(float(value.numpy().ravel()[0]))
        errors.append(float(np.sum((current - truth) ** 2)))
        values.append(current)
        seconds.append(time.perf_counter() - started)     # .numpy() above waited for the step
    dr.disable_grad(params[key])
    return History(objectives, errors, np.array(values), seconds)


def objective_gradients(scene, key, value, image_ref, seeds, spp=1, unbiased=True):
    """The gradient of :func:`objective` with respect to ``key`` at ``value``, once per seed.

    Returns a NumPy array (len(seeds), channels). With ``unbiased=False`` the
    image and its derivative come from the same samples. The parameter keeps
    ``value`` afterwards, without derivative tracking.
    """
    params = tk.traverse(scene)
    params.keep([key])
    params[key] = value
    params.update()
    holder = tk.SGD(params, lr=1)              # enables derivatives; only its gradient bookkeeping is used
    gradients = []
    for seed in seeds:
        image = tk.render(scene, optimizer=holder, unbiased=unbiased, spp=spp, seed=int(seed))
        dr.backward(objective(image, image_ref))
        gradients.append(dr.grad(params[key]).numpy().ravel().copy())
        dr.clear_grad(params[key])
    dr.disable_grad(params[key])
    return np.array(gradients)


def recorded_render(scene, spp, seed):
    """A render whose every operation is recorded for automatic differentiation.

    The same image as ``render(scene, spp=spp, seed=seed, unbiased=False)``,
    but drawn the way a render that tracks geometry draws it
    (:func:`tk.ad.render_recorded <tutorial_kit.ad.render.render_recorded>`):
    instead of path replay the loop over bounces runs in Dr.Jit's *evaluated*
    mode with derivative tracking on, so the AD graph holds every bounce of
    every path until ``dr.backward`` consumes it. Returns TensorXf (H, W, 3).
    Only for comparing costs with path replay.
    """
    return tk.ad.render_recorded(scene, scene.sensors()[0], spp, seed)


def replay_and_recording(scene, key, spp, seed=0):
    """What the gradient of the mean pixel value with respect to ``key`` costs
    with path replay and with a recorded render.

    Returns ``{'path replay': (seconds, MiB, gradient), 'recorded': (...)}``:
    the time of the render and its backward pass, the peak Dr.Jit memory they
    allocated, and the gradient (a NumPy array, the same for both up to
    rounding). Each is computed once beforehand, so that compiling the kernels
    is not timed.
    """
    value = tk.traverse(scene)[key]
    renders = {'path replay': lambda: tk.render(scene, spp=spp, seed=seed, unbiased=False),
               'recorded': lambda: recorded_render(scene, spp, seed)}

    def gradient(make_image):
        dr.enable_grad(value)
        try:
            dr.backward(dr.mean(make_image(), axis=None))
            return dr.grad(value).numpy().ravel()       # .numpy() waits for the kernels
        finally:
            dr.clear_grad(value)
            dr.disable_grad(value)

    results = {}
    for name, make_image in renders.items():
        gradient(make_image)
        started = time.perf_counter()
        result, mebibytes = tk.util.with_added_memory(lambda: gradient(make_image))
        results[name] = (time.perf_counter() - started, mebibytes, result)
    return results

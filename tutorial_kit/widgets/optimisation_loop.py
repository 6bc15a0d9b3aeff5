"""The tutorial's inverse-rendering loop, without widgets: recover one scene
parameter from a reference image.

:class:`OptimisationLoop` owns the experiment (the scene, the parameter, the
reference image and the true value) and the record of its latest run (one
error and one duration per iteration). :class:`RunSettings` holds what a run
is told: optimizer, learning rate, samples per pixel and kind of gradients.
Nothing here imports ipywidgets or knows about threads: the dashboard
(``optimisation_dashboard.py``) steers this loop from its controls and runs it
in a background thread (``background_run.py``).
"""
import enum
import time
from dataclasses import dataclass

import drjit as dr
import numpy as np

import tutorial_kit as tk
from .figures import to_numpy


def _make_adam(params, lr):
    return tk.Adam(params, lr=lr)


def _make_sgd(params, lr):
    return tk.SGD(params, lr=lr)


def _make_sgd_momentum(params, lr):
    return tk.SGD(params, lr=lr, momentum=0.9)


#: The optimizers a run can use, by the names the dashboard's drop-down shows.
OPTIMIZERS = {'Adam': _make_adam, 'SGD': _make_sgd, 'SGD+momentum': _make_sgd_momentum}

class Gradients(str, enum.Enum):
    """The kinds of gradients a run takes, by the names the dashboard shows:
    ``UNBIASED`` renders the image and its derivative with independent
    samples (``render(unbiased=True)``), ``BIASED`` with the same ones."""
    UNBIASED = 'unbiased'
    BIASED = 'biased'


#: The dashboard's choices, in order.
GRADIENTS = tuple(kind.value for kind in Gradients)


@dataclass
class RunSettings:
    """What one run is told. ``learning_rate`` may change while it runs
    (:meth:`OptimisationLoop.run` records the new value here);
    ``first_learning_rate`` keeps the one it started with, for the label."""
    optimizer: str
    learning_rate: float
    spp: int
    gradients: Gradients
    first_learning_rate: float = None

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f'optimizer: expected one of {list(OPTIMIZERS)}, got {self.optimizer!r}')
        if self.gradients not in GRADIENTS:
            raise ValueError(f'gradients: expected one of {list(GRADIENTS)}, got {self.gradients!r}')
        self.gradients = Gradients(self.gradients)
        if isinstance(self.spp, bool) or not isinstance(self.spp, (int, np.integer)) or self.spp < 1:
            raise ValueError(f'spp: expected a positive integer, got {self.spp!r}')
        if not self.learning_rate > 0:
            raise ValueError(f'learning_rate: expected a positive number, got {self.learning_rate!r}')
        if self.first_learning_rate is None:
            self.first_learning_rate = self.learning_rate

    def label(self):
        """A one-line description for a curve's legend, e.g. ``'Adam, lr 0.2, 1 spp, unbiased'``."""
        lr = f'{self.learning_rate:.3g}'
        if self.first_learning_rate != self.learning_rate:          # changed during the run
            lr = f'{self.first_learning_rate:.3g} to {lr}'
        return f'{self.optimizer}, lr {lr}, {self.spp} spp, {self.gradients.value}'


def _never():
    return False


def _no_new_learning_rate():
    return None


class OptimisationLoop:
    """Recover parameter ``key`` of ``scene`` from ``reference``, an image
    (H, W, 3) rendered with the parameter at ``true_value``.

    Each iteration renders the scene, takes the mean squared error to the
    reference, back-propagates it and lets the optimizer step. What the loop
    records is the squared error of the parameter to ``true_value``, which
    only a synthetic experiment knows. Every run starts again from the
    parameter's value at construction time.
    """

    def __init__(self, scene, key, reference, true_value):
        self.scene, self.key = scene, key
        self.params = tk.traverse(scene)
        self.params.keep([key])
        self.start_value = dr.detach(self.params[key])
        dr.eval(self.start_value)
        self.true_value = to_numpy(true_value).reshape(to_numpy(self.start_value).shape)
        self.reference = to_numpy(reference)
        self._reference = _owned_tensor(self.reference)
        dr.eval(self._reference)
        #: Per iteration of the latest run: the squared error to the true value,
        #: and the seconds it took (the first one includes compiling the kernels).
        self.errors, self.iteration_times = [], []
        #: The settings of the latest run (None before the first).
        self.settings = None

    @property
    def value(self):
        """The parameter's current value (NumPy)."""
        return to_numpy(self.params[self.key])

    def error_to_truth(self):
        """Squared error of the parameter's current value to the true value (summed over components)."""
        return float(np.sum((self.value.astype(np.float64) - self.true_value) ** 2))

    def reset(self):
        """Put the parameter back to its starting value and forget the latest run's record."""
        self.params[self.key] = type(self.start_value)(self.start_value)
        self.params.update()
        self.errors, self.iteration_times = [], []

    def run(self, iterations, settings, should_stop=_never, next_learning_rate=_no_new_learning_rate,
            after_iteration=None):
        """Reset, then take up to ``iterations`` steps with ``settings`` (a :class:`RunSettings`).

        Before each step, ``should_stop()`` may end the run early and
        ``next_learning_rate()`` may return a new learning rate (None: keep
        it). After each step, ``after_iteration(iteration, iterations,
        image)`` sees the 0-based iteration and the rendered image (a Dr.Jit
        tensor). Returns :attr:`errors`.
        """
        self.reset()
        self.settings = settings
        optimizer = OPTIMIZERS[settings.optimizer](self.params, settings.learning_rate)
        try:
            for iteration in range(iterations):
                if should_stop():
                    break
                new_learning_rate = next_learning_rate()
                if new_learning_rate is not None:
                    settings.learning_rate = new_learning_rate
                    optimizer.set_learning_rate(new_learning_rate)
                image = self._step(optimizer, settings)
                if after_iteration is not None:
                    after_iteration(iteration, iterations, image)
        finally:
            # Leave the scene without derivative tracking for later renders.
            self.params[self.key] = dr.detach(self.params[self.key])
            self.params.update()
        return self.errors

    def _step(self, optimizer, settings):
        """One iteration: render, loss, backward, optimizer step; record error and time."""
        started = time.perf_counter()
        image = tk.render(self.scene, optimizer=optimizer, spp=settings.spp,
                          unbiased=settings.gradients is Gradients.UNBIASED)
        loss = dr.mean(dr.square(image - self._reference), axis=None)
        dr.backward(loss)
        optimizer.step()
        self.errors.append(self.error_to_truth())       # reading the value waits for the GPU/CPU
        self.iteration_times.append(time.perf_counter() - started)
        return image


def _owned_tensor(values):
    """TensorXf holding its own copy of ``values`` (a float32 NumPy array):
    built straight from NumPy, a tensor on the CPU would borrow NumPy's
    memory, which must then outlive it, up to the interpreter's exit."""
    flat = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    owned = dr.empty(tk.Float, flat.size)
    dr.scatter(owned, tk.Float(flat), dr.arange(tk.UInt32, flat.size))
    dr.eval(owned)
    return tk.TensorXf(owned, values.shape)

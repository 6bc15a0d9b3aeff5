"""Gradient-descent optimizers that update scene parameters in place.

An optimizer is built on a :class:`~tutorial_kit.ad.traverse.ParameterMap`. It
enables gradients on every entry, and each :meth:`Optimizer.step` reads the
gradients that ``dr.backward`` left there, computes new values, writes them
into the scene (``params[key] = ...; params.update()``) and clears the
gradients for the next iteration.

Learning rates and iteration-dependent factors live in *opaque* Dr.Jit
variables: as Python floats they would be baked into the generated code, and
every new value would compile a new kernel.
"""
import contextlib
import math
import warnings

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import ParameterError


class Optimizer:
    """Shared machinery: learning rates, value ranges, gradient bookkeeping.

    ``params``: a ParameterMap whose entries are all differentiable.
    ``lr``: a positive float, or a dict from key to float (per parameter).
    ``clamp``: an optional dict from key to ``(low, high)``; after a step the
    value is clipped to that range (e.g. ``(0, 1)`` for a reflectance).
    """

    def __init__(self, params, lr, clamp=None):
        for key in params:
            if not params.is_differentiable(key):
                raise ParameterError(f'"{key}" cannot be optimized: it is not differentiable '
                                     f'(drop it with params.keep([...]))')
        self.params = params
        self.lr = {}
        rates = lr if isinstance(lr, dict) else {key: lr for key in params}
        for key, rate in rates.items():
            self.set_learning_rate(rate, key)
        self.clamp = dict(clamp or {})
        for key, bounds in self.clamp.items():
            params.parameter(key)
            if len(bounds) != 2 or not bounds[0] < bounds[1]:
                raise ParameterError(f'clamp for "{key}" must be (low, high) with low < high')
        self.state = {}
        self.iteration = 0
        for key in params:
            dr.enable_grad(params[key])

    def set_learning_rate(self, lr, key=None):
        """Change the learning rate of ``key`` (or of every parameter) without recompiling."""
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0 or math.isinf(lr):
            raise ParameterError(f'the learning rate must be a positive number, got {lr!r}')
        for name in ([key] if key is not None else list(self.params)):
            self.params.parameter(name)
            self.lr[name] = dr.opaque(bk.Float, lr)

    @contextlib.contextmanager
    def disable_gradients(self):
        """Within this block, the parameters do not track derivatives."""
        for key in self.params:
            dr.disable_grad(self.params[key])
        try:
            yield
        finally:
            for key in self.params:
                dr.enable_grad(self.params[key])

    def step(self):
        """Take one gradient step on every parameter and update the scene.

        A parameter whose gradient contains NaN or infinity is left as it is
        for this step (with a warning), so one bad sample cannot ruin it.
        """
        self.iteration += 1
        new_values = {}
        for key in self.params:
            value = self.params[key]
            gradient = dr.grad(value)
            if not dr.all(dr.isfinite(gradient), axis=None):
                warnings.warn(f'skipped the step on "{key}": its gradient is not finite', RuntimeWarning)
                new_values[key] = dr.detach(value)
                continue
            new_value = self._update(key, dr.detach(value), gradient)
            if key in self.clamp:
                new_value = dr.clip(new_value, *self.clamp[key])
            new_values[key] = new_value
        # Evaluate now: otherwise the update would be recomputed inside every
        # later kernel that reads the parameter, growing them step by step.
        dr.eval(new_values, [state for state in self.state.values()])
        for key, new_value in new_values.items():
            dr.enable_grad(new_value)
            self.params[key] = new_value
        self.params.update()

    def _update(self, key, value, gradient):
        raise NotImplementedError

    def __repr__(self):
        return f'{type(self).__name__}[{", ".join(self.params)}]'


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum.

    ``velocity = momentum * velocity + gradient``; ``value -= lr * velocity``.
    With ``momentum = 0`` this is plain gradient descent.
    """

    def __init__(self, params, lr, momentum=0, clamp=None):
        if not 0 <= momentum < 1:
            raise ParameterError(f'momentum must lie in [0, 1), got {momentum!r}')
        super().__init__(params, lr, clamp)
        self.momentum = momentum

    def _update(self, key, value, gradient):
        if self.momentum:
            velocity = self.state.get(key, dr.zeros_like(dr.detach(gradient)))
            gradient = self.momentum * velocity + gradient
            self.state[key] = dr.detach(gradient)
        return value - self.lr[key] * gradient


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's mean and variance.

    ``m = beta_1 m + (1 - beta_1) g``, ``v = beta_2 v + (1 - beta_2) g^2``,
    ``value -= lr * m_hat / (sqrt(v_hat) + epsilon)`` with the bias-corrected
    ``m_hat = m / (1 - beta_1^t)``, ``v_hat = v / (1 - beta_2^t)``.
    """

    def __init__(self, params, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8, clamp=None):
        for name, beta in (('beta_1', beta_1), ('beta_2', beta_2)):
            if not 0 <= beta < 1:
                raise ParameterError(f'{name} must lie in [0, 1), got {beta!r}')
        if not epsilon > 0:
            raise ParameterError(f'epsilon must be positive, got {epsilon!r}')
        super().__init__(params, lr, clamp)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _update(self, key, value, gradient):
        t = self.state.get(key, (0, None, None))[0] + 1
        zeros = dr.zeros_like(dr.detach(gradient))
        _, m, v = self.state.get(key, (0, zeros, zeros))
        m = self.beta_1 * m + (1 - self.beta_1) * gradient
        v = self.beta_2 * v + (1 - self.beta_2) * dr.square(gradient)
        self.state[key] = (t, m, v)
        # The bias corrections change every step: opaque, so no recompilation.
        m_correction = dr.opaque(bk.Float, 1 / (1 - self.beta_1 ** t))
        v_correction = dr.opaque(bk.Float, 1 / (1 - self.beta_2 ** t))
        step = self.lr[key] * (m * m_correction) / (dr.sqrt(v * v_correction) + self.epsilon)
        return value - step

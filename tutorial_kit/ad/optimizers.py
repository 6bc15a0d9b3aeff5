"""Gradient-descent optimizers: SGD (with momentum) and Adam.

An optimizer holds the values being optimized, each with gradients enabled.
After ``dr.backward(loss)`` has left gradients on them, :meth:`Optimizer.step`
computes new values from the gradients and a per-parameter state
(momentum, moment estimates). Two ways of use, one class:

* The Mitsuba 3 way: the optimizer is a dictionary of its own variables. ::

      opt = tk.ad.Adam(lr=0.05)
      opt[key] = params[key]          # registers a copy with gradients enabled
      params.update(opt)              # the scene now uses the optimizer's value
      ...
      opt.step()
      opt[key] = dr.clip(opt[key], 0, 1)   # keeps the optimizer's state
      params.update(opt)

* The tutorial's way: the optimizer is built on a ParameterMap and writes
  every step into the scene itself (``params[key] = ...; params.update()``),
  optionally clipping to ``clamp`` ranges::

      opt = tk.Adam(params, lr=0.2)
      ...
      opt.step()

The options and update rules are Mitsuba 3's (which takes them from Dr.Jit's
``drjit.opt``): ``SGD(lr, params=..., momentum=..., mask_updates=...)``,
``Adam(lr, params=..., beta_1=..., beta_2=..., epsilon=..., mask_updates=...,
uniform=...)``; a rate set for one key (``set_learning_rate({key: rate})``)
takes precedence over the default; the same gradients give the same steps.

Learning rates and iteration-dependent factors live in *opaque* Dr.Jit
variables: as Python floats they would be baked into the generated code, and
every new value would compile a new kernel. Values registered from literals
(``Color3f(0.1, 0.2, 0.3)``) are made opaque for the same reason.
"""
from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union
import math
import numbers
import warnings

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core.errors import ParameterError, interrupts_deferred
from tutorial_kit.io.loader import FLOAT32_MAX


class Optimizer:
    """Shared machinery: the values, learning rates, value ranges, gradient bookkeeping.

    ``params``: a ParameterMap whose entries are all differentiable (the
    optimizer then writes into the scene), a dict of Dr.Jit arrays to
    register, or None. For Mitsuba 3's calling convention the learning rate
    may come first: ``Adam(0.05)`` is ``Adam(lr=0.05)``.
    ``lr``: a positive float, or a dict from key to float (per parameter).
    ``clamp``: an optional dict from key to ``(low, high)``; after a step the
    value is clipped to that range (e.g. ``(0, 1)`` for a reflectance).
    """

    def __init__(self, params=None, lr=None, clamp=None, mask_updates=False):
        from tutorial_kit.ad.traverse import ParameterMap
        if _is_rate(params) and (lr is None or not _is_rate(lr)):
            params, lr = lr, params                      # Mitsuba 3's order: Adam(lr, params)
        if lr is None:
            raise ParameterError(f'{type(self).__name__} needs a learning rate: '
                                 f'{type(self).__name__}(lr=...)')
        if params is not None and not isinstance(params, (ParameterMap, dict)):
            raise ParameterError(f'{type(self).__name__} expects a ParameterMap (tk.traverse(scene)), '
                                 f'a dict of arrays or None, got {type(params).__name__}')
        if not isinstance(mask_updates, bool):
            raise ParameterError(f'mask_updates is True or False, got {mask_updates!r}')
        self.mask_updates = mask_updates
        self.params = params if isinstance(params, ParameterMap) else None
        self._values = {}                               # used when not bound to a ParameterMap
        self._written = {}                              # bound: the value each key last received
        self.state = {}
        self.iteration = 0
        if self.params is not None:
            for key in params:
                if not params.is_differentiable(key):
                    raise ParameterError(f'"{key}" cannot be optimized: it is not differentiable '
                                         f'(drop it with params.keep([...]))')
        if isinstance(lr, dict) and self.params is not None:
            missing = [key for key in self.params if key not in lr]
            if missing:
                raise ParameterError(f'lr gives no learning rate for {", ".join(missing)}')
        if clamp is not None and not isinstance(clamp, dict):
            raise ParameterError(f'clamp must be a dict from key to (low, high), got {type(clamp).__name__}')
        self._default_lr = None
        self._default_rate = None
        self._key_rates = {}                            # rates set for one key: they win over the default
        self.lr = {}
        self.clamp = {}
        if isinstance(lr, dict):                       # rates per key, no default
            if self.params is None and params is not None:
                self.update(params)
            self.set_learning_rate(lr)
        else:
            self.set_learning_rate(lr)
            if self.params is None and params is not None:
                self.update(params)
        self.clamp = {key: self._clamp_bounds(key, bounds) for key, bounds in (clamp or {}).items()}
        if self.params is not None:
            for key in self.params:
                dr.enable_grad(self.params[key])
                self._written[key] = self.params[key]

    # -- learning rates ---------------------------------------------------------------

    def set_learning_rate(self, lr: Union[float, Dict[str, float], None] = None, key: Optional[str] = None,
                          **rates: float) -> None:
        """Change learning rates without recompiling.

        ``set_learning_rate(0.1)`` sets the default rate, used by every key
        that has none of its own; ``set_learning_rate({'x': 0.1})``,
        ``set_learning_rate(x=0.1)`` or ``set_learning_rate(0.1, key='x')``
        give ``'x'`` its own, which then takes precedence (as in Mitsuba 3);
        a rate of None removes it. A rate is a positive number or a Dr.Jit
        Float of one value. Nothing changes if any key or rate is bad.
        """
        if isinstance(lr, dict):
            if key is not None:
                raise ParameterError('set_learning_rate takes a dict of rates or a key, not both')
            changes = dict(lr)
        elif key is not None:
            changes = {key: lr}
        elif lr is not None:
            changes = {None: lr}
        else:
            changes = {}
        changes.update(rates)
        if not changes:
            raise ParameterError('set_learning_rate needs a rate: set_learning_rate(0.1) or ({key: 0.1})')
        self._check_rates(changes)
        for name, rate in changes.items():
            if name is None:
                self._set_default(rate)
            elif rate is None:
                self._key_rates.pop(name, None)
            else:
                self._key_rates[name] = (rate, _opaque_rate(rate))
        self._refresh_rates()

    def _check_rates(self, changes):
        for name, rate in changes.items():
            if name is not None:
                self._check_key(name)           # an unknown key is reported as such
            if rate is None and name is not None:
                continue
            if not _is_rate(rate) or not 0 < _rate_value(rate) <= FLOAT32_MAX:
                raise ParameterError(f'the learning rate{"" if name is None else f" of {name!r}"} '
                                     f'must be a positive finite number, got {rate!r}')

    def _set_default(self, rate):
        self._default_rate = rate
        self._default_lr = _opaque_rate(rate)

    def _refresh_rates(self):
        self.lr = {name: self._key_rates[name][1] if name in self._key_rates else self._default_lr
                   for name in self}

    def learning_rate(self, key: Optional[str] = None) -> Optional[float]:
        """The default learning rate, or the rate set for ``key`` (None if it has none), as given."""
        if key is None:
            return self._default_rate
        self._check_key(key)
        return self._key_rates[key][0] if key in self._key_rates else None

    def _rate(self, key):
        rate = self.lr.get(key, self._default_lr)
        if rate is None:
            raise ParameterError(f'"{key}" has no learning rate: give it one with '
                                 f'set_learning_rate({{{key!r}: ...}}) or set a default')
        return rate

    # -- the dictionary of values -----------------------------------------------------

    def __getitem__(self, key):
        """The current value of ``key`` (gradients enabled)."""
        if self.params is not None:
            return self.params[key]
        if key not in self._values:
            raise ParameterError(f'the optimizer has no parameter "{key}" '
                                 f'(registered: {", ".join(self._values) or "none"})')
        return self._values[key]

    def __setitem__(self, key, value):
        """Register ``key`` with a copy of ``value``, or overwrite its value.

        Overwriting with a value of the same shape keeps the optimizer's state
        (momentum, moment estimates), so that ``opt[key] = dr.clip(opt[key],
        0, 1)`` after a step does not restart it; another shape resets it.
        """
        if not (dr.is_array_v(value) and dr.is_diff_v(value) and dr.is_float_v(value)):
            raise ParameterError(f'the optimizer needs a differentiable Dr.Jit float array for '
                                 f'"{key}", got {type(value).__name__}')
        if dr.width(value) == 0:
            raise ParameterError(f'"{key}" is empty: there is nothing to optimize')
        previous = self[key] if key in self else None
        value = dr.detach(value)
        dr.make_opaque(value)       # a literal would be compiled into every kernel that reads it
        if self.params is not None:
            self.params[key] = value
            self.params.update()
            value = self.params[key]
            self._written[key] = value
        else:
            self._values[key] = value
        dr.enable_grad(value)
        if previous is None or dr.shape(previous) != dr.shape(value):
            self.reset(key)
        if key not in self.lr:
            self.lr[key] = self._key_rates[key][1] if key in self._key_rates else self._default_lr

    def __contains__(self, key):
        return key in (self.params if self.params is not None else self._values)

    def __iter__(self):
        return iter(list(self.params if self.params is not None else self._values))

    def __len__(self):
        return len(self.params if self.params is not None else self._values)

    def __delitem__(self, key):
        if self.params is not None:
            raise ParameterError('an optimizer built on a ParameterMap keeps its keys: '
                                 'use params.keep([...]) before building it')
        self._check_key(key)
        del self._values[key]
        self.reset(key)
        self.lr.pop(key, None)
        self._key_rates.pop(key, None)

    def keys(self) -> List[str]:
        """The names of the parameters being optimized."""
        return list(self)

    def items(self) -> List[Tuple[str, Any]]:
        """``(name, value)`` pairs."""
        return [(key, self[key]) for key in self]

    def values(self) -> List[Any]:
        """The current values."""
        return [self[key] for key in self]

    def update(self, values: Optional[Dict[str, Any]] = None, **more: Any) -> None:
        """Register or overwrite several values: ``opt.update({'key': value})``."""
        for key, value in dict(values or {}, **more).items():
            self[key] = value

    def reset(self, key: Optional[str] = None) -> None:
        """Forget the state (momentum, moments) of ``key``, or of every parameter."""
        if key is not None:
            self._check_key(key)
        for name in ([key] if key is not None else list(self.state)):
            self.state.pop(name, None)

    def _clamp_bounds(self, key, bounds):
        """``(low, high)`` for ``key``'s values, checked: finite numbers, low < high."""
        self._check_key(key)
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2 \
                or not all(_is_real(b) and math.isfinite(b) for b in bounds) or not bounds[0] < bounds[1]:
            raise ParameterError(f'clamp for "{key}" must be (low, high): two finite numbers '
                                 f'with low < high, got {bounds!r}')
        return tuple(float(b) for b in bounds)

    def _check_key(self, key):
        if self.params is not None:
            self.params.parameter(key)
        elif key not in self._values:
            raise ParameterError(f'the optimizer has no parameter "{key}" '
                                 f'(registered: {", ".join(self._values) or "none"})')

    @contextlib.contextmanager
    def disable_gradients(self) -> Iterator[None]:
        """Within this block, the parameters do not track derivatives."""
        for key in self:
            dr.disable_grad(self[key])
        try:
            yield
        finally:
            for key in self:
                dr.enable_grad(self[key])

    # -- the step ---------------------------------------------------------------------

    def step(self) -> None:
        """Take one gradient step on every parameter.

        Bound to a ParameterMap, the new values go into the scene at once,
        each kept inside its parameter's range (a reflectance in [-1, 1], a
        roughness non-negative: the step is projected onto it); otherwise
        ``params.update(opt)`` takes them there. A parameter whose gradient,
        or new value, contains NaN or infinity is left as it is for this
        step (with a warning), so one bad sample cannot ruin it.

        All or nothing: the new values and states are computed and checked
        first; if storing them fails or is interrupted, the optimizer and the
        scene stay as before the step (Ctrl-C while they are being stored
        takes effect once they are: as after the step).
        """
        values, state = self._next_values()
        with interrupts_deferred():
            self._store_step(values, state)

    def _next_values(self):
        """``(values, state)`` after one step, computed and checked; nothing is stored
        (the optimizer's own state is only read, so that no interruption can leave
        it half-changed)."""
        state = dict(self.state)
        values = {key: self._next_value(key, state) for key in self}
        # Evaluate now: otherwise the update would be recomputed inside every
        # later kernel that reads the parameter, growing them step by step.
        dr.eval(values, list(state.values()))
        if self.params is not None:
            values = self.params.checked(values)
        return values, state

    def _gradient(self, key, value):
        """The gradient of ``key``'s current ``value``.

        Code written for Mitsuba 3 often replaces a parameter by a function of
        the value the optimizer gave it before rendering (``params['data'] =
        dr.clip(params['data'], lo, hi)``): the derivatives then reach the
        optimizer's value through that function, not the replacement, which is
        no leaf of the AD graph. Both are added, as Mitsuba 3's optimizer, which
        keeps its own variables, receives them.
        """
        gradient = dr.grad(value)
        written = self._written.get(key)
        if written is not None and written is not value and dr.grad_enabled(written) \
                and dr.shape(written) == dr.shape(value):
            gradient = gradient + dr.grad(written)
        return gradient

    def _next_value(self, key, state):
        """The value of ``key`` after this step (detached); its new state goes into
        ``state`` (a copy of the optimizer's)."""
        value = self[key]
        gradient = self._gradient(key, value)
        if not dr.all(dr.isfinite(gradient), axis=None):
            warnings.warn(f'skipped the step on "{key}": its gradient is not finite', RuntimeWarning)
            return dr.detach(value)
        previous_state = self.state.get(key)
        new_value = self._update(key, dr.detach(value), gradient, state)
        if self.mask_updates:
            # Components whose gradient is exactly zero keep their value and state.
            unchanged = gradient == 0
            new_value = dr.select(unchanged, dr.detach(value), new_value)
            if previous_state is not None:
                state[key] = self._keep_state(unchanged, previous_state, state[key])
        if key in self.clamp:
            new_value = dr.clip(new_value, *self.clamp[key])
        if self.params is not None:
            new_value = _projected(new_value, self.params.parameter(key).value_range)
        if not dr.all(dr.isfinite(new_value), axis=None):
            # A finite gradient may still overflow a value near the float range.
            warnings.warn(f'skipped the step on "{key}": its new value would not be finite',
                          RuntimeWarning)
            state.pop(key, None)
            if previous_state is not None:
                state[key] = previous_state
            return dr.detach(value)
        return new_value

    def _store_step(self, values, state):
        """Make ``values`` and ``state`` (from :meth:`_next_values`) current: the
        scene's values too when bound to a ParameterMap. The optimizer's own
        fields change in one assignment, which for a bound optimizer is the last
        act of the scene's commit: an exception before it rolls the scene back,
        none can come between it and the end of the commit."""
        for value in values.values():
            dr.enable_grad(value)
        if self.params is None:
            self.state, self.iteration, self._values = state, self.iteration + 1, {**self._values, **values}
        else:
            self.params._commit(values, on_success=lambda: self._advance(state))
            # What the scene now holds, to recognise a later replacement by a function of it.
            self._written.update({key: self.params[key] for key in values})

    def _advance(self, state):
        self.state, self.iteration = state, self.iteration + 1

    def _update(self, key, value, gradient, state):
        """The new value of ``key`` from its ``value`` and ``gradient``; the new
        per-parameter state goes into ``state[key]`` (a dict that becomes the
        optimizer's once the whole step succeeds)."""
        raise NotImplementedError

    def _keep_state(self, unchanged, old, new):
        """``new`` state, but ``old`` where ``unchanged`` (mask_updates)."""
        return dr.select(unchanged, old, new)

    def __repr__(self):
        return f'{type(self).__name__}[{", ".join(self)}]'


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _projected(value, value_range):
    """``value`` clipped into ``value_range`` (a ValueRange): projected gradient
    descent, so that a step cannot take a reflectance beyond 1 or a roughness
    below 0 (the ParameterMap would refuse the value). An open lower end of 0
    (an index of refraction) becomes the smallest normal float32."""
    if value_range is value_ranges.FINITE:
        return value
    low = value_range.low
    if value_range.low_open:
        low = float(np.nextafter(np.float32(low), np.float32(np.inf))) if low != 0 \
            else float(np.finfo(np.float32).tiny)
    return dr.clip(value, low, value_range.high)


def _positional(name, args, params, lr):
    """``params`` and ``lr`` from up to two positional arguments in either order
    (the tutorial's ``Adam(params, lr)``, Mitsuba 3's ``Adam(lr, params)``) and
    the keywords; the other options are keywords only."""
    if len(args) > 2:
        raise TypeError(f'{name} takes the parameters and the learning rate as positional arguments; '
                        f'give the other options by name (momentum=..., beta_1=...)')
    for value in args:
        if _is_rate(value) or isinstance(value, dict) and lr is None and params is not None:
            if lr is not None:
                raise TypeError(f'{name} got two learning rates')
            lr = value
        else:
            if params is not None:
                raise TypeError(f'{name} got the parameters twice')
            params = value
    return params, lr


def _is_rate(value):
    """A learning rate: a real number or a Dr.Jit float array of one value."""
    return _is_real(value) or (dr.is_array_v(value) and dr.is_float_v(value) and dr.depth_v(value) == 1
                               and dr.width(value) == 1)


def _rate_value(rate):
    return float(rate) if _is_real(rate) else float(dr.detach(rate)[0])


def _opaque_rate(rate):
    """The rate as an opaque Float: a new value must not compile new kernels."""
    return dr.opaque(bk.Float, _rate_value(rate))


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum.

    ``velocity = momentum * velocity + gradient``; ``value -= lr * velocity``.
    With ``momentum = 0`` this is plain gradient descent. ``mask_updates``:
    components whose gradient is exactly zero are left alone (value and
    velocity), as for texels no ray reached.
    """

    def __init__(self, *args: Any, params: Any = None, lr: Union[float, Dict[str, float], None] = None,
                 momentum: float = 0, clamp: Optional[Dict[str, Tuple[float, float]]] = None,
                 mask_updates: bool = False) -> None:
        params, lr = _positional(type(self).__name__, args, params, lr)
        if not _is_real(momentum) or not 0 <= momentum < 1:
            raise ParameterError(f'momentum must be a number in [0, 1), got {momentum!r}')
        self.momentum = momentum
        super().__init__(params, lr, clamp, mask_updates)

    def _update(self, key, value, gradient, state):
        if self.momentum:
            velocity = state.get(key, dr.zeros_like(dr.detach(gradient)))
            gradient = dr.fma(self.momentum, velocity, gradient)
            state[key] = dr.detach(gradient)
        return dr.fma(gradient, -self._rate(key), value)


class Adam(Optimizer):
    """Adam (Kingma and Ba, ICLR 2015): steps scaled by running estimates of
    the gradient's mean and variance.

    ``m = beta_1 m + (1 - beta_1) g``, ``v = beta_2 v + (1 - beta_2) g^2``,
    ``value -= lr * m_hat / sqrt(v_hat + epsilon^2)`` with the bias-corrected
    ``m_hat = m / (1 - beta_1^t)``, ``v_hat = v / (1 - beta_2^t)``; an
    ``epsilon`` above 1e-6 is added to ``sqrt(v_hat)`` instead, as Dr.Jit and
    Mitsuba 3 do. ``uniform=True`` divides by the largest ``v_hat`` of the
    parameter instead of each component's (Nicolet et al., "Large Steps in
    Inverse Rendering of Geometry", 2021): every component then moves at
    the same scale. ``mask_updates``: see :class:`SGD`.
    """

    def __init__(self, *args: Any, params: Any = None, lr: Union[float, Dict[str, float], None] = None,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 clamp: Optional[Dict[str, Tuple[float, float]]] = None, mask_updates: bool = False,
                 uniform: bool = False) -> None:
        params, lr = _positional(type(self).__name__, args, params, lr)
        for name, beta in (('beta_1', beta_1), ('beta_2', beta_2)):
            if not _is_real(beta) or not 0 <= beta < 1:
                raise ParameterError(f'{name} must be a number in [0, 1), got {beta!r}')
        if not _is_real(epsilon) or not 0 < epsilon <= FLOAT32_MAX:
            raise ParameterError(f'epsilon must be a positive finite number, got {epsilon!r}')
        if not isinstance(uniform, bool):
            raise ParameterError(f'uniform is True or False, got {uniform!r}')
        self.beta_1, self.beta_2, self.epsilon, self.uniform = beta_1, beta_2, epsilon, uniform
        super().__init__(params, lr, clamp, mask_updates)

    def _update(self, key, value, gradient, state):
        t = state.get(key, (0, None, None))[0] + 1
        zeros = dr.zeros_like(dr.detach(gradient))
        _, m, v = state.get(key, (0, zeros, zeros))
        m = dr.lerp(gradient, m, self.beta_1)                 # beta_1 m + (1 - beta_1) g
        v = dr.lerp(dr.square(gradient), v, self.beta_2)
        state[key] = (t, m, v)
        # Both bias corrections in one factor, computed in double precision; it
        # changes every step, so it is opaque (no recompilation).
        correction = math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        scale = self._rate(key) * dr.opaque(bk.Float, -correction)
        v_used = dr.max(v, axis=None) if self.uniform else v
        if self.epsilon <= 1e-6:
            step = m * dr.rsqrt(v_used + self.epsilon ** 2)
        else:
            step = m / (dr.sqrt(v_used) + self.epsilon)
        return dr.fma(step, scale, value)

    def _keep_state(self, unchanged, old, new):
        # The step count t goes on; the moments stay where the gradient was zero.
        return (new[0], dr.select(unchanged, old[1], new[1]), dr.select(unchanged, old[2], new[2]))

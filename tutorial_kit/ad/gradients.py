"""Checking derivatives: automatic differentiation against finite differences.

:func:`check_gradient` computes the derivative of a scalar objective of the
rendered image with respect to one scene parameter, moved along a direction,
in three ways:

- forward mode: ``dr.set_grad(param, direction)``, ``dr.forward_to(objective)``;
- reverse mode: ``dr.backward(objective)``, then ``dot(dr.grad(param), direction)``;
- central differences: ``(f(p + h d) - f(p - h d)) / 2h``.

All three use the same random samples (the same seed: common random
numbers), so their difference is not Monte Carlo noise. Finite differences
also see changes of visibility (a silhouette or a shadow sliding over a
pixel). The ``path`` integrator's derivatives leave those out; the
``prb_projective`` integrator includes them. A finite difference of a
visibility change is noisier than one of a shading change (only the
samples near the moving edge see it), so for geometry parameters (vertex
positions) the default number of samples is chosen so that a render draws
about 2^16 samples (at least 64 per pixel).
"""
from dataclasses import dataclass

import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import ParameterError
from tutorial_kit.ad.render import render
from tutorial_kit.ad.traverse import traverse


@dataclass
class GradientCheck:
    """Directional derivatives of the objective, and their largest relative disagreement."""
    forward: float
    reverse: float
    finite_difference: float

    @property
    def relative_error(self):
        scale = max(abs(self.finite_difference), 1e-12)
        return max(abs(self.forward - self.finite_difference),
                   abs(self.reverse - self.finite_difference),
                   abs(self.forward - self.reverse)) / scale


def mean_objective(image):
    """The default objective: the mean of all pixels and channels."""
    return dr.mean(image, axis=None)


def check_gradient(scene, key, direction=None, objective=mean_objective, spp=None, seed=0, step=1e-2):
    """Compare forward, reverse and finite-difference derivatives of ``objective(render(scene))``.

    ``key``: a differentiable parameter name. ``direction``: how to move it
    (array-like of the parameter's size; default all ones). ``step``: the
    finite-difference step along ``direction``. ``spp``: samples per pixel
    of every render (default: 4, or for geometry parameters enough for
    visibility changes, see :func:`default_spp`). Returns a :class:`GradientCheck`.
    The parameter is restored afterwards.
    """
    params = traverse(scene)
    if not params.is_differentiable(key):
        raise ParameterError(f'"{key}" is not differentiable, so it has no gradient to check')
    if not callable(objective):
        raise ParameterError(f'objective must be a function of the image, got {type(objective).__name__}')
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not 0 < step < 1e30:
        raise ParameterError(f'step must be a positive finite number, got {step!r}')
    if spp is None:
        spp = default_spp(scene, params.parameter(key).kind)
    original = dr.detach(params[key])
    values = np.asarray(original.numpy(), dtype=np.float64)
    direction = _checked_direction(key, direction, values.shape)
    try:
        forward = _forward(scene, params, key, original, direction, objective, spp, seed)
        reverse = _reverse(scene, params, key, original, direction, objective, spp, seed)
        f_plus = _value(scene, params, key, values + step * direction, objective, spp, seed)
        f_minus = _value(scene, params, key, values - step * direction, objective, spp, seed)
    finally:
        params[key] = original
        params.update()
    return GradientCheck(forward, reverse, (f_plus - f_minus) / (2 * step))


def _checked_direction(key, direction, shape):
    """``direction`` as a finite float64 array of ``shape`` (all ones when None)."""
    if direction is None:
        return np.ones(shape)
    try:
        array = np.asarray(dr.detach(direction).numpy() if dr.is_array_v(direction) else direction,
                           dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f'the direction for "{key}" must be an array of numbers, '
                             f'got {type(direction).__name__}') from None
    if array.size != int(np.prod(shape)):
        raise ParameterError(f'the direction for "{key}" needs {int(np.prod(shape))} numbers, '
                             f'got {array.size}')
    if not np.all(np.isfinite(array)):
        raise ParameterError(f'the direction for "{key}" must be finite')
    return array.reshape(shape)


#: Samples per render that make finite differences of visibility changes reliable.
GEOMETRY_SAMPLES = 2 ** 16


def default_spp(scene, kind):
    """Samples per pixel for a gradient check of a parameter of ``kind`` (a ParamKind):
    4 for shading parameters; for geometry (``ParamKind.POSITIONS``, ...) about
    ``GEOMETRY_SAMPLES`` per render, at least 64 per pixel."""
    if not kind.is_geometry:
        return 4
    width, height = scene.sensors()[0].film().crop_size()
    return max(64, -(-GEOMETRY_SAMPLES // (width * height)))


def _as_like(original, array):
    """NumPy ``array`` (shaped like ``original.numpy()``) as a Dr.Jit array of ``original``'s type."""
    array = array.astype(np.float32)
    if dr.is_tensor_v(original):
        return type(original)(bk.from_numpy(bk.Float, array), array.shape)
    flat_type = dr.value_t(original) if array.ndim > 1 else type(original)
    rows = [bk.from_numpy(flat_type, row) for row in (array if array.ndim > 1 else [array])]
    return type(original)(*rows) if array.ndim > 1 else rows[0]


def _fresh(params, key, original):
    value = type(original)(original)
    dr.enable_grad(value)
    params[key] = value
    params.update()
    return params[key]


def _forward(scene, params, key, original, direction, objective, spp, seed):
    value = _fresh(params, key, original)
    loss = _objective_value(objective, render(scene, spp=spp, seed=seed, unbiased=False))
    dr.set_grad(value, _as_like(original, direction))
    dr.forward_to(loss, flags=_ALLOW_NO_GRAD)
    return _to_float(dr.grad(loss))


def _reverse(scene, params, key, original, direction, objective, spp, seed):
    value = _fresh(params, key, original)
    loss = _objective_value(objective, render(scene, spp=spp, seed=seed, unbiased=False))
    dr.backward(loss, flags=_ALLOW_NO_GRAD)
    return float(np.sum(np.asarray(dr.grad(value).numpy(), dtype=np.float64) * direction))


def _value(scene, params, key, values, objective, spp, seed):
    params[key] = values
    params.update()
    return _to_float(_objective_value(objective, render(scene, spp=spp, seed=seed, unbiased=False)))


#: An objective that does not depend on the parameter has derivative zero, not an error.
_ALLOW_NO_GRAD = dr.ADFlag.Default | dr.ADFlag.AllowNoGrad


def _objective_value(objective, image):
    """``objective(image)``, which must be one number held in a Dr.Jit array or tensor."""
    value = objective(image)
    if not dr.is_array_v(value) or dr.is_tensor_v(value) and value.array is None:
        raise ParameterError(f'the objective must return a Dr.Jit value (e.g. dr.mean(image, axis=None)), '
                             f'got {type(value).__name__}')
    size = dr.width(value.array if dr.is_tensor_v(value) else value) * (
        1 if dr.is_tensor_v(value) or dr.depth_v(value) == 1 else dr.size_v(value))
    if size != 1:
        raise ParameterError(f'the objective must return a single number, got {size} values '
                             f'({type(value).__name__})')
    return value


def _to_float(value):
    """The single number in a Dr.Jit array or 0-d tensor."""
    return float(np.asarray(dr.detach(value).numpy(), dtype=np.float64).ravel()[0])

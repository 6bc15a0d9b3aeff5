"""What a :class:`~tutorial_kit.renderer.integrator.SamplingIntegrator`
returns, checked and widened as Mitsuba 3 does.

Mitsuba 3 converts the ``(L, valid, aovs)`` of a Python ``sample`` to its
C++ types, so students return whatever converts: a Color3f, but also a
Float, a plain number or a list of three numbers for ``L``; a Python bool
for ``valid``. The renderer wants one Color3f and one Bool per ray. Whatever
does not fit is refused here with a RenderError that names the integrator
and what was wrong, before Dr.Jit would fail with a message about neither.
"""
import numbers

import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import RenderError


def checked_sampling_result(integrator, result, lanes):
    """``(L, valid, aovs)`` of a SamplingIntegrator's ``sample``, widened to
    ``lanes`` rays: Color3f, Bool and a list of Float, each ``lanes`` wide.

    Accepted as Mitsuba 3 accepts them: ``L`` a Color3f (or any float array
    of three components), a Float, a Python number or a list of three;
    ``valid`` a Bool or a Python bool; ``aovs`` a list or tuple of one Float
    (or number) per AOV name. Arrays must be one or ``lanes`` wide. Raises
    RenderError naming the integrator otherwise.
    """
    where = f'{integrator_name(integrator)}.sample'
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        got = (f'a {type(result).__name__} of {len(result)} values' if isinstance(result, (tuple, list))
               else f'a {type(result).__name__}')
        raise RenderError(f'{where} must return a tuple (L, valid, aovs), got {got}')
    L, valid, aovs = result
    L = _widened(_as_color(L, where), lanes, f'the radiance L of {where}')
    valid = _widened(_as_mask(valid, where), lanes, f'the mask valid of {where}')
    names = integrator.aov_names()
    if not isinstance(aovs, (tuple, list)) or len(aovs) != len(names):
        got = f'{len(aovs)} of them' if isinstance(aovs, (tuple, list)) else f'a {type(aovs).__name__}'
        raise RenderError(f'{where} must return a list of {len(names)} AOVs (one per name in '
                          f'aov_names(): {names}), got {got}')
    aovs = [_widened(_as_float(aov, f'the AOV {name!r} of {where}'), lanes, f'the AOV {name!r} of {where}')
            for aov, name in zip(aovs, names)]
    return L, valid, aovs


def integrator_name(integrator):
    """How messages name ``integrator``: its class, and its id if it has one."""
    identifier = f' (id "{integrator.id}")' if integrator.id else ''
    return f'{type(integrator).__name__}{identifier}'


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_numeric_array(value, depth):
    return (dr.is_array_v(value) and not dr.is_tensor_v(value) and dr.is_arithmetic_v(value)
            and dr.depth_v(value) == depth)


def _as_color(L, where):
    """``L`` as a Color3f: from a Color3f or other array of three, a Float, a number or three of them."""
    if isinstance(L, (tuple, list)) and len(L) == 3 and all(_is_number(c) or _is_numeric_array(c, 1) for c in L):
        return bk.Color3f(*(_as_float(c, f'a component of L of {where}') for c in L))
    if _is_number(L) or _is_numeric_array(L, 1):
        return bk.Color3f(_as_float(L, f'the radiance L of {where}'))
    if _is_numeric_array(L, 2) and dr.size_v(L) == 3:
        return bk.Color3f(L)
    described = (f'a {type(L).__name__} of {len(L)}' if isinstance(L, (tuple, list)) else
                 f'a {type(L).__name__}')
    raise RenderError(f'{where} must return the radiance L as a Color3f (or a Float, a number or '
                      f'three numbers), got {described}')


def _as_float(value, what):
    if _is_number(value) or _is_numeric_array(value, 1):
        return bk.Float(value)
    raise RenderError(f'{what} must be a Float or a number, got a {type(value).__name__}')


def _as_mask(valid, where):
    if isinstance(valid, bool):
        return bk.Bool(valid)
    if dr.is_array_v(valid) and dr.is_mask_v(valid) and dr.depth_v(valid) == 1:
        return bk.Bool(valid)
    raise RenderError(f'{where} must return valid as a Bool (or True/False), got a {type(valid).__name__}')


def _widened(value, lanes, what):
    """``value`` (one lane or ``lanes``) as ``lanes`` lanes; derivatives are kept."""
    width = dr.width(value)
    if width == lanes:
        return value
    if width != 1:
        raise RenderError(f'{what} is {width} wide, for {lanes} rays (expected {lanes} or 1)')
    lanes_of_zero = dr.zeros(type(value), lanes)
    return (value | lanes_of_zero) if dr.is_mask_v(value) else (value + lanes_of_zero)

"""Calling a method on a different object in every lane.

Lane ``i`` of a ray batch may have hit a surface with BSDF ``k``; the
renderer needs ``bsdfs[k].eval(...)`` there. :func:`dispatch` calls the
function on every object for all lanes and keeps, per lane, the result of
the object whose index it holds. With the handful of materials a teaching
scene has, this is both the simplest and a fast way to do it.
"""
import drjit as dr


def dispatch(objects, index, call, active=True):
    """``call(objects[index[i]])`` evaluated lane by lane.

    ``index``: UInt32 array; ``call``: a function of one object returning an
    array, a Dr.Jit record, or a tuple of them. Lanes where ``active`` is
    False or whose index is out of range receive zeros, as a call through a
    null pointer does in Mitsuba 3. Returns None when there are no objects.
    """
    result = None
    for k, obj in enumerate(objects):
        value = call(obj)
        chosen = index == k
        result = value if result is None else select(chosen, value, result)
    if result is None:
        return None
    matched = active & (index < len(objects))
    return select(matched, result, zeros_like(result))


def zeros_like(value):
    """Zeros of the type of ``value`` (an array, record or tuple), one per lane."""
    if isinstance(value, tuple):
        return tuple(zeros_like(v) for v in value)
    return dr.zeros(type(value), dr.width(value))


def select(mask, a, b):
    """``dr.select`` that also walks tuples and Dr.Jit records."""
    if isinstance(a, tuple):
        return tuple(select(mask, x, y) for x, y in zip(a, b))
    return dr.select(mask, a, b)

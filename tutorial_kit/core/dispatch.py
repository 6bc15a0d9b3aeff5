"""Calling a method on a different object in every lane.

Lane ``i`` of a ray batch may have hit a surface with BSDF ``k``; the
renderer needs ``bsdfs[k].eval(...)`` there. :func:`dispatch` calls the method
of every object on all lanes and keeps, per lane, the result of the object
whose index it holds. With the handful of materials a teaching scene has,
this is both the simplest and a fast way to do it.
"""
import drjit as dr


def dispatch(objects, index, method, *args):
    """``getattr(objects[index[i]], method)(*args)`` evaluated lane by lane.

    ``index`` is a UInt32 array; lanes whose index is out of range receive
    the result of ``objects[0]`` (callers mask them). Results may be arrays
    or tuples of arrays.
    """
    result = None
    for k, obj in enumerate(objects):
        value = getattr(obj, method)(*args)
        result = value if result is None else select(index == k, value, result)
    return result


def select(mask, a, b):
    """``dr.select`` that also walks tuples and dataclasses (such as BSDFSample)."""
    if isinstance(a, tuple):
        return tuple(select(mask, x, y) for x, y in zip(a, b))
    if hasattr(a, '__dataclass_fields__'):
        return type(a)(*(select(mask, getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__))
    return dr.select(mask, a, b)

"""Whether any parameter of a scene tracks derivatives, without listing them.

``render(scene)`` without a ParameterMap asks which of the scene's
parameters track derivatives. Most renders have none; naming every
parameter (``traverse``) to find that out costs, for a scene of tens of
thousands of shapes, more than the render itself. :func:`any_tracked` walks
the same ``traverse`` methods but builds no names or records, and stops at
the first parameter that tracks derivatives; only then does the caller
need the full list.
"""
import drjit as dr

from tutorial_kit.renderer.traversal import Traversable, TraversalCallback, is_differentiable


class _Found(Exception):
    """Raised to end the walk at the first tracked parameter."""


class _Probe(TraversalCallback):
    """The callback: visits each nested object once, looks at each differentiable value."""

    def __init__(self):
        super().__init__()
        self._seen = set()

    def put(self, name, value, flags, *, kind=None, attribute=None, value_range=None):
        if value is None:
            return
        if isinstance(value, Traversable):
            if id(value) not in self._seen:
                self._seen.add(id(value))
                self.visit(value)
        elif dr.is_array_v(value) and is_differentiable(flags) and dr.grad_enabled(value):
            raise _Found()


def any_tracked(obj):
    """Whether some differentiable parameter of ``obj`` (a scene or plugin, as for
    ``traverse``) has derivative tracking enabled (``dr.enable_grad``)."""
    probe = _Probe()
    try:
        probe.visit(obj)
    except _Found:
        return True
    return False

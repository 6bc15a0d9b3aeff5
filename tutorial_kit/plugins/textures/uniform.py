"""``uniform``: one number everywhere (what a plain ``<float>`` becomes).

The value is a Float of width 1, traversed as ``<owner>.value`` and
differentiable (a roughness ``<bsdf id>.alpha.value``, a grey reflectance).
As a colour it is grey: the same number in all three channels.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import Texture
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


@register('texture', 'uniform')
class UniformTexture(Texture):
    """``value``: a float; ``unbounded`` is accepted for symmetry with ``srgb``."""
    is_constant = True

    def __init__(self, props):
        props.bool('unbounded', False)
        value = props.float('value')
        if not value_ranges.FINITE.contains(value):
            raise props.error('value', f'"value" must be a finite 32-bit float, got {value:g}')
        # Opaque, not a literal: a new value reuses the compiled kernels.
        self.value = bk.stored_float(value)
        # The value as read, for range checks without reading it back (see srgb).
        self._read = (bk.variables(self.value), np.array([value], dtype=np.float32))

    def range_values(self):
        if getattr(self, '_read', (None,))[0] == bk.variables(self.value):
            return self._read[1]
        return dr.detach(self.value).numpy().reshape(-1)

    def traverse(self, callback):
        callback.put('value', self.value, ParamFlags.Differentiable, kind=ParamKind.FLOAT,
                     value_range=self.value_range)

    def eval(self, si, active=True):
        return bk.Color3f(self.value)

    def eval_1(self, si, active=True):
        return self.value

    def mean(self):
        return dr.detach(self.value)

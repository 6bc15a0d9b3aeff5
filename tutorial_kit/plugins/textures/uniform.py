"""``uniform``: one number everywhere (what a plain ``<float>`` becomes).

The value is a Float of width 1, traversed as ``<owner>.value`` and
differentiable (a roughness ``<bsdf id>.alpha.value``, a grey reflectance).
As a colour it is grey: the same number in all three channels.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import Texture
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


@register('texture', 'uniform')
class UniformTexture(Texture):
    """``value``: a float; ``unbounded`` is accepted for symmetry with ``srgb``."""
    is_constant = True

    def __init__(self, props):
        props.bool('unbounded', False)
        # Opaque, not a literal: a new value reuses the compiled kernels.
        self.value = bk.stored_float(props.float("value"))

    def traverse(self, callback):
        callback.put('value', self.value, ParamFlags.Differentiable, kind=ParamKind.FLOAT)

    def eval(self, si, active=True):
        return bk.Color3f(self.value)

    def eval_1(self, si, active=True):
        return self.value

    def mean(self):
        return dr.detach(self.value)

"""``srgb``: one linear RGB colour everywhere (what a plain ``<rgb>`` becomes).

The value is a Color3f of width 1, traversed as ``<owner>.value`` and
differentiable, so that ``red.reflectance.value`` names the colour of the
BSDF ``red``. Reflectances must lie in [0, 1]; radiances and other
``unbounded`` values may not.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import value_ranges
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import Texture, luminance
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind


def constant_color(value, unbounded=False):
    """An ``srgb`` texture made in code from three numbers (or one grey value)."""
    texture = SRGBTexture.__new__(SRGBTexture)
    texture.unbounded = unbounded
    texture.value = bk.color3f(value)
    texture.value_range = value_ranges.COLOR if unbounded else value_ranges.REFLECTANCE
    texture._read = (bk.variables(texture.value), np.broadcast_to(np.asarray(value, np.float32), (3,)).copy())
    return texture


@register('texture', 'srgb')
class SRGBTexture(Texture):
    """``color``: linear RGB; ``unbounded`` (false): allow values outside [0, 1]."""
    is_constant = True

    def __init__(self, props):
        color = props.color('color')
        self.unbounded = props.bool('unbounded', False)
        if not self.unbounded and not all(0 <= c <= 1 for c in color.tolist()):
            raise props.error('color', f'a reflectance must lie in [0, 1], got {color.tolist()}')
        self.value = bk.color3f(color)
        self.value_range = value_ranges.COLOR if self.unbounded else value_ranges.REFLECTANCE
        # The values as read, for the range check of whoever reads this texture:
        # reading the Color3f back would launch a kernel per colour (a scene of
        # many shapes has many).
        self._read = (bk.variables(self.value), np.asarray(color, dtype=np.float32).reshape(-1))

    def range_values(self):
        if getattr(self, '_read', (None,))[0] == bk.variables(self.value):
            return self._read[1]
        return dr.detach(self.value).numpy().reshape(-1)

    def traverse(self, callback):
        callback.put('value', self.value, ParamFlags.Differentiable, kind=ParamKind.COLOR,
                     value_range=self.value_range)

    def eval(self, si, active=True):
        # A new array object: Dr.Jit may widen a width-1 operand of dr.select in
        # place, which must not happen to the parameter itself.
        return bk.Color3f(self.value)

    def eval_1(self, si, active=True):
        return luminance(self.value)

    def mean(self):
        value = dr.detach(self.value)
        return (value.x + value.y + value.z) / 3

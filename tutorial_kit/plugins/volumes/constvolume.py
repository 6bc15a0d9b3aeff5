"""``constvolume``: one value everywhere (a float or a colour).

What a medium's ``sigma_t`` or ``albedo`` becomes when given as a plain
number or colour. The value is a constant texture (``value.value`` among
the parameters, differentiable), as in Mitsuba 3.
"""
import drjit as dr

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import luminance, texture
from tutorial_kit.renderer.traversal import ParamFlags
from tutorial_kit.renderer.volume import Volume


@register('volume', 'constvolume')
class ConstVolume(Volume):
    """``value`` (float or rgb, default 1), ``to_world``."""

    def __init__(self, props):
        super().__init__(props)
        self.value = texture(props, 'value', 1.0, unbounded=True)
        if not self.value.is_constant:
            raise props.error('value', 'the value of a constvolume must be a number or a colour')

    def traverse(self, callback):
        callback.put('value', self.value, ParamFlags.Differentiable)

    def eval(self, it, active=True):
        return bk.Color3f(self.value.eval(None, active)) + dr.zeros(bk.Color3f, dr.width(it.p))

    def eval_1(self, it, active=True):
        return luminance(self.eval(it, active))

    def mean(self):
        value = dr.detach(self.value.eval(None))
        return (value.x + value.y + value.z) / 3

    def max(self):
        value = dr.detach(self.value.eval(None))
        return dr.maximum(dr.maximum(value.x, value.y), value.z)

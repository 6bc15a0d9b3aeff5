"""``checkerboard``: two colours in alternating squares, as in Mitsuba 3.

The unit square of texture coordinates holds 2 x 2 cells: a point whose
fractional u and v both lie below 1/2, or both above, gets ``color0``,
the others ``color1`` (swapped for a float lookup, ``eval_1``, as in Mitsuba 3). ``to_uv`` scales or shifts the pattern (``<scale
x="8" y="8"/>`` gives 16 x 16 squares). The two colours are textures
themselves (``<id>.color0.value``, differentiable).
"""
import drjit as dr

from tutorial_kit.core.dispatch import select
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import Texture, texture
from tutorial_kit.plugins.textures.to_uv import apply_to_uv, read_to_uv
from tutorial_kit.renderer.traversal import ParamFlags


@register('texture', 'checkerboard')
class Checkerboard(Texture):
    """``color0`` (0.4), ``color1`` (0.2), ``to_uv``."""

    def __init__(self, props):
        self.color0 = texture(props, 'color0', 0.4)
        self.color1 = texture(props, 'color1', 0.2)
        self.to_uv = read_to_uv(props)

    def traverse(self, callback):
        callback.put('color0', self.color0, ParamFlags.Differentiable)
        callback.put('color1', self.color1, ParamFlags.Differentiable)

    def _first_colour(self, si):
        """Bool: where the pattern shows ``color0``."""
        uv = apply_to_uv(self.to_uv, si.uv)
        upper_u = uv.x - dr.floor(uv.x) > 0.5
        upper_v = uv.y - dr.floor(uv.y) > 0.5
        return upper_u == upper_v

    def eval(self, si, active=True):
        return select(self._first_colour(si), self.color0.eval(si, active), self.color1.eval(si, active))

    def eval_1(self, si, active=True):
        # Mitsuba 3's eval_1 puts color0 where eval puts color1 (its checkerboard
        # compares the two masks with != here): the same file gives the same image.
        return dr.select(self._first_colour(si), self.color1.eval_1(si, active),
                         self.color0.eval_1(si, active))

    def mean(self):
        return (self.color0.mean() + self.color1.mean()) / 2

"""``volume``: a surface coloured by a volume looked up where it is hit (Mitsuba 3's ``volume`` texture).

For surfaces without meaningful texture coordinates: the value at a hit is
the nested ``volume``'s (a ``gridvolume``...) at the hit point, in world
space (place the volume with its ``to_world``). Its parameters are the
volume's (``<bsdf id>.reflectance.volume.data``).
"""
from tutorial_kit.core.registry import register
from tutorial_kit.renderer.texture import Texture
from tutorial_kit.renderer.traversal import ParamFlags
from tutorial_kit.renderer.volume import Volume


@register('texture', 'volume')
class VolumeTexture(Texture):
    """``volume``: a nested volume plugin."""

    def __init__(self, props):
        super().__init__(props)
        self.volume = props.object('volume', None)
        if not isinstance(self.volume, Volume):
            raise props.error('volume', 'a volume texture needs a nested <volume name="volume" ...>')

    def traverse(self, callback):
        callback.put('volume', self.volume, ParamFlags.Differentiable)

    def eval(self, si, active=True):
        return self.volume.eval(si, active)

    def eval_1(self, si, active=True):
        return self.volume.eval_1(si, active)

    def mean(self):
        return self.volume.mean()

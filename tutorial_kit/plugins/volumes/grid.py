"""``gridvolume``: values on a voxel grid, interpolated trilinearly (Mitsuba 3's ``gridvolume``).

The grid fills the unit cube [0, 1]^3 of the volume's local space, which
``to_world`` places in the scene; voxel centres sit at ``(i + 0.5) / res``
along each axis. A lookup is a Dr.Jit ``Texture3f`` lookup: trilinear
(``filter_type="trilinear"``) or the nearest voxel (``"nearest"``), outside
the cube clamped to the border (``wrap_mode="clamp"``), repeated or
mirrored. The voxels are the parameter ``data``, a TensorXf of shape
(zres, yres, xres, channels), differentiable: trilinear interpolation is
linear in them.

The values come from a ``.vol`` file (``filename``, see
:mod:`tutorial_kit.io.vol`) or a tensor (``data``). ``raw`` is accepted for
Mitsuba 3's sake: in RGB rendering three channels are used as they are.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.errors import SceneError
from tutorial_kit.core.registry import register
from tutorial_kit.io import vol
from tutorial_kit.io.loader import resolve_path
from tutorial_kit.renderer.texture import luminance
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind
from tutorial_kit.renderer.volume import Volume

_FILTERS = {'trilinear': dr.FilterMode.Linear, 'nearest': dr.FilterMode.Nearest}
_WRAPS = {'clamp': dr.WrapMode.Clamp, 'repeat': dr.WrapMode.Repeat, 'mirror': dr.WrapMode.Mirror}


@register('volume', 'gridvolume')
class GridVolume(Volume):
    """``filename`` (a .vol file) or ``data`` (an array (Z, Y, X, C)), ``filter_type``,
    ``wrap_mode``, ``raw``, ``to_world``; C is 1 or 3."""

    def __init__(self, props):
        super().__init__(props)
        if ('filename' in props) == ('data' in props):
            raise props.error('filename', 'a gridvolume takes exactly one of "filename" (a .vol file) '
                                          'and "data" (an array of shape (Z, Y, X, channels))')
        self.filter_type = props.choice('filter_type', tuple(_FILTERS), 'trilinear')
        self.wrap_mode = props.choice('wrap_mode', tuple(_WRAPS), 'clamp')
        self.raw = props.bool('raw', False)
        self.filename = props.string('filename') if 'filename' in props else None
        if self.filename is not None:
            path = resolve_path(props, self.filename)
            try:
                values, _ = vol.read(path)
            except SceneError as error:
                raise props.error('filename', f'cannot read the volume "{path}": {error.reason}') from None
            except OSError as error:
                raise props.error('filename', f'cannot read the volume "{path}": {error.strerror}') from None
        else:
            values = props.tensor('data')
            if values.ndim != 4:
                raise props.error('data', f'"data" must have the shape (Z, Y, X, channels), got {values.shape}')
        if values.shape[3] not in (1, 3):
            raise props.error('filename' if self.filename else 'data',
                              f'a gridvolume has 1 or 3 channels, got {values.shape[3]}')
        tensor = bk.TensorXf(bk.from_numpy(bk.Float, np.ascontiguousarray(values, np.float32).ravel()),
                             values.shape)
        self.texture = bk.Texture3f(tensor, filter_mode=_FILTERS[self.filter_type],
                                    wrap_mode=_WRAPS[self.wrap_mode])

    def settings(self):
        return dict(filename=self.filename or '<data>', filter_type=self.filter_type,
                    wrap_mode=self.wrap_mode)

    def traverse(self, callback):
        callback.put('data', self.texture.tensor(), ParamFlags.Differentiable, attribute='texture')
        callback.put('to_world', self.to_world, ParamFlags.NonDifferentiable, kind=ParamKind.MATRIX)

    def parameters_changed(self, keys=None):
        self.texture.update_inplace()

    @property
    def channels(self):
        return self.texture.shape[3]

    def _lookup(self, it, active):
        return self.texture.eval(self.local_point(it.p), active)

    def eval(self, it, active=True):
        values = self._lookup(it, active)
        return bk.Color3f(values[0]) if self.channels == 1 else bk.Color3f(values[0], values[1], values[2])

    def eval_1(self, it, active=True):
        values = self._lookup(it, active)
        return values[0] if self.channels == 1 else luminance(bk.Color3f(values[0], values[1], values[2]))

    def mean(self):
        return dr.mean(dr.detach(self.texture.tensor().array))

    def max(self):
        return float(dr.max(dr.detach(self.texture.tensor().array))[0])

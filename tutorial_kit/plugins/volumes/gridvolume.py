"""``gridvolume``: values on a regular 3D grid, interpolated trilinearly.

The grid covers the unit cube of the volume's local space (placed by
``to_world``), its samples at the centres of the cells, as Dr.Jit's
textures (and Mitsuba 3) place them. A lookup at a local point p interpolates
the eight samples around it (``filter_type`` ``trilinear``) or takes the
nearest (``nearest``); beyond the outermost sample centres the values are
clamped, repeated or mirrored (``wrap_mode``). The lookup is
``dr.Texture3f.eval``: differentiable with respect to the grid's values,
which are the parameter ``data`` (TensorXf of shape (z, y, x, channels)).

The data come from exactly one of ``filename`` (a ``.vol`` file,
:mod:`tutorial_kit.io.volume_grid`), ``grid`` (a ``tk.VolumeGrid``) and
``data`` (an array of shape (z, y, x) or (z, y, x, channels)). Assigning a
tensor of another resolution to ``data`` (``dr.upsample`` between stages of
an optimisation) is allowed; the number of channels must stay.
"""
import drjit as dr
import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import register
from tutorial_kit.io.loader import resolve_path
from tutorial_kit.io.volume_grid import VolumeGrid, VolumeGridError
from tutorial_kit.renderer.texture import luminance
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind
from tutorial_kit.renderer.volume import Volume

_FILTERS = {'trilinear': dr.FilterMode.Linear, 'nearest': dr.FilterMode.Nearest}
_WRAPS = {'clamp': dr.WrapMode.Clamp, 'repeat': dr.WrapMode.Repeat, 'mirror': dr.WrapMode.Mirror}


@register('volume', 'gridvolume')
class GridVolume(Volume):
    """``filename`` | ``grid`` | ``data``; ``filter_type`` (trilinear | nearest),
    ``wrap_mode`` (clamp | repeat | mirror), ``raw`` (bool, false: values are
    used as they are in RGB rendering either way), ``max_value`` (float: a
    fixed majorant instead of the data's maximum), ``to_world``."""

    def __init__(self, props):
        super().__init__(props)
        self.filter_type = props.choice('filter_type', tuple(_FILTERS), 'trilinear')
        self.wrap_mode = props.choice('wrap_mode', tuple(_WRAPS), 'clamp')
        self.raw = props.bool('raw', False)
        props.bool('accel', True)               # Mitsuba 3's hardware switch: nothing to switch here
        sources = [name for name in ('filename', 'grid', 'data') if props.has_property(name)]
        if len(sources) != 1:
            raise props.error('filename', 'a gridvolume takes exactly one of "filename", "grid" and "data", '
                                          f'got {", ".join(sources) or "none"}')
        if sources[0] == 'filename':
            path = resolve_path(props, props.string('filename'))
            try:
                grid = VolumeGrid(path).numpy()
            except VolumeGridError as error:
                raise props.error('filename', error.args[0]) from None
        elif sources[0] == 'grid':
            grid = props._get('grid', ('volumegrid',), None, 'a tk.VolumeGrid').numpy()
        else:
            grid = props.tensor('data')
            grid = grid[..., None] if grid.ndim == 3 else grid
            if grid.ndim != 4 or grid.shape[3] not in (1, 3, 6):
                raise props.error('data', f'"data" must have the shape (z, y, x) or (z, y, x, channels) '
                                          f'with 1, 3 or 6 channels, got {grid.shape}')
        self.data = bk.TensorXf(bk.from_numpy(bk.Float, np.ascontiguousarray(grid, np.float32).ravel()),
                                shape=grid.shape)
        self.fixed_max = props.float('max_value') if props.has_property('max_value') else None
        self._texture = None
        self.parameters_changed()

    def settings(self):
        return dict(filter_type=self.filter_type, wrap_mode=self.wrap_mode)

    def traverse(self, callback):
        callback.put('data', self.data, ParamFlags.Differentiable, kind=ParamKind.GRID)

    def parameters_changed(self, keys=None):
        """Refresh the majorant after the data changed."""
        if self.fixed_max is not None:
            self._max = dr.opaque(bk.Float, self.fixed_max)
        else:
            self._max = dr.max(dr.detach(self.data.array))
            dr.make_opaque(self._max)

    def resolution(self):
        z, y, x = self.data.shape[:3]
        return (x, y, z)

    def channel_count(self):
        return self.data.shape[3]

    def texture(self):
        """The ``dr.Texture3f`` over the current ``data`` (made anew when the data
        object changed: an optimizer's step or path replay's copy).

        Where no derivative is wanted (``data`` not tracking one, or derivatives
        suspended), the texture holds the detached data: Dr.Jit's lookups in a
        texture that tracks derivatives compile to other kernels, which a
        preview render between optimisation steps need not pay for.
        """
        tracked = dr.grad_enabled(self.data)
        if self._texture is None or self._texture[0] is not self.data or self._texture[1] != tracked:
            texture_type = getattr(dr, bk.name).ad.Texture3f
            values = self.data if tracked else dr.detach(self.data)
            self._texture = (self.data, tracked, texture_type(values, use_accel=False, migrate=False,
                                                              filter_mode=_FILTERS[self.filter_type],
                                                              wrap_mode=_WRAPS[self.wrap_mode]))
        return self._texture[2]

    def _lookup(self, it, active):
        values = self.texture().eval(self.local_point(it), active=active)
        return values

    def eval(self, it, active=True):
        values = self._lookup(it, active)
        if len(values) == 1:
            return bk.Color3f(values[0], values[0], values[0])
        if len(values) == 3:
            return bk.Color3f(values[0], values[1], values[2])
        raise VolumeGridError(f'a gridvolume of {len(values)} channels has no colour value (1 or 3 channels)')

    def eval_1(self, it, active=True):
        values = self._lookup(it, active)
        if len(values) == 1:
            return values[0]
        if len(values) == 3:
            return luminance(bk.Color3f(values[0], values[1], values[2]))
        return sum(values[1:], values[0]) / len(values)

    def mean(self):
        return dr.mean(dr.detach(self.data.array))

    def max(self):
        return self._max

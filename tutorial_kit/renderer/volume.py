"""The volume interface: a quantity that varies over 3D space (Mitsuba 3's ``Volume``).

A participating medium describes its extinction coefficient and albedo as
*volumes*: functions of a world-space point, the 3D counterpart of a
texture. A volume occupies the box [0, 1]^3 of its own local space, placed
in the scene by ``to_world``; :meth:`Volume.bbox` is the axis-aligned box
around that placement, where a heterogeneous medium looks for collisions.

``gridvolume`` interpolates values stored on a grid, ``constvolume`` is one
value everywhere. A medium's parameter given as a plain number or colour
becomes a ``constvolume`` (:func:`volume`), as in Mitsuba 3.

Lookups take an interaction (anything with a world position ``p``,
Array3f) and return a Color3f (:meth:`Volume.eval`) or a Float
(:meth:`Volume.eval_1`), differentiable in the volume's data.
"""
from abc import abstractmethod

import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core import registry
from tutorial_kit.core.bbox import ScalarBoundingBox3f
from tutorial_kit.core.transform import is_valid_affine
from tutorial_kit.io.properties import Properties
from tutorial_kit.renderer.plugin import Plugin

import drjit as dr


class Volume(Plugin):
    """Base class of volume plugins (XML ``<volume>``).

    ``to_world`` (a transform, default identity) places the unit cube of
    local space; :meth:`local_point` maps world points back (with opaque
    matrix entries, so that another placement reuses the compiled kernels).
    """

    def __init__(self, props):
        super().__init__(props)
        to_world = props.transform('to_world') if props is not None else np.eye(4)
        if not is_valid_affine(to_world):
            raise props.error('to_world', 'the transform must be an invertible affine map')
        self.to_world_matrix = to_world
        inverse = np.linalg.inv(to_world)
        self._to_local_rows = [[dr.opaque(bk.Float, float(inverse[i][j])) for j in range(4)]
                               for i in range(3)]
        corners = np.array([[x, y, z, 1.0] for x in (0, 1) for y in (0, 1) for z in (0, 1)]) @ to_world.T
        self._bbox = ScalarBoundingBox3f(corners[:, :3].min(axis=0), corners[:, :3].max(axis=0))

    def bbox(self):
        """The world-space axis-aligned box around the volume (ScalarBoundingBox3f)."""
        return self._bbox

    def local_point(self, it):
        """Where the interaction's world position ``it.p`` lies in local space (Array3f)."""
        p = it.p
        return bk.Array3f(*(row[0] * p.x + row[1] * p.y + row[2] * p.z + row[3] for row in self._to_local_rows))

    def resolution(self):
        """The grid's resolution (x, y, z); (1, 1, 1) for a volume without a grid."""
        return (1, 1, 1)

    @abstractmethod
    def eval(self, it, active=True):
        """Color3f at ``it.p`` (world Array3f)."""

    @abstractmethod
    def eval_1(self, it, active=True):
        """Float at ``it.p``: the value of a one-channel volume, the luminance of a colour."""

    def mean(self):
        """The mean value over the unit cube, over all channels: a detached Float of width 1
        (what a ``volume`` texture reports as its mean)."""
        raise NotImplementedError(f'{type(self).__name__} does not report its mean')

    @abstractmethod
    def max(self):
        """The largest value the volume takes, over all channels: a detached Float of
        width 1, computed on the device (a medium's majorant)."""


def volume(props, name, default):
    """Parameter ``name`` of a medium's ``props`` as a :class:`Volume`.

    A nested ``<volume>`` (or ``<ref>``) is returned as it is; a number, an
    ``<rgb>`` or a spectrum becomes a ``constvolume`` of that value; when the
    parameter is absent, ``default`` (a number) does.
    """
    kind = props.kind(name)
    if kind == 'object':
        value = props.object(name)
        if not isinstance(value, Volume):
            raise props.error(name, f'"{name}" must be a volume (gridvolume, constvolume) or a value, '
                                    f'got a {type(value).__name__}')
        return value
    line = props.line_of(name) if kind is not None else props.line
    inner = Properties('constvolume', props.path, line)
    if kind in ('float', 'integer'):
        inner.set('value', props.float(name), 'float', line)
    elif kind in ('rgb', 'spectrum'):
        color = props.color(name)
        if color[0] == color[1] == color[2]:
            inner.set('value', float(color[0]), 'float', line)
        else:
            inner.set('value', [float(c) for c in color], 'rgb', line)
    elif kind is None:
        inner.set('value', float(default), 'float', line)
    else:
        raise props.error(name, f'"{name}" must be a <float>, <rgb>, <spectrum> or <volume>, got <{kind}>')
    return registry.create('volume', inner)


registry.declare_interface('volume', Volume)

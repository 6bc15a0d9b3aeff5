"""The volume interface: a value that varies through space (XML ``<volume>``).

A volume maps a point of the scene to a colour or a number, as Mitsuba 3's
``Volume``: a voxel grid (``gridvolume``) placed by ``to_world``, which maps
the unit cube [0, 1]^3 to the scene. The ``volume`` texture looks one up at
the points a surface is hit, to colour surfaces that have no texture
coordinates.
"""
from abc import abstractmethod

import numpy as np

from tutorial_kit.core import backend as bk
from tutorial_kit.core.registry import declare_interface
from tutorial_kit.renderer.plugin import Plugin


class Volume(Plugin):
    """Base class of volume plugins. ``props``: reads ``to_world`` (default: the identity)."""

    def __init__(self, props):
        self.to_world = props.transform('to_world')

    def local_point(self, p):
        """``p`` (Point3f, world space) in the volume's unit cube (Point3f)."""
        to_local = np.linalg.inv(np.asarray(self.to_world, dtype=np.float64))
        rows = [bk.Array3f(*(float(c) for c in row[:3])) for row in to_local[:3]]
        return bk.Array3f(*(rows[i].x * p.x + rows[i].y * p.y + rows[i].z * p.z + float(to_local[i, 3])
                            for i in range(3)))

    @abstractmethod
    def eval(self, it, active=True):
        """Color3f at each lane's point ``it.p`` (world space)."""

    @abstractmethod
    def eval_1(self, it, active=True):
        """Float at each lane's point ``it.p``."""

    @abstractmethod
    def mean(self):
        """The mean value over the unit cube: a detached Float of width 1."""

    @abstractmethod
    def max(self):
        """The largest value in the volume (a Python float)."""


declare_interface('volume', Volume)

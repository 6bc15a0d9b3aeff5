"""The plugins a scene file names, one folder per kind as in Mitsuba 3's source tree.

Every plugin of a kind implements that kind's interface, which lives one
layer below, in :mod:`tutorial_kit.renderer` (``renderer/bsdf.py`` for the
BSDFs, ...); each file here is one plugin, registered under its XML name
(``@register('bsdf', 'diffuse')``) in :mod:`tutorial_kit.core.registry`.
Importing this package imports them all, which fills the registry.
"""
from tutorial_kit.plugins.bsdfs import (conductor, dielectric, diffuse, null, plastic,  # noqa: F401
                                       roughconductor, roughdielectric, roughplastic,
                                       polarizer, pplastic, retarder, thindielectric, twosided)
from tutorial_kit.plugins.emitters import area, constant, directional, directionalarea, envmap, point, spot  # noqa: F401
from tutorial_kit.plugins.films import hdrfilm, rfilters  # noqa: F401

from tutorial_kit.plugins.integrators import (aov, direct, direct_projective, path, prb, ptracer,  # noqa: F401
                                              prb_projective, path_polarized, direct_polarized, stokes, volpath)
from tutorial_kit.plugins.media import heterogeneous, homogeneous  # noqa: F401
from tutorial_kit.plugins.phase import hg, isotropic  # noqa: F401
from tutorial_kit.plugins.volumes import constvolume, gridvolume  # noqa: F401
from tutorial_kit.plugins.samplers import independent  # noqa: F401
from tutorial_kit.plugins.sensors import batch, orthographic, perspective  # noqa: F401
from tutorial_kit.plugins.shapes import cube, cylinder, disk, obj, ply, rectangle, sphere  # noqa: F401
from tutorial_kit.plugins.textures import bitmap, checkerboard, mesh_attribute, srgb, uniform, volume  # noqa: F401

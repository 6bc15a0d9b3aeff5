"""tutorial_kit: physically based differentiable rendering on Dr.Jit, for learning.

The names follow the Mitsuba tutorial this toolkit teaches::

    import drjit as dr
    import tutorial_kit as tk

    scene = tk.load_file('scenes/cbox/cbox.xml')
    params = tk.traverse(scene)
    image = tk.render(scene, spp=8)          # TensorXf (H, W, 3), linear RGB
    tk.write_bitmap('out.png', image)

Dr.Jit computes on CUDA when a GPU is present and on the CPU (LLVM)
otherwise; ``tk.set_backend('llvm')`` or ``'cuda'`` chooses before a scene
is loaded.

The package is laid out by role (see the README's "Where things are"):
``core/`` (backend, arrays, the plugin registry, random numbers,
transforms, warps, spectra), ``io/`` (the XML loader and the file
formats), ``renderer/`` (the interface of every plugin kind, the scene, the
BVH, camera rays), ``plugins/`` (the implementations, one folder per kind),
``ad/`` (``traverse``, ``render``, path replay, optimizers, gradient checks,
PyTorch), this module (the public API) and, above it, ``widgets/`` (the
notebooks' figures and controls), ``course`` and ``cli``. Each layer
imports only from the layers before it (``tests/test_layers.py``).
"""
import functools
from importlib.metadata import PackageNotFoundError, version as _package_version

import drjit as dr

from tutorial_kit.core import backend
from tutorial_kit.core.backend import set_backend
from tutorial_kit.core.errors import (SceneError, XMLError, PluginError, MeshError, ParameterError,
                                      RenderError, ImageError, BackendError, TransformError)
from tutorial_kit.io.properties import SceneWarning, lenient_loading

backend.set_backend(backend.default_backend())


def _metadata_version(name):
    """The installed distribution's version; from a checkout that was never installed, pyproject's."""
    try:
        return _package_version(name)
    except PackageNotFoundError:
        import pathlib
        import re
        pyproject = pathlib.Path(__file__).resolve().parent.parent / 'pyproject.toml'
        match = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), re.M) if pyproject.is_file() else None
        return match.group(1) if match else 'unknown'

# Importing the scene and the plugins registers their XML names.
from tutorial_kit.renderer import scene as _scene  # noqa: E402,F401
from tutorial_kit import plugins  # noqa: E402,F401
from tutorial_kit.io.bitmap import write_bitmap, read_bitmap  # noqa: E402
from tutorial_kit.io.loader import load_file, load_string  # noqa: E402
from tutorial_kit.io.dict_loader import load_dict  # noqa: E402
from tutorial_kit.io.properties import Properties  # noqa: E402
from tutorial_kit.core.registry import (register_plugin, register_bsdf, register_emitter,  # noqa: E402
                                        register_film, register_integrator, register_rfilter,
                                        register_sampler, register_sensor, register_shape,
                                        register_texture, register_medium, register_phase)
from tutorial_kit.renderer.traversal import ParamFlags, ParamKind, TraversalCallback  # noqa: E402
from tutorial_kit.renderer.plugin import Plugin  # noqa: E402
from tutorial_kit.renderer.bsdf import BSDF  # noqa: E402
from tutorial_kit.renderer.emitter import Emitter  # noqa: E402
from tutorial_kit.renderer.integrator import AdjointIntegrator, Integrator, SamplingIntegrator  # noqa: E402
from tutorial_kit.renderer.sensor import Sensor  # noqa: E402
from tutorial_kit.renderer.sampler import Sampler  # noqa: E402
from tutorial_kit.renderer.shape import Shape  # noqa: E402
from tutorial_kit.renderer.texture import Texture  # noqa: E402
from tutorial_kit.ad.optimizers import Optimizer, SGD, Adam  # noqa: E402
from tutorial_kit.ad.render import render as _render  # noqa: E402
from tutorial_kit.ad.gradients import check_gradient  # noqa: E402
from tutorial_kit.ad.pytorch import torch_renderer  # noqa: E402
from tutorial_kit.ad.traverse import ParameterMap, traverse  # noqa: E402
from tutorial_kit.core.transform4f import ScalarTransform4f  # noqa: E402
from tutorial_kit.core.ray import Ray3f  # noqa: E402
# Mitsuba 3's scripting API: records, interfaces and helpers of the renderer.
from tutorial_kit.core import warp  # noqa: E402
from tutorial_kit.core.random import permute_kensler  # noqa: E402
from tutorial_kit.core.bbox import ScalarBoundingBox3f  # noqa: E402
from tutorial_kit.core.frame import coordinate_system  # noqa: E402
from tutorial_kit.renderer.bsdf import (BSDFContext, BSDFFlags, BSDFPtr, BSDFSample3f,  # noqa: E402
                                        TransportMode, has_flag)
from tutorial_kit.renderer.emitter import EmitterFlags, EmitterPtr  # noqa: E402
from tutorial_kit.core.distribution import DiscreteDistribution2D  # noqa: E402
from tutorial_kit.renderer.interaction import DirectionSample3f, Interaction3f, RayFlags  # noqa: E402
from tutorial_kit.renderer.scene import Scene  # noqa: E402
from tutorial_kit.renderer.preliminary_intersection import PreliminaryIntersection3f  # noqa: E402
from tutorial_kit.plugins.bsdfs.fresnel import fresnel, reflect  # noqa: E402
from tutorial_kit.plugins.bsdfs import fresnel as _fresnel  # noqa: E402

#: Mitsuba 3 returns scene bounds as a scalar box; both names lead to it here.
BoundingBox3f = ScalarBoundingBox3f
from tutorial_kit.io.image import Bitmap  # noqa: E402
from tutorial_kit.io.volume_grid import VolumeGrid, VolumeGridError  # noqa: E402
from tutorial_kit.renderer.medium import (Medium, MediumInteraction3f, PhaseFunction,  # noqa: E402
                                          PhaseFunctionContext)
from tutorial_kit.renderer.volume import Volume  # noqa: E402
from tutorial_kit.io.struct import Struct  # noqa: E402
from tutorial_kit.plugins.shapes.mesh import Mesh  # noqa: E402
from tutorial_kit import ad, util  # noqa: E402,F401  (tk.ad.Adam, tk.util.convert_to_bitmap)
from tutorial_kit import python  # noqa: E402,F401  (tk.python.ad.integrators.common.RBIntegrator)
from tutorial_kit.scenes import cornell_box  # noqa: E402
from tutorial_kit.io import inline_images as _inline_images  # noqa: E402
# Under Mitsuba 3's names: a surface interaction, luminance, logging, file search, variants.
from tutorial_kit.renderer.interaction import SurfaceInteraction3f  # noqa: E402
from tutorial_kit.renderer.texture import luminance  # noqa: E402
from tutorial_kit.core.log import Log, LogLevel, Logger, log_level, logger, set_log_level  # noqa: E402
from tutorial_kit.core.file_resolver import FileResolver, file_resolver  # noqa: E402
from tutorial_kit.core import mueller  # noqa: E402  (Mitsuba 3's mi.mueller)
from tutorial_kit import variant_types as _variant_types  # noqa: E402
from tutorial_kit.variant_types import set_variant, variant, variants  # noqa: E402

__version__ = _metadata_version('tutorial_kit')


@functools.wraps(_render)
def render(*args, **kwargs):
    # In the scalar_rgb variant the image comes back as that variant's TensorXf
    # (drjit.scalar.TensorXf), as Mitsuba 3 returns it; the renderer itself
    # always computes with the JIT backend.
    image = _render(*args, **kwargs)
    if _variant_types.is_scalar():
        image = dr.scalar.TensorXf(dr.detach(image).numpy())
    return image


# A render left at the end of a notebook cell shows as a picture.
_inline_images.register([getattr(getattr(dr, name).ad, 'TensorXf') for name in ('llvm', 'cuda')])


def refract(wi, *args):
    """Mitsuba 3's ``refract``: ``refract(wi, cos_theta_t, eta_ti)`` through the
    normal +z, or ``refract(wi, m, cos_theta_t, eta_ti)`` through the unit
    vector ``m``; ``cos_theta_t`` and ``eta_ti`` as :func:`fresnel` returns them."""
    if len(args) == 2:
        return _fresnel.refract(wi, *args)
    if len(args) == 3:
        m, cos_theta_t, eta_ti = args
        return _fresnel.refract(wi, cos_theta_t, eta_ti, m)
    raise TypeError('refract(wi, cos_theta_t, eta_ti) or refract(wi, m, cos_theta_t, eta_ti)')


def unpolarized_spectrum(spectrum):
    """Mitsuba 3's ``unpolarized_spectrum``: the intensity part of a spectrum: the
    (0, 0) entry of a Mueller matrix (polarised variants), else the spectrum itself."""
    return mueller.unpolarized(spectrum)


def depolarizer(value=1.0):
    """Mitsuba 3's ``depolarizer``: in a polarised variant the Mueller matrix of an
    ideal depolariser of transmittance ``value``; otherwise ``value`` itself."""
    return mueller.depolarizer(value) if _variant_types.is_polarized() else value


#: Whether the active variant is RGB, spectral, monochrome or polarised
#: (Mitsuba 3's flags): this toolkit renders RGB, polarised or not.
_VARIANT_FLAGS = {'is_rgb': lambda: True, 'is_spectral': lambda: False,
                  'is_monochromatic': lambda: False, 'is_polarized': lambda: _variant_types.is_polarized()}


_TYPE_TABLES = {}


def __getattr__(name):
    """Array types and classes of the active variant: ``tk.Float``, ``tk.Color3f``,
    ``tk.Point3f``, ``tk.TensorXf``, ``tk.PCG32``, ``tk.Transform4f``, ``tk.Frame3f``, ...
    (see :mod:`tutorial_kit.variant_types`)."""
    if name in _VARIANT_FLAGS:
        return _VARIANT_FLAGS[name]()
    active = variant()
    table = _TYPE_TABLES.get(active)
    if table is None:
        table = _TYPE_TABLES[active] = _variant_types.types_of(active)
    if name in table:
        return table[name]
    if name in backend.TYPE_NAMES or name in backend.ALIASES:
        return getattr(backend, name)
    raise AttributeError(f'module "tutorial_kit" has no attribute "{name}"')


__all__ = ['load_file', 'load_string', 'load_dict', 'Properties', 'traverse', 'ParameterMap', 'render', 'write_bitmap', 'Bitmap', 'Struct', 'Mesh',
           'VolumeGrid', 'VolumeGridError', 'Medium', 'MediumInteraction3f', 'PhaseFunction',
           'PhaseFunctionContext', 'Volume', 'register_medium', 'register_phase',
           'ad', 'util', 'python', 'variant', 'set_variant', 'variants', '__version__', 'cornell_box',
           'Log', 'LogLevel', 'Logger', 'log_level', 'logger', 'set_log_level', 'FileResolver', 'file_resolver',
           'Optimizer', 'SGD', 'Adam', 'check_gradient', 'torch_renderer',
           'read_bitmap', 'set_backend', 'ScalarTransform4f', 'Ray3f',
           'SurfaceInteraction3f', 'luminance',
           'warp', 'permute_kensler', 'coordinate_system', 'ScalarBoundingBox3f', 'BoundingBox3f',
           'BSDFContext', 'BSDFFlags', 'BSDFPtr', 'BSDFSample3f', 'TransportMode', 'has_flag',
           'EmitterFlags', 'EmitterPtr', 'DiscreteDistribution2D', 'DirectionSample3f', 'Interaction3f', 'RayFlags',
           'Scene', 'PreliminaryIntersection3f', 'unpolarized_spectrum', 'depolarizer', 'mueller', 'fresnel', 'reflect', 'refract',
           'SceneError', 'XMLError', 'PluginError', 'MeshError', 'TransformError',
           'ParameterError', 'RenderError', 'ImageError', 'BackendError', 'SceneWarning', 'lenient_loading',
           'register_plugin', 'register_bsdf', 'register_emitter', 'register_film',
           'register_integrator', 'register_rfilter', 'register_sampler', 'register_sensor',
           'register_shape', 'register_texture', 'ParamFlags', 'ParamKind', 'TraversalCallback',
           'Plugin', 'BSDF', 'Emitter', 'Integrator', 'SamplingIntegrator', 'AdjointIntegrator', 'Sensor', 'Sampler', 'Shape', 'Texture']

# Each variant's types as a module: ``from tutorial_kit.scalar_rgb import Transform4f``.
from tutorial_kit import scalar_rgb, llvm_ad_rgb, cuda_ad_rgb  # noqa: E402,F401
from tutorial_kit import llvm_ad_rgb_polarized, cuda_ad_rgb_polarized  # noqa: E402,F401

"""Mitsuba 3's variants: which array types ``tk.Float``, ``tk.Point3f``... stand for.

Mitsuba 3 is compiled once per *variant* and ``mi.set_variant(name)`` rebinds
``mi.Float``, ``mi.Point3f``, ``mi.Transform4f`` and the rest to that
variant's types. tutorial_kit offers three:

``llvm_ad_rgb``, ``cuda_ad_rgb``
    Dr.Jit arrays of many lanes with derivatives, on the CPU or a GPU; the
    renderer always computes with these.
``llvm_ad_rgb_polarized``, ``cuda_ad_rgb_polarized``
    The same arrays, and light carries its polarisation: ``Spectrum`` is a
    Mueller matrix of RGB values (``Matrix43f``, see
    :mod:`tutorial_kit.core.mueller`), the ``path`` integrator multiplies
    them along each path, and the ``stokes`` integrator returns the four
    Stokes components. Mitsuba 3's own wheels have polarised variants only
    in monochrome and spectral form; here the RGB renderer does it.
``scalar_rgb``
    One value at a time, for geometry and image work: ``Float`` is a Python
    float, ``Point3f`` a ``drjit.scalar.Array3f``, ``Transform4f`` the
    scalar transform. Scenes load and render as in a JIT variant (the
    renderer needs one); a render comes back as ``drjit.scalar.TensorXf``.

Spectral and monochrome variants do not exist here: this toolkit renders
RGB. The modules ``tutorial_kit.scalar_rgb``, ``.llvm_ad_rgb`` and
``.cuda_ad_rgb`` hold each variant's types whichever is active, so that
``from mitsuba.scalar_rgb import Transform4f`` finds them.
"""
import drjit as dr

from tutorial_kit.core import backend
from tutorial_kit.core.bbox import ScalarBoundingBox3f
from tutorial_kit.core.errors import BackendError
from tutorial_kit.core.frame import Frame, ScalarFrame3f
from tutorial_kit.core.transform4f import (ProjectiveTransform4f, ScalarProjectiveTransform4f, ScalarTransform3f,
                                           ScalarTransform4f, Transform3f, Transform4f)

#: The variants this toolkit has, in Mitsuba 3's names.
VARIANTS = ('scalar_rgb', 'llvm_ad_rgb', 'cuda_ad_rgb', 'llvm_ad_rgb_polarized', 'cuda_ad_rgb_polarized')

#: Mitsuba 3's names for Dr.Jit's array types, by the name Dr.Jit gives them
#: (the same in ``drjit.scalar`` and in ``drjit.llvm.ad``). A point, a vector,
#: a normal and a colour are one type here: Dr.Jit's array types cannot be
#: subclassed, so the role is only a name for the reader.
ARRAY_NAMES = {
    'Float': 'Float', 'Float32': 'Float', 'Float64': 'Float64', 'Int': 'Int', 'Int32': 'Int',
    'UInt': 'UInt', 'UInt32': 'UInt', 'Int64': 'Int64', 'UInt64': 'UInt64', 'Bool': 'Bool', 'Mask': 'Bool',
    'Point2f': 'Array2f', 'Vector2f': 'Array2f', 'Point3f': 'Array3f', 'Vector3f': 'Array3f',
    'Normal3f': 'Array3f', 'Point4f': 'Array4f', 'Vector4f': 'Array4f',
    'Point2i': 'Array2i', 'Vector2i': 'Array2i', 'Point2u': 'Array2u', 'Vector2u': 'Array2u',
    'Point3i': 'Array3i', 'Vector3i': 'Array3i', 'Point3u': 'Array3u', 'Vector3u': 'Array3u',
    'Color1f': 'Array1f', 'Color3f': 'Array3f', 'Spectrum': 'Array3f', 'UnpolarizedSpectrum': 'Array3f',
    'Matrix2f': 'Matrix2f', 'Matrix3f': 'Matrix3f', 'Matrix4f': 'Matrix4f',
    'TensorXf': 'TensorXf', 'TensorXu': 'TensorXu', 'TensorXi': 'TensorXi', 'TensorXb': 'TensorXb',
    'TensorXf64': 'TensorXf64', 'PCG32': 'PCG32',
    'ArrayXf': 'ArrayXf', 'ArrayXu': 'ArrayXu', 'ArrayXi': 'ArrayXi',
    'Array1f': 'Array1f', 'Array2f': 'Array2f', 'Array3f': 'Array3f', 'Array4f': 'Array4f',
    'Array2i': 'Array2i', 'Array3i': 'Array3i', 'Array2u': 'Array2u', 'Array3u': 'Array3u',
    # Dr.Jit's textures: a tensor looked up with linear (or nearest) filtering,
    # differentiable with respect to its values (the grids of a radiance field).
    'Texture1f': 'Texture1f', 'Texture2f': 'Texture2f', 'Texture3f': 'Texture3f',
}

#: Scalar types of Dr.Jit whose Python equivalent is a plain number.
_PYTHON_SCALARS = {'Float': float, 'Float64': float, 'Int': int, 'UInt': int, 'Int64': int, 'UInt64': int,
                   'Bool': bool}

#: Classes of this toolkit, by variant kind: (JIT class, scalar class).
CLASSES = {
    'Frame3f': (Frame, ScalarFrame3f),
    'Transform3f': (Transform3f, ScalarTransform3f),
    'Transform4f': (Transform4f, ScalarTransform4f),
    'AffineTransform3f': (Transform3f, ScalarTransform3f),
    'AffineTransform4f': (Transform4f, ScalarTransform4f),
    'ProjectiveTransform4f': (ProjectiveTransform4f, ScalarProjectiveTransform4f),
}

_active_is_scalar = False


def _scalar_type(dr_name):
    return _PYTHON_SCALARS.get(dr_name) or getattr(dr.scalar, dr_name)


def _scalar_table():
    """Mitsuba 3's ``Scalar*`` names, the same in every variant."""
    table = {f'Scalar{name}': _scalar_type(dr_name) for name, dr_name in ARRAY_NAMES.items()}
    table.update({f'Scalar{name}': classes[1] for name, classes in CLASSES.items()})
    table['ScalarBoundingBox3f'] = ScalarBoundingBox3f
    return table


def types_of(variant_name):
    """Name -> type of every array type and class that depends on the variant:
    ``Float``, ``Point3f``, ``Transform4f``, ``ScalarPoint3f``..."""
    if variant_name not in VARIANTS:
        raise BackendError(_unknown(variant_name))
    table = _scalar_table()
    if variant_name == 'scalar_rgb':
        table.update({name: _scalar_type(dr_name) for name, dr_name in ARRAY_NAMES.items()})
        table.update({name: classes[1] for name, classes in CLASSES.items()})
    else:
        module = getattr(dr, variant_name.split('_')[0]).ad
        table.update({name: getattr(module, dr_name) for name, dr_name in ARRAY_NAMES.items()})
        table.update({name: classes[0] for name, classes in CLASSES.items()})
        if variant_name.endswith('_polarized'):
            # Light is a Stokes vector, an optical element a Mueller matrix: both
            # are carried as 4x4 matrices of RGB values, as in Mitsuba 3.
            table['Spectrum'] = module.Matrix43f
    table['BoundingBox3f'] = ScalarBoundingBox3f
    return table


def variants():
    """The variants usable here: ``scalar_rgb``, ``llvm_ad_rgb`` and
    ``llvm_ad_rgb_polarized``, and the ``cuda_`` ones where Dr.Jit finds a GPU."""
    names = ['scalar_rgb', 'llvm_ad_rgb']
    if dr.has_backend(dr.JitBackend.CUDA):
        names.append('cuda_ad_rgb')
    names.append('llvm_ad_rgb_polarized')
    if dr.has_backend(dr.JitBackend.CUDA):
        names.append('cuda_ad_rgb_polarized')
    return names


def variant():
    """The active variant's name: ``'scalar_rgb'``, ``'llvm_ad_rgb'``, ``'cuda_ad_rgb'``
    or one of the last two followed by ``_polarized``."""
    if _active_is_scalar:
        return 'scalar_rgb'
    return f'{backend.name}_ad_rgb' + ('_polarized' if backend.polarized else '')


def is_polarized():
    """Whether a polarised variant is active (Mitsuba 3's ``mi.is_polarized``)."""
    return not _active_is_scalar and backend.polarized


def is_scalar():
    """Whether ``scalar_rgb`` is active."""
    return _active_is_scalar


def set_variant(*names):
    """Mitsuba 3's ``set_variant``: the first of ``names`` that is usable here
    becomes active (``set_variant('cuda_ad_rgb', 'llvm_ad_rgb')`` takes the
    GPU where there is one). A JIT variant also chooses the renderer's
    backend; ``scalar_rgb`` leaves the backend as it is.

    Raises :class:`~tutorial_kit.BackendError` naming the variants that
    exist when none of ``names`` is usable, and TypeError for a name that is
    not a string; nothing changes then.
    """
    global _active_is_scalar
    if not names:
        raise TypeError('set_variant needs at least one variant name, e.g. set_variant("llvm_ad_rgb")')
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f'variant names are strings, got {type(name).__name__}')
    for name in names:
        if name == 'scalar_rgb':
            _active_is_scalar = True
            backend.polarized = False
            return
        if name in VARIANTS:
            try:
                backend.set_backend(name.split('_')[0])
            except BackendError:
                continue
            _active_is_scalar = False
            backend.polarized = name.endswith('_polarized')
            return
    raise BackendError(_unknown(*names))


def _unknown(*names):
    return (f'none of the variants {", ".join(map(repr, names))} is available here; tutorial_kit offers '
            f'"scalar_rgb", "llvm_ad_rgb", "llvm_ad_rgb_polarized" and (with a GPU) "cuda_ad_rgb" and '
            f'"cuda_ad_rgb_polarized": it renders RGB, so there are no spectral or monochrome variants')

"""Which Dr.Jit backend runs the renderer, and the array types it uses.

``tutorial_kit`` computes on CUDA when a GPU is present and on the CPU
through Dr.Jit's LLVM backend otherwise. :func:`set_backend` switches before
any scene is loaded. The rest of the package reads its array types from this
module (``bk.Float``, ``bk.Array3f``, ...) so that one switch moves everything.

The LLVM backend needs libLLVM 16 or newer; ``_tutorial_kit_llvm`` points
Dr.Jit at one before drjit is imported (see its docstring).
"""
import importlib

import _tutorial_kit_llvm  # noqa: F401  (must run before drjit loads libLLVM)
import drjit as dr

from tutorial_kit.core.errors import BackendError

#: Array types of the active backend, rebound by :func:`set_backend`.
Float = UInt32 = Int32 = Bool = UInt64 = ArrayXf = None
Array2f = Array3f = Array2i = Array2u = Array3u = Array3i = Color3f = None
TensorXf = PCG32 = None
#: Mueller matrices (polarised rendering): Float entries, and a Color3f per entry.
Matrix4f = Matrix43f = None
Point3f = Vector3f = Normal3f = Point2f = Vector2f = Spectrum = UnpolarizedSpectrum = None
UInt = Int = Mask = Point2u = Vector2u = Point2i = Vector2i = Vector3u = Vector3i = None
#: ``'llvm'`` or ``'cuda'``.
name = None
#: Whether light carries its polarisation (a ``*_polarized`` variant): the
#: integrators that honour it then multiply Mueller matrices along paths.
polarized = False

TYPE_NAMES = ('Float', 'UInt32', 'Int32', 'Bool', 'UInt64', 'ArrayXf', 'Array2f', 'Array3f', 'Array2i',
               'Array2u', 'Array3u', 'Array3i', 'TensorXf', 'PCG32', 'Texture1f', 'Texture2f', 'Texture3f',
              'Matrix4f', 'Matrix43f')

#: Mitsuba 3's names for the roles a 3- or 2-vector plays. Mitsuba gives each
#: role its own type (a point moves under a translation, a vector does not);
#: here they are one type, and the role is only a name for the reader.
ALIASES = {'Color3f': 'Array3f', 'Point3f': 'Array3f', 'Vector3f': 'Array3f', 'Normal3f': 'Array3f',
           'Point2f': 'Array2f', 'Vector2f': 'Array2f',
           # RGB rendering: a spectrum is three linear sRGB values.
           'Spectrum': 'Array3f', 'UnpolarizedSpectrum': 'Array3f',
           'UInt': 'UInt32', 'Int': 'Int32', 'Mask': 'Bool',
           'Point2u': 'Array2u', 'Vector2u': 'Array2u', 'Point2i': 'Array2i', 'Vector2i': 'Array2i',
           'Vector3u': 'Array3u', 'Vector3i': 'Array3i'}

_LLVM_HELP = (
    "Dr.Jit's CPU backend needs libLLVM 16 or newer{found}. Install one with\n"
    "    pip install karellen-llvm-core        (any Linux, x86-64)\n"
    "or  apt-get install libllvm19             (Debian and Ubuntu)\n"
    "or  brew install llvm                     (macOS)\n"
    "and start Python again; or point DRJIT_LIBLLVM_PATH at the library before "
    "drjit is imported.")


def _llvm_version():
    try:
        return dr.detail.llvm_version() if dr.has_backend(dr.JitBackend.LLVM) else None
    except RuntimeError:
        return None


def _check_available(backend):
    if backend == 'cuda':
        if not dr.has_backend(dr.JitBackend.CUDA):
            raise BackendError('CUDA backend requested, but Dr.Jit found no CUDA-capable GPU and driver.')
        return
    version = _llvm_version()
    if version is None or version[0] < _tutorial_kit_llvm.MIN_LLVM_MAJOR:
        found = '' if version is None else ', but loaded LLVM %d.%d.%d' % version
        raise BackendError(_LLVM_HELP.format(found=found))


def set_backend(backend):
    """Choose ``'llvm'`` (CPU) or ``'cuda'`` (GPU) for everything that follows.

    Call it before loading a scene: arrays made on one backend cannot mix
    with the other. Raises :class:`BackendError` when the backend is unusable.
    """
    global name
    if backend not in ('llvm', 'cuda'):
        raise BackendError(f"unknown backend {backend!r}: expected 'llvm' or 'cuda'")
    _check_available(backend)
    module = importlib.import_module(f'drjit.{backend}.ad')
    for type_name in TYPE_NAMES:
        globals()[type_name] = getattr(module, type_name)
    for alias, type_name in ALIASES.items():
        globals()[alias] = getattr(module, type_name)
    name = backend
    for cls, fields in _STRUCTS:
        cls.DRJIT_STRUCT = _struct_types(fields)


#: Classes declared with :func:`drjit_struct`, with their fields' type names.
_STRUCTS = []


def drjit_struct(**fields):
    """Class decorator: a record of Dr.Jit arrays (a ray, an interaction) that
    Dr.Jit walks field by field, so that ``dr.zeros(cls, n)``, ``dr.select``,
    ``dr.gather`` and loops take it whole.

    ``fields`` maps each field to a type name of :data:`TYPE_NAMES` or
    :data:`ALIASES` (``'Color3f'``, ``'Point3f'``...), or to a class: another
    such record (a frame inside an interaction) or a plain Python class whose
    instances Dr.Jit carries along unchanged. The class's ``DRJIT_STRUCT``
    holds the active backend's types and follows :func:`set_backend`.
    ``dr.zeros`` calls the class (and each field's class) without arguments,
    so constructors need defaults for every field.
    """
    def declare(cls):
        _STRUCTS.append((cls, fields))
        if name is not None:
            cls.DRJIT_STRUCT = _struct_types(fields)
        return cls
    return declare


def _struct_types(fields):
    return {field: globals()[kind] if isinstance(kind, str) else kind for field, kind in fields.items()}


def default_backend():
    """``'cuda'`` when a GPU is usable, else ``'llvm'``."""
    return 'cuda' if dr.has_backend(dr.JitBackend.CUDA) else 'llvm'


def jit_backend():
    """The active backend as a ``drjit.JitBackend`` value."""
    return dr.JitBackend.CUDA if name == 'cuda' else dr.JitBackend.LLVM


#: Arrays of up to this many values are uploaded from a Python list (see from_numpy).
_SMALL_UPLOAD = 65536


def from_numpy(array_type, values):
    """A flat Dr.Jit array of ``array_type`` (e.g. ``bk.Float``, ``bk.UInt32``)
    holding its own copy of ``values`` (anything NumPy can read, raveled).

    Built straight from a NumPy array, a Dr.Jit array on the CPU borrows the
    NumPy memory instead of copying it: a change to one then shows in the
    other, and a borrowed array that is still alive when Python exits is
    handed back after the interpreter has shut down, which crashes it.
    Scene data therefore always lives in memory that Dr.Jit owns. An array
    of up to :data:`_SMALL_UPLOAD` values is copied from a Python list,
    without a kernel (a scene of many shapes makes thousands of arrays); a
    larger one by a scatter kernel (the same code for every size).
    """
    import numpy as np
    values = np.ascontiguousarray(values).reshape(-1)
    if values.size <= _SMALL_UPLOAD:
        return array_type(values.tolist())
    owned = dr.empty(array_type, values.size)
    dr.scatter(owned, array_type(values), dr.arange(UInt32, values.size))
    dr.eval(owned)
    dr.sync_thread()        # the kernel runs in the background: done before the caller may change values
    return owned


def color3f(values):
    """A Color3f of width 1 from three numbers (or one grey value).

    Opaque, not a literal: kernels read the value instead of embedding it,
    so a new value reuses them; and Dr.Jit widens a width-1 literal in place
    when it meets a wider array (``dr.select``), which would change a
    parameter's width behind its owner's back.
    """
    import numpy as np
    host = np.asarray(values, dtype=np.float32).reshape(-1).tolist()
    if len(host) == 1:
        host = host * 3
    elif len(host) != 3:
        raise ValueError(f'a colour has one or three values, got {len(host)}')
    return Color3f(*stored_floats(host))


def variables(array):
    """The Dr.Jit variables holding ``array`` (a tuple of ints): they change when
    a new value is assigned (a write into the array in place keeps them)."""
    return tuple(dr.detail.collect_indices(array))


def stored_float(value):
    """A Float of width 1 holding ``value`` in memory, never a literal (see color3f)."""
    import numpy as np
    return stored_floats(np.array([value], dtype=np.float32))[0]


def stored_floats(values):
    """One width-1 Float per entry of ``values`` (a float32 NumPy array or a list
    of floats), each in memory that Dr.Jit owns, written there directly (no
    kernel: a scene of many shapes has many such values, and evaluating
    literals takes a kernel each)."""
    floats = []
    for value in (values.tolist() if hasattr(values, 'tolist') else values):
        stored = dr.empty(Float, 1)
        stored[0] = value
        floats.append(stored)
    return floats
"""Point Dr.Jit's LLVM backend at a libLLVM that is new enough (16 or newer).

Dr.Jit loads libLLVM when ``drjit`` is first imported and reads the
``DRJIT_LIBLLVM_PATH`` environment variable to find it. Older system
libraries (LLVM 15) abort on common kernels and LLVM 14 is refused, so the
variable must be set before *any* import of drjit. This module is therefore
imported by ``tutorial_kit.pth`` when the interpreter starts, and again by
``tutorial_kit`` itself; it imports nothing but the standard library and
never overrides a path the user has set.
"""
import glob
import os
import re
import sys

MIN_LLVM_MAJOR = 16


def _major_version(path):
    """The LLVM major version told by a library's path, or None.

    Recognises ``/usr/lib/llvm-19/lib/libLLVM.so.1`` (the directory tells),
    ``libLLVM-15.so.1`` and ``libLLVM.so.23.1`` (the file name tells).
    """
    for pattern in (r'/llvm-(\d+)/', r'libLLVM-(\d+)', r'libLLVM\.so\.(\d+)\.'):
        match = re.search(pattern, path)
        if match:
            return int(match.group(1))
    return None


def candidate_libraries():
    """Paths of libLLVM builds that may be usable, best first."""
    found = []
    # 1. The PyPI wheel karellen-llvm-core installs into <prefix>/lib: libLLVM.so.23.1 in
    #    recent releases, libLLVM-17.so in 17.0.6 (the floor that pyproject.toml allows).
    for prefix in dict.fromkeys([sys.prefix, sys.base_prefix]):
        found += sorted(glob.glob(os.path.join(prefix, 'lib', 'libLLVM.so.*')), reverse=True)
        found += sorted(glob.glob(os.path.join(prefix, 'lib', 'libLLVM-[0-9]*.so')), reverse=True)
    # 2. Debian and Ubuntu packages (libllvm19 and friends).
    found += sorted(glob.glob('/usr/lib/llvm-*/lib/libLLVM*.so*'), key=lambda p: _major_version(p) or 0, reverse=True)
    found += sorted(glob.glob('/usr/lib/*-linux-gnu/libLLVM*.so*'), reverse=True)
    # 3. Homebrew on macOS.
    found += sorted(glob.glob('/opt/homebrew/opt/llvm*/lib/libLLVM.dylib'))
    found += sorted(glob.glob('/usr/local/opt/llvm*/lib/libLLVM.dylib'))
    return [p for p in found if (_major_version(p) or MIN_LLVM_MAJOR) >= MIN_LLVM_MAJOR]


def configure():
    """Set DRJIT_LIBLLVM_PATH to the best candidate unless the user set it.

    Returns the path in effect (the user's or ours), or None when nothing
    suitable was found; ``tutorial_kit.backend`` turns that into a clear error.
    """
    if os.environ.get('DRJIT_LIBLLVM_PATH'):
        return os.environ['DRJIT_LIBLLVM_PATH']
    candidates = candidate_libraries()
    if not candidates:
        return None
    os.environ['DRJIT_LIBLLVM_PATH'] = candidates[0]
    return candidates[0]


configure()

# tutorial_kit must be imported before drjit so that Dr.Jit loads a usable libLLVM.
import tutorial_kit  # noqa: F401

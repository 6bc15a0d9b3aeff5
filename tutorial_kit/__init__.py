"""tutorial_kit: physically based differentiable rendering on Dr.Jit, for learning."""
from . import backend
from .backend import set_backend
from .errors import (SceneError, XMLError, PluginError, MeshError, ParameterError,
                     RenderError, ImageError, BackendError)

backend.set_backend(backend.default_backend())

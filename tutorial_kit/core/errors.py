"""The one exception family for every bad input.

Every error the toolkit raises for a user's mistake derives from
:class:`SceneError`, so ``except tk.SceneError`` catches them all. Messages
name the file (and line, where there is one) and say what was expected.
"""
import contextlib


class SceneError(Exception):
    """A scene, a parameter assignment or a call was given bad input.

    ``path`` and ``line`` locate the problem when it comes from a file; they
    are prefixed to the message so that the printed error reads
    ``cbox.xml:12: <float name="fov"> expects a number, got 'wide'``.
    """

    def __init__(self, message, path=None, line=None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.reason = message
        location = ''
        if self.path is not None:
            location = self.path + (f':{line}' if line is not None else '') + ': '
        super().__init__(location + message)


class XMLError(SceneError):
    """Malformed, truncated or unsafe XML, or a structure the loader rejects."""


class PluginError(SceneError):
    """An unknown plugin, or a plugin given a parameter it cannot accept."""


class MeshError(SceneError):
    """A mesh file that is missing, truncated or malformed."""


class ParameterError(SceneError, KeyError):
    """A parameter key that does not exist, or a value of the wrong shape or type."""

    # KeyError's __str__ wraps the message in quotes; keep the plain message.
    __str__ = Exception.__str__


class RenderError(SceneError):
    """A render request that cannot be honoured (bad spp, bad sensor index)."""


class ImageError(SceneError):
    """An image that cannot be written (unknown extension, bad shape)."""


class TransformError(SceneError, ValueError):
    """A transform that cannot be built (a matrix of the wrong size, a vector of the
    wrong length) or has no inverse. A ValueError too, as Python's own checks say."""


class TransformTypeError(TransformError, TypeError):
    """A transform given values of the wrong type (a string for a vector)."""


class BackendError(RuntimeError):
    """No usable Dr.Jit backend: the message says how to get one."""


@contextlib.contextmanager
def interrupts_stay_interrupts():
    """Let Ctrl-C inside Dr.Jit code reach the caller as a KeyboardInterrupt.

    Dr.Jit's loops catch the interrupt and raise ``RuntimeError:
    dr.while_loop(): encountered an exception`` with the KeyboardInterrupt
    somewhere in its chain; a student who pressed Ctrl-C should see
    that they interrupted, not what looks like a crash.
    """
    try:
        yield
    except RuntimeError as error:
        if _caused_by_interrupt(error):
            raise KeyboardInterrupt from None
        raise


def _caused_by_interrupt(error):
    """Whether a KeyboardInterrupt stands in ``error``'s chain of causes."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False

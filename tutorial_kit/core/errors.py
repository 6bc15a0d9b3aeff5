"""The one exception family for every bad input.

Every error the toolkit raises for a user's mistake derives from
:class:`SceneError`, so ``except tk.SceneError`` catches them all. Messages
name the file (and line, where there is one) and say what was expected.
"""
import contextlib
import signal
import threading


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
    """A transform that cannot be built or inverted: a matrix of the wrong size, a
    vector of the wrong length, NaN or infinite entries, a NaN angle, the inverse
    (or a normal's transform) of a singular matrix. Also a ValueError, as
    Python's own functions raise for a bad value."""


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


@contextlib.contextmanager
def interrupts_deferred():
    """Hold back Ctrl-C until the block has finished, then raise it.

    For the few lines that commit a change to a scene (new parameter values
    and what is derived from them): interrupted half-way, the scene would be
    neither as before nor as after. A SIGINT arriving inside the block is
    remembered and handed to the handler that was in place (by default it
    raises KeyboardInterrupt) once the block is done. Signal handlers belong
    to the main thread; elsewhere, where no SIGINT can arrive, the block
    simply runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    except (ValueError, OSError):          # no signals here (an embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(signal.SIGINT, received[0])
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt

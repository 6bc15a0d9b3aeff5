"""A time limit for a block of test code, so that a hang fails instead of stalling the suite."""
import contextlib
import signal
import threading


class TimeLimitExceeded(AssertionError):
    """The block ran longer than its limit."""


@contextlib.contextmanager
def time_limit(seconds):
    """Raise TimeLimitExceeded in the block once ``seconds`` have passed.

    Uses SIGALRM (a real-time timer), so it works in the main thread on
    POSIX systems; elsewhere the block runs without a limit. Native code
    that never returns to Python is interrupted only when it does.
    """
    if not hasattr(signal, 'setitimer') or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TimeLimitExceeded(f'took longer than {seconds} s')

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

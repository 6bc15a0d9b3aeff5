"""Running Dr.Jit work in a background thread, so that a notebook stays
responsive while it runs, and handing values to it from the notebook's thread.

:class:`BackgroundRun` owns the thread: start, a request to stop, wait, and
flushing Dr.Jit's queue before the thread ends. :class:`PendingValue` carries
a value set in one thread (a slider moved) to the next step of the other.
Neither knows what the work is: ``optimisation_dashboard.py`` uses them to run
``optimisation_loop.py``.
"""
import threading

import drjit as dr


class BackgroundRun:
    """One piece of work at a time in its own thread, which another thread may ask to stop.

    The work polls :meth:`stop_requested` between its steps: a step (a
    render, say) cannot be interrupted, so a stop takes effect after it.
    """

    def __init__(self):
        self._thread = None
        self._stop = threading.Event()

    @property
    def running(self):
        """True while the thread runs, including its last step, ``finished()``."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, work, finished):
        """Run ``work()`` in a new thread, then ``finished()`` in it, whatever ``work`` did.

        A stop asked for before is forgotten. The thread is a daemon, so a
        run still going does not keep the Python process from exiting.
        """
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(work, finished), daemon=True)
        self._thread.start()

    def run_here(self, work):
        """Run ``work()`` in the calling thread (a foreground run) and return its result;
        as with :meth:`start`, a stop asked for before is forgotten."""
        self._stop.clear()
        return work()

    def stop(self):
        """Ask the work to stop at its next check of :meth:`stop_requested`."""
        self._stop.set()

    def stop_requested(self):
        """True once :meth:`stop` was called for the current run."""
        return self._stop.is_set()

    def wait(self, timeout=None):
        """Wait until the thread has finished (at most ``timeout`` seconds)."""
        if self._thread is not None:
            self._thread.join(timeout)

    @staticmethod
    def _run(work, finished):
        try:
            work()
        finally:
            # Dr.Jit queues work per thread: leave nothing queued in this one,
            # which ends here and would never run it.
            try:
                dr.eval()
                dr.sync_thread()
            finally:
                finished()


class PendingValue:
    """The latest value one thread set for another to take, at most once.

    A run reads its settings once, but a control may change while it goes
    on (the learning rate): the control puts the new value here and the run
    takes it before its next iteration.
    """

    def __init__(self):
        self._value, self._lock = None, threading.Lock()

    def put(self, value):
        """Leave ``value`` to be taken, replacing one not taken yet."""
        with self._lock:
            self._value = value

    def take(self):
        """The value put since the last take (or None), and forget it."""
        with self._lock:
            value, self._value = self._value, None
        return value

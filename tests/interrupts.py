"""Ctrl-C at a chosen line: a trace function that raises KeyboardInterrupt there."""
import sys


class InterruptAt:
    """A trace function raising KeyboardInterrupt at the ``k``-th line executed in
    ``files`` (a set of file names, or a function of one saying whether to count
    its lines; every frame of those files counts); ``count`` lines were seen."""

    def __init__(self, k, files):
        self.k, self.count = k, 0
        self.counts_file = files if callable(files) else files.__contains__

    def __call__(self, frame, event, arg):
        return self._line if self.counts_file(frame.f_code.co_filename) else None

    def _line(self, frame, event, arg):
        if event == 'line':
            self.count += 1
            if self.count == self.k:
                raise KeyboardInterrupt
        return self._line

    def run(self, action):
        """Run ``action()`` under this tracer: whether it was interrupted (a
        KeyboardInterrupt, or an error that Dr.Jit raised because of one)."""
        sys.settrace(self)
        try:
            action()
        except KeyboardInterrupt:
            return True
        except Exception as error:
            if not _caused_by_interrupt(error):
                raise
            return True
        finally:
            sys.settrace(None)
        return False


def _caused_by_interrupt(error):
    while error is not None:
        if isinstance(error, KeyboardInterrupt):
            return True
        error = error.__cause__ or error.__context__
    return False

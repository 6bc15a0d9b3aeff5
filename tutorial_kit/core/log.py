"""Log messages and progress reports, under Mitsuba 3's names.

``set_log_level(LogLevel.Warn)`` silences information messages;
``Log(LogLevel.Info, 'text')`` writes one when the level allows it, and
``Log(LogLevel.Error, 'text')`` raises (as Mitsuba 3 does, an error message
ends what was running). ``logger().log_progress(...)`` reports the progress
of a long task: a tqdm bar where tqdm is installed (in a notebook it draws
itself as a widget), otherwise a line that is rewritten in place.
"""
import enum
import sys


class LogLevel(enum.IntEnum):
    """How important a message is; the values are Mitsuba 3's."""
    Trace = 0
    Debug = 100
    Info = 200
    Warn = 300
    Error = 400


class Logger:
    """Filters messages by level and draws progress bars."""

    def __init__(self, level=LogLevel.Warn):
        self._level = LogLevel(level)
        self._bars = {}

    def log_level(self):
        return self._level

    def set_log_level(self, level):
        """Show messages of ``level`` (a :class:`LogLevel`) and above."""
        self._level = _checked_level(level)

    def log(self, level, message):
        level = _checked_level(level)
        if level >= LogLevel.Error:
            raise RuntimeError(str(message))
        if level >= self._level:
            print(f'{level.name.upper():5} {message}', file=sys.stderr)

    def log_progress(self, progress, name, formatted='', eta='', ptr=None):
        """Report that a long task is ``progress`` done (a fraction, 0 to 1).

        As Mitsuba 3 draws it in a notebook: one bar per task, labelled with
        ``name`` and ``eta`` (the time left; Mitsuba 3's text console prints
        ``formatted`` instead). A report of 0 starts a new bar, one of 1
        finishes it; between them the bar moves, whatever the label says, so
        that a loop may put its iteration's figures into ``name``. ``ptr``
        tells apart tasks that run at the same time.
        """
        if isinstance(progress, bool) or not isinstance(progress, (int, float)) or not 0 <= progress <= 1:
            raise ValueError(f'log_progress: progress is a fraction in [0, 1] (as Mitsuba 3\'s '
                             f'progress reporter gives it), got {progress!r}')
        bar = self._bars.get(ptr)
        if bar is None or progress == 0:
            if bar is not None:
                bar.close()
            bar = self._bars[ptr] = _progress_bar()
        bar.update_to(100.0 * progress, ' '.join(str(part) for part in (name, eta) if part))
        if progress >= 1:
            bar.close()
            del self._bars[ptr]


def _checked_level(level):
    if isinstance(level, bool) or not isinstance(level, (int, LogLevel)):
        raise TypeError(f'a log level is a tk.LogLevel (Trace, Debug, Info, Warn, Error), got {level!r}')
    try:
        return LogLevel(level)
    except ValueError:
        raise ValueError(f'unknown log level {level!r}: expected one of '
                         f'{", ".join(f"LogLevel.{m.name}" for m in LogLevel)}') from None


class _TextBar:
    """A progress line rewritten in place, for consoles without tqdm."""

    def update_to(self, percent, label):
        sys.stderr.write(f'\r{percent:5.1f} % {label}')

    def close(self):
        sys.stderr.write('\n')


class _TqdmBar:
    def __init__(self, tqdm):
        self.bar = tqdm(total=100, leave=True, bar_format='{l_bar}{bar}| {n:.0f}%')

    def update_to(self, percent, label):
        self.bar.n = percent
        self.bar.set_description_str(label, refresh=False)
        self.bar.refresh()

    def close(self):
        self.bar.close()


def _progress_bar():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _TextBar()
    return _TqdmBar(tqdm)


_LOGGER = Logger()


def logger():
    """The logger every message goes through."""
    return _LOGGER


def set_log_level(level):
    _LOGGER.set_log_level(level)


def log_level():
    return _LOGGER.log_level()


def Log(level, message):  # noqa: N802  (Mitsuba 3's name)
    """Write ``message`` at ``level``; ``LogLevel.Error`` raises a RuntimeError with it."""
    _LOGGER.log(level, message)

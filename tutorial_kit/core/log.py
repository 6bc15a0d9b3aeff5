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
        """Report that the task ``name`` is ``progress`` percent (0 to 100) done.

        ``formatted`` and ``eta`` are Mitsuba 3's text of the message and
        the time left; they go into the bar's description. A report of 100
        closes the task's bar. ``ptr`` tells apart tasks of the same name.
        """
        if not isinstance(progress, (int, float)) or not 0 <= progress <= 100:
            raise ValueError(f'log_progress: progress is a percentage in [0, 100], got {progress!r}')
        key = (str(name), ptr)
        bar = self._bars.get(key)
        if bar is None:
            bar = self._bars[key] = _progress_bar(str(name))
        bar.update_to(float(progress), ' '.join(str(part) for part in (formatted, eta) if part))
        if progress >= 100:
            bar.close()
            del self._bars[key]


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

    def __init__(self, name):
        self.name = name

    def update_to(self, percent, note):
        sys.stderr.write(f'\r{self.name}: {percent:5.1f} % {note}')

    def close(self):
        sys.stderr.write('\n')


class _TqdmBar:
    def __init__(self, name, tqdm):
        self.bar = tqdm(total=100, desc=name, leave=True)

    def update_to(self, percent, note):
        self.bar.n = percent
        if note:
            self.bar.set_postfix_str(note, refresh=False)
        self.bar.refresh()

    def close(self):
        self.bar.close()


def _progress_bar(name):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _TextBar(name)
    return _TqdmBar(name, tqdm)


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

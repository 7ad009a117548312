"""Progress bars on stderr.

Shown only when stderr is a terminal and the caller did not ask for
quiet, and only once the work has lasted ``delay`` seconds, so quick runs
and scripts (pipes, CI logs) see nothing.  The bar is drawn with ``rich``
when it is installed (the command line depends on it), else as plain
``label [####----] n/total`` text; rich is imported only once a bar is
actually shown, so ``import detap`` needs numpy only.
"""
import sys
import time

__all__ = ["Progress", "progress", "configure"]

#: the default of ``enabled``: None = on a terminal only; the command line
#: sets False for ``--quiet``
_DEFAULT = {"enabled": None}


def configure(enabled=None):
    """Set the default for every bar: True, False, or None (terminal only)."""
    _DEFAULT["enabled"] = enabled


class Progress:
    """``with Progress(total, "parsing") as p: ... p.update(n)``.

    total   number of units (files, boxes); None when unknown
    label   what is being done, shown before the bar
    enabled False to stay silent (``--quiet``); None: only on a terminal
    """

    def __init__(self, total=None, label="", enabled=None, stream=None, delay=1.0, width=30):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _DEFAULT["enabled"]
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.total, self.label, self.delay, self.width = total, label, delay, width
        self.done = 0
        self._t0 = time.monotonic()
        self._last = 0.0
        self._shown = False
        self._rich = None

    def update(self, n=1):
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._t0 < self.delay or now - self._last < 0.1:
            return
        self._last = now
        self._draw(now)

    def _draw(self, now):
        if self._draw_rich():
            return
        el = now - self._t0
        if self.total:
            frac = min(1.0, self.done / self.total)
            fill = int(frac * self.width)
            bar = "#" * fill + "-" * (self.width - fill)
            text = f"\r{self.label} [{bar}] {self.done}/{self.total} {el:.1f}s"
        else:
            text = f"\r{self.label} {self.done} {el:.1f}s"
        self.stream.write(text)
        self.stream.flush()
        self._shown = True

    def _draw_rich(self):
        """Draw with rich; False when rich is not installed."""
        if self._rich is None:
            try:
                from rich.console import Console
                from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar,
                                           TextColumn, TimeElapsedColumn)
            except ImportError:
                self._rich = False
                return False
            cols = [TextColumn("{task.description}"), BarColumn()]
            cols += [MofNCompleteColumn()] if self.total else []
            # refreshed by update() only: no thread that could outlive an interrupt
            bar = Bar(*cols, TimeElapsedColumn(), console=Console(file=self.stream),
                      auto_refresh=False)
            bar.start()
            self._rich = (bar, bar.add_task(self.label, total=self.total))
            self._shown = True
        if self._rich is False:
            return False
        bar, task = self._rich
        bar.update(task, completed=self.done)
        bar.refresh()
        return True

    def close(self):
        if self._rich:
            bar, task = self._rich
            bar.update(task, completed=self.done)
            bar.refresh()
            bar.stop()
            self._rich = False
            self._shown = False
            return
        if self._shown:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress(iterable, total=None, label="", enabled=None, stream=None, delay=1.0):
    """Iterate ``iterable`` with a ``Progress`` bar (see there)."""
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    with Progress(total, label, enabled, stream, delay) as p:
        for item in iterable:
            yield item
            p.update(1)

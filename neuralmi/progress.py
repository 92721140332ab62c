"""Training progress a person can see: fits finished of the total, epochs trained, elapsed and remaining time.

`tracking(...)` installs a tracker for the duration of a call; the trainer reports to whichever is installed
(`epochs_done`, `fit_done`), and nothing happens when none is. On a terminal or in a notebook the tracker
redraws one line; written to a log it appends a line every `LOG_EVERY` seconds and at the end.
"""

from __future__ import annotations

import contextlib
import sys
import time
from contextvars import ContextVar

LIVE_EVERY, LOG_EVERY, BAR = 0.2, 10.0, 24
_current: ContextVar[Progress | None] = ContextVar("neuralmi_progress", default=None)


def _interactive(stream) -> bool:
    """A terminal, or a notebook's output (its kernel renders carriage returns as redraws)."""
    if getattr(stream, "isatty", lambda: False)():
        return True
    return "ipykernel" in sys.modules and stream in (sys.stdout, sys.stderr)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


class Progress:
    """Counts fit-epochs against `total_fits * max_epochs`; a fit that stops early counts its remaining epochs as
    done, so the remaining time is an upper estimate until the last fits stop."""

    def __init__(self, total_fits: int, max_epochs: int, stream, live: bool):
        self.total_fits, self.max_epochs, self.stream, self.live = total_fits, max_epochs, stream, live
        self.fits = self.epochs = self.credit = self.width = 0
        self.start = self.shown = time.monotonic()

    def epochs_done(self, n: int) -> None:
        self.epochs += n
        self._show()

    def fit_done(self, epochs: int) -> None:
        self.fits += 1
        self.credit += max(0, self.max_epochs - epochs)
        self._show()

    def line(self) -> str:
        fraction = min(1.0, (self.epochs + self.credit) / max(1, self.total_fits * self.max_epochs))
        elapsed = time.monotonic() - self.start
        left = "" if fraction <= 0 or self.fits == self.total_fits else \
            f", ~{_clock(elapsed * (1 - fraction) / fraction)} left"
        filled = int(round(BAR * fraction))
        return (f"neuralmi [{'#' * filled}{'.' * (BAR - filled)}] {100 * fraction:3.0f}% | fits {self.fits}/"
                f"{self.total_fits} | {self.epochs} epochs | {_clock(elapsed)}{left}")

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.shown < (LIVE_EVERY if self.live else LOG_EVERY):
            return
        self.shown, text = now, self.line()
        self.width = max(self.width, len(text))
        self.stream.write(f"\r{text.ljust(self.width)}" if self.live else f"{text}\n")
        self.stream.flush()

    def close(self) -> None:
        self._show(force=True)
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


@contextlib.contextmanager
def tracking(total_fits: int, max_epochs: int, progress=None):
    """Track training for the enclosed calls. `progress`: None shows it on stderr when that is a terminal or a
    notebook, True on stderr always, False never; a writable stream (a job's log) gets it there (one line per
    update unless the stream is a terminal)."""
    if progress is None:
        progress = _interactive(sys.stderr)
    if progress is False:
        yield None
        return
    stream = sys.stderr if progress is True else progress
    tracker = Progress(total_fits, max_epochs, stream, _interactive(stream))
    token = _current.set(tracker)
    try:
        yield tracker
    finally:
        _current.reset(token)
    tracker.close()


def epochs_done(n: int) -> None:
    """`n` fits each finished one more epoch."""
    tracker = _current.get()
    if tracker is not None:
        tracker.epochs_done(n)


def fit_done(epochs: int) -> None:
    """A fit finished after training `epochs` epochs."""
    tracker = _current.get()
    if tracker is not None:
        tracker.fit_done(epochs)

"""A minimal text progress bar on stderr (no dependency on tqdm).

On a terminal the bar redraws in place (``\\r``); when the stream is not a terminal (a log
file, a captured stream) only the final state of each bar is written, one line per bar.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["OuterProgress", "ProgressBar", "format_seconds"]


class ProgressBar:
    """``[#####.....]  45/100  12.3 it/s  acc=0.81`` for a loop of known length.

    Args:
        total: number of steps.
        desc: label printed before the bar.
        stream: where to write (default ``sys.stderr``); ``None`` disables output.
        width: characters of the bar itself.
        min_interval: seconds between redraws on a terminal.
        eta: show the estimated time left (elapsed / done * remaining).
    """

    def __init__(
        self,
        total: int,
        desc: str = "",
        *,
        stream: TextIO | None = sys.stderr,
        width: int = 24,
        min_interval: float = 0.1,
        eta: bool = False,
    ) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.stream = stream
        self.width = width
        self.min_interval = min_interval
        self.eta = eta
        self.count = 0
        self.postfix = ""
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._closed = False
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def update(self, n: int = 1, postfix: str | None = None) -> None:
        """Advance by ``n`` steps; ``postfix`` replaces the text after the bar."""
        self.count = min(self.count + n, self.total) if self.total else self.count + n
        if postfix is not None:
            self.postfix = postfix
        now = time.perf_counter()
        if self._tty and now - self._last_draw >= self.min_interval:
            self._draw(end="")
            self._last_draw = now

    def set_postfix(self, postfix: str) -> None:
        """Change the text after the bar without advancing."""
        self.postfix = postfix

    def render(self) -> str:
        """The current bar as a string (without line control characters)."""
        frac = self.count / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        elapsed = time.perf_counter() - self._start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        digits = len(str(self.total))
        text = (
            f"{self.desc} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{self.count:>{digits}}/{self.total} {elapsed:6.1f}s {rate:6.1f} it/s"
        )
        if self.eta:
            text += f" ETA {self.eta_text()}"
        return f"{text}  {self.postfix}" if self.postfix else text

    def eta_text(self) -> str:
        """Estimated time left, ``"?"`` before the first step."""
        if self.count == 0 or not self.total:
            return "?"
        elapsed = time.perf_counter() - self._start
        return format_seconds(elapsed / self.count * (self.total - self.count))

    def _draw(self, end: str) -> None:
        if self.stream is None:
            return
        prefix = "\r" if self._tty else ""
        self.stream.write(prefix + self.render() + end)
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if not self._closed:
            self._closed = True
            self._draw(end="\n")

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def format_seconds(seconds: float) -> str:
    """``"42 s"``, ``"3 min 05 s"``, ``"1 h 02 min"``."""
    s = int(round(max(seconds, 0.0)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class OuterProgress:
    """Progress over several runs of several epochs each (e.g. algorithms x seeds).

    On a terminal: one bar redrawn in place, counting epochs, with the current run's label
    and an ETA. Otherwise (log file, captured stream): one line per finished run with the
    runs done so far and the ETA. ``stream=None``: silent.
    """

    def __init__(self, n_runs: int, epochs_per_run: int, *, stream: TextIO | None) -> None:
        self.n_runs = n_runs
        self.stream = stream
        self.done_runs = 0
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.bar = ProgressBar(
            n_runs * epochs_per_run, "runs", stream=stream if self._tty else None, eta=True
        )

    def epoch_done(self, label: str) -> None:
        """One more epoch of the run ``label`` finished."""
        self.bar.update(1, label)

    def run_done(self, label: str, result: str) -> None:
        """The run ``label`` finished with ``result`` (a short text)."""
        self.done_runs += 1
        if self.stream is not None and not self._tty:
            self.stream.write(
                f"[{self.done_runs}/{self.n_runs}] {label}: {result} (ETA {self.bar.eta_text()})\n"
            )
            self.stream.flush()

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self._tty:
            self.bar.close()

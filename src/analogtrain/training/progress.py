"""A minimal text progress bar on stderr (no dependency on tqdm).

On a terminal the bar redraws in place (``\\r``); when the stream is not a terminal (a log
file, a captured stream) only the final state of each bar is written, one line per bar.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``[#####.....]  45/100  12.3 it/s  acc=0.81`` for a loop of known length.

    Args:
        total: number of steps.
        desc: label printed before the bar.
        stream: where to write (default ``sys.stderr``); ``None`` disables output.
        width: characters of the bar itself.
        min_interval: seconds between redraws on a terminal.
    """

    def __init__(
        self,
        total: int,
        desc: str = "",
        *,
        stream: TextIO | None = sys.stderr,
        width: int = 24,
        min_interval: float = 0.1,
    ) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.stream = stream
        self.width = width
        self.min_interval = min_interval
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
        return f"{text}  {self.postfix}" if self.postfix else text

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

"""A plain progress bar on stderr for long imports (no dependency, fine in a pipe)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Redraws one line on a terminal; in a pipe, prints a line every tenth of the way."""

    def __init__(self, total: int, *, label: str, out: TextIO | None = None) -> None:
        self._total = max(total, 1)
        self._label = label
        self._out = out or sys.stderr
        self._start = time.monotonic()
        self._tty = self._out.isatty()
        self._last_tenth = -1

    def update(self, done: int) -> None:
        fraction = min(done / self._total, 1.0)
        if self._tty:
            filled = int(fraction * 30)
            self._out.write(
                f"\\r{self._label} [{'#' * filled}{'.' * (30 - filled)}] {self._tail(done)}"
            )
            self._out.flush()
        elif int(fraction * 10) > self._last_tenth:
            self._last_tenth = int(fraction * 10)
            print(f"{self._label}: {self._tail(done)}", file=self._out, flush=True)

    def finish(self, done: int) -> None:
        if self._tty:
            self._out.write("\\n")
        print(
            f"{self._label}: {done:,} items in {time.monotonic() - self._start:.1f} s",
            file=self._out,
        )

    def _tail(self, done: int) -> str:
        rate = done / max(time.monotonic() - self._start, 1e-9)
        return f"{done:,} items, {rate:,.0f}/s"

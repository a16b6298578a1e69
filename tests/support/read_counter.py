"""A GraphStore that counts (and can slow down) every read, and says who made each.

Wrap a real store: `services.store = ReadCounter(services.store)`. Every method of the
GraphStore protocol that reads is counted, with the broker (or api) function that called
it; writes and housekeeping pass straight through. With `read_delay` each read also sleeps
first, like a round trip to a distant Neo4j.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph import GraphStore

# Everything else the protocol offers reads the graph.
_NOT_READS = frozenset({"write", "import_batches", "set_schema_version", "clear", "close"})
_ROOT = Path(__file__).resolve().parents[2]
_OWN_CODE = tuple(str(_ROOT / package) for package in ("broker", "api", "policies"))


@dataclass(frozen=True)
class Read:
    """One read: the store method, and where in Keyturn's code it was called from."""

    method: str
    where: str  # `module.py:function:line` of the nearest broker/api/policies frame

    def __str__(self) -> str:
        return f"{self.method} from {self.where}"


class ReadCounter:
    """Delegates to `store`, recording every read (thread-safe) in `reads`."""

    def __init__(self, store: GraphStore, *, read_delay: float = 0.0) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.read_delay = read_delay
        self.reads: list[Read] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name.startswith("_") or name in _NOT_READS or not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            read = Read(name, _caller())
            with self._lock:
                self.reads.append(read)
            if self.read_delay:
                time.sleep(self.read_delay)
            return found(*args, **kwargs)

        return counted

    @property
    def count(self) -> int:
        return len(self.reads)

    def by_method(self) -> Counter[str]:
        return Counter(read.method for read in self.reads)

    def reset(self) -> None:
        with self._lock:
            self.reads.clear()

    def report(self) -> str:
        """The reads so far, one a line, numbered: for a failing assertion's message."""
        return "\n".join(f"{n:>3}. {read}" for n, read in enumerate(self.reads, 1))


def _caller() -> str:
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_OWN_CODE):
            where = Path(filename).relative_to(_ROOT)
            return f"{where}:{frame.f_code.co_name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "outside Keyturn's code"

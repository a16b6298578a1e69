"""The embedded graph has one writer process: an exclusive advisory lock on a sidecar file."""

from __future__ import annotations

import contextlib
import fcntl
import os

from graph.errors import StoreLocked


class FileLock:
    """An exclusive `flock` held for as long as the store is open.

    `flock` locks belong to the open file description, so a second store in the same
    process is refused just like a second process, and the kernel drops the lock when
    its holder dies (even by SIGKILL), so a crash never leaves the graph locked.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def acquire(cls, lock_path: str, graph_path: str) -> FileLock:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise StoreLocked(_locked_message(graph_path, holder)) from None
        except BaseException:
            os.close(fd)
            raise
        # The pid is only a hint for the message above; the lock itself is the flock.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd)

    def release(self) -> None:
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):
        return None


def _locked_message(graph_path: str, holder: int | None) -> str:
    where = os.path.abspath(graph_path)
    if holder == os.getpid():
        return (
            f"another store in this Keyturn process (pid {holder}) already has the embedded "
            f"graph `{where}` open: close it first or share that store"
        )
    who = "another Keyturn process" if holder is None else f"another Keyturn process (pid {holder})"
    return (
        f"{who} has the embedded graph `{where}` open: stop it first, "
        "or use Neo4j when several processes must share one graph"
    )

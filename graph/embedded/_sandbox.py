"""Runs one raw query in a forked child process that can be stopped.

Python cannot stop a thread, so a query run in one outlives its timeout and grows the
server without bound. A forked child instead sees the graph as it was at the fork (a
copy-on-write snapshot, nothing copied up front), runs under an address-space ceiling
and a CPU limit of its own, sends its answer back through a pipe, and is killed with
SIGKILL and reaped when the timeout passes. Whatever it allocated dies with it.

The child runs only the work it was handed and leaves with `os._exit`: no atexit
handler, finaliser or buffered output of the server runs twice.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph.query import QueryFailed

MAX_REPLY_BYTES = 64 * 1024 * 1024
"""The most an answer may take on the pipe; row caps keep real answers far below it."""

_MIB = 1024 * 1024
_CHUNK = 1024 * 1024
# Answers the child can send even when out of memory: built before the work starts.
_OUT_OF_MEMORY = pickle.dumps(("memory",))


@dataclass(frozen=True)
class Child:
    """A started child: its pid and the read end of its answer pipe."""

    pid: int
    reply_fd: int
    memory_mib: int


def start(work: Callable[[], Any], *, timeout_s: float, memory_mib: int) -> Child:
    """Fork a child that runs `work()` and pipes back what it returns (picklable).

    Call it under the store's lock, so the snapshot the child sees is not halfway through
    a write; the lock is not needed once this returns.
    """
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except BaseException as exc:
        os.close(read_fd)
        os.close(write_fd)
        if isinstance(exc, OSError):  # out of processes or memory: the server is busy
            raise QueryFailed(f"could not start the query ({exc.strerror}): try again") from exc
        raise
    if pid == 0:  # the child: never return into the caller's stack
        try:
            os.close(read_fd)
            _serve(work, write_fd, timeout_s, memory_mib)
        finally:
            os._exit(70)
    os.close(write_fd)
    return Child(pid, read_fd, memory_mib)


def wait(child: Child, timeout_s: float) -> Any:
    """What the child's work returned; QueryFailed on a timeout, the memory ceiling, an
    over-large answer or a crash. The child is gone (killed if need be, and reaped)
    when this returns or raises."""
    reaped = False
    try:
        data = _read_reply(child, time.monotonic() + timeout_s, timeout_s)
        _, status = os.waitpid(child.pid, 0)
        reaped = True
    finally:
        os.close(child.reply_fd)
        if not reaped:
            _kill(child.pid)
    if not data:
        raise _died(status, child.memory_mib, timeout_s)
    try:
        reply = pickle.loads(data)  # noqa: S301 - our own child, over our own pipe
    except (pickle.UnpicklingError, EOFError, ValueError) as torn:  # ended mid-answer
        raise _died(status, child.memory_mib, timeout_s) from torn
    if reply[0] == "memory":
        raise _out_of_memory(child.memory_mib)
    if reply[0] == "crash":
        raise QueryFailed(f"the query failed on the embedded graph: {reply[1]}")
    return reply[1]


def _read_reply(child: Child, deadline: float, timeout_s: float) -> bytes:
    # poll, not select: a busy server's descriptors may be numbered past FD_SETSIZE.
    poller = select.poll()
    poller.register(child.reply_fd, select.POLLIN)
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _too_long(timeout_s)
        if not poller.poll(math.ceil(remaining * 1000)):
            continue
        chunk = os.read(child.reply_fd, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise QueryFailed(
                f"the answer is larger than {MAX_REPLY_BYTES // _MIB} MiB: return fewer "
                f"columns or lower the row cap"
            )
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have just ended by itself
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _died(status: int, memory_mib: int, timeout_s: float) -> QueryFailed:
    """The child ended without an answer: its CPU limit (a timeout), or a crash that
    running out of address space is the likeliest cause of."""
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return _too_long(timeout_s)
    how = (
        f"signal {os.WTERMSIG(status)}"
        if os.WIFSIGNALED(status)
        else f"status {os.WEXITSTATUS(status)}"
    )
    return QueryFailed(
        f"the query stopped without an answer ({how}), most likely past the {memory_mib} MiB "
        f"allowed: narrow the MATCH"
    )


def _too_long(timeout_s: float) -> QueryFailed:
    return QueryFailed(f"the query ran longer than {timeout_s:g} s: narrow it or add a LIMIT")


def _out_of_memory(memory_mib: int) -> QueryFailed:
    return QueryFailed(
        f"the query used more than the {memory_mib} MiB allowed: narrow the MATCH or add a WHERE"
    )


def _serve(work: Callable[[], Any], write_fd: int, timeout_s: float, memory_mib: int) -> None:
    """The child's whole life: shed what it inherited, set its limits, work, answer."""
    # The server's sockets and files are not the child's to hold open.
    os.closerange(3, write_fd)
    os.closerange(write_fd + 1, _max_fd())
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    # The server's objects are never freed here: keep the collector from walking (and so
    # copying) every page of them.
    gc.freeze()
    ceiling = _address_space() + memory_mib * _MIB
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    cpu_s = math.ceil(timeout_s) + 1  # a backstop should the server die before killing it
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    reply: tuple[Any, ...]
    try:
        reply = ("ok", work())
    except MemoryError:
        # The failed work's frames are freed as this block ends, before pickling.
        reply = ("memory",)
    except Exception as exc:
        reply = ("crash", f"{type(exc).__name__}: {exc}")
    try:
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = _OUT_OF_MEMORY
    view = memoryview(data)
    while view:
        view = view[os.write(write_fd, view) :]
    os._exit(0)


def _address_space() -> int:
    """The process's virtual size in bytes now (Linux: /proc/self/statm, in pages)."""
    with open("/proc/self/statm", "rb") as statm:
        pages = int(statm.read().split()[0])
    return pages * resource.getpagesize()


def _max_fd() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 65536

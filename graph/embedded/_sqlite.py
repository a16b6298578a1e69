"""The durable half of the embedded graph: a SQLite file holding every node and edge.

WAL mode with `synchronous=FULL` makes a commit durable before it returns, so a
write that returned survives even a SIGKILL or power loss right after.
"""

from __future__ import annotations

import contextlib
import json
import json.scanner
import os
import sqlite3
from collections.abc import Callable
from typing import Any, cast

from graph.embedded._memory import EdgeId, NodeId, Plan, PropDict
from graph.errors import GraphError
from graph.model import EDGE_KINDS

SCHEMA_VERSION = 1

_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nodes ("
    " kind TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL,"
    " PRIMARY KEY (kind, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS edges ("
    " kind TEXT NOT NULL, src_kind TEXT NOT NULL, src_key TEXT NOT NULL,"
    " dst_kind TEXT NOT NULL, dst_key TEXT NOT NULL, key TEXT NOT NULL, props TEXT NOT NULL,"
    " PRIMARY KEY (kind, src_kind, src_key, dst_kind, dst_key, key)) WITHOUT ROWID",
)
_UPSERT_NODE = (
    "INSERT INTO nodes (kind, key, props) VALUES (?, ?, ?)"
    " ON CONFLICT (kind, key) DO UPDATE SET props = excluded.props"
)
_DELETE_NODE = "DELETE FROM nodes WHERE kind = ? AND key = ?"
_UPSERT_EDGE = (
    "INSERT INTO edges (kind, src_kind, src_key, dst_kind, dst_key, key, props)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (kind, src_kind, src_key, dst_kind, dst_key, key)"
    " DO UPDATE SET props = excluded.props"
)
_DELETE_EDGE = (
    "DELETE FROM edges WHERE kind = ? AND src_kind = ? AND src_key = ?"
    " AND dst_kind = ? AND dst_key = ? AND key = ?"
)


_EDGES_OF_SORT = (
    "SELECT src_key, dst_key, key, props FROM edges"
    " WHERE kind = ? AND src_kind = ? AND dst_kind = ?"
)
_EDGE_SORTS = sorted(
    (edge.type, src, dst)
    for edge in EDGE_KINDS.values()
    for src in edge.sources
    for dst in edge.targets
)


class SqliteLog:
    def __init__(self, path: str) -> None:
        self._path = path
        _owner_only(path)
        # Autocommit mode: every transaction is an explicit BEGIN IMMEDIATE ... COMMIT.
        # Threads share the connection; the store's lock serialises every use of it.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise GraphError(
                f"`{path}` is not a Keyturn embedded graph ({exc}): point --graph at another file"
            ) from exc
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise GraphError(f"cannot put `{self._path}` in WAL mode (got `{mode}`)")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._transaction():
            for statement in _TABLES:
                self._db.execute(statement)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            (found,) = self._db.execute(
                "SELECT value FROM meta WHERE name = 'schema_version'"
            ).fetchone()
        if found != str(SCHEMA_VERSION):
            raise GraphError(
                f"`{self._path}` has embedded graph schema version `{found}`, this Keyturn "
                f"reads version {SCHEMA_VERSION}: upgrade Keyturn or use another file"
            )

    def nodes(self) -> list[tuple[NodeId, PropDict]]:
        rows = self._db.execute("SELECT kind, key, props FROM nodes")
        return [((kind, key), _props(props)) for kind, key, props in rows]

    def edges(self) -> list[tuple[EdgeId, PropDict]]:
        """Every edge, read one declared (kind, source kind, target kind) at a time: the
        primary key finds each run, and its rows then carry four columns, not seven."""
        found: list[tuple[EdgeId, PropDict]] = []
        for kind, src_kind, dst_kind in _EDGE_SORTS:
            rows = self._db.execute(_EDGES_OF_SORT, (kind, src_kind, dst_kind))
            found.extend(
                ((kind, (src_kind, src_key), (dst_kind, dst_key), key), _props(props))
                for src_key, dst_key, key, props in rows
            )
        (stored,) = self._db.execute("SELECT count(*) FROM edges").fetchone()
        if stored == len(found):
            return found
        # A sort the model no longer declares (the file predates a change): read them all.
        rows = self._db.execute(
            "SELECT kind, src_kind, src_key, dst_kind, dst_key, key, props FROM edges"
        )
        return [
            ((kind, (src_kind, src_key), (dst_kind, dst_key), key), _props(props))
            for kind, src_kind, src_key, dst_kind, dst_key, key, props in rows
        ]

    def commit(self, plan: Plan) -> None:
        """Write the plan in one transaction: all of it is durable, or none of it."""
        gone_edges = [_edge_row(eid) for eid, props in plan.edges.items() if props is None]
        gone_nodes = [nid for nid, props in plan.nodes.items() if props is None]
        nodes = [(*nid, _json(props)) for nid, props in plan.nodes.items() if props is not None]
        edges = [
            (*_edge_row(eid), _json(props))
            for eid, props in plan.edges.items()
            if props is not None
        ]
        with self._transaction():
            # Deletions first, as in memory: a write may delete a node and create it again.
            for statement, rows in (
                (_DELETE_EDGE, gone_edges),
                (_DELETE_NODE, gone_nodes),
                (_UPSERT_NODE, nodes),
                (_UPSERT_EDGE, edges),
            ):
                if rows:  # most writes touch two or three of the four
                    self._db.executemany(statement, rows)

    def meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def clear(self) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM edges")
            self._db.execute("DELETE FROM nodes")

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._path)


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT`, rolled back when anything inside raises."""

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, _: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as failed:
                exc = failed
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise GraphError(f"could not write the embedded graph `{self._path}`: {exc}") from exc


def _owner_only(path: str) -> None:
    """Make the graph file readable by its owner only before SQLite opens it: created with
    mode 0600 (umask cannot widen it), tightened when an older Keyturn left it 0644. SQLite
    gives the -wal and -shm files it creates the main file's mode; left-over ones are
    tightened too."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        # A file owned by someone else keeps its mode: SQLite then reports any real problem.
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(name, 0o600)


def _edge_row(eid: EdgeId) -> tuple[str, str, str, str, str, str]:
    kind, (src_kind, src_key), (dst_kind, dst_key), key = eid
    return kind, src_kind, src_key, dst_kind, dst_key, key


# One encoder and decoder for every row: `json.dumps` with options builds a new encoder
# per call, which dominates bulk writes.
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_DECODER = json.JSONDecoder()


def _json(props: dict[str, Any]) -> str:
    return _ENCODER.encode(props)


def _props(text: str) -> PropDict:
    # Most edges carry no properties; skip the decoder for them.
    return {} if text == "{}" else cast(PropDict, _decode(text))


def _stdlib_decode(text: str) -> Any:
    # Rows were written by _ENCODER, so they hold no surrounding whitespace and the scanner
    # alone can read them (`decode` adds a whitespace regex and a check per row).
    value, end = _SCAN(text, 0)
    if end != len(text) or not isinstance(value, dict):
        return _DECODER.decode(text)  # raises the precise error
    return value


_SCAN = json.scanner.make_scanner(_DECODER)  # type: ignore[arg-type] # it takes a decoder

try:  # msgspec (litestar depends on it) decodes these rows about 2.5x faster: load time
    import msgspec
except ImportError:  # pragma: no cover - without the API's dependencies installed
    _decode: Callable[[str], Any] = _stdlib_decode
else:
    _decode = msgspec.json.Decoder().decode

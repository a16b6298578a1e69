"""Appending to the activity log: each event hash-chained to the one before it.

The log is `AuditEvent` nodes keyed by their zero-padded sequence number; the single
`AuditHead` node holds the last sequence number and hash. An append is part of the graph
write that makes the business change, so the change and its trace commit together; that
write locks the head before reading it (`GraphStore.write_from`), so appends from any number
of threads and processes sharing one Neo4j run one after another: the chain never forks,
and no append is lost or has to be retried (under contention, retried compare-and-sets
on the head collapsed a two-worker Neo4j to a few writes a second).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph import GraphStore, NodeRef, UpsertNode, WriteOp
from graph.values import Props

GENESIS = "0" * 64
PAGE_SIZE = 256
HEAD_KIND = "AuditHead"
HEAD_KEY = "head"
EVENT_KIND = "AuditEvent"


@dataclass(frozen=True, kw_only=True)
class Entry:
    """What happened, before it has a place in the chain."""

    kind: str
    at: float
    actor: str
    resource: str = ""
    subject: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


def event_key(seq: int) -> str:
    return f"{seq:012d}"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hashed_fields(props: Mapping[str, Any]) -> dict[str, Any]:
    """The properties an event's hash covers (everything but the hash and the page)."""
    return {
        "seq": props.get("seq"),
        "at": props.get("at"),
        "kind": props.get("kind"),
        "actor": props.get("actor", ""),
        "resource": props.get("resource", ""),
        "subject": props.get("subject", ""),
        "data": props.get("data", "{}"),
        "prev": props.get("prev"),
    }


def event_hash(props: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(hashed_fields(props)).encode()).hexdigest()


def head(store: GraphStore) -> tuple[int, str]:
    """The last sequence number and hash; (0, GENESIS) for an empty log."""
    node = store.get_node(HEAD_KIND, HEAD_KEY)
    if node is None:
        return 0, GENESIS
    return int(node.props.get("seq") or 0), str(node.props.get("hash") or GENESIS)


def write(store: GraphStore, ops: Sequence[WriteOp], entry: Entry | None) -> int:
    """Apply `ops` and append `entry` in one atomic write; returns the event's seq (0: none).

    A lost race on the head is retried; any other ConflictError (the business change's own
    compare-and-set) propagates unchanged, and then nothing is written.
    """
    return write_all(store, ops, [] if entry is None else [entry])


def write_all(store: GraphStore, ops: Sequence[WriteOp], entries: Sequence[Entry]) -> int:
    """Apply `ops` and append `entries`, chained in order, in one atomic write.

    Returns the last event's seq (0: no entries). A ConflictError (the business change's
    own compare-and-set) propagates unchanged, and then nothing is written.
    """
    if not entries:
        store.write(ops)
        return 0
    appended = 0

    def chained(head: Props) -> list[WriteOp]:
        nonlocal appended
        seq, last = int(head.get("seq") or 0), str(head.get("hash") or GENESIS)
        events: list[WriteOp] = []
        for entry in entries:
            seq += 1
            props = _event_props(entry, seq, last)
            last = props["hash"]
            events.append(UpsertNode(EVENT_KIND, event_key(seq), props))
        appended = seq
        return [UpsertNode(HEAD_KIND, HEAD_KEY, {"seq": seq, "hash": last}), *events]

    store.write_from(ops, NodeRef(HEAD_KIND, HEAD_KEY), chained)
    return appended


def _event_props(entry: Entry, seq: int, prev: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "seq": seq,
        "page": seq // PAGE_SIZE,
        "at": float(entry.at),
        "kind": entry.kind,
        "actor": entry.actor,
        "resource": entry.resource,
        "subject": entry.subject,
        "data": canonical(dict(entry.data)),
        "prev": prev,
    }
    props["hash"] = event_hash(props)
    return props

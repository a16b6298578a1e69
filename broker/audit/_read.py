"""Reading the activity log: events in order, filtered, and the chain verified."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from broker.audit._chain import (
    EVENT_KIND,
    GENESIS,
    PAGE_SIZE,
    event_hash,
    head,
)
from graph import GraphStore, Node


@dataclass(frozen=True)
class AuditEvent:
    """One stored event; `position` comes from its key, `seq` from its content."""

    position: int
    seq: int
    at: float
    kind: str
    actor: str
    resource: str
    subject: str
    data: dict[str, Any]
    prev: str
    hash: str
    props: dict[str, Any]

    @classmethod
    def from_node(cls, node: Node) -> AuditEvent:
        props = dict(node.props)
        try:
            data = json.loads(str(props.get("data") or "{}"))
        except ValueError:
            data = {"unreadable": str(props.get("data"))}
        return cls(
            position=int(node.key),
            seq=int(props.get("seq") or 0),
            at=float(props.get("at") or 0.0),
            kind=str(props.get("kind") or ""),
            actor=str(props.get("actor") or ""),
            resource=str(props.get("resource") or ""),
            subject=str(props.get("subject") or ""),
            data=data if isinstance(data, dict) else {"value": data},
            prev=str(props.get("prev") or ""),
            hash=str(props.get("hash") or ""),
            props=props,
        )


@dataclass(frozen=True, kw_only=True)
class AuditFilter:
    """Which events to read; every field left empty matches everything.

    `kind` matches the kind itself or, given a prefix like `grant`, every `grant.*` kind.
    """

    since: float | None = None
    until: float | None = None
    actor: str | None = None
    resource: str | None = None
    kind: str | None = None

    def matches(self, event: AuditEvent) -> bool:
        if self.since is not None and event.at < self.since:
            return False
        if self.until is not None and event.at >= self.until:
            return False
        if self.actor is not None and event.actor != self.actor:
            return False
        if self.resource is not None and event.resource != self.resource:
            return False
        return (
            self.kind is None
            or event.kind in (self.kind,)
            or (event.kind.startswith(self.kind + "."))
        )


def stored_events(store: GraphStore) -> Iterator[AuditEvent]:
    """Every stored event in key order, one page of the log in memory at a time."""
    last, _ = head(store)
    for page in range(last // PAGE_SIZE + 1):
        nodes = store.find_nodes(EVENT_KIND, equals={"page": page})
        yield from sorted((AuditEvent.from_node(n) for n in nodes), key=lambda e: e.position)


def read_events(store: GraphStore, where: AuditFilter | None = None) -> Iterator[AuditEvent]:
    """The events `where` selects, oldest first, streamed."""
    chosen = where or AuditFilter()
    return (event for event in stored_events(store) if chosen.matches(event))


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of walking the chain: ok, or the first break and the event it names."""

    checked: int
    problem: str = ""
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_chain(store: GraphStore) -> VerifyReport:
    """Walk the log from the first event; report the first edited, removed or reordered one."""
    last, last_hash = head(store)
    expected, prev, checked = 1, GENESIS, 0
    for event in stored_events(store):
        if event.position != expected:
            return VerifyReport(
                checked,
                f"event #{expected} is missing: the log jumps from #{expected - 1} "
                f"to #{event.position} (removed)",
                expected,
            )
        if event.seq != event.position:
            return VerifyReport(
                checked,
                f"event #{event.position} carries sequence number {event.seq} "
                f"(`{event.kind}`): events were reordered or renumbered",
                event.position,
            )
        if event_hash(event.props) != event.hash:
            return VerifyReport(
                checked,
                f"event #{event.seq} (`{event.kind}` by `{event.actor}`) was edited: "
                "its content no longer matches its hash",
                event.seq,
            )
        if event.prev != prev:
            return VerifyReport(
                checked,
                f"event #{event.seq} (`{event.kind}`) does not follow event #{event.seq - 1}: "
                "an event before it was edited, removed or reordered",
                event.seq,
            )
        prev, expected, checked = event.hash, expected + 1, checked + 1
    if checked != last:
        return VerifyReport(
            checked,
            f"the log ends at event #{checked} but its head says #{last}: "
            f"event #{checked + 1} onwards were removed",
            checked + 1,
        )
    if prev != last_hash:
        return VerifyReport(
            checked,
            f"the last event #{checked} does not match the log head: it was edited or replaced",
            checked,
        )
    return VerifyReport(checked)

"""Audit reports: the selected events as CSV or JSON, streamed chunk by chunk."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from broker.audit._chain import canonical
from broker.audit._read import AuditEvent
from broker.errors import InvalidInput

COLUMNS = ("seq", "at", "kind", "actor", "resource", "subject", "data", "prev", "hash")
FORMATS = ("csv", "json")


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat().replace("+00:00", "Z")


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": iso(event.at),
        "kind": event.kind,
        "actor": event.actor,
        "resource": event.resource,
        "subject": event.subject,
        "data": event.data,
        "prev": event.prev,
        "hash": event.hash,
    }


def export_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    """A header line, then one CSV line per event; `data` is a JSON cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for event in events:
        row = _row(event)
        row["data"] = canonical(row["data"])
        writer.writerow([row[c] for c in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_json(events: Iterable[AuditEvent]) -> Iterator[str]:
    """One JSON array, an event per line, written as the events arrive."""
    yield "["
    separator = "\n"
    for event in events:
        yield separator + json.dumps(_row(event), sort_keys=True, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def export(events: Iterable[AuditEvent], *, fmt: str) -> Iterator[str]:
    if fmt == "csv":
        return export_csv(events)
    if fmt == "json":
        return export_json(events)
    raise InvalidInput(f"unknown export format `{fmt}`: use csv or json")

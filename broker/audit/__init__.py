"""The activity log: an append-only, hash-chained trace of everything the broker does.

Use cases hand an `Entry` to `write` (with their own graph ops, so both commit together;
`write_all` for several consecutive events in one write)
or to `append` (a trace with no change of its own, such as a denied request).
"""

from __future__ import annotations

from broker.audit._chain import GENESIS, Entry, event_key, write, write_all
from broker.audit._export import COLUMNS, FORMATS, export, export_csv, export_json
from broker.audit._read import AuditEvent, AuditFilter, VerifyReport, read_events, verify_chain
from graph import GraphStore


def append(store: GraphStore, entry: Entry) -> int:
    """Append `entry` alone; returns its sequence number."""
    return write(store, [], entry)


__all__ = [
    "COLUMNS",
    "FORMATS",
    "GENESIS",
    "AuditEvent",
    "AuditFilter",
    "Entry",
    "VerifyReport",
    "append",
    "event_key",
    "export",
    "export_csv",
    "export_json",
    "read_events",
    "verify_chain",
    "write",
    "write_all",
]

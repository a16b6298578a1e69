"""Audit reports: CSV and JSON, streamed chunk by chunk, with the filters applied."""

from __future__ import annotations

import csv
import io
import json

import pytest

from broker import InvalidInput, Services, approve_request, audit, request_access
from broker.demo import DEMO_APPROVER, DEMO_GRANTEE


def _granted(services: Services) -> str:
    key = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/payments",
        permissions=["read"],
        duration_minutes=60,
        justification="ticket, with a comma",
    ).key
    approve_request(services, approver=DEMO_APPROVER, request=key)
    return key


def test_csv_report_has_a_header_and_one_parsable_row_per_event(services: Services) -> None:
    key = _granted(services)
    chunks = audit.export_csv(audit.read_events(services.store))
    assert next(chunks).startswith("seq,at,kind,actor,resource,subject,data,prev,hash\n")
    payments = audit.read_events(services.store, audit.AuditFilter(resource="pg-prod/payments"))
    rows = list(csv.DictReader(io.StringIO("".join(audit.export_csv(payments)))))
    assert [r["kind"] for r in rows] == [
        "request.created",
        "request.approved",
        "grant.started",
        "grant.granted",
    ]
    created = rows[0]
    assert created["subject"] == key and created["at"].endswith("Z")
    assert json.loads(created["data"])["justification"] == "ticket, with a comma"
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert rows[1]["prev"] == rows[0]["hash"]


def test_json_report_is_one_array_streamed_an_event_at_a_time(services: Services) -> None:
    _granted(services)
    events = list(audit.read_events(services.store))
    chunks = list(audit.export_json(iter(events)))
    assert len(chunks) == len(events) + 2, "an opening, one chunk per event, a closing"
    parsed = json.loads("".join(chunks))
    assert [e["seq"] for e in parsed] == [e.seq for e in events]
    assert parsed[-1]["kind"] == "grant.granted" and parsed[-1]["data"]["permissions"] == ["read"]
    assert json.loads("".join(audit.export_json(iter([])))) == []


def test_unknown_export_format_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput, match="unknown export format `xml`"):
        audit.export(audit.read_events(services.store), fmt="xml")

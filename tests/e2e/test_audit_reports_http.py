"""Audit reports over HTTP: GET /audit/report.csv and .pdf give admins and auditors the
activity log of a time range; others are refused, and a bad range is a 400 saying why."""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from broker import AuditFilter, issue_api_token, read_events
from broker.demo import DEMO_AUDITOR, DEMO_GRANTEE
from broker.identities.passwords import hash_password
from graph import SetProps
from tests.e2e.conftest import LiveKeyturn

PASSWORD = "correct horse battery staple"


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def _client(live: LiveKeyturn, owner: str | None) -> httpx.Client:
    headers = {}
    if owner is not None:
        token = issue_api_token(live.services, owner=owner, name="reports")
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=live.base_url, headers=headers, timeout=30)


@pytest.fixture
def auditor(live: LiveKeyturn) -> Iterator[httpx.Client]:
    with _client(live, DEMO_AUDITOR) as client:
        yield client


def _pdf_text(body: bytes) -> str:
    """The page content of a PDF, its compressed streams inflated."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            found.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            found.append(stream.decode("latin-1"))
    return "\n".join(found)


def test_csv_report_holds_exactly_the_logged_events_of_the_range(
    live: LiveKeyturn, auditor: httpx.Client
) -> None:
    start = live.clock() - 86400
    end = live.clock() + 60
    live.clock.advance(3600)  # an event after the range, which the report must leave out
    live.grantee.data('mutation { issueToken(name: "later") { apiToken { key } } }')

    reply = auditor.get("/audit/report.csv", params={"from": _iso(start), "to": _iso(end)})

    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    logged = list(read_events(live.services.store, AuditFilter(since=start, until=end)))
    assert len(rows) >= 6
    assert [(int(r["seq"]), r["kind"], r["hash"]) for r in rows] == [
        (e.seq, e.kind, e.hash) for e in logged
    ]
    everything = list(read_events(live.services.store))
    assert everything[-1].kind == "token.issued"
    assert everything[-1].hash not in {r["hash"] for r in rows}


def test_pdf_report_for_a_signed_in_auditor_has_the_title_range_and_chain_status(
    live: LiveKeyturn,
) -> None:
    hashed = hash_password(PASSWORD)
    live.services.store.write([SetProps("User", DEMO_AUDITOR, {"password_hash": hashed})])
    start, end = live.clock() - 86400, live.clock() + 60
    with httpx.Client(base_url=live.base_url, timeout=30) as browser:
        signed_in = browser.post("/auth/login", json={"email": DEMO_AUDITOR, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        # The session cookie alone, no CSRF token: a download link is a plain GET.
        reply = browser.get("/audit/report.pdf", params={"from": _iso(start), "to": _iso(end)})

    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.content.startswith(b"%PDF")
    text = _pdf_text(reply.content)
    assert "Keyturn audit report" in text
    assert "Hash chain: intact" in text
    assert "flow.created" in text


def test_grantees_are_refused_403_and_anonymous_callers_401(live: LiveKeyturn) -> None:
    day = {"from": _iso(live.clock() - 86400), "to": _iso(live.clock())}
    with _client(live, DEMO_GRANTEE) as grantee, _client(live, None) as anonymous:
        for path in ("/audit/report.csv", "/audit/report.pdf"):
            refused = grantee.get(path, params=day)
            assert refused.status_code == 403, refused.text
            assert refused.json()["errors"][0]["extensions"]["code"] == "forbidden"
            nobody = anonymous.get(path, params=day)
            assert nobody.status_code == 401, nobody.text
            assert nobody.json()["errors"][0]["extensions"]["code"] == "unauthenticated"


def test_bad_ranges_are_400_with_the_reason(live: LiveKeyturn, auditor: httpx.Client) -> None:
    now = live.clock()
    cases = {
        "not an ISO 8601 time": {"from": "yesterday", "to": _iso(now)},
        "is missing": {"to": _iso(now)},
        "ends before it starts": {"from": _iso(now), "to": _iso(now - 60)},
        "more than 366 days": {"from": _iso(now - 367 * 86400), "to": _iso(now)},
    }
    for reason, params in cases.items():
        for path in ("/audit/report.csv", "/audit/report.pdf"):
            reply = auditor.get(path, params=params)
            assert reply.status_code == 400, (reason, reply.text)
            assert reason in reply.json()["errors"][0]["message"]

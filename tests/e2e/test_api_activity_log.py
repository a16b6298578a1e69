"""The activity log over GraphQL: filtered pages for admins and auditors, the chain check."""

from __future__ import annotations

from datetime import UTC, datetime

from broker.demo import DEMO_ADMIN
from graph import SetProps
from tests.e2e.conftest import LiveKeyturn

PAGE = """
query($filter: ActivityFilter, $first: Int!, $after: String) {
  activityLog(filter: $filter, first: $first, after: $after) {
    events { seq at kind actor resource subject data hash }
    endCursor hasNextPage
  }
}"""
VERIFY = "{ auditVerify { ok checked problem seq } }"


def _all_events(live: LiveKeyturn, **filter: object) -> list[dict[str, object]]:
    page = live.auditor.data(PAGE, filter=filter, first=500)["activityLog"]
    assert page["hasNextPage"] is False
    return list(page["events"])


def test_pages_follow_each_other_by_cursor_and_cover_the_log_once(live: LiveKeyturn) -> None:
    everything = _all_events(live)
    assert len(everything) >= 6  # two flows saved, four tokens issued
    seen: list[object] = []
    after = None
    while True:
        page = live.admin.data(PAGE, first=4, after=after)["activityLog"]
        seen += [e["seq"] for e in page["events"]]
        if not page["hasNextPage"]:
            break
        after = page["endCursor"]
    assert seen == [e["seq"] for e in everything]
    assert seen == sorted(seen)


def test_filters_select_by_kind_prefix_actor_and_time(live: LiveKeyturn) -> None:
    flows = _all_events(live, kind="flow")
    assert [e["kind"] for e in flows] == ["flow.created", "flow.created"]
    assert {e["subject"] for e in flows} == {"db-readers", "orders-quick-look"}
    assert all(e["actor"] == DEMO_ADMIN for e in _all_events(live, actor=DEMO_ADMIN))
    assert _all_events(live, actor="nobody@acme.example") == []

    now = live.clock()
    live.clock.advance(3600)
    live.grantee.data('mutation { issueToken(name: "later") { apiToken { key } } }')
    later = datetime.fromtimestamp(now + 1800, UTC).isoformat()
    recent = _all_events(live, **{"from": later})
    assert [e["kind"] for e in recent] == ["token.issued"]
    assert len(_all_events(live, to=later)) == len(_all_events(live)) - 1


def test_grantees_and_anonymous_callers_may_not_read_the_log(live: LiveKeyturn) -> None:
    error = live.grantee.error(PAGE, first=10)
    assert error["extensions"]["code"] == "forbidden"
    assert error["message"] == "only admins and auditors may read the activity log"
    assert live.grantee.error(VERIFY)["extensions"]["code"] == "forbidden"
    assert live.anonymous.error(PAGE, first=10)["extensions"]["code"] == "unauthenticated"


def test_bad_page_size_cursor_or_time_range_is_a_precise_input_error(live: LiveKeyturn) -> None:
    too_many = live.auditor.error(PAGE, first=501)
    assert too_many["message"] == "page size `501` is outside 1..500: ask for fewer"
    assert too_many["extensions"]["code"] == "invalid_input"
    cursor = live.auditor.error(PAGE, first=5, after="abc")
    assert cursor["message"] == (
        "cursor `abc` is not one the activity log hands out: pass a page's endCursor"
    )
    backwards = live.auditor.error(
        PAGE, first=5, filter={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    )
    assert backwards["message"] == "the time range ends before it starts: put `to` after `from`"


def test_audit_verify_passes_then_names_an_edited_event(live: LiveKeyturn) -> None:
    report = live.auditor.data(VERIFY)["auditVerify"]
    total = len(_all_events(live))
    assert report == {"ok": True, "checked": total, "problem": None, "seq": None}

    live.services.store.write([SetProps("AuditEvent", f"{2:012d}", {"actor": "mallory"})])

    broken = live.auditor.data(VERIFY)["auditVerify"]
    assert broken["ok"] is False
    assert broken["seq"] == 2
    assert "event #2" in broken["problem"] and "was edited" in broken["problem"]

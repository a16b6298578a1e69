"""The activity log: every use case leaves a hash-chained event; any tampering is named."""

from __future__ import annotations

import threading

from broker import (
    AccessDenied,
    Services,
    approve_request,
    audit,
    expire_due_grants,
    issue_api_token,
    reject_request,
    request_access,
)
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from graph import DeleteNode, GraphStore, SetProps, open_store
from tests.support.clock import ManualClock


def _ask(services: Services, resource: str = "pg-prod/payments", minutes: int = 60) -> str:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=resource,
        permissions=["read"],
        duration_minutes=minutes,
        justification="ticket 12",
    ).key


def _kinds(services: Services, **where: str) -> list[str]:
    chosen = audit.AuditFilter(**where)  # type: ignore[arg-type]
    return [e.kind for e in audit.read_events(services.store, chosen)]


def _tamper(services: Services, seq: int, **props: object) -> None:
    services.store.write([SetProps("AuditEvent", audit.event_key(seq), props)])


def _seq_of(services: Services, kind: str) -> int:
    return next(e.seq for e in audit.read_events(services.store) if e.kind == kind)


def test_lifecycle_leaves_an_event_for_every_step(services: Services, clock: ManualClock) -> None:
    key = _ask(services)
    approve_request(services, approver=DEMO_APPROVER, request=key)
    clock.advance(3600)
    expire_due_grants(services)
    mine = [e for e in audit.read_events(services.store) if e.subject == key]
    assert [e.kind for e in mine] == [
        "request.created",
        "request.approved",
        "grant.started",
        "grant.granted",
        "grant.expired",
    ]
    created = mine[0]
    assert created.actor == DEMO_GRANTEE and created.resource == "pg-prod/payments"
    assert created.data["decision"] == "allow"
    assert created.data["policy_ids"] and all("db-readers" in p for p in created.data["policy_ids"])
    assert mine[1].actor == DEMO_APPROVER
    assert mine[-1].actor == "scheduler"
    assert audit.verify_chain(services.store).ok


def test_denied_request_is_logged_with_policy_explanation(services: Services) -> None:
    try:
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource="pg-prod/payments",
            permissions=["read"],
            duration_minutes=60,
        )
    except AccessDenied as denied:
        reason = str(denied)
    else:
        raise AssertionError("a request without justification must be denied")
    denied_events = [e for e in audit.read_events(services.store) if e.kind == "request.denied"]
    assert len(denied_events) == 1
    event = denied_events[0]
    assert event.data["decision"] == "deny" and event.data["explanation"] == reason
    assert event.actor == DEMO_GRANTEE and event.resource == "pg-prod/payments"


def test_rejection_flows_and_tokens_are_logged_without_the_secret(services: Services) -> None:
    key = _ask(services)
    reject_request(services, approver=DEMO_APPROVER, request=key, reason="not now")
    token = issue_api_token(services, owner=DEMO_GRANTEE, name="laptop", actor=DEMO_ADMIN)
    events = list(audit.read_events(services.store))
    assert [e.kind for e in events if e.kind.startswith("flow.")] == ["flow.created"] * 2
    rejected = next(e for e in events if e.kind == "request.rejected")
    assert rejected.data["reason"] == "not now" and rejected.actor == DEMO_APPROVER
    issued = next(e for e in events if e.kind == "token.issued")
    assert issued.actor == DEMO_ADMIN and issued.data == {
        "owner": DEMO_GRANTEE,
        "name": "laptop",
        "scope": "full",
        "expires_at": issued.at + 90 * 86400,
    }
    assert all(token not in str(e.props) for e in events)
    token_node = services.store.get_node("ApiToken", issued.subject)
    assert token_node is not None
    assert all(str(token_node.props["token_hash"]) not in str(e.props) for e in events)


def test_untouched_chain_verifies(services: Services) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=_ask(services))
    report = audit.verify_chain(services.store)
    assert report.ok and report.problem == ""
    assert report.checked == len(list(audit.read_events(services.store))) >= 6


def test_an_edited_event_is_named(services: Services) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=_ask(services))
    seq = _seq_of(services, "request.approved")
    _tamper(services, seq, actor="mallory@acme.example")
    report = audit.verify_chain(services.store)
    assert not report.ok and report.seq == seq
    assert f"event #{seq} (`request.approved`" in report.problem and "edited" in report.problem


def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link(services: Services) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=_ask(services))
    seq = _seq_of(services, "request.approved")
    node = services.store.get_node("AuditEvent", audit.event_key(seq))
    assert node is not None
    forged = {**node.props, "actor": "mallory@acme.example"}
    from broker.audit._chain import event_hash

    _tamper(services, seq, actor="mallory@acme.example", hash=event_hash(forged))
    report = audit.verify_chain(services.store)
    assert not report.ok and report.seq == seq + 1
    assert f"does not follow event #{seq}" in report.problem


def test_a_removed_event_is_named(services: Services) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=_ask(services))
    seq = _seq_of(services, "request.approved")
    services.store.write([DeleteNode("AuditEvent", audit.event_key(seq))])
    report = audit.verify_chain(services.store)
    assert not report.ok and report.seq == seq
    assert f"event #{seq} is missing" in report.problem


def test_removing_the_newest_event_is_caught_by_the_head(services: Services) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=_ask(services))
    last = list(audit.read_events(services.store))[-1].seq
    services.store.write([DeleteNode("AuditEvent", audit.event_key(last))])
    report = audit.verify_chain(services.store)
    assert not report.ok and report.seq == last and "removed" in report.problem


def test_two_swapped_events_are_named(services: Services) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=_ask(services))
    first = _seq_of(services, "request.approved")
    a = services.store.get_node("AuditEvent", audit.event_key(first))
    b = services.store.get_node("AuditEvent", audit.event_key(first + 1))
    assert a is not None and b is not None
    services.store.write(
        [
            SetProps("AuditEvent", a.key, dict(b.props)),
            SetProps("AuditEvent", b.key, dict(a.props)),
        ]
    )
    report = audit.verify_chain(services.store)
    assert not report.ok and report.seq == first
    assert "reordered" in report.problem


def test_concurrent_appends_keep_one_unbroken_chain(services: Services) -> None:
    before = audit.verify_chain(services.store).checked
    barrier = threading.Barrier(4)

    def append_some(worker: int) -> None:
        barrier.wait()
        for i in range(5):
            audit.append(
                services.store,
                audit.Entry(kind="test.ping", at=services.clock(), actor=f"w{worker}-{i}"),
            )

    threads = [threading.Thread(target=append_some, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = audit.verify_chain(services.store)
    assert report.ok, report.problem
    assert report.checked == before + 20


def test_filters_select_by_time_actor_resource_and_kind(
    services: Services, clock: ManualClock
) -> None:
    clock.advance(10)
    start = clock()
    first = _ask(services)
    clock.advance(100)
    middle = clock()
    approve_request(services, approver=DEMO_APPROVER, request=first)
    clock.advance(100)
    request_access(  # no justification: only the auto-approved quick look matches
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        permissions=["read"],
        duration_minutes=30,
    )
    assert _kinds(services, actor=DEMO_APPROVER) == ["request.approved"]
    assert _kinds(services, kind="request.created") == ["request.created"] * 2
    assert _kinds(services, kind="grant") == ["grant.started", "grant.granted"] * 2
    assert _kinds(services, resource="pg-prod/orders") == [
        "request.created",
        "request.approved",
        "grant.started",
        "grant.granted",
    ]
    window = audit.AuditFilter(since=middle, until=middle + 1)
    assert [e.kind for e in audit.read_events(services.store, window)] == [
        "request.approved",
        "grant.started",
        "grant.granted",
    ]
    payments = ["request.created", "request.approved"]
    assert _kinds(services, kind="request", resource="pg-prod/payments") == payments
    assert len(_kinds(services, until=start)) == 2, "only the two demo flows came before"


def test_two_processes_sharing_neo4j_never_fork_the_chain(neo4j_url: str) -> None:
    """Two stores (two drivers, as two Keyturn processes would have) append to a fresh log.

    Neo4j only: an embedded graph is opened by one process at a time, by design.
    """
    stores = [open_store(neo4j_url), open_store(neo4j_url)]
    stores[0].clear()
    barrier = threading.Barrier(len(stores) * 2)

    def append_some(store: GraphStore, worker: str) -> None:
        barrier.wait()
        for i in range(8):
            audit.append(store, audit.Entry(kind="test.ping", at=float(i), actor=worker))

    try:
        threads = [
            threading.Thread(target=append_some, args=(store, f"p{p}t{t}"))
            for p, store in enumerate(stores)
            for t in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report = audit.verify_chain(stores[1])
        assert report.ok, report.problem
        assert report.checked == 32
        actors = [e.actor for e in audit.read_events(stores[0])]
        assert sorted(set(actors)) == ["p0t0", "p0t1", "p1t0", "p1t1"]
    finally:
        for store in stores:
            store.close()

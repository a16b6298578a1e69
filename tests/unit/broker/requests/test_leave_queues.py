"""Leaving review deletes the edges that queue a request for its reviewers: read from the
graph for a stored request, taken from the same write for one it creates."""

from __future__ import annotations

from pathlib import Path

from api.server import open_services
from broker import request_access
from broker.demo import DEMO_APPROVER, DEMO_GRANTEE, seed_demo
from broker.requests._transitions import REVIEWS, _leave_queues
from graph import DeleteEdge, NodeRef, UpsertEdge, UpsertNode

REQUEST = NodeRef("AccessRequest", "r-new")
GRACE = NodeRef("User", "grace@acme.example")
ADA = NodeRef("User", "ada@acme.example")


def test_a_request_created_in_the_same_write_leaves_only_the_queues_that_write_adds(
    tmp_path: Path,
) -> None:
    services = open_services(f"embedded:{tmp_path / 'graph.db'}")
    try:
        before = [
            UpsertNode("AccessRequest", "r-new", {"state": "PENDING"}),
            UpsertEdge(REVIEWS, GRACE, REQUEST),
            UpsertEdge(REVIEWS, ADA, NodeRef("AccessRequest", "r-other")),
            UpsertEdge("REQUESTED", ADA, REQUEST),
        ]
        assert _leave_queues(services.store, REQUEST, before) == [
            DeleteEdge(REVIEWS, GRACE, REQUEST, "")
        ]
    finally:
        services.store.close()


def test_a_stored_request_leaves_the_queues_the_graph_holds(tmp_path: Path) -> None:
    services = open_services(f"embedded:{tmp_path / 'graph.db'}")
    try:
        seed_demo(services)
        pending = request_access(
            services,
            requester=DEMO_GRANTEE,
            resource="pg-prod/analytics",
            permissions=["read"],
            duration_minutes=30,
            justification="quarterly report",
        )
        ref = NodeRef("AccessRequest", pending.key)
        queued = services.store.edges(REVIEWS, dst=ref)
        assert [e.src for e in queued] == [NodeRef("User", DEMO_APPROVER)]
        assert _leave_queues(services.store, ref, []) == [
            DeleteEdge(e.kind, e.src, e.dst, e.key) for e in queued
        ]
    finally:
        services.store.close()

"""The saved audit queries on the hand-built organisation of tests/contract/_access_graph.py."""

from __future__ import annotations

import pytest

from graph import GraphError, GraphStore, UpsertEdge
from graph.analysis import SAVED_QUERIES, Finding
from tests.contract._access_graph import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    EVE,
    LEDGER,
    NOW,
    PAYMENTS,
    PG,
    STAFF,
    WIKI,
    build,
)
from tests.contract._graph import access_request, group, member_of, ref

R1, R2 = ref("AccessRequest", "r1"), ref("AccessRequest", "r2")


def _with_requests(store: GraphStore) -> None:
    """r1: alice asks, bob (who reports to alice) approves; r2: bob asks, carol approves."""
    build(store)
    store.write([access_request("r1"), access_request("r2", requester="bob")])
    store.write(
        [
            UpsertEdge("REQUESTED", ALICE, R1),
            UpsertEdge("APPROVED", BOB, R1),
            UpsertEdge("REPORTS_TO", BOB, ALICE),
            UpsertEdge("REQUESTED", BOB, R2),
            UpsertEdge("APPROVED", CAROL, R2),
            UpsertEdge("REPORTS_TO", CAROL, DAVE),
        ]
    )


def test_every_saved_query_has_a_name_and_a_description() -> None:
    assert len(SAVED_QUERIES) >= 6
    for name, query in SAVED_QUERIES.items():
        assert query.name == name and query.description


def test_standing_admin_access_finds_standing_grants_with_the_permission(
    store: GraphStore,
) -> None:
    build(store)

    assert store.run_saved_query("standing_admin_access", {}) == [Finding(BOB, PG, "g3")]
    assert store.run_saved_query("standing_admin_access", {"permission": "read"}) == [
        Finding(STAFF, WIKI, "g2")
    ]


def test_external_users_with_access_finds_them_through_their_groups(store: GraphStore) -> None:
    build(store)

    assert store.run_saved_query("external_users_with_access", {"now": NOW}) == [
        Finding(EVE, LEDGER, "g5")
    ]
    assert store.run_saved_query("external_users_with_access", {"now": NOW + 50}) == []


def test_approved_by_a_report_finds_an_approver_reporting_to_the_requester(
    store: GraphStore,
) -> None:
    _with_requests(store)

    assert store.run_saved_query("approved_by_a_report", {}) == [
        Finding(BOB, R1, "reports to alice")
    ]


def test_grants_never_used_lists_active_grants_without_last_use(store: GraphStore) -> None:
    build(store)

    assert store.run_saved_query("grants_never_used", {"now": NOW}) == [
        Finding(STAFF, WIKI, "g2"),
        Finding(ALICE, PAYMENTS, "g1"),
        Finding(BOB, PG, "g3"),
    ]


def test_groups_nested_deeper_than_counts_the_longest_chain_and_survives_cycles(
    store: GraphStore,
) -> None:
    build(store)
    store.write([group("x"), group("y")])
    store.write([member_of(ref("Group", "x"), "y"), member_of(ref("Group", "y"), "x")])

    assert store.run_saved_query("groups_nested_deeper_than", {"depth": 2}) == [
        Finding(ref("Group", "db"), None, "depth 3")
    ]
    assert store.run_saved_query("groups_nested_deeper_than", {"depth": 1}) == [
        Finding(ref("Group", "db"), None, "depth 3"),
        Finding(ref("Group", "eng"), None, "depth 2"),
        Finding(ref("Group", "x"), None, "depth 2"),
        Finding(ref("Group", "y"), None, "depth 2"),
    ]
    assert store.run_saved_query("groups_nested_deeper_than", {}) == []


def test_access_to_tagged_resources_lists_every_identity_reaching_one(store: GraphStore) -> None:
    build(store)

    assert store.run_saved_query("access_to_tagged_resources", {"now": NOW}) == [
        Finding(EVE, LEDGER, "g5"),
        Finding(ALICE, LEDGER, "g1"),
        Finding(ALICE, PAYMENTS, "g1"),
        Finding(BOB, LEDGER, "g3"),
        Finding(BOB, PAYMENTS, "g3"),
    ]
    assert store.run_saved_query("access_to_tagged_resources", {"now": NOW, "tag": "pci"}) == [
        Finding(ALICE, PAYMENTS, "g1"),
        Finding(BOB, PAYMENTS, "g3"),
    ]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nope", {}, "no saved query is named `nope`"),
        ("grants_never_used", {}, "needs the parameter `now`"),
        ("approved_by_a_report", {"depth": 3}, "takes no parameter `depth`"),
    ],
)
def test_a_bad_saved_query_call_is_a_graph_error(
    store: GraphStore, name: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(GraphError, match=message):
        store.run_saved_query(name, params)

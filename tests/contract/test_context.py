"""identity_context and resource_context: the one-query views a decision is made from."""

from __future__ import annotations

import pytest

from graph import GraphStore, NodeRef, UnknownNode, UpsertEdge, UpsertNode
from tests.contract._graph import group, integration, member_of, part_of, ref, resource, user

ALICE = ref("User", "alice")


def test_identity_context_holds_groups_nested_three_deep_and_the_manager(
    store: GraphStore,
) -> None:
    store.write([user("alice"), user("carol")] + [group(g) for g in ("db", "eng", "staff", "x")])
    store.write(
        [
            member_of(ALICE, "db"),
            member_of(ref("Group", "db"), "eng"),
            member_of(ref("Group", "eng"), "staff"),
            member_of(ref("User", "carol"), "x"),
            UpsertEdge("REPORTS_TO", ALICE, ref("User", "carol")),
        ]
    )

    context = store.identity_context(ALICE)

    assert context.node.ref == ALICE
    assert context.node.props["email"] == "alice@corp.example"
    assert context.groups == frozenset({"db", "eng", "staff"})
    assert context.manager == "carol"


def test_identity_context_survives_a_cycle_of_groups(store: GraphStore) -> None:
    store.write([user("alice")] + [group(g) for g in ("a", "b", "c", "d")])
    store.write(
        [
            member_of(ALICE, "a"),
            member_of(ref("Group", "a"), "b"),
            member_of(ref("Group", "b"), "c"),
            member_of(ref("Group", "c"), "a"),
        ]
    )

    context = store.identity_context(ALICE)

    assert context.groups == frozenset({"a", "b", "c"})


def test_identity_context_of_a_loner_has_no_groups_and_no_manager(store: GraphStore) -> None:
    store.write([UpsertNode("ExternalUser", "ext-1", {"email": "e@partner.example"}), group("g")])

    context = store.identity_context(ref("ExternalUser", "ext-1"))

    assert context.groups == frozenset()
    assert context.manager is None


def test_identity_context_follows_only_membership_out_of_the_identity(store: GraphStore) -> None:
    store.write([user("alice"), user("bob"), group("eng"), group("ops")])
    store.write(
        [
            member_of(ref("User", "bob"), "ops"),
            member_of(ALICE, "eng"),
            UpsertEdge("REPORTS_TO", ref("User", "bob"), ALICE),
        ]
    )

    context = store.identity_context(ALICE)

    assert context.groups == frozenset({"eng"})
    assert context.manager is None


def test_identity_context_of_a_missing_identity_is_unknown_node(store: GraphStore) -> None:
    store.write([user("alice")])

    with pytest.raises(UnknownNode) as caught:
        store.identity_context(ref("User", "nobody"))

    assert caught.value.ref == ref("User", "nobody")


def test_resource_context_lists_ancestors_nearest_first(store: GraphStore) -> None:
    store.write(
        [integration("pg-prod"), resource("db"), resource("schema"), resource("table", type="t")]
    )
    store.write(
        [
            part_of("table", ref("Resource", "schema")),
            part_of("schema", ref("Resource", "db")),
            part_of("db", ref("Integration", "pg-prod")),
        ]
    )

    context = store.resource_context(ref("Resource", "table"))

    assert context.node.props["type"] == "t"
    assert context.ancestors == (
        ref("Resource", "schema"),
        ref("Resource", "db"),
        ref("Integration", "pg-prod"),
    )
    assert context.integration == "pg-prod"
    # the integration's own properties come with it: the request path needs its type
    assert context.integration_node is not None
    assert context.integration_node.ref == ref("Integration", "pg-prod")
    stored = store.get_node("Integration", "pg-prod")
    assert stored is not None and context.integration_node.props == stored.props
    assert context.integration_node.props["type"] == "postgres"


def test_resource_context_of_a_top_level_resource_has_no_ancestors(store: GraphStore) -> None:
    store.write([resource("loose"), integration("pg-prod")])

    context = store.resource_context(ref("Resource", "loose"))

    assert context.ancestors == ()
    assert context.integration is None
    assert context.integration_node is None


def test_resource_context_of_a_missing_resource_is_unknown_node(store: GraphStore) -> None:
    store.write([resource("db")])

    with pytest.raises(UnknownNode, match="no Resource `gone` exists"):
        store.resource_context(ref("Resource", "gone"))


def _bundle(key: str) -> UpsertNode:
    return UpsertNode("Bundle", key, {"name": key})


def _covers(bundle: str, target: NodeRef) -> UpsertEdge:
    return UpsertEdge("COVERS", ref("Bundle", bundle), target)


def test_resource_context_names_bundles_covering_it_its_ancestors_and_nested_bundles(
    store: GraphStore,
) -> None:
    store.write(
        [integration("pg"), resource("db"), resource("table"), resource("other")]
        + [_bundle(b) for b in ("on-pg", "on-db", "on-table", "outer", "outermost", "elsewhere")]
        + [UpsertNode("AccessFlow", "f", {"name": "f", "definition": "{}"})]
    )
    store.write(
        [
            part_of("table", ref("Resource", "db")),
            part_of("db", ref("Integration", "pg")),
            _covers("on-pg", ref("Integration", "pg")),
            _covers("on-db", ref("Resource", "db")),
            _covers("on-table", ref("Resource", "table")),
            _covers("outer", ref("Bundle", "on-db")),
            _covers("outermost", ref("Bundle", "outer")),
            _covers("elsewhere", ref("Resource", "other")),
            # a flow covering the table is no bundle
            UpsertEdge("COVERS", ref("AccessFlow", "f"), ref("Resource", "table")),
        ]
    )

    table = store.resource_context(ref("Resource", "table"))
    db = store.resource_context(ref("Resource", "db"))

    assert table.bundles == frozenset({"on-pg", "on-db", "on-table", "outer", "outermost"})
    assert db.bundles == frozenset({"on-pg", "on-db", "outer", "outermost"})
    assert store.resource_context(ref("Integration", "pg")).bundles == frozenset({"on-pg"})


def test_resource_context_survives_a_cycle_of_bundles(store: GraphStore) -> None:
    store.write([resource("db")] + [_bundle(b) for b in ("a", "b", "c")])
    store.write(
        [
            _covers("a", ref("Resource", "db")),
            _covers("b", ref("Bundle", "a")),
            _covers("a", ref("Bundle", "b")),
            _covers("c", ref("Bundle", "b")),
        ]
    )

    assert store.resource_context(ref("Resource", "db")).bundles == frozenset({"a", "b", "c"})


def test_resource_context_of_an_uncovered_resource_has_no_bundles(store: GraphStore) -> None:
    store.write([resource("db"), resource("other"), _bundle("b")])
    store.write([_covers("b", ref("Resource", "other"))])

    assert store.resource_context(ref("Resource", "db")).bundles == frozenset()

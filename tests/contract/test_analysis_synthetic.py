"""Bulk import, and the synthetic enterprise: deterministic, loadable, and every analysis
agreeing across backends."""

from __future__ import annotations

from collections.abc import Iterator, Sized
from pathlib import Path
from typing import cast

import pytest

from graph import (
    DeleteNode,
    GraphStore,
    NodeRef,
    SchemaViolation,
    UnknownNode,
    UpsertEdge,
    UpsertNode,
    WriteOp,
    open_store,
)
from graph.analysis import BlastRadius
from graph.synthetic import NOW, generate, load_synthetic
from tests.contract._graph import group, member_of, ref, user

SIZE = 300


def test_the_same_size_and_seed_generate_the_same_enterprise() -> None:
    assert list(generate(SIZE, seed=7)) == list(generate(SIZE, seed=7))
    assert list(generate(SIZE, seed=7)) != list(generate(SIZE, seed=8))


def test_load_synthetic_writes_every_item_and_reports_progress(store: GraphStore) -> None:
    heard: list[int] = []

    written = load_synthetic(store, SIZE, seed=1, progress=heard.append)

    assert written == sum(len(batch) for batch in generate(SIZE, seed=1))
    assert heard[-1] == written and heard == sorted(heard)
    assert len(store.find_nodes("User")) == SIZE


def test_import_batches_applies_each_batch_or_none_of_it(store: GraphStore) -> None:
    good: list[WriteOp] = [user("a"), user("b"), group("g"), member_of(ref("User", "a"), "g")]
    bad: list[WriteOp] = [user("c"), member_of(ref("User", "c"), "missing")]

    assert store.import_batches([good, [DeleteNode("User", "b")]]) == 5
    with pytest.raises(UnknownNode, match="`missing`"):
        store.import_batches([bad])

    assert [n.key for n in store.find_nodes("User")] == ["a"]
    assert [e.dst.key for e in store.edges("MEMBER_OF")] == ["g"]


def test_import_batches_refuses_a_new_node_without_its_required_properties(
    store: GraphStore,
) -> None:
    with pytest.raises(SchemaViolation, match="`nameless`"):
        store.import_batches([[group("ok"), UpsertNode("Group", "nameless", {"source": "x"})]])

    assert store.find_nodes("Group") == []


# Requests approved by someone who reports to the requester: the generator writes no
# requests, and a saved query that finds nothing on both backends would agree vacuously.
# In the generated org `u{n}` reports to `u{(n - 1) // 8}`: u9..u16 report to u1.
_APPROVED_BY_REPORTS = [("u1", "u9"), ("u1", "u12"), ("u2", "u17")]


def _requests_approved_by_reports() -> list[WriteOp]:
    ops: list[WriteOp] = []
    for n, (requester, approver) in enumerate(_APPROVED_BY_REPORTS):
        key = f"req-report-{n}"
        props = {"requester": requester, "resource": "r0", "state": "GRANTED", "created_at": NOW}
        ops += [
            UpsertNode("AccessRequest", key, props),
            UpsertEdge("REQUESTED", ref("User", requester), ref("AccessRequest", key)),
            UpsertEdge(
                "APPROVED",
                ref("User", approver),
                ref("AccessRequest", key),
                props={"at": NOW, "reason": "", "step": 0},
            ),
        ]
    return ops


@pytest.fixture(scope="module")
def both(neo4j_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[GraphStore]]:
    """The same enterprise in the embedded graph and in Neo4j."""
    path: Path = tmp_path_factory.mktemp("synthetic") / "graph.db"
    stores = [open_store(f"embedded:{path}"), open_store(neo4j_url)]
    try:
        for store in stores:
            store.clear()
            load_synthetic(store, SIZE, seed=3)
            store.write(_requests_approved_by_reports())
        yield stores
    finally:
        for store in stores:
            store.close()


def _same(both: list[GraphStore], call: str, *args: object, **kwargs: object) -> Sized:
    """What both backends answer to `call`, which must be the same."""
    embedded, neo4j = (getattr(store, call)(*args, **kwargs) for store in both)
    assert embedded == neo4j, f"{call}{args} differs between the backends"
    return cast(Sized, embedded)


def _covered_resources(store: GraphStore) -> list[NodeRef]:
    """Resources some flow covers directly: where `who_could_request` must find someone."""
    return sorted({e.dst for e in store.edges("COVERS") if e.dst.kind == "Resource"}, key=str)


def test_effective_access_and_blast_radius_agree_across_backends(both: list[GraphStore]) -> None:
    reached = 0
    for u in range(0, SIZE, 10):
        user = NodeRef("User", f"u{u}")
        reached += len(_same(both, "effective_access", user, NOW))
        radius = _same(both, "blast_radius", user, NOW)
        reached += cast(BlastRadius, radius).resources
    assert reached > 0, "no sampled user reaches anything: the comparison proves nothing"


def test_who_can_access_and_who_could_request_agree_across_backends(
    both: list[GraphStore],
) -> None:
    sampled = [NodeRef("Resource", f"r{r}") for r in range(0, SIZE, 10)]
    holders = sum(len(_same(both, "who_can_access", resource, NOW)) for resource in sampled)
    covered = _covered_resources(both[0])
    requesters = sum(
        len(_same(both, "who_could_request", resource)) for resource in sampled + covered
    )
    assert holders > 0, "nobody holds any sampled resource: the comparison proves nothing"
    assert requesters > 0, "nobody could request any resource: the comparison proves nothing"


def test_access_paths_agree_across_backends(both: list[GraphStore]) -> None:
    paths = 0
    for u in range(0, SIZE, 30):
        user = NodeRef("User", f"u{u}")
        for access in both[0].effective_access(user, NOW)[:3]:
            paths += len(_same(both, "access_paths", user, access.resource, 6))
            paths += len(_same(both, "access_paths", user, access.resource, 6, now=NOW))
    assert paths > 0, "no access path found: the comparison proves nothing"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("standing_admin_access", {}),
        ("external_users_with_access", {"now": NOW}),
        ("approved_by_a_report", {}),
        ("grants_never_used", {"now": NOW}),
        ("groups_nested_deeper_than", {"depth": 3}),
        ("access_to_tagged_resources", {"now": NOW}),
    ],
)
def test_saved_queries_agree_across_backends(
    both: list[GraphStore], name: str, params: dict[str, object]
) -> None:
    found = _same(both, "run_saved_query", name, params)
    assert len(found) > 0, (
        f"`{name}` found nothing on either backend: the comparison proves nothing"
    )

"""resources_below: what a grant on a container would reach that is to be kept out of reach,
found by key or tag at any depth, bounded, on every backend."""

from __future__ import annotations

import pytest

from graph import GraphStore, UnknownNode, UpsertEdge
from tests.contract._graph import integration, part_of, ref, resource

PG = ref("Integration", "pg")


def _tree(store: GraphStore) -> None:
    """pg > payments (pci) > cards (pci, pii) > cvv; pg > orders > archive (pii);
    s3 > bucket (pci)."""
    store.write(
        [
            integration("pg"),
            integration("s3"),
            resource("pg/payments", tags=["pci"]),
            resource("pg/payments/cards", tags=["pci", "pii"]),
            resource("pg/payments/cards/cvv"),
            resource("pg/orders"),
            resource("pg/orders/archive", tags=["pii"]),
            resource("s3/bucket", tags=["pci"]),
        ]
    )
    store.write(
        [
            part_of("pg/payments", PG),
            part_of("pg/payments/cards", ref("Resource", "pg/payments")),
            part_of("pg/payments/cards/cvv", ref("Resource", "pg/payments/cards")),
            part_of("pg/orders", PG),
            part_of("pg/orders/archive", ref("Resource", "pg/orders")),
            part_of("s3/bucket", ref("Integration", "s3")),
        ]
    )


def _keys(store: GraphStore, at: str, kind: str = "Integration", **wanted: object) -> list[str]:
    found = store.resources_below(
        ref(kind, at),
        keys=wanted.get("keys", ()),  # type: ignore[arg-type]
        tags=wanted.get("tags", ()),  # type: ignore[arg-type]
        limit=wanted.get("limit", 100),  # type: ignore[arg-type]
    )
    return [node.key for node in found]


def test_resources_below_match_by_tag_or_key_at_any_depth_in_key_order(
    store: GraphStore,
) -> None:
    _tree(store)
    assert _keys(store, "pg", tags=["pci"]) == ["pg/payments", "pg/payments/cards"]
    assert _keys(store, "pg", tags=["pii"], keys=["pg/payments/cards/cvv"]) == [
        "pg/orders/archive",
        "pg/payments/cards",
        "pg/payments/cards/cvv",
    ]
    found = store.resources_below(PG, keys=["pg/orders"], tags=[], limit=10)
    assert [(n.kind, n.key, n.props["name"]) for n in found] == [
        ("Resource", "pg/orders", "pg/orders")
    ]


def test_resources_below_start_under_a_resource_and_never_list_it_or_other_trees(
    store: GraphStore,
) -> None:
    _tree(store)
    below = _keys(store, "pg/payments", "Resource", tags=["pci"], keys=["pg/payments"])
    assert below == ["pg/payments/cards"]
    assert _keys(store, "pg", keys=["s3/bucket"]) == []
    assert _keys(store, "pg/orders/archive", "Resource", tags=["pii"]) == []
    assert _keys(store, "pg") == []  # nothing asked for, nothing found


def test_resources_below_stop_at_the_limit(store: GraphStore) -> None:
    _tree(store)
    assert _keys(store, "pg", tags=["pci", "pii"], limit=2) == [
        "pg/orders/archive",
        "pg/payments",
    ]
    assert _keys(store, "pg", tags=["pci"], limit=0) == []


def test_resources_below_survive_a_cycle_of_resources(store: GraphStore) -> None:
    store.write([integration("pg"), resource("a", tags=["x"]), resource("b", tags=["x"])])
    store.write(
        [
            part_of("a", PG),
            part_of("b", ref("Resource", "a")),
            UpsertEdge("PART_OF", ref("Resource", "a"), ref("Resource", "b")),
        ]
    )
    assert _keys(store, "pg", tags=["x"]) == ["a", "b"]
    assert _keys(store, "a", "Resource", tags=["x"]) == ["b"]


def test_resources_below_an_unknown_node_raise_unknown_node(store: GraphStore) -> None:
    with pytest.raises(UnknownNode):
        store.resources_below(ref("Integration", "ghost"), keys=["x"], tags=[], limit=5)
    with pytest.raises(UnknownNode):
        store.resources_below(ref("Nope", "ghost"), keys=["x"], tags=[], limit=5)


def test_resources_below_a_thousand_resource_integration_are_only_those_named(
    store: GraphStore,
) -> None:
    """A container of 1,000 resources (two levels): the search returns the named key and the
    one tagged resource deep inside, nothing else (its speed is measured in the benchmarks,
    not here)."""
    ops = [integration("big")]
    links = []
    for n in range(50):
        ops.append(resource(f"big/db{n}"))
        links.append(part_of(f"big/db{n}", ref("Integration", "big")))
        for m in range(19):
            tags = ["pci"] if (n, m) == (42, 7) else ["t"]
            ops.append(resource(f"big/db{n}/t{m}", tags=tags))
            links.append(part_of(f"big/db{n}/t{m}", ref("Resource", f"big/db{n}")))
    store.write(ops)
    store.write(links)
    big = ref("Integration", "big")
    found = store.resources_below(big, keys=["big/db3"], tags=["pci"], limit=20)
    assert [n.key for n in found] == ["big/db3", "big/db42/t7"]

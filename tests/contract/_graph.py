"""Builders and a whole-graph snapshot for the contract suite, written only against the protocol."""

from __future__ import annotations

from typing import Any

from graph import Edge, GraphStore, Node, NodeRef, UpsertEdge, UpsertNode
from graph.model import EDGE_KINDS, NODE_KINDS


def user(key: str, **props: Any) -> UpsertNode:
    return UpsertNode("User", key, {"email": f"{key}@corp.example", **props})


def group(key: str, **props: Any) -> UpsertNode:
    return UpsertNode("Group", key, {"name": key, **props})


def integration(key: str) -> UpsertNode:
    return UpsertNode("Integration", key, {"name": key, "type": "postgres"})


def resource(key: str, **props: Any) -> UpsertNode:
    return UpsertNode("Resource", key, {"name": key, **props})


def access_request(key: str, state: str = "PENDING", **props: Any) -> UpsertNode:
    return UpsertNode(
        "AccessRequest",
        key,
        {
            "requester": "alice",
            "resource": "pg-prod",
            "state": state,
            "created_at": 1_700_000_000.0,
            **props,
        },
    )


def ref(kind: str, key: str) -> NodeRef:
    return NodeRef(kind, key)


def member_of(member: NodeRef, group_key: str) -> UpsertEdge:
    return UpsertEdge("MEMBER_OF", member, NodeRef("Group", group_key))


def part_of(child: str, parent: NodeRef) -> UpsertEdge:
    return UpsertEdge("PART_OF", NodeRef("Resource", child), parent)


def snapshot(store: GraphStore) -> tuple[list[Node], list[Edge]]:
    """Every node and edge the store holds, in a stable order, as plain values."""
    nodes = [
        Node(n.kind, n.key, dict(n.props)) for kind in NODE_KINDS for n in store.find_nodes(kind)
    ]
    edges = [
        Edge(e.kind, e.src, e.dst, e.key, dict(e.props))
        for kind in EDGE_KINDS
        for e in store.edges(kind)
    ]
    edges.sort(key=lambda e: (e.kind, e.src.kind, e.src.key, e.dst.kind, e.dst.key, e.key))
    return nodes, edges


def edge_keys(edges: list[Edge]) -> set[tuple[str, str, str, str]]:
    """Edges as (source key, target key, edge key, kind): order-free comparisons."""
    return {(e.src.key, e.dst.key, e.key, e.kind) for e in edges}

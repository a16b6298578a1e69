"""Shared pieces of the request and bundle tests: what the graph holds, and extra flows."""

from __future__ import annotations

from typing import Any

from broker import Services
from broker.demo import DEMO_ADMIN
from broker.flows.save_access_flow import save_access_flow
from graph import GraphStore, Node
from policies.flows import AccessFlow

_KINDS = ("AccessRequest", "Grant", "Bundle", "Task")
_EDGES = ("HAS_ACCESS", "REQUESTED", "FOR", "MATCHED", "COVERS", "APPROVED")


def graph_state(store: GraphStore) -> dict[str, Any]:
    """Every request, grant and bundle with its props, and the edges that go with them:
    equal before and after a refused operation when it changed nothing."""
    nodes = {kind: {n.key: dict(n.props) for n in store.find_nodes(kind)} for kind in _KINDS}
    edges = {
        kind: sorted(repr((e.src, e.dst, e.key, dict(e.props))) for e in store.edges(kind))
        for kind in _EDGES
    }
    return {"nodes": nodes, "edges": edges}


def requests(store: GraphStore) -> list[Node]:
    return store.find_nodes("AccessRequest")


def add_flow(services: Services, **fields: Any) -> AccessFlow:
    flow = AccessFlow(**fields)
    save_access_flow(services, actor=DEMO_ADMIN, flow=flow)
    return flow

"""The embedded graph's memory is a networkx MultiDiGraph that networkx itself can read.

MemoryGraph.load fills the MultiDiGraph's dicts directly, so these tests check, after a
load and after random writes and deletions, that networkx's own API sees exactly the
graph MemoryGraph's reads return, and that both match a plain model of the writes.
"""

from __future__ import annotations

import gc
import random
from typing import Any

import networkx as nx
import pytest

from graph.embedded._memory import EdgeId, MemoryGraph, NodeId, Plan, PropDict
from graph.embedded._query import build_view
from graph.errors import GraphError

_KINDS = ("User", "Group", "AccessRequest")
_EDGE_KINDS = ("MEMBER_OF", "HAS_ACCESS")


def _assert_agrees(
    memory: MemoryGraph, nodes: dict[NodeId, PropDict], edges: dict[EdgeId, PropDict]
) -> None:
    g = memory.graph
    assert isinstance(g, nx.MultiDiGraph)
    assert dict(g.nodes(data=True)) == nodes
    assert g.number_of_nodes() == len(nodes)
    assert g.number_of_edges() == len(edges)
    assert {(k, u, v, key): d for u, v, (k, key), d in g.edges(keys=True, data=True)} == edges
    for kind, src, dst, key in edges:
        assert g.has_edge(src, dst, (kind, key))
        # networkx's two sides share one dict of edges per node pair
        assert g._succ[src][dst] is g._pred[dst][src]
    for nid, props in nodes.items():
        assert memory.node(nid) == props
        assert g.nodes[nid] is memory.node(nid)
        out = {(k, nid, v, key): d for _, v, (k, key), d in g.out_edges(nid, keys=True, data=True)}
        into = {(k, u, nid, key): d for u, _, (k, key), d in g.in_edges(nid, keys=True, data=True)}
        assert dict(memory.out_edges(nid)) == out
        assert dict(memory.in_edges(nid)) == into
        assert memory.incident(nid) == set(out) | set(into)
        # the per-node index holds the graph's own attribute dicts, not copies
        for (kind, _, dst, key), props in memory.out_edges(nid):
            assert props is g._succ[nid][dst][(kind, key)]
        for (kind, src, _, key), props in memory.in_edges(nid):
            assert props is g._pred[nid][src][(kind, key)]
        for kind in _EDGE_KINDS:
            assert dict(memory.out_edges(nid, kind)) == {
                e: d for e, d in out.items() if e[0] == kind
            }
            assert dict(memory.in_edges(nid, kind)) == {
                e: d for e, d in into.items() if e[0] == kind
            }
    for eid, props in edges.items():
        assert memory.edge(eid) == props
        assert memory.edge(eid) is g.edges[eid[1], eid[2], (eid[0], eid[3])]
    assert dict(memory.all_nodes()) == nodes
    assert dict(memory.all_edges()) == edges
    for kind in _EDGE_KINDS:
        assert dict(memory.edges_of(kind)) == {e: d for e, d in edges.items() if e[0] == kind}
    for kind in _KINDS:
        assert memory.keys_of(kind) == sorted(key for k, key in nodes if k == kind)
    for state in ("PENDING", "GRANTED"):
        found = memory.keys_of("AccessRequest", {"state": state})
        wanted = sorted(
            key for (k, key), p in nodes.items() if k == "AccessRequest" and p.get("state") == state
        )
        assert found == wanted


def _random_plan(
    rng: random.Random, nodes: dict[NodeId, PropDict], edges: dict[EdgeId, PropDict]
) -> Plan:
    """A plan as the planner makes them: a deleted node takes its edges with it, and an
    edge joins nodes that exist once the plan is applied."""
    plan = Plan()
    final_nodes = dict(nodes)
    for _ in range(rng.randint(1, 6)):
        nid = (rng.choice(_KINDS), f"n{rng.randint(0, 12)}")
        if nid in final_nodes and rng.random() < 0.25:
            plan.nodes[nid] = None
            del final_nodes[nid]
        else:
            props = {"state": rng.choice(("PENDING", "GRANTED")), "n": rng.randint(0, 9)}
            plan.nodes[nid] = final_nodes[nid] = props
    alive = sorted(final_nodes)
    for _ in range(rng.randint(0, 8)):
        if edges and rng.random() < 0.3:
            plan.edges[rng.choice(sorted(edges))] = None
        elif alive:
            eid = (
                rng.choice(_EDGE_KINDS),
                rng.choice(alive),
                rng.choice(alive),
                f"e{rng.randint(0, 2)}",
            )
            plan.edges[eid] = {"w": rng.randint(0, 9)}
    for nid, props in plan.nodes.items():
        if props is None:
            for eid in list(edges) + list(plan.edges):
                if nid in (eid[1], eid[2]):
                    plan.edges[eid] = None
    return plan


def _follow(plan: Plan, nodes: dict[NodeId, PropDict], edges: dict[EdgeId, PropDict]) -> None:
    for nid, props in plan.nodes.items():
        if props is None:
            nodes.pop(nid, None)
        else:
            nodes[nid] = dict(props)
    for eid, eprops in plan.edges.items():
        if eprops is None:
            edges.pop(eid, None)
        else:
            edges[eid] = dict(eprops)


@pytest.mark.parametrize("seed", range(5))
def test_networkx_sees_the_same_graph_as_memory_reads_after_load_writes_and_deletions(
    seed: int,
) -> None:
    rng = random.Random(seed)
    nodes: dict[NodeId, PropDict] = {}
    edges: dict[EdgeId, PropDict] = {}
    for _ in range(3):
        _follow(_random_plan(rng, nodes, edges), nodes, edges)
    memory = MemoryGraph()
    memory.load(
        [(nid, dict(p)) for nid, p in nodes.items()], [(eid, dict(p)) for eid, p in edges.items()]
    )
    _assert_agrees(memory, nodes, edges)

    for _ in range(60):
        plan = _random_plan(rng, nodes, edges)
        _follow(plan, nodes, edges)
        memory.apply(plan)
        _assert_agrees(memory, nodes, edges)

    memory.clear()
    _assert_agrees(memory, {}, {})


def test_a_node_deleted_and_created_again_in_one_plan_keeps_no_old_edges() -> None:
    alice, admins = ("User", "alice"), ("Group", "admins")
    member: EdgeId = ("MEMBER_OF", alice, admins, "")
    memory = MemoryGraph()
    memory.load([(alice, {}), (admins, {})], [(member, {"since": 1})])

    memory.apply(Plan(nodes={alice: None}, edges={member: None}))
    memory.apply(Plan(nodes={alice: {"name": "Alice"}}))

    assert memory.edge(member) is None
    assert not memory.graph.has_edge(alice, admins)
    assert memory.graph.nodes[alice] == {"name": "Alice"}
    assert memory.out_edges(alice) == []


def test_loading_an_edge_whose_end_is_not_a_node_is_refused() -> None:
    memory = MemoryGraph()
    memory.load([(("User", "alice"), {})], [])

    with pytest.raises(GraphError, match="whose end is not a node: the file is damaged"):
        memory.load([], [(("MEMBER_OF", ("User", "alice"), ("Group", "gone"), ""), {})])

    assert gc.isenabled(), "a failed load leaves the cyclic collector running"


def test_loading_restores_the_collector_as_the_caller_had_it() -> None:
    memory = MemoryGraph()
    gc.disable()
    try:
        memory.load([(("User", "alice"), {})], [])
        assert not gc.isenabled()
    finally:
        gc.enable()
    memory.load([(("User", "bob"), {})], [])

    assert gc.isenabled()


def test_the_query_view_is_a_labelled_copy_that_cannot_change_stored_data() -> None:
    alice, admins = ("User", "alice"), ("Group", "admins")
    member: EdgeId = ("MEMBER_OF", alice, admins, "k")
    memory = MemoryGraph()
    memory.load([(alice, {"tags": ["a"]}), (admins, {})], [(member, {"since": 1})])

    view: Any = build_view(memory)
    view.nodes[alice]["tags"].append("b")
    view.nodes[alice]["name"] = "changed"
    view.edges[alice, admins, ("MEMBER_OF", "k")]["since"] = 2
    view._succ[alice][admins].clear()

    assert view.nodes[admins] == {"key": "admins", "__labels__": {"Group"}}
    assert memory.node(alice) == {"tags": ["a"]}
    assert memory.edge(member) == {"since": 1}
    assert memory.graph.number_of_edges() == 1

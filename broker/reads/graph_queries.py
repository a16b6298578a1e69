"""The access-graph analyses as read-only use cases: each asks the API policies first.

Admins and auditors may `queryGraph`; anyone may see their own effective access (`viewSelf`).
Graph errors become domain errors here, so the transport shows their message as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from broker._lookup import require_allowed
from broker.errors import InvalidInput, NotFound
from broker.reads._raw_query_gate import RawQueryGate, RawQueryLimits
from broker.reads._raw_query_gate import TooManyQueries as TooManyQueries
from broker.services import Services
from graph import GraphError, Node, NodeRef, QueryFailed, QueryRefused, QueryResult, UnknownNode
from graph.analysis import SAVED_QUERIES, Access, AccessPath, BlastRadius, Finding, Requester
from graph.analysis import SavedQuery as SavedQuery
from graph.model import EDGE_KINDS
from policies.api_authz import Target

MAX_PATH_DEPTH = 12
MAX_RAW_ROWS = 10_000
# Node properties no reader needs: hashes of secrets and sealed secrets.
HIDDEN_PROPS = frozenset({"token_hash", "config", "details", "password_hash"})

T = TypeVar("T")


RAW_QUERIES = RawQueryGate(RawQueryLimits())
"""The server's one gate for raw queries (tests put in one with small limits)."""


class RawQueryRefused(InvalidInput):
    """A raw query was refused before it ran (it writes, is too long, or cannot run here)."""

    code = "query_refused"


class RawQueryFailed(InvalidInput):
    """A raw query started but failed: a syntax error, a timeout, a bad parameter."""

    code = "query_failed"


def effective_access(services: Services, *, viewer: str, identity: NodeRef) -> list[Access]:
    """What `identity` reaches now; a user may ask this of themselves, else queryGraph."""
    if identity == NodeRef("User", viewer):
        require_allowed(services, viewer, "viewSelf", Target.user(viewer))
    else:
        _may_query(services, viewer)
    return _read(lambda: services.store.effective_access(identity, services.clock()))


def who_can_access(services: Services, *, viewer: str, resource: NodeRef) -> list[Access]:
    _may_query(services, viewer)
    return _read(lambda: services.store.who_can_access(resource, services.clock()))


def who_could_request(services: Services, *, viewer: str, resource: NodeRef) -> list[Requester]:
    _may_query(services, viewer)
    return _read(lambda: services.store.who_could_request(resource))


def access_paths(
    services: Services, *, viewer: str, identity: NodeRef, resource: NodeRef, max_depth: int
) -> list[AccessPath]:
    """Every path of at most `max_depth` edges through grants in force now."""
    _may_query(services, viewer)
    if not 1 <= max_depth <= MAX_PATH_DEPTH:
        raise InvalidInput(
            f"max depth `{max_depth}` is outside 1..{MAX_PATH_DEPTH}: pick a depth inside"
        )
    now = services.clock()
    return _read(lambda: services.store.access_paths(identity, resource, max_depth, now=now))


def blast_radius(services: Services, *, viewer: str, identity: NodeRef) -> BlastRadius:
    _may_query(services, viewer)
    return _read(lambda: services.store.blast_radius(identity, services.clock()))


def saved_queries(services: Services, *, viewer: str) -> list[SavedQuery]:
    _may_query(services, viewer)
    return list(SAVED_QUERIES.values())


def run_saved_query(
    services: Services, *, viewer: str, name: str, params: object = None
) -> list[Finding]:
    """Run a saved query; a `now` it takes and the caller leaves out is the broker's now."""
    _may_query(services, viewer)
    given = _object(params)
    query = SAVED_QUERIES.get(name)
    if query is not None and "now" in query.defaults and given.get("now") is None:
        given["now"] = services.clock()
    return _read(lambda: services.store.run_saved_query(name, given))


def raw_query(
    services: Services,
    *,
    viewer: str,
    cypher: str,
    params: object = None,
    row_cap: int = 1000,
) -> QueryResult:
    """An auditor's read-only Cypher; writes and over-long queries are refused unrun.

    It runs within RAW_QUERIES' limits: one at a time per caller, a few at once overall,
    each stopped at the timeout (both backends stop it there: Neo4j ends the transaction,
    the embedded graph kills the query's child process)."""
    _may_query(services, viewer)
    given = _object(params)
    named = sorted(name for name in HIDDEN_PROPS if _names(cypher, given, name))
    if named:
        raise RawQueryRefused(
            f"the query reads `{named[0]}`, which holds a secret (hashed or sealed): "
            "leave it out; nodes come back without it"
        )
    if not 1 <= row_cap <= MAX_RAW_ROWS:
        raise RawQueryRefused(f"row cap `{row_cap}` is outside 1..{MAX_RAW_ROWS}: pick one inside")
    gate = RAW_QUERIES
    try:
        with gate.admit(viewer):
            result = services.store.run_read_query(
                cypher, given, row_cap=row_cap, timeout_s=gate.limits.timeout_s
            )
    except QueryRefused as refused:
        raise RawQueryRefused(str(refused)) from refused
    except QueryFailed as failed:
        raise RawQueryFailed(str(failed)) from failed
    rows = tuple(tuple(_without_secrets(value) for value in row) for row in result.rows)
    return QueryResult(result.columns, rows, result.truncated)


def _names(cypher: str, params: dict[str, Any], name: str) -> bool:
    """Whether the query text or a parameter value names property `name`."""
    word = re.compile(rf"\b{name}\b", re.IGNORECASE)
    return bool(word.search(cypher)) or any(
        isinstance(v, str) and word.search(v) for v in params.values()
    )


def _without_secrets(value: Any) -> Any:
    """`value` with hidden properties dropped from every map in it, however nested (a node
    as `{"kind", "key", "props"}`, or `properties(n)`)."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in HIDDEN_PROPS}
    if isinstance(value, list | tuple):
        return [_without_secrets(v) for v in value]
    return value


def graph_node(services: Services, *, viewer: str, ref: NodeRef) -> Node:
    """One node of the graph, its secrets left out."""
    _may_query(services, viewer)
    node = services.store.get_node(ref.kind, ref.key)
    if node is None:
        raise NotFound(f"no {ref.kind} `{ref.key}` exists in the access graph: check the key")
    return visible(node)


def neighbours(
    services: Services, *, viewer: str, ref: NodeRef, edge: str, outgoing: bool = True
) -> list[Node]:
    """The nodes one `edge` away from `ref` (along it, or against it), secrets left out."""
    _may_query(services, viewer)
    if edge not in EDGE_KINDS:
        known = ", ".join(f"`{k}`" for k in EDGE_KINDS)
        raise InvalidInput(f"edge kind `{edge}` is unknown: use one of {known}")
    store = services.store
    found = store.edges(edge, src=ref) if outgoing else store.edges(edge, dst=ref)
    others = [e.dst if outgoing else e.src for e in found]
    nodes = (store.get_node(o.kind, o.key) for o in dict.fromkeys(others))
    return [visible(n) for n in nodes if n is not None]


def visible(node: Node) -> Node:
    return Node(node.kind, node.key, {k: v for k, v in node.props.items() if k not in HIDDEN_PROPS})


def _may_query(services: Services, viewer: str) -> None:
    require_allowed(services, viewer, "queryGraph", Target.api())


def _object(params: object) -> dict[str, Any]:
    """Parameters arrive as JSON: they must be an object of names to values."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise InvalidInput('params must be a JSON object of names to values, e.g. {"depth": 3}')
    return dict(params)


def _read(run: Callable[[], T]) -> T:
    try:
        return run()
    except UnknownNode as missing:
        raise NotFound(f"{missing}: check the key and its kind") from missing
    except GraphError as bad:
        raise InvalidInput(str(bad)) from bad

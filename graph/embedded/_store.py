"""EmbeddedStore: the GraphStore protocol over an in-memory graph made durable by SQLite."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from graph.analysis import (
    Access,
    AccessPath,
    BlastRadius,
    Finding,
    Requester,
    run_saved_query,
)
from graph.embedded import _analysis, _query
from graph.embedded._filelock import FileLock
from graph.embedded._memory import EdgeId, MemoryGraph, NodeId, gc_paused
from graph.embedded._plan import copy_props, plan_write
from graph.embedded._sqlite import SqliteLog
from graph.errors import GraphError, UnknownNode
from graph.model import NODE_KINDS
from graph.query import (
    QUERY_MEMORY_MIB,
    QueryResult,
    check_limits,
    check_params,
    check_read_only,
    tokenize,
)
from graph.validate import check_ops
from graph.values import (
    Edge,
    IdentityContext,
    Node,
    NodeRef,
    Props,
    ResourceContext,
    UpsertNode,
    WriteOp,
)

_FREEZE_FROM_NODES = 10_000


class EmbeddedStore:
    """The access graph in one process: held in memory, every change committed to
    the SQLite file at `path` before it shows in memory.

    One lock guards every read and write, so a compare-and-set is atomic across threads;
    an exclusive lock on `path + ".lock"` keeps a second process (or store) out.
    """

    def __init__(self, path: str) -> None:
        if not path:
            raise GraphError("graph URL `embedded:` names no file: use `embedded:PATH`")
        self._path = path
        self._lock = threading.RLock()
        self._closed = False
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._file_lock = FileLock.acquire(path + ".lock", path)
        log: SqliteLog | None = None
        try:
            log = SqliteLog(path)
            memory = MemoryGraph()
            with gc_paused():  # decoding the rows builds as many objects as the graph holds
                memory.load(log.nodes(), log.edges())
            # A large graph lives as long as the store: moved out of the collector's sight,
            # a full collection no longer rescans it (seconds at 100k people, landing on
            # whichever request set it off). Small ones are not worth pinning.
            if len(memory.graph) >= _FREEZE_FROM_NODES:
                gc.freeze()
        except BaseException:
            if log is not None:
                log.close()
            self._file_lock.release()
            raise
        self._log = log
        self._memory = memory
        self._view: tuple[int, Any] | None = None  # (memory version, query view)

    def write(self, ops: Sequence[WriteOp]) -> None:
        ops = list(ops)
        check_ops(ops)
        with self._lock:
            self._check_open()
            plan = plan_write(self._memory, ops)
            self._log.commit(plan)
            # Memory follows only a committed transaction, so a failure changes neither.
            self._memory.apply(plan)

    def write_from(
        self,
        ops: Sequence[WriteOp],
        locked: NodeRef,
        build: Callable[[Props], Sequence[WriteOp]],
    ) -> None:
        ops = list(ops)
        with self._lock:  # every write holds it: nothing changes the node meanwhile
            self._check_open()
            found = self._memory.node((locked.kind, locked.key))
            created = [] if found is not None else [UpsertNode(locked.kind, locked.key, {})]
            everything = [*ops, *created, *build(copy_props(found or {}))]
            check_ops(everything)
            plan = plan_write(self._memory, everything)
            self._log.commit(plan)
            self._memory.apply(plan)

    def import_batches(
        self,
        batches: Iterable[Sequence[WriteOp]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write each batch as `write` does: planned, then one SQLite transaction of
        executemany statements, so a batch is atomic and durable on its own."""
        written = 0
        for batch in batches:
            ops = list(batch)
            self.write(ops)
            written += len(ops)
            if progress is not None:
                progress(written)
        return written

    @property
    def changes(self) -> int:
        """How many changes this graph has taken; it only grows, so a cache that read it
        before filling an entry knows the entry is current while the count stays the same
        (an int read needs no lock)."""
        return self._memory.version

    def unchanged_since(self, refs: Iterable[NodeRef], changes: int) -> bool:
        """Whether each node of `refs` exists and no change counted after `changes` (read
        from `changes` earlier) touched it: a cache of what was read from those nodes alone
        stays exact while this holds, whatever else is written. Needs no lock."""
        return self._memory.unchanged_since(((ref.kind, ref.key) for ref in refs), changes)

    def get_node(self, kind: str, key: str) -> Node | None:
        with self._lock:
            self._check_open()
            props = self._memory.node((kind, key))
            return None if props is None else Node(kind, key, copy_props(props))

    def find_nodes(
        self,
        kind: str,
        *,
        equals: Props | None = None,
        at_most: Props | None = None,
        limit: int | None = None,
    ) -> list[Node]:
        found: list[Node] = []
        if limit is not None and limit <= 0:
            return found
        with self._lock:
            self._check_open()
            for key in self._memory.keys_of(kind, equals):
                props = self._memory.node((kind, key))
                if props is None or not _matches(props, equals or {}, at_most or {}):
                    continue
                found.append(Node(kind, key, copy_props(props)))
                if limit is not None and len(found) >= limit:
                    break
        return found

    def find_node_and_named(
        self, kind: str, *, equals: Props, named_by: str, named_kind: str
    ) -> tuple[Node, Node | None] | None:
        if kind in NODE_KINDS and named_by not in NODE_KINDS[kind].properties:
            raise ValueError(f"{kind} declares no property `{named_by}`")
        with self._lock:  # one read: nothing written between the two nodes
            found = self.find_nodes(kind, equals=equals, limit=1)
            if not found:
                return None
            name = found[0].props.get(named_by)
            named = self.get_node(named_kind, name) if isinstance(name, str) else None
            return found[0], named

    def edges(
        self,
        kind: str,
        *,
        src: NodeRef | None = None,
        dst: NodeRef | None = None,
    ) -> list[Edge]:
        with self._lock:
            self._check_open()
            if src is not None:
                candidates: Iterable[tuple[EdgeId, Mapping[str, Any]]]
                candidates = self._memory.out_edges((src.kind, src.key), kind)
            elif dst is not None:
                candidates = self._memory.in_edges((dst.kind, dst.key), kind)
            else:
                candidates = self._memory.edges_of(kind)
            found = [
                _edge(eid, props)
                for eid, props in candidates
                if eid[0] == kind and (dst is None or eid[2] == (dst.kind, dst.key))
            ]
        return sorted(found, key=_edge_order)

    def stale_nodes(
        self, kind: str, *, sync_source: str, sync_tag: str, limit: int
    ) -> list[NodeRef]:
        found: list[NodeRef] = []
        with self._lock:
            self._check_open()
            for key in self._memory.keys_of(kind):
                if len(found) >= limit:
                    break
                props = self._memory.node((kind, key))
                if props is not None and _stale(props, sync_source, sync_tag):
                    found.append(NodeRef(kind, key))
        return found

    def stale_edges(self, kind: str, *, sync_source: str, sync_tag: str, limit: int) -> list[Edge]:
        found: list[Edge] = []
        with self._lock:
            self._check_open()
            for eid, props in self._memory.edges_of(kind):
                if len(found) >= limit:
                    break
                if _stale(props, sync_source, sync_tag):
                    found.append(_edge(eid, props))
        return sorted(found, key=_edge_order)

    def identity_context(self, ref: NodeRef) -> IdentityContext:
        with self._lock:
            node = self._existing(ref)
            groups = self._reachable(_node_id(ref), "MEMBER_OF")
            managers = sorted(
                eid[2][1] for eid, _ in self._memory.out_edges(_node_id(ref), "REPORTS_TO")
            )
        return IdentityContext(
            node=node,
            groups=frozenset(key for kind, key in groups if kind == "Group"),
            manager=managers[0] if managers else None,
        )

    def resource_context(self, ref: NodeRef) -> ResourceContext:
        with self._lock:
            node = self._existing(ref)
            ancestors = self._reachable(_node_id(ref), "PART_OF")
            bundles = _analysis.covering_bundles(self._memory, [_node_id(ref), *ancestors])
            integration = next((nid for nid in ancestors if nid[0] == "Integration"), None)
            integration_node = (
                None if integration is None else self._existing(NodeRef(*integration))
            )
        return ResourceContext(
            node=node,
            ancestors=tuple(NodeRef(*nid) for nid in ancestors),
            bundles=frozenset(key for _, key in bundles),
            integration_node=integration_node,
        )

    def resources_below(
        self, ref: NodeRef, *, keys: Collection[str], tags: Collection[str], limit: int
    ) -> list[Node]:
        wanted_keys, wanted_tags = set(keys), set(tags)
        found: list[Node] = []
        with self._lock:
            self._existing(ref)
            start = _node_id(ref)
            seen: set[NodeId] = {start}
            frontier = [start]
            while frontier:  # one step down per round; `seen` ends cycles and shared parents
                below = {
                    eid[1] for nid in frontier for eid, _ in self._memory.in_edges(nid, "PART_OF")
                }
                frontier = list(below - seen)
                seen.update(frontier)
                for nid in frontier:
                    props = self._memory.node(nid) or {}
                    if nid[1] in wanted_keys or not wanted_tags.isdisjoint(props.get("tags") or ()):
                        found.append(Node(nid[0], nid[1], copy_props(props)))
        return sorted(found, key=lambda node: node.key)[: max(limit, 0)]

    def effective_access(self, identity: NodeRef, now: float) -> list[Access]:
        with self._lock:
            self._existing(identity)
            return _analysis.effective_access(self._memory, _node_id(identity), now)

    def who_can_access(self, resource: NodeRef, now: float) -> list[Access]:
        with self._lock:
            self._existing(resource)
            return _analysis.who_can_access(self._memory, _node_id(resource), now)

    def who_could_request(self, resource: NodeRef) -> list[Requester]:
        with self._lock:
            self._existing(resource)
            return _analysis.who_could_request(self._memory, _node_id(resource))

    def access_paths(
        self, identity: NodeRef, resource: NodeRef, max_depth: int, *, now: float | None = None
    ) -> list[AccessPath]:
        with self._lock:
            self._existing(identity)
            self._existing(resource)
            return _analysis.access_paths(
                self._memory, _node_id(identity), _node_id(resource), max_depth, now
            )

    def blast_radius(self, identity: NodeRef, now: float) -> BlastRadius:
        with self._lock:
            self._existing(identity)
            return _analysis.blast_radius(self._memory, _node_id(identity), now)

    def run_saved_query(self, name: str, params: Props) -> list[Finding]:
        return run_saved_query(self, name, params)

    def run_read_query(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        row_cap: int = 1000,
        timeout_s: float = 10.0,
        memory_mib: int = QUERY_MEMORY_MIB,
    ) -> QueryResult:
        """Run in a child process forked under the lock (a consistent snapshot), with at
        most `memory_mib` MiB more than the server's size, killed after `timeout_s`."""
        check_limits(query, row_cap, timeout_s)
        tokens = tokenize(query)
        check_read_only(tokens)
        _query.check_supported(tokens)
        text = _query.rewrite(query, tokens, check_params(params))
        with self._lock:
            self._check_open()
            if self._view is None or self._view[0] != self._memory.version:
                self._view = (self._memory.version, _query.build_view(self._memory))
            child = _query.start(
                self._view[1], text, row_cap, timeout_s=timeout_s, memory_mib=memory_mib
            )
        return _query.finish(child, timeout_s)

    def schema_version(self) -> int:
        with self._lock:
            self._check_open()
            return int(self._log.meta(_GRAPH_VERSION) or 0)

    def set_schema_version(self, version: int) -> None:
        with self._lock:
            self._check_open()
            self._log.set_meta(_GRAPH_VERSION, str(version))

    def clear(self) -> None:
        with self._lock:
            self._check_open()
            self._log.clear()
            self._memory.clear()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._log.close()
            finally:
                self._file_lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise GraphError(f"the embedded graph `{self._path}` is closed: open it again")

    def _existing(self, ref: NodeRef) -> Node:
        self._check_open()
        props = self._memory.node(_node_id(ref))
        if props is None:
            raise UnknownNode(ref)
        return Node(ref.kind, ref.key, copy_props(props))

    def _reachable(self, start: NodeId, edge_kind: str) -> list[NodeId]:
        """Nodes reachable over `edge_kind` edges, nearest first; cycles end the walk."""
        seen: set[NodeId] = {start}
        order: list[NodeId] = []
        frontier = [start]
        while frontier:
            following: list[NodeId] = []
            for nid in frontier:
                targets = {eid[2] for eid, _ in self._memory.out_edges(nid, edge_kind)}
                following.extend(sorted(targets - seen))
                seen.update(targets)
            order.extend(following)
            frontier = following
        return order


_GRAPH_VERSION = "graph_schema_version"
"""The meta row holding the model's version (graph.migrations); `schema_version` there
is the file layout's."""


def _node_id(ref: NodeRef) -> NodeId:
    return (ref.kind, ref.key)


def _matches(props: Mapping[str, Any], equals: Props, at_most: Props) -> bool:
    if any(props.get(name) != value for name, value in equals.items()):
        return False
    for name, bound in at_most.items():
        value = props.get(name)
        try:
            if value is None or not value <= bound:
                return False
        except TypeError:  # a bound of another type never matches, as in Cypher
            return False
    return True


def _stale(props: Mapping[str, Any], sync_source: str, sync_tag: str) -> bool:
    return props.get("sync_source") == sync_source and props.get("sync_tag") != sync_tag


def _edge(eid: EdgeId, props: Mapping[str, Any]) -> Edge:
    kind, src, dst, key = eid
    return Edge(kind, NodeRef(*src), NodeRef(*dst), key, copy_props(props))


def _edge_order(edge: Edge) -> tuple[str, str, str, str, str]:
    return (edge.src.kind, edge.src.key, edge.dst.kind, edge.dst.key, edge.key)

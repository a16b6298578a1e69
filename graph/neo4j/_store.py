"""Neo4jStore: the GraphStore protocol over a Neo4j 5 server, through the official driver."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from neo4j import (
    READ_ACCESS,
    WRITE_ACCESS,
    GraphDatabase,
    ManagedTransaction,
    NotificationMinimumSeverity,
    Result,
    RoutingControl,
    Session,
)
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError

from graph.analysis import (
    Access,
    AccessPath,
    BlastRadius,
    Finding,
    Requester,
    run_saved_query,
)
from graph.errors import GraphError, UnknownNode
from graph.model import EDGE_KINDS, NODE_KINDS
from graph.neo4j import _analysis, _query, _saved
from graph.neo4j._import import import_all
from graph.neo4j._write import Fallback, apply, one_statement, visible
from graph.neo4j.cypher import store as _cypher
from graph.query import QueryResult, check_limits, check_params, check_read_only, tokenize
from graph.validate import check_ops
from graph.values import Edge, IdentityContext, Node, NodeRef, Props, ResourceContext, WriteOp

_Result = TypeVar("_Result")

# Writes that lock a node (every activity-log append locks the log's head) run at most this
# many at a time per process. They serialize on that lock in Neo4j anyway; more of them in
# flight only adds waiters, and the holder's own Python part (building what it writes under
# the lock) then waits for the interpreter lock behind all of them, so the lock is held
# longer and everyone waits longer. With 64 clients on 2 workers, `requestAccess` fell from
# 143/s at 8 clients to 106/s, its p99 at 2.2 s (tests/bench/bench_api.py).
LOCKED_WRITES_AT_ONCE = 2


class Neo4jStore:
    """The access graph in Neo4j; any number of Keyturn processes may share one server.

    Every write is one transaction; a compare-and-set locks its node before it reads, so
    it is atomic across processes. Each call uses its own session, so one store may be
    shared by threads; sessions share the driver's bookmarks, so a read sees every write
    this store returned from, even on a cluster.
    """

    def __init__(self, address: str, *, auth: tuple[str, str] | None) -> None:
        # Waiters take their turn in order of arrival (threading.Condition wakes the
        # longest waiting first), so the queue is fair and its tail short.
        self._locked_writes = threading.BoundedSemaphore(LOCKED_WRITES_AT_ONCE)
        self._driver = GraphDatabase.driver(
            address,
            auth=auth,
            # Notices such as "label `Bundle` does not exist yet" are noise for a store that
            # queries every declared kind, whether or not one has been written.
            notifications_min_severity=NotificationMinimumSeverity.OFF,
        )
        try:
            self._driver.verify_connectivity()
            self._create_schema()
        except BaseException as exc:
            self._driver.close()
            if isinstance(exc, AuthError):
                raise GraphError(
                    f"the Neo4j server at `{address}` refused the credentials: "
                    f"fix the user and password in the graph URL"
                ) from exc
            if isinstance(exc, DriverError | Neo4jError):
                raise GraphError(
                    f"cannot use the Neo4j server at `{address}` ({exc}): "
                    f"check that it runs and that the graph URL names it"
                ) from exc
            raise

    # --- writes ----------------------------------------------------------------------------

    def write(self, ops: Sequence[WriteOp]) -> None:
        ops = list(ops)
        check_ops(ops)
        if not ops:
            return
        query, params, check = one_statement(ops)
        try:
            # execute_query sends BEGIN with the statement: two round trips in all
            self._driver.execute_query(
                query,
                params,
                routing_=RoutingControl.WRITE,
                bookmark_manager_=self._driver.execute_query_bookmark_manager,
                result_transformer_=check,
            )
        except Fallback:
            with self._session() as session:  # statement by statement, with precise errors
                session.execute_write(apply, ops)

    def write_from(
        self,
        ops: Sequence[WriteOp],
        locked: NodeRef,
        build: Callable[[Props], Sequence[WriteOp]],
    ) -> None:
        ops = list(ops)
        check_ops(ops)
        if locked.kind not in NODE_KINDS:
            raise UnknownNode(locked)

        def locked_write(tx: ManagedTransaction, explained: bool) -> None:
            # Run again from here by the driver on a transient failure: `build` sees the
            # node as that attempt finds it. `ops` go first and the lock after them, so the
            # node is held only while its own part is written and committed: writers that
            # share it (every activity-log append) wait that long for each other, not for
            # each other's whole change.
            found: Props
            if explained:
                apply(tx, ops)
                record = tx.run(_cypher.lock_node(locked.kind), key=locked.key)
                found = visible(record.single(strict=True)["props"])
            else:  # the writes and the lock in one round trip
                query, params, check = one_statement(ops, then_lock=locked)
                found = check(tx.run(query, params))
            built = list(build(found))
            check_ops(built)
            _write_in(tx, built, explained)

        with self._locked_writes:
            try:
                with self._session() as session:
                    session.execute_write(locked_write, False)
            except Fallback:
                with self._session() as session:  # statement by statement, precise errors
                    session.execute_write(locked_write, True)

    def import_batches(
        self,
        batches: Iterable[Sequence[WriteOp]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write each batch as `write` would (each atomic), faster for runs of upserts."""
        return import_all(self._session, self.write, batches, progress)

    # --- reads -----------------------------------------------------------------------------

    def get_node(self, kind: str, key: str) -> Node | None:
        if kind not in NODE_KINDS:
            return None
        record = self._read_one(_cypher.get_node(kind), key=key)
        return None if record is None else Node(kind, key, visible(record["props"]))

    def find_nodes(
        self,
        kind: str,
        *,
        equals: Props | None = None,
        at_most: Props | None = None,
        limit: int | None = None,
    ) -> list[Node]:
        statement = _find_statement(kind, equals or {}, at_most or {}, limit)
        if statement is None:
            return []
        query, params = statement
        return [
            Node(kind, record["key"], visible(record["props"]))
            for record in self._read(query, **params)
        ]

    def find_node_and_named(
        self, kind: str, *, equals: Props, named_by: str, named_kind: str
    ) -> tuple[Node, Node | None] | None:
        statement = _find_statement(kind, equals, {}, 1)
        if statement is None:
            return None
        query, params = statement
        if named_kind in NODE_KINDS:  # else it names nothing that can exist
            query = _cypher.with_named(query, kind, named_by, named_kind)
        record = self._read_one(query, **params)
        if record is None:
            return None
        found = Node(kind, record["key"], visible(record["props"]))
        named = record.get("named")
        if named is None:
            return found, None
        return found, Node(named_kind, named["key"], visible(named))

    def edges(
        self,
        kind: str,
        *,
        src: NodeRef | None = None,
        dst: NodeRef | None = None,
    ) -> list[Edge]:
        if kind not in EDGE_KINDS or any(
            ref is not None and ref.kind not in NODE_KINDS for ref in (src, dst)
        ):
            return []
        query = _cypher.edges(kind, src.kind if src else None, dst.kind if dst else None)
        params = {name: ref.key for name, ref in (("src", src), ("dst", dst)) if ref is not None}
        found = [_as_edge(kind, record) for record in self._read(query, **params)]
        return sorted(found, key=_edge_order)

    def stale_nodes(
        self, kind: str, *, sync_source: str, sync_tag: str, limit: int
    ) -> list[NodeRef]:
        if kind not in NODE_KINDS or limit <= 0:
            return []
        records = self._read(
            _cypher.stale_nodes(kind), source=sync_source, tag=sync_tag, limit=limit
        )
        return [NodeRef(kind, record["key"]) for record in records]

    def stale_edges(self, kind: str, *, sync_source: str, sync_tag: str, limit: int) -> list[Edge]:
        if kind not in EDGE_KINDS or limit <= 0:
            return []
        records = self._read(
            _cypher.stale_edges(kind), source=sync_source, tag=sync_tag, limit=limit
        )
        return sorted((_as_edge(kind, record) for record in records), key=_edge_order)

    def identity_context(self, ref: NodeRef) -> IdentityContext:
        record = self._existing(_cypher.identity_context, ref)
        return IdentityContext(
            node=Node(ref.kind, ref.key, visible(record["props"])),
            groups=frozenset(record["groups"]),
            manager=record["manager"],
        )

    def resource_context(self, ref: NodeRef) -> ResourceContext:
        record = self._existing(_cypher.resource_context, ref)
        ancestors = sorted(
            (
                (depth, _kind_of(labels), key, props)
                for labels, key, depth, props in record["ancestors"]
            ),
            key=lambda ancestor: ancestor[:3],
        )
        integration = next(
            (
                Node(kind, key, visible(props))
                for _, kind, key, props in ancestors
                if kind == "Integration"
            ),
            None,
        )
        return ResourceContext(
            node=Node(ref.kind, ref.key, visible(record["props"])),
            ancestors=tuple(NodeRef(kind, key) for _, kind, key, _ in ancestors),
            bundles=frozenset(record["bundles"]),
            integration_node=integration,
        )

    def resources_below(
        self, ref: NodeRef, *, keys: Collection[str], tags: Collection[str], limit: int
    ) -> list[Node]:
        _declared(ref)
        record = self._read_one(
            _cypher.resources_below(ref.kind),
            key=ref.key,
            keys=sorted(set(keys)),
            tags=sorted(set(tags)),
            limit=max(limit, 0),
        )
        if record is None:
            raise UnknownNode(ref)
        found = [Node("Resource", str(props["key"]), visible(props)) for props in record["found"]]
        return sorted(found, key=lambda node: node.key)

    # --- analyses (graph.neo4j._analysis runs them) -------------------------------

    def effective_access(self, identity: NodeRef, now: float) -> list[Access]:
        _declared(identity)
        return self._found(_analysis.effective_access(self._read, identity, now), identity)

    def who_can_access(self, resource: NodeRef, now: float) -> list[Access]:
        _declared(resource)
        return self._found(_analysis.who_can_access(self._read, resource, now), resource)

    def who_could_request(self, resource: NodeRef) -> list[Requester]:
        _declared(resource)
        return self._found(_analysis.who_could_request(self._read, resource), resource)

    def access_paths(
        self, identity: NodeRef, resource: NodeRef, max_depth: int, *, now: float | None = None
    ) -> list[AccessPath]:
        _declared(identity, resource)
        paths = _analysis.access_paths(self._read, identity, resource, max_depth, now)
        return self._found(self._found(paths, identity), resource)

    def blast_radius(self, identity: NodeRef, now: float) -> BlastRadius:
        _declared(identity)
        radius = _analysis.blast_radius(self._read, identity, now)
        if not radius.resources:
            self._found([], identity)
        return radius

    def run_saved_query(self, name: str, params: Props) -> list[Finding]:
        return run_saved_query(self, name, params, _saved.runners(self._read))

    def run_read_query(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        row_cap: int = 1000,
        timeout_s: float = 10.0,
    ) -> QueryResult:
        """Checked here first; the read-access session refuses any write the checks miss."""
        check_limits(query, row_cap, timeout_s)
        check_read_only(tokenize(query))
        checked = check_params(params)
        with self._driver.session(
            default_access_mode=READ_ACCESS,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        ) as session:
            return _query.run(session, query, checked, row_cap, timeout_s)

    def _found(self, results: list[_Result], ref: NodeRef) -> list[_Result]:
        """`results`; when there are none, first make sure `ref` exists (one more query
        only then: a result proves it does)."""
        if not results and self.get_node(ref.kind, ref.key) is None:
            raise UnknownNode(ref)
        return results

    # --- lifecycle -------------------------------------------------------------------------

    def schema_version(self) -> int:
        record = self._read_one(_cypher.SCHEMA_VERSION)
        return 0 if record is None else int(record["version"])

    def set_schema_version(self, version: int) -> None:
        with self._session() as session:
            session.execute_write(_run, _cypher.SET_SCHEMA_VERSION, version=version)

    def clear(self) -> None:
        with self._session() as session:
            session.execute_write(_run, _cypher.CLEAR)

    def close(self) -> None:
        self._driver.close()

    # --- helpers ---------------------------------------------------------------------------

    def _session(self, mode: str = WRITE_ACCESS) -> Session:
        return self._driver.session(
            default_access_mode=mode,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        )

    def _read(self, query: str, **params: Any) -> list[Mapping[str, Any]]:
        """One query in an auto-commit transaction: a single round trip, and half the
        server's work of an explicit one; a transient failure runs it again in a managed
        transaction, which retries as the driver does."""
        try:
            with self._session(READ_ACCESS) as session:
                return _fetch(session.run(query, params))
        except (Neo4jError, DriverError) as exc:
            if not exc.is_retryable():
                raise
        with self._session(READ_ACCESS) as session:
            return session.execute_read(lambda tx: _fetch(tx.run(query, params)))

    def _read_one(self, query: str, **params: Any) -> Mapping[str, Any] | None:
        records = self._read(query, **params)
        return records[0] if records else None

    def _existing(self, build: Callable[[str], str], ref: NodeRef) -> Mapping[str, Any]:
        record = self._read_one(build(ref.kind), key=ref.key) if ref.kind in NODE_KINDS else None
        if record is None:
            raise UnknownNode(ref)
        return record

    def _create_schema(self) -> None:
        """Create the constraints and indexes that are missing; one query when none is."""
        wanted = _cypher.schema_statements()
        existing = set(self._read(_cypher.SCHEMA_NAMES)[0]["names"])
        for name, statement in wanted.items():
            if name in existing:
                continue
            with self._session() as session:
                try:
                    session.run(statement).consume()  # schema changes need their own tx
                except ClientError as exc:
                    # Another process created it between our look and our create.
                    if not (exc.code or "").endswith("AlreadyExists"):
                        raise


def _declared(*refs: NodeRef) -> None:
    """A node of an undeclared kind cannot exist."""
    for ref in refs:
        if ref.kind not in NODE_KINDS:
            raise UnknownNode(ref)


def _fetch(result: Result) -> list[Mapping[str, Any]]:
    # The store's queries return plain values only (properties(), never nodes), so the
    # records need none of `Record.data()`'s recursive conversion: half the client's time
    # on a result of thousands of rows.
    keys = result.keys()
    return [dict(zip(keys, record.values(), strict=True)) for record in result]


def _run(tx: ManagedTransaction, /, query: str, **params: Any) -> None:
    tx.run(query, params).consume()


def _as_edge(kind: str, record: Mapping[str, Any]) -> Edge:
    return Edge(
        kind,
        NodeRef(_kind_of(record["src_labels"]), record["src"]),
        NodeRef(_kind_of(record["dst_labels"]), record["dst"]),
        record["props"].get("key", ""),
        visible(record["props"]),
    )


def _find_statement(
    kind: str, equals: Props, at_most: Props, limit: int | None
) -> tuple[str, dict[str, Any]] | None:
    """The statement finding nodes of `kind` as `find_nodes` describes, with its
    parameters; None when no node can match (an undeclared kind or property, no room)."""
    declared = NODE_KINDS.get(kind)
    if declared is None or (limit is not None and limit <= 0):
        return None
    if any(name not in declared.properties for name in [*equals, *at_most]):
        return None  # no node carries an undeclared property
    matched = [name for name, value in equals.items() if value is not None]
    absent = [name for name, value in equals.items() if value is None]
    bounded = list(at_most)
    params: dict[str, Any] = {f"eq{j}": equals[name] for j, name in enumerate(matched)}
    params.update({f"le{j}": at_most[name] for j, name in enumerate(bounded)})
    if limit is not None:
        params["limit"] = limit
    return _cypher.find_nodes(kind, matched, absent, bounded, limit is not None), params


def _kind_of(labels: Sequence[str]) -> str:
    return next((label for label in labels if label in NODE_KINDS), labels[0] if labels else "")


def _edge_order(edge: Edge) -> tuple[str, str, str, str, str]:
    return (edge.src.kind, edge.src.key, edge.dst.kind, edge.dst.key, edge.key)


def _write_in(tx: ManagedTransaction, ops: Sequence[WriteOp], explained: bool) -> None:
    """`ops` written in `tx`: as one statement, or statement by statement when `explained`
    (to find which op falls short, with its precise error)."""
    if not ops:
        return
    if explained:
        apply(tx, ops)
        return
    query, params, check = one_statement(ops)
    check(tx.run(query, params))

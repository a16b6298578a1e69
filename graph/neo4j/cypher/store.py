"""The GraphStore operations in Cypher: schema, writes and reads, built from the declared
model (names quoted by `cypher._names`; every value a parameter). Writes take a batch:
`$rows` is a list of maps, one per operation, each with its position `i` in the write.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.model import NODE_KINDS
from graph.neo4j.cypher._names import label, prop, rel_prop, rel_type

LOCK = "_lock"
"""A property a compare-and-set writes first: writing takes the node's write lock."""

# Properties looked up by value often enough to deserve an index (besides each `key`).
INDEXED: tuple[tuple[str, str], ...] = (
    ("AccessRequest", "state"),
    ("AccessRequest", "expires_at"),
    ("ApiToken", "token_hash"),
    # a sync run's cleanup looks nodes up by the source that stamped them
    ("User", "sync_source"),
    ("Group", "sync_source"),
    ("Resource", "sync_source"),
    ("Integration", "sync_source"),
)


# Relationship properties indexed the same way: a sync run's cleanup finds the edges its
# source stamped with another tag without scanning every edge of the type.
REL_INDEXED: tuple[tuple[str, str], ...] = (
    ("HAS_ACCESS", "sync_source"),
    ("MEMBER_OF", "sync_source"),
)


# --- schema --------------------------------------------------------------------------------


def schema_statements() -> dict[str, str]:
    """Every constraint and index Keyturn needs, by name; each is idempotent."""
    statements = {
        f"keyturn_{kind}_key": (
            f"CREATE CONSTRAINT `keyturn_{kind}_key` IF NOT EXISTS "
            f"FOR (n:{label(kind)}) REQUIRE n.key IS UNIQUE"
        )
        for kind in NODE_KINDS
    }
    for kind, name in INDEXED:
        statements[f"keyturn_{kind}_{name}"] = (
            f"CREATE INDEX `keyturn_{kind}_{name}` IF NOT EXISTS "
            f"FOR (n:{label(kind)}) ON (n.{prop(kind, name)})"
        )
    for kind, name in REL_INDEXED:
        statements[f"keyturn_{kind}_{name}"] = (
            f"CREATE INDEX `keyturn_{kind}_{name}` IF NOT EXISTS "
            f"FOR ()-[r:{rel_type(kind)}]-() ON (r.{rel_prop(kind, name)})"
        )
    return statements


SCHEMA_NAMES = "SHOW INDEXES YIELD name RETURN collect(name) AS names"
"""A constraint's backing index carries the constraint's name, so indexes list both."""


# --- writes --------------------------------------------------------------------------------


def upsert_nodes(kind: str, rows: str = "rows") -> str:
    """MERGE each row's node, then return the rows whose node lacks a required property:
    only a node this very row created can (a node never loses a required property)."""
    merge = f"UNWIND ${rows} AS row\nMERGE (n:{label(kind)} {{key: row.key}})\nSET n += row.props"
    required = sorted(NODE_KINDS[kind].required)
    if not required:
        return merge
    missing = " OR ".join(f"n.{prop(kind, name)} IS NULL" for name in required)
    return f"{merge}\nWITH row, n WHERE {missing}\nRETURN row.i AS i"


def set_props(kind: str, rows: str = "rows") -> str:
    """Lock each row's node, read it, then update it; returns what each found before.

    Writing `_lock` first takes the node's write lock, so the properties read after it are
    the committed ones and stay so until this transaction ends: two compare-and-sets on one
    node run one after the other, and the second sees the first's result.
    """
    return (
        f"UNWIND ${rows} AS row\n"
        f"MATCH (n:{label(kind)} {{key: row.key}})\n"
        f"SET n.{LOCK} = true\n"
        f"WITH row, n, properties(n) AS before\n"
        f"SET n += row.props\n"
        f"REMOVE n.{LOCK}\n"
        f"RETURN row.i AS i, before"
    )


def lock_node(kind: str) -> str:
    """Lock node `$key` (made without properties when absent) and return its properties:
    they stay as read until the transaction ends, whatever other writers try."""
    return (
        f"MERGE (n:{label(kind)} {{key: $key}})\n"
        f"SET n.{LOCK} = true\n"
        f"REMOVE n.{LOCK}\n"
        f"RETURN properties(n) AS props"
    )


def delete_nodes(kind: str, rows: str = "rows") -> str:
    return f"UNWIND ${rows} AS row\nMATCH (n:{label(kind)} {{key: row.key}})\nDETACH DELETE n"


def upsert_edges(kind: str, src_kind: str, dst_kind: str, rows: str = "rows") -> str:
    """MERGE each row's edge between existing endpoints; returns the rows it applied."""
    return (
        f"UNWIND ${rows} AS row\n"
        f"MATCH (a:{label(src_kind)} {{key: row.src}})\n"
        f"MATCH (b:{label(dst_kind)} {{key: row.dst}})\n"
        f"MERGE (a)-[r:{rel_type(kind)} {{key: row.key}}]->(b)\n"
        f"SET r += row.props\n"
        f"RETURN row.i AS i"
    )


def delete_edges(kind: str, src_kind: str, dst_kind: str, rows: str = "rows") -> str:
    """Delete each row's edge, having locked both its ends (as `set_props` locks a node).

    Deleting an edge of a node with many (an approver group's APPROVER edges, a resource's
    grants) takes a shared lock on that node's edges, which the commit upgrades: two
    transactions deleting edges of one such node each held it and waited for the other,
    Neo4j called it a deadlock, and the driver retried one of them a second later (the p99
    of `approveRequest` rose past 1 s, tests/bench/bench_api.py). Locking the ends first
    makes the second wait its turn instead. Rows come in one order (the ops' own), so
    two such statements take their locks in the same order."""
    return (
        f"UNWIND ${rows} AS row\n"
        f"MATCH (a:{label(src_kind)} {{key: row.src}})"
        f"-[r:{rel_type(kind)} {{key: row.key}}]->"
        f"(b:{label(dst_kind)} {{key: row.dst}})\n"
        f"SET a.{LOCK} = true, b.{LOCK} = true\n"
        f"REMOVE a.{LOCK}, b.{LOCK}\n"
        f"DELETE r"
    )


# --- reads ---------------------------------------------------------------------------------


def get_node(kind: str) -> str:
    return f"MATCH (n:{label(kind)} {{key: $key}})\nRETURN properties(n) AS props"


def find_nodes(
    kind: str, equals: Sequence[str], nulls: Sequence[str], at_most: Sequence[str], limit: bool
) -> str:
    """Nodes of `kind` by key; property `equals[j]` = `$eq{j}`, `nulls` absent,
    `at_most[j]` <= `$le{j}`, at most `$limit` of them when `limit`."""
    conditions = [f"n.{prop(kind, name)} = $eq{j}" for j, name in enumerate(equals)]
    conditions += [f"n.{prop(kind, name)} IS NULL" for name in nulls]
    conditions += [f"n.{prop(kind, name)} <= $le{j}" for j, name in enumerate(at_most)]
    where = f"\nWHERE {' AND '.join(conditions)}" if conditions else ""
    tail = "\nLIMIT $limit" if limit else ""
    return (
        f"MATCH (n:{label(kind)}){where}\n"
        f"RETURN n.key AS key, properties(n) AS props\nORDER BY n.key{tail}"
    )


def with_named(find: str, kind: str, named_by: str, named_kind: str) -> str:
    """`find` (rows of key and props of `kind`), each with the `named_kind` node whose key
    is its property `named_by`, as `named` (its properties, null when there is none)."""
    return (
        f"CALL {{\n{find}\n}}\n"
        f"OPTIONAL MATCH (m:{label(named_kind)} {{key: props.{prop(kind, named_by)}}})\n"
        f"RETURN key, props, properties(m) AS named"
    )


def edges(kind: str, src_kind: str | None, dst_kind: str | None) -> str:
    """Edges of `kind`, from the `$src` node of `src_kind` / to the `$dst` of `dst_kind`."""
    src = f":{label(src_kind)} {{key: $src}}" if src_kind else ""
    dst = f":{label(dst_kind)} {{key: $dst}}" if dst_kind else ""
    return (
        f"MATCH (a{src})-[r:{rel_type(kind)}]->(b{dst})\n"
        f"RETURN labels(a) AS src_labels, a.key AS src, "
        f"labels(b) AS dst_labels, b.key AS dst, properties(r) AS props"
    )


# "no tag, or another tag" without an OR, so the planner seeks the sync_source index
# instead of scanning it once per branch.
_STALE = "{0}.`sync_source` = $source AND NOT coalesce({0}.`sync_tag` = $tag, false)"


def stale_nodes(kind: str) -> str:
    """Keys of up to `$limit` nodes `$source` stamped with a tag other than `$tag`."""
    return (
        f"MATCH (n:{label(kind)})\nWHERE {_STALE.format('n')}\n"
        f"RETURN n.key AS key\nORDER BY n.key\nLIMIT $limit"
    )


def stale_edges(kind: str) -> str:
    """Up to `$limit` edges `$source` stamped with a tag other than `$tag`, as `edges`."""
    return (
        f"MATCH (a)-[r:{rel_type(kind)}]->(b)\nWHERE {_STALE.format('r')}\n"
        f"RETURN labels(a) AS src_labels, a.key AS src, "
        f"labels(b) AS dst_labels, b.key AS dst, properties(r) AS props\nLIMIT $limit"
    )


def identity_context(kind: str) -> str:
    """The identity, every group it reaches over MEMBER_OF (cycles end a path: Cypher never
    repeats a relationship in one), and its manager."""
    return (
        f"MATCH (i:{label(kind)} {{key: $key}})\n"
        f"OPTIONAL MATCH (i)-[:`MEMBER_OF`*]->(g:`Group`)\n"
        f"WITH i, collect(DISTINCT g.key) AS groups\n"
        f"OPTIONAL MATCH (i)-[:`REPORTS_TO`]->(m:`User`)\n"
        f"RETURN properties(i) AS props, groups, min(m.key) AS manager"
    )


def resource_context(kind: str) -> str:
    """The resource, each PART_OF ancestor with its distance (the shortest path) and, for
    an Integration, its properties, and the keys of the bundles covering it or an ancestor,
    directly or through nested bundles.

    Only a Bundle both receives and sends COVERS edges, so every node inside a COVERS
    chain ending at a Bundle is a Bundle too."""
    return (
        f"MATCH (r:{label(kind)} {{key: $key}})\n"
        f"OPTIONAL MATCH p = (r)-[:`PART_OF`*]->(a)\n"
        f"WHERE a <> r\n"
        f"WITH r, a, min(length(p)) AS depth\n"
        f"WITH r, collect(CASE WHEN a IS NOT NULL THEN [labels(a), a.key, depth,"
        f" CASE WHEN a:`Integration` THEN properties(a) END] END)"
        f" AS ancestors, [r] + collect(a) AS covered\n"
        f"UNWIND covered AS t\n"
        f"OPTIONAL MATCH (t)<-[:`COVERS`*]-(b:`Bundle`)\n"
        f"RETURN properties(r) AS props, ancestors, collect(DISTINCT b.key) AS bundles"
    )


def resources_below(kind: str) -> str:
    """Up to `$limit` Resources below the node over PART_OF (any depth) whose key is in
    `$keys` or which carry a tag in `$tags`, by key; no row when the node does not exist.

    The walk starts at the node (found by its key) and `DISTINCT` on the far end lets the
    planner prune it: each resource is expanded once, however many routes lead to it."""
    return (
        f"MATCH (t:{label(kind)} {{key: $key}})\n"
        "CALL (t) {\n"
        f"  MATCH (t)<-[:`PART_OF`*]-(r:`Resource`)\n"
        "  WITH DISTINCT r WHERE r <> t\n"
        "    AND (r.key IN $keys OR any(tag IN coalesce(r.tags, []) WHERE tag IN $tags))\n"
        "  WITH r ORDER BY r.key LIMIT $limit\n"
        "  RETURN collect(properties(r)) AS found\n"
        "}\n"
        "RETURN found"
    )


META = "`KeyturnMeta`"
"""The label of the one node holding the model's version (graph.migrations); outside the
model, so no read or analysis ever sees it."""

SCHEMA_VERSION = f"MATCH (m:{META} {{key: 'schema'}}) RETURN m.version AS version"
SET_SCHEMA_VERSION = f"MERGE (m:{META} {{key: 'schema'}}) SET m.version = $version"

CLEAR = f"MATCH (n) WHERE NOT n:{META} DETACH DELETE n"
"""Delete all data; the schema version stays, as the constraints do."""


def in_sequence(
    subqueries: Sequence[tuple[str, str | None]], *, then_lock: str | None = None
) -> str:
    """Write statements as one: each a CALL subquery, in order (each sees the ones before
    it); one whose rows are named (`collected`) returns them as `r{j}`, collected inside
    its own subquery so that it gives one row even when the batch returns none.

    With `then_lock` (a kind), the statement ends by locking node `$locked_key` of that
    kind as `lock_node` does, and returns its properties as `locked`: the lock is taken
    after the writes, in the same round trip."""
    parts: list[str] = []
    kept: list[str] = []
    for j, (statement, collected) in enumerate(subqueries):
        if collected:
            statement = f"CALL {{\n{statement}\n}}\nRETURN collect({collected}) AS r{j}"
            kept.append(f"r{j}")
        parts.append("CALL {\n" + statement + "\n}")
    if then_lock is not None:
        parts.append(
            f"MERGE (locked:{label(then_lock)} {{key: $locked_key}})\n"
            f"SET locked.{LOCK} = true\n"
            f"REMOVE locked.{LOCK}"
        )
        kept.append("properties(locked) AS locked")
    parts.append(f"RETURN {', '.join(kept)}" if kept else "RETURN true AS done")
    return "\n".join(parts)

"""A synthetic enterprise for tests, benchmarks and large demos: seeded and deterministic.

`size` people get about `size / 10` groups nested up to five deep, a management tree, about
`size / 2000` integrations holding `size` resources in hierarchies up to four deep, tags,
standing access (from groups and direct), JIT grants (some expired), access flows and a few
external users: about ten edges per person. The same size and seed give the same graph.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graph.store import GraphStore
from graph.values import NodeRef, UpsertEdge, UpsertNode, WriteOp

BATCH_SIZE = 5000
NOW = 1_700_000_000.0
"""The moment the generated JIT grants are relative to (half expired, half not)."""

_TAGS = ("prod", "staging", "dev", "pii", "pci")
_PERMISSIONS = (("read",), ("read",), ("read", "write"), ("admin",))
_MAX_GROUP_LEVEL = 5
_MAX_RESOURCE_LEVEL = 4


@dataclass(frozen=True)
class Shape:
    users: int
    groups: int
    integrations: int
    resources: int
    flows: int
    externals: int

    @classmethod
    def of(cls, size: int) -> Shape:
        if size < 10:
            raise ValueError(f"a synthetic enterprise needs at least 10 people, not `{size}`")
        return cls(
            users=size,
            groups=max(5, size // 10),
            integrations=max(2, size // 2000),
            resources=size,
            flows=max(2, size // 200),
            externals=max(1, size // 100),
        )


def generate(size: int, seed: int = 0, batch_size: int = BATCH_SIZE) -> Iterator[list[WriteOp]]:
    """Write-op batches: every node before any edge, each batch at most `batch_size` ops
    with like ops together (the Neo4j backend runs each run of like ops as one UNWIND)."""
    ops = _Enterprise(Shape.of(size), random.Random(seed)).ops()  # noqa: S311 - not secrets
    batch: list[WriteOp] = []
    for op in ops:
        batch.append(op)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def estimated_items(size: int) -> int:
    """About how many nodes and edges `generate(size)` writes (for progress bars)."""
    shape = Shape.of(size)
    nodes = shape.users + shape.groups + shape.integrations + shape.resources + shape.flows
    return nodes + 8 * size


def load_synthetic(
    store: GraphStore,
    size: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the enterprise into `store`; `progress` hears the running count of items."""
    return store.import_batches(generate(size, seed), progress)


class _Enterprise:
    def __init__(self, shape: Shape, rng: random.Random) -> None:
        self.shape = shape
        self.rng = rng
        # Flows are planned up front: the node needs its whole definition, the edges later.
        plans = random.Random(rng.random())  # noqa: S311 - not secrets
        self.flow_plans = [_FlowPlan.draw(f, shape, plans) for f in range(shape.flows)]

    def ops(self) -> Iterator[WriteOp]:
        yield from self._nodes()
        for phase in (
            self._groups_nested,
            self._memberships,
            self._managers,
            self._resource_tree,
            self._standing_access,
            self._jit_grants,
            self._flows,
        ):
            yield from _like_ops_together(phase())

    def _nodes(self) -> Iterator[WriteOp]:
        s, rng = self.shape, self.rng
        for u in range(s.users):
            props: dict[str, object] = {"email": f"u{u}@corp.example", "name": f"User {u}"}
            if rng.random() < 0.005:
                props["disabled"] = True
            yield UpsertNode("User", f"u{u}", props)
        for g in range(s.groups):
            yield UpsertNode("Group", f"g{g}", {"name": f"group-{g}", "source": "scim"})
        for x in range(s.externals):
            yield UpsertNode("ExternalUser", f"x{x}", {"email": f"x{x}@partner.example"})
        for i in range(s.integrations):
            yield UpsertNode("Integration", f"i{i}", {"name": f"int-{i}", "type": "postgres"})
        for r in range(s.resources):
            tags = sorted(set(rng.sample(_TAGS, rng.randint(0, 2))))
            if rng.random() < 0.05:
                tags.append("sensitive")
            yield UpsertNode("Resource", f"r{r}", {"name": f"res-{r}", "type": "db", "tags": tags})
        for plan in self.flow_plans:
            yield UpsertNode(
                "AccessFlow",
                plan.key,
                {"name": plan.name, "definition": plan.definition(), "enabled": plan.enabled},
            )

    def _groups_nested(self) -> Iterator[UpsertEdge]:
        """Group g sits at level g % 5 under a group one level up, so chains are <= 5 deep."""
        for g in range(_MAX_GROUP_LEVEL, self.shape.groups):
            if g % _MAX_GROUP_LEVEL == 0:
                continue
            parent = g - 1 - _MAX_GROUP_LEVEL * self.rng.randrange((g - 1) // _MAX_GROUP_LEVEL + 1)
            yield _edge("MEMBER_OF", ("Group", f"g{g}"), ("Group", f"g{parent}"))

    def _memberships(self) -> Iterator[UpsertEdge]:
        s, rng = self.shape, self.rng
        for u in range(s.users):
            for g in sorted(set(rng.choices(range(s.groups), k=rng.randint(1, 4)))):
                yield _edge("MEMBER_OF", ("User", f"u{u}"), ("Group", f"g{g}"))
        for x in range(s.externals):
            yield _edge(
                "MEMBER_OF", ("ExternalUser", f"x{x}"), ("Group", f"g{rng.randrange(s.groups)}")
            )

    def _managers(self) -> Iterator[UpsertEdge]:
        for u in range(1, self.shape.users):
            yield _edge("REPORTS_TO", ("User", f"u{u}"), ("User", f"u{(u - 1) // 8}"))

    def _resource_tree(self) -> Iterator[UpsertEdge]:
        s, rng = self.shape, self.rng
        level = [0] * s.resources
        for r in range(s.resources):
            earlier = r - s.integrations * (1 + rng.randrange(8))
            if (
                r >= s.integrations * 4
                and earlier >= 0
                and level[earlier] < _MAX_RESOURCE_LEVEL - 1
            ):
                level[r] = level[earlier] + 1
                yield _edge("PART_OF", ("Resource", f"r{r}"), ("Resource", f"r{earlier}"))
            else:
                yield _edge(
                    "PART_OF", ("Resource", f"r{r}"), ("Integration", f"i{r % s.integrations}")
                )

    def _standing_access(self) -> Iterator[UpsertEdge]:
        s, rng = self.shape, self.rng
        for g in range(s.groups):
            for n in range(5):
                on_integration = rng.random() < 0.002
                target = (
                    ("Integration", f"i{rng.randrange(s.integrations)}")
                    if on_integration
                    else ("Resource", f"r{rng.randrange(s.resources)}")
                )
                yield _grant(f"sg{g}-{n}", ("Group", f"g{g}"), target, rng, standing=True)
        for u in range(s.users):
            for n in range(2):
                target = ("Resource", f"r{rng.randrange(s.resources)}")
                yield _grant(f"su{u}-{n}", ("User", f"u{u}"), target, rng, standing=True)

    def _jit_grants(self) -> Iterator[UpsertEdge]:
        s, rng = self.shape, self.rng
        holders = [("User", f"u{u}") for u in range(s.users)]
        holders += [("ExternalUser", f"x{x}") for x in range(s.externals)]
        for n, holder in enumerate(holders):
            target = ("Resource", f"r{rng.randrange(s.resources)}")
            expires_at = NOW + rng.uniform(-8, 8) * 3600
            yield _grant(f"j{n}", holder, target, rng, expires_at=expires_at)

    def _flows(self) -> Iterator[UpsertEdge]:
        for plan in self.flow_plans:
            flow = ("AccessFlow", plan.key)
            for g in plan.groups:
                yield _edge("ALLOWS", flow, ("Group", g))
            for i in plan.integrations:
                yield _edge("COVERS", flow, ("Integration", i))
            for r in plan.resources:
                yield _edge("COVERS", flow, ("Resource", r))


@dataclass(frozen=True)
class _FlowPlan:
    """One generated access flow: its requestor groups and targets, and its definition."""

    key: str
    everyone: bool
    enabled: bool
    groups: tuple[str, ...]
    integrations: tuple[str, ...]
    resources: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"flow-{self.key}"

    @classmethod
    def draw(cls, f: int, s: Shape, rng: random.Random) -> _FlowPlan:
        groups = tuple(f"g{g}" for g in sorted(set(rng.choices(range(s.groups), k=2))))
        integrations: tuple[str, ...] = ()
        resources: tuple[str, ...] = ()
        if rng.random() < 0.3:
            integrations = (f"i{rng.randrange(s.integrations)}",)
        else:
            chosen = sorted(set(rng.choices(range(s.resources), k=3)))
            resources = tuple(f"r{r}" for r in chosen)
        enabled = f == 0 or rng.random() > 0.1
        return cls(f"f{f}", f == 0, enabled, groups, integrations, resources)

    def definition(self) -> str:
        """The flow as policies.flows.AccessFlow reads it (graph does not import policies)."""
        return json.dumps(
            {
                "key": self.key,
                "name": self.name,
                "everyone": self.everyone,
                "requestor_groups": list(self.groups),
                "integrations": list(self.integrations),
                "resources": list(self.resources),
                "permissions": ["read"],
                "max_duration_minutes": 240,
                "justification_required": True,
                "enabled": self.enabled,
            },
            sort_keys=True,
        )


def _like_ops_together(ops: Iterator[UpsertEdge]) -> Iterator[UpsertEdge]:
    """The same edges, those of one kind between the same node kinds next to each other."""
    runs: dict[tuple[str, str, str], list[UpsertEdge]] = {}
    for op in ops:
        runs.setdefault((op.kind, op.src.kind, op.dst.kind), []).append(op)
    for run in runs.values():
        yield from run


def _edge(kind: str, src: tuple[str, str], dst: tuple[str, str]) -> UpsertEdge:
    return UpsertEdge(kind, NodeRef(*src), NodeRef(*dst))


def _grant(
    key: str,
    holder: tuple[str, str],
    target: tuple[str, str],
    rng: random.Random,
    *,
    standing: bool = False,
    expires_at: float | None = None,
) -> UpsertEdge:
    props: dict[str, object] = {"grant": key, "permissions": list(rng.choice(_PERMISSIONS))}
    if standing:
        props["standing"] = True
    if expires_at is not None:
        props["expires_at"] = expires_at
    if rng.random() < 0.5:
        props["last_used_at"] = NOW - rng.uniform(0, 30) * 86400
    return UpsertEdge("HAS_ACCESS", NodeRef(*holder), NodeRef(*target), key, props)

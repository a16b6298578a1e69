"""The current step of a request's approval plan: who may approve, and whether the
approvals so far complete it.

A step is kept as what it names (users, groups, the manager), not as the people in those
groups: deciding an approval needs only the approvers' own groups, so a step naming a
group of thousands costs the same as one naming a single user. Only notices and the
check at request time look for members, and the check stops at the first it finds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from graph import GraphStore, Node, NodeRef, UnknownNode
from policies.flows import AccessFlow

MANAGER = "the requester's manager"

# Who approved, with every group they are in (nested ones too).
Approvals = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Need:
    """One approval a step requires: from user `key`, from a member of group `key`,
    (`kind` manager) from the requester's manager, whose key is `key` ("" when none), or
    (`kind` stand-in) from anyone else the step names, in place of user `key`, who may
    not approve this request (its requester or beneficiary)."""

    kind: str  # user | group | manager | stand-in
    key: str
    among_users: frozenset[str] = frozenset()  # stand-in: the step's named users
    among_groups: frozenset[str] = frozenset()  # stand-in: the step's groups

    @property
    def label(self) -> str:
        if self.kind == "stand-in":
            return f"someone else the step names, in place of `{self.key}`"
        return MANAGER if self.kind == "manager" else self.key

    def met_by(self, person: str, groups: frozenset[str]) -> bool:
        if self.kind == "group":
            return self.key in groups
        if self.kind == "stand-in":
            return person in self.among_users or bool(groups & self.among_groups)
        return bool(self.key) and person == self.key


@dataclass(frozen=True)
class StepPlan:
    """Step `index` (of `count`) of a request's plan.

    `users` and `groups` are what the API policies check an approver against (the step's,
    plus the escalation tier's once escalated); `needs` and `mode` decide when the step is
    complete; an approval from the escalation tier completes it too. `excluded` (the
    requester and the beneficiary) never count.
    """

    index: int
    count: int
    mode: str
    needs: tuple[Need, ...]
    excluded: frozenset[str]
    escalation_users: frozenset[str] = frozenset()
    escalation_groups: frozenset[str] = frozenset()

    @property
    def last(self) -> bool:
        return self.index + 1 >= self.count

    @property
    def users(self) -> frozenset[str]:
        named = {n.key for n in self.needs if n.kind in ("user", "manager") and n.key}
        return frozenset(named) | self.escalation_users

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(n.key for n in self.needs if n.kind == "group") | self.escalation_groups

    def complete(self, approvals: Approvals) -> bool:
        """Whether `approvals` (this step's, one entry per person) complete the step."""
        given = {p: g for p, g in approvals.items() if p not in self.excluded}
        for person, groups in given.items():
            if person in self.escalation_users or groups & self.escalation_groups:
                return True
        if self.mode == "any":
            return any(n.met_by(p, g) for n in self.needs for p, g in given.items())
        return bool(self.needs) and _assign(self.needs, given) == len(self.needs)

    def stuck(self, store: GraphStore) -> str | None:
        """Why nobody could ever complete this step, or None when someone can."""
        if _first(_people(store, self.escalation_users, self.escalation_groups), self.excluded):
            return None
        if not self.needs:
            return "it names no one who may approve"
        open_needs = [n for n in self.needs if not _first(_need_people(store, n), self.excluded)]
        if self.mode == "any" and len(open_needs) == len(self.needs):
            return "it names no one who may approve"
        if self.mode == "all" and open_needs:
            return f"nobody can approve for `{open_needs[0].label}`"
        if self.mode == "all" and not self._fillable(store):
            return "its approvals need more distinct people than it names (one person counts once)"
        return None

    def _fillable(self, store: GraphStore) -> bool:
        """Whether distinct eligible people could meet every need at once. Each need looks
        at no more than len(needs) candidates: with that many, it can always be matched
        (Hall's condition), so a group of thousands costs the same as a small one."""
        size = len(self.needs)
        candidates = [
            list(islice(_eligible(_need_people(store, n), self.excluded), size)) for n in self.needs
        ]
        return _matched(candidates) == size

    def people(self, store: GraphStore) -> frozenset[str]:
        """Every enabled user whose approval counts in this step now (for notices)."""
        found: set[str] = set(_people(store, self.escalation_users, self.escalation_groups))
        for need in self.needs:
            found.update(_need_people(store, need))
        return frozenset(found - self.excluded)


def _assign(needs: tuple[Need, ...], given: Approvals) -> int:
    """How many needs distinct people in `given` meet at once (one person counts once):
    a bipartite matching by augmenting paths; steps are small."""
    people = sorted(given)
    return _matched([[p for p in people if need.met_by(p, given[p])] for need in needs])


def _matched(candidates: Sequence[Sequence[str]]) -> int:
    """How many places get a distinct person, place `i` taking one of `candidates[i]`:
    a maximum bipartite matching by augmenting paths (Kuhn's); steps are small."""
    holder: dict[str, int] = {}

    def place(index: int, tried: set[str]) -> bool:
        for person in candidates[index]:
            if person in tried:
                continue
            tried.add(person)
            if person not in holder or place(holder[person], tried):
                holder[person] = index
                return True
        return False

    return sum(1 for index in range(len(candidates)) if place(index, set()))


def step_plan(
    store: GraphStore,
    flow: AccessFlow,
    index: int,
    *,
    requester: NodeRef,
    beneficiary: str,
    escalated: bool = False,
    manager: str | None = None,
) -> StepPlan:
    """Step `index` of `flow` for a request by `requester` for `beneficiary`; neither of
    them ever counts as an approver. `manager` saves a graph read when known."""
    steps = flow.steps
    excluded = frozenset({requester.key, beneficiary})
    needs: list[Need] = []
    mode = "any"
    if 0 <= index < len(steps):
        step, mode = steps[index], steps[index].mode
        needs = [Need("user", u) for u in step.approvers]
        if mode == "all":
            # All-of means as many distinct approvals as the step names: a named requester
            # or beneficiary, who may not approve, leaves a place someone else must fill,
            # never one approval fewer.
            users, groups = frozenset(step.approvers), frozenset(step.approver_groups)
            needs = [
                Need("stand-in", n.key, users, groups) if n.key in excluded else n for n in needs
            ]
        needs += [Need("group", g) for g in step.approver_groups]
        if step.manager:
            needs.append(Need("manager", manager or manager_of(store, requester) or ""))
    return StepPlan(
        index=index,
        count=len(steps),
        mode=mode,
        needs=tuple(needs),
        excluded=excluded,
        escalation_users=frozenset(flow.escalation_users if escalated else ()),
        escalation_groups=frozenset(flow.escalation_groups if escalated else ()),
    )


def request_plan(
    store: GraphStore, flow: AccessFlow, request: Node, requester: NodeRef
) -> StepPlan:
    """The plan of pending `request` at the step it has reached."""
    props = request.props
    return step_plan(
        store,
        flow,
        int(props.get("approval_step") or 0),
        requester=requester,
        beneficiary=str(props.get("beneficiary") or requester.key),
        escalated=bool(props.get("escalated")),
    )


def manager_of(store: GraphStore, identity: NodeRef) -> str | None:
    if identity.kind != "User":
        return None
    try:
        return store.identity_context(identity).manager
    except UnknownNode:
        return None


def members_of(store: GraphStore, groups: Iterable[str]) -> Iterator[str]:
    """The enabled users in `groups`, directly or through nested groups, found lazily."""
    seen: set[str] = set()
    todo = list(groups)
    while todo:
        group = todo.pop()
        if group in seen:
            continue
        seen.add(group)
        for edge in store.edges("MEMBER_OF", dst=NodeRef("Group", group)):
            if edge.src.kind == "Group":
                todo.append(edge.src.key)
            elif edge.src.kind == "User":
                yield from _enabled(store, [edge.src.key])


def _need_people(store: GraphStore, need: Need) -> Iterator[str]:
    if need.kind == "group":
        return members_of(store, [need.key])
    if need.kind == "stand-in":
        return _people(store, need.among_users, need.among_groups)
    return _enabled(store, [need.key])


def _people(store: GraphStore, users: Iterable[str], groups: Iterable[str]) -> Iterator[str]:
    yield from _enabled(store, users)
    yield from members_of(store, groups)


def _eligible(people: Iterator[str], excluded: frozenset[str]) -> Iterator[str]:
    seen: set[str] = set()
    for person in people:
        if person not in excluded and person not in seen:
            seen.add(person)
            yield person


def _first(people: Iterator[str], excluded: frozenset[str]) -> str | None:
    return next((p for p in people if p not in excluded), None)


def _enabled(store: GraphStore, keys: Iterable[str]) -> Iterator[str]:
    for key in keys:
        user = store.get_node("User", key) if key else None
        if user is not None and not user.props.get("disabled"):
            yield user.key

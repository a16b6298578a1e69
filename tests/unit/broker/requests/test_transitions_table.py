"""The request state machine: the table of DESIGN.md, and one module that moves requests."""

from __future__ import annotations

import ast
from itertools import product
from pathlib import Path

import pytest

from broker import Services
from broker.errors import StateConflict
from broker.requests._transitions import Move, move_through
from broker.requests.states import TRANSITIONS, RequestState, can_move
from graph import UpsertNode

S = RequestState
ALLOWED = {
    (S.PENDING, S.APPROVED),
    (S.PENDING, S.REJECTED),
    (S.PENDING, S.CANCELLED),
    (S.PENDING, S.TIMED_OUT),
    (S.APPROVED, S.GRANTING),
    (S.APPROVED, S.CANCELLED),
    (S.GRANTING, S.GRANTED),
    (S.GRANTING, S.FAILED),
    (S.GRANTED, S.EXPIRED),
    (S.GRANTED, S.REVOKED),
}
REFUSED = sorted(set(product(S, S)) - ALLOWED)
BROKER = Path(__file__).resolve().parents[4] / "broker"


def _stored(
    services: Services, key: str, state: RequestState, **extra: object
) -> dict[str, object]:
    """A bare request in `state`, written directly (no use case): what moves act on."""
    props = {"requester": "r", "resource": "x", "state": state.value, "created_at": 0.0, **extra}
    services.store.write([UpsertNode("AccessRequest", key, props)])
    return props


def test_the_table_allows_exactly_the_transitions_of_the_design() -> None:
    """Every pair the design draws, and no other: ends have no way out."""
    table = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert table == ALLOWED
    assert {pair for pair in product(S, S) if can_move(*pair)} == ALLOWED


@pytest.mark.parametrize(("source", "target"), REFUSED, ids=lambda s: str(s))
def test_every_other_move_is_refused_and_changes_nothing(
    services: Services, source: RequestState, target: RequestState
) -> None:
    """A move the table does not allow raises StateConflict before it writes anything."""
    key = f"req_{source}_{target}"
    before = _stored(services, key, source)
    with pytest.raises(StateConflict, match=f"cannot go from {source} to {target}"):
        move_through(services.store, key, [Move(source, target, {"ended_at": 1.0})])
    after = services.store.get_node("AccessRequest", key)
    assert after is not None and after.props == before


def test_a_move_cannot_set_or_expect_the_state_by_hand() -> None:
    """The state is what source and target say: props or expectations naming it are bugs."""
    with pytest.raises(ValueError, match="may not name the state"):
        Move(S.PENDING, S.APPROVED, {"state": "GRANTED"})
    with pytest.raises(ValueError, match="may not name the state"):
        Move(S.PENDING, S.APPROVED, expect={"state": "APPROVED"})


def test_a_move_expecting_a_changed_prop_loses_and_changes_nothing(services: Services) -> None:
    """Extra expectations (a step, a version, `expires_at`) are part of the compare-and-set."""
    before = _stored(services, "req_x", S.GRANTED, expires_at=2.0)
    move = Move(S.GRANTED, S.EXPIRED, {"ended_at": 1.0}, expect={"expires_at": 1.0})
    with pytest.raises(StateConflict, match="still GRANTED but its expires_at changed"):
        move_through(services.store, "req_x", [move])
    after = services.store.get_node("AccessRequest", "req_x")
    assert after is not None and after.props == before
    move_through(services.store, "req_x", [Move(S.GRANTED, S.EXPIRED, expect={"expires_at": 2.0})])
    assert services.store.get_node("AccessRequest", "req_x").props["state"] == "EXPIRED"


# --- only broker/requests/_transitions.py writes a request's state ------------------------------

_WRITES = ("SetProps", "UpsertNode")
# Creating a request is not a transition: it is born PENDING, in one place.
_BIRTH = ("requests/_new_request.py", "UpsertNode", "RequestState.PENDING.value")


def state_writes(source: str) -> list[tuple[int, str, str]]:
    """(line, op, state value) of each SetProps/UpsertNode in `source` that may write a
    request's `state`: the kind is "AccessRequest" or not a literal (`node.kind`), and the
    props (third argument or `props=`) are a dict naming "state", or a name a dict naming
    "state" was bound to or updated with in the same module."""
    tree = ast.parse(source)
    carrying = _names_carrying_state(tree)
    found = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and _called(call) in _WRITES):
            continue
        kind = call.args[0] if call.args else None
        if isinstance(kind, ast.Constant) and kind.value != "AccessRequest":
            continue
        props = call.args[2] if len(call.args) > 2 else _keyword(call, "props")
        value = _state_value(props, carrying)
        if value is not None:
            found.append((call.lineno, _called(call), value))
    return found


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _dict_state(node: ast.AST | None, carrying: dict[str, str]) -> str | None:
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "state":
                return ast.unparse(value)
            if key is None and isinstance(value, ast.Name) and value.id in carrying:
                return carrying[value.id]  # {**props, ...}
    if isinstance(node, ast.BinOp):  # a | b
        return _dict_state(node.left, carrying) or _dict_state(node.right, carrying)
    return None


def _state_value(node: ast.AST | None, carrying: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return carrying.get(node.id)
    return _dict_state(node, carrying)


def _names_carrying_state(tree: ast.AST) -> dict[str, str]:
    """Names bound to, merged with or subscripted with a "state" entry anywhere."""
    carrying: dict[str, str] = {}
    for _ in range(3):  # names built from names: a few rounds reach a fixed point
        for node in ast.walk(tree):
            target, value = None, None
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found = _state_value(node.value, carrying)
                        if found is not None:
                            carrying[target.id] = found
                    elif (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and isinstance(target.slice, ast.Constant)
                        and target.slice.value == "state"
                        and node.value is not None
                    ):
                        carrying[target.value.id] = ast.unparse(node.value)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("update", "setdefault")
                and isinstance(node.func.value, ast.Name)
            ):
                value = node.args[0] if node.args else None
                found = _dict_state(value, carrying)
                if node.func.attr == "setdefault" and isinstance(value, ast.Constant):
                    found = "state" if value.value == "state" else None
                if found is not None or _keyword(node, "state") is not None:
                    carrying[node.func.value.id] = found or "state"
    return carrying


def test_the_state_write_finder_finds_raw_state_writes() -> None:
    """The finder below is only as good as what it catches: raw writes in every shape."""
    raw = """
def approve(node, key):
    direct = SetProps("AccessRequest", key, {"state": "APPROVED"}, {"state": "PENDING"})
    props = {"decided_at": 1}
    props["state"] = "APPROVED"
    SetProps(node.kind, node.key, props)
    more = {"version": 2}
    more.update({"state": "REJECTED"})
    graph.SetProps(kind="AccessRequest", key=key, props={**more, "x": 1})
    merged = {"a": 1} | {"state": "FAILED"}
    store.write([UpsertNode("AccessRequest", key, merged)])
    SetProps("User", key, {"state": "on"})
    SetProps("AccessRequest", key, {"version": 3}, {"state": "PENDING"})
"""
    assert [(line, op) for line, op, _ in state_writes(raw)] == [
        (3, "SetProps"),
        (6, "SetProps"),
        (9, "SetProps"),
        (11, "UpsertNode"),
    ]


def test_no_module_but_the_transitions_writes_a_request_state() -> None:
    """Every change of a request's state goes through broker/requests/_transitions.py (the table,
    the compare-and-set); a request is created PENDING in one place, and nowhere else."""
    raw: list[str] = []
    for path in sorted(BROKER.rglob("*.py")):
        name = path.relative_to(BROKER).as_posix()
        if name == "requests/_transitions.py":
            continue
        for line, op, value in state_writes(path.read_text()):
            if (name, op, value) != _BIRTH:
                raw.append(f"broker/{name}:{line}: {op} writes state = {value}")
    assert raw == [], "write the state through broker.requests._transitions (move_through)"
    births = state_writes((BROKER / _BIRTH[0]).read_text())
    assert [(op, value) for _, op, value in births] == [_BIRTH[1:]]

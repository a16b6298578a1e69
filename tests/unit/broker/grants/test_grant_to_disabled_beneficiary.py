"""A grant is written only while its beneficiary is enabled: one disabled or removed while
the access was being provisioned ends the request FAILED, with the access taken back."""

from __future__ import annotations

import importlib

import pytest

from broker import GrantFailed, Services, audit
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.grants.complete_task import complete_task
from broker.identities.disable_user import disable_user
from broker.integrations import task_key
from graph import DeleteNode, GraphStore, NodeRef, SetProps
from tests.support.grants_lab import access_keys, add_lab, ask, state_of

# `broker.grants.grant_request` names the use case too: take the module itself.
granting = importlib.import_module("broker.grants._write")


@pytest.fixture
def manual(wired: Services) -> Services:
    add_lab(wired, type_="manual", config={"fulfillers": [DEMO_APPROVER]})
    return wired


def _reason(services: Services, key: str) -> str:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return str(node.props.get("reason", ""))


def test_completing_a_grant_task_for_a_user_disabled_meanwhile_fails_the_request(
    manual: Services,
) -> None:
    request = ask(manual)
    assert state_of(manual, request.key) == "GRANTING"
    disable_user(manual, actor=DEMO_ADMIN, user=DEMO_GRANTEE, reason="left the company")
    assert state_of(manual, request.key) == "GRANTING", "disabling leaves a grant in flight"

    grant_task = task_key(request.key, "grant")
    with pytest.raises(GrantFailed, match=f"beneficiary `{DEMO_GRANTEE}` was disabled"):
        complete_task(manual, actor=DEMO_APPROVER, task=grant_task, note="role granted")

    assert state_of(manual, request.key) == "FAILED"
    assert "disabled or removed" in _reason(manual, request.key)
    assert access_keys(manual) == [], "no HAS_ACCESS edge is left behind"
    assert manual.store.get_node("Grant", request.key) is None
    done = manual.store.get_node("Task", grant_task)
    assert done is not None and done.props["state"] == "done", "the task closes in that write"
    revoke = manual.store.get_node("Task", task_key(request.key, "revoke"))
    assert revoke is not None and revoke.props["state"] == "open", "the hand-given access goes"
    kinds = [e.kind for e in audit.read_events(manual.store)]
    assert kinds[-3:] == ["task.done", "grant.failed", "task.opened"]


def test_a_beneficiary_removed_from_the_directory_meanwhile_gets_no_grant(
    manual: Services,
) -> None:
    request = ask(manual)
    manual.store.write([DeleteNode("User", DEMO_GRANTEE)])
    with pytest.raises(GrantFailed, match="disabled or removed"):
        complete_task(manual, actor=DEMO_APPROVER, task=task_key(request.key, "grant"))
    assert state_of(manual, request.key) == "FAILED"
    assert manual.store.get_node("Grant", request.key) is None


def test_a_disable_landing_between_the_check_and_the_write_loses_the_compare_and_set(
    manual: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check and the grant are one compare-and-set: a disable committed after the read
    but before the write makes the write lose, and the request fails."""
    request = ask(manual)
    real = granting._entitled
    calls: list[NodeRef] = []

    def read_then_disable(store: GraphStore, identity: NodeRef) -> SetProps | None:
        found = real(store, identity)
        if not calls:
            store.write([SetProps("User", identity.key, {"disabled": True})])
        calls.append(identity)
        return found

    monkeypatch.setattr(granting, "_entitled", read_then_disable)
    with pytest.raises(GrantFailed):
        complete_task(manual, actor=DEMO_APPROVER, task=task_key(request.key, "grant"))
    assert len(calls) == 2, "the lost write reads the beneficiary again"
    assert state_of(manual, request.key) == "FAILED"
    assert access_keys(manual) == []


def test_an_enabled_beneficiary_whose_other_props_change_is_still_granted(
    manual: Services,
) -> None:
    request = ask(manual)
    manual.store.write([SetProps("User", DEMO_GRANTEE, {"disabled": False, "name": "Linus T"})])
    complete_task(manual, actor=DEMO_APPROVER, task=task_key(request.key, "grant"))
    assert state_of(manual, request.key) == "GRANTED"
    assert access_keys(manual) == [request.key]

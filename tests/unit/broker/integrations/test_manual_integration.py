"""The manual integration: a fulfiller's task grants the access, expiry opens a revoke task."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker import Forbidden, Services, StateConflict, audit, expire_due_grants
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from broker.errors import InvalidInput
from broker.grants.complete_task import complete_task
from broker.integrations import task_key
from broker.integrations.save_integration import save_integration
from broker.jobs.recover_grants import recover_grants
from broker.notify import NoticeKind, Notifier, OutboxMailer
from graph import Node
from tests.support.clock import ManualClock
from tests.support.grants_lab import access_keys, add_lab, ask, state_of
from tests.support.notices import KeptNotices


@pytest.fixture
def manual(wired: Services) -> Services:
    add_lab(wired, type_="manual", config={"fulfillers": [DEMO_APPROVER]})
    return wired


def _task(services: Services, key: str) -> Node:
    node = services.store.get_node("Task", key)
    assert node is not None
    return node


def test_the_request_waits_granting_until_the_fulfiller_marks_the_task_done(
    manual: Services, clock: ManualClock
) -> None:
    request = ask(manual, minutes=30)
    assert request.props["state"] == "GRANTING"
    assert access_keys(manual) == []
    task = _task(manual, task_key(request.key, "grant"))
    assert (task.props["state"], task.props["assignees"]) == ("open", [DEMO_APPROVER])

    clock.advance(600)  # the fulfiller takes ten minutes
    done = complete_task(
        manual, actor=DEMO_APPROVER, task=task.key, note="role granted in the lab DB"
    )
    assert done.props["state"] == "done"
    node = manual.store.get_node("AccessRequest", request.key)
    assert node is not None and node.props["state"] == "GRANTED"
    assert node.props["expires_at"] == clock() + 30 * 60, "the expiry counts from the task"
    assert access_keys(manual) == [request.key]
    kinds = [e.kind for e in audit.read_events(manual.store)]
    assert kinds[-2:] == ["task.done", "grant.granted"]


def test_only_assignees_or_admins_complete_a_task_and_only_once(manual: Services) -> None:
    request = ask(manual)
    key = task_key(request.key, "grant")
    for outsider in (DEMO_GRANTEE, DEMO_AUDITOR):
        with pytest.raises(Forbidden):
            complete_task(manual, actor=outsider, task=key)
    assert state_of(manual, request.key) == "GRANTING"
    complete_task(manual, actor=DEMO_ADMIN, task=key)
    with pytest.raises(StateConflict, match=f"task `{key}` is done already"):
        complete_task(manual, actor=DEMO_APPROVER, task=key)


def test_at_expiry_the_access_edge_goes_and_a_revoke_task_records_the_real_revoke(
    manual: Services, clock: ManualClock
) -> None:
    request = ask(manual, minutes=5)
    complete_task(manual, actor=DEMO_APPROVER, task=task_key(request.key, "grant"))
    clock.advance(5 * 60)
    assert expire_due_grants(manual) == [request.key]
    assert access_keys(manual) == []
    revoke = _task(manual, task_key(request.key, "revoke"))
    assert revoke.props["state"] == "open"
    complete_task(manual, actor=DEMO_APPROVER, task=revoke.key, note="role dropped")
    assert _task(manual, revoke.key).props["done_by"] == DEMO_APPROVER
    assert state_of(manual, request.key) == "EXPIRED"


def test_a_manual_integration_needs_enabled_fulfillers(wired: Services) -> None:
    with pytest.raises(InvalidInput, match="needs `fulfillers`"):
        save_integration(wired, actor=DEMO_ADMIN, key="m", name="M", type="manual", config={})
    with pytest.raises(InvalidInput, match="fulfiller `ghost@x` of integration `m`"):
        save_integration(
            wired,
            actor=DEMO_ADMIN,
            key="m",
            name="M",
            type="manual",
            config={"fulfillers": ["ghost@x"]},
        )
    assert wired.store.get_node("Integration", "m") is None


def test_fulfillers_are_mailed_a_task_with_a_link_once(manual: Services, tmp_path: Path) -> None:
    notifier = Notifier(mailer=OutboxMailer(tmp_path), public_url="https://keyturn.example")
    kept = KeptNotices()
    manual.notifier = kept
    request = ask(manual)
    recover_grants(manual, grace=0)  # asks the integration again: no second task, no mail
    (notice,) = [n for n in kept.notices if n.kind is NoticeKind.TASK_OPENED]
    assert notice.assignees == (DEMO_APPROVER,)
    (mail,) = notifier.messages(notice)
    notifier.close()
    assert mail["To"] == DEMO_APPROVER
    assert mail["Subject"] == f"Task: grant access to lab/db for {DEMO_GRANTEE}"
    body = mail.get_content()
    assert task_key(request.key, "grant") in body
    assert f"https://keyturn.example/requests/{request.key}" in body

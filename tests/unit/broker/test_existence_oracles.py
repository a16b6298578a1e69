"""A caller who may not act on a request, a task or a user gets the same answer whether it
exists or not: the caller is authorized before anything about the target is told."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from broker import (
    DomainError,
    Services,
    access_details,
    approve_request,
    cancel_request,
    complete_task,
    extend_grant,
    reject_request,
    request_access,
    request_again,
    revoke_grant,
    revoke_grants,
    set_user_role,
)
from broker.demo import DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from graph import UpsertNode

ORDERS = "pg-prod/orders"  # auto-approved: GRANTED at once
PAYMENTS = "pg-prod/payments"  # Grace approves


def _answer(call: Callable[[], object]) -> tuple[str, str]:
    """The error code and message a call ends with (it must end with one)."""
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code, str(refused.value)


def _same(services: Services, existing: str, call: Callable[[str], object]) -> str:
    """Asserts `call` answers alike for `existing` and a missing id of the same shape;
    returns the code."""
    missing = "req_" + "0" * 32
    found = _answer(lambda: call(existing))
    gone = _answer(lambda: call(missing))
    assert found[0] == gone[0]
    assert found[1].replace(existing, "ID") == gone[1].replace(missing, "ID")
    return found[0]


@pytest.fixture
def granted(services: Services) -> str:
    return request_access(
        services, requester=DEMO_GRANTEE, resource=ORDERS, permissions=["read"]
    ).key


@pytest.fixture
def pending(services: Services) -> str:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=PAYMENTS,
        permissions=["read"],
        justification="ticket 7",
    ).key


def test_revoking_or_extending_someone_elses_grant_answers_as_for_a_missing_one(
    services: Services, granted: str
) -> None:
    for actor in (DEMO_APPROVER, DEMO_AUDITOR):
        code = _same(
            services, granted, lambda k, a=actor: revoke_grant(services, actor=a, request=k)
        )
        assert code == "forbidden"
        code = _same(
            services,
            granted,
            lambda k, a=actor: extend_grant(services, actor=a, request=k, minutes=5),
        )
        assert code == "forbidden"


def test_cancelling_or_asking_again_for_someone_elses_request_answers_as_for_a_missing_one(
    services: Services, pending: str
) -> None:
    code = _same(
        services, pending, lambda k: cancel_request(services, actor=DEMO_AUDITOR, request=k)
    )
    assert code == "forbidden"
    code = _same(
        services, pending, lambda k: request_again(services, requester=DEMO_AUDITOR, previous=k)
    )
    assert code == "forbidden"


def test_deciding_a_request_one_does_not_review_answers_as_for_a_missing_one(
    services: Services, pending: str
) -> None:
    for decide in (approve_request, reject_request):
        code = _same(
            services, pending, lambda k, d=decide: d(services, approver=DEMO_AUDITOR, request=k)
        )
        assert code == "forbidden"


def test_a_decided_requests_state_is_not_told_to_someone_who_does_not_review_it(
    services: Services, pending: str
) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=pending)
    code = _same(
        services, pending, lambda k: approve_request(services, approver=DEMO_AUDITOR, request=k)
    )
    assert code == "forbidden", "not `conflict`: that would say the request exists"


def test_access_details_of_someone_elses_grant_answer_as_for_a_missing_one(
    services: Services, granted: str
) -> None:
    code = _same(
        services, granted, lambda k: access_details(services, viewer=DEMO_APPROVER, request=k)
    )
    assert code == "forbidden"


def test_completing_someone_elses_task_answers_as_for_a_missing_one(services: Services) -> None:
    services.store.write(
        [
            UpsertNode(
                "Task",
                "task_1",
                {
                    "request": "req_x",
                    "action": "grant",
                    "state": "open",
                    "assignees": [DEMO_APPROVER],
                    "created_at": 0.0,
                },
            )
        ]
    )
    code = _same(services, "task_1", lambda k: complete_task(services, actor=DEMO_GRANTEE, task=k))
    assert code == "forbidden"


def test_bulk_revoke_by_a_non_admin_is_forbidden_whatever_it_names(
    services: Services, granted: str
) -> None:
    for actor in (DEMO_APPROVER, DEMO_AUDITOR):
        answers = {
            _answer(lambda a=actor: revoke_grants(services, actor=a, identity=DEMO_GRANTEE)),
            _answer(
                lambda a=actor: revoke_grants(services, actor=a, identity="nobody@acme.example")
            ),
            _answer(lambda a=actor: revoke_grants(services, actor=a, resource=ORDERS)),
            _answer(lambda a=actor: revoke_grants(services, actor=a, resource="no/such")),
        }
        assert {code for code, _ in answers} == {"forbidden"}
        assert len(answers) == 1, "one answer, whatever exists"


def test_setting_a_role_as_a_non_admin_is_forbidden_whatever_the_user_or_role(
    services: Services,
) -> None:
    answers = {
        _answer(
            lambda: set_user_role(services, actor=DEMO_GRANTEE, user=DEMO_APPROVER, role="admin")
        ),
        _answer(lambda: set_user_role(services, actor=DEMO_GRANTEE, user="no@x", role="admin")),
        _answer(lambda: set_user_role(services, actor=DEMO_GRANTEE, user="no@x", role="king")),
    }
    assert {code for code, _ in answers} == {"forbidden"}
    assert len({message.split("`")[0] for _, message in answers}) == 1

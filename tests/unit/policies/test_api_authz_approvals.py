"""API authorization of approvals: the current step's approvers decide, and neither the
requester nor the beneficiary ever does."""

from __future__ import annotations

import pytest

from policies.api_authz import ApiAuthorizer, ApiDecision, Caller, Target

REQUESTER = "gus@corp.com"
BENEFICIARY = "zoe@corp.com"


def _on_behalf(**kwargs: object) -> Target:
    """Request `r1` by Gus for Zoe, whose current step names Zoe, Ann and group `dba`."""
    fields: dict[str, object] = {
        "requester": REQUESTER,
        "flow": "db-readers",
        "approvers": frozenset({"ann@corp.com", BENEFICIARY}),
        "approver_groups": frozenset({"dba"}),
        "beneficiary": BENEFICIARY,
    }
    fields.update(kwargs)
    return Target.access_request("r1", **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def authorizer() -> ApiAuthorizer:
    return ApiAuthorizer()


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_the_beneficiary_never_decides_a_request_made_for_them(
    authorizer: ApiAuthorizer, action: str
) -> None:
    zoe = Caller(BENEFICIARY, role="grantee", groups=frozenset({"dba"}))
    decision = authorizer.authorize(zoe, action, _on_behalf())
    assert decision == ApiDecision(
        False,
        ("api:no-beneficiary-decision",),
        f"you cannot {action} request `r1`, which asks access for you",
    )


def test_another_approver_of_the_step_decides_a_request_made_on_behalf(
    authorizer: ApiAuthorizer,
) -> None:
    ann = Caller("ann@corp.com", role="grantee")
    assert authorizer.authorize(ann, "approve", _on_behalf()).allowed


def test_an_approver_of_another_step_is_not_named_in_the_target_and_is_refused(
    authorizer: ApiAuthorizer,
) -> None:
    later = Caller("lee@corp.com", role="grantee", groups=frozenset({"security"}))
    assert not authorizer.authorize(later, "approve", _on_behalf()).allowed
    next_step = _on_behalf(approvers=frozenset(), approver_groups=frozenset({"security"}))
    assert authorizer.authorize(later, "approve", next_step).allowed

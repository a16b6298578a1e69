"""API authorization: `api.cedar` says which role may call which operation on what."""

from __future__ import annotations

import cedarpy
import pytest

from policies.api_authz import (
    ACTIONS,
    ApiAuthorizer,
    ApiDecision,
    Caller,
    Target,
    api_policy_text,
    api_schema,
)

ADMIN = Caller("ada@corp.com", role="admin")
GRANTEE = Caller("gus@corp.com", role="grantee")
AUDITOR = Caller("amy@corp.com", role="auditor")
STRANGER = Caller("sam@corp.com", role="superuser")  # a role api.cedar does not know
EXTERNAL = Caller("eve@example.org", kind="ExternalUser", link="contractors")
OTHER = Target.user("zoe@corp.com")

# (caller, action, target, allowed)
ROLE_TABLE = [
    (ADMIN, "manageFlows", Target.access_flow("db-readers"), True),
    (GRANTEE, "manageFlows", Target.access_flow("db-readers"), False),
    (AUDITOR, "manageFlows", Target.access_flow("db-readers"), False),
    (ADMIN, "manageUsers", OTHER, True),
    (GRANTEE, "manageUsers", OTHER, False),
    (AUDITOR, "manageUsers", OTHER, False),
    (ADMIN, "viewFlows", Target.api(), True),
    (AUDITOR, "viewFlows", Target.api(), True),
    (GRANTEE, "viewFlows", Target.api(), False),
    (ADMIN, "viewAllGrants", Target.api(), True),
    (AUDITOR, "viewAllGrants", Target.api(), True),
    (GRANTEE, "viewAllGrants", Target.api(), False),
    (ADMIN, "viewAuditLog", Target.api(), True),
    (AUDITOR, "viewAuditLog", Target.api(), True),
    (GRANTEE, "viewAuditLog", Target.api(), False),
    (AUDITOR, "queryGraph", Target.api(), True),
    (GRANTEE, "queryGraph", Target.api(), False),
    (ADMIN, "issueToken", OTHER, True),
    (GRANTEE, "issueToken", OTHER, False),
    (GRANTEE, "issueToken", Target.user(GRANTEE.key), True),
    (AUDITOR, "issueToken", Target.user(AUDITOR.key), True),
    (ADMIN, "requestAccess", Target.api(), True),
    (GRANTEE, "requestAccess", Target.api(), True),
    (AUDITOR, "requestAccess", Target.api(), False),
    (EXTERNAL, "requestAccess", Target.access_link("contractors"), True),
    (EXTERNAL, "requestAccess", Target.access_link("interns"), False),
    (EXTERNAL, "requestAccess", Target.api(), False),
    (GRANTEE, "viewSelf", Target.user(GRANTEE.key), True),
    (AUDITOR, "viewSelf", Target.user(AUDITOR.key), True),
    (EXTERNAL, "viewSelf", Target("ExternalUser", EXTERNAL.key), True),
    (GRANTEE, "viewSelf", OTHER, False),
    (ADMIN, "viewSelf", OTHER, False),
    (STRANGER, "manageFlows", Target.access_flow("db-readers"), False),
    (STRANGER, "viewAllGrants", Target.api(), False),
    (STRANGER, "requestAccess", Target.api(), False),
    (Caller("nobody@corp.com"), "viewAuditLog", Target.api(), False),
]


def _request(**kwargs: object) -> Target:
    """Request `r1` by Gus under flow `db-readers`, approved by group `dba` or Ann."""
    fields: dict[str, object] = {
        "requester": GRANTEE.key,
        "flow": "db-readers",
        "approvers": frozenset({"ann@corp.com"}),
        "approver_groups": frozenset({"dba"}),
    }
    fields.update(kwargs)
    return Target.access_request("r1", **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def authorizer() -> ApiAuthorizer:
    return ApiAuthorizer()


def test_the_packaged_api_policies_match_their_schema() -> None:
    result = cedarpy.validate_policies(api_policy_text(), api_schema())
    assert result.validation_passed, result.errors


@pytest.mark.parametrize(("caller", "action", "target", "allowed"), ROLE_TABLE)
def test_each_role_may_call_exactly_its_operations(
    authorizer: ApiAuthorizer, caller: Caller, action: str, target: Target, allowed: bool
) -> None:
    decision = authorizer.authorize(caller, action, target)
    assert decision.allowed is allowed, decision
    assert bool(decision.reason) is not allowed
    assert decision.errors == ()


def test_every_api_action_is_declared_in_the_schema(authorizer: ApiAuthorizer) -> None:
    """An action missing from the schema would make its permits fail validation."""
    for action in ACTIONS:
        text = f'permit (principal, action == Action::"{action}", resource);'
        assert cedarpy.validate_policies(text, api_schema()).validation_passed, action


@pytest.mark.parametrize(
    ("caller", "groups", "allowed"),
    [
        (Caller("ann@corp.com", role="grantee"), frozenset(), True),  # named approver
        (Caller("dan@corp.com", role="grantee"), frozenset({"dba"}), True),  # approver group
        (Caller("dan@corp.com", role="grantee"), frozenset({"sales"}), False),
        (ADMIN, frozenset(), False),  # being an admin makes no one an approver
        (AUDITOR, frozenset(), False),
    ],
)
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_the_flows_approvers_decide_a_request(
    authorizer: ApiAuthorizer, caller: Caller, groups: frozenset[str], allowed: bool, action: str
) -> None:
    who = Caller(caller.key, role=caller.role, groups=groups)
    decision = authorizer.authorize(who, action, _request())
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reason == (
            "you are not an approver of flow `db-readers`, which decides request `r1`"
        )


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_self_approval_is_denied_even_for_an_admin_in_the_approver_group(
    authorizer: ApiAuthorizer, action: str
) -> None:
    admin = Caller(ADMIN.key, role="admin", groups=frozenset({"dba"}))
    own = _request(requester=ADMIN.key, approvers=frozenset({ADMIN.key}))
    decision = authorizer.authorize(admin, action, own)
    assert decision == ApiDecision(
        False, ("api:no-self-decision",), f"you cannot {action} your own request `r1`"
    )


def test_a_request_from_an_external_requester_can_be_approved(
    authorizer: ApiAuthorizer,
) -> None:
    dba = Caller("dan@corp.com", role="grantee", groups=frozenset({"dba"}))
    assert authorizer.authorize(dba, "approve", _request(requester=None)).allowed


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (GRANTEE, True),  # own request
        (Caller("ann@corp.com", role="grantee"), True),  # its approver
        (ADMIN, True),
        (AUDITOR, True),
        (Caller("dan@corp.com", role="grantee"), False),
    ],
)
def test_a_request_is_seen_by_its_requester_approvers_admins_and_auditors(
    authorizer: ApiAuthorizer, caller: Caller, allowed: bool
) -> None:
    decision = authorizer.authorize(caller, "viewRequest", _request())
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reason == "request `r1` is neither yours nor one you approve"


def test_only_the_requester_or_an_admin_revokes_a_grant(authorizer: ApiAuthorizer) -> None:
    assert authorizer.authorize(GRANTEE, "revoke", _request()).allowed
    assert authorizer.authorize(ADMIN, "revoke", _request()).allowed
    assert not authorizer.authorize(AUDITOR, "revoke", _request()).allowed


@pytest.mark.parametrize(
    ("caller", "action", "target", "reason"),
    [
        (GRANTEE, "manageFlows", Target.access_flow("x"), "only admins may manage access flows"),
        (
            GRANTEE,
            "viewAllGrants",
            Target.api(),
            "only admins and auditors may see everyone's grants",
        ),
        (AUDITOR, "requestAccess", Target.api(), "only admins and grantees may request access"),
        (GRANTEE, "issueToken", OTHER, "only admins may issue API tokens for someone else"),
        (ADMIN, "viewSelf", OTHER, "no one may see someone else's profile, requests and grants"),
    ],
)
def test_a_role_deny_names_the_roles_the_policies_permit(
    authorizer: ApiAuthorizer, caller: Caller, action: str, target: Target, reason: str
) -> None:
    assert authorizer.authorize(caller, action, target).reason == reason


@pytest.mark.parametrize("caller", [ADMIN, GRANTEE, AUDITOR, STRANGER])
def test_an_unknown_operation_is_denied_by_default(
    authorizer: ApiAuthorizer, caller: Caller
) -> None:
    decision = authorizer.authorize(caller, "dropDatabase", Target.api())
    assert decision == ApiDecision(
        False, reason="`dropDatabase` is not an operation of the Keyturn API"
    )


def test_no_matching_policy_denies(authorizer: ApiAuthorizer) -> None:
    empty = ApiAuthorizer(cedarpy.PolicySet.from_str(""))
    assert not empty.authorize(ADMIN, "manageFlows", Target.api()).allowed
    assert not empty.authorize(ADMIN, "viewSelf", Target.user(ADMIN.key)).allowed


def test_a_policy_that_errors_never_allows() -> None:
    broken = ApiAuthorizer(
        cedarpy.PolicySet.from_str(
            '@id("bad") permit (principal, action, resource) when { resource.missing == 1 };'
        )
    )
    decision = broken.authorize(ADMIN, "viewAuditLog", Target.api())
    assert not decision.allowed
    assert decision.errors


def test_a_remembered_decision_is_the_one_cedar_gives_and_follows_each_input() -> None:
    authorizer = ApiAuthorizer()
    for caller, action, target, allowed in ROLE_TABLE:
        first = authorizer.authorize(caller, action, target)
        again = authorizer.authorize(caller, action, target)
        assert first == again == ApiAuthorizer().authorize(caller, action, target)
        assert first.allowed is allowed
    # The same person, demoted, and an approval whose approvers changed: new answers at once.
    assert authorizer.authorize(ADMIN, "manageFlows", Target.access_flow("f")).allowed
    demoted = Caller(ADMIN.key, role="grantee")
    assert not authorizer.authorize(demoted, "manageFlows", Target.access_flow("f")).allowed
    ann = Caller("ann@corp.com", role="grantee")
    assert authorizer.authorize(ann, "approve", _request()).allowed
    moved = _request(approvers=frozenset({"bob@corp.com"}), approver_groups=frozenset())
    assert not authorizer.authorize(ann, "approve", moved).allowed


def test_the_remembered_decisions_are_bounded() -> None:
    from policies.api_authz import DECISIONS_KEPT

    authorizer = ApiAuthorizer()
    for n in range(DECISIONS_KEPT + 100):
        authorizer.authorize(GRANTEE, "viewSelf", Target.user(f"u{n}@corp.com"))
    assert authorizer._decided.cache_info().currsize == DECISIONS_KEPT

"""Every use case that acts for a person asks the API policies itself: called directly (not
through GraphQL) as an admin, a grantee, an auditor or a disabled user, it allows and refuses
exactly what the API does, and a refusal changes nothing stored.

One table drives it: a use case that takes a caller (`actor`, `viewer`, `approver`,
`requester`, `user`) and has no row here, nor a reason in NOT_PERSON_FACING, fails the test.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import broker
from broker import (
    DomainError,
    Forbidden,
    Services,
    access_details,
    approve_request,
    cancel_request,
    check_integration,
    complete_task,
    create_access_link,
    delete_bundle,
    delete_integration,
    delete_user,
    delete_webhook,
    disable_access_link,
    disable_user,
    enable_user,
    extend_grant,
    get_integration,
    invite_user,
    list_access_links,
    list_integrations,
    list_users,
    list_webhooks,
    mfa_policy,
    preview_request,
    reject_request,
    request_access,
    request_again,
    request_bundle,
    requestable,
    resend_invite,
    revoke_grant,
    revoke_grants,
    revoke_invite,
    rotate_access_link,
    save_access_flow,
    save_bundle,
    save_integration,
    save_webhook,
    set_mfa_policy,
    set_user_role,
    sync_integration,
    update_user,
    view_request,
)
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from broker.flows import flow_reports as fr
from broker.flows.save_forbid_rule import delete_forbid_rule, save_forbid_rule
from broker.grants import secrets as sealing
from broker.identities.manage_tokens import issue_token, list_tokens, revoke_token
from broker.reads import graph_queries as gq
from broker.reads.activity_log import activity_log, verify_activity_log
from broker.reads.audit_report import audit_report
from broker.reads.bundles import list_bundles
from broker.reads.queries import active_grants, my_profile, my_requests, pending_approvals
from broker.reads.task_queries import my_tasks
from graph import NodeRef, UpsertEdge, UpsertNode
from graph.model import EDGE_KINDS, NODE_KINDS
from policies.flows import AccessFlow
from policies.forbid import ForbidRule

DISABLED = "dora@acme.example"  # an admin, disabled: being disabled alone must refuse
ROLES = {
    "admin": DEMO_ADMIN,
    "grantee": DEMO_GRANTEE,
    "auditor": DEMO_AUDITOR,
    "disabled": DISABLED,
}
ORDERS = "pg-prod/orders"  # auto-approved for Linus (the grantee)
PAYMENTS = "pg-prod/payments"  # Grace approves Linus's requests
ANALYTICS = "pg-prod/analytics"  # Linus approves Grace's requests (flow `peer-review`)
ACTOR_LIKE = frozenset({"actor", "viewer", "approver", "requester", "user"})

# Functions that take a caller-like parameter but are not entry points a person reaches:
# each is called by a use case after it authorized the caller, or by an operator or job.
NOT_PERSON_FACING = {
    "issue_api_token": "the operator's CLI and the server's bootstrap, not a person via the API",
    "set_first_password": "the server's bootstrap at the first start, shown to the operator",
    "read_only_refusal": "the GraphQL guard's check of a token's scope, not an operation",
    "check_can_decide": "approve/reject's own check (and pending_approvals' filter)",
    "revoke_all": "revoke_grants' and disable_user's step, after they authorized",
    "end_all": "revoke_grants' and disable_user's step, after they authorized",
    "record_grant": "the grant path's write, after the deciding use case authorized",
    "announce": "notification delivery: it tells, it does not act",
    "open_plan": "the approval plan of a request being created",
    "opening_step": "the approval plan of a request being created",
    "step_plan": "the approval plan's reading",
    "request_plan": "the approval plan's reading",
    "authorize": "the one authorization function itself",
    "caller_of": "the one authorization function's helper",
    "start_session": "a sign-in's last step, after the password or the provider proved who",
    "end_sessions_ops": "ops that disable, delete and role change write, after they authorized",
    "csrf_matches": "the session's CSRF check in the HTTP guard, not an operation",
    # SCIM: the caller is a SCIM client, authorized by its admin's `scim` token (authenticate)
    "create_user": "a SCIM client's, authorized by its `scim` token",
    "replace_user": "a SCIM client's, authorized by its `scim` token",
    "patch_user": "a SCIM client's, authorized by its `scim` token",
    "create_group": "a SCIM client's, authorized by its `scim` token",
    "replace_group": "a SCIM client's, authorized by its `scim` token",
    "patch_group": "a SCIM client's, authorized by its `scim` token",
    "delete_group": "a SCIM client's, authorized by its `scim` token",
    "disable_unguarded": "disable_user's body, for the SCIM client after its token was checked",
    "enable_unguarded": "enable_user's body, for the SCIM client after its token was checked",
    "delete_unguarded": "delete_user's body, for the SCIM client after its token was checked",
    "may_sign_in": "whether an account may hold a session: a check, not an operation",
    "request_through_link": "an external requester's, by their link session (api:external-link)",
    "link_requests": "an external requester's, by their link session: their own requests",
    "link_access_details": "an external requester's, by their link session: access_details",
    "discover_integration": "sync_integration's step after it authorized, and the scheduler's",
    "spend_invites_ops": "ops the single sign-on's account binding writes, after the provider",
    # Second factor: each acts on the signed-in person's own account, by their session
    "begin_mfa_enrolment": "the signed-in person's own second factor, by their session",
    "confirm_mfa_enrolment": "the signed-in person's own second factor, by their session",
    "disable_mfa": "the signed-in person's own second factor, proven by a code of it",
    "check_second_factor": "the code check inside sign-in and approval, not an operation",
    "begin_second_factor": "a sign-in's step after the password proved who",
    "recovery_code_key": "a hash of a recovery code, not an operation",
    "mfa_enrolled": "a reading of a user node, not an operation",
    "mfa_enrolment_required": "the HTTP guard's check of a session, not an operation",
}


@dataclass(frozen=True)
class World:
    """What the calls act on: Linus's pending, granted and finished requests, Grace's
    request that Linus approves, a manual task assigned to Linus, a bundle, Linus's token."""

    pending: str
    granted: str
    finished: str
    peers: str
    task: str
    token: str


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(sealing.ENV_KEY, "test-key-for-sealing-0123456789")
    sealing.forget_key()
    yield
    sealing.forget_key()


@pytest.fixture
def world(services: Services) -> World:
    store = services.store
    store.write([UpsertNode("User", DISABLED, {"email": DISABLED, "role": "admin"})])
    # In the group an auto-approved flow lets request orders: only the API policies can
    # stop the auditor and the disabled user, the flows would not.
    backend = NodeRef("Group", "backend")
    store.write(
        [UpsertEdge("MEMBER_OF", NodeRef("User", u), backend) for u in (DISABLED, DEMO_AUDITOR)]
    )
    save_access_flow(
        services,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key="peer-review",
            name="Peers review analytics",
            requestor_users=(DEMO_APPROVER,),
            resources=(ANALYTICS,),
            permissions=("read",),
            max_duration_minutes=60,
            approvers=(DEMO_GRANTEE,),
        ),
    )
    _add_manual_lab(services)
    save_bundle(
        services, actor=DEMO_ADMIN, key="dbs", name="DBs", items=[NodeRef("Resource", ORDERS)]
    )
    ask = {"permissions": ["read"], "justification": "ticket 7"}
    quick = {"permissions": ["read"]}  # orders-quick-look: auto-approved
    pending = request_access(services, requester=DEMO_GRANTEE, resource=PAYMENTS, **ask)
    finished = request_access(services, requester=DEMO_GRANTEE, resource=ORDERS, **quick)
    revoke_grant(services, actor=DEMO_GRANTEE, request=finished.key)
    granted = request_access(services, requester=DEMO_GRANTEE, resource=ORDERS, **quick)
    peers = request_access(services, requester=DEMO_APPROVER, resource=ANALYTICS, **quick)
    request_access(services, requester=DEMO_APPROVER, resource="lab/db", **quick)
    (task,) = store.find_nodes("Task", equals={"state": "open"})
    token, _ = issue_token(services, actor=DEMO_GRANTEE, owner=DEMO_GRANTEE, name="cli")
    store.write([UpsertNode("User", DISABLED, {"disabled": True})])
    return World(pending.key, granted.key, finished.key, peers.key, task.key, token.key)


def _add_manual_lab(services: Services) -> None:
    """Manual integration `lab` (Linus fulfils it) with `lab/db`, auto-approved for Grace."""
    save_integration(
        services,
        actor=DEMO_ADMIN,
        key="lab",
        name="Lab",
        type="manual",
        config={"fulfillers": [DEMO_GRANTEE]},
    )
    services.store.write(
        [
            UpsertNode("Resource", "lab/db", {"name": "db", "type": "database", "tags": []}),
            UpsertEdge("PART_OF", NodeRef("Resource", "lab/db"), NodeRef("Integration", "lab")),
        ]
    )
    save_access_flow(
        services,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key="lab-self-serve",
            name="Lab",
            requestor_users=(DEMO_APPROVER,),
            integrations=("lab",),
            permissions=("read",),
            max_duration_minutes=60,
        ),
    )


Call = Callable[[Services, str, World], object]
OK, NO = "allowed", "forbidden"
ADMINS = {"admin": OK, "grantee": NO, "auditor": NO, "disabled": NO}
READERS = {"admin": OK, "grantee": NO, "auditor": OK, "disabled": NO}
EVERYONE = {"admin": OK, "grantee": OK, "auditor": OK, "disabled": NO}
ASKERS = {"admin": OK, "grantee": OK, "auditor": NO, "disabled": NO}
HOLDER = {"admin": NO, "grantee": OK, "auditor": NO, "disabled": NO}
VIEWERS = EVERYONE  # a request: its requester (the grantee), admins and auditors
NEW_FLOW = AccessFlow(key="new", name="New", requestor_users=(DEMO_GRANTEE,), resources=(ORDERS,))
NEW_RULE = ForbidRule(key="no-pci", name="No PCI", tags=("pci",))
INTEGRATION = {"key": "pg-two", "name": "Two", "type": "postgresql", "config": {}}
ME = {"identity": NodeRef("User", DEMO_GRANTEE)}

# (use case, how to call it as `who`, what the API policies say for each role)
TABLE: list[tuple[Callable[..., object], Call, dict[str, str]]] = [
    (
        request_access,
        lambda s, who, w: request_access(
            s, requester=who, resource=ORDERS, permissions=["read"], justification="t"
        ),
        ASKERS,
    ),
    (
        request_bundle,
        lambda s, who, w: request_bundle(s, requester=who, bundle="dbs", permissions=["read"]),
        ASKERS,
    ),
    (
        request_again,
        lambda s, who, w: request_again(s, requester=who, previous=w.finished),
        HOLDER,  # only its requester asks again, and only if they may request access
    ),
    (cancel_request, lambda s, who, w: cancel_request(s, actor=who, request=w.pending), ASKERS),
    (
        approve_request,
        lambda s, who, w: approve_request(s, approver=who, request=w.peers),
        HOLDER,  # Linus is the approver of Grace's request; the admin is not
    ),
    (
        reject_request,
        lambda s, who, w: reject_request(s, approver=who, request=w.peers),
        HOLDER,
    ),
    (revoke_grant, lambda s, who, w: revoke_grant(s, actor=who, request=w.granted), ASKERS),
    (
        revoke_grants,
        lambda s, who, w: revoke_grants(s, actor=who, identity=DEMO_GRANTEE),
        ASKERS,  # Linus gives back all his own access; admins revoke anyone's
    ),
    (
        extend_grant,
        lambda s, who, w: extend_grant(s, actor=who, request=w.granted, minutes=5),
        ASKERS,
    ),
    (complete_task, lambda s, who, w: complete_task(s, actor=who, task=w.task), ASKERS),
    (access_details, lambda s, who, w: access_details(s, viewer=who, request=w.granted), HOLDER),
    (my_profile, lambda s, who, w: my_profile(s, viewer=who), EVERYONE),
    (my_requests, lambda s, who, w: my_requests(s, user=who), EVERYONE),
    (active_grants, lambda s, who, w: active_grants(s, viewer=who), EVERYONE),
    (pending_approvals, lambda s, who, w: pending_approvals(s, approver=who), EVERYONE),
    (requestable, lambda s, who, w: requestable(s, viewer=who, search="orders"), ASKERS),
    (
        preview_request,
        lambda s, who, w: preview_request(
            s, requester=who, resource=ORDERS, permissions=["read"], justification="t"
        ),
        ASKERS,
    ),
    (view_request, lambda s, who, w: view_request(s, viewer=who, request=w.pending), VIEWERS),
    (mfa_policy, lambda s, who, w: mfa_policy(s, actor=who), READERS),
    (
        set_mfa_policy,
        lambda s, who, w: set_mfa_policy(s, actor=who, require_for_admins=True),
        ADMINS,
    ),
    (my_tasks, lambda s, who, w: my_tasks(s, viewer=who), EVERYONE),
    (
        save_access_flow,
        lambda s, who, w: save_access_flow(s, actor=who, flow=NEW_FLOW),
        ADMINS,
    ),
    (save_forbid_rule, lambda s, who, w: save_forbid_rule(s, actor=who, rule=NEW_RULE), ADMINS),
    (
        delete_forbid_rule,
        lambda s, who, w: delete_forbid_rule(s, actor=who, key="none-such"),
        ADMINS,  # an admin hears NotFound, anyone else Forbidden
    ),
    (
        save_bundle,
        lambda s, who, w: save_bundle(s, actor=who, key="two", name="Two", items=[]),
        ADMINS,
    ),
    (delete_bundle, lambda s, who, w: delete_bundle(s, actor=who, key="dbs"), ADMINS),
    (save_integration, lambda s, who, w: save_integration(s, actor=who, **INTEGRATION), ADMINS),
    (list_integrations, lambda s, who, w: list_integrations(s, actor=who), ADMINS),
    (get_integration, lambda s, who, w: get_integration(s, actor=who, key="lab"), ADMINS),
    (check_integration, lambda s, who, w: check_integration(s, actor=who, key="lab"), ADMINS),
    (sync_integration, lambda s, who, w: sync_integration(s, actor=who, key="lab"), ADMINS),
    (delete_integration, lambda s, who, w: delete_integration(s, actor=who, key="lab"), ADMINS),
    (
        save_webhook,
        lambda s, who, w: save_webhook(
            s, actor=who, name="chat", url="https://hooks.invalid/k", events=["Granted"]
        ),
        ADMINS,
    ),
    (list_webhooks, lambda s, who, w: list_webhooks(s, actor=who), ADMINS),
    (
        delete_webhook,
        lambda s, who, w: delete_webhook(s, actor=who, key="none-such"),
        ADMINS,  # an admin hears NotFound, anyone else Forbidden
    ),
    (
        set_user_role,
        lambda s, who, w: set_user_role(s, actor=who, user=DEMO_APPROVER, role="auditor"),
        ADMINS,
    ),
    (disable_user, lambda s, who, w: disable_user(s, actor=who, user=DEMO_APPROVER), ADMINS),
    (
        invite_user,
        lambda s, who, w: invite_user(
            s, actor=who, email="new@corp.example", full_name="New", role="grantee"
        ),
        ADMINS,
    ),
    (resend_invite, lambda s, who, w: resend_invite(s, actor=who, email=DEMO_APPROVER), ADMINS),
    (revoke_invite, lambda s, who, w: revoke_invite(s, actor=who, email=DEMO_APPROVER), ADMINS),
    (list_users, lambda s, who, w: list_users(s, actor=who), READERS),
    (
        create_access_link,
        lambda s, who, w: create_access_link(
            s, actor=who, flow="db-readers", expires_at=s.clock() + 3600
        ),
        ADMINS,
    ),
    (list_access_links, lambda s, who, w: list_access_links(s, actor=who), ADMINS),
    (
        disable_access_link,
        lambda s, who, w: disable_access_link(s, actor=who, link="lnk_x"),
        ADMINS,
    ),
    (rotate_access_link, lambda s, who, w: rotate_access_link(s, actor=who, link="lnk_x"), ADMINS),
    (
        update_user,
        lambda s, who, w: update_user(s, actor=who, user=DEMO_APPROVER, phone="+4930123"),
        ADMINS,
    ),
    (enable_user, lambda s, who, w: enable_user(s, actor=who, user=DEMO_APPROVER), ADMINS),
    (delete_user, lambda s, who, w: delete_user(s, actor=who, user=DEMO_APPROVER), ADMINS),
    (issue_token, lambda s, who, w: issue_token(s, actor=who, owner=who, name="mine"), EVERYONE),
    (list_tokens, lambda s, who, w: list_tokens(s, actor=who, owner=who), EVERYONE),
    (revoke_token, lambda s, who, w: revoke_token(s, actor=who, key=w.token), ASKERS),
    (activity_log, lambda s, who, w: activity_log(s, viewer=who), READERS),
    (verify_activity_log, lambda s, who, w: verify_activity_log(s, viewer=who), READERS),
    (list_bundles, lambda s, who, w: list_bundles(s, viewer=who), ADMINS),
    (
        audit_report,
        lambda s, who, w: audit_report(s, viewer=who, since=s.clock() - 60, until=s.clock()),
        READERS,
    ),
    (fr.access_flows, lambda s, who, w: fr.access_flows(s, viewer=who), READERS),
    (fr.access_flow, lambda s, who, w: fr.access_flow(s, viewer=who, key="db-readers"), READERS),
    (fr.forbid_rules, lambda s, who, w: fr.forbid_rules(s, viewer=who), READERS),
    (fr.flow_findings, lambda s, who, w: fr.flow_findings(s, viewer=who), ADMINS),
    (fr.compiled_flow, lambda s, who, w: fr.compiled_flow(s, viewer=who, key="db-readers"), ADMINS),
    (
        gq.effective_access,
        lambda s, who, w: gq.effective_access(s, viewer=who, identity=NodeRef("User", who)),
        EVERYONE,  # one's own effective access; anyone else's is the row below
    ),
    (gq.who_can_access, lambda s, who, w: gq.who_can_access(s, viewer=who, resource=_R), READERS),
    (
        gq.who_could_request,
        lambda s, who, w: gq.who_could_request(s, viewer=who, resource=_R),
        READERS,
    ),
    (
        gq.access_paths,
        lambda s, who, w: gq.access_paths(s, viewer=who, resource=_R, max_depth=4, **ME),
        READERS,
    ),
    (gq.blast_radius, lambda s, who, w: gq.blast_radius(s, viewer=who, **ME), READERS),
    (gq.saved_queries, lambda s, who, w: gq.saved_queries(s, viewer=who), READERS),
    (
        gq.run_saved_query,
        lambda s, who, w: gq.run_saved_query(s, viewer=who, name="standing_admin_access"),
        READERS,
    ),
    (
        gq.raw_query,
        lambda s, who, w: gq.raw_query(s, viewer=who, cypher="MATCH (u:User) RETURN u.key"),
        READERS,
    ),
    (gq.graph_node, lambda s, who, w: gq.graph_node(s, viewer=who, ref=_R), READERS),
    (
        gq.neighbours,
        lambda s, who, w: gq.neighbours(s, viewer=who, ref=_R, edge="PART_OF", outgoing=True),
        READERS,
    ),
]
_R = NodeRef("Resource", ORDERS)


def _anothers_access(services: Services, who: str, world: World) -> object:
    return gq.effective_access(services, viewer=who, identity=NodeRef("User", DEMO_APPROVER))


def _cases() -> Iterator[Any]:
    for use_case, call, expected in TABLE:
        for role, outcome in expected.items():
            yield pytest.param(call, role, outcome, id=f"{_name(use_case)}-{role}")
    for role, outcome in READERS.items():
        yield pytest.param(
            _anothers_access, role, outcome, id=f"effective_access_of_another-{role}"
        )


def _name(fn: Callable[..., object]) -> str:
    return str(getattr(fn, "__name__", fn))


def _stored(services: Services) -> tuple[object, ...]:
    """Everything stored, and the flows and forbid rules the running engine holds."""
    store = services.store
    nodes = [(k, n.key, sorted(n.props.items())) for k in NODE_KINDS for n in store.find_nodes(k)]
    edges = sorted(repr(e) for k in EDGE_KINDS for e in store.edges(k))
    engine = (sorted(services.engine.flows), sorted(services.engine.forbid_rules))
    return (repr(nodes), edges, engine)


@pytest.mark.parametrize(("call", "role", "outcome"), list(_cases()))
def test_a_use_case_called_directly_allows_and_refuses_as_the_api_policies_do(
    services: Services, world: World, call: Call, role: str, outcome: str
) -> None:
    """Allowed: it proceeds, or fails for a reason other than authorization. Forbidden: it
    raises Forbidden and nothing stored (or held by the engine) changed."""
    before = _stored(services)
    if outcome == NO:
        with pytest.raises(Forbidden):
            call(services, ROLES[role], world)
        assert _stored(services) == before
        return
    try:
        call(services, ROLES[role], world)
    except Forbidden as refused:
        pytest.fail(f"the API policies allow {role}, but the use case refused: {refused}")
    except DomainError:
        pass  # refused for another reason (a flow, a state, a missing name): not ours


def _person_facing() -> set[str]:
    """Every public broker function whose signature names a caller."""
    found = set()
    for module in pkgutil.walk_packages(broker.__path__, "broker."):
        if any(part.startswith("_") for part in module.name.split(".")):
            continue
        for name, fn in vars(importlib.import_module(module.name)).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ != module.name:
                continue
            if ACTOR_LIKE & set(inspect.signature(fn).parameters):
                found.add(name)
    return found - set(NOT_PERSON_FACING)


def test_the_table_covers_every_use_case_that_takes_a_caller() -> None:
    """A new use case acting for a person needs a row (or a reason it is not one)."""
    covered = {_name(use_case) for use_case, _, _ in TABLE}
    assert _person_facing() - covered == set()
    exported = {n for n in broker.__all__ if callable(getattr(broker, n))}
    takes_caller = {
        n
        for n in exported
        if inspect.isfunction(getattr(broker, n))
        and ACTOR_LIKE & set(inspect.signature(getattr(broker, n)).parameters)
    }
    assert takes_caller - covered - set(NOT_PERSON_FACING) == set()
    for _, _, expected in TABLE:
        assert set(expected) == set(ROLES)

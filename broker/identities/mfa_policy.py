"""Whether admins must have MFA: the setting admins change, and the one rule that says
which session may only enrol until its admin has.

The setting lives in the graph's one Settings node (key `keyturn`), so every process on
one Neo4j applies the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker import audit
from broker._lookup import require_allowed
from broker.identities.mfa_codes import mfa_enrolled
from broker.services import Services
from graph import Node, UpsertNode
from policies.api_authz import Target

SETTINGS_KEY = "keyturn"
MFA_ENROLMENT_REQUIRED = (
    "your role needs MFA before anything else: enrol at POST /auth/mfa/enrol and confirm "
    "with a first code at POST /auth/mfa/confirm"
)


@dataclass(frozen=True)
class MfaPolicy:
    require_for_admins: bool
    updated_at: float | None
    updated_by: str | None


def mfa_policy(services: Services, *, actor: str) -> MfaPolicy:
    """The MFA policy, for admins and auditors."""
    require_allowed(services, actor, "viewUsers", Target.api())
    return _policy(services)


def set_mfa_policy(services: Services, *, actor: str, require_for_admins: bool) -> MfaPolicy:
    """Require MFA of admins who sign in with a password, or stop requiring it; as an
    admin. Setting what is set already changes nothing and logs nothing."""
    require_allowed(services, actor, "manageUsers", Target.api())
    current = _policy(services)
    if current.require_for_admins == require_for_admins:
        return current
    now = services.clock()
    props = {"mfa_required_for_admins": require_for_admins, "updated_at": now, "updated_by": actor}
    entry = audit.Entry(
        kind="settings.mfa_policy_set",
        at=now,
        actor=actor,
        data={"require_for_admins": require_for_admins},
    )
    audit.write(services.store, [UpsertNode("Settings", SETTINGS_KEY, props)], entry)
    return MfaPolicy(require_for_admins, now, actor)


def mfa_enrolment_required(services: Services, user: Node, *, method: str) -> bool:
    """Whether `user`, signed in by `method`, may do nothing but enrol in MFA now: an
    admin without MFA, signed in with a password, while admins must have it. (Single
    sign-on leaves the second factor to the identity provider.)"""
    if method != "password" or user.props.get("role") != "admin" or mfa_enrolled(user):
        return False
    return _policy(services).require_for_admins


def _policy(services: Services) -> MfaPolicy:
    node = services.store.get_node("Settings", SETTINGS_KEY)
    if node is None:
        return MfaPolicy(False, None, None)
    at, by = node.props.get("updated_at"), node.props.get("updated_by")
    return MfaPolicy(
        bool(node.props.get("mfa_required_for_admins")),
        float(at) if at is not None else None,
        str(by) if by is not None else None,
    )

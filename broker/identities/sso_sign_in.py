"""Signing in with single sign-on: who a verified OpenID identity is in Keyturn.

An invited or active user with the identity's email signs in (an invited one becomes
active); the first sign-in binds the account to the provider's `sub` at its issuer, and a
bound account signs in only with that identity from then on, whatever its email becomes.
A person Keyturn does not know joins only when the configured role mapping (a claim such
as `groups`, or an allowed email domain) gives them a role. Everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from broker import audit
from broker.errors import Forbidden, StateConflict
from broker.identities.invitations import spend_invites_ops
from broker.identities.oidc import OidcConfig, VerifiedIdentity
from broker.identities.sessions import StartedSession, start_session
from broker.identities.users import status_of
from broker.services import Services
from graph import ConflictError, Node, SetProps, UpsertNode, WriteOp

NOT_INVITED = "your account is not invited to Keyturn: ask an admin to invite `{email}`"


def sign_in_with_sso(
    services: Services, config: OidcConfig, identity: VerifiedIdentity, *, client: str
) -> StartedSession:
    """A new session for the person `identity` names, signing in from `client`. Raises
    Forbidden (recorded as a failed sign-in) for someone not invited, disabled, or whose
    account is bound to another identity."""
    store = services.store
    user = _bound_user(services, identity) or store.get_node("User", identity.email)
    try:
        key = _join(services, config, identity) if user is None else _bind(services, user, identity)
    except Forbidden as refused:
        audit.append(
            store,
            audit.Entry(
                kind="user.sign_in_failed",
                at=services.clock(),
                actor=identity.email,
                subject=identity.email,
                data={"method": "sso", "reason": str(refused), "client": client[:128]},
            ),
        )
        raise
    return start_session(services, user=key, method="sso", client=client)


def role_for(config: OidcConfig, identity: VerifiedIdentity) -> str | None:
    """The role the mapping gives a person Keyturn does not know yet, or None. A role
    claim names the role (the strongest mapped value wins); else an allowed email domain
    gives the default role."""
    if config.role_claim:
        values = identity.claims.get(config.role_claim)
        given = [values] if isinstance(values, str) else values
        if isinstance(given, Sequence):
            mapped = {
                config.role_map[v] for v in given if isinstance(v, str) and v in config.role_map
            }
            for role in ("admin", "auditor", "grantee"):  # strongest first
                if role in mapped:
                    return role
    domain = identity.email.rsplit("@", 1)[-1]
    if config.default_role and domain in config.allowed_domains:
        return config.default_role
    return None


def _bound_user(services: Services, identity: VerifiedIdentity) -> Node | None:
    bound = services.store.find_nodes(
        "User",
        equals={"oidc_subject": identity.subject, "oidc_issuer": identity.issuer},
        limit=1,
    )
    return bound[0] if bound else None


def _join(services: Services, config: OidcConfig, identity: VerifiedIdentity) -> str:
    role = role_for(config, identity)
    if role is None:
        raise Forbidden(NOT_INVITED.format(email=identity.email))
    now = services.clock()
    props = {
        "email": identity.email,
        "name": identity.name or identity.email,
        "full_name": identity.name or identity.email,
        "role": role,
        "status": "ACTIVE",
        "source": "sso",
        "created_at": now,
        **_binding(identity),
    }
    entry = audit.Entry(
        kind="user.joined_by_sso",
        at=now,
        actor=identity.email,
        subject=identity.email,
        data={"role": role, "issuer": identity.issuer},
    )
    audit.write(services.store, [UpsertNode("User", identity.email, props)], entry)
    return identity.email


def _bind(services: Services, user: Node, identity: VerifiedIdentity) -> str:
    status = status_of(user)
    if status == "DISABLED":
        raise Forbidden(f"the Keyturn account `{user.key}` is disabled: ask an admin")
    bound_to = (user.props.get("oidc_subject"), user.props.get("oidc_issuer"))
    if bound_to == (identity.subject, identity.issuer) and status == "ACTIVE":
        return user.key
    if bound_to[0] is not None:
        raise Forbidden(
            f"the Keyturn account `{user.key}` is bound to another single sign-on identity: "
            "ask an admin"
        )
    # Only if nobody changed the account since it was read (a disable, another binding).
    expect = {"status": user.props["status"]} if "status" in user.props else {}
    now = services.clock()
    ops: list[WriteOp] = [
        SetProps("User", user.key, {**_binding(identity), "status": "ACTIVE"}, expect=expect),
        *spend_invites_ops(services.store, user.key, now=now),
    ]
    entry = audit.Entry(
        kind="user.sso_bound",
        at=now,
        actor=user.key,
        subject=user.key,
        data={"issuer": identity.issuer, "was": status},
    )
    try:
        audit.write(services.store, ops, entry)
    except ConflictError:
        raise StateConflict(
            f"the Keyturn account `{user.key}` changed while signing in: try again"
        ) from None
    return user.key


def _binding(identity: VerifiedIdentity) -> dict[str, str]:
    return {"oidc_subject": identity.subject, "oidc_issuer": identity.issuer}

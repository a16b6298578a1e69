"""Bearer API tokens: shown once, stored only as a SHA-256 hash, each with a scope and an
expiry.

A `full` token acts as its owner; a `read` token may run queries but change nothing (the
GraphQL guard asks `read_only_refusal` before any mutation runs). Tokens issued before
scopes and expiry existed carry neither property and stay full and never expiring.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from broker import audit
from broker._lookup import enabled_user, load_user
from broker.errors import Forbidden, InvalidInput, Unauthenticated
from broker.identities._digest import secret_digest
from broker.services import Services
from graph import ConflictError, Node, NodeRef, SetProps, UpsertEdge, UpsertNode

TOKEN_PREFIX = "kt_"  # noqa: S105 - a marker, not a secret
FULL_SCOPE = "full"
READ_SCOPE = "read"
# A SCIM client's token: reaches /scim/v2 and nothing else; no other token reaches /scim/v2.
SCIM_SCOPE = "scim"
SCOPES = (FULL_SCOPE, READ_SCOPE, SCIM_SCOPE)
DEFAULT_TOKEN_EXPIRY_DAYS = 90
MAX_TOKEN_EXPIRY_DAYS = 365
# `last_used_at` is a hint for people tidying their tokens, not an audit trail: a write
# per request would cost a graph round trip each time, so a use is recorded at most this
# often per token.
USE_RECORDED_EVERY = 60.0
_DAY = 86400.0


@dataclass(frozen=True)
class TokenUser(Node):
    """The user a bearer token authenticated, with the token's name and scope."""

    token_name: str = ""
    scope: str = FULL_SCOPE
    token_key: str = ""
    expires_at: float | None = None  # when the token stops working (api's token cache)
    # Every node this answer was read from: while none of them changes, it stands.
    read_from: tuple[NodeRef, ...] = ()


def hash_token(token: str) -> str:
    return secret_digest(token)


def token_key(token: str) -> str:
    return f"tok_{hash_token(token)[:16]}"


def check_token_terms(scope: str, expires_in_days: int) -> None:
    """Raise InvalidInput unless `scope` is known and the expiry is 1-365 days."""
    if scope not in SCOPES:
        raise InvalidInput(f"token scope `{scope}` is unknown: use `full`, `read` or `scim`")
    if (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= MAX_TOKEN_EXPIRY_DAYS
    ):
        raise InvalidInput(
            f"token expiry `{expires_in_days}` days is out of range: a token lasts "
            f"1-{MAX_TOKEN_EXPIRY_DAYS} days, issue a new one when it runs out"
        )


def issue_api_token(
    services: Services,
    *,
    owner: str,
    name: str,
    actor: str | None = None,
    scope: str = FULL_SCOPE,
    expires_in_days: int = DEFAULT_TOKEN_EXPIRY_DAYS,
) -> str:
    """Create a token for `owner` and return it in plain text: the only time it is seen.

    The activity log records who issued it (`actor`, else the owner), its scope and expiry,
    never the token. An operator's step (the `keyturn token` command, the server's bootstrap
    token), so no API policy is asked; people issue tokens through `manage_tokens.issue_token`.
    """
    check_token_terms(scope, expires_in_days)
    load_user(services.store, owner)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = hash_token(token)
    key = token_key(token)
    now = services.clock()
    expires_at = now + expires_in_days * _DAY
    entry = audit.Entry(
        kind="token.issued",
        at=now,
        actor=actor or owner,
        subject=key,
        data={"owner": owner, "name": name, "scope": scope, "expires_at": expires_at},
    )
    props = {
        "token_hash": digest,
        "owner": owner,
        "name": name,
        "created_at": now,
        "revoked": False,
        "scope": scope,
        "expires_at": expires_at,
    }
    audit.write(
        services.store,
        [
            UpsertNode("ApiToken", key, props),
            UpsertEdge("OWNS", NodeRef("User", owner), NodeRef("ApiToken", key)),
        ],
        entry,
    )
    return token


def authenticate(services: Services, token: str, *, scim: bool = False) -> TokenUser:
    """The user a bearer token belongs to, with its scope; Unauthenticated for a malformed,
    unknown, revoked or expired token and for an owner who is gone or disabled. Records the
    use (`last_used_at`) at most once a minute.

    Scope `scim` is the one rule of who reaches what: with `scim` (the /scim/v2 endpoints)
    only a `scim` token of an admin passes (Forbidden otherwise); without it a `scim` token
    is refused (Unauthenticated), so it reaches nothing else."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("the API token is malformed: expected `kt_...`")
    digest = hash_token(token)
    # The token and its owner in one read: one round trip per request on Neo4j.
    found = services.store.find_node_and_named(
        "ApiToken", equals={"token_hash": digest}, named_by="owner", named_kind="User"
    )
    if found is None or found[0].props.get("revoked"):
        raise Unauthenticated("the API token is unknown or revoked")
    stored, owner = found
    if not hmac.compare_digest(str(stored.props["token_hash"]), digest):
        raise Unauthenticated("the API token is unknown or revoked")
    now = services.clock()
    _refuse_expired(stored, now)
    try:
        user = enabled_user(str(stored.props["owner"]), owner)
    except Exception as gone:
        raise Unauthenticated("the API token's owner no longer exists or is disabled") from gone
    scope = str(stored.props.get("scope") or FULL_SCOPE)
    name = str(stored.props.get("name", ""))
    _check_reach(scope, name, user, scim=scim)
    _record_use(services, stored, now)
    return TokenUser(
        user.kind,
        user.key,
        user.props,
        token_name=name,
        scope=scope,
        token_key=stored.key,
        expires_at=_expiry(stored),
        read_from=(NodeRef(stored.kind, stored.key), NodeRef(user.kind, user.key)),
    )


def _check_reach(scope: str, name: str, owner: Node, *, scim: bool) -> None:
    if scim and scope != SCIM_SCOPE:
        raise Forbidden(
            f"API token `{name}` has scope `{scope}`: /scim/v2 takes only a token of scope "
            "`scim`; have an admin issue one"
        )
    if scim and owner.props.get("role") != "admin":
        raise Forbidden(
            f"API token `{name}` belongs to a non-admin: a SCIM token must be an admin's"
        )
    if not scim and scope == SCIM_SCOPE:
        raise Unauthenticated(
            f"API token `{name}` has scope `scim`: it reaches only /scim/v2; use a token of "
            "scope `full` or `read` here"
        )


def read_only_refusal(viewer: Node) -> str | None:
    """Why `viewer` may not change anything (a token without the `full` scope), else None.

    Anything but `full` counts as read-only, so a scope this version does not know never
    grants more than reading.
    """
    if not isinstance(viewer, TokenUser) or viewer.scope == FULL_SCOPE:
        return None
    return (
        f"API token `{viewer.token_name}` has scope `{viewer.scope}`: it may run queries "
        "but no mutation; issue a token with scope `full` to change anything"
    )


def _expiry(stored: Node) -> float | None:
    expires_at = stored.props.get("expires_at")
    return None if expires_at is None else float(expires_at)


def _refuse_expired(stored: Node, now: float) -> None:
    expires_at = _expiry(stored)
    if expires_at is None or now < expires_at:
        return
    day = datetime.fromtimestamp(expires_at, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    name = stored.props.get("name", "")
    raise Unauthenticated(f"API token `{name}` expired on {day}: issue a new one")


def _record_use(services: Services, stored: Node, now: float) -> None:
    last = stored.props.get("last_used_at")
    if last is not None and now - float(last) < USE_RECORDED_EVERY:
        return
    # Compare-and-set on the value read: of several requests (or processes) at once, one
    # writes and the others find the use recorded already.
    change = SetProps("ApiToken", stored.key, {"last_used_at": now}, expect={"last_used_at": last})
    try:
        services.store.write([change])
    except ConflictError:
        return

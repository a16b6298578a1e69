"""API tokens through the API: issue, list and revoke, each authorized by `issueToken`.

Anyone may manage their own tokens; admins anybody's (policies/api.cedar).
"""

from __future__ import annotations

from broker import _text, audit
from broker._lookup import load_user, require_allowed
from broker._text import check_text
from broker.errors import InvalidInput, NotFound, StateConflict
from broker.identities.api_tokens import (
    DEFAULT_TOKEN_EXPIRY_DAYS,
    FULL_SCOPE,
    check_token_terms,
    issue_api_token,
    token_key,
)
from broker.services import Services
from graph import ConflictError, Node, SetProps
from policies.api_authz import Target

MAX_NAME = 100


def issue_token(
    services: Services,
    *,
    actor: str,
    owner: str,
    name: str,
    scope: str = FULL_SCOPE,
    expires_in_days: int = DEFAULT_TOKEN_EXPIRY_DAYS,
) -> tuple[Node, str]:
    """A new token for `owner`: its node and the plain token, shown this once. It expires
    after `expires_in_days` (1-365); a `read` token may run queries but no mutation."""
    check_text("owner", owner, most=_text.EMAIL)
    require_allowed(services, actor, "issueToken", Target.user(owner))
    check_text("token name", name, most=MAX_NAME)
    if not name.strip():
        raise InvalidInput(f"token name `{name}` must be 1-{MAX_NAME} characters: name its use")
    check_token_terms(scope, expires_in_days)
    load_user(services.store, owner)
    token = issue_api_token(
        services,
        owner=owner,
        name=name.strip(),
        actor=actor,
        scope=scope,
        expires_in_days=expires_in_days,
    )
    node = services.store.get_node("ApiToken", token_key(token))
    assert node is not None  # just written
    return node, token


def list_tokens(services: Services, *, actor: str, owner: str) -> list[Node]:
    """`owner`'s tokens, oldest first (hashes never leave the broker)."""
    require_allowed(services, actor, "issueToken", Target.user(owner))
    found = services.store.find_nodes("ApiToken", equals={"owner": owner})
    return sorted(found, key=lambda n: float(n.props.get("created_at") or 0))


def revoke_token(services: Services, *, actor: str, key: str) -> Node:
    """Revoke token `key`: it stops authenticating at once; revoking twice is a conflict."""
    check_text("token key", key, most=_text.KEY)
    node = services.store.get_node("ApiToken", key)
    if node is None:
        raise NotFound(f"no API token `{key}` exists: list the tokens to find its key")
    owner = str(node.props["owner"])
    require_allowed(services, actor, "issueToken", Target.user(owner))
    if node.props.get("revoked"):
        raise StateConflict(f"API token `{key}` is already revoked")
    entry = audit.Entry(
        kind="token.revoked",
        at=services.clock(),
        actor=actor,
        subject=key,
        data={"owner": owner},
    )
    change = SetProps("ApiToken", key, {"revoked": True}, expect={"revoked": False})
    try:
        audit.write(services.store, [change], entry)
    except ConflictError as lost:
        raise StateConflict(f"API token `{key}` is already revoked") from lost
    revoked = services.store.get_node("ApiToken", key)
    assert revoked is not None
    return revoked

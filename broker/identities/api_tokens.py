"""Bearer API tokens: shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from broker import audit
from broker._lookup import load_user
from broker.errors import Unauthenticated
from broker.services import Services
from graph import Node, NodeRef, UpsertEdge, UpsertNode

TOKEN_PREFIX = "kt_"  # noqa: S105 - a marker, not a secret


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast unsalted hash cannot be brute-forced.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(services: Services, *, owner: str, name: str, actor: str | None = None) -> str:
    """Create a token for `owner` and return it in plain text: the only time it is seen.

    The activity log records who issued it (`actor`, else the owner), never the token.
    An operator's step (the `keyturn token` command, the server's bootstrap token), so no
    API policy is asked; people issue tokens through `manage_tokens.issue_token`.
    """
    load_user(services.store, owner)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = hash_token(token)
    key = f"tok_{digest[:16]}"
    now = services.clock()
    entry = audit.Entry(
        kind="token.issued",
        at=now,
        actor=actor or owner,
        subject=key,
        data={"owner": owner, "name": name},
    )
    audit.write(
        services.store,
        [
            UpsertNode(
                "ApiToken",
                key,
                {
                    "token_hash": digest,
                    "owner": owner,
                    "name": name,
                    "created_at": now,
                    "revoked": False,
                },
            ),
            UpsertEdge("OWNS", NodeRef("User", owner), NodeRef("ApiToken", key)),
        ],
        entry,
    )
    return token


def authenticate(services: Services, token: str) -> Node:
    """The user a bearer token belongs to; Unauthenticated for anything else."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("the API token is malformed: expected `kt_...`")
    digest = hash_token(token)
    found = services.store.find_nodes("ApiToken", equals={"token_hash": digest}, limit=1)
    if not found or found[0].props.get("revoked"):
        raise Unauthenticated("the API token is unknown or revoked")
    if not hmac.compare_digest(str(found[0].props["token_hash"]), digest):
        raise Unauthenticated("the API token is unknown or revoked")
    try:
        return load_user(services.store, str(found[0].props["owner"]))
    except Exception as gone:
        raise Unauthenticated("the API token's owner no longer exists or is disabled") from gone

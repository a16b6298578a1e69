"""Admins keep notification webhooks in the graph: save (the signing secret made here and
shown once), list and delete. Authorized as integrations are (`manageIntegrations`)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from broker import _text, audit
from broker._lookup import require_allowed
from broker._text import check_text
from broker.errors import InvalidInput, NotFound
from broker.grants.secrets import seal, unseal
from broker.notify import MAIL_ONLY, NoticeKind
from broker.outbound import where
from broker.services import Services
from broker.webhooks._stored import MOST_WEBHOOKS
from graph import DeleteNode, Node, UpsertNode
from policies.api_authz import Target

_ACTION = "manageIntegrations"
MOST_URL = 2_000


def save_webhook(
    services: Services,
    *,
    actor: str,
    name: str,
    url: str | None,
    events: Sequence[str],
    enabled: bool = True,
    key: str | None = None,
) -> tuple[Node, str | None]:
    """Create a webhook (no `key`) or change webhook `key`; return it and, when created, its
    signing secret: the only time it leaves Keyturn. A change keeps the stored secret, and
    the stored URL when `url` is None (it is never shown again: its path may be a secret).
    The URL must be an allowed target (broker.outbound, as for KEYTURN_WEBHOOKS)."""
    require_allowed(services, actor, _ACTION, Target.api())
    check_text("webhook name", name, most=_text.NAME)
    if url is not None:
        check_text("webhook url", url, most=MOST_URL)
    if key is not None:
        check_text("webhook key", key, most=_text.KEY)
    if not name.strip():
        raise InvalidInput("a webhook needs a name")
    kinds = _event_kinds(events)
    store = services.store
    existing = None if key is None else store.get_node("Webhook", key)
    if key is not None and existing is None:
        raise NotFound(f"webhook `{key}` does not exist: leave the key out to create one")
    if url is None:
        if existing is None:
            raise InvalidInput("a new webhook needs a url: where Keyturn posts its notices")
        url = unseal(str(existing.props["url"]))
    # The stored URL too: the outbound rules may have closed its target since it was saved.
    services.outbound.check(url, what=f"webhook url `{where(url)}`")
    if existing is None and len(store.find_nodes("Webhook", limit=MOST_WEBHOOKS)) >= MOST_WEBHOOKS:
        raise InvalidInput(f"at most {MOST_WEBHOOKS} webhooks: delete one you no longer use")
    now = services.clock()
    secret = None if existing is not None else "whsec_" + secrets.token_urlsafe(32)
    key = key or "whk_" + uuid.uuid4().hex[:16]
    props: dict[str, Any] = {
        "name": name,
        "url": seal(url),
        "target": where(url),
        "events": sorted(k.value for k in kinds),
        "enabled": enabled,
        "updated_at": now,
    }
    if secret is not None:
        props |= {"secret": seal(secret), "created_at": now}
    entry = audit.Entry(
        kind="webhook.saved",
        at=now,
        actor=actor,
        subject=key,
        # where it points and what it wants: never the URL's path nor the secret
        data={
            "name": name,
            "target": props["target"],
            "events": props["events"],
            "enabled": enabled,
            "created": existing is None,
        },
    )
    audit.write(store, [UpsertNode("Webhook", key, props)], entry)
    saved = store.get_node("Webhook", key)
    assert saved is not None
    return saved, secret


def list_webhooks(services: Services, *, actor: str) -> list[Node]:
    """Every stored webhook, by key (at most MOST_WEBHOOKS can exist)."""
    require_allowed(services, actor, _ACTION, Target.api())
    return services.store.find_nodes("Webhook", limit=MOST_WEBHOOKS)


def delete_webhook(services: Services, *, actor: str, key: str) -> None:
    """Delete webhook `key`: it receives no further notice."""
    require_allowed(services, actor, _ACTION, Target.api())
    check_text("webhook key", key, most=_text.KEY)
    node = services.store.get_node("Webhook", key)
    if node is None:
        raise NotFound(f"webhook `{key}` does not exist: list them with `webhooks`")
    entry = audit.Entry(
        kind="webhook.deleted",
        at=services.clock(),
        actor=actor,
        subject=key,
        data={"name": node.props.get("name", ""), "target": node.props.get("target", "")},
    )
    audit.write(services.store, [DeleteNode("Webhook", key)], entry)


def _event_kinds(names: Sequence[str]) -> frozenset[NoticeKind]:
    """The notice kinds named; refused: none, an unknown one, or one that carries a secret
    link (those are mailed to their one person only)."""
    allowed = [k for k in NoticeKind if k not in MAIL_ONLY]
    known = ", ".join(k.value for k in allowed)
    if not names:
        raise InvalidInput(f"a webhook needs at least one event: use some of {known}")
    if len(names) > len(NoticeKind):
        raise InvalidInput(f"a webhook names at most {len(NoticeKind)} events")
    kinds = set()
    for given in names:
        kind = next((k for k in allowed if k.value == given), None)
        if kind is None:
            raise InvalidInput(f"unknown webhook event `{given}`: use some of {known}")
        kinds.add(kind)
    return frozenset(kinds)

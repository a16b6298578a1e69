"""The webhooks admins keep in the graph, as the notifier delivers to them."""

from __future__ import annotations

import logging

from broker.errors import DomainError
from broker.grants.secrets import SecretsUnavailable, unseal
from broker.notify import NoticeKind, Webhook
from graph import GraphStore, Node

_log = logging.getLogger(__name__)

# Bounds one read (STYLE 12); also the most webhooks an admin may keep.
MOST_WEBHOOKS = 100


def stored_webhooks(store: GraphStore) -> tuple[Webhook, ...]:
    """The enabled stored webhooks, unsealed. Read by the delivery worker after a notice
    is published, so a webhook saved or disabled a moment ago applies to the next notice.
    One that no longer reads (a lost sealing key) is skipped with a warning naming its key
    only."""
    hooks = []
    for node in store.find_nodes("Webhook", equals={"enabled": True}, limit=MOST_WEBHOOKS):
        try:
            hooks.append(webhook_of(node))
        except (DomainError, SecretsUnavailable, ValueError) as bad:
            _log.warning("stored webhook `%s` skipped: %s", node.key, type(bad).__name__)
    return tuple(hooks)


def webhook_of(node: Node) -> Webhook:
    events = frozenset(NoticeKind(kind) for kind in node.props.get("events", []))
    return Webhook(unseal(str(node.props["url"])), unseal(str(node.props["secret"])), events)

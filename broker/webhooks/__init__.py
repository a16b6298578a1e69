"""Notification webhooks admins keep in the graph: the use cases that manage them, and the
reading the notifier's delivery worker calls for each notice (broker.notify only delivers)."""

from broker.webhooks._stored import MOST_WEBHOOKS, stored_webhooks
from broker.webhooks.manage_webhooks import delete_webhook, list_webhooks, save_webhook

__all__ = ["MOST_WEBHOOKS", "delete_webhook", "list_webhooks", "save_webhook", "stored_webhooks"]

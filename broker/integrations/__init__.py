"""Integrations: how a grant reaches the real system. `grant(request)` returns access
details for the grantee, `revoke(request)` is idempotent; `IntegrationProvisioner` picks one
by the type of the request's integration."""

from broker.integrations._config import MANUAL, WEBHOOK, check_config, read_config
from broker.integrations._manual import ManualIntegration, task_key
from broker.integrations._registry import IntegrationProvisioner
from broker.integrations._webhook import (
    IDEMPOTENCY_HEADER,
    WEBHOOK_RETRY,
    IntegrationFailed,
    WebhookIntegration,
)

__all__ = [
    "IDEMPOTENCY_HEADER",
    "MANUAL",
    "WEBHOOK",
    "WEBHOOK_RETRY",
    "IntegrationFailed",
    "IntegrationProvisioner",
    "ManualIntegration",
    "WebhookIntegration",
    "check_config",
    "read_config",
    "task_key",
]

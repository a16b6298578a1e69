"""The `webhook` integration: grant and revoke are signed JSON POSTs to an admin's URL.

The body carries the request key as `idempotency_key` (and the `Idempotency-Key` header),
so a receiver that sees a grant again (a retry, or `recover_grants` after a crash) does the
work once. Signing is the notification webhooks' (`broker.notify.sign`): HMAC-SHA256 over
the timestamp and the raw body.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from broker._backoff import RetryPolicy
from broker.notify import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from broker.outbound import PUBLIC_ONLY, Outbound, OutboundFailed, where
from graph import Node

IDEMPOTENCY_HEADER = "Idempotency-Key"
WEBHOOK_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=4.0)
"""Tries within one grant call. A revoke is tried once per call: the expiry scheduler retries
it with its own backoff, so one unreachable receiver never holds up other expiries."""


class IntegrationFailed(Exception):
    """The receiver refused or could not be reached; names the host only, never the path."""


class WebhookIntegration:
    def __init__(
        self,
        *,
        integration: str,
        url: str,
        secret: str,
        retry: RetryPolicy = WEBHOOK_RETRY,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        outbound: Outbound = PUBLIC_ONLY,
    ) -> None:
        self._integration = integration
        self._url = url
        self._secret = secret
        self._retry = retry
        self._timeout = timeout
        self._sleep = sleep
        self._outbound = outbound

    def grant(self, request: Node) -> dict[str, str]:
        """POST the grant; the receiver may answer `{"details": {name: text}}` (for example
        a temporary login), which only the grantee will be shown."""
        answer = self._post("grant", request, attempts=self._retry.max_attempts)
        details = answer.get("details") if isinstance(answer, dict) else None
        if not isinstance(details, dict):
            return {}
        return {str(k): str(v) for k, v in details.items()}

    def revoke(self, request: Node) -> None:
        self._post("revoke", request, attempts=1)

    def _post(self, action: str, request: Node, *, attempts: int) -> Any:
        body = json.dumps(_payload(self._integration, action, request), sort_keys=True).encode()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send(action, request.key, body)
            except IntegrationFailed:
                if attempt >= attempts:
                    raise
            self._sleep(self._retry.delay(attempt))

    def _send(self, action: str, idempotency_key: str, body: bytes) -> Any:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "keyturn-integration",
            EVENT_HEADER: action,
            DELIVERY_HEADER: uuid.uuid4().hex,
            IDEMPOTENCY_HEADER: idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        try:
            answer = self._outbound.post(
                self._url, body=body, headers=headers, timeout=self._timeout
            )
        except OutboundFailed as failed:
            raise IntegrationFailed(f"{self._where()} {failed}") from None
        if not 200 <= answer.status < 300:
            raise IntegrationFailed(f"{self._where()} answered {answer.status} to {action}")
        try:
            return json.loads(answer.body) if answer.body.strip() else {}
        except ValueError:
            return {}

    def _where(self) -> str:
        return f"integration `{self._integration}` at `{where(self._url)}`"


def _payload(integration: str, action: str, request: Node) -> dict[str, Any]:
    props = request.props
    return {
        "action": action,
        "idempotency_key": request.key,
        "integration": integration,
        "request": {
            "id": request.key,
            "requester": str(props.get("requester", "")),
            "beneficiary": str(props.get("beneficiary") or props.get("requester", "")),
            "resource": str(props.get("resource", "")),
            "permissions": list(props.get("permissions") or []),
            "duration_minutes": int(props.get("duration_minutes") or 0),
            "expires_at": props.get("expires_at"),
        },
    }

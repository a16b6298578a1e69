"""Outbound webhooks: HMAC-SHA256-signed JSON, each subscription with its event filter.

The signature covers the timestamp and the raw body, `sha256=HEX(HMAC(secret, f"{ts}." +
body))`, so a receiver that checks the timestamp is recent also refuses replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from broker.errors import InvalidInput
from broker.notify._events import NoticeKind
from broker.outbound import Outbound, OutboundFailed, check_form, where

SIGNATURE_HEADER = "X-Keyturn-Signature"
TIMESTAMP_HEADER = "X-Keyturn-Timestamp"
EVENT_HEADER = "X-Keyturn-Event"
DELIVERY_HEADER = "X-Keyturn-Delivery"


class WebhookFailed(Exception):
    """A delivery attempt failed; the message names the host only, never the path or secret."""


@dataclass(frozen=True)
class Webhook:
    url: str = field(repr=False)  # a chat webhook's path is often a secret itself
    secret: str = field(repr=False)
    events: frozenset[NoticeKind] = frozenset(NoticeKind)

    def __post_init__(self) -> None:
        # The form only: whether the host may be called depends on the process's Outbound
        # rules, checked by NotifyConfig at start and by `deliver` at every connect.
        check_form(self.url, what=f"webhook URL `{self.where}`")
        if not self.secret:
            raise InvalidInput(f"webhook to `{self.where}` needs a signing secret")

    @property
    def where(self) -> str:
        """Scheme and host only: paths of chat webhooks are often secrets themselves."""
        return where(self.url)

    def wants(self, kind: NoticeKind) -> bool:
        return kind in self.events

    @classmethod
    def from_config(cls, item: Mapping[str, Any]) -> Webhook:
        names: Iterable[str] = item.get("events") or [k.value for k in NoticeKind]
        try:
            events = frozenset(NoticeKind(name) for name in names)
        except ValueError as bad:
            known = ", ".join(k.value for k in NoticeKind)
            raise InvalidInput(f"unknown webhook event: {bad}; use one of {known}") from None
        return cls(str(item.get("url", "")), str(item.get("secret", "")), events)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_is_valid(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance: float = 300.0,
) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def deliver(
    hook: Webhook,
    kind: NoticeKind,
    payload: Mapping[str, Any],
    *,
    timeout: float,
    outbound: Outbound,
) -> None:
    """POST one signed delivery; raise WebhookFailed unless the receiver answers 2xx."""
    body = json.dumps(payload, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "keyturn-webhook",
        EVENT_HEADER: kind.value,
        DELIVERY_HEADER: uuid.uuid4().hex,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
    }
    try:
        answer = outbound.post(hook.url, body=body, headers=headers, timeout=timeout)
    except OutboundFailed as failed:
        raise WebhookFailed(f"webhook `{hook.where}` {failed}") from None
    if not 200 <= answer.status < 300:
        raise WebhookFailed(f"webhook `{hook.where}` answered {answer.status}")

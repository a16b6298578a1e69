"""Outbound webhooks: HMAC-SHA256-signed JSON, each subscription with its event filter.

The signature covers the timestamp and the raw body, `sha256=HEX(HMAC(secret, f"{ts}." +
body))`, so a receiver that checks the timestamp is recent also refuses replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from broker.errors import InvalidInput
from broker.notify._events import NoticeKind

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
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput(f"webhook URL `{self.where}` must be http:// or https://")
        if not self.secret:
            raise InvalidInput(f"webhook to `{self.where}` needs a signing secret")

    @property
    def where(self) -> str:
        """Scheme and host only: paths of chat webhooks are often secrets themselves."""
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}"

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


def deliver(hook: Webhook, kind: NoticeKind, payload: Mapping[str, Any], *, timeout: float) -> None:
    """POST one signed delivery; raise WebhookFailed unless the receiver answers 2xx."""
    body = json.dumps(payload, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "keyturn-webhook",
            EVENT_HEADER: kind.value,
            DELIVERY_HEADER: uuid.uuid4().hex,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            status = int(answer.status)
    except urllib.error.HTTPError as refused:
        refused.close()
        raise WebhookFailed(f"webhook `{hook.where}` answered {refused.code}") from None
    except (urllib.error.URLError, OSError) as unreachable:
        reason = getattr(unreachable, "reason", unreachable)
        raise WebhookFailed(f"webhook `{hook.where}` unreachable: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"webhook `{hook.where}` answered {status}")

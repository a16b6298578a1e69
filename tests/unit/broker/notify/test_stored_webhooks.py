"""Webhooks admins keep in the graph: saved by admins only, to allowed URLs, their secret
shown once; the notifier's worker reads them after each notice is published (one read
serving the notices published before it began) and signs each delivery."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from broker import (
    Forbidden,
    InvalidInput,
    Services,
    delete_webhook,
    list_webhooks,
    save_webhook,
    stored_webhooks,
)
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants.secrets import unseal
from broker.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Notice,
    NoticeKind,
    Notifier,
    OutboxMailer,
    RetryPolicy,
    signature_is_valid,
)
from broker.outbound import Outbound
from tests.support.http_server import handling

FAST = RetryPolicy(max_attempts=3, base_delay=0.02, max_delay=0.1)


@dataclass
class Receiver:
    """Accepts deliveries signed with `secret` (set once the webhook is created)."""

    url: str = ""
    secret: str = ""
    events: list[str] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with got.lock:
                valid = signature_is_valid(
                    got.secret,
                    timestamp=self.headers.get(TIMESTAMP_HEADER, ""),
                    body=body,
                    signature=self.headers.get(SIGNATURE_HEADER, ""),
                )
                if valid:
                    got.events.append(self.headers.get("X-Keyturn-Event", ""))
                    got.bodies.append(json.loads(body))
                else:
                    got.bad_signatures += 1
            self.send_response(204 if valid else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    with handling(Handler) as port:
        got.url = f"http://127.0.0.1:{port}/hooks/s3cr3t-path"
        yield got


@pytest.fixture
def loopback(services: Services) -> Services:
    """The test's allow-private setting: the receiver listens on loopback."""
    services.outbound = Outbound(allow_private=True)
    return services


def _notice(kind: NoticeKind) -> Notice:
    return Notice(
        kind=kind,
        request="req_1",
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        state="GRANTED",
        at=time.time(),
    )


def test_saved_webhook_receives_signed_notices_read_at_delivery(
    loopback: Services, receiver: Receiver, tmp_path: object
) -> None:
    """The notifier exists before the webhook is saved: the worker reads the graph for each
    notice, so a saved webhook gets its events, signed with the secret shown at creation,
    and a disabled one gets nothing more."""
    notifier = Notifier(
        mailer=OutboxMailer(f"{tmp_path}/outbox"),
        retry=FAST,
        outbound=loopback.outbound,
        stored_webhooks=partial(stored_webhooks, loopback.store),
    )
    try:
        node, secret = save_webhook(
            loopback, actor=DEMO_ADMIN, name="chat", url=receiver.url, events=["Granted"]
        )
        assert secret
        receiver.secret = secret
        notifier.publish(_notice(NoticeKind.REVOKED))  # not one it wants
        notifier.publish(_notice(NoticeKind.GRANTED))
        assert notifier.drain()
        assert receiver.events == ["Granted"] and receiver.bad_signatures == 0
        assert receiver.bodies[0]["request"]["id"] == "req_1"

        save_webhook(
            loopback,
            actor=DEMO_ADMIN,
            key=node.key,
            name="chat",
            url=receiver.url,
            events=["Granted"],
            enabled=False,
        )
        notifier.publish(_notice(NoticeKind.GRANTED))
        assert notifier.drain()
        assert receiver.events == ["Granted"]
    finally:
        notifier.close()


def test_a_change_without_a_url_keeps_the_stored_one_and_a_new_webhook_needs_one(
    loopback: Services, receiver: Receiver, tmp_path: object
) -> None:
    """Pausing, resuming or renaming needs no URL (the page never gets it back, its path may
    be a secret): deliveries still reach the stored URL. Creating without one is refused."""
    node, secret = save_webhook(
        loopback, actor=DEMO_ADMIN, name="chat", url=receiver.url, events=["Granted"]
    )
    assert secret
    receiver.secret = secret
    paused, _ = save_webhook(
        loopback,
        actor=DEMO_ADMIN,
        key=node.key,
        name="chat",
        url=None,
        events=["Granted"],
        enabled=False,
    )
    assert paused.props["enabled"] is False
    assert unseal(str(paused.props["url"])) == receiver.url
    resumed, kept_secret = save_webhook(
        loopback,
        actor=DEMO_ADMIN,
        key=node.key,
        name="team chat",
        url=None,
        events=["Granted", "Revoked"],
    )
    assert kept_secret is None and resumed.props["name"] == "team chat"
    notifier = Notifier(
        mailer=OutboxMailer(f"{tmp_path}/outbox"),
        retry=FAST,
        outbound=loopback.outbound,
        stored_webhooks=partial(stored_webhooks, loopback.store),
    )
    try:
        notifier.publish(_notice(NoticeKind.REVOKED))
        assert notifier.drain()
    finally:
        notifier.close()
    assert receiver.events == ["Revoked"] and receiver.bad_signatures == 0

    before = list_webhooks(loopback, actor=DEMO_ADMIN)
    with pytest.raises(InvalidInput, match="a new webhook needs a url"):
        save_webhook(loopback, actor=DEMO_ADMIN, name="other", url=None, events=["Granted"])
    assert list_webhooks(loopback, actor=DEMO_ADMIN) == before


def test_non_admin_is_refused_and_nothing_is_stored(loopback: Services, receiver: Receiver) -> None:
    """A grantee may not save, list or delete webhooks; the refusal writes nothing."""
    with pytest.raises(Forbidden):
        save_webhook(
            loopback, actor=DEMO_GRANTEE, name="mine", url=receiver.url, events=["Granted"]
        )
    with pytest.raises(Forbidden):
        list_webhooks(loopback, actor=DEMO_GRANTEE)
    node, _ = save_webhook(
        loopback, actor=DEMO_ADMIN, name="chat", url=receiver.url, events=["Granted"]
    )
    with pytest.raises(Forbidden):
        delete_webhook(loopback, actor=DEMO_GRANTEE, key=node.key)
    assert [n.key for n in loopback.store.find_nodes("Webhook")] == [node.key]


def test_private_url_is_refused_unless_allowed(services: Services, receiver: Receiver) -> None:
    """By default a loopback URL is no allowed target: refused, nothing stored; with the
    allow-private setting the same URL is saved."""
    with pytest.raises(InvalidInput, match=r"127\.0\.0\.1"):
        save_webhook(services, actor=DEMO_ADMIN, name="x", url=receiver.url, events=["Granted"])
    assert services.store.find_nodes("Webhook") == []
    services.outbound = Outbound(allow_private=True)
    save_webhook(services, actor=DEMO_ADMIN, name="x", url=receiver.url, events=["Granted"])
    assert len(services.store.find_nodes("Webhook")) == 1


def test_bad_events_are_refused_naming_the_event(loopback: Services, receiver: Receiver) -> None:
    """An unknown kind, or one carrying a secret link (an invitation), is refused."""
    for events in (["Grantd"], ["Invited"], []):
        with pytest.raises(InvalidInput, match="event"):
            save_webhook(loopback, actor=DEMO_ADMIN, name="x", url=receiver.url, events=events)
    assert loopback.store.find_nodes("Webhook") == []


def test_secret_is_shown_once_never_stored_plain_listed_or_logged(
    loopback: Services, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """The secret is returned at creation only; the graph holds it and the URL sealed, the
    activity log names the target host only, and no log line carries either."""
    caplog.set_level(logging.DEBUG)
    node, secret = save_webhook(
        loopback, actor=DEMO_ADMIN, name="chat", url=receiver.url, events=["Granted"]
    )
    assert secret is not None
    _, again = save_webhook(
        loopback, actor=DEMO_ADMIN, key=node.key, name="chat2", url=receiver.url, events=["Expired"]
    )
    assert again is None
    # the change kept the secret the receiver was given: deliveries still verify
    [hook] = stored_webhooks(loopback.store)
    assert hook.secret == secret and hook.url == receiver.url
    [listed] = list_webhooks(loopback, actor=DEMO_ADMIN)
    stored = json.dumps(listed.props)
    assert secret not in stored and "s3cr3t-path" not in stored
    events = loopback.store.find_nodes("AuditEvent", equals={"kind": "webhook.saved"})
    assert len(events) == 2
    for event in events:
        assert secret not in str(event.props) and "s3cr3t-path" not in str(event.props)
    assert secret not in caplog.text and "s3cr3t-path" not in caplog.text
    delete_webhook(loopback, actor=DEMO_ADMIN, key=node.key)
    assert list_webhooks(loopback, actor=DEMO_ADMIN) == []

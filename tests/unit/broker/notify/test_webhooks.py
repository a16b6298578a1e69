"""Signed webhooks to a real HTTP receiver: filters, retries with backoff, replays refused."""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest

from broker import InvalidInput, Services, approve_request, request_access
from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from broker.notify import (
    DeliveryWorker,
    Job,
    Notice,
    NoticeKind,
    Notifier,
    NotifyConfig,
    OutboxMailer,
    RetryPolicy,
    Webhook,
    sign,
    signature_is_valid,
)
from broker.outbound import Outbound
from tests.support.http_server import endpoint
from tests.unit.broker.notify.conftest import WEBHOOK_SECRET, Receiver

FAST = RetryPolicy(max_attempts=4, base_delay=0.02, max_delay=0.1)


LOOPBACK_ALLOWED = Outbound(allow_private=True)  # the receiver listens on loopback


def _notifier(tmp_path: object, *hooks: Webhook, retry: RetryPolicy = FAST) -> Notifier:
    return Notifier(
        mailer=OutboxMailer(f"{tmp_path}/outbox"),
        webhooks=hooks,
        retry=retry,
        outbound=LOOPBACK_ALLOWED,
    )


def _notice(kind: NoticeKind = NoticeKind.GRANTED) -> Notice:
    return Notice(
        kind=kind,
        request="req_1",
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        state="GRANTED",
        at=time.time(),
    )


def test_receiver_verifies_signed_deliveries_filtered_by_event(
    services: Services, receiver: Receiver, tmp_path: object
) -> None:
    granted_only = Webhook(receiver.url, WEBHOOK_SECRET, frozenset({NoticeKind.GRANTED}))
    notifier = _notifier(tmp_path, granted_only)
    services.notifier = notifier
    try:
        key = request_access(
            services,
            requester=DEMO_GRANTEE,
            resource="pg-prod/payments",
            permissions=["read"],
            duration_minutes=60,
            justification="ticket 9",
        ).key
        approve_request(services, approver=DEMO_APPROVER, request=key)
        assert notifier.drain()
    finally:
        notifier.close()
    assert receiver.refused_signatures == 0
    assert receiver.events == ["Granted"]
    [body] = receiver.accepted
    assert body["event"] == "Granted" and body["request"]["id"] == key
    assert body["request"]["state"] == "GRANTED" and "expires_at" in body["details"]


def test_failing_receiver_is_retried_with_backoff_until_it_accepts(
    receiver: Receiver, tmp_path: object
) -> None:
    receiver.fail_first = 2
    notifier = _notifier(tmp_path, Webhook(receiver.url, WEBHOOK_SECRET))
    try:
        started = time.monotonic()
        notifier.publish(_notice())
        assert notifier.drain()
        took = time.monotonic() - started
    finally:
        notifier.close()
    assert receiver.attempts == 3
    assert [b["event"] for b in receiver.accepted] == ["Granted"]
    assert took >= 0.01 + 0.02, "two backoffs (each at least half its ceiling) were waited"


def test_wrong_secret_is_refused_by_the_receiver_and_given_up_without_leaking_it(
    receiver: Receiver, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = _notifier(tmp_path, Webhook(receiver.url, "not-the-secret"))
    try:
        with caplog.at_level(logging.WARNING):
            notifier.publish(_notice(NoticeKind.EXPIRED))
            assert notifier.drain()
    finally:
        notifier.close()
    assert receiver.refused_signatures == FAST.max_attempts and receiver.accepted == []
    assert "gave up on Expired webhook to http://127.0.0.1" in caplog.text
    assert "not-the-secret" not in caplog.text and "/hooks/keyturn" not in caplog.text


def test_signature_binds_the_timestamp_so_replays_and_edits_are_refused() -> None:
    body = b'{"event":"Granted"}'
    now = time.time()
    stamp = str(int(now))
    good = sign(WEBHOOK_SECRET, stamp, body)
    assert good.startswith("sha256=")
    assert signature_is_valid(WEBHOOK_SECRET, timestamp=stamp, body=body, signature=good, now=now)
    assert not signature_is_valid(
        WEBHOOK_SECRET, timestamp=stamp, body=body, signature=good, now=now + 301
    ), "an old delivery replayed later"
    later = str(int(now) + 60)
    assert not signature_is_valid(
        WEBHOOK_SECRET, timestamp=later, body=body, signature=good, now=now + 60
    ), "a fresh timestamp on an old signature"
    assert not signature_is_valid(
        WEBHOOK_SECRET, timestamp=stamp, body=body + b" ", signature=good, now=now
    )


def test_full_queue_drops_instead_of_blocking_the_request_path() -> None:
    release = threading.Event()
    worker = DeliveryWorker(capacity=1, retry=FAST)
    try:
        assert worker.submit(Job(label="slow", run=lambda: release.wait(5) and None))
        time.sleep(0.05)  # the worker has taken the slow job
        assert worker.submit(Job(label="queued", run=lambda: None))
        assert not worker.submit(Job(label="one too many", run=lambda: None))
        release.set()
        assert worker.drain()
    finally:
        release.set()
        worker.close()


def test_backoff_doubles_with_jitter_up_to_the_ceiling() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=8.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1, "jittered"


def test_webhook_config_from_the_environment_is_checked() -> None:
    env = {
        "KEYTURN_WEBHOOKS": '[{"url": "https://siem.example/in", "secret": "whsec-env-777", '
        '"events": ["Granted", "Revoked"]}]'
    }
    [hook] = NotifyConfig.from_env(env).webhooks
    assert hook.events == {NoticeKind.GRANTED, NoticeKind.REVOKED}
    assert "whsec-env-777" not in repr(hook) and "/in" not in repr(hook)
    with pytest.raises(InvalidInput, match="unknown webhook event"):
        NotifyConfig.from_env(
            {"KEYTURN_WEBHOOKS": '[{"url": "https://a", "secret": "x", "events": ["Exploded"]}]'}
        )
    with pytest.raises(InvalidInput, match="needs a signing secret"):
        NotifyConfig.from_env({"KEYTURN_WEBHOOKS": '[{"url": "https://a"}]'})
    with pytest.raises(InvalidInput, match="must be an http:// or https:// URL"):
        Webhook("ftp://a", "x")


def test_a_private_webhook_target_from_the_environment_needs_the_allow_setting() -> None:
    hooks = '[{"url": "http://169.254.169.254/latest/meta-data/", "secret": "whsec-env-777"}]'
    with pytest.raises(
        InvalidInput, match=re.escape("`169.254.169.254`, a link-local address")
    ) as refused:
        NotifyConfig.from_env({"KEYTURN_WEBHOOKS": hooks})
    assert "KEYTURN_ALLOW_PRIVATE_WEBHOOKS=1" in str(refused.value)
    assert "meta-data" not in str(refused.value), "the URL's path is never shown"
    allowed = NotifyConfig.from_env(
        {"KEYTURN_WEBHOOKS": hooks, "KEYTURN_ALLOW_PRIVATE_WEBHOOKS": "1"}
    )
    assert allowed.outbound.allow_private and len(allowed.webhooks) == 1
    with pytest.raises(InvalidInput, match="carries a user name or password"):
        Webhook("https://user:pw@siem.example/in", "x")


def test_a_webhook_to_a_loopback_receiver_is_refused_at_delivery_by_default(
    receiver: Receiver, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(
        mailer=OutboxMailer(f"{tmp_path}/outbox"),
        webhooks=[Webhook(receiver.url, WEBHOOK_SECRET)],
        retry=FAST,
    )
    try:
        with caplog.at_level(logging.WARNING):
            notifier.publish(_notice())
            assert notifier.drain()
    finally:
        notifier.close()
    assert receiver.attempts == 0, "never connected"
    assert "is refused: its URL points at `127.0.0.1`, a loopback address" in caplog.text


def test_a_webhook_answered_with_a_redirect_is_not_followed(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    with endpoint(204) as landing, endpoint(307, headers={"Location": landing.url}) as mover:
        notifier = _notifier(tmp_path, Webhook(mover.url + "hooks", WEBHOOK_SECRET))
        try:
            with caplog.at_level(logging.WARNING):
                notifier.publish(_notice())
                assert notifier.drain()
        finally:
            notifier.close()
    assert len(mover.hits) == FAST.max_attempts
    assert landing.hits == [], "the signed delivery was not sent on to the redirect"
    assert "answered with a redirect (307)" in caplog.text
    assert "Keyturn does not follow redirects" in caplog.text

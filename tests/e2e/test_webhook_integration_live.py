"""A webhook integration in a live Keyturn: a GraphQL request is provisioned by a signed POST,
and the running scheduler revokes it at expiry by another, both verified by a real receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from broker.grants import secrets as sealing
from broker.integrations import IntegrationProvisioner
from tests.e2e.conftest import LiveKeyturn
from tests.support.grants_lab import FAST, RESOURCE, access_keys, add_lab, state_of
from tests.support.webhook_receiver import SECRET, Receiver, receiving

REQUEST = """
mutation($resource: String!, $minutes: Int!) {
  requestAccess(request: {resource: $resource, permissions: ["read"],
                          durationMinutes: $minutes, justification: ""}) { id state }
}"""


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv(sealing.ENV_KEY, "e2e-sealing-key-0123456789abcdef")
    sealing.forget_key()
    with receiving() as got:
        yield got
    sealing.forget_key()


def test_a_granted_request_is_revoked_through_the_webhook_by_the_running_scheduler(
    live: LiveKeyturn, receiver: Receiver
) -> None:
    services = live.services
    assert services.outbound.allow_private, "the receiver on loopback is allowed explicitly"
    services.provisioner = IntegrationProvisioner(
        services.store, clock=live.clock, retry=FAST, outbound=lambda: services.outbound
    )
    add_lab(services, type_="webhook", config={"url": receiver.url, "secret": SECRET})

    asked = live.grantee.data(REQUEST, resource=RESOURCE, minutes=20)["requestAccess"]
    assert asked["state"] == "GRANTED"
    assert access_keys(services) == [asked["id"]]
    assert receiver.actions() == ["grant"]

    live.clock.advance(20 * 60)
    deadline = time.monotonic() + 10
    while state_of(services, asked["id"]) != "EXPIRED" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state_of(services, asked["id"]) == "EXPIRED"
    assert access_keys(services) == []
    assert receiver.actions() == ["grant", "revoke"]
    assert receiver.refused_signatures == 0
    assert receiver.idempotency_keys == [asked["id"], asked["id"]]

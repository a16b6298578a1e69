"""Saving integrations: admins only, config sealed at rest, no secret in the activity log."""

from __future__ import annotations

import json

import pytest

from broker import Forbidden, InvalidInput, Services, audit
from broker.demo import DEMO_ADMIN, DEMO_AUDITOR
from broker.integrations import read_config
from broker.integrations.save_integration import save_integration

URL = "https://hooks.example.com/keyturn/very-secret-path"
SECRET = "whsec-0123456789abcdef"


def test_config_is_sealed_and_the_event_names_fields_only(services: Services) -> None:
    saved = save_integration(
        services,
        actor=DEMO_ADMIN,
        key="hr",
        name="HR system",
        type="webhook",
        config={"url": URL, "secret": SECRET},
        tags=["pii"],
    )
    stored = services.store.get_node("Integration", "hr")
    assert stored is not None and stored.props == saved.props
    assert SECRET not in str(stored.props["config"]) and URL not in str(stored.props["config"])
    assert read_config(stored) == {"url": URL, "secret": SECRET}
    (event,) = [e for e in audit.read_events(services.store) if e.kind == "integration.saved"]
    assert event.actor == DEMO_ADMIN
    assert event.data["config_fields"] == ["secret", "url"]
    assert SECRET not in json.dumps(event.data) and "very-secret-path" not in json.dumps(event.data)


def test_changing_a_webhooks_url_keeps_its_secret(services: Services) -> None:
    config = {"url": URL, "secret": SECRET}
    save_integration(services, actor=DEMO_ADMIN, key="hr", name="HR", type="webhook", config=config)
    moved = {"url": "https://hooks2.example.com/x"}
    save_integration(services, actor=DEMO_ADMIN, key="hr", name="HR", type="webhook", config=moved)
    stored = services.store.get_node("Integration", "hr")
    assert stored is not None
    assert read_config(stored) == {"url": "https://hooks2.example.com/x", "secret": SECRET}


def test_bad_config_and_non_admins_are_refused_with_nothing_saved(services: Services) -> None:
    with pytest.raises(InvalidInput, match="http:// or https://"):
        save_integration(
            services,
            actor=DEMO_ADMIN,
            key="hr",
            name="HR",
            type="webhook",
            config={"url": "ftp://x", "secret": SECRET},
        )
    with pytest.raises(InvalidInput, match="at least 16 characters"):
        save_integration(
            services,
            actor=DEMO_ADMIN,
            key="hr",
            name="HR",
            type="webhook",
            config={"url": URL, "secret": "short"},
        )
    with pytest.raises(Forbidden, match="only admins may manage integrations"):
        save_integration(
            services,
            actor=DEMO_AUDITOR,
            key="hr",
            name="HR",
            type="webhook",
            config={"url": URL, "secret": SECRET},
        )
    assert services.store.get_node("Integration", "hr") is None

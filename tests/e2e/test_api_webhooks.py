"""Stored webhooks over GraphQL: admins save one and see its secret once; lists show the
target host only; a grantee is refused and nothing is stored."""

from __future__ import annotations

from tests.e2e.conftest import LiveKeyturn

SAVE = """
mutation($key: String, $url: String!) {
  saveWebhook(key: $key, name: "chat", url: $url, events: ["Granted", "Revoked"]) {
    secret webhook { key name target events enabled }
  }
}"""
LIST = "{ webhooks { key name target events enabled } }"


def test_admin_saves_a_webhook_and_sees_its_secret_once(live: LiveKeyturn) -> None:
    url = "https://hooks.invalid/services/T0/s3cr3t-path"
    saved = live.admin.data(SAVE, url=url)["saveWebhook"]
    assert saved["secret"].startswith("whsec_")
    hook = saved["webhook"]
    assert hook["target"] == "https://hooks.invalid" and hook["events"] == ["Granted", "Revoked"]
    again = live.admin.data(SAVE, key=hook["key"], url=url)["saveWebhook"]
    assert again["secret"] is None
    listed = live.admin.data(LIST)["webhooks"]
    assert listed == [hook]
    assert "s3cr3t-path" not in str(listed)
    assert live.admin.data("mutation($k: String!) { deleteWebhook(key: $k) }", k=hook["key"])
    assert live.admin.data(LIST)["webhooks"] == []


def test_a_grantee_is_refused_and_nothing_is_stored(live: LiveKeyturn) -> None:
    error = live.grantee.error(SAVE, url="https://hooks.invalid/x")
    assert error["extensions"]["code"] == "forbidden"
    assert live.grantee.error(LIST)["extensions"]["code"] == "forbidden"
    assert live.admin.data(LIST)["webhooks"] == []

"""What the log shows of GraphQL errors: refusals in one line without the document or its
variables; defects with a traceback under an id that the caller sees instead of the error."""

from __future__ import annotations

import logging

import pytest

import api.graphql.queries_requests as queries_requests
from tests.e2e.conftest import LiveKeyturn

SECRET = "s3cret-inline-password-7731"
SAVE = """
mutation($config: JSON!) {
  saveIntegration(integration: {key: "hooks", name: "Hooks", type: "webhook", config: $config}) {
    key
  }
}"""


def test_a_refused_change_logs_one_line_without_the_document_or_its_secrets(
    live: LiveKeyturn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = {"url": "https://hooks.example/in", "password": SECRET}
    refused = live.grantee.error(SAVE, config=config)
    assert refused["extensions"]["code"] == "forbidden"
    assert SECRET not in caplog.text
    assert "saveIntegration(" not in caplog.text
    lines = [r for r in caplog.records if r.name == "keyturn.api.graphql"]
    assert [(r.levelname, r.getMessage()) for r in lines] == [
        ("INFO", "graphql refused: forbidden at saveIntegration")
    ]
    assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.ERROR)


def test_an_unexpected_error_is_masked_for_the_caller_and_logged_with_its_id(
    live: LiveKeyturn, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> object:
        raise RuntimeError(f"a defect that mentions {SECRET}")

    monkeypatch.setattr(queries_requests, "my_requests", broken)
    error = live.grantee.error("{ myRequests { id } }")
    assert error["extensions"]["code"] == "internal"
    ident = error["extensions"]["id"]
    assert error["message"] == (
        f"internal error (id {ident}): try again, and give this id to your admin if it "
        "happens again"
    )
    assert SECRET not in str(error)
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.getMessage() == f"graphql internal error {ident} at myRequests"
    assert logged.exc_info is not None and logged.exc_info[0] is RuntimeError
    assert "myRequests { id }" not in caplog.text

"""The base URL in links users follow: configured, else where the server listens."""

from __future__ import annotations

import re

import pytest

from api.config import public_url_for


def test_without_configuration_links_follow_the_listen_address() -> None:
    assert public_url_for("127.0.0.1", 8123, None) == "http://127.0.0.1:8123"
    assert public_url_for("::1", 9000, None) == "http://[::1]:9000"


def test_a_wildcard_listen_address_becomes_localhost() -> None:
    assert public_url_for("0.0.0.0", 8000, None) == "http://localhost:8000"  # noqa: S104
    assert public_url_for("::", 8000, None) == "http://localhost:8000"


def test_a_configured_url_wins_without_its_trailing_slash() -> None:
    assert public_url_for("127.0.0.1", 8000, "https://keyturn.example/") == (
        "https://keyturn.example"
    )
    assert public_url_for("0.0.0.0", 1, "https://acme.example/keyturn") == (  # noqa: S104
        "https://acme.example/keyturn"
    )


@pytest.mark.parametrize(
    "wrong", ["keyturn.example", "ftp://keyturn.example", "https://", "http://h/?q=1"]
)
def test_a_configured_url_that_is_no_base_url_is_refused(wrong: str) -> None:
    with pytest.raises(
        ValueError, match=re.escape(f"KEYTURN_PUBLIC_URL `{wrong}` is not a base URL")
    ):
        public_url_for("127.0.0.1", 8000, wrong)

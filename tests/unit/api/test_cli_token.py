"""`keyturn token` issues a token on the terms asked for (scope, days), checked by the
broker: a bad term prints why, exits 2 and issues nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from api.server import open_services
from broker import authenticate
from broker.demo import DEMO_GRANTEE
from broker.identities.api_tokens import token_key


def _url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"embedded:{tmp_path / 'graph.db'}"
    assert main(["demo", "--graph", url]) == 0
    capsys.readouterr()
    return url


def test_token_takes_a_scope_and_an_expiry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _url(tmp_path, capsys)
    args = ["token", "--user", DEMO_GRANTEE, "--name", "reports", "--graph", url]
    assert main([*args, "--scope", "read", "--expires-in-days", "30"]) == 0
    token = capsys.readouterr().out.strip()
    services = open_services(url)
    try:
        stored = services.store.get_node("ApiToken", token_key(token))
        assert stored is not None
        assert stored.props["scope"] == "read"
        assert stored.props["expires_at"] == stored.props["created_at"] + 30 * 86400
        assert authenticate(services, token).scope == "read"
    finally:
        services.store.close()


def test_token_refuses_bad_terms_and_issues_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _url(tmp_path, capsys)
    args = ["token", "--user", DEMO_GRANTEE, "--graph", url]
    assert main([*args, "--expires-in-days", "400"]) == 2
    assert "token expiry `400` days is out of range" in capsys.readouterr().err
    assert main([*args, "--scope", "admin"]) == 2
    assert "token scope `admin` is unknown: use `full`, `read` or `scim`" in capsys.readouterr().err
    services = open_services(url)
    try:
        mine = services.store.find_nodes("ApiToken", equals={"owner": DEMO_GRANTEE})
        assert mine == []
    finally:
        services.store.close()

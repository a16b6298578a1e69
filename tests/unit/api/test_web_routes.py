"""The built web app at `/`: client routes fall back to index.html, the API's addresses
never do, hashed assets are cached for good, and an unbuilt app says how to build it."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.web_routes import BUILD_HINT, web_routes

PAGE = b'<!doctype html><html lang="en"><body><div id="root"></div></body></html>'


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(PAGE)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    return tmp_path


def _client(dist: Path) -> TestClient[Litestar]:
    return TestClient(Litestar(route_handlers=web_routes(dist)))


@pytest.mark.parametrize("path", ["/", "/requests/r-42", "/reset/some-token", "/access/"])
def test_app_routes_are_answered_with_the_apps_page(built: Path, path: str) -> None:
    with _client(built) as client:
        reply = client.get(path)
    assert reply.status_code == 200
    assert reply.content == PAGE
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/auth/nope", "/graphql/x", "/invite", "/scim/v2/Users", "/favicon.ico"]
)
def test_api_addresses_and_files_are_not_the_apps_page(built: Path, path: str) -> None:
    with _client(built) as client:
        reply = client.get(path)
    assert reply.status_code == 404
    assert b"root" not in reply.content


def test_hashed_assets_are_served_and_cached_for_good(built: Path) -> None:
    with _client(built) as client:
        asset = client.get("/assets/index-abc123.js")
        missing = client.get("/assets/index-zzz.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('app')"
    assert "immutable" in asset.headers["cache-control"]
    assert missing.status_code == 404


def test_an_unbuilt_app_says_how_to_build_it(tmp_path: Path) -> None:
    with _client(tmp_path / "dist") as client:
        reply = client.get("/requests/r-1")
    assert reply.status_code == 503
    assert BUILD_HINT in reply.text
    assert "make web" in reply.text


def test_sign_in_methods_offer_sso_only_when_configured(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEYTURN_OIDC_ISSUER", raising=False)
    with _client(built) as client:
        assert client.get("/auth/methods").json() == {"password": True, "sso": False}
    monkeypatch.setenv("KEYTURN_OIDC_ISSUER", "https://idp.example")
    monkeypatch.setenv("KEYTURN_OIDC_CLIENT_ID", "keyturn")
    monkeypatch.setenv("KEYTURN_OIDC_CLIENT_SECRET", "s3cret-value")
    with _client(built) as client:
        assert client.get("/auth/methods").json() == {"password": True, "sso": True}

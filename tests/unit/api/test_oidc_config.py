"""Single sign-on settings from the environment: off unless an issuer is set, and a wrong
setting refused with the variable named."""

from __future__ import annotations

import pytest

from api.config import oidc_config

PROVIDER = {
    "KEYTURN_OIDC_ISSUER": "https://id.corp.example",
    "KEYTURN_OIDC_CLIENT_ID": "keyturn",
    "KEYTURN_OIDC_CLIENT_SECRET": "s3cret",
}


def test_single_sign_on_is_off_without_an_issuer() -> None:
    assert oidc_config({}) is None


def test_issuer_without_client_credentials_is_refused_naming_them() -> None:
    with pytest.raises(ValueError, match="KEYTURN_OIDC_CLIENT_ID or KEYTURN_OIDC_CLIENT_SECRET"):
        oidc_config({"KEYTURN_OIDC_ISSUER": "https://id.corp.example"})


def test_role_map_and_domains_are_read() -> None:
    config = oidc_config(
        {
            **PROVIDER,
            "KEYTURN_OIDC_ROLE_CLAIM": "groups",
            "KEYTURN_OIDC_ROLE_MAP": "keyturn-admins=admin, auditors=auditor",
            "KEYTURN_OIDC_ALLOWED_DOMAINS": "Corp.example,",
        }
    )
    assert config is not None
    assert dict(config.role_map) == {"keyturn-admins": "admin", "auditors": "auditor"}
    assert (config.allowed_domains, config.default_role) == ({"corp.example"}, "grantee")
    assert config.scope == "openid email profile"


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ({"KEYTURN_OIDC_ROLE_CLAIM": "groups", "KEYTURN_OIDC_ROLE_MAP": "ops"}, "not `value=role`"),
        ({"KEYTURN_OIDC_ROLE_CLAIM": "groups", "KEYTURN_OIDC_ROLE_MAP": "ops=root"}, "`root`"),
        ({"KEYTURN_OIDC_ROLE_MAP": "ops=admin"}, "needs the claim"),
        (
            {"KEYTURN_OIDC_ALLOWED_DOMAINS": "corp.example", "KEYTURN_OIDC_DEFAULT_ROLE": "boss"},
            "`boss`",
        ),
    ],
)
def test_a_wrong_role_mapping_is_refused(setting: dict[str, str], said: str) -> None:
    with pytest.raises(ValueError, match=said):
        oidc_config({**PROVIDER, **setting})


def test_scopes_always_ask_for_openid() -> None:
    config = oidc_config({**PROVIDER, "KEYTURN_OIDC_SCOPES": "email groups"})
    assert config is not None and config.scope == "openid email groups"

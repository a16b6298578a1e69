"""Who may join through single sign-on without an invitation: the role mapping."""

from __future__ import annotations

from typing import Any

from broker.identities.oidc import OidcConfig, VerifiedIdentity
from broker.identities.sso_sign_in import role_for

ISSUER = "https://id.corp.example"


def _config(**mapping: Any) -> OidcConfig:
    return OidcConfig(issuer=ISSUER, client_id="keyturn", client_secret="s", **mapping)


def _person(email: str, **claims: Any) -> VerifiedIdentity:
    return VerifiedIdentity(ISSUER, "sub-1", email, "", {"email": email, **claims})


def test_the_strongest_mapped_group_gives_the_role() -> None:
    config = _config(role_claim="groups", role_map={"staff": "grantee", "ops": "admin"})
    assert role_for(config, _person("a@x.example", groups=["staff", "ops"])) == "admin"
    assert role_for(config, _person("a@x.example", groups="staff")) == "grantee"


def test_unmapped_groups_and_other_domains_give_no_role() -> None:
    config = _config(
        role_claim="groups",
        role_map={"ops": "admin"},
        allowed_domains=frozenset({"corp.example"}),
        default_role="grantee",
    )
    assert role_for(config, _person("a@elsewhere.example", groups=["sales"])) is None
    assert role_for(config, _person("a@corp.example", groups=["sales"])) == "grantee"
    # a look-alike domain is not the allowed one
    assert role_for(config, _person("a@evilcorp.example")) is None


def test_without_a_mapping_nobody_joins() -> None:
    assert role_for(_config(), _person("a@corp.example", groups=["ops"])) is None

"""Scope `scim` is one rule in `authenticate`: only an admin's `scim` token reaches
/scim/v2, and a `scim` token reaches nothing else."""

from __future__ import annotations

import pytest

from broker import Forbidden, Services, Unauthenticated, authenticate, issue_api_token
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE


def test_a_scim_token_authenticates_only_for_scim(services: Services) -> None:
    token = issue_api_token(services, owner=DEMO_ADMIN, name="okta", scope="scim")
    client = authenticate(services, token, scim=True)
    assert (client.key, client.scope) == (DEMO_ADMIN, "scim")
    assert client.token_key.startswith("tok_")
    with pytest.raises(Unauthenticated, match="reaches only /scim/v2"):
        authenticate(services, token)


def test_other_tokens_and_a_non_admins_scim_token_are_refused_at_scim(services: Services) -> None:
    full = issue_api_token(services, owner=DEMO_ADMIN, name="admin")
    read = issue_api_token(services, owner=DEMO_ADMIN, name="reports", scope="read")
    for token in (full, read):
        with pytest.raises(Forbidden, match="takes only a token of scope `scim`"):
            authenticate(services, token, scim=True)
        assert authenticate(services, token).key == DEMO_ADMIN
    grantee = issue_api_token(services, owner=DEMO_GRANTEE, name="sneaky", scope="scim")
    with pytest.raises(Forbidden, match="must be an admin's"):
        authenticate(services, grantee, scim=True)

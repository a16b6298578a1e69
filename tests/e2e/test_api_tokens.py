"""API tokens over GraphQL: issued once in plain text, listed without secrets, revoked."""

from __future__ import annotations

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn
from tests.support.http_server import GraphQLClient

ISSUE = """
mutation($name: String!, $owner: String) {
  issueToken(name: $name, owner: $owner) { token apiToken { key owner name revoked } }
}"""
REVOKE = "mutation($key: String!) { revokeToken(key: $key) { key revoked } }"
LIST = "query($owner: String) { apiTokens(owner: $owner) { key owner name revoked } }"


def test_an_issued_token_works_until_it_is_revoked(live: LiveKeyturn) -> None:
    issued = live.grantee.data(ISSUE, name="laptop")["issueToken"]
    assert issued["apiToken"]["owner"] == DEMO_GRANTEE
    assert issued["token"].startswith("kt_")
    laptop = GraphQLClient(live.base_url, issued["token"])
    try:
        assert laptop.data("{ me { key } }") == {"me": {"key": DEMO_GRANTEE}}
        listed = live.grantee.data(LIST)["apiTokens"]
        assert {
            "key": issued["apiToken"]["key"],
            "owner": DEMO_GRANTEE,
            "name": "laptop",
            "revoked": False,
        } in listed

        revoked = live.grantee.data(REVOKE, key=issued["apiToken"]["key"])["revokeToken"]
        assert revoked["revoked"] is True
        error = laptop.error("{ me { key } }")
        assert error["extensions"]["code"] == "unauthenticated"
        assert error["message"] == "the API token is unknown or revoked"
    finally:
        laptop.close()
    again = live.grantee.error(REVOKE, key=issued["apiToken"]["key"])
    assert again["extensions"]["code"] == "conflict"
    assert again["message"] == f"API token `{issued['apiToken']['key']}` is already revoked"


def test_only_admins_manage_someone_elses_tokens(live: LiveKeyturn) -> None:
    refused = live.grantee.error(ISSUE, name="sneaky", owner=DEMO_APPROVER)
    assert refused["extensions"]["code"] == "forbidden"
    assert refused["message"] == "only admins may issue API tokens for someone else"
    assert live.grantee.error(LIST, owner=DEMO_APPROVER)["extensions"]["code"] == "forbidden"

    for_grace = live.admin.data(ISSUE, name="support", owner=DEMO_APPROVER)["issueToken"]
    assert for_grace["apiToken"]["owner"] == DEMO_APPROVER
    key = for_grace["apiToken"]["key"]
    assert live.grantee.error(REVOKE, key=key)["extensions"]["code"] == "forbidden"
    assert live.approver.data(REVOKE, key=key)["revokeToken"]["revoked"] is True


def test_bad_token_input_is_refused_and_issues_nothing(live: LiveKeyturn) -> None:
    before = live.grantee.data(LIST)["apiTokens"]
    blank = live.grantee.error(ISSUE, name="  ")
    assert blank["extensions"]["code"] == "invalid_input"
    assert blank["message"] == "token name `  ` must be 1-100 characters: name its use"
    nobody = live.admin.error(ISSUE, name="x", owner="ghost@acme.example")
    assert nobody["extensions"]["code"] == "not_found"
    assert live.grantee.data(LIST)["apiTokens"] == before
    unknown = live.admin.error(REVOKE, key="tok_nope")
    assert unknown["message"] == "no API token `tok_nope` exists: list the tokens to find its key"

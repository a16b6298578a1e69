"""API tokens over GraphQL: issued once in plain text, listed without secrets, revoked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from graphql import GraphQLNamedType, get_named_type, is_leaf_type, is_required_argument

from api.graphql.schema import schema
from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn
from tests.support.http_server import GraphQLClient

DAY = 86400

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


ISSUE_WITH_TERMS = """
mutation($name: String!, $scope: TokenScope!, $days: Int!) {
  issueToken(name: $name, scope: $scope, expiresInDays: $days) {
    token apiToken { key scope expiresAt lastUsedAt }
  }
}"""
LIST_TERMS = "{ apiTokens { key name scope expiresAt lastUsedAt } }"
REQUEST = """
mutation($resource: String!) {
  requestAccess(request: {resource: $resource, permissions: ["read"],
                          durationMinutes: 15, justification: ""}) { id state }
}"""
MY_REQUESTS = "{ myRequests { id } }"


@contextmanager
def _client(live: LiveKeyturn, token: str) -> Iterator[GraphQLClient]:
    client = GraphQLClient(live.base_url, token)
    try:
        yield client
    finally:
        client.close()


def _every_mutation() -> list[tuple[str, str]]:
    """Each mutation of the live schema, as a document that validates: its required
    arguments as variables (never sent), and `__typename` where it returns an object."""
    mutation = schema._schema.mutation_type
    assert mutation is not None
    documents = []
    for name, field in mutation.fields.items():
        required = {a: arg for a, arg in field.args.items() if is_required_argument(arg)}
        declared = ", ".join(f"${a}: {arg.type}" for a, arg in required.items())
        passed = ", ".join(f"{a}: ${a}" for a in required)
        returned: GraphQLNamedType = get_named_type(field.type)
        selection = "" if is_leaf_type(returned) else " { __typename }"
        head = f"mutation({declared})" if declared else "mutation"
        call = f"{name}({passed})" if passed else name
        documents.append((name, f"{head} {{ {call}{selection} }}"))
    return documents


def test_a_read_token_runs_queries_and_is_refused_every_mutation(live: LiveKeyturn) -> None:
    issued = live.grantee.data(ISSUE_WITH_TERMS, name="reports", scope="READ", days=30)
    assert issued["issueToken"]["apiToken"]["scope"] == "READ"
    refusal = (
        "API token `reports` has scope `read`: it may run queries but no mutation; issue a "
        "token with scope `full` to change anything"
    )
    with _client(live, issued["issueToken"]["token"]) as reader:
        assert reader.data("{ me { key } }") == {"me": {"key": DEMO_GRANTEE}}
        assert reader.data(LIST_TERMS)["apiTokens"]
        documents = _every_mutation()
        assert {"requestAccess", "approveRequest", "revokeToken", "saveBundle"} <= {
            name for name, _ in documents
        }
        for name, document in documents:
            error = reader.error(document)
            assert "extensions" in error, (name, document, error)
            assert (name, error["extensions"]["code"], error["message"]) == (
                name,
                "forbidden",
                refusal,
            )
        # Refused before anything runs: with real arguments, nothing changes either.
        before = live.grantee.data(MY_REQUESTS)["myRequests"]
        assert reader.error(REQUEST, resource="pg-prod/orders")["message"] == refusal
        assert live.grantee.data(MY_REQUESTS)["myRequests"] == before
        own_key = issued["issueToken"]["apiToken"]["key"]
        assert reader.error(REVOKE, key=own_key)["message"] == refusal
        assert reader.data("{ me { key } }") == {"me": {"key": DEMO_GRANTEE}}


def test_a_full_token_changes_things_and_its_terms_are_listed(live: LiveKeyturn) -> None:
    issued_at = live.clock()
    issued = live.grantee.data(ISSUE_WITH_TERMS, name="deploy", scope="FULL", days=7)
    api_token = issued["issueToken"]["apiToken"]
    expires = datetime.fromtimestamp(issued_at + 7 * DAY, UTC)
    assert datetime.fromisoformat(api_token["expiresAt"]) == expires
    assert api_token["lastUsedAt"] is None
    with _client(live, issued["issueToken"]["token"]) as deployer:
        made = deployer.data(REQUEST, resource="pg-prod/orders")["requestAccess"]
        assert made["state"] in ("GRANTED", "GRANTING", "APPROVED")
        listed = {t["key"]: t for t in deployer.data(LIST_TERMS)["apiTokens"]}
    used = listed[api_token["key"]]
    assert (used["scope"], used["expiresAt"]) == ("FULL", api_token["expiresAt"])
    assert datetime.fromisoformat(used["lastUsedAt"]) == datetime.fromtimestamp(issued_at, UTC)


def test_an_expired_token_is_refused_with_401_and_when_it_expired(live: LiveKeyturn) -> None:
    issued_at = live.clock()
    token = live.grantee.data(ISSUE_WITH_TERMS, name="short", scope="FULL", days=1)
    with _client(live, token["issueToken"]["token"]) as short:
        assert short.data("{ me { key } }") == {"me": {"key": DEMO_GRANTEE}}
        live.clock.advance(DAY)
        error = short.error("{ me { key } }")
    assert short.last_status == 401
    assert error["extensions"]["code"] == "unauthenticated"
    day = datetime.fromtimestamp(issued_at + DAY, UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert error["message"] == f"API token `short` expired on {day}: issue a new one"


def test_bad_terms_are_refused_and_issue_nothing(live: LiveKeyturn) -> None:
    before = live.grantee.data(LIST)["apiTokens"]
    too_long = live.grantee.error(ISSUE_WITH_TERMS, name="x", scope="FULL", days=366)
    assert too_long["extensions"]["code"] == "invalid_input"
    assert too_long["message"] == (
        "token expiry `366` days is out of range: a token lasts 1-365 days, issue a new one "
        "when it runs out"
    )
    unknown = live.grantee.error(ISSUE_WITH_TERMS, name="x", scope="WRITE", days=1)
    assert "WRITE" in unknown["message"]
    assert live.grantee.data(LIST)["apiTokens"] == before

"""Browsing the graph node by node, and the depth limit that keeps such queries bounded;
introspection only for signed-in callers."""

from __future__ import annotations

import httpx

from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn

NODE = """
query($kind: String!, $key: String!) {
  graphNode(kind: $kind, key: $key) {
    kind key props
    neighbours(edge: "MEMBER_OF") { key neighbours(edge: "MEMBER_OF") { key } }
  }
}"""
TOKENS = """
query($key: String!) { graphNode(kind: "User", key: $key) { neighbours(edge: "OWNS") { props } } }
"""


def _nested(levels: int) -> str:
    """A browse query whose fields nest `levels` deep."""
    inner = "key"
    for _ in range(levels - 2):
        inner = f'neighbours(edge: "MEMBER_OF", first: 1) {{ {inner} }}'
    return f'query Deep {{ graphNode(kind: "User", key: "{DEMO_GRANTEE}") {{ {inner} }} }}'


def test_auditors_browse_from_a_node_along_its_edges(live: LiveKeyturn) -> None:
    node = live.auditor.data(NODE, kind="User", key=DEMO_GRANTEE)["graphNode"]
    assert node["props"]["role"] == "grantee"
    assert node["neighbours"] == [{"key": "backend", "neighbours": [{"key": "engineering"}]}]
    members = live.auditor.data(
        '{ graphNode(kind: "Group", key: "backend") { neighbours(edge: "MEMBER_OF", '
        "direction: IN) { key } } }"
    )
    assert members["graphNode"]["neighbours"] == [{"key": DEMO_GRANTEE}]


def test_browsing_hides_token_hashes(live: LiveKeyturn) -> None:
    tokens = live.admin.data(TOKENS, key=DEMO_ADMIN)["graphNode"]["neighbours"]
    assert tokens and all("token_hash" not in t["props"] for t in tokens)
    assert all(t["props"]["owner"] == DEMO_ADMIN for t in tokens)


def test_browsing_is_for_admins_and_auditors_with_precise_errors(live: LiveKeyturn) -> None:
    refused = live.grantee.error(NODE, kind="User", key=DEMO_GRANTEE)
    assert refused["message"] == "only admins and auditors may query the access graph"
    missing = live.auditor.error(NODE, kind="User", key="ghost@acme.example")
    assert missing["extensions"]["code"] == "not_found"
    assert missing["message"] == (
        "no User `ghost@acme.example` exists in the access graph: check the key"
    )
    bad_edge = live.auditor.error(
        '{ graphNode(kind: "Group", key: "backend") { neighbours(edge: "LIKES") { key } } }'
    )
    assert bad_edge["message"].startswith("edge kind `LIKES` is unknown: use one of `MEMBER_OF`")


def test_a_query_nesting_deeper_than_ten_levels_is_refused_before_it_runs(
    live: LiveKeyturn,
) -> None:
    assert live.auditor.data(_nested(10))["graphNode"] is not None
    error = live.auditor.error(_nested(11))
    assert error["message"] == (
        "Deep nests fields 11 levels deep, more than the 10 allowed: ask for fewer nested fields"
    )
    assert error["extensions"]["code"] == "query_too_deep"
    introspection = live.auditor.error(
        "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType "
        "{ ofType { ofType { name } } } } } } } } } } } }"
    )
    assert introspection["extensions"]["code"] == "query_too_deep"


def test_introspection_is_for_signed_in_callers_only(live: LiveKeyturn) -> None:
    query = "{ __schema { queryType { name } } }"
    assert live.grantee.data(query) == {"__schema": {"queryType": {"name": "Query"}}}
    reply = httpx.post(f"{live.base_url}/graphql", json={"query": query}, timeout=30)
    # The HTTP layer may answer 401 before GraphQL runs; either way no schema is shown.
    assert reply.status_code in (200, 401)
    assert "queryType" not in reply.text
    if reply.status_code == 200:
        body = reply.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "unauthenticated"


def test_anonymous_callers_get_no_field_suggestions(live: LiveKeyturn) -> None:
    query = '{ effectivAccess(identity: "x") { resource { key } } }'
    reply = httpx.post(f"{live.base_url}/graphql", json={"query": query}, timeout=30)
    assert reply.status_code in (200, 401)
    assert "Did you mean" not in reply.text
    suggested = live.grantee.error(query)["message"]
    assert "Did you mean 'effectiveAccess'?" in suggested

"""Access-graph analyses over GraphQL: admins and auditors ask anything, grantees only
about their own access; bad input and refused raw queries are precise errors."""

from __future__ import annotations

import pytest

from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn

ORDERS = "pg-prod/orders"
EFFECTIVE = """
query($who: String!) {
  effectiveAccess(identity: $who) {
    resource { kind key } grant permissions standing expiresAt holder { key }
    grantedOn { key } path { nodes { kind key } edges }
  }
}"""
WHO_CAN = "query($r: String!) { whoCanAccess(resource: $r) { identity { key } grant } }"
WHO_COULD = "query($r: String!) { whoCouldRequest(resource: $r) { identity { key } flow groups } }"
PATHS = """
query($who: String!, $r: String!, $depth: Int!) {
  accessPaths(identity: $who, resource: $r, maxDepth: $depth) { nodes { kind key } edges }
}"""
BLAST = """
query($who: String!) {
  blastRadius(identity: $who) { resources perIntegration { key count } perTag { key count } }
}"""
SAVED = "{ savedQueries { name description parameters { name default } } }"
RUN = """
query($name: String!, $params: JSON) {
  runSavedQuery(name: $name, params: $params) { subject { key } target { key } detail }
}"""
RAW = """
query($cypher: String!, $params: JSON) {
  rawQuery(cypher: $cypher, params: $params) { columns rows truncated }
}"""
QUICK_LOOK = """
mutation { requestAccess(request: {resource: "pg-prod/orders", permissions: ["read"],
                                   durationMinutes: 30}) { id state } }"""


@pytest.fixture
def granted(live: LiveKeyturn) -> str:
    """The demo grantee holds a JIT grant on pg-prod/orders (an auto-approving flow)."""
    asked = live.grantee.data(QUICK_LOOK)["requestAccess"]
    assert asked["state"] == "GRANTED"
    return str(asked["id"])


def test_a_grantee_sees_their_own_effective_access_and_nobody_elses(
    live: LiveKeyturn, granted: str
) -> None:
    mine = live.grantee.data(EFFECTIVE, who=DEMO_GRANTEE)["effectiveAccess"]
    assert len(mine) == 1
    access = mine[0]
    assert access["resource"] == {"kind": "Resource", "key": ORDERS}
    assert access["grant"] == granted
    assert access["permissions"] == ["read"]
    assert access["standing"] is False and access["expiresAt"] is not None
    assert access["path"] == {
        "nodes": [{"kind": "User", "key": DEMO_GRANTEE}, {"kind": "Resource", "key": ORDERS}],
        "edges": ["HAS_ACCESS"],
    }
    refused = live.grantee.error(EFFECTIVE, who=DEMO_APPROVER)
    assert refused["extensions"]["code"] == "forbidden"
    assert refused["message"] == "only admins and auditors may query the access graph"
    assert live.auditor.data(EFFECTIVE, who=DEMO_GRANTEE)["effectiveAccess"] == mine


def test_auditors_ask_who_can_and_who_could_access_a_resource(
    live: LiveKeyturn, granted: str
) -> None:
    who = live.auditor.data(WHO_CAN, r=ORDERS)["whoCanAccess"]
    assert who == [{"identity": {"key": DEMO_GRANTEE}, "grant": granted}]
    could = live.admin.data(WHO_COULD, r=ORDERS)["whoCouldRequest"]
    assert {
        "identity": {"key": DEMO_GRANTEE},
        "flow": "orders-quick-look",
        "groups": ["backend"],
    } in could
    assert {(r["identity"]["key"], r["flow"]) for r in could} >= {
        (DEMO_APPROVER, "db-readers"),
        (DEMO_GRANTEE, "db-readers"),
    }
    for query, variables in ((WHO_CAN, {"r": ORDERS}), (WHO_COULD, {"r": ORDERS})):
        assert live.grantee.error(query, **variables)["extensions"]["code"] == "forbidden"


def test_access_paths_and_blast_radius(live: LiveKeyturn, granted: str) -> None:
    paths = live.auditor.data(PATHS, who=DEMO_GRANTEE, r=ORDERS, depth=4)["accessPaths"]
    assert paths == [
        {
            "nodes": [{"kind": "User", "key": DEMO_GRANTEE}, {"kind": "Resource", "key": ORDERS}],
            "edges": ["HAS_ACCESS"],
        }
    ]
    blast = live.auditor.data(BLAST, who=DEMO_GRANTEE)["blastRadius"]
    assert blast == {
        "resources": 1,
        "perIntegration": [{"key": "pg-prod", "count": 1}],
        "perTag": [],
    }
    too_deep = live.auditor.error(PATHS, who=DEMO_GRANTEE, r=ORDERS, depth=0)
    assert too_deep["extensions"]["code"] == "invalid_input"
    assert too_deep["message"] == "max depth `0` is outside 1..12: pick a depth inside"
    assert live.grantee.error(BLAST, who=DEMO_GRANTEE)["extensions"]["code"] == "forbidden"


def test_an_unknown_identity_or_resource_is_not_found(live: LiveKeyturn) -> None:
    missing = live.auditor.error(EFFECTIVE, who="ghost@acme.example")
    assert missing["extensions"]["code"] == "not_found"
    assert "`ghost@acme.example`" in missing["message"]
    assert live.auditor.error(WHO_CAN, r="pg-prod/nope")["extensions"]["code"] == "not_found"


def test_saved_queries_are_listed_and_run_with_now_filled_in(
    live: LiveKeyturn, granted: str
) -> None:
    saved = {q["name"]: q for q in live.auditor.data(SAVED)["savedQueries"]}
    assert "grants_never_used" in saved and saved["grants_never_used"]["description"]
    assert {"name": "depth", "default": 5} in saved["groups_nested_deeper_than"]["parameters"]

    unused = live.auditor.data(RUN, name="grants_never_used")["runSavedQuery"]
    assert unused == [
        {"subject": {"key": DEMO_GRANTEE}, "target": {"key": ORDERS}, "detail": granted}
    ]
    nested = live.auditor.data(RUN, name="groups_nested_deeper_than", params={"depth": 1})
    assert nested["runSavedQuery"] == [
        {"subject": {"key": "backend"}, "target": None, "detail": "depth 2"},
        {"subject": {"key": "sre"}, "target": None, "detail": "depth 2"},
    ]
    unknown = live.auditor.error(RUN, name="nope")
    assert unknown["extensions"]["code"] == "invalid_input"
    assert unknown["message"].startswith("no saved query is named `nope`: use one of ")
    bad_param = live.auditor.error(RUN, name="grants_never_used", params={"colour": "red"})
    assert bad_param["message"] == "saved query `grants_never_used` takes no parameter `colour`"
    not_object = live.auditor.error(RUN, name="grants_never_used", params=[1])
    assert not_object["message"] == (
        'params must be a JSON object of names to values, e.g. {"depth": 3}'
    )
    assert live.grantee.error(SAVED)["extensions"]["code"] == "forbidden"


def test_raw_queries_read_and_refuse_writes_precisely(live: LiveKeyturn) -> None:
    found = live.auditor.data(
        RAW,
        cypher="MATCH (u:User) WHERE u.role = $role RETURN u.key AS who",
        params={"role": "admin"},
    )["rawQuery"]
    assert found == {"columns": ["who"], "rows": [[DEMO_ADMIN]], "truncated": False}

    write = live.auditor.error(RAW, cypher="MATCH (u:User) SET u.role = 'admin' RETURN u")
    assert write["extensions"]["code"] == "query_refused"
    assert write["message"] == (
        "raw queries are read-only: `SET` writes to the graph; "
        "change the graph through Keyturn instead"
    )
    assert live.services.store.get_node("User", DEMO_GRANTEE).props["role"] == "grantee"
    empty = live.auditor.error(RAW, cypher="   ")
    assert empty["message"] == "the query is empty: write a MATCH ... RETURN query"
    refused = live.grantee.error(RAW, cypher="MATCH (u:User) RETURN u.key")
    assert refused["extensions"]["code"] == "forbidden"


def test_raw_queries_never_return_token_hashes_or_sealed_values(live: LiveKeyturn) -> None:
    named = live.auditor.error(RAW, cypher="MATCH (t:ApiToken) RETURN t.token_hash AS h")
    assert named["extensions"]["code"] == "query_refused"
    assert named["message"].startswith("the query reads `token_hash`, which holds a secret")
    by_param = live.auditor.error(
        RAW, cypher="MATCH (t:ApiToken) RETURN t[$p] AS h", params={"p": "token_hash"}
    )
    assert by_param["extensions"]["code"] == "query_refused"
    whole = live.auditor.data(RAW, cypher="MATCH (t:ApiToken) RETURN t AS token")["rawQuery"]
    assert whole["rows"], "the e2e fixture issues API tokens"
    for (token,) in whole["rows"]:
        assert "owner" in token["props"]
        assert "token_hash" not in token["props"]

"""Bad SCIM input gets a SCIM error with the right status and scimType, and leaves the
access graph and the activity log as they were; tokens reach only what their scope allows."""

from __future__ import annotations

from typing import Any

import httpx

from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from tests.support.scim import ENTERPRISE, GROUP, PATCH_OP, USER, LiveScim, scim_live

__all__ = ["scim_live"]


def _user(name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER], "userName": name, "emails": [{"value": name}], **extra}


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def _refused(response: httpx.Response, status: int, scim_type: str | None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]


def test_bad_requests_are_scim_errors_and_change_nothing(scim_live: LiveScim) -> None:
    """Malformed JSON, unknown schema, bad filter, unknown PATCH path, duplicate userName,
    stale If-Match, manager loop and a group in itself: each refused, nothing written."""
    http = scim_live.scim
    assert http.post("/Users", json=_user("ann@acme.example")).status_code == 201
    boss = _user("bo@acme.example")
    assert http.post("/Users", json=boss).status_code == 201
    assert (
        http.patch(
            "/Users/ann@acme.example",
            json=_patch(
                {
                    "op": "add",
                    "path": f"{ENTERPRISE}:manager",
                    "value": {"value": "bo@acme.example"},
                }
            ),
        ).status_code
        == 200
    )
    assert (
        http.post("/Groups", json={"schemas": [GROUP], "displayName": "outer"}).status_code == 201
    )
    inner = {"schemas": [GROUP], "displayName": "inner", "members": [{"value": "outer"}]}
    assert http.post("/Groups", json=inner).status_code == 201
    tag = http.get("/Users/ann@acme.example").headers["etag"]
    before = scim_live.snapshot()

    headers = {"content-type": "application/scim+json"}
    _refused(http.post("/Users", content=b'{"userName": ', headers=headers), 400, "invalidSyntax")
    _refused(
        http.post(
            "/Users", json={**_user("cy@acme.example"), "schemas": [USER, "urn:example:custom:1.0"]}
        ),
        400,
        "invalidValue",
    )
    _refused(http.post("/Users", json=_user("cy@acme.example", shoeSize=44)), 400, "invalidValue")
    _refused(http.get("/Users", params={"filter": 'userName eq "x" and ('}), 400, "invalidFilter")
    _refused(http.get("/Users", params={"filter": 'userName xx "a"'}), 400, "invalidFilter")
    _refused(
        http.patch(
            "/Users/ann@acme.example",
            json=_patch({"op": "replace", "path": "favouriteColour", "value": "red"}),
        ),
        400,
        "invalidPath",
    )
    _refused(http.post("/Users", json=_user("ann@acme.example")), 409, "uniqueness")
    _refused(http.post("/Users", json=_user("ANN@acme.example")), 409, "uniqueness")
    _refused(
        http.put(
            "/Users/ann@acme.example",
            json=_user("ann@acme.example", title="x"),
            headers={"If-Match": 'W/"stale"'},
        ),
        412,
        None,
    )
    _refused(
        http.patch(
            "/Users/ann@acme.example",
            json=_patch({"op": "replace", "path": "title", "value": "x"}),
            headers={"If-Match": 'W/"stale"'},
        ),
        412,
        None,
    )
    _refused(http.delete("/Users/ann@acme.example", headers={"If-Match": 'W/"stale"'}), 412, None)
    # ann reports to bo: bo reporting to ann would be a loop
    _refused(
        http.patch(
            "/Users/bo@acme.example",
            json=_patch(
                {"op": "add", "path": f"{ENTERPRISE}:manager", "value": "ann@acme.example"}
            ),
        ),
        400,
        "invalidValue",
    )
    _refused(
        http.patch(
            "/Groups/outer",
            json=_patch({"op": "add", "path": "members", "value": [{"value": "inner"}]}),
        ),
        400,
        "invalidValue",
    )
    _refused(
        http.patch(
            "/Groups/outer",
            json=_patch({"op": "add", "path": "members", "value": [{"value": "outer"}]}),
        ),
        400,
        "invalidValue",
    )
    _refused(
        http.patch(
            "/Groups/outer",
            json=_patch(
                {"op": "add", "path": "members", "value": [{"value": "nobody@acme.example"}]}
            ),
        ),
        400,
        "invalidValue",
    )
    # one good operation and one bad: neither applies
    _refused(
        http.patch(
            "/Users/ann@acme.example",
            json=_patch(
                {"op": "replace", "path": "title", "value": "CTO"},
                {"op": "remove", "path": 'emails[type eq "work"'},
            ),
        ),
        400,
        "invalidPath",
    )
    _refused(
        http.patch("/Users/ann@acme.example", json={"Operations": "nope"}), 400, "invalidSyntax"
    )
    _refused(http.get("/Users/nobody@acme.example"), 404, None)
    # a projection that cannot apply refuses the change it came with
    _refused(
        http.post("/Users", params={"attributes": "bad!!name"}, json=_user("cy@acme.example")),
        400,
        "invalidPath",
    )
    _refused(http.post("/Users/.search", json={"filter": 5}), 400, "invalidValue")
    _refused(http.post("/.search", json=["not", "an", "object"]), 400, "invalidSyntax")
    _refused(http.get("/Users", params={"sortBy": "name..x"}), 400, "invalidPath")
    _refused(http.get("/Users", params={"count": "ten"}), 400, "invalidValue")
    assert scim_live.snapshot() == before
    assert http.get("/Users/ann@acme.example").headers["etag"] == tag


def test_an_admin_issues_a_scim_token_over_graphql_and_it_is_listed_and_reaches_scim(
    scim_live: LiveScim,
) -> None:
    """As the README says: `issueToken(scope: SCIM)`; listing tokens then shows it (a `scim`
    token made by the CLI used to break the list)."""
    full = {"Authorization": f"Bearer {scim_live.full_token}"}
    issued = httpx.post(
        f"{scim_live.base_url}/graphql",
        json={"query": 'mutation { issueToken(name: "okta", scope: SCIM) { token } }'},
        headers=full,
    ).json()
    token = issued["data"]["issueToken"]["token"]
    listed = httpx.post(
        f"{scim_live.base_url}/graphql",
        json={"query": "{ apiTokens { name scope } }"},
        headers=full,
    ).json()
    assert "errors" not in listed, listed
    assert {"name": "okta", "scope": "SCIM"} in listed["data"]["apiTokens"]
    users = httpx.get(
        f"{scim_live.base_url}/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}
    )
    assert users.status_code == 200, users.text


def test_only_an_admins_scim_token_reaches_scim_and_it_reaches_nothing_else(
    scim_live: LiveScim,
) -> None:
    """No token: 401; a `full` token at /scim/v2: 403; the `scim` token at /graphql: 401."""
    from broker import issue_api_token

    before = scim_live.snapshot()
    url = f"{scim_live.base_url}/scim/v2/Users"
    _refused(httpx.get(url), 401, None)
    _refused(httpx.post(url, json=_user("dee@acme.example")), 401, None)
    full = {"Authorization": f"Bearer {scim_live.full_token}"}
    _refused(httpx.post(url, json=_user("dee@acme.example"), headers=full), 403, None)
    grantee_scim = issue_api_token(
        scim_live.services, owner=DEMO_GRANTEE, name="sneaky", scope="scim"
    )
    _refused(httpx.get(url, headers={"Authorization": f"Bearer {grantee_scim}"}), 403, None)
    graphql = httpx.post(
        f"{scim_live.base_url}/graphql",
        json={"query": "{ __typename }"},
        headers={"Authorization": f"Bearer {scim_live.scim_token}"},
    )
    assert graphql.status_code == 401
    assert "scope `scim`" in graphql.json()["errors"][0]["message"]
    after = scim_live.snapshot()
    # issuing the grantee's token is the only change
    assert after[:3] == before[:3]
    assert (
        scim_live.scim.get("/Users", params={"filter": f'userName eq "{DEMO_ADMIN}"'}).json()[
            "totalResults"
        ]
        == 1
    )

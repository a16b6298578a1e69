"""The request sequences Okta and Entra ID send when they provision, update, deactivate
and reactivate a user and a group, replayed over HTTP; and a SCIM deactivation that
revokes a live grant before its response is sent."""

from __future__ import annotations

from typing import Any

from broker import read_events
from broker.demo import DEMO_GRANTEE
from graph import NodeRef
from tests.support.grants_lab import add_lab, ask, state_of
from tests.support.scim import ENTERPRISE, GROUP, PATCH_OP, USER, LiveScim, scim_live

__all__ = ["scim_live"]


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    if not response.content:
        return {}
    assert response.headers["content-type"].startswith("application/scim+json")
    body: dict[str, Any] = response.json()
    return body


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def _actors(live: LiveScim, subject: str) -> list[tuple[str, str]]:
    events = read_events(live.services.store)
    return [(e.kind, e.actor) for e in events if e.subject == subject]


def test_okta_provisions_updates_deactivates_and_reactivates(scim_live: LiveScim) -> None:
    """Okta: look up by userName, POST, PUT the profile, PATCH active false/true; a group
    POSTed, members added, one removed by value path, renamed, deleted."""
    http = scim_live.scim
    found = _ok(
        http.get(
            "/Users",
            params={"filter": 'userName eq "kim@acme.example"', "startIndex": 1, "count": 100},
        )
    )
    assert found["totalResults"] == 0
    kim = {
        "schemas": [USER],
        "userName": "kim@acme.example",
        "name": {"givenName": "Kim", "familyName": "Lee"},
        "emails": [{"primary": True, "value": "kim@acme.example", "type": "work"}],
        "displayName": "Kim Lee",
        "locale": "en-US",
        "externalId": "00u1okta",
        "groups": [],
        "active": True,
    }
    created = _ok(http.post("/Users", json=kim), 201)
    kim_id = created["id"]
    node = scim_live.services.store.get_node("User", kim_id)
    assert node is not None
    assert node.props["source"] == "scim" and node.props["full_name"] == "Kim Lee"
    assert node.props["sync_source"] == "scim"
    again = _ok(http.get("/Users", params={"filter": 'userName eq "kim@acme.example"'}))
    assert [r["id"] for r in again["Resources"]] == [kim_id]

    _ok(http.put(f"/Users/{kim_id}", json={**kim, "title": "SRE", "id": kim_id}))
    assert _ok(http.get(f"/Users/{kim_id}"))["title"] == "SRE"

    off = _ok(
        http.patch(f"/Users/{kim_id}", json=_patch({"op": "replace", "value": {"active": False}}))
    )
    assert off["active"] is False
    assert scim_live.services.store.get_node("User", kim_id).props["disabled"] is True  # type: ignore[union-attr]
    on = _ok(
        http.patch(f"/Users/{kim_id}", json=_patch({"op": "replace", "value": {"active": True}}))
    )
    assert on["active"] is True
    assert not scim_live.services.store.get_node("User", kim_id).props.get("disabled")  # type: ignore[union-attr]

    group = _ok(
        http.post("/Groups", json={"schemas": [GROUP], "displayName": "okta-eng", "members": []}),
        201,
    )
    gid = group["id"]
    _ok(
        http.patch(
            f"/Groups/{gid}",
            json=_patch(
                {
                    "op": "add",
                    "path": "members",
                    "value": [
                        {"value": kim_id, "display": "kim@acme.example"},
                        {"value": DEMO_GRANTEE, "display": DEMO_GRANTEE},
                    ],
                }
            ),
        )
    )
    assert scim_live.member_of("User", kim_id) == {"okta-eng"}
    _ok(
        http.patch(
            f"/Groups/{gid}",
            json=_patch({"op": "remove", "path": f'members[value eq "{DEMO_GRANTEE}"]'}),
        )
    )
    assert "okta-eng" not in scim_live.member_of("User", DEMO_GRANTEE)
    assert scim_live.member_of("User", kim_id) == {"okta-eng"}
    renamed = _ok(
        http.patch(
            f"/Groups/{gid}",
            json=_patch({"op": "replace", "value": {"id": gid, "displayName": "Okta Engineering"}}),
        )
    )
    assert renamed["displayName"] == "Okta Engineering"
    _ok(http.delete(f"/Groups/{gid}"), 204)
    assert scim_live.services.store.get_node("Group", gid) is None
    assert scim_live.member_of("User", kim_id) == set()

    events = _actors(scim_live, kim_id)
    # PUT; active false (disabled before the document changes); active true (enabled after)
    assert [k for k, _ in events] == [
        "user.created",
        "user.updated",
        "user.disabled",
        "user.updated",
        "user.updated",
        "user.enabled",
    ]
    assert all(actor.startswith("scim:tok_") for _, actor in events)
    group_events = _actors(scim_live, gid)
    assert next(k for k, _ in group_events) == "group.created"
    assert [k for k, _ in group_events][-1] == "group.deleted"


def test_entra_provisions_updates_deactivates_and_reactivates(scim_live: LiveScim) -> None:
    """Entra ID: capitalised ops, booleans as strings, `emails[type eq "work"].value`,
    the manager by bare id, members added and removed by value list."""
    http = scim_live.scim
    assert (
        _ok(http.get("/Users", params={"filter": 'userName eq "noor@acme.example"'}))[
            "totalResults"
        ]
        == 0
    )
    boss = _ok(
        http.post(
            "/Users",
            json={
                "schemas": [USER, ENTERPRISE],
                "userName": "maya@acme.example",
                "active": True,
                "externalId": "7f1c-maya",
                "emails": [{"primary": True, "type": "work", "value": "maya@acme.example"}],
                "name": {"formatted": "Maya Ortiz", "familyName": "Ortiz", "givenName": "Maya"},
            },
        ),
        201,
    )
    noor = _ok(
        http.post(
            "/Users",
            json={
                "schemas": [USER, ENTERPRISE],
                "externalId": "4a2e-noor",
                "userName": "noor@acme.example",
                "active": True,
                "displayName": "Noor Haddad",
                "emails": [{"primary": True, "type": "work", "value": "noor@acme.example"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "Noor Haddad", "familyName": "Haddad", "givenName": "Noor"},
                "phoneNumbers": [{"type": "mobile", "value": "+14155550123"}],
                ENTERPRISE: {"department": "Platform", "employeeNumber": "1042"},
            },
        ),
        201,
    )
    nid = noor["id"]
    assert scim_live.services.store.get_node("User", nid).props["phone"] == "+14155550123"  # type: ignore[union-attr]
    updated = _ok(
        http.patch(
            f"/Users/{nid}",
            json=_patch(
                {"op": "Replace", "path": "displayName", "value": "Noor H."},
                {"op": "Add", "path": 'emails[type eq "home"].value', "value": "noor@home.example"},
                {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": boss["id"]},
                {"op": "Replace", "path": "name.givenName", "value": "Nour"},
            ),
        )
    )
    assert updated["displayName"] == "Noor H."
    assert {"type": "home", "value": "noor@home.example"} in updated["emails"]
    assert updated[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert updated[ENTERPRISE]["department"] == "Platform"
    reports = scim_live.services.store.edges("REPORTS_TO", src=NodeRef("User", nid))
    assert [e.dst.key for e in reports] == [boss["id"]]
    # A renamed userName keeps the id (the key) and is what the next lookup finds.
    _ok(
        http.patch(
            f"/Users/{nid}",
            json=_patch({"op": "Replace", "path": "userName", "value": "Noor.H@acme.example"}),
        )
    )
    renamed = _ok(http.get("/Users", params={"filter": 'userName eq "noor.h@acme.example"'}))
    assert [r["id"] for r in renamed["Resources"]] == [nid]

    off = _ok(
        http.patch(
            f"/Users/{nid}", json=_patch({"op": "Replace", "path": "active", "value": "False"})
        )
    )
    assert off["active"] is False
    on = _ok(
        http.patch(
            f"/Users/{nid}", json=_patch({"op": "Replace", "path": "active", "value": "True"})
        )
    )
    assert on["active"] is True

    group = _ok(
        http.post(
            "/Groups",
            json={
                "schemas": [GROUP],
                "displayName": "entra-platform",
                "externalId": "g-77",
                "members": [],
            },
        ),
        201,
    )
    gid = group["id"]
    assert (
        _ok(
            http.get(
                "/Groups",
                params={
                    "filter": 'displayName eq "entra-platform"',
                    "excludedAttributes": "members",
                },
            )
        )["totalResults"]
        == 1
    )
    _ok(
        http.patch(
            f"/Groups/{gid}",
            json=_patch(
                {"op": "Add", "path": "members", "value": [{"value": nid}, {"value": boss["id"]}]}
            ),
        )
    )
    assert scim_live.member_of("User", nid) == {"entra-platform"}
    _ok(
        http.patch(
            f"/Groups/{gid}",
            json=_patch({"op": "Remove", "path": "members", "value": [{"value": nid}]}),
        )
    )
    assert scim_live.member_of("User", nid) == set()
    assert scim_live.member_of("User", boss["id"]) == {"entra-platform"}
    # A nested group, as Entra sends it for a group in a group.
    outer = _ok(
        http.post(
            "/Groups",
            json={
                "schemas": [GROUP],
                "displayName": "entra-all",
                "members": [{"value": gid, "type": "Group"}],
            },
        ),
        201,
    )
    assert scim_live.member_of("Group", gid) == {outer["id"]}

    _ok(http.delete(f"/Users/{nid}"), 204)
    gone = _ok(http.get(f"/Users/{nid}"), 404)
    assert gone["status"] == "404"
    assert scim_live.services.store.get_node("User", nid) is None


def test_scim_deactivation_revokes_an_active_grant_within_the_request(scim_live: LiveScim) -> None:
    """PATCH active false answers only after the user's grant is revoked and their
    pending work cancelled: the graph shows it the moment the response arrives."""
    services = scim_live.services
    add_lab(services)
    granted = ask(services)
    assert state_of(services, granted.key) == "GRANTED"
    response = scim_live.scim.patch(
        f"/Users/{DEMO_GRANTEE}", json=_patch({"op": "replace", "path": "active", "value": False})
    )
    assert response.status_code == 200, response.text
    assert state_of(services, granted.key) == "REVOKED"
    revoked = services.store.get_node("AccessRequest", granted.key)
    assert revoked is not None and str(revoked.props["revoked_by"]).startswith("scim:tok_")

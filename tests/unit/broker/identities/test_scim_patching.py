"""PATCH applies add, replace and remove in the forms Okta and Entra ID send, all or
nothing; a path to an unknown attribute is a 400 invalidPath."""

from __future__ import annotations

from typing import Any

import pytest

from broker.identities.scim.documents import normalized
from broker.identities.scim.errors import ScimError
from broker.identities.scim.patching import patched
from broker.identities.scim.schema import ENTERPRISE, ENTERPRISE_USER, GROUP, PATCH_OP, USER

EXT = (ENTERPRISE_USER,)


def _user() -> dict[str, Any]:
    return {
        "userName": "kim@acme.example",
        "emails": [{"value": "kim@acme.example", "type": "work", "primary": True}],
        "active": True,
    }


def _ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def _apply_user(*operations: dict[str, Any]) -> dict[str, Any]:
    return normalized(patched(_user(), _ops(*operations), USER, EXT), USER, EXT)


def test_entra_capitalised_ops_and_boolean_strings() -> None:
    done = _apply_user(
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "name.givenName", "value": "Kim"},
    )
    assert done["active"] is False
    assert done["name"] == {"givenName": "Kim"}


def test_okta_replace_without_path() -> None:
    assert _apply_user({"op": "replace", "value": {"active": False}})["active"] is False


def test_value_path_sets_a_matching_element_or_creates_it() -> None:
    done = _apply_user(
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "kim@new.example"},
        {"op": "add", "path": 'emails[type eq "home"].value', "value": "kim@home.example"},
    )
    assert {"value": "kim@new.example", "type": "work", "primary": True} in done["emails"]
    assert {"type": "home", "value": "kim@home.example"} in done["emails"]


def test_manager_by_bare_id_and_removal() -> None:
    done = _apply_user({"op": "add", "path": f"{ENTERPRISE}:manager", "value": "bo@acme.example"})
    assert done[ENTERPRISE] == {"manager": {"value": "bo@acme.example"}}
    gone = normalized(
        patched(done, _ops({"op": "remove", "path": f"{ENTERPRISE}:manager"}), USER, EXT),
        USER,
        EXT,
    )
    assert ENTERPRISE not in gone


def test_members_added_then_removed_by_value_path_and_by_value_list() -> None:
    group = {"displayName": "eng", "members": [{"value": "a"}]}
    added = patched(
        group,
        _ops({"op": "add", "path": "members", "value": [{"value": "b"}, {"value": "c"}]}),
        GROUP,
        (),
    )
    assert [m["value"] for m in added["members"]] == ["a", "b", "c"]
    fewer = patched(added, _ops({"op": "remove", "path": 'members[value eq "b"]'}), GROUP, ())
    assert [m["value"] for m in fewer["members"]] == ["a", "c"]
    entra = patched(
        fewer, _ops({"op": "Remove", "path": "members", "value": [{"value": "a"}]}), GROUP, ()
    )
    assert [m["value"] for m in entra["members"]] == ["c"]
    assert group["members"] == [{"value": "a"}]  # the input is never changed


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "replace", "path": "favouriteColour", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "name.nickname", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "groups", "value": []}, "invalidPath"),  # read-only
        ({"op": "remove"}, "noTarget"),
        ({"op": "remove", "path": 'emails[type eq "work"'}, "invalidPath"),
        ({"op": "replace", "path": 'emails[type eq "pager"].display', "value": 1}, "invalidValue"),
        ({"op": "move", "path": "title"}, "invalidSyntax"),
        ({"op": "replace", "path": 'emails[type xx "work"].value', "value": "x"}, "invalidFilter"),
    ],
)
def test_bad_operations_are_refused_with_their_scim_type(
    operation: dict[str, Any], scim_type: str
) -> None:
    with pytest.raises(ScimError) as refused:
        _apply_user({"op": "replace", "path": "title", "value": "ok"}, operation)
    assert (refused.value.status, refused.value.scim_type) == (400, scim_type)

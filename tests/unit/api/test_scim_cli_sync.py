"""`keyturn sync --file` loads a SCIM ListResponse through the directory sync: users,
nested groups and managers land in the graph with a progress report; a later file that
lacks someone offboards them; a bad file exits 2 and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from api.server import open_services
from broker.identities.users import source_of
from graph import NodeRef

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _user(uid: str, email: str, manager: str | None = None, active: bool = True) -> dict[str, Any]:
    user: dict[str, Any] = {
        "schemas": [USER],
        "id": uid,
        "userName": email,
        "name": {"formatted": email.split("@")[0].title()},
        "emails": [{"value": email, "primary": True}],
        "active": active,
    }
    if manager:
        user["schemas"].append(ENTERPRISE)
        user[ENTERPRISE] = {"manager": {"value": manager}}
    return user


def _file(tmp_path: Path, resources: list[dict[str, Any]]) -> str:
    path = tmp_path / "users.json"
    path.write_text(
        json.dumps({"schemas": [LIST], "totalResults": len(resources), "Resources": resources})
    )
    return str(path)


def test_sync_file_loads_users_nested_groups_and_managers_then_offboards_the_missing(
    graph_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = [
        _user("u1", "ivy@corp.example"),
        _user("u2", "jon@corp.example", manager="u1"),
        _user("u3", "kai@corp.example", manager="u1", active=False),
        {
            "schemas": [GROUP],
            "id": "g1",
            "displayName": "eng",
            "members": [{"value": "u2"}, {"value": "g2", "type": "Group"}],
        },
        {"schemas": [GROUP], "id": "g2", "displayName": "sre", "members": [{"value": "u1"}]},
    ]
    assert main(["sync", "--file", _file(tmp_path, directory), "--graph", graph_url]) == 0
    captured = capsys.readouterr()
    assert "synced 3 users" in captured.out
    assert "sync:" in captured.err  # the progress bar's lines
    services = open_services(graph_url)
    try:
        store = services.store
        jon = NodeRef("User", "jon@corp.example")
        assert [e.dst.key for e in store.edges("REPORTS_TO", src=jon)] == ["ivy@corp.example"]
        assert {e.dst.key for e in store.edges("MEMBER_OF", src=jon)} == {"eng"}
        assert {e.dst.key for e in store.edges("MEMBER_OF", src=NodeRef("Group", "sre"))} == {"eng"}
        kai = store.get_node("User", "kai@corp.example")
        assert kai is not None and kai.props["disabled"] is True
        assert source_of(kai) == "scim"  # the users list's `source`, as if pushed over SCIM
    finally:
        services.store.close()

    without_jon = [r for r in directory if r.get("id") != "u2"]
    for group in without_jon:
        if group.get("id") == "g1":
            group["members"] = [{"value": "g2", "type": "Group"}]
    assert main(["sync", "--file", _file(tmp_path, without_jon), "--graph", graph_url]) == 0
    assert "1 removed" in capsys.readouterr().out
    services = open_services(graph_url)
    try:
        assert services.store.get_node("User", "jon@corp.example") is None
    finally:
        services.store.close()


def test_a_bad_file_exits_2_and_writes_nothing(
    graph_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [
        _user("u1", "ivy@corp.example"),
        {"schemas": [GROUP], "id": "g1", "displayName": "eng", "members": [{"value": "nobody"}]},
    ]
    assert main(["sync", "--file", _file(tmp_path, bad), "--graph", graph_url]) == 2
    assert "`nobody` is no resource of the file" in capsys.readouterr().err
    not_json = tmp_path / "broken.json"
    not_json.write_text("{")
    assert main(["sync", "--file", str(not_json), "--graph", graph_url]) == 2
    services = open_services(graph_url)
    try:
        assert services.store.find_nodes("User") == []
        assert services.store.find_nodes("Group") == []
    finally:
        services.store.close()

"""graph.neo4j._bulk: the CSV files of a first load, typed and quoted for Neo4j's importer."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph import DeleteNode, NodeRef, SchemaViolation, UnknownNode, UpsertEdge, UpsertNode
from graph.neo4j._bulk import MULTILINE, BulkExportError, write_csv

ALICE, ENG, DB = NodeRef("User", "alice"), NodeRef("Group", "eng"), NodeRef("Resource", "db")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def test_a_node_file_per_kind_typed_from_the_model_with_every_string_quoted(
    tmp_path: Path,
) -> None:
    props = {"email": 'a,"b"', "name": "", "disabled": False, "created_at": 2, "role": None}
    export = write_csv([[UpsertNode("User", "alice", props)]], tmp_path)
    assert export.node_files == (tmp_path / "nodes-User.csv",)
    assert (export.nodes, export.relationships, export.multiline) == (1, 0, False)
    header, row, end = _lines(tmp_path / "nodes-User.csv")
    assert header == (
        "key:ID(User),:LABEL,email:string,name:string,role:string,disabled:boolean,"
        "oidc_subject:string,oidc_issuer:string,full_name:string,phone:string,status:string,"
        "source:string,password_hash:string,last_sign_in_at:double,"
        "created_at:double,mfa_secret:string,mfa_enrolled_at:double,mfa_last_step:long,"
        "scim:string,user_name:string,updated_at:double,sync_source:string,sync_tag:string"
    )
    # absent or None: an empty field (no property); the empty string: quoted
    assert row == '"alice",User,"a,""b""","",,false,,,,,,,,,2.0,,,,,,,,'
    assert end == ""


def test_a_relationship_file_per_kind_and_endpoint_kinds_keeps_the_key_and_props(
    tmp_path: Path,
) -> None:
    ops = [
        UpsertNode("User", "alice", {"email": "a"}),
        UpsertNode("Group", "eng", {"name": "eng"}),
        UpsertNode("Resource", "db", {"name": "db"}),
        UpsertEdge("MEMBER_OF", ALICE, ENG),
        UpsertEdge("HAS_ACCESS", ALICE, DB, "g1", {"permissions": ["read", "a;b"], "seq": None}),
    ]
    with pytest.raises(SchemaViolation, match="HAS_ACCESS has no property `seq`"):
        write_csv([ops], tmp_path)
    ops[-1] = UpsertEdge("HAS_ACCESS", ALICE, DB, "g1", {"permissions": ["read", "a;b"]})
    export = write_csv([ops], tmp_path)
    assert [p.name for p in export.relationship_files] == [
        "relationships-HAS_ACCESS-User-Resource.csv",
        "relationships-MEMBER_OF-User-Group.csv",
    ]
    member = _lines(tmp_path / "relationships-MEMBER_OF-User-Group.csv")
    assert member[0] == (
        ":START_ID(User),:END_ID(Group),:TYPE,key:string,source:string,"
        "sync_source:string,sync_tag:string"
    )
    assert member[1] == '"alice","eng",MEMBER_OF,"",,,'
    access = _lines(tmp_path / "relationships-HAS_ACCESS-User-Resource.csv")
    assert access[1].startswith('"alice","db",HAS_ACCESS,"g1",,"read\x1fa;b",')


def test_a_value_with_a_line_break_marks_the_export_multiline(tmp_path: Path) -> None:
    export = write_csv([[UpsertNode("User", "a\nb", {"email": "x"})]], tmp_path)
    assert export.multiline and (tmp_path / MULTILINE).exists()
    assert "--multiline-fields=true" in export.command()
    assert export.command()[:5] == ["neo4j-admin", "database", "import", "full", "neo4j"]


def test_only_upserts_are_taken_and_a_refusal_leaves_no_files(tmp_path: Path) -> None:
    batches = [[UpsertNode("User", "alice", {"email": "a"})], [DeleteNode("User", "alice")]]
    with pytest.raises(BulkExportError, match="upserts only, not `DeleteNode` on User `alice`"):
        write_csv(batches, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_node_or_edge_upserted_twice_is_refused(tmp_path: Path) -> None:
    node = UpsertNode("User", "alice", {"email": "a"})
    with pytest.raises(BulkExportError, match="User `alice` is upserted twice"):
        write_csv([[node], [node]], tmp_path)
    edge = UpsertEdge("MEMBER_OF", ALICE, ENG)
    group = UpsertNode("Group", "eng", {"name": "eng"})
    with pytest.raises(BulkExportError, match="keyed `` is upserted twice"):
        write_csv([[node, group, edge, edge]], tmp_path)


def test_an_edge_before_its_endpoint_is_refused_as_online(tmp_path: Path) -> None:
    batches = [[UpsertNode("User", "alice", {"email": "a"}), UpsertEdge("MEMBER_OF", ALICE, ENG)]]
    with pytest.raises(UnknownNode, match="no Group `eng`"):
        write_csv(batches, tmp_path)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"created_at": float("nan")}, "not a finite number"),
        ({"tags": ["a\x1fb"]}, "holds the unit separator"),
        ({"tags": [""]}, "a list of one empty string"),
    ],
)
def test_values_the_importer_cannot_read_back_are_refused(
    tmp_path: Path, props: dict[str, object], message: str
) -> None:
    kind, required = ("Resource", "name") if "tags" in props else ("User", "email")
    node = UpsertNode(kind, "n", {required: "n", **props})
    with pytest.raises(BulkExportError, match=message):
        write_csv([[node]], tmp_path)


def test_a_directory_holding_an_earlier_export_is_refused(tmp_path: Path) -> None:
    write_csv([[UpsertNode("User", "alice", {"email": "a"})]], tmp_path)
    with pytest.raises(BulkExportError, match="already holds an export"):
        write_csv([[UpsertNode("User", "bob", {"email": "b"})]], tmp_path)

"""Users and groups as SCIM resources: the document the client keeps (the `scim`
property) joined with what the access graph holds (active, manager, members, groups)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from broker.identities.scim.documents import etag
from broker.identities.scim.schema import ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA
from broker.identities.users import full_name_of
from graph import GraphStore, Node, NodeRef

SOURCE = "scim"  # the users' source, and the sync source their graph data is stamped with
PUSH_TAG = "push"  # the run tag of changes pushed one at a time


def location(base: str, kind: str, key: str) -> str:
    return f"{base}/{kind}s/{quote(key, safe='@+')}"


def kept_document(node: Node) -> dict[str, Any]:
    """What the SCIM client wrote for `node`, or, for a user or group from elsewhere
    (invited, the demo, a file sync), what Keyturn knows about them in SCIM's terms."""
    stored = node.props.get("scim")
    if stored:
        kept: dict[str, Any] = json.loads(str(stored))
        return kept
    if node.kind == "Group":
        return {"displayName": str(node.props.get("name") or node.key)}
    doc: dict[str, Any] = {
        "userName": node.key,
        "emails": [{"value": str(node.props.get("email") or node.key), "primary": True}],
    }
    name = full_name_of(node)
    if name:
        doc["name"] = {"formatted": name}
        doc["displayName"] = name
    if node.props.get("phone"):
        doc["phoneNumbers"] = [{"value": str(node.props["phone"]), "type": "work"}]
    return doc


def render_user(store: GraphStore, node: Node, base: str) -> dict[str, Any]:
    doc = kept_document(node)
    ref = NodeRef("User", node.key)
    extension = dict(doc.pop(ENTERPRISE, None) or {})
    managers = store.edges("REPORTS_TO", src=ref)
    kept_manager = extension.pop("manager", None)
    if managers:
        boss = managers[0].dst.key
        same = isinstance(kept_manager, dict) and kept_manager.get("value") == boss
        extension["manager"] = kept_manager if same else {"value": boss}
    groups = sorted(e.dst.key for e in store.edges("MEMBER_OF", src=ref))
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA, *([ENTERPRISE] if extension else [])],
        "id": node.key,
        **doc,
    }
    # Disabled wins; a client that removed `active` reads it absent (the user stays enabled).
    if node.props.get("disabled"):
        resource["active"] = False
    elif "active" in doc or not node.props.get("scim"):
        resource["active"] = True
    if extension:
        resource[ENTERPRISE] = extension
    if groups:
        resource["groups"] = [
            {"value": g, "$ref": location(base, "Group", g), "display": g, "type": "direct"}
            for g in groups
        ]
    resource["meta"] = _meta(node, "User", base, resource)
    return resource


def render_group(store: GraphStore, node: Node, base: str) -> dict[str, Any]:
    doc = kept_document(node)
    kept = {str(m.get("value")): m for m in doc.pop("members", []) if isinstance(m, dict)}
    members = []
    for edge in sorted(
        store.edges("MEMBER_OF", dst=NodeRef("Group", node.key)),
        key=lambda e: (e.src.kind, e.src.key),
    ):
        key = edge.src.key
        members.append(
            kept.get(key)
            or {"value": key, "type": edge.src.kind, "$ref": location(base, edge.src.kind, key)}
        )
    resource: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": node.key, **doc}
    if members:
        resource["members"] = members
    resource["meta"] = _meta(node, "Group", base, resource)
    return resource


def _meta(node: Node, kind: str, base: str, resource: dict[str, Any]) -> dict[str, Any]:
    created = float(node.props.get("created_at") or 0)
    modified = float(node.props.get("updated_at") or created)
    return {
        "resourceType": kind,
        "created": _stamp(created),
        "lastModified": _stamp(modified),
        "location": location(base, kind, node.key),
        "version": etag(resource),
    }


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

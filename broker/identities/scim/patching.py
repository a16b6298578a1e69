"""PATCH (RFC 7644 §3.5.2) over a resource as rendered: add, replace and remove, with
value paths such as `members[value eq "2819c223"]` and `emails[type eq "work"].value`,
in the forms Okta and Entra ID send them (op names in any case, no path with an object
value, booleans as strings). The result is checked like a PUT body afterwards."""

from __future__ import annotations

import copy
from typing import Any

from broker.identities.scim.documents import normalized
from broker.identities.scim.errors import ScimError, invalid_path, invalid_syntax, invalid_value
from broker.identities.scim.filters import (
    AttrPath,
    Compare,
    Filter,
    Logic,
    matches,
    parse_filter,
    parse_path,
)
from broker.identities.scim.schema import PATCH_OP, Attr, Schema

MAX_OPERATIONS = 100  # each is checked on its own: bounded work per request
_EXTERNAL_ID = Attr("externalId")  # common to every resource, in no schema (RFC 7643 §3.1)


def patched(
    resource: dict[str, Any], body: Any, core: Schema, extensions: tuple[Schema, ...]
) -> dict[str, Any]:
    """`resource` with the PatchOp `body` applied, all or nothing (on a copy)."""
    if not isinstance(body, dict):
        raise invalid_syntax("a PATCH body must be a PatchOp object")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH_OP not in schemas):
        raise invalid_value(f"a PATCH body's `schemas` must be [`{PATCH_OP}`]")
    operations = _field(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax("a PatchOp needs `Operations`: a non-empty list")
    if len(operations) > MAX_OPERATIONS:
        raise invalid_value(f"a PatchOp may carry at most {MAX_OPERATIONS} operations")
    doc = copy.deepcopy(resource)
    for operation in operations:
        _apply(doc, operation, core, extensions)
        # Checked after each operation, so the next one works on a well-formed resource.
        doc = normalized(doc, core, extensions)
    return doc


def _field(holder: dict[str, Any], name: str) -> Any:
    return next((v for k, v in holder.items() if str(k).lower() == name.lower()), None)


def _apply(doc: dict[str, Any], operation: Any, core: Schema, ext: tuple[Schema, ...]) -> None:
    if not isinstance(operation, dict):
        raise invalid_syntax("each PATCH operation must be an object with `op`")
    op = str(_field(operation, "op") or "").lower()
    if op not in ("add", "replace", "remove"):
        raise invalid_syntax(
            f"PATCH op `{_field(operation, 'op')}` is unknown: use add, replace or remove"
        )
    path_text = _field(operation, "path")
    value = _field(operation, "value")
    if path_text is None or path_text == "":
        if op == "remove":
            raise ScimError(400, "a remove needs a `path`: name what to remove", "noTarget")
        if not isinstance(value, dict):
            raise invalid_value(f"an `{op}` without a path needs an object value")
        for key, item in value.items():
            if str(key).lower() in ("id", "meta", "schemas"):
                continue  # the server's own; Okta echoes `id` when it renames a group
            _apply(doc, {"op": op, "path": key, "value": item}, core, ext)
        return
    if not isinstance(path_text, str):
        raise invalid_path("a PATCH `path` must be a string")
    target = _Target.parse(path_text, core, ext)
    holder = doc if target.schema is core else doc.setdefault(target.schema.id, {})
    if target.attr is None:  # the whole extension, e.g. add {employeeNumber: ...}
        if not isinstance(value, dict) and op != "remove":
            raise invalid_value(f"`{path_text}` takes an object")
        for key, item in (value or {}).items() if op != "remove" else ():
            if str(key).lower() == "schemas":
                continue
            _apply(doc, {"op": op, "path": f"{target.schema.id}:{key}", "value": item}, core, ext)
        if op == "remove":
            doc.pop(target.schema.id, None)
        return
    target.apply(holder, op, value)
    if target.schema is not core and not holder:
        doc.pop(target.schema.id, None)


class _Target:
    def __init__(
        self, schema: Schema, attr: Attr | None, where: Filter | None, sub: Attr | None
    ) -> None:
        self.schema, self.attr, self.where, self.sub = schema, attr, where, sub

    @classmethod
    def parse(cls, text: str, core: Schema, ext: tuple[Schema, ...]) -> _Target:
        where: Filter | None = None
        head, tail = text, ""
        if "[" in text:
            head, _, rest = text.partition("[")
            inner, closing, tail = rest.rpartition("]")
            if not closing:
                raise invalid_path(f"path `{text}` misses a `]`")
            where = parse_filter(inner)
            if tail and not tail.startswith("."):
                raise invalid_path(f"path `{text}` must continue with `.subAttr` after `]`")
            tail = tail[1:]
        path: AttrPath = parse_path(head)
        schema = next((s for s in ext if s.id == path.schema), core) if path.schema else core
        if path.schema and schema.id != path.schema:
            raise invalid_path(f"schema `{path.schema}` is not one this resource uses")
        if not path.attr:
            return cls(schema, None, None, None)
        attr = _EXTERNAL_ID if path.attr.lower() == "externalid" else schema.attr(path.attr)
        if attr is None or attr.mutability == "readOnly":
            raise invalid_path(
                f"`{path.attr}` is no attribute a client may change in `{schema.id}`: see /Schemas"
            )
        sub_name = tail or path.sub
        sub = attr.child(sub_name) if sub_name else None
        if sub_name and sub is None:
            raise invalid_path(f"`{attr.name}` has no sub-attribute `{sub_name}`")
        if where is not None and not attr.multi:
            raise invalid_path(f"`{attr.name}` is single-valued: a `[...]` filter needs a list")
        return cls(schema, attr, where, sub)

    def apply(self, holder: dict[str, Any], op: str, value: Any) -> None:
        assert self.attr is not None
        name = next((k for k in holder if k.lower() == self.attr.name.lower()), self.attr.name)
        current = holder.get(name)
        if self.where is not None:
            self._apply_filtered(holder, name, op, value)
        elif self.sub is not None:
            self._apply_sub(holder, name, op, value)
        elif op == "remove":
            if self.attr.multi and isinstance(value, list) and isinstance(current, list):
                gone = {str(_field(v, "value")) for v in value if isinstance(v, dict)}
                holder[name] = [i for i in current if str(i.get("value")) not in gone]
            else:
                holder.pop(name, None)
        elif op == "add" and self.attr.multi:
            added = value if isinstance(value, list) else [value]
            kept = list(current) if isinstance(current, list) else []
            holder[name] = kept + [v for v in added if v not in kept]
        elif op == "add" and self.attr.type == "complex" and isinstance(current, dict):
            holder[name] = {**current, **value} if isinstance(value, dict) else value
        else:
            holder[name] = value

    def _apply_sub(self, holder: dict[str, Any], name: str, op: str, value: Any) -> None:
        assert self.sub is not None and self.attr is not None
        current = holder.get(name)
        items = current if isinstance(current, list) else None
        targets = items if items is not None else [current if isinstance(current, dict) else {}]
        for item in targets:
            if op == "remove":
                item.pop(self.sub.name, None)
            else:
                item[self.sub.name] = value
        if items is None:
            holder[name] = targets[0]

    def _apply_filtered(self, holder: dict[str, Any], name: str, op: str, value: Any) -> None:
        assert self.where is not None and self.attr is not None
        items = holder.get(name)
        items = list(items) if isinstance(items, list) else []
        hit = [i for i in items if isinstance(i, dict) and matches(self.where, i, "")]
        if op == "remove":
            if self.sub is None:
                holder[name] = [i for i in items if i not in hit]
            else:
                for item in hit:
                    item.pop(self.sub.name, None)
            return
        if not hit:
            # Entra ID adds `emails[type eq "work"].value` to a user with no work email:
            # the filter's equalities describe the element to create.
            seed = _seed(self.where)
            if seed is None:
                raise ScimError(400, f"no value of `{name}` matches the filter", "noTarget")
            items.append(seed)
            hit = [seed]
        for item in hit:
            if self.sub is not None:
                item[self.sub.name] = value
            elif isinstance(value, dict):
                item.update(value)
            else:
                raise invalid_value(f"a value of `{name}` must be an object")
        holder[name] = items


def _seed(where: Filter) -> dict[str, Any] | None:
    if isinstance(where, Compare) and where.op == "eq" and not where.path.sub:
        return {where.path.attr: where.value}
    if isinstance(where, Logic) and where.op == "and":
        left, right = _seed(where.left), _seed(where.right)
        if left is not None and right is not None:
            return {**left, **right}
    return None

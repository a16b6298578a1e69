"""SCIM documents as clients send them, checked against the declared schema: attribute
names made canonical (they are case-insensitive), booleans that arrive as strings
("False", from Entra ID) made booleans, unknown attributes and schema URNs refused, and
read-only ones dropped (RFC 7643 §2.2)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from broker.identities.scim.errors import invalid_syntax, invalid_value
from broker.identities.scim.filters import parse_path
from broker.identities.scim.schema import COMMON, Attr, Schema

MAX_MULTI = 10_000  # members of one group in one document
MAX_STRING = 2048


def normalized(body: Any, core: Schema, extensions: Iterable[Schema]) -> dict[str, Any]:
    """`body` with canonical names and types; ScimError 400 for what the schemas refuse."""
    if not isinstance(body, dict):
        raise invalid_syntax("the body must be a JSON object: send one resource")
    allowed = {core.id.lower(): core, **{e.id.lower(): e for e in extensions}}
    schemas = body.get("schemas")
    if schemas is not None:
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise invalid_syntax("`schemas` must be a list of schema URNs")
        unknown = [s for s in schemas if s.lower() not in allowed]
        if unknown:
            raise invalid_value(
                f"schema `{unknown[0]}` is unknown here: use {', '.join(sorted(allowed))}"
            )
    out: dict[str, Any] = {}
    for key, value in body.items():
        if not isinstance(key, str):
            raise invalid_syntax("attribute names must be strings")
        lowered = key.lower()
        if lowered in ("schemas", "id", "meta"):
            continue  # the server's to set
        if lowered == "externalid":
            if value is not None:
                out["externalId"] = _string("externalId", value)
            continue
        if lowered in allowed and allowed[lowered] is not core:
            extension = allowed[lowered]
            if value is not None:
                out[extension.id] = _object(extension.id, value, extension.attrs)
            continue
        attr = core.attr(key)
        if attr is None:
            raise invalid_value(
                f"attribute `{key}` is not in schema `{core.id}`: see /Schemas for the "
                "attributes Keyturn keeps"
            )
        _put(out, attr, value)
    return out


def _put(out: dict[str, Any], attr: Attr, value: Any) -> None:
    if attr.mutability == "readOnly":
        return
    coerced = coerce(attr, value)
    if coerced is None or coerced == [] or coerced == {}:
        out.pop(attr.name, None)
    else:
        out[attr.name] = coerced


def coerce(attr: Attr, value: Any) -> Any:
    """`value` as `attr`'s declared type; None for null (the attribute is cleared)."""
    if value is None:
        return None
    if attr.multi:
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_MULTI:
            raise invalid_value(f"`{attr.name}` has more than {MAX_MULTI} values: send fewer")
        return [v for v in (_single(attr, item) for item in items) if v not in (None, {})]
    if attr.type == "complex" and isinstance(value, list) and len(value) == 1:
        value = value[0]  # a one-element list for a single complex value (Entra's manager)
    return _single(attr, value)


def _single(attr: Attr, value: Any) -> Any:
    if value is None:
        return None
    if attr.type == "complex":
        if isinstance(value, str) and attr.child("value") is not None:
            return {"value": value}  # a bare id for a reference such as the manager
        return _object(attr.name, value, attr.sub)
    if attr.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise invalid_value(f"`{attr.name}` must be true or false, got `{value}`")
    if attr.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise invalid_value(f"`{attr.name}` must be an integer, got `{value}`")
    return _string(attr.name, value)


def _object(name: str, value: Any, attrs: tuple[Attr, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_value(f"`{name}` must be an object, got `{value}`")
    by_name = {a.name.lower(): a for a in attrs}
    out: dict[str, Any] = {}
    for key, item in value.items():
        attr = by_name.get(str(key).lower())
        if attr is None:
            raise invalid_value(f"`{name}` has no sub-attribute `{key}`: see /Schemas")
        _put(out, attr, item)
    return out


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise invalid_value(f"`{name}` must be a string, got `{value}`")
    if len(value) > MAX_STRING:
        raise invalid_value(f"`{name}` is longer than {MAX_STRING} characters: shorten it")
    return value


def etag(resource: dict[str, Any]) -> str:
    """A weak entity tag over everything but `meta`: any change to what a client can read
    changes it, whoever made the change."""
    body = {k: v for k, v in resource.items() if k != "meta"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def projected(
    resource: dict[str, Any], attributes: list[str], excluded: list[str], core: str
) -> dict[str, Any]:
    """`resource` cut to `attributes` (plus what is always returned), or without `excluded`."""
    if attributes:
        kept = {k: v for k, v in resource.items() if k in COMMON and k != "externalId"}
        for text in attributes:
            _copy(resource, kept, text, core)
        return kept
    out = dict(resource)
    for text in excluded:
        path = parse_path(text)
        holder = out if not path.schema or path.schema == core else out.get(path.schema)
        if not isinstance(holder, dict) or path.attr.lower() in ("id", "schemas"):
            continue
        name = _key(holder, path.attr)
        if name is None:
            continue
        if path.sub and isinstance(holder[name], dict):
            holder[name] = {k: v for k, v in holder[name].items() if k.lower() != path.sub.lower()}
        elif not path.sub:
            if holder is out:
                del out[name]
            else:
                out[path.schema] = {k: v for k, v in holder.items() if k != name}
    return out


def _copy(source: dict[str, Any], target: dict[str, Any], text: str, core: str) -> None:
    path = parse_path(text)
    from_holder: Any = source
    to_holder = target
    if path.schema and path.schema != core:
        from_holder = source.get(path.schema)
        if not isinstance(from_holder, dict):
            return
        if not path.attr:
            target[path.schema] = from_holder
            return
        to_holder = target.setdefault(path.schema, {})
    name = _key(from_holder, path.attr)
    if name is None:
        return
    value = from_holder[name]
    if path.sub and isinstance(value, dict):
        sub = _key(value, path.sub)
        if sub is not None:
            to_holder.setdefault(name, {})[sub] = value[sub]
    elif path.sub and isinstance(value, list):
        to_holder[name] = [
            {k: v for k, v in item.items() if k.lower() == path.sub.lower()}
            for item in value
            if isinstance(item, dict)
        ]
    else:
        to_holder[name] = value


def _key(holder: dict[str, Any], name: str) -> str | None:
    lowered = name.lower()
    return next((k for k in holder if k.lower() == lowered), None)

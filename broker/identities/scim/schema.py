"""The attributes Keyturn's SCIM service provider keeps (RFC 7643 §4, §8.7), declared once:
the `/Schemas` documents, the case-insensitive attribute names and the types that PATCH
and filters coerce to are all read from here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

# Attributes every resource has, which no schema lists (RFC 7643 §3.1).
COMMON = ("id", "externalId", "meta", "schemas")


@dataclass(frozen=True)
class Attr:
    name: str
    type: str = "string"  # string | boolean | complex | reference | integer | dateTime
    multi: bool = False
    required: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    sub: tuple[Attr, ...] = ()
    canonical: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()

    def child(self, name: str) -> Attr | None:
        return _by_name(self.sub).get(name.lower())


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attrs: tuple[Attr, ...]

    def attr(self, name: str) -> Attr | None:
        return _by_name(self.attrs).get(name.lower())


def _by_name(attrs: tuple[Attr, ...]) -> dict[str, Attr]:
    return {a.name.lower(): a for a in attrs}


def _multi(name: str, *extra: Attr, kinds: tuple[str, ...] = ("work", "home", "other")) -> Attr:
    return Attr(
        name,
        "complex",
        multi=True,
        sub=(
            Attr("value"),
            Attr("display"),
            Attr("type", canonical=kinds),
            Attr("primary", "boolean"),
            *extra,
        ),
    )


USER = Schema(
    USER_SCHEMA,
    "User",
    "a person who may request access",
    (
        Attr("userName", required=True, uniqueness="server"),
        Attr(
            "name",
            "complex",
            sub=tuple(
                Attr(n)
                for n in (
                    "formatted",
                    "familyName",
                    "givenName",
                    "middleName",
                    "honorificPrefix",
                    "honorificSuffix",
                )
            ),
        ),
        Attr("displayName"),
        Attr("nickName"),
        Attr("title"),
        Attr("userType"),
        Attr("preferredLanguage"),
        Attr("locale"),
        Attr("timezone"),
        Attr("active", "boolean"),
        # Required here, unlike RFC 7643: a Keyturn user is keyed by an email address.
        Attr(
            "emails",
            "complex",
            multi=True,
            required=True,
            sub=(
                Attr("value", required=True),
                Attr("display"),
                Attr("type", canonical=("work", "home", "other")),
                Attr("primary", "boolean"),
            ),
        ),
        _multi("phoneNumbers", kinds=("work", "home", "mobile", "fax", "pager", "other")),
        Attr(
            "addresses",
            "complex",
            multi=True,
            sub=(
                *(
                    Attr(n)
                    for n in (
                        "formatted",
                        "streetAddress",
                        "locality",
                        "region",
                        "postalCode",
                        "country",
                    )
                ),
                Attr("type", canonical=("work", "home", "other")),
                Attr("primary", "boolean"),
            ),
        ),
        Attr(
            "groups",
            "complex",
            multi=True,
            mutability="readOnly",
            sub=(
                Attr("value", mutability="readOnly"),
                Attr("$ref", "reference", mutability="readOnly", refs=("Group",)),
                Attr("display", mutability="readOnly"),
                Attr("type", mutability="readOnly", canonical=("direct", "indirect")),
            ),
        ),
    ),
)

ENTERPRISE_USER = Schema(
    ENTERPRISE,
    "EnterpriseUser",
    "the enterprise extension: the manager becomes REPORTS_TO in the access graph",
    (
        Attr("employeeNumber"),
        Attr("costCenter"),
        Attr("organization"),
        Attr("division"),
        Attr("department"),
        Attr(
            "manager",
            "complex",
            sub=(
                Attr("value"),
                Attr("$ref", "reference", refs=("User",)),
                Attr("displayName", mutability="readOnly"),
            ),
        ),
    ),
)

GROUP = Schema(
    GROUP_SCHEMA,
    "Group",
    "a group of users and groups; members become MEMBER_OF in the access graph",
    (
        Attr("displayName", required=True, uniqueness="server"),
        Attr(
            "members",
            "complex",
            multi=True,
            sub=(
                Attr("value", mutability="immutable"),
                Attr("$ref", "reference", mutability="immutable", refs=("User", "Group")),
                Attr("type", mutability="immutable", canonical=("User", "Group")),
                # sent by Okta; Keyturn does not keep it (read-only: accepted, ignored)
                Attr("display", mutability="readOnly"),
            ),
        ),
    ),
)

SCHEMAS: Mapping[str, Schema] = {s.id: s for s in (USER, ENTERPRISE_USER, GROUP)}


def schema_document(schema: Schema, base_url: str) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [_attr_document(a) for a in schema.attrs],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{schema.id}"},
    }


def _attr_document(attr: Attr) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": attr.name,
        "type": attr.type,
        "multiValued": attr.multi,
        "description": attr.name,
        "required": attr.required,
        "caseExact": attr.type == "reference",
        "mutability": attr.mutability,
        "returned": attr.returned,
        "uniqueness": attr.uniqueness,
    }
    if attr.sub:
        doc["subAttributes"] = [_attr_document(s) for s in attr.sub]
    if attr.canonical:
        doc["canonicalValues"] = list(attr.canonical)
    if attr.refs:
        doc["referenceTypes"] = list(attr.refs)
    return doc

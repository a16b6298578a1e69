"""The discovery documents (RFC 7644 §4): what this service provider supports."""

from __future__ import annotations

from typing import Any

from broker.identities.scim.listing import MAX_PAGE
from broker.identities.scim.patching import MAX_OPERATIONS
from broker.identities.scim.schema import (
    ENTERPRISE,
    GROUP_SCHEMA,
    SCHEMAS,
    USER_SCHEMA,
    schema_document,
)

_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
_RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [_CONFIG],
        "documentationUri": "https://keyturn.example/docs/scim",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_PAGE},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "API token",
                "description": f"an API token of scope `scim`; PATCH takes up to "
                f"{MAX_OPERATIONS} operations",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [_RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "a person who may request access",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
        },
        {
            "schemas": [_RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "a group of users and groups",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
        },
    ]


def schemas(base: str) -> list[dict[str, Any]]:
    return [schema_document(s, base) for s in SCHEMAS.values()]

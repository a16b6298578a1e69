"""SCIM 2.0 (RFC 7643/7644): identity providers push users, groups and managers. This
names what the API and the CLI use (as `broker.scim`)."""

from broker.identities.scim.discovery import resource_types, schemas, service_provider_config
from broker.identities.scim.documents import projected
from broker.identities.scim.errors import ScimError
from broker.identities.scim.filters import parse_path
from broker.identities.scim.groups import (
    create_group,
    delete_group,
    get_group,
    patch_group,
    replace_group,
)
from broker.identities.scim.listing import Page, Query, list_resources
from broker.identities.scim.load_file import sync_file
from broker.identities.scim.schema import ERROR, GROUP_SCHEMA, LIST_RESPONSE, USER_SCHEMA
from broker.identities.scim.users import (
    create_user,
    delete_user,
    get_user,
    patch_user,
    replace_user,
)

__all__ = [
    "ERROR",
    "GROUP_SCHEMA",
    "LIST_RESPONSE",
    "USER_SCHEMA",
    "Page",
    "Query",
    "ScimError",
    "create_group",
    "create_user",
    "delete_group",
    "delete_user",
    "get_group",
    "get_user",
    "list_resources",
    "parse_path",
    "patch_group",
    "patch_user",
    "projected",
    "replace_group",
    "replace_user",
    "resource_types",
    "schemas",
    "service_provider_config",
    "sync_file",
]

"""A first load, or the sync of an install whose identity provider cannot push: a SCIM
`ListResponse` document (users and groups, as `GET /Users` and `GET /Groups` return
them) run through the directory sync (`sync_identities`, source `scim`). The file is the
whole directory: users and groups of source `scim` it does not name are offboarded and
removed, as after any sync run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from broker.errors import InvalidInput
from broker.identities.scim.documents import normalized
from broker.identities.scim.errors import ScimError
from broker.identities.scim.groups import group_key
from broker.identities.scim.rendering import SOURCE
from broker.identities.scim.schema import (
    ENTERPRISE,
    ENTERPRISE_USER,
    GROUP,
    GROUP_SCHEMA,
    LIST_RESPONSE,
    USER,
)
from broker.identities.scim.users import user_key
from broker.identities.sync_identities import (
    DirectoryGroup,
    DirectoryUser,
    SyncReport,
    sync_identities,
)
from broker.services import Services


class _Directory:
    """The file's resources in the sync's terms, with file ids mapped to Keyturn keys."""

    def __init__(self) -> None:
        self.users: list[DirectoryUser] = []
        self.groups: list[DirectoryGroup] = []
        self.ids: dict[str, str] = {}  # the file's id -> user or group key
        self.manager_ids: dict[str, str] = {}  # user key -> the manager's file id
        self.member_ids: list[tuple[str, str]] = []  # (member's file id, group key)

    def add(self, position: int, resource: Any) -> None:
        if not isinstance(resource, dict):
            raise InvalidInput(f"resource {position} of the file is not an object")
        is_group = GROUP_SCHEMA in (resource.get("schemas") or []) or (
            (resource.get("meta") or {}).get("resourceType") == "Group"
        )
        try:
            if is_group:
                self._group(resource)
            else:
                self._user(resource)
        except ScimError as bad:
            raise InvalidInput(f"resource {position} of the file: {bad.detail}") from bad

    def _user(self, resource: dict[str, Any]) -> None:
        doc = normalized(resource, USER, (ENTERPRISE_USER,))
        key = user_key(doc)
        name = doc.get("name") or {}
        full = name.get("formatted") or doc.get("displayName") or ""
        self.users.append(
            DirectoryUser(email=key, name=str(full), disabled=doc.get("active") is False)
        )
        self.ids[str(resource.get("id") or key)] = key
        manager = (doc.get(ENTERPRISE) or {}).get("manager")
        if isinstance(manager, dict) and manager.get("value"):
            self.manager_ids[key] = str(manager["value"])

    def _group(self, resource: dict[str, Any]) -> None:
        doc = normalized(resource, GROUP, ())
        key = group_key(doc)
        self.groups.append(DirectoryGroup(key=key, name=key))
        self.ids[str(resource.get("id") or key)] = key
        self.member_ids += [(str(m.get("value")), key) for m in doc.get("members", [])]

    def _key(self, file_id: str, what: str) -> str:
        if file_id not in self.ids:
            raise InvalidInput(f"{what} `{file_id}` is no resource of the file: add it")
        return self.ids[file_id]

    def memberships(self) -> list[tuple[str, str]]:
        return [(self._key(member, "member"), group) for member, group in self.member_ids]

    def managers(self) -> dict[str, str]:
        return {user: self._key(boss, "manager") for user, boss in self.manager_ids.items()}


def sync_file(
    services: Services,
    *,
    document: Any,
    run_tag: str,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> SyncReport:
    """Sync the directory in `document`; InvalidInput, before anything is written, for a
    document that is no ListResponse or a resource SCIM would refuse. `on_total` hears
    how many items the sync will write, `progress` the running count."""
    if not isinstance(document, dict) or LIST_RESPONSE not in (document.get("schemas") or []):
        raise InvalidInput(
            f"the file is no SCIM ListResponse: its `schemas` must name `{LIST_RESPONSE}`"
        )
    resources = document.get("Resources") or []
    if not isinstance(resources, list):
        raise InvalidInput("the file's `Resources` must be a list")
    directory = _Directory()
    for position, resource in enumerate(resources, start=1):
        directory.add(position, resource)
    memberships, managers = directory.memberships(), directory.managers()
    if on_total is not None:
        on_total(len(directory.users) + len(directory.groups) + len(memberships) + len(managers))
    return sync_identities(
        services,
        source=SOURCE,
        run_tag=run_tag,
        users=directory.users,
        groups=directory.groups,
        memberships=memberships,
        managers=managers,
        progress=progress,
    )

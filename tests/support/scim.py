"""A live Keyturn for SCIM tests: the demo organisation served over real HTTP, with an
admin's `scim` token and an admin's `full` token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.server import open_services
from broker import Services, issue_api_token
from broker.demo import DEMO_ADMIN, seed_demo
from graph import NodeRef
from tests.support.clock import ManualClock
from tests.support.http_server import serving

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass
class LiveScim:
    services: Services
    clock: ManualClock
    base_url: str  # the server; SCIM lives at base_url + /scim/v2
    scim: httpx.Client  # an admin's `scim` token, based at /scim/v2
    scim_token: str
    full_token: str

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a refused SCIM request could have half-written."""
        store = self.services.store
        users = sorted((n.key, sorted(n.props.items())) for n in store.find_nodes("User"))
        groups = sorted((n.key, sorted(n.props.items())) for n in store.find_nodes("Group"))
        edges = sorted(
            (e.src.key, e.dst.key)
            for kind in ("MEMBER_OF", "REPORTS_TO")
            for e in store.edges(kind)
        )
        head = store.get_node("AuditHead", "head")
        return users, groups, edges, head.props.get("seq") if head else 0

    def member_of(self, kind: str, key: str) -> set[str]:
        return {e.dst.key for e in self.services.store.edges("MEMBER_OF", src=NodeRef(kind, key))}


@pytest.fixture
def scim_live(graph_url: str) -> Iterator[LiveScim]:
    services = open_services(graph_url)
    clock = ManualClock()
    services.clock = clock
    seed_demo(services)
    scim_token = issue_api_token(services, owner=DEMO_ADMIN, name="okta", scope="scim")
    full_token = issue_api_token(services, owner=DEMO_ADMIN, name="admin")
    try:
        with serving(create_app(services, expiry_interval=0.05)) as url:
            headers = {"Authorization": f"Bearer {scim_token}"}
            with httpx.Client(base_url=f"{url}/scim/v2", headers=headers, timeout=30) as http:
                yield LiveScim(services, clock, url, http, scim_token, full_token)
    finally:
        services.store.close()

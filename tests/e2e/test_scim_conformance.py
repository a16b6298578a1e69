"""scim2-tester, the SCIM 2.0 conformance checker, against the running server over HTTP:
every check it runs passes, on both graph backends."""

from __future__ import annotations

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.support.scim import LiveScim, scim_live

__all__ = ["scim_live"]


def test_every_scim2_tester_check_passes(scim_live: LiveScim) -> None:
    """Discovery, then create/read/query/replace/delete and PATCH add/replace/remove of
    every published attribute, for users and groups: each check succeeds."""
    headers = {"Authorization": f"Bearer {scim_live.scim_token}"}
    with httpx2.Client(base_url=f"{scim_live.base_url}/scim/v2", headers=headers) as http:
        client = SyncSCIMClient(http)
        client.discover()
        results = check_server(client, raise_exceptions=False)
    failed = [
        f"{r.title} {r.resource_type or ''}: {r.status.name} {r.reason}"
        for r in results
        if r.status != Status.SUCCESS
    ]
    assert failed == []
    checked = {r.title for r in results}
    # The checks that prove the protocol, not only discovery, ran.
    assert {"object_creation", "object_replacement", "object_deletion"} <= checked
    assert {"check_add_attribute", "check_remove_attribute", "check_replace_attribute"} <= checked
    assert len(results) > 100

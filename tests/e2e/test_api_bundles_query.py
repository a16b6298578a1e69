"""The `bundles` query: admins list the saved bundles with their items and the flows (and
so the permissions) that let people request them; nobody else may."""

from __future__ import annotations

from broker import save_bundle
from broker.demo import DEMO_ADMIN
from broker.flows.save_access_flow import save_access_flow
from graph import NodeRef
from policies.flows import AccessFlow
from tests.e2e.conftest import LiveKeyturn

BUNDLES = """
query($first: Int!, $after: String) {
  bundles(first: $first, after: $after) {
    bundles {
      key name description items { kind key } flows { key name permissions } permissions
    }
    endCursor hasNextPage
  }
}"""


def test_admins_list_bundles_with_items_flows_and_permissions(live: LiveKeyturn) -> None:
    orders = [NodeRef("Resource", "pg-prod/orders"), NodeRef("Resource", "pg-prod/analytics")]
    save_bundle(live.services, actor=DEMO_ADMIN, key="orders-kit", name="Orders kit", items=orders)
    nested = [NodeRef("Bundle", "orders-kit")]
    save_bundle(live.services, actor=DEMO_ADMIN, key="all-kits", name="All kits", items=nested)
    flow = AccessFlow(
        key="kit-writers",
        name="The orders kit",
        requestor_groups=("backend",),
        bundles=("orders-kit",),
        permissions=("write", "read"),
    )
    save_access_flow(live.services, actor=DEMO_ADMIN, flow=flow)

    page = live.admin.data(BUNDLES, first=8)["bundles"]

    assert page["hasNextPage"] is False
    listed = page["bundles"]
    assert [b["key"] for b in listed] == ["all-kits", "orders-kit"]
    kits, orders_kit = listed
    assert kits["items"] == [{"kind": "Bundle", "key": "orders-kit"}]
    assert kits["flows"] == [] and kits["permissions"] == []
    assert orders_kit["name"] == "Orders kit"
    assert orders_kit["items"] == [
        {"kind": "Resource", "key": "pg-prod/analytics"},
        {"kind": "Resource", "key": "pg-prod/orders"},
    ]
    assert orders_kit["flows"] == [
        {"key": "kit-writers", "name": "The orders kit", "permissions": ["write", "read"]}
    ]
    assert orders_kit["permissions"] == ["read", "write"]
    first = live.admin.data(BUNDLES, first=1)["bundles"]
    assert [b["key"] for b in first["bundles"]] == ["all-kits"] and first["hasNextPage"]
    second = live.admin.data(BUNDLES, first=1, after=first["endCursor"])["bundles"]
    assert [b["key"] for b in second["bundles"]] == ["orders-kit"]
    assert second["hasNextPage"] is False

    # Each bundle may hold 500 items: the cost budget bounds how many come at once.
    too_many = live.admin.error(BUNDLES, first=100)
    assert too_many["extensions"]["code"] == "query_too_costly"
    past_cap = live.admin.error("{ bundles(first: 101) { endCursor } }")
    assert "page size `101` is outside 1..100" in past_cap["message"]
    for outsider in (live.grantee, live.auditor):
        refused = outsider.error(BUNDLES, first=8)
        assert refused["extensions"]["code"] == "forbidden"

"""policies.analysis: flows that allow nothing and shadowed flows, flagged only when true."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.analysis import Finding, flows_allowing_nothing, shadowed_flows
from policies.flows import AccessFlow
from tests.unit.policies.test_engine_properties import (
    GROUPS,
    USERS,
    _allowing_flows,
    _flow,
    _near_request,
    _requests,
)

READERS = AccessFlow(
    key="readers",
    name="R",
    requestor_groups=("eng",),
    integrations=("pg",),
    max_duration_minutes=60,
)


def test_an_empty_group_a_disabled_flow_and_a_self_excluding_flow_allow_nothing() -> None:
    flows = [
        READERS,
        replace(READERS, key="ghosts", requestor_groups=("nobody",)),
        replace(READERS, key="off", enabled=False),
        replace(
            READERS, key="void", integrations=(), resources=("pg/a",), exclude_resources=("pg/a",)
        ),
        replace(READERS, key="tagless", integrations=(), tags=("pci",), exclude_tags=("pci",)),
    ]
    findings = flows_allowing_nothing(flows, populated_groups={"eng"}, users=())
    assert [(f.flow_key, f.message) for f in findings] == [
        (
            "ghosts",
            "flow `ghosts` has no requestors with members: "
            "its groups are empty and its users unknown",
        ),
        ("off", "flow `off` is disabled"),
        ("void", "flow `void` excludes everything it offers"),
        ("tagless", "flow `tagless` offers only tags it also excludes"),
    ]


def test_a_narrower_flow_is_shadowed_by_a_wider_one_and_not_the_other_way() -> None:
    narrow = replace(READERS, key="short", max_duration_minutes=30, justification_required=True)
    assert shadowed_flows([READERS, narrow]) == [
        Finding(
            "short",
            "shadowed",
            "flow `short` allows nothing that flow `readers` does not already allow: "
            "remove it or narrow the other",
            "readers",
        )
    ]
    longer = replace(narrow, max_duration_minutes=120)
    assert shadowed_flows([READERS, longer]) == []


def test_of_two_identical_flows_only_the_later_key_is_flagged() -> None:
    twin = replace(READERS, key="twin")
    assert [(f.flow_key, f.by) for f in shadowed_flows([twin, READERS])] == [("twin", "readers")]


@st.composite
def _flows_and_requests(draw: st.DrawFn) -> tuple[list[AccessFlow], list[object]]:
    """A random flow, another, and a widened copy of the first (which should shadow it)."""
    first, second = draw(_flow("a")), draw(_flow("b"))
    wider = replace(
        first,
        key="c",
        permissions=("read", "write", "admin"),
        max_duration_minutes=600,
        justification_required=False,
    )
    flows = [first, second, wider]
    near = [_near_request(flow) for flow in flows]
    return flows, draw(st.lists(st.one_of(_requests, *near), min_size=8, max_size=8))


@settings(max_examples=100, deadline=None)
@given(_flows_and_requests())
def test_a_flagged_flow_never_allows_what_the_flag_says_it_does_not(
    case: tuple[list[AccessFlow], list[object]],
) -> None:
    """Checked against the plain reading the differential test uses."""
    flows, requests = case
    shadowed = {(f.flow_key, f.by) for f in shadowed_flows(flows)}
    if flows[0].enabled:
        assert shadowed & {("a", "c"), ("c", "a"), ("a", "b")}  # ("c", "a"): a == c
    everybody = {*GROUPS, "staff"}
    dead = {
        f.flow_key for f in flows_allowing_nothing(flows, populated_groups=everybody, users=USERS)
    }
    for request in requests:
        allowing = _allowing_flows(flows, request)  # type: ignore[arg-type]
        assert not allowing & dead
        for flow_key, by in shadowed:
            assert flow_key not in allowing or by in allowing


def test_a_flow_for_unknown_people_only_or_over_empty_bundles_allows_nothing() -> None:
    flows = [
        replace(READERS, key="for-ghosts", for_self=False, on_behalf_users=("ghost@x",)),
        replace(READERS, key="for-bob", for_self=False, on_behalf_users=("bob@x",)),
        replace(READERS, key="empty-kit", integrations=(), bundles=("empty",)),
        replace(READERS, key="kit", integrations=(), bundles=("empty", "kit")),
    ]
    findings = flows_allowing_nothing(
        flows, populated_groups={"eng"}, users={"bob@x"}, populated_bundles={"kit"}
    )
    assert [(f.flow_key, f.message) for f in findings] == [
        (
            "for-ghosts",
            "flow `for-ghosts` can be requested for nobody: the users it lets people request "
            "for are unknown",
        ),
        ("empty-kit", "flow `empty-kit` offers only bundles that cover nothing"),
    ]
    assert flows_allowing_nothing(flows[2:], populated_groups={"eng"}, users=()) == []


def test_a_flow_for_more_beneficiaries_or_bundles_is_not_shadowed_by_a_narrower_one() -> None:
    for_reports = replace(READERS, key="z-reports", on_behalf_reports=True)
    assert [f.flow_key for f in shadowed_flows([READERS, for_reports])] == ["readers"]
    bundled = replace(READERS, key="z-kit", bundles=("kit",))
    assert [f.flow_key for f in shadowed_flows([READERS, bundled])] == ["readers"]

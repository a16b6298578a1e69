"""Every access flow option compiles to Cedar that allows exactly what the option says,
and a deny names the condition that failed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from policies.engine import PolicyEngine
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow, FlowInvalid

PG = ("Integration", "pg")
ORDERS = Resource("pg/orders", ancestors=(PG,), tags=frozenset({"pii"}), type="postgres")
SECRET = Resource("pg/orders/secret", ancestors=(("Resource", "pg/orders"), PG))
CARDS = Resource("pg/cards", ancestors=(PG,), tags=frozenset({"pci", "pii"}), type="postgres")
BUCKET = Resource("s3/b", ancestors=(("Integration", "s3"),), tags=frozenset({"pii"}), type="s3")
ALICE = Principal("alice@corp.com", "alice@corp.com", groups=frozenset({"eng"}))
GUEST = Principal("guest@example.org", "guest@example.org", kind="ExternalUser")
BASE = AccessFlow(key="f", name="F", requestor_groups=("eng",), integrations=("pg",))
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN).timestamp()
MONDAY_18 = datetime(2026, 11, 23, 18, 0, tzinfo=BERLIN).timestamp()
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN).timestamp()
OFFICE = {
    "window_days": ("mon", "tue", "wed", "thu", "fri"),
    "window_start": "09:00",
    "window_end": "18:00",
    "time_zone": "Europe/Berlin",
}


def _ask(
    resource: Resource = ORDERS,
    principal: Principal = ALICE,
    *,
    trigger: str = "portal",
    now: float = MONDAY_10,
) -> DecisionRequest:
    return DecisionRequest(principal, resource, RequestContext(trigger, ("read",), 30, "", now))


def _reason(flow: AccessFlow, request: DecisionRequest) -> str:
    decision = PolicyEngine([flow]).decide(request)
    assert not decision.allowed
    return decision.reason


def test_everyone_admits_any_user_and_external_admits_link_guests_only() -> None:
    anyone = PolicyEngine([replace(BASE, requestor_groups=(), everyone=True)])
    assert anyone.decide(_ask(principal=Principal("x@corp.com", "x@corp.com"))).allowed
    guests = replace(BASE, external=True, trigger="link")
    assert PolicyEngine([guests]).decide(_ask(principal=GUEST, trigger="link")).allowed
    assert PolicyEngine([guests]).decide(_ask(trigger="link")).allowed  # eng still counts
    assert _reason(BASE, _ask(principal=GUEST)).endswith(
        "`guest@example.org` is not a requestor of any flow covering `pg/orders`: "
        "`f` does not admit external requesters"
    )


def test_external_requesters_need_the_link_trigger() -> None:
    with pytest.raises(FlowInvalid, match="arrive by access link only: set its trigger to `link`"):
        replace(BASE, external=True).check()


def test_a_resource_type_target_covers_resources_of_that_type_anywhere() -> None:
    typed = replace(BASE, integrations=(), resource_types=("postgres",))
    engine = PolicyEngine([typed])
    assert engine.decide(_ask(ORDERS)).allowed
    assert not engine.decide(_ask(BUCKET)).allowed
    assert engine.decide(_ask(BUCKET)).reason == "no access flow covers `s3/b`"


def test_tags_alone_target_every_resource_with_any_of_them() -> None:
    tagged = replace(BASE, integrations=(), tags=("pci", "gdpr"))
    engine = PolicyEngine([tagged])
    assert engine.decide(_ask(CARDS)).policy_ids == ("flow:f:0",)
    assert not engine.decide(_ask(ORDERS)).allowed


def test_tags_with_other_targets_filter_them() -> None:
    flow = replace(BASE, tags=("pci",))
    engine = PolicyEngine([flow])
    assert engine.decide(_ask(CARDS)).allowed
    assert _reason(flow, _ask(ORDERS)).endswith(
        "the nearest flow `f` offers only resources tagged `pci`"
    )


def test_excluded_resources_and_everything_beneath_them_are_not_offered() -> None:
    flow = replace(BASE, exclude_resources=("pg/orders",))
    assert PolicyEngine([flow]).decide(_ask(CARDS)).allowed
    assert _reason(flow, _ask(ORDERS)).endswith("the nearest flow `f` excludes `pg/orders`")
    assert _reason(flow, _ask(SECRET)).endswith("the nearest flow `f` excludes `pg/orders`")


def test_excluded_tags_are_not_offered() -> None:
    flow = replace(BASE, exclude_tags=("pci",))
    assert PolicyEngine([flow]).decide(_ask(ORDERS)).allowed
    assert _reason(flow, _ask(CARDS)).endswith(
        "the nearest flow `f` excludes resources tagged `pci`"
    )


@pytest.mark.parametrize(
    ("now", "allowed"), [(MONDAY_10, True), (MONDAY_18, False), (SATURDAY_10, False)]
)
def test_a_time_window_is_open_from_its_start_until_just_before_its_end(
    now: float, allowed: bool
) -> None:
    flow = replace(BASE, **OFFICE)
    decision = PolicyEngine([flow]).decide(_ask(now=now))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reason.endswith(
            "the nearest flow `f` is open only Mon-Fri 09:00-18:00 Europe/Berlin"
        )


def test_flows_in_different_time_zones_each_read_their_own_clock() -> None:
    """10:00 Monday in Berlin is 01:00 Monday in Los Angeles."""
    berlin = replace(BASE, key="berlin", **OFFICE)
    la = replace(berlin, key="la", time_zone="America/Los_Angeles")
    decision = PolicyEngine([berlin, la]).decide(_ask())
    assert decision.flow_keys == ("berlin",)
    evening = datetime(2026, 11, 23, 19, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert not PolicyEngine([berlin, la]).decide(_ask(now=evening.timestamp())).allowed
    morning = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert PolicyEngine([berlin, la]).decide(_ask(now=morning.timestamp())).flow_keys == ("la",)


def test_a_window_without_days_is_open_every_day() -> None:
    flow = replace(BASE, window_start="00:00", window_end="24:00", time_zone="UTC")
    assert PolicyEngine([flow]).decide(_ask(now=SATURDAY_10)).allowed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window_start": "18:00", "window_end": "09:00"}, "ends at `09:00`, not after it"),
        ({"window_end": "09:00"}, "ends at `09:00`, not after it starts at `09:00`"),
        ({"time_zone": "Mars/Olympus"}, "time zone `Mars/Olympus` is unknown"),
        ({"time_zone": ""}, "needs an IANA time zone"),
        ({"window_start": "9am"}, "time `9am` must be HH:MM"),
        ({"window_end": "24:30"}, "time `24:30` must be HH:MM"),
        ({"window_days": ("monday",)}, "day `monday` must be one of mon, tue"),
        ({"window_start": ""}, "needs a start and an end time"),
    ],
)
def test_a_malformed_window_is_refused_precisely(change: dict[str, object], message: str) -> None:
    with pytest.raises(FlowInvalid, match=f"^flow `f`: .*{message}"):
        replace(BASE, **{**OFFICE, **change}).check()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tags": (" pii",)}, "tag ` pii` in tags must be 1-64 characters"),
        ({"exclude_tags": ("",)}, "tag `` in exclude_tags"),
        ({"tags": ("a\nb",)}, "no control characters"),
        ({"resource_types": (" ",)}, "resource_types ` ` must not be blank"),
        ({"integrations": (), "requestor_groups": ()}, "names no requestors"),
        ({"integrations": ()}, "names nothing to request"),
    ],
)
def test_malformed_targets_are_refused_precisely(change: dict[str, object], message: str) -> None:
    with pytest.raises(FlowInvalid, match=message):
        replace(BASE, **change).check()  # type: ignore[arg-type]


def test_old_flow_json_still_loads_and_new_fields_round_trip() -> None:
    old = '{"key": "f", "name": "F", "requestor_groups": ["eng"], "integrations": ["pg"]}'
    assert AccessFlow.from_json(old) == BASE
    rich = replace(BASE, tags=("pii",), exclude_resources=("pg/x",), **OFFICE)
    assert AccessFlow.from_json(rich.to_json()) == rich


def test_a_bad_flow_leaves_the_running_policies_unchanged() -> None:
    engine = PolicyEngine([BASE])
    with pytest.raises(FlowInvalid, match="unknown"):
        engine.upsert_flow(replace(BASE, **{**OFFICE, "time_zone": "Nowhere/Land"}))
    assert engine.flows == {"f": BASE}
    assert engine.decide(_ask(now=SATURDAY_10)).allowed

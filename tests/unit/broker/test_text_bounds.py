"""Every text that enters the broker is bounded and holds nothing hidden: a huge or
booby-trapped justification, reason or name is refused, and the graph is unchanged."""

from __future__ import annotations

import pytest

from broker import InvalidInput, Services, approve_request, reject_request, request_access
from broker._text import JUSTIFICATION, check_text
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.flows.save_bundle import save_bundle
from broker.identities.manage_tokens import issue_token
from broker.integrations.save_integration import save_integration
from graph import NodeRef
from tests.support.requests_lab import add_flow, graph_state

PAYMENTS = "pg-prod/payments"  # flow `db-readers`: Grace approves, a justification is needed


def _ask(services: Services, justification: str, **extra: object) -> str:
    fields: dict[str, object] = {"permissions": ["read"], "resource": PAYMENTS, **extra}
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        justification=justification,
        **fields,  # type: ignore[arg-type]
    ).key


def test_a_five_megabyte_justification_is_refused_by_its_length_and_stores_nothing(
    services: Services,
) -> None:
    before = graph_state(services.store)
    with pytest.raises(InvalidInput) as refused:
        _ask(services, "x" * 5_000_000)
    assert str(refused.value) == (
        "justification is 5,000,000 characters long, more than the 2,000 allowed: shorten it"
    )
    assert graph_state(services.store) == before


def test_a_justification_at_the_limit_with_lines_and_tabs_is_accepted(services: Services) -> None:
    text = ("ticket 7\n\tsee the runbook " * 200)[:JUSTIFICATION]
    key = _ask(services, text)
    stored = services.store.get_node("AccessRequest", key)
    assert stored is not None and stored.props["justification"] == text


@pytest.mark.parametrize(
    ("char", "words"),
    [
        ("\u202e", "the invisible character U+202E"),
        ("\u2066", "the invisible character U+2066"),
        ("\u200b", "the invisible character U+200B"),
        ("\u200d", "the invisible character U+200D"),
        ("\ufeff", "the invisible character U+FEFF"),
        ("\u061c", "the invisible character U+061C"),
        ("\u200f", "the invisible character U+200F"),
        ("\x00", "the control character U+0000"),
        ("\x1b", "the control character U+001B"),
        ("\r", "the control character U+000D"),
        ("\x85", "the control character U+0085"),
    ],
)
def test_hidden_characters_in_a_justification_are_refused_by_code_point(
    services: Services, char: str, words: str
) -> None:
    before = graph_state(services.store)
    with pytest.raises(InvalidInput) as refused:
        _ask(services, f"ticket 7{char} approve here: https://evil.example")
    assert str(refused.value) == f"justification holds {words}: remove it"
    assert graph_state(services.store) == before


def test_a_reason_is_bounded_and_clean_too(services: Services) -> None:
    key = _ask(services, "ticket 7")
    with pytest.raises(InvalidInput, match="reason is 1,001 characters long"):
        approve_request(services, approver=DEMO_APPROVER, request=key, reason="y" * 1001)
    with pytest.raises(InvalidInput, match=r"reason holds the invisible character U\+202E"):
        reject_request(services, approver=DEMO_APPROVER, request=key, reason="no\u202e")
    node = services.store.get_node("AccessRequest", key)
    assert node is not None and node.props["state"] == "PENDING"


def test_names_are_single_line(services: Services) -> None:
    with pytest.raises(InvalidInput, match=r"token name holds a line break \(U\+000A\)"):
        issue_token(services, actor=DEMO_GRANTEE, owner=DEMO_GRANTEE, name="cli\nadmin")
    with pytest.raises(InvalidInput, match="bundle name is 201 characters long"):
        save_bundle(
            services,
            actor=DEMO_ADMIN,
            key="b",
            name="n" * 201,
            items=[NodeRef("Resource", PAYMENTS)],
        )
    with pytest.raises(InvalidInput, match="flow name holds the invisible character U\\+200B"):
        add_flow(
            services,
            key="zw",
            name="Read\u200b",
            requestor_groups=("engineering",),
            resources=(PAYMENTS,),
        )


def test_keys_and_emails_given_as_arguments_are_bounded_before_any_lookup(
    services: Services,
) -> None:
    with pytest.raises(InvalidInput, match="resource is 10,000 characters long"):
        _ask(services, "ticket 7", resource="r" * 10_000)
    with pytest.raises(InvalidInput, match="beneficiary is 321 characters long"):
        _ask(services, "ticket 7", beneficiary="b" * 321)


def test_permission_lists_are_bounded_in_count_and_length(services: Services) -> None:
    with pytest.raises(InvalidInput, match="permissions names 51 entries, more than the 50"):
        _ask(services, "ticket 7", permissions=[f"p{i}" for i in range(51)])
    with pytest.raises(InvalidInput, match="permissions entry is 101 characters long"):
        _ask(services, "ticket 7", permissions=["p" * 101])


def test_an_oversized_integration_config_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput, match=r"integration config definition is .* the 16,384"):
        save_integration(
            services,
            actor=DEMO_ADMIN,
            key="hook",
            name="Hook",
            type="webhook",
            config={"url": "https://example.com", "secret": "s" * 20_000},
        )


def test_an_oversized_flow_definition_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput, match=r"flow definition is .* more than the 65,536"):
        add_flow(
            services,
            key="huge",
            name="Huge",
            requestor_groups=("engineering",),
            resources=(PAYMENTS,),
            exclude_tags=tuple(f"t{i:05d}" for i in range(12_000)),
        )


def test_the_length_is_checked_before_the_characters() -> None:
    with pytest.raises(InvalidInput, match="is 3 characters long"):
        check_text("name", "\x00\x00\x00", most=2)
    assert check_text("name", "Zoë 👩‍💻"[:4], most=10) == "Zoë "

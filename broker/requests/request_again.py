"""Ask again for what a finished request asked: same resource, permissions and beneficiary."""

from __future__ import annotations

from broker._lookup import requester_of, require_allowed, target_of
from broker._text import KEY, check_text
from broker.errors import Forbidden, NotFound, StateConflict
from broker.requests._new_request import ask
from broker.requests.request_access import ask_for
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node, UnknownNode
from policies.api_authz import Target

FINISHED = frozenset(
    {
        RequestState.EXPIRED,
        RequestState.REVOKED,
        RequestState.REJECTED,
        RequestState.CANCELLED,
        RequestState.TIMED_OUT,
        RequestState.FAILED,
    }
)


def request_again(
    services: Services,
    *,
    requester: str,
    previous: str,
    duration_minutes: int | None = None,
    justification: str | None = None,
) -> Node:
    """A new request, linked to `previous` by its `previous` prop, decided afresh.

    Duration and justification default to the previous request's. Raises StateConflict
    for a request still live, Forbidden when `requester` did not make `previous` (or it
    does not exist, or the API policies do not let them request access at all), and
    whatever `request_access` raises for the new request.
    """
    require_allowed(services, requester, "requestAccess", Target.api())
    check_text("request id", previous, most=KEY)
    old = services.store.get_node("AccessRequest", previous)
    # Whose it is comes first, and a missing request gets the same answer as someone
    # else's: nobody learns which requests exist, or their state.
    if old is None or requester_of(services.store, old).key != requester:
        raise Forbidden(
            f"request `{previous}` is not one you made: only its requester may ask again"
        )
    state = str(old.props["state"])
    if state not in FINISHED:
        raise StateConflict(
            f"request `{previous}` is {state}, not finished: cancel it or wait for it to end "
            "before asking again"
        )
    beneficiary = str(old.props.get("beneficiary") or requester)
    asked = ask(
        services,
        requester=requester,
        permissions=[str(p) for p in old.props.get("permissions") or ()],
        duration_minutes=(
            int(old.props["duration_minutes"]) if duration_minutes is None else duration_minutes
        ),
        justification=(
            str(old.props.get("justification", "")) if justification is None else justification
        ),
        trigger="portal",
        beneficiary=beneficiary,
        starts_at=None,
    )
    target_ref = target_of(services.store, old)
    try:
        target = services.store.resource_context(target_ref)
    except UnknownNode as gone:
        raise NotFound(
            f"{target_ref.kind.lower()} `{target_ref.key}` of request `{previous}` no longer "
            "exists: request something else"
        ) from gone
    return ask_for(services, asked, target, {"previous": previous})

"""An admin deletes an integration: refused while it has active grants, unless forced,
which revokes them first (through the integration, so the logins are really dropped)."""

from __future__ import annotations

from broker import audit
from broker.errors import StateConflict
from broker.grants.revoke_grant import revoke_grant
from broker.integrations.read_integrations import get_integration
from broker.requests.states import RequestState
from broker.services import Services
from graph import DeleteNode
from graph.sync import SyncRun

_CLEANED = ("HAS_ACCESS", "PART_OF", "Resource")


def delete_integration(
    services: Services, *, actor: str, key: str, force: bool = False
) -> list[str]:
    """Delete integration `key` and what its discovery wrote; return the requests revoked.

    Raises StateConflict while a grant through it is active (or being made), naming how
    many; with `force` the granted ones are revoked first (a grant being made still
    refuses: try again once it has finished)."""
    get_integration(services, actor=actor, key=key)
    store = services.store
    active = {
        state: [
            n.key
            for n in store.find_nodes(
                "AccessRequest", equals={"integration": key, "state": state.value}
            )
        ]
        for state in (RequestState.GRANTED, RequestState.GRANTING)
    }
    granted, granting = active[RequestState.GRANTED], active[RequestState.GRANTING]
    if granting or (granted and not force):
        raise StateConflict(
            f"integration `{key}` has {len(granted) + len(granting)} active grant(s): revoke "
            "them first, or delete with `force` to revoke them now"
        )
    for request in granted:
        revoke_grant(services, actor=actor, request=request, reason=f"integration `{key}` deleted")
    source = f"integration:{key}"
    # a run that saw nothing: its cleanup removes all that this integration's discovery wrote
    SyncRun(store, source, f"delete-{services.clock():.6f}").cleanup(
        _CLEANED, scope={"sync_source": source}
    )
    event = audit.Entry(
        kind="integration.deleted",
        at=services.clock(),
        actor=actor,
        resource=key,
        subject=key,
        data={"revoked": granted, "forced": force},
    )
    audit.write(store, [DeleteNode("Integration", key)], event)
    return granted

"""What the integration handed out for a grant (a login, a connection string), shown only
to the person holding the access, only while it lasts."""

from __future__ import annotations

import json

from broker._lookup import beneficiary_of, load_user
from broker._text import KEY, check_text
from broker.errors import Forbidden, StateConflict
from broker.grants.secrets import unseal
from broker.requests.states import RequestState
from broker.services import Services
from graph import NodeRef


def access_details(
    services: Services, *, viewer: str, request: str, viewer_kind: str = "User"
) -> dict[str, str]:
    """The unsealed access details of granted `request`, for its beneficiary only.

    Raises Forbidden for anyone else (admins included: the details are the grantee's
    credentials) and StateConflict once the grant is no longer GRANTED or has expired.
    """
    store = services.store
    check_text("request id", request, most=KEY)
    if viewer_kind == "User":
        load_user(store, viewer)
    node = store.get_node("AccessRequest", request)
    holder = NodeRef(viewer_kind, viewer)
    # A missing request gets the same answer as someone else's: no existence oracle.
    if node is None or beneficiary_of(store, node) != holder:
        raise Forbidden(f"only the person holding request `{request}`'s access sees its details")
    state = str(node.props.get("state", ""))
    expired = float(node.props.get("expires_at") or 0) <= services.clock()
    if state != RequestState.GRANTED.value or expired:
        shown = "EXPIRED" if state == RequestState.GRANTED.value else state
        raise StateConflict(f"request `{request}` is {shown}: its access details are gone")
    sealed = str(node.props.get("details") or "")
    if not sealed:
        return {}
    found = json.loads(unseal(sealed))
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

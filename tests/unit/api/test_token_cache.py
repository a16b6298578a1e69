"""The token cache on the embedded graph: an answer stands while the token and its owner
are unchanged, whatever else is written (a request, a grant, another user's change), and
is dropped by the first change to either. Real broker, real embedded graph."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.token_cache import TokenCache, token_cache_for
from broker import (
    Services,
    authenticate,
    disable_user,
    issue_api_token,
    request_access,
    revoke_token,
    set_user_role,
)
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.identities.api_tokens import token_key
from tests.support.demo_services import demo_services


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with demo_services(f"embedded:{tmp_path / 'graph.db'}") as opened:
        yield opened


def _cached(services: Services, owner: str) -> tuple[TokenCache, str]:
    """A token of `owner`'s, authenticated and remembered as the API does."""
    cache = token_cache_for(services)
    assert cache is not None
    token = issue_api_token(services, owner=owner, name="cache")
    # The first use is recorded on the token (`last_used_at`): a change to it, so the
    # answer of that request is stale at once, and the next one is kept.
    changes = cache.changes()
    cache.remember(token, authenticate(services, token), changes=changes, now=services.clock())
    assert cache.viewer(token, services.clock()) is None
    changes = cache.changes()
    cache.remember(token, authenticate(services, token), changes=changes, now=services.clock())
    assert cache.viewer(token, services.clock()) is not None
    return cache, token


def test_writes_elsewhere_leave_the_answer_in_memory(services: Services) -> None:
    cache, token = _cached(services, DEMO_GRANTEE)
    request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        permissions=["read"],
        duration_minutes=30,
    )
    set_user_role(services, actor=DEMO_ADMIN, user=DEMO_APPROVER, role="admin")
    issue_api_token(services, owner=DEMO_GRANTEE, name="another")
    remembered = cache.viewer(token, services.clock())
    assert remembered is not None and remembered.key == DEMO_GRANTEE


def test_a_revoked_token_is_dropped(services: Services) -> None:
    cache, token = _cached(services, DEMO_GRANTEE)
    revoke_token(services, actor=DEMO_ADMIN, key=token_key(token))
    assert cache.viewer(token, services.clock()) is None


def test_a_demoted_owner_is_dropped(services: Services) -> None:
    set_user_role(services, actor=DEMO_ADMIN, user=DEMO_APPROVER, role="admin")
    cache, token = _cached(services, DEMO_APPROVER)
    set_user_role(services, actor=DEMO_ADMIN, user=DEMO_APPROVER, role="grantee")
    assert cache.viewer(token, services.clock()) is None


def test_a_disabled_owner_is_dropped(services: Services) -> None:
    cache, token = _cached(services, DEMO_GRANTEE)
    disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    assert cache.viewer(token, services.clock()) is None


def test_a_change_while_authenticating_leaves_nothing_current(services: Services) -> None:
    """The count is read before the graph: a change landing between them is newer than the
    entry, so the entry is stale from the start rather than wrong."""
    cache = token_cache_for(services)
    assert cache is not None
    token = issue_api_token(services, owner=DEMO_GRANTEE, name="race")
    authenticate(services, token)  # its first use, recorded
    changes = cache.changes()
    viewer = authenticate(services, token)
    disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    cache.remember(token, viewer, changes=changes, now=services.clock())
    assert cache.viewer(token, services.clock()) is None


def test_an_answer_that_names_no_nodes_is_not_kept(services: Services) -> None:
    cache = token_cache_for(services)
    assert cache is not None
    token = issue_api_token(services, owner=DEMO_GRANTEE, name="anonymous")
    authenticate(services, token)  # its first use, recorded
    viewer = replace(authenticate(services, token), read_from=())
    cache.remember(token, viewer, changes=cache.changes(), now=services.clock())
    assert cache.viewer(token, services.clock()) is None

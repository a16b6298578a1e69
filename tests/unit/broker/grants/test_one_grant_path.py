"""Auto-approved and approved requests are granted by one path, with its check that the
beneficiary is still enabled: a disable that lands between an auto-approval's decision and
its write leaves no access behind, on each backend."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

import pytest

from broker import GrantFailed, RequestState, Services, audit
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.identities.disable_user import disable_user
from broker.notify import NoticeKind
from broker.services import Provisioner, grant_in_graph_only
from graph import GraphStore, Node, NodeRef, SetProps
from tests.support.grants_lab import RESOURCE, access_keys, add_lab, ask
from tests.support.notices import KeptNotices

# `broker.grants.grant_request` names the use case too: take the module itself.
granting = importlib.import_module("broker.grants._write")

_REASON = f"beneficiary `{DEMO_GRANTEE}` was disabled or removed while the access was being"


class _ActingWhileGranting:
    """The real provisioner, with `meanwhile` run while it grants: after the policies
    decided and the beneficiary was read, before the grant is written."""

    def __init__(self, inner: Provisioner, meanwhile: Callable[[], object]) -> None:
        self.inner = inner
        self.meanwhile = meanwhile

    def graph_only_grant(
        self, request: Node, *, integration_seen: Node | None = None
    ) -> Mapping[str, str] | None:
        details = grant_in_graph_only(self.inner, request, integration_seen=integration_seen)
        if details is not None:
            self.meanwhile()
        return details

    def grant(self, request: Node) -> dict[str, str]:
        self.meanwhile()
        return self.inner.grant(request)

    def revoke(self, request: Node) -> None:
        self.inner.revoke(request)


@pytest.fixture
def lab(wired: Services) -> Services:
    """The graph-only `lab` integration, whose auto-approved grants are one write."""
    add_lab(wired)
    return wired


def _the_request(services: Services) -> Node:
    found = services.store.find_nodes("AccessRequest", equals={"resource": RESOURCE})
    assert len(found) == 1, found
    return found[0]


def _assert_failed_without_access(services: Services) -> None:
    request = _the_request(services)
    assert request.props["state"] == RequestState.FAILED.value, "never GRANTED"
    assert str(request.props["reason"]).startswith(_REASON)
    assert access_keys(services) == [], "no HAS_ACCESS edge for the disabled user"
    assert services.store.get_node("Grant", request.key) is None
    history = [e.kind for e in audit.read_events(services.store) if e.subject == request.key]
    assert history == ["request.created", "request.approved", "grant.started", "grant.failed"]


def test_a_user_disabled_while_an_auto_approved_request_is_granted_gets_no_access(
    lab: Services,
) -> None:
    """An admin disables the user between the decision and the one write: the write's
    compare-and-set on the beneficiary loses, and the request ends FAILED with the reason,
    as an approved one does; the requester is told after the approval."""
    told = KeptNotices()
    lab.notifier = told
    lab.provisioner = _ActingWhileGranting(
        lab.provisioner,
        lambda: disable_user(lab, actor=DEMO_ADMIN, user=DEMO_GRANTEE, reason="left"),
    )
    with pytest.raises(GrantFailed, match=f"beneficiary `{DEMO_GRANTEE}` was disabled"):
        ask(lab)
    _assert_failed_without_access(lab)
    key = _the_request(lab).key
    kinds = [n.kind for n in told.notices if n.request == key]
    assert kinds == [NoticeKind.REQUEST_CREATED, NoticeKind.APPROVED, NoticeKind.FAILED]


def test_a_user_disabled_and_enabled_again_meanwhile_is_granted_after_a_fresh_read(
    lab: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compare-and-set is on the user as read when asked: any change to `disabled`
    makes the write lose once, then the user is read anew and, enabled, granted."""
    reads: list[NodeRef] = []
    real = granting._entitled

    def counted(store: GraphStore, identity: NodeRef) -> SetProps | None:
        reads.append(identity)
        return real(store, identity)

    monkeypatch.setattr(granting, "_entitled", counted)
    lab.provisioner = _ActingWhileGranting(
        lab.provisioner,
        lambda: (
            lab.store.write([SetProps("User", DEMO_GRANTEE, {"disabled": True})]),
            lab.store.write([SetProps("User", DEMO_GRANTEE, {"disabled": False})]),
        ),
    )
    granted = ask(lab)
    assert granted.props["state"] == RequestState.GRANTED.value
    assert access_keys(lab) == [granted.key]
    assert reads == [NodeRef("User", DEMO_GRANTEE)], "read again once, after the lost write"


def test_an_enabled_user_is_auto_granted_without_reading_them_again(
    lab: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[NodeRef] = []
    monkeypatch.setattr(granting, "_entitled", lambda _store, who: reads.append(who))
    granted = ask(lab)
    assert granted.props["state"] == RequestState.GRANTED.value
    assert access_keys(lab) == [granted.key]
    assert granted.props["expires_at"] == granted.props["granted_at"] + 30 * 60
    assert reads == [], "the user as read when asked is compared-and-set"

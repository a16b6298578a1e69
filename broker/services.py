"""What every use case needs: the graph, the policy engine, a clock, the provisioner and the
notifier."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from broker.outbound import Outbound
from graph import GraphStore, Node
from policies.api_authz import ApiAuthorizer
from policies.engine import PolicyEngine

if TYPE_CHECKING:
    from broker.notify import Notice

Clock = Callable[[], float]


class Provisioner(Protocol):
    """Gives and takes real access in an integration; `revoke` must be idempotent."""

    def grant(self, request: Node) -> dict[str, str]: ...

    def revoke(self, request: Node) -> None: ...


class GrantDeferred(Exception):
    """Raised by `Provisioner.grant` when a person finishes the grant later (a manual task):
    the request stays GRANTING until `broker.grants.complete_task` records it done."""

    def __init__(self, task: str) -> None:
        super().__init__(f"task `{task}` grants the access")
        self.task = task


class GraphOnlyProvisioner:
    """The access is the HAS_ACCESS edge itself: the default for integrations Keyturn does
    not drive (yet), e.g. `postgresql`."""

    def grant(self, request: Node) -> dict[str, str]:
        return {}

    def revoke(self, request: Node) -> None:
        return None


def grant_in_graph_only(
    provisioner: Provisioner, request: Node, *, integration_seen: Node | None = None
) -> Mapping[str, str] | None:
    """The access details of `request`, granted now, when granting it touches nothing
    outside the graph, so the grant may be written together with the approval (the
    one-write fast path); None otherwise, and then nothing was granted.

    `integration_seen`: the request's integration as the use case read it already (with
    its resource), which spares reading it again; None reads it."""
    if type(provisioner) is GraphOnlyProvisioner:
        return provisioner.grant(request)
    graph_only_grant = getattr(provisioner, "graph_only_grant", None)
    if not callable(graph_only_grant):
        return None
    details: Mapping[str, str] | None = graph_only_grant(request, integration_seen=integration_seen)
    return details


class NotificationSink(Protocol):
    """Takes notices after state changes; `publish` returns at once (delivery is queued)."""

    def publish(self, notice: Notice) -> None: ...

    def close(self) -> None: ...


class SilentNotifier:
    """Tells no one: the default until a server configures a Notifier."""

    def publish(self, notice: Notice) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass
class Services:
    store: GraphStore
    engine: PolicyEngine
    clock: Clock = time.time
    provisioner: Provisioner = field(default_factory=GraphOnlyProvisioner)
    notifier: NotificationSink = field(default_factory=SilentNotifier)
    authorizer: ApiAuthorizer = field(default_factory=ApiAuthorizer)
    # Which webhook targets may be called; the server reads KEYTURN_ALLOW_PRIVATE_WEBHOOKS.
    outbound: Outbound = field(default_factory=Outbound)

"""What every use case needs: the graph, the policy engine, a clock, the provisioner and the
notifier."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

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


class GraphOnlyProvisioner:
    """The access is the HAS_ACCESS edge itself (real integrations plug in here later)."""

    def grant(self, request: Node) -> dict[str, str]:
        return {}

    def revoke(self, request: Node) -> None:
        return None


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

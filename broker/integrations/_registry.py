"""Picks the provisioner for a request by the `type` of the integration its target is in."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from broker._backoff import RetryPolicy
from broker._lookup import target_of
from broker.integrations._config import MANUAL, WEBHOOK, read_config
from broker.integrations._kinds import kind_of
from broker.integrations._manual import ManualIntegration
from broker.integrations._webhook import WEBHOOK_RETRY, IntegrationFailed, WebhookIntegration
from broker.notify import Notice
from broker.outbound import Outbound
from broker.services import Clock, GraphOnlyProvisioner, Provisioner, Services
from graph import GraphStore, Node, UnknownNode


def drives(integration: Node) -> bool:
    """Whether Keyturn reaches a real system for `integration`: a manual or webhook one, or
    a database one saved with its settings. Any other is recorded in the graph only (as
    the demo's settings-less `postgresql` integrations are)."""
    return integration.props.get("type") in (MANUAL, WEBHOOK) or kind_of(integration) is not None


class IntegrationProvisioner:
    """The Services provisioner once integrations are configured: `manual`, `webhook` and
    database integrations (broker.integrations._kinds) get their own; every other type the
    graph-only one.

    The integration is read at each call, so a saved change applies at once, in every
    process sharing the graph.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        clock: Clock = time.time,
        retry: RetryPolicy = WEBHOOK_RETRY,
        timeout: float = 10.0,
        publish: Callable[[Notice], None] | None = None,
        outbound: Callable[[], Outbound] = Outbound,
    ) -> None:
        """`outbound` gives the rules for webhook targets, read at each call like the
        clock (the default: public targets only)."""
        self._store = store
        self._clock = clock
        self._publish = publish
        self._retry = retry
        self._timeout = timeout
        self._outbound = outbound
        self._graph_only = GraphOnlyProvisioner()

    @classmethod
    def for_services(cls, services: Services, **options: Any) -> IntegrationProvisioner:
        """The provisioner for `services`: its graph, and its clock, notifier and outbound
        rules as they are at each call (a server may swap the notifier after wiring)."""
        return cls(
            services.store,
            clock=lambda: services.clock(),
            publish=lambda notice: services.notifier.publish(notice),
            outbound=lambda: services.outbound,
            **options,
        )

    def grant(self, request: Node) -> dict[str, str]:
        return self.for_request(request).grant(request)

    def revoke(self, request: Node) -> None:
        self.for_request(request).revoke(request)

    def extend(self, request: Node) -> None:
        """Move the expiry the target keeps itself (a PostgreSQL login's VALID UNTIL) to
        `request`'s new `expires_at`; nothing for a provisioner that keeps none."""
        extend = getattr(self.for_request(request), "extend", None)
        if callable(extend):
            extend(request)

    def graph_only_grant(
        self, request: Node, *, integration_seen: Node | None = None
    ) -> dict[str, str] | None:
        """`request` granted by the graph-only provisioner when its integration touches
        nothing outside the graph (the integration is read once, for both, or not at all
        when `integration_seen` is it); None when it does, and then nothing was granted."""
        try:
            if self.integration_of(request, seen=integration_seen) is not None:
                return None
        except IntegrationFailed:
            return None
        return self._graph_only.grant(request)

    def for_request(self, request: Node) -> Provisioner:
        integration = self.integration_of(request)
        if integration is None:
            return self._graph_only
        kind = str(integration.props.get("type", ""))
        config = read_config(integration)
        if kind == MANUAL:
            return ManualIntegration(
                self._store,
                integration=integration.key,
                fulfillers=[str(u) for u in config.get("fulfillers") or []],
                clock=self._clock,
                publish=self._publish,
            )
        target = kind_of(integration)
        if target is not None:
            return target.provisioner(integration.key, config, self._clock, self._retry)
        return WebhookIntegration(
            integration=integration.key,
            url=str(config.get("url", "")),
            secret=str(config.get("secret", "")),
            retry=self._retry,
            timeout=self._timeout,
            outbound=self._outbound(),
        )

    def integration_of(self, request: Node, *, seen: Node | None = None) -> Node | None:
        """The Integration `request` goes through when Keyturn drives it (`drives`); None
        for any other.

        A request records its integration when made, so a grant or revoke reads no
        ancestors; for an older request whose target is gone, raise IntegrationFailed: its
        integration is unknown then, and silently skipping a real revoke would leave access
        behind."""
        recorded = request.props.get("integration")
        target = target_of(self._store, request)
        key: str | None = str(recorded) if recorded else target.key
        if not recorded and target.kind != "Integration":
            try:
                key = self._store.resource_context(target).integration
            except UnknownNode:
                raise IntegrationFailed(
                    f"resource `{target.key}` of request `{request.key}` no longer exists, so "
                    "its integration is unknown: revoke the access by hand, then mark it done"
                ) from None
        if seen is not None and seen.kind == "Integration" and seen.key == key:
            node: Node | None = seen  # read in this use case already, with its resource
        else:
            node = self._store.get_node("Integration", key) if key else None
        if node is None or not drives(node):
            return None
        return node

"""Periodic re-discovery: each database integration whose `sync_every_minutes` has passed
since its last sync is discovered again (the scheduler's housekeeping calls this)."""

from __future__ import annotations

import logging

from broker.integrations._config import read_config
from broker.integrations._kinds import KINDS, kind_of
from broker.integrations.sync_integration import discover_integration
from broker.services import Services

_log = logging.getLogger(__name__)


def sync_due_integrations(services: Services) -> int:
    """Discover every integration that is due; return how many ran. One target that fails
    is recorded on its integration (status `failed`) and the others still run."""
    now, ran = services.clock(), 0
    found = services.store.find_nodes("Integration")
    for node in (n for n in found if n.props.get("type") in KINDS):
        if kind_of(node) is None:
            continue
        minutes = int(read_config(node).get("sync_every_minutes") or 0)
        last = float(node.props.get("last_sync_at") or 0)
        if minutes <= 0 or now < last + minutes * 60:
            continue
        ran += 1
        try:
            discover_integration(services, node)
        except Exception as failed:
            _log.warning("discovery of integration %s failed: %s", node.key, failed)
    return ran

"""An admin checks an integration against its target: can Keyturn reach it, sign in, and
do what grants need (make logins, end sessions, grant what each permission maps to)?"""

from __future__ import annotations

from broker.integrations._config import read_config
from broker.integrations._kinds import kind_of
from broker.integrations._target_data import IntegrationCheck
from broker.integrations.read_integrations import get_integration
from broker.services import Services


def check_integration(services: Services, *, actor: str, key: str) -> IntegrationCheck:
    """Connect as the integration's admin and report; a target that cannot be reached is
    a report that says why (not an error), so the admin sees it next to the settings."""
    node = get_integration(services, actor=actor, key=key)
    kind = kind_of(node)
    if kind is None:
        return IntegrationCheck(
            ok=True, message=f"integration `{key}` reaches no server Keyturn can check"
        )
    return kind.check_target(key, read_config(node))

"""`testIntegration` for PostgreSQL: sign in as the admin and see what grants will need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broker.integrations._postgresql import PostgresTarget
from broker.integrations._target_data import IntegrationCheck
from broker.integrations._webhook import IntegrationFailed

_ABILITIES = """
SELECT version(), r.rolsuper OR r.rolcreaterole,
       r.rolsuper OR pg_has_role(r.oid, 'pg_signal_backend', 'MEMBER')
FROM pg_roles r WHERE r.rolname = current_user
"""


def check_postgresql_target(key: str, config: Mapping[str, Any]) -> IntegrationCheck:
    target = PostgresTarget(key, config)
    roles = sorted({str(r) for r in (config.get("roles") or {}).values()})
    try:
        with target.connect() as admin:
            row = admin.execute(_ABILITIES).fetchone()
            found = admin.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [roles])
            existing = {str(r[0]) for r in found.fetchall()}
    except IntegrationFailed as failed:
        return IntegrationCheck(ok=False, message=str(failed))
    version, creates, signals = row if row else ("", False, False)
    missing = sorted(set(roles) - existing)
    problems = [
        *([] if creates else ["the admin may not create logins: give it CREATEROLE"]),
        *([] if signals else ["the admin may not end sessions: GRANT pg_signal_backend to it"]),
        *[
            f"mapped role `{role}` does not exist: create it or change the mapping"
            for role in missing
        ],
    ]
    return IntegrationCheck(
        ok=not problems,
        message="; ".join(problems) or f"connected to `{target.host}:{target.port}` as the admin",
        server=str(version).split(" on ")[0],
        can_create_logins=bool(creates),
        can_end_sessions=bool(signals),
        missing_roles=missing,
    )

"""GraphQL types of an integration's check and discovery reports."""

from __future__ import annotations

import strawberry

from broker import DiscoveryReport, IntegrationCheck


@strawberry.type(description="What `testIntegration` found on the target.")
class IntegrationTest:
    ok: bool
    message: str
    server: str
    can_create_logins: bool
    can_end_sessions: bool
    missing_roles: list[str]

    @classmethod
    def of(cls, check: IntegrationCheck) -> IntegrationTest:
        return cls(
            ok=check.ok,
            message=check.message,
            server=check.server,
            can_create_logins=check.can_create_logins,
            can_end_sessions=check.can_end_sessions,
            missing_roles=list(check.missing_roles),
        )


@strawberry.type(description="What one discovery run put into the access graph.")
class IntegrationSync:
    integration: str
    databases: int
    schemas: int
    standing: int = strawberry.field(description="logins matched to users: standing access")
    unmatched_logins: list[str]
    drift_removed: list[str] = strawberry.field(
        description="logins Keyturn made whose grant had ended, dropped now"
    )
    removed: int = strawberry.field(description="graph items the target no longer has")

    @classmethod
    def of(cls, report: DiscoveryReport) -> IntegrationSync:
        return cls(
            integration=report.integration,
            databases=report.databases,
            schemas=report.schemas,
            standing=report.standing,
            unmatched_logins=list(report.unmatched),
            drift_removed=list(report.drift_removed),
            removed=report.removed,
        )

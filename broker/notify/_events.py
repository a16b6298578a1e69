"""What the broker tells people and other systems about: one notice per state change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class NoticeKind(StrEnum):
    """The events webhooks subscribe to (and emails are written for)."""

    REQUEST_CREATED = "RequestCreated"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    GRANTED = "Granted"
    EXPIRED = "Expired"
    REVOKED = "Revoked"
    FAILED = "Failed"
    EXTENDED = "Extended"
    EXPIRING_SOON = "ExpiringSoon"
    TASK_OPENED = "TaskOpened"  # a manual integration's fulfillers have work to do
    CANCELLED = "Cancelled"
    TIMED_OUT = "TimedOut"
    # About a person, not a request: mailed to them only, never to a webhook (secret link).
    INVITED = "Invited"
    PASSWORD_RESET = "PasswordReset"  # noqa: S105 - an event name, not a password
    AUDIT_REPORT = "AuditReport"  # the periodic summary mailed to auditors
    LINK_CODE = "LinkCode"  # an access link's one-time code, for the email it proves


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A request changed state; `approvers` is filled for a request awaiting review (or no
    longer awaiting it: cancelled, timed out), `admins` when administrators must act (a
    revoke that keeps failing). `beneficiary` is set when the access is for someone other
    than the requester: notices about the access itself go to them."""

    kind: NoticeKind
    request: str
    requester: str
    resource: str
    beneficiary: str = ""
    state: str
    at: float
    actor: str = ""
    approvers: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()  # TASK_OPENED: who may mark the task done
    details: Mapping[str, Any] = field(default_factory=dict)
    # A secret Keyturn path the mail links to (an invitation's); never in a payload.
    secret_path: str = ""

    def payload(self) -> dict[str, Any]:
        """The JSON body a webhook receives (approvers' addresses are not sent out)."""
        return {
            "event": self.kind.value,
            "at": self.at,
            "actor": self.actor,
            "request": {
                "id": self.request,
                "requester": self.requester,
                "beneficiary": self.beneficiary or self.requester,
                "resource": self.resource,
                "state": self.state,
            },
            "details": dict(self.details),
        }

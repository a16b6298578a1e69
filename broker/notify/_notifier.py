"""The Notifier: turns notices into emails and webhook deliveries, sent by a worker."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import partial
from pathlib import Path

from broker._backoff import RetryPolicy
from broker.errors import InvalidInput
from broker.notify._compose import plain_text_message
from broker.notify._events import Notice, NoticeKind
from broker.notify._mail import Mailer, mailer_for
from broker.notify._render import free_text, name
from broker.notify._stored_reads import StoredWebhookReads
from broker.notify._webhook import Webhook, deliver
from broker.notify._worker import DeliveryWorker, Job
from broker.outbound import PUBLIC_ONLY, Outbound

_log = logging.getLogger(__name__)

_TO_REQUESTER = {
    NoticeKind.APPROVED: "was approved",
    NoticeKind.REJECTED: "was rejected",
    NoticeKind.GRANTED: "is granted",
    NoticeKind.EXPIRED: "has expired",
    NoticeKind.REVOKED: "was revoked",
    NoticeKind.FAILED: "could not be granted",
    NoticeKind.EXTENDED: "was extended",
    NoticeKind.EXPIRING_SOON: "expires soon",
    NoticeKind.TIMED_OUT: "timed out undecided",
    NoticeKind.CANCELLED: "was cancelled",
}

# Notices that carry a secret link: mailed to their one person, never sent to a webhook.
MAIL_ONLY = frozenset(
    {NoticeKind.INVITED, NoticeKind.PASSWORD_RESET, NoticeKind.LINK_CODE, NoticeKind.AUDIT_REPORT}
)

# Notices about the access itself: they reach whoever holds it.
_TO_BENEFICIARY = frozenset(
    {
        NoticeKind.GRANTED,
        NoticeKind.EXPIRING_SOON,
        NoticeKind.EXPIRED,
        NoticeKind.REVOKED,
        NoticeKind.EXTENDED,
    }
)


class Notifier:
    """Emails the requester and approvers and calls webhooks, off the request path."""

    def __init__(
        self,
        *,
        mailer: Mailer,
        webhooks: Sequence[Webhook] = (),
        public_url: str = "http://127.0.0.1:8000",
        sender: str = "keyturn@localhost",
        retry: RetryPolicy | None = None,
        capacity: int = 1000,
        webhook_timeout: float = 10.0,
        outbound: Outbound = PUBLIC_ONLY,
        stored_webhooks: Callable[[], Sequence[Webhook]] = tuple,
    ) -> None:
        self._mailer = mailer
        self._outbound = outbound
        self._webhooks = tuple(webhooks)
        # Those admins keep in the graph: read by the worker after each notice is published
        # (one read serving all notices published before it), never only at start.
        self._stored_webhooks = StoredWebhookReads(stored_webhooks)
        self._public_url = public_url.rstrip("/")
        self._sender = sender
        self._timeout = webhook_timeout
        self._worker = DeliveryWorker(retry=retry, capacity=capacity)

    def link(self, request: str) -> str:
        return f"{self._public_url}/requests/{request}"

    def publish(self, notice: Notice) -> None:
        """Queue the notice: its mails are composed by the delivery worker, not on the
        request path of the use case that published it."""
        number = self._stored_webhooks.publish()
        self._worker.submit(
            Job(label=f"{notice.kind.value} notice", run=partial(self._fan_out, notice, number))
        )

    def _fan_out(self, notice: Notice, number: int) -> None:
        # Composed whole before anything is queued: a failure retries the notice, never
        # half of its deliveries.
        messages = self.messages(notice)
        for message in messages:
            self._worker.submit(
                Job(
                    label=f"{notice.kind.value} mail to {message['To']}",
                    run=partial(self._mailer.send, message),
                )
            )
        payload = notice.payload()
        hooks = (
            ()
            if notice.kind in MAIL_ONLY
            else (*self._webhooks, *self._stored_webhooks.for_notice(number))
        )
        for hook in hooks:
            if hook.wants(notice.kind):
                self._worker.submit(
                    Job(
                        label=f"{notice.kind.value} webhook to {hook.where}",
                        run=partial(
                            deliver,
                            hook,
                            notice.kind,
                            payload,
                            timeout=self._timeout,
                            outbound=self._outbound,
                        ),
                    )
                )

    def messages(self, notice: Notice) -> list[EmailMessage]:
        """The emails a notice causes: approvers for a new request (or one that no longer
        needs them), fulfillers for a task, admins for a failing revoke, else the outcome
        for the requester or the beneficiary."""
        if notice.kind is NoticeKind.REQUEST_CREATED:
            requester, resource = name(notice.requester), name(notice.resource)
            # Keyturn's link comes first; what the requester wrote follows, quoted on one
            # line with its links defanged, so it can never pose as the real link.
            justification = free_text(notice.details.get("justification") or "") or "-"
            who = _external_label(notice)
            return [
                self._message(
                    to=approver,
                    subject=f"Review access request: {requester}{who} -> {resource}",
                    body=(
                        f"{requester}{who} asks for access to {resource}.\n\n"
                        f"Approve or reject it: {self.link(notice.request)}\n\n"
                        f"Justification, as {requester} wrote it:\n"
                        f"  > {justification}\n"
                    ),
                )
                for approver in notice.approvers
            ]
        if notice.kind is NoticeKind.TASK_OPENED:
            return [self._task_message(notice, to) for to in notice.assignees]
        if notice.kind is NoticeKind.INVITED:
            return [self._invitation(notice)]
        if notice.kind is NoticeKind.PASSWORD_RESET:
            return [self._password_reset(notice)]
        if notice.kind is NoticeKind.LINK_CODE:
            return [self._link_code(notice)]
        if notice.kind is NoticeKind.AUDIT_REPORT:
            return [self._audit_report(notice, to) for to in notice.assignees]
        if notice.admins:
            holder = name(notice.beneficiary or notice.requester)
            resource = name(notice.resource)
            return [
                self._message(
                    to=admin,
                    subject=f"Action needed: revoking access to {resource} fails",
                    body=(
                        f"Keyturn could not revoke {holder}'s access to "
                        f"{resource} (request {name(notice.request)}) after "
                        f"{name(notice.details.get('failures'))} attempts and keeps retrying.\n"
                        f"Check the integration, then the grant: {self.link(notice.request)}\n\n"
                        f"Last error: {free_text(notice.details.get('error'))}\n"
                    ),
                )
                for admin in notice.admins
            ]
        mails = [self._no_longer_needed(notice, to) for to in notice.approvers]
        return mails + self._outcome_messages(notice)

    def _outcome_messages(self, notice: Notice) -> list[EmailMessage]:
        """The outcome mails: notices about the access itself go to its beneficiary, and
        the requester (when someone else) hears that it was granted as the one who asked.
        A cancel reaches the requester only when someone else cancelled."""
        what = _TO_REQUESTER.get(notice.kind)
        if what is None:
            return []
        if notice.kind is NoticeKind.CANCELLED and notice.actor == notice.requester:
            return []
        resource, requester = name(notice.resource), name(notice.requester)
        beneficiary = name(notice.beneficiary)
        subject = f"Access to {resource} {what}"
        # After Keyturn's link: the details (a reason someone wrote among them), one line each.
        details = [
            f"  {k.replace('_', ' ').capitalize()}: {free_text(v)}"
            for k, v in notice.details.items()
            if v
        ]
        link = f"Details: {self.link(notice.request)}"
        if not notice.beneficiary or notice.kind not in _TO_BENEFICIARY:
            lines = [f"Your request for {resource} {what}.", link, *details]
            if notice.beneficiary:
                lines.insert(1, f"You asked for it for {beneficiary}.")
            return [self._message(to=notice.requester, subject=subject, body=_text(lines))]
        theirs = [
            f"Your access to {resource} {what}.",
            f"{requester} asked for it for you.",
            link,
            *details,
        ]
        mails = [self._message(to=notice.beneficiary, subject=subject, body=_text(theirs))]
        if notice.kind is NoticeKind.GRANTED:
            asked = [
                f"Your request for {resource} {what}: {beneficiary} has it now.",
                link,
                *details,
            ]
            mails.append(self._message(to=notice.requester, subject=subject, body=_text(asked)))
        return mails

    def _no_longer_needed(self, notice: Notice, to: str) -> EmailMessage:
        """Tell an approver a request they were asked to review ended without them."""
        why = (
            f"was cancelled by {name(notice.actor)}"
            if notice.kind is NoticeKind.CANCELLED
            else "timed out undecided"
        )
        requester, resource = name(notice.requester), name(notice.resource)
        return self._message(
            to=to,
            subject=f"No review needed: {requester} -> {resource}",
            body=(
                f"{requester}'s request for {resource} {why}, so it no longer "
                f"needs your review.\nDetails: {self.link(notice.request)}\n"
            ),
        )

    def _task_message(self, notice: Notice, to: str) -> EmailMessage:
        action = "grant" if notice.details.get("action", "grant") == "grant" else "revoke"
        doing = "Give" if action == "grant" else "Take away"
        beneficiary = name(notice.details.get("beneficiary") or notice.requester)
        resource = name(notice.resource)
        return self._message(
            to=to,
            subject=f"Task: {action} access to {resource} for {beneficiary}",
            body=(
                f"{doing} {beneficiary}'s access to {resource} by hand "
                f"(permissions: {name(notice.details.get('permissions') or '-')}), then mark "
                f"task {name(notice.details.get('task'))} done: {self.link(notice.request)}\n"
            ),
        )

    def _invitation(self, notice: Notice) -> EmailMessage:
        """The invitation: Keyturn's link first; the names the admin typed after it."""
        expires = datetime.fromtimestamp(float(notice.details.get("expires_at", 0)), UTC)
        who = name(notice.details.get("full_name") or notice.requester)
        return self._message(
            to=notice.requester,
            subject="You are invited to Keyturn",
            body=(
                f"Set your password and sign in: {self._public_url}{notice.secret_path}\n\n"
                f"The link works once, until {expires:%Y-%m-%d %H:%M} UTC.\n"
                f"Invited: {who}, as {name(notice.details.get('role'))}, "
                f"by {name(notice.actor)}.\n"
            ),
        )

    def _password_reset(self, notice: Notice) -> EmailMessage:
        """The reset link, first and alone: nothing anyone typed is in this mail."""
        expires = datetime.fromtimestamp(float(notice.details.get("expires_at", 0)), UTC)
        return self._message(
            to=notice.requester,
            subject="Reset your Keyturn password",
            body=(
                f"Choose a new password: {self._public_url}{notice.secret_path}\n\n"
                f"The link works once, until {expires:%Y-%m-%d %H:%M} UTC.\n"
                "If you did not ask for it, ignore this mail: your password stays as it is.\n"
            ),
        )

    def _link_code(self, notice: Notice) -> EmailMessage:
        """An access link's code, first and alone on its line; the flow's name after it."""
        expires = datetime.fromtimestamp(float(notice.details.get("expires_at", 0)), UTC)
        return self._message(
            to=notice.requester,
            subject="Your Keyturn access link code",
            body=(
                f"Your code: {notice.details.get('code')}\n\n"
                f"It works once, until {expires:%Y-%m-%d %H:%M} UTC, on the access link "
                f"for {name(notice.details.get('flow'))}.\n"
                "If you did not ask for it, ignore this mail.\n"
            ),
        )

    def _audit_report(self, notice: Notice, to: str) -> EmailMessage:
        """The periodic summary for an auditor: counts by event kind, the chain's status,
        and the link to the CSV report of the same period."""
        since, until = str(notice.details["from"]), str(notice.details["to"])
        counts = notice.details.get("counts") or {}
        lines = [f"Keyturn's activity from {since} to {until} (UTC).", "", "Events by kind:"]
        lines += [f"  {kind}: {count}" for kind, count in sorted(counts.items())] or ["  none"]
        lines += [
            "",
            f"Activity log chain: {notice.details.get('chain')}",
            f"CSV report: {self._public_url}/audit/report.csv?from={since}&to={until}",
        ]
        return self._message(
            to=to, subject=f"Keyturn audit report, {since[:10]} to {until[:10]}", body=_text(lines)
        )

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait for every pending delivery (tests, orderly shutdown)."""
        return self._worker.drain(timeout)

    def close(self) -> None:
        self._worker.close()

    def _message(self, *, to: str, subject: str, body: str) -> EmailMessage:
        return plain_text_message(sender=self._sender, to=to, subject=subject, body=body)


@dataclass(frozen=True, kw_only=True)
class NotifyConfig:
    """Notification settings from the environment, with safe defaults."""

    smtp_url: str | None = None
    outbox: str = "./var/outbox"
    public_url: str = "http://127.0.0.1:8000"
    sender: str = "keyturn@localhost"
    webhooks: tuple[Webhook, ...] = ()
    outbound: Outbound = PUBLIC_ONLY

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifyConfig:
        """KEYTURN_SMTP_URL, KEYTURN_OUTBOX, KEYTURN_PUBLIC_URL, KEYTURN_MAIL_FROM,
        KEYTURN_WEBHOOKS (a JSON list of `{"url", "secret", "events": [...]}`) and
        KEYTURN_ALLOW_PRIVATE_WEBHOOKS; each webhook's URL must be an allowed target."""
        outbound = Outbound.from_env(env)
        webhooks = _webhooks(env.get("KEYTURN_WEBHOOKS") or "[]")
        for hook in webhooks:
            outbound.check(hook.url, what=f"KEYTURN_WEBHOOKS url `{hook.where}`")
        return cls(
            smtp_url=env.get("KEYTURN_SMTP_URL") or None,
            outbox=env.get("KEYTURN_OUTBOX") or cls.outbox,
            public_url=env.get("KEYTURN_PUBLIC_URL") or cls.public_url,
            sender=env.get("KEYTURN_MAIL_FROM") or cls.sender,
            webhooks=webhooks,
            outbound=outbound,
        )

    def notifier(
        self,
        *,
        retry: RetryPolicy | None = None,
        stored_webhooks: Callable[[], Sequence[Webhook]] = tuple,
    ) -> Notifier:
        mailer = mailer_for(self.smtp_url, outbox=Path(self.outbox))
        _log.info("mail goes to %s", mailer.describe())
        return Notifier(
            mailer=mailer,
            webhooks=self.webhooks,
            public_url=self.public_url,
            sender=self.sender,
            retry=retry,
            outbound=self.outbound,
            stored_webhooks=stored_webhooks,
        )


def _external_label(notice: Notice) -> str:
    """How a mail names a requester who came through an access link: external, and which."""
    link = notice.details.get("access_link")
    return f" (external requester, through access link {name(link)})" if link else ""


def _text(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


def _webhooks(text: str) -> tuple[Webhook, ...]:
    try:
        items = json.loads(text)
    except ValueError:
        raise InvalidInput("KEYTURN_WEBHOOKS is not JSON: give a list of objects") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("KEYTURN_WEBHOOKS must be a JSON list of objects")
    return tuple(Webhook.from_config(item) for item in items)

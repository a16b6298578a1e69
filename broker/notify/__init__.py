"""Notifications: email (SMTP or an outbox folder) and signed webhooks, sent off the request
path by a background worker. Use cases call `announce`; it never fails them."""

from broker._backoff import RetryPolicy
from broker.notify._announce import announce
from broker.notify._events import Notice, NoticeKind
from broker.notify._mail import Mailer, OutboxMailer, SmtpMailer, mailer_for
from broker.notify._notifier import MAIL_ONLY, Notifier, NotifyConfig
from broker.notify._webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Webhook,
    WebhookFailed,
    sign,
    signature_is_valid,
)
from broker.notify._worker import DeliveryWorker, Job

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "MAIL_ONLY",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "DeliveryWorker",
    "Job",
    "Mailer",
    "Notice",
    "NoticeKind",
    "Notifier",
    "NotifyConfig",
    "OutboxMailer",
    "RetryPolicy",
    "SmtpMailer",
    "Webhook",
    "WebhookFailed",
    "announce",
    "mailer_for",
    "sign",
    "signature_is_valid",
]

"""The real SMTP server, for the invitation mails."""

from tests.support.smtp import smtp

__all__ = ["smtp"]

"""A notifier that keeps what it is told, for tests to read (in the order it was told)."""

from __future__ import annotations

from broker.notify import Notice, NoticeKind


class KeptNotices:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def publish(self, notice: Notice) -> None:
        self.notices.append(notice)

    def close(self) -> None:
        return None

    def kinds(self) -> list[NoticeKind]:
        return [notice.kind for notice in self.notices]

    def about(self, request: str) -> list[Notice]:
        return [notice for notice in self.notices if notice.request == request]

    def requests_told(self, kind: NoticeKind) -> list[str]:
        """The requests a notice of `kind` was about, in the order told."""
        return [notice.request for notice in self.notices if notice.kind is kind]

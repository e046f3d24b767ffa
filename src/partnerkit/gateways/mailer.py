"""Mailers: an in-memory one that tests read, and one that fails on demand to exercise retry.

Hosts plug in their own by implementing `partnerkit.ports.Mailer` (a `send(email)` method).
"""

from __future__ import annotations

import threading

from partnerkit.events import Email

__all__ = ["FakeMailer", "InMemoryMailer"]


class InMemoryMailer:
    """Keeps every email it is handed; `sent` is what a test asserts on."""

    def __init__(self) -> None:
        self._sent: list[Email] = []
        self._lock = threading.Lock()

    def send(self, email: Email) -> None:
        with self._lock:
            self._sent.append(email)

    @property
    def sent(self) -> list[Email]:
        with self._lock:
            return list(self._sent)

    def to(self, address: str) -> list[Email]:
        return [e for e in self.sent if e.to == address]

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()


class FakeMailer(InMemoryMailer):
    """An InMemoryMailer that raises for its next `failures` sends (a flaky SMTP server)."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.failures = failures

    def send(self, email: Email) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("simulated mail server failure")
        super().send(email)

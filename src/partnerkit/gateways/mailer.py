"""Mailers: an in-memory one that tests read, and one that fails on demand to exercise retry.

Hosts plug in their own by implementing `partnerkit.ports.Mailer` (a `send(email)` method).
"""

from __future__ import annotations

import threading

from partnerkit.events import Email

__all__ = ["FakeMailer", "InMemoryMailer"]


class InMemoryMailer:
    """A mailer that keeps every email it is handed, for tests: `sent` is what a test asserts on.

    A kit on the memory backend gets one when `connect()` is given no mailer (`kit.mailer`). It
    holds the emails as delivered, links in them included.
    """

    def __init__(self) -> None:
        self._sent: list[Email] = []
        self._lock = threading.Lock()

    def send(self, email: Email) -> None:
        """Keep the email.

        Args:
            email: The email the outbox delivers.

        Raises nothing.
        """
        with self._lock:
            self._sent.append(email)

    @property
    def sent(self) -> list[Email]:
        """Every email kept so far, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    def to(self, address: str) -> list[Email]:
        """The emails kept for one address.

        Args:
            address: The recipient, as the email's `to`.

        Returns:
            Those emails, oldest first.

        Raises nothing.
        """
        return [e for e in self.sent if e.to == address]

    def clear(self) -> None:
        """Forget every email kept so far.

        Raises nothing.
        """
        with self._lock:
            self._sent.clear()


class FakeMailer(InMemoryMailer):
    """An `InMemoryMailer` that fails its next `failures` sends, like a flaky mail server.

    For testing retries and dead letters: each failing send raises `ConnectionError`, which the
    outbox records and retries by its `RetryPolicy`.

    Args:
        failures: How many sends fail before they succeed again; settable later.
    """

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.failures = failures

    def send(self, email: Email) -> None:
        """Keep the email, unless a failure is still due.

        Args:
            email: The email the outbox delivers.

        Raises:
            ConnectionError: A simulated mail-server failure, while `failures` is above zero.
        """
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("simulated mail server failure")
        super().send(email)

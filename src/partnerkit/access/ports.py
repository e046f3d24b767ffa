"""What access needs from storage: the audit trail, append-only, read by account, partner,
actor, kind and time. The kernel's unit of work carries it (`UnitOfWork.audit`), so every
package records its decisions in its own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from partnerkit.access.audit import AuditEntry, AuditKind

__all__ = ["AuditEntries"]


class AuditEntries(Protocol):
    """Append and read; there is no update and no delete."""

    def add(self, entry: AuditEntry) -> None:
        """Append an entry (an entry's id is never reused: IntegrityViolationError)."""

    def query(
        self,
        *,
        customer_id: str | None = None,
        partner_id: str | None = None,
        by: str | None = None,
        kind: AuditKind | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """The entries matching every filter given, with start <= at < end, oldest first (then
        by id), at most `limit`. Each filter is served by an index of its own, so a query's cost
        follows the entries it matches, not the size of the trail."""

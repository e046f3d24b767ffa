"""Commission plans and ledger entries: the values `kit.commissions` (in `commissions`) books
and reports, and that the storage adapters store."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import attrs

from partnerkit.money import Money

__all__ = ["CommissionEntry", "CommissionPlan", "EntryKind"]


@attrs.frozen
class CommissionPlan:
    """`rate` is a percentage (Decimal('20') is 20 %); `limit_months` caps how long after the
    mapping starts a partner earns on a customer (None: as long as it is of record)."""

    partner_id: str
    rate: Decimal
    updated_at: datetime
    limit_months: int | None = None
    version: int = 1


class EntryKind(enum.StrEnum):
    ACCRUAL = "accrual"
    #: A refund or chargeback: a negative entry, never a deletion of the original.
    REVERSAL = "reversal"


@attrs.frozen
class CommissionEntry:
    """One booked line of the commission ledger. `commission_exact` keeps every decimal so a
    statement can round once and apportion without losing a cent."""

    id: str
    partner_id: str
    customer_id: str
    product: str
    transaction_id: str
    kind: EntryKind
    base: Money
    rate: Decimal
    commission_exact: Decimal
    occurred_at: datetime
    booked_at: datetime
    interval_id: str
    reverses: str | None = None

    @property
    def commission(self) -> Money:
        return Money.rounded(self.commission_exact, self.base.currency)

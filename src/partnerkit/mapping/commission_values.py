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
    """A partner's commission plan.

    Attributes:
        partner_id: The partner.
        rate: A percentage: `Decimal("20")` is 20 %.
        updated_at: When it was last set.
        limit_months: How long after a mapping starts the partner earns on that customer; None for
            as long as it is of record.
        version: Increases each time the plan is set.
    """

    partner_id: str
    rate: Decimal
    updated_at: datetime
    limit_months: int | None = None
    version: int = 1


class EntryKind(enum.StrEnum):
    """An accrual on a collected transaction, or a reversal of one (a refund)."""

    ACCRUAL = "accrual"
    #: A refund or chargeback: a negative entry, never a deletion of the original.
    REVERSAL = "reversal"


@attrs.frozen
class CommissionEntry:
    """One booked line of the commission ledger.

    Attributes:
        id: The entry's id.
        partner_id: The partner who earns (or gives back).
        customer_id: The customer account.
        product: The product.
        transaction_id: The host's transaction id: one entry per id.
        kind: Accrual or reversal.
        base: The transaction's amount; negative for a reversal.
        rate: The percentage applied.
        commission_exact: The commission with every decimal, so a statement rounds once.
        occurred_at: When the transaction was collected (or refunded).
        booked_at: When the entry was booked.
        interval_id: The mapping interval it was earned through.
        reverses: For a reversal, the transaction id it refunds; None else.
    """

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
        """The commission rounded to the currency's minor unit."""
        return Money.rounded(self.commission_exact, self.base.currency)

"""The numbers behind billing: payment terms and how `run_due` works through overdue invoices;
one `BillingPolicy` per kit (`connect(..., policies=[BillingPolicy(...)])`)."""

from __future__ import annotations

from typing import Any

import attrs

from partnerkit.billing.documents import Issuer
from partnerkit.errors import InvalidInputError
from partnerkit.money import minor_unit_digits

__all__ = ["BillingPolicy"]


def _positive(instance: Any, attribute: Any, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(
            f"{attribute.name} is a whole number of 0 or more", field=attribute.name
        )


def _currency(instance: Any, attribute: Any, value: object) -> None:
    minor_unit_digits(value)  # type: ignore[arg-type]


def _issuer(instance: Any, attribute: Any, value: object) -> None:
    if value is not None and not isinstance(value, Issuer):
        raise InvalidInputError(
            "The issuer is the organisation's name and address.",
            field="issuer",
            hint=f"issuer takes a pk.Issuer, not {type(value).__name__}",
        )


@attrs.frozen
class BillingPolicy:
    """How the organisation bills.

    Attributes:
        payment_terms_days: Days from an invoice's issue date to its due date when none is
            given (Net 30 by default).
        currency: The currency a statement is in for an account billed in none yet.
        overdue_batch: How many invoices `run_due` marks overdue per transaction.
        issuer: Who sends the statements and receipts (name, address, tax id), printed at
            their head; None prints none.
    """

    payment_terms_days: int = attrs.field(default=30, validator=_positive)
    currency: str = attrs.field(default="USD", validator=_currency)
    overdue_batch: int = attrs.field(default=500, validator=_positive)
    issuer: Issuer | None = attrs.field(default=None, validator=_issuer)

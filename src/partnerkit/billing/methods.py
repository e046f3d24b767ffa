"""Saved payment methods as values: a customer's cards as the gateway keeps them (003 seed, "View
& Update Payment Information").

A method is referred to by its id, and the id outlives the card: updating a method replaces its
card under the same id, so the customer's default, and anything else that points at the method
(a subscription's auto-charge), moves onto the new card at once, with nothing to rewrite.
Only the gateway's token is kept, to charge again; never a card number, and never in a repr.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from partnerkit.billing.gateway import SavedCard, _masked

__all__ = ["PaymentMethod"]


@attrs.frozen
class PaymentMethod:
    """A card saved for a customer.

    Attributes:
        id: The method's id: what a default or a subscription points at.
        customer_id: Whose card it is.
        token: The gateway's reusable token for the card; never shown in a repr.
        brand: The card's network as the gateway names it ("visa").
        last4: Its last four digits.
        exp_month: Its expiry month.
        exp_year: Its expiry year.
        default: The customer's auto-charge method ("use for future transactions").
        added_at: When it was saved.
        updated_at: When its card was last replaced.
        version: Increases with each change.
    """

    id: str
    customer_id: str
    token: str = attrs.field(repr=_masked)
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    default: bool
    added_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def card(self) -> SavedCard:
        """The card as the gateway gave it."""
        return SavedCard(self.token, self.brand, self.last4, self.exp_month, self.exp_year)

    @property
    def label(self) -> str:
        """How a person recognises it: "visa ending in 4242, expires 12/2030"."""
        return self.card.label

    def expired(self, today: date) -> bool:
        """Whether the card has expired (it works to the last day of its expiry month).

        Args:
            today: The day to ask for.

        Returns:
            True from the first day after its expiry month.

        Raises nothing.
        """
        return self.card.expired(today)

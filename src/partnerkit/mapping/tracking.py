"""The partner's tag-tracking list (001 seed): its entry, `TrackingService` (track, list), and
`untrack`, which Tag a Partner calls when the customer tags the partner it was waiting on.

Adding someone sends nothing and asks nothing of the customer; the record leaves the list
when the customer tags the partner.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit import validate
from partnerkit.customers.accounts import Customer
from partnerkit.mapping.errors import NotAUserError
from partnerkit.mapping.partners import acting_partner, load_partner
from partnerkit.mapping.ports import MappingStore
from partnerkit.runtime import Runtime

__all__ = ["TrackingEntry", "TrackingService", "untrack"]


@attrs.frozen
class TrackingEntry:
    """An email a partner tracks: the customer is not told, and moves to the partner's
    customers when it tags the partner."""

    partner_id: str
    email: str
    customer_id: str
    added_at: datetime


class TrackingService:
    """The tracking list (001 seed): existing users a partner is waiting on to tag it."""

    def __init__(self, runtime: Runtime[MappingStore]) -> None:
        self._rt = runtime

    def track(self, partner_id: str, email: str) -> TrackingEntry:
        """Add an existing user to the partner's tag-tracking list: no email, no action toward
        the customer. An unknown email is answered with what to do instead."""
        address = validate.email(email)
        with self._rt.uow() as uow:
            partner = acting_partner(uow, partner_id, self._rt.now())
            customer = uow.customers.get_by_user_email(address)
            if customer is None:
                raise NotAUserError(
                    f"{address} is not a user yet", details={"field": "email", "email": address}
                )
            entry = TrackingEntry(partner.id, address, customer.id, self._rt.now())
            uow.tracking.add(entry)
        return entry

    def tracking_list(self, partner_id: str) -> list[TrackingEntry]:
        with self._rt.uow(readonly=True) as uow:
            load_partner(uow, partner_id)
            return uow.tracking.for_partner(partner_id)


def untrack(uow: MappingStore, partner_id: str, customer: Customer) -> None:
    """001: "When the customer tags you as a partner, the record will move from the Tracking
    List to your customer listing": drop the partner's entries for the customer's users."""
    for entry in uow.tracking.for_customer(customer.id):
        if entry.partner_id == partner_id:
            uow.tracking.remove(partner_id, entry.email)

"""The partner's tag-tracking list (001 seed): existing users a partner is waiting on to tag it.

Adding someone sends nothing and asks nothing of the customer; the record leaves the list
when the customer tags the partner.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit import validate
from partnerkit.mapping.errors import NotAUserError
from partnerkit.mapping.history import MappingBase
from partnerkit.mapping.partners import load_partner

__all__ = ["TrackingEntry", "TrackingMixin"]


@attrs.frozen
class TrackingEntry:
    partner_id: str
    email: str
    customer_id: str
    added_at: datetime


class TrackingMixin(MappingBase):
    # --- tracking list (001 seed) -------------------------------------------------------------

    def track(self, partner_id: str, email: str) -> TrackingEntry:
        """Add an existing user to the partner's tag-tracking list: no email, no action toward
        the customer. An unknown email is answered with what to do instead."""
        address = validate.email(email)
        with self._rt.uow() as uow:
            partner = self._acting_partner(uow, partner_id)
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

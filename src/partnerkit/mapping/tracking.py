"""The partner's tag-tracking list (001 seed): its entry, `TrackingService` (track, list), and
`untrack`: the record leaves the list whenever the customer becomes the partner's customer,
through any channel (the keeper of the history calls the port's `remove_customer`).

Adding someone sends nothing and asks nothing of the customer; a customer already the
partner's is not tracked.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.customers.accounts import Customer
from partnerkit.mapping.errors import AlreadyYourCustomerError, NotAUserError
from partnerkit.mapping.partners import acting_partner, load_partner, unseen_partner
from partnerkit.mapping.policy import MappingPolicy, PartnerActivity
from partnerkit.mapping.ports import MappingStore
from partnerkit.runtime import Runtime

__all__ = ["TrackedUser", "TrackingEntry", "TrackingService", "untrack"]


@attrs.frozen
class TrackingEntry:
    """A tracking entry as stored: which partner waits on which user, of which account.

    Attributes:
        partner_id: The partner waiting.
        email: The user it waits on to tag it.
        customer_id: The user's account.
        added_at: When the partner added the user.
    """

    partner_id: str
    email: str
    customer_id: str
    added_at: datetime


@attrs.frozen
class TrackedUser:
    """A row of a partner's tracking list as the caller sees it.

    A partner typed an email, and the list must not turn that into a way of looking accounts up: the
    account's id is shown only to whoever may see that account anyway (a tracking entry itself
    grants no sight).

    Attributes:
        partner_id: The partner waiting.
        email: The user it waits on to tag it.
        added_at: When the partner added the user.
        customer_id: The account's id when the caller sees that account anyway (staff, the system, a
            partner associated with it otherwise); None else.
    """

    partner_id: str
    email: str
    added_at: datetime
    #: The account's id, when the caller sees that account anyway (staff, the system, a
    #: partner already associated with it otherwise); None else.
    customer_id: str | None = None

    @classmethod
    def of(cls, entry: TrackingEntry, *, reveal: bool) -> TrackedUser:
        """The row for a stored entry, with or without the account's id.

        Args:
            entry: The stored entry.
            reveal: Whether the caller may see the entry's account.

        Returns:
            The row; `customer_id` is None unless `reveal`.

        Raises nothing.
        """
        customer_id = entry.customer_id if reveal else None
        return cls(entry.partner_id, entry.email, entry.added_at, customer_id)


class TrackingService:
    """The tracking list (001 seed): existing users a partner is waiting on to tag it."""

    def __init__(self, runtime: Runtime[MappingStore], policy: MappingPolicy | None = None) -> None:
        self._rt = runtime
        self._policy = policy if policy is not None else MappingPolicy()

    def track(self, partner_id: str, email: str, *, actor: Principal) -> TrackedUser:
        """`kit.mapping.track`, documented on `MappingService`."""
        guard = self._rt.guard
        address = validate.email(email)
        now = self._rt.now()
        with self._rt.uow() as uow:
            principal = guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            partner = acting_partner(
                uow, partner_id, now, touch=self._policy.counts(PartnerActivity.PARTNER_ACTION)
            )
            customer = uow.customers.get_by_user_email(address)
            if customer is None:
                raise NotAUserError(
                    f"{address} is not a user yet", details={"field": "email", "email": address}
                )
            mapped = sorted(
                i.product
                for i in uow.records.for_customer(customer.id)
                if i.partner_id == partner.id and i.in_force(now)
            )
            if mapped:
                raise AlreadyYourCustomerError(
                    f"{address} belongs to one of your customers already ({', '.join(mapped)})",
                    details={"field": "email", "email": address},
                )
            entry = TrackingEntry(partner.id, address, customer.id, now)
            uow.tracking.add(entry)
            reveal = guard.sees_customer(uow, principal, customer.id)
        return TrackedUser.of(entry, reveal=reveal)

    def tracking_list(self, partner_id: str, *, actor: Principal) -> list[TrackedUser]:
        """`kit.mapping.tracking_list`, documented on `MappingService`."""
        guard = self._rt.guard
        with self._rt.uow(readonly=True) as uow:
            principal = guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            load_partner(uow, partner_id)
            entries = uow.tracking.for_partner(partner_id)
            visible = guard.visible_customers(
                uow, principal, lambda: {e.customer_id for e in entries}
            )
        seen = None if visible is None else set(visible)
        return [TrackedUser.of(e, reveal=seen is None or e.customer_id in seen) for e in entries]


def untrack(uow: MappingStore, partner_id: str, customer: Customer) -> None:
    """001: "When the customer tags you as a partner, the record will move from the Tracking
    List to your customer listing": drop the partner's entries for the customer's users."""
    uow.tracking.remove_customer(partner_id, customer.id)

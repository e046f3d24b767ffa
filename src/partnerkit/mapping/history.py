"""The partner-of-record history as the mapping services see it: reading it (now, as of a
date, per partner) and the one way every channel opens, ends and announces an interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs

from partnerkit import validate
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.consent import ConsentKind, ConsentRequest, new_token
from partnerkit.customers.accounts import (
    Customer,
    CustomersService,
    load_customer,
)
from partnerkit.events import Email
from partnerkit.mapping.errors import NotCustomerAdminError, ProductNotAuthorisedError
from partnerkit.mapping.events import ConsentRequested, MappingStarted, _MappingChange
from partnerkit.mapping.partners import (
    Partner,
    load_partner,
    require_active,
)
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
    end_of_day,
)
from partnerkit.runtime import Runtime

__all__ = ["MappingBase", "PartnerCustomer"]


@attrs.frozen
class PartnerCustomer:
    """A row of the partner's customer listing."""

    customer_id: str
    customer_name: str
    product: str
    since: datetime
    channel: Channel
    status: MappingStatus


def _as_instant(as_of: date | datetime) -> datetime:
    if isinstance(as_of, datetime):
        return as_of
    return end_of_day(as_of)


class MappingBase:
    """State and shared steps of `kit.mapping`; the channels, the 000 cases, transfers and the
    tracking list each add their part in their own module."""

    def __init__(
        self, runtime: Runtime[MappingStore], policy: MappingPolicy, customers: CustomersService
    ) -> None:
        self._rt = runtime
        self.policy = policy
        # Sign-up and new-account flows create accounts exactly as kit.customers does.
        self._customers = customers

    # --- reading the partner of record --------------------------------------------------------

    def partner_of_record(
        self, customer_id: str, product: str, *, as_of: date | datetime | None = None
    ) -> MappingInterval | None:
        """The mapping in force for the customer and product: now, at an instant, or at the end
        of a day. None when no partner was of record then.

        Now means the open mapping. A change made at the very instant of a transaction already
        booked to the previous partner takes effect 1 µs later, so that the transaction stays
        in that partner's window; `as_of=now` shows the previous partner for that microsecond.
        """
        with self._rt.uow(readonly=True) as uow:
            load_customer(uow, customer_id)
            if as_of is None:
                return uow.records.current(customer_id, product)
            return uow.records.covering(customer_id, product, _as_instant(as_of))

    def history(self, customer_id: str, product: str | None = None) -> list[MappingInterval]:
        """Every interval, oldest first: mappings, transfers and unmappings, with who and why."""
        with self._rt.uow(readonly=True) as uow:
            load_customer(uow, customer_id)
            if product is None:
                return uow.records.for_customer(customer_id)
            return uow.records.history(customer_id, product)

    def customers_of(self, partner_id: str) -> list[PartnerCustomer]:
        """The partner's customer listing: every open mapping, oldest first."""
        with self._rt.uow(readonly=True) as uow:
            load_partner(uow, partner_id)
            intervals = uow.records.open_for_partner(partner_id)
            names = uow.customers.names(sorted({i.customer_id for i in intervals}))
            return [
                PartnerCustomer(
                    i.customer_id,
                    names[i.customer_id],
                    i.product,
                    i.valid_from,
                    i.channel,
                    i.status,
                )
                for i in intervals
            ]

    # --- helpers ------------------------------------------------------------------------------

    def _open(
        self,
        uow: MappingStore,
        customer_id: str,
        product: str,
        partner: Partner,
        channel: Channel,
        *,
        reason: str,
        by: str,
        status: MappingStatus | None = None,
        provisional_until: date | None = None,
        commission_from: datetime | None,
        evidence: str | None = None,
    ) -> MappingInterval:
        """Open an interval; `commission_from` None means all transactions (000 case 2)."""
        now = self._rt.now()
        last_end = uow.records.last_end(customer_id, product)
        start = commission_from
        # A commission window never reaches back into the previous partner's interval.
        if last_end is not None and (start is None or start < last_end):
            start = last_end
        interval = MappingInterval(
            id=self._rt.new_sequential_id("map"),
            customer_id=customer_id,
            product=product,
            partner_id=partner.id,
            channel=channel,
            valid_from=now if last_end is None else max(now, last_end),
            reason=reason,
            by=by,
            status=status or MappingStatus.PERMANENT,
            provisional_until=provisional_until,
            commission_from=start,
            evidence=evidence,
        )
        uow.records.add(interval)
        self._publish_change(uow, interval, MappingStarted)
        return interval

    def _end(
        self, uow: MappingStore, interval: MappingInterval, at: datetime, reason: str, by: str
    ) -> MappingInterval:
        """Close `interval` at `at`, or just after the last transaction already booked to it:
        commission booked to a partner stays inside that partner's interval, even when the
        change comes at the same instant or a scheduled expiry runs late."""
        booked = uow.commissions.last_occurred_at(interval.id)
        if booked is not None and booked >= at:
            at = booked + timedelta(microseconds=1)
        # An interval that was itself deferred by such a microsecond ends no earlier than it began.
        at = max(at, interval.valid_from)
        return uow.records.update(interval.close(at, reason, by))

    def _publish_change(
        self, uow: MappingStore, interval: MappingInterval, event: type[_MappingChange]
    ) -> None:
        self._rt.publish(
            uow,
            event(
                interval.id,
                interval.customer_id,
                interval.product,
                interval.partner_id,
                interval.channel,
            ),
        )

    def _request_consent(
        self,
        uow: MappingStore,
        kind: ConsentKind,
        customer: Customer,
        product: str,
        partner: Partner,
        *,
        requested_by: str,
        valid_for: timedelta,
        template: str,
        subject: str,
        body: str,
        from_partner: Partner | None = None,
        recipients: Iterable[str] | None = None,
    ) -> ConsentRequest:
        now = self._rt.now()
        token, digest = new_token()
        request = ConsentRequest(
            id=self._rt.new_id("cns"),
            kind=kind,
            customer_id=customer.id,
            product=product,
            partner_id=partner.id,
            from_partner_id=None if from_partner is None else from_partner.id,
            requested_by=requested_by,
            requested_at=now,
            expires_at=now + valid_for,
            token_hash=digest,
        )
        uow.consents.add(request)
        to = list(recipients) if recipients is not None else [u.email for u in customer.admins]
        for address in to:
            self._rt.send(
                uow,
                Email(
                    to=address,
                    subject=subject,
                    body=body,
                    template=template,
                    context={
                        "request_id": request.id,
                        "token": token,
                        "customer_id": customer.id,
                        "product": product,
                        "partner": partner.name,
                        "expires_at": request.expires_at.isoformat(),
                    },
                ),
            )
        self._rt.publish(
            uow,
            ConsentRequested(kind, request.id, customer.id, product),
        )
        return request

    def _untrack(self, uow: MappingStore, partner_id: str, customer: Customer) -> None:
        for entry in uow.tracking.for_customer(customer.id):
            if entry.partner_id == partner_id:
                uow.tracking.remove(partner_id, entry.email)

    @staticmethod
    def _require_admin(customer: Customer, actor: str, action: str) -> None:
        if not customer.is_admin(actor):
            raise NotCustomerAdminError(
                f"only the admin users of {customer.name} can {action}",
                details={"customer_id": customer.id, "by": actor},
            )

    def _acting_partner(self, uow: MappingStore, partner_id: str) -> Partner:
        """The partner doing something: it must be active, and its activity is recorded."""
        partner = load_partner(uow, partner_id)
        require_active(partner)
        uow.partners.touch(partner.id, self._rt.now())
        return partner

    @staticmethod
    def _authorised(uow: MappingStore, partner: Partner, product: str) -> str:
        key = validate.text(product, "product", max_length=40)
        if uow.products.get(key) is None:
            raise ProductNotFoundError(
                f"no product with key {key!r}", details={"field": "product", "key": key}
            )
        if key not in partner.expertise:
            raise ProductNotAuthorisedError(
                f"{partner.name} does not work on {key}",
                details={"partner_id": partner.id, "product": key},
            )
        return key

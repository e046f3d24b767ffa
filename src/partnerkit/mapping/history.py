"""The partner-of-record history: `HistoryService` reads it (now, as of a date, per partner), and
`RecordKeeper` holds the steps every flow writes it with (open, end, announce, ask consent)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs

from partnerkit import validate
from partnerkit.access import Guard, Principal
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.customers.accounts import Customer, load_customer, unseen_customer
from partnerkit.events import Email
from partnerkit.mapping.events import ConsentRequested, MappingStarted, _MappingChange
from partnerkit.mapping.partners import Partner, load_partner, unseen_partner
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
    end_of_day,
)
from partnerkit.runtime import Runtime

__all__ = ["HistoryService", "PartnerCustomer", "RecordKeeper", "shown"]


@attrs.frozen
class PartnerCustomer:
    """A row of the partner's customer listing (`kit.mapping.customers_of`).

    Attributes:
        customer_id: The customer account.
        customer_name: Its name.
        product: The product the partner is of record for.
        since: When the mapping began.
        channel: How the customer came to the partner.
        status: Permanent, or provisional (a free customer, 000 use case 3).
    """

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


def shown(guard: Guard, actor: Principal, interval: MappingInterval) -> MappingInterval:
    """The interval as the actor may see it: the written-consent evidence (the customer's
    forwarded email) is the partner team's, so everyone else gets the interval without it."""
    if interval.evidence is None or guard.may_see_evidence(actor):
        return interval
    return attrs.evolve(interval, evidence=None)


class HistoryService:
    """Reading the partner of record: who it is now or then, every interval, a partner's list."""

    def __init__(self, runtime: Runtime[MappingStore]) -> None:
        self._rt = runtime

    def partner_of_record(
        self,
        customer_id: str,
        product: str,
        *,
        as_of: date | datetime | None = None,
        actor: Principal,
    ) -> MappingInterval | None:
        """`kit.mapping.partner_of_record`, documented on `MappingService`."""
        guard = self._rt.guard
        with self._rt.uow(readonly=True) as uow:
            principal = guard.require_sight(uow, actor, customer_id, unseen_customer(customer_id))
            load_customer(uow, customer_id)
            key = validate.text(product, "product")
            if as_of is None:
                found = uow.records.current(customer_id, key)
            else:
                when = validate.as_instant_or_day(as_of, "as_of")
                found = uow.records.covering(customer_id, key, _as_instant(when))
        return None if found is None else shown(guard, principal, found)

    def history(
        self, customer_id: str, product: str | None = None, *, actor: Principal
    ) -> list[MappingInterval]:
        """`kit.mapping.history`, documented on `MappingService`."""
        guard = self._rt.guard
        with self._rt.uow(readonly=True) as uow:
            principal = guard.require_sight(uow, actor, customer_id, unseen_customer(customer_id))
            load_customer(uow, customer_id)
            if product is None:
                found = uow.records.for_customer(customer_id)
            else:
                found = uow.records.history(customer_id, validate.text(product, "product"))
        return [shown(guard, principal, i) for i in found]

    def customers_of(self, partner_id: str, *, actor: Principal) -> list[PartnerCustomer]:
        """`kit.mapping.customers_of`, documented on `MappingService`."""
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
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


class RecordKeeper:
    """The one way every flow writes the partner of record, inside the caller's unit of work:
    so that the rules on windows and the events they announce are stated once, here."""

    def __init__(self, runtime: Runtime[MappingStore]) -> None:
        self._rt = runtime

    def open(
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
        self.publish_change(uow, interval, MappingStarted)
        return interval

    def end(
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

    def publish_change(
        self, uow: MappingStore, interval: MappingInterval, event: type[_MappingChange]
    ) -> None:
        """Announce that `interval` started, ended or expired (the event type says which)."""
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

    def request_consent(
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
        """Ask the customer to consent to a change of partner (a 000 case-1 approval or a 001
        transfer): the request, one email per recipient with its link, and the event.

        The link's token is derived from the kit's secret key when the email is delivered:
        the request keeps its hash and the queued email a reference, so no table, outbox
        message or log line ever holds the token itself."""
        now = self._rt.now()
        request_id = self._rt.new_id("cns")
        link = self._rt.secrets.issue("consent", request_id)
        request = ConsentRequest(
            id=request_id,
            kind=kind,
            customer_id=customer.id,
            product=product,
            partner_id=partner.id,
            from_partner_id=None if from_partner is None else from_partner.id,
            requested_by=requested_by,
            requested_at=now,
            expires_at=now + valid_for,
            token_hash=link.token_hash,
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
                        "token": link.as_data(),
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

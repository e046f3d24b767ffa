"""The partner-of-record history: `HistoryService` reads it (now, as of a date, per partner), and
`RecordKeeper` holds the steps every flow writes it with (open, end, announce, ask consent).

A provisional mapping whose 3 months ran out is over from that instant: reads show it ended
(as the expiry job will record it) and writes record it first, so no answer depends on
whether `run_due` has run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs

from partnerkit import validate
from partnerkit.access import Guard, Principal
from partnerkit.clock import start_of_local_day
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.customers.accounts import (
    Customer,
    customer_zone,
    load_customer,
    unseen_customer,
)
from partnerkit.events import Email
from partnerkit.mapping.events import (
    ConsentCancelled,
    ConsentEffective,
    ConsentRequested,
    MappingExpired,
    MappingStarted,
    _MappingChange,
)
from partnerkit.mapping.partners import Partner, load_partner, unseen_partner
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
)
from partnerkit.mapping.rules import MappingDecision
from partnerkit.runtime import Runtime

__all__ = [
    "HistoryService",
    "PartnerCustomer",
    "RecordKeeper",
    "as_of_now",
    "expiry_reason",
    "shown",
]

_TICK = timedelta(microseconds=1)


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


def expiry_reason(policy: MappingPolicy) -> str:
    """Why a provisional mapping ended (000 case 3), as its interval records it."""
    return f"not upgraded to paid within {policy.provisional_months} months of the mapping date"


def as_of_now(interval: MappingInterval, now: datetime, policy: MappingPolicy) -> MappingInterval:
    """The interval as it stands at `now`: a provisional one whose time ran out is shown
    ended, exactly as the expiry job records it."""
    return interval.expired(expiry_reason(policy)) if interval.lapsed(now) else interval


def shown(guard: Guard, actor: Principal, interval: MappingInterval) -> MappingInterval:
    """The interval as the actor may see it: the written-consent evidence (the customer's
    forwarded email) is the partner team's, so everyone else gets the interval without it."""
    if interval.evidence is None or guard.may_see_evidence(actor):
        return interval
    return attrs.evolve(interval, evidence=None)


class HistoryService:
    """Reading the partner of record: who it is now or then, every interval, a partner's list."""

    def __init__(self, runtime: Runtime[MappingStore], policy: MappingPolicy) -> None:
        self._rt = runtime
        self._policy = policy

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
        now = self._rt.now()
        with self._rt.uow(readonly=True) as uow:
            principal = guard.require_sight(uow, actor, customer_id, unseen_customer(customer_id))
            customer = load_customer(uow, customer_id)
            key = validate.text(product, "product")
            if as_of is None:
                found = uow.records.current(customer_id, key)
                if found is not None and not found.in_force(now):
                    found = None
            else:
                when = validate.as_instant_or_day(as_of, "as_of")
                if not isinstance(when, datetime):
                    zone = customer_zone(customer, self._policy.time_zone)
                    when = start_of_local_day(when + timedelta(days=1), zone) - _TICK
                found = uow.records.covering(customer_id, key, when)
                if found is not None:
                    found = as_of_now(found, now, self._policy)
                    if not found.covers(when):
                        found = None
        return None if found is None else shown(guard, principal, found)

    def history(
        self, customer_id: str, product: str | None = None, *, actor: Principal
    ) -> list[MappingInterval]:
        """`kit.mapping.history`, documented on `MappingService`."""
        guard = self._rt.guard
        now = self._rt.now()
        with self._rt.uow(readonly=True) as uow:
            principal = guard.require_sight(uow, actor, customer_id, unseen_customer(customer_id))
            load_customer(uow, customer_id)
            if product is None:
                found = uow.records.for_customer(customer_id)
            else:
                found = uow.records.history(customer_id, validate.text(product, "product"))
        return [shown(guard, principal, as_of_now(i, now, self._policy)) for i in found]

    def customers_of(self, partner_id: str, *, actor: Principal) -> list[PartnerCustomer]:
        """`kit.mapping.customers_of`, documented on `MappingService`."""
        now = self._rt.now()
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            load_partner(uow, partner_id)
            intervals = [i for i in uow.records.open_for_partner(partner_id) if i.in_force(now)]
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

    def __init__(self, runtime: Runtime[MappingStore], policy: MappingPolicy) -> None:
        self._rt = runtime
        self._policy = policy

    def in_force(
        self, uow: MappingStore, customer_id: str, product: str, *, record: bool = True
    ) -> MappingInterval | None:
        """The mapping in force for the product, locked where the engine can. A provisional
        one whose 3 months are over is not: with `record`, its end is recorded here and now,
        as the expiry job would (a read-only caller passes False)."""
        current = uow.records.current(customer_id, product)
        if current is None or current.in_force(self._rt.now()):
            return current
        if record:
            self.expire(uow, current)
        return None

    def expire(self, uow: MappingStore, interval: MappingInterval) -> MappingInterval:
        """Record that a provisional mapping's 3 months ended (000 case 3), and announce it."""
        assert interval.provisional_ends_at is not None
        closed = self.end(
            uow, interval, interval.provisional_ends_at, expiry_reason(self._policy), "partnerkit"
        )
        self.publish_change(uow, closed, MappingExpired)
        return closed

    def open_decided(
        self,
        uow: MappingStore,
        decision: MappingDecision,
        partner: Partner,
        *,
        reason: str,
        by: str,
        history: list[MappingInterval] | None = None,
    ) -> MappingInterval:
        """Open the interval `decision` (a MAP) says, with its terms."""
        return self.open(
            uow,
            decision.customer_id,
            decision.product,
            partner,
            decision.channel,
            reason=reason,
            by=by,
            status=decision.status,
            provisional_until=decision.provisional_until,
            provisional_ends_at=decision.provisional_ends_at,
            commission_from=decision.commission_from,
            history=history,
        )

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
        provisional_ends_at: datetime | None = None,
        commission_from: datetime | None,
        evidence: str | None = None,
        history: list[MappingInterval] | None = None,
    ) -> MappingInterval:
        """Open an interval; `commission_from` None means all transactions. `history`, when
        the caller read the product's intervals already, saves asking for the last end.

        001: "the record will move from the Tracking List to your customer listing": whatever
        the channel, the partner's tracking entries for the customer go.
        """
        now = self._rt.now()
        if history is None:
            last_end = uow.records.last_end(customer_id, product)
        else:
            last_end = max((i.valid_to for i in history if i.valid_to is not None), default=None)
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
            provisional_ends_at=provisional_ends_at,
            commission_from=start,
            evidence=evidence,
        )
        uow.records.add(interval)
        uow.tracking.remove_customer(partner.id, customer_id)
        self.publish_change(uow, interval, MappingStarted)
        return interval

    def settle_approvals(
        self,
        uow: MappingStore,
        decision: MappingDecision,
        customer: Customer,
        partner: Partner,
        *,
        by: str,
    ) -> None:
        """What a customer's own act does to the approval requests waiting for the product
        (issue 8): the one of the partner it chose is complete, the others are withdrawn and
        their partners told."""
        now = self._rt.now()
        if decision.pending_request_id is not None:
            mine = uow.consents.get(decision.pending_request_id)
            if mine is not None and mine.is_pending:
                uow.consents.update(mine.complete(by, now))
                self._rt.publish(uow, ConsentEffective(mine.kind, mine.id, customer.id))
        for request_id in decision.superseded_request_ids:
            other = uow.consents.get(request_id)
            if other is None or not other.is_pending:
                continue
            loser = load_partner(uow, other.partner_id)
            uow.consents.update(
                other.cancel(
                    now,
                    by="partnerkit",
                    reason=f"{customer.name} chose another partner for {other.product}",
                )
            )
            self._rt.send(
                uow,
                Email(
                    to=loser.email,
                    subject=f"{customer.name} chose another partner for {other.product}",
                    body=(
                        f"An admin of {customer.name} tagged another partner for "
                        f"{other.product}, so your request to be its partner for it was "
                        "withdrawn."
                    ),
                    template="mapping.request_superseded",
                    context={
                        "request_id": other.id,
                        "customer_id": customer.id,
                        "product": other.product,
                    },
                ),
            )
            self._rt.publish(uow, ConsentCancelled(other.kind, other.id, customer.id))

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

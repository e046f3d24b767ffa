"""`kit.mapping`: how customers come to a partner and move between partners.

The three channels of the 001 seed (sign-up link, new account, Tag a Partner), a partner adding
a customer under the 000 seed's three cases, transfers and written consent, the tracking list,
and the time-driven rules (provisional expiry, consent expiry) that `kit.run_due()` runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from partnerkit import validate
from partnerkit.consent import ConsentKind, ConsentRequest, hash_token, new_token
from partnerkit.customers.accounts import (
    Customer,
    CustomersService,
    Edition,
    ProductPlan,
    load_customer,
)
from partnerkit.errors import (
    CustomerMappedToAnotherPartnerError,
    EmailTakenError,
    InvalidTokenError,
    NoPartnerOfRecordError,
    NotAUserError,
    NotCustomerAdminError,
    PartnerOfRecordTakenError,
    ProductNotAuthorisedError,
    ProductNotFoundError,
    SamePartnerError,
    TransferPendingError,
    TransferRequiredError,
)
from partnerkit.events import DomainEvent, Email
from partnerkit.mapping.partners import (
    Partner,
    active_partner_by_code,
    load_partner,
    require_active,
)
from partnerkit.mapping.policy import AddDecision, MappingPolicy, decide_add
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
    end_of_day,
    start_of_day,
)
from partnerkit.mapping.signup import SignupLink
from partnerkit.mapping.tracking import TrackingEntry
from partnerkit.ports import UnitOfWork
from partnerkit.runtime import Runtime

__all__ = ["AddResult", "MappingService", "PartnerCustomer", "SignupLinkToken"]


@attrs.frozen
class AddResult:
    """What `add_customer` did: mapped at once (`interval`) or asked the customer (`request`)."""

    decision: AddDecision
    interval: MappingInterval | None = None
    request: ConsentRequest | None = None


@attrs.frozen
class SignupLinkToken:
    """The secret a partner puts in its sign-up link; partnerkit keeps only its hash."""

    token: str
    partner_id: str
    product: str | None

    def url(self, base: str) -> str:
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}partner_token={self.token}"


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


class MappingService:
    def __init__(self, runtime: Runtime, policy: MappingPolicy) -> None:
        self._rt = runtime
        self.policy = policy

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
            instant = _as_instant(as_of)
            return next(
                (i for i in uow.records.history(customer_id, product) if i.covers(instant)), None
            )

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
            names = {
                c.id: c.name
                for c in uow.customers.get_many(sorted({i.customer_id for i in intervals}))
            }
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

    # --- channel 1: sign-up link --------------------------------------------------------------

    def signup_link(self, partner_id: str, product: str | None = None) -> SignupLinkToken:
        """A sign-up link token for the partner's website (001 seed), for one product or, with
        None, for every product the partner works on."""
        with self._rt.uow() as uow:
            partner = self._acting_partner(uow, partner_id)
            if product is not None:
                product = self._authorised(uow, partner, product)
            token, digest = new_token()
            uow.signup_links.add(SignupLink(digest, partner.id, self._rt.now(), product))
        return SignupLinkToken(token, partner.id, product)

    def sign_up(
        self,
        token: str,
        *,
        name: str,
        admin_email: str,
        admin_name: str | None = None,
        domain: str | None = None,
    ) -> Customer:
        """Create the account of someone who signed up through a partner's link, mapped to that
        partner from the first moment (channel `signup_link`). A forged token is refused."""
        with self._rt.uow() as uow:
            link = uow.signup_links.get_by_token_hash(hash_token(validate.text(token, "token")))
            if link is None or link.revoked_at is not None:
                raise InvalidTokenError(
                    "this sign-up link is not valid", details={"field": "token"}
                )
            partner = load_partner(uow, link.partner_id)
            require_active(partner)
            customer = self._customers().create(
                name=name, admin_email=admin_email, admin_name=admin_name, domain=domain
            )
            products = [link.product] if link.product is not None else list(partner.expertise)
            for product in products:
                self._open(
                    uow,
                    customer.id,
                    product,
                    partner,
                    Channel.SIGNUP_LINK,
                    reason="signed up through the partner's sign-up link",
                    by=customer.users[0].email,
                    commission_from=self._rt.now(),
                )
        return customer

    # --- channel 2: new account set-up --------------------------------------------------------

    def create_account(
        self,
        partner_id: str,
        *,
        name: str,
        admin_email: str,
        product: str,
        admin_name: str | None = None,
        domain: str | None = None,
    ) -> Customer:
        """A partner sets up an account for someone who is not yet a user (001 seed)."""
        address = validate.email(admin_email, "admin_email")
        with self._rt.uow() as uow:
            partner = self._acting_partner(uow, partner_id)
            key = self._authorised(uow, partner, product)
            if uow.customers.get_by_user_email(address) is not None:
                raise EmailTakenError(
                    f"{address} already belongs to a user, so it cannot get a new account",
                    details={"field": "admin_email"},
                    remedy="Ask them to tag you with your partner code, or add them as a "
                    "customer (kit.mapping.add_customer).",
                )
            customer = self._customers().create(
                name=name, admin_email=address, admin_name=admin_name, domain=domain
            )
            self._open(
                uow,
                customer.id,
                key,
                partner,
                Channel.NEW_ACCOUNT,
                reason="account set up by the partner",
                by=partner.email,
                commission_from=self._rt.now(),
            )
        return customer

    # --- channel 3: Tag a Partner -------------------------------------------------------------

    def tag_partner(self, customer_id: str, product: str, code: str, *, by: str) -> MappingInterval:
        """An admin of the customer enters a partner's code for a product (001 seed).

        Tagging the partner already of record is a no-op (a provisional mapping becomes
        permanent: the customer has now said so); tagging while another partner is of record is
        refused and points to the transfer.
        """
        actor = validate.email(by, "by")
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            self._require_admin(customer, actor, "tag a partner")
            partner = active_partner_by_code(uow, code)
            key = self._authorised(uow, partner, product)
            current = uow.records.current(customer.id, key)
            if current is not None:
                if current.partner_id != partner.id:
                    raise TransferRequiredError(
                        f"{customer.name} already works with another partner for {key}",
                        details={"customer_id": customer.id, "product": key},
                    )
                if current.status is MappingStatus.PROVISIONAL:
                    current = uow.records.update(
                        attrs.evolve(current, status=MappingStatus.PERMANENT)
                    )
                self._untrack(uow, partner.id, customer)
                return current
            try:
                interval = self._open(
                    uow,
                    customer.id,
                    key,
                    partner,
                    Channel.TAG,
                    reason=f"tagged by the customer's admin with code {code.strip()}",
                    by=actor,
                    commission_from=self._rt.now(),
                )
            except PartnerOfRecordTakenError:
                raise TransferRequiredError(
                    f"{customer.name} already works with another partner for {key}",
                    details={"customer_id": customer.id, "product": key},
                ) from None
            self._untrack(uow, partner.id, customer)
        return interval

    # --- a partner adding a customer (000 seed) -----------------------------------------------

    def explain_add(self, partner_id: str, customer_id: str, product: str) -> AddDecision:
        """Which of the 000 seed's cases applies now, whether the customer must confirm, the
        commission window, and why; changes nothing. Raises what `add_customer` would."""
        with self._rt.uow(readonly=True) as uow:
            return self._check_add(uow, partner_id, customer_id, product)[3]

    def add_customer(self, partner_id: str, customer_id: str, product: str) -> AddResult:
        """A partner adds an existing customer for a product it works on (000 seed).

        Paid for more than 30 days: the customer gets a confirmation email and the mapping waits
        for their approval. Paid within 30 days: mapped at once. Free: mapped at once,
        provisionally, and removed by `run_due` unless they upgrade within 3 months.
        """
        with self._rt.uow() as uow:
            partner, customer, key, decision = self._check_add(
                uow, partner_id, customer_id, product
            )
            uow.partners.touch(partner.id, self._rt.now())
            current = uow.records.current(customer.id, key)
            if current is not None:  # the same partner: _check_add refused any other
                return AddResult(decision, interval=current)
            pending = uow.consents.pending(
                customer_id=customer.id, product=key, kind=ConsentKind.MAPPING_APPROVAL
            )
            mine = [r for r in pending if r.partner_id == partner.id]
            if mine:
                return AddResult(decision, request=mine[0])
            if decision.needs_confirmation:
                request = self._request_consent(
                    uow,
                    ConsentKind.MAPPING_APPROVAL,
                    customer,
                    key,
                    partner,
                    requested_by=partner.email,
                    valid_for=timedelta(days=self.policy.approval_valid_days),
                    template="mapping.approval_requested",
                    subject=f"{partner.name} asks to be your partner for {key}",
                    body=(
                        f"{partner.name} says it works with you on {key}. Approve through the "
                        "link to make it your partner; ignore this email otherwise."
                    ),
                )
                return AddResult(decision, request=request)
            interval = self._open(
                uow,
                customer.id,
                key,
                partner,
                Channel.PARTNER_ADDED,
                reason="; ".join(decision.reasons[:1]),
                by=partner.email,
                status=MappingStatus.PROVISIONAL if decision.provisional else None,
                provisional_until=decision.provisional_until,
                commission_from=decision.commission_from,
            )
        return AddResult(decision, interval=interval)

    def _check_add(
        self, uow: UnitOfWork, partner_id: str, customer_id: str, product: str
    ) -> tuple[Partner, Customer, str, AddDecision]:
        # Only the check: explain_add must not count as activity, add_customer touches later.
        partner = load_partner(uow, partner_id)
        require_active(partner)
        customer = load_customer(uow, customer_id)
        key = self._authorised(uow, partner, product)
        current = uow.records.current(customer.id, key)
        if current is not None and current.partner_id != partner.id:
            raise CustomerMappedToAnotherPartnerError(
                "Customer mapped to another partner",
                details={"customer_id": customer.id, "product": key},
            )
        decision = decide_add(customer.plan(key), self._rt.today(), self.policy)
        return partner, customer, key, decision

    # --- transfers (001 seed) -----------------------------------------------------------------

    def request_transfer(
        self, customer_id: str, product: str, code: str, *, by: str
    ) -> ConsentRequest:
        """The customer's admin moves a product to the partner with `code`. A confirmation email
        goes to the customer and a notice to the current partner before anything changes; the
        transfer takes effect when the customer confirms and lapses after 15 days."""
        actor = validate.email(by, "by")
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            self._require_admin(customer, actor, "transfer a partner")
            new_partner = active_partner_by_code(uow, code)
            key = self._authorised(uow, new_partner, product)
            current = uow.records.current(customer.id, key)
            if current is None:
                raise NoPartnerOfRecordError(
                    f"{customer.name} has no partner for {key} to transfer from",
                    details={"customer_id": customer.id, "product": key},
                )
            if current.partner_id == new_partner.id:
                raise SamePartnerError(
                    f"{new_partner.name} is already the partner for {key}",
                    details={"customer_id": customer.id, "product": key},
                )
            if uow.consents.pending(
                customer_id=customer.id, product=key, kind=ConsentKind.TRANSFER
            ):
                raise TransferPendingError(details={"customer_id": customer.id, "product": key})
            old_partner = load_partner(uow, current.partner_id)
            request = self._request_consent(
                uow,
                ConsentKind.TRANSFER,
                customer,
                key,
                new_partner,
                requested_by=actor,
                valid_for=timedelta(days=self.policy.transfer_confirm_days),
                from_partner=old_partner,
                recipients=(actor,),
                template="mapping.transfer_requested",
                subject=f"Confirm moving {key} to {new_partner.name}",
                body=(
                    f"You asked to move {key} from {old_partner.name} to {new_partner.name}. "
                    f"Confirm through the link within {self.policy.transfer_confirm_days} days."
                ),
            )
            self._rt.send(
                uow,
                Email(
                    to=old_partner.email,
                    subject=f"{customer.name} asked to move {key} to another partner",
                    body=(
                        f"{customer.name} asked to move {key} to another partner. Nothing "
                        "changes unless the customer confirms."
                    ),
                    template="mapping.transfer_notice",
                    context={"customer_id": customer.id, "product": key, "request": request.id},
                ),
            )
        return request

    # --- consent: approvals and transfers -----------------------------------------------------

    def confirm(self, token: str, *, by: str | None = None) -> ConsentRequest:
        """Confirm a request through its emailed token: a case-1 approval maps the partner, a
        transfer moves the product. A token works once, before it expires."""
        digest = hash_token(validate.text(token, "token", max_length=200))
        now = self._rt.now()
        with self._rt.uow() as uow:
            request = uow.consents.get_by_token_hash(digest)
            if request is None:
                raise InvalidTokenError("this confirmation link is not valid")
            request.check_token(digest, now)
            customer = load_customer(uow, request.customer_id)
            confirmed = request.confirm(by or "confirmation link", now)
            stored = uow.consents.update(confirmed)
            if stored.is_pending:
                return stored
            partner = load_partner(uow, request.partner_id)
            require_active(partner)
            current = uow.records.current(request.customer_id, request.product)
            if request.kind is ConsentKind.MAPPING_APPROVAL:
                if current is not None and current.partner_id != partner.id:
                    raise CustomerMappedToAnotherPartnerError(
                        "Customer mapped to another partner",
                        details={"customer_id": customer.id, "product": request.product},
                    )
                if current is None:
                    lookback = now.date() - relativedelta(
                        months=self.policy.commission_lookback_months
                    )
                    self._open(
                        uow,
                        customer.id,
                        request.product,
                        partner,
                        Channel.PARTNER_ADDED,
                        reason="approved by the customer through the confirmation link",
                        by=confirmed.confirmations[-1].by,
                        commission_from=start_of_day(lookback),
                    )
            else:
                if current is None or current.partner_id != request.from_partner_id:
                    raise NoPartnerOfRecordError(
                        "the partner this transfer was from is no longer of record",
                        details={"customer_id": customer.id, "product": request.product},
                    )
                self._end(uow, current, now, "transferred to another partner", stored.requested_by)
                self._open(
                    uow,
                    customer.id,
                    request.product,
                    partner,
                    Channel.TRANSFER,
                    reason="transfer confirmed by the customer",
                    by=confirmed.confirmations[-1].by,
                    commission_from=now,
                )
            self._rt.publish(
                uow,
                DomainEvent(
                    f"consent.{request.kind.value}.effective",
                    {"request_id": request.id, "customer_id": customer.id},
                ),
            )
        return stored

    def pending_requests(
        self, *, partner_id: str | None = None, customer_id: str | None = None
    ) -> list[ConsentRequest]:
        """Requests waiting for the customer, for a partner (either side) or a customer."""
        with self._rt.uow(readonly=True) as uow:
            return uow.consents.pending(partner_id=partner_id, customer_id=customer_id)

    def cancel_request(self, request_id: str, *, by: str) -> ConsentRequest:
        with self._rt.uow() as uow:
            request = uow.consents.get(request_id)
            if request is None or not request.is_pending:
                raise InvalidTokenError("no pending request with that id")
            return uow.consents.update(request.cancel(self._rt.now()))

    # --- the partner team's operator actions --------------------------------------------------

    def record_written_consent(
        self, customer_id: str, product: str, partner_id: str, *, evidence: str, by: str
    ) -> MappingInterval:
        """The way out of 'Customer mapped to another partner' (000 seed): the customer's email
        saying they wish to work with the partner, forwarded to the partner team, who record it
        here. The current mapping ends and the new one starts, with the evidence kept."""
        proof = validate.text(evidence, "evidence", max_length=10_000)
        operator = validate.text(by, "by")
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            partner = load_partner(uow, partner_id)
            require_active(partner)
            key = self._authorised(uow, partner, product)
            current = uow.records.current(customer.id, key)
            if current is not None:
                if current.partner_id == partner.id:
                    return current
                self._end(
                    uow,
                    current,
                    self._rt.now(),
                    "moved on the customer's written consent",
                    operator,
                )
            return self._open(
                uow,
                customer.id,
                key,
                partner,
                Channel.WRITTEN_CONSENT,
                reason="the customer's written consent, forwarded to the partner team",
                by=operator,
                commission_from=self._rt.now(),
                evidence=proof,
            )

    def unmap(self, customer_id: str, product: str, *, reason: str, by: str) -> MappingInterval:
        """End the current mapping (an operator action); the history keeps it."""
        why = validate.text(reason, "reason", max_length=500)
        with self._rt.uow() as uow:
            current = uow.records.current(load_customer(uow, customer_id).id, product)
            if current is None:
                raise NoPartnerOfRecordError(details={"customer_id": customer_id})
            closed = self._end(uow, current, self._rt.now(), why, by)
            self._publish_change(uow, closed, "mapping.ended")
        return closed

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
            uow.partners.touch(partner.id, self._rt.now())
        return entry

    def tracking_list(self, partner_id: str) -> list[TrackingEntry]:
        with self._rt.uow(readonly=True) as uow:
            load_partner(uow, partner_id)
            return uow.tracking.for_partner(partner_id)

    # --- time-driven rules --------------------------------------------------------------------

    def next_provisional_due(self, uow: UnitOfWork) -> datetime | None:
        until = uow.records.next_provisional_until()
        return None if until is None else start_of_day(until + timedelta(days=1))

    def expire_provisional(self, now: datetime) -> int:
        """000 case 3: remove free customers' mappings not upgraded within 3 months; make
        permanent those that did upgrade in time."""
        handled = 0
        with self._rt.uow() as uow:
            for interval in uow.records.provisional_ending_before(now.date()):
                assert interval.provisional_until is not None
                customer = load_customer(uow, interval.customer_id)
                plan = customer.plan(interval.product)
                if _paid_by(plan, interval.provisional_until):
                    uow.records.update(attrs.evolve(interval, status=MappingStatus.PERMANENT))
                else:
                    closed = self._end(
                        uow,
                        interval,
                        start_of_day(interval.provisional_until + timedelta(days=1)),
                        f"not upgraded to paid within {self.policy.provisional_months} "
                        "months of the mapping date",
                        "partnerkit",
                    )
                    self._publish_change(uow, closed, "mapping.expired")
                handled += 1
        return handled

    def next_consent_due(self, uow: UnitOfWork) -> datetime | None:
        return uow.consents.next_expiry()

    def expire_consents(self, now: datetime) -> int:
        with self._rt.uow() as uow:
            expiring = uow.consents.expiring(now)
            for request in expiring:
                uow.consents.update(request.expire(now))
                self._rt.publish(
                    uow,
                    DomainEvent(
                        f"consent.{request.kind.value}.expired",
                        {"request_id": request.id, "customer_id": request.customer_id},
                    ),
                )
        return len(expiring)

    def on_plan_changed(self, uow: UnitOfWork, customer: Customer, plan: ProductPlan) -> None:
        """A free customer who upgrades makes a provisional mapping permanent (000 case 3)."""
        if plan.edition is not Edition.PAID:
            return
        current = uow.records.current(customer.id, plan.product)
        if (
            current is not None
            and current.status is MappingStatus.PROVISIONAL
            and _paid_by(plan, current.provisional_until)
        ):
            uow.records.update(attrs.evolve(current, status=MappingStatus.PERMANENT))

    # --- helpers ------------------------------------------------------------------------------

    def _open(
        self,
        uow: UnitOfWork,
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
        history = uow.records.history(customer_id, product)
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
            commission_from=start,
            evidence=evidence,
        )
        uow.records.add(interval)
        self._publish_change(uow, interval, "mapping.started")
        return interval

    def _end(
        self, uow: UnitOfWork, interval: MappingInterval, at: datetime, reason: str, by: str
    ) -> MappingInterval:
        """Close `interval` at `at`, or just after the last transaction already booked to it:
        commission booked to a partner stays inside that partner's interval, even when the
        change comes at the same instant or a scheduled expiry runs late."""
        booked = [
            e.occurred_at
            for e in uow.commissions.for_customer(interval.customer_id, interval.product)
            if e.interval_id == interval.id
        ]
        if booked and max(booked) >= at:
            at = max(booked) + timedelta(microseconds=1)
        # An interval that was itself deferred by such a microsecond ends no earlier than it began.
        at = max(at, interval.valid_from)
        return uow.records.update(interval.close(at, reason, by))

    def _publish_change(self, uow: UnitOfWork, interval: MappingInterval, name: str) -> None:
        self._rt.publish(
            uow,
            DomainEvent(
                name,
                {
                    "interval_id": interval.id,
                    "customer_id": interval.customer_id,
                    "product": interval.product,
                    "partner_id": interval.partner_id,
                    "channel": interval.channel.value,
                },
            ),
        )

    def _request_consent(
        self,
        uow: UnitOfWork,
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
            DomainEvent(
                f"consent.{kind.value}.requested",
                {"request_id": request.id, "customer_id": customer.id, "product": product},
            ),
        )
        return request

    def _untrack(self, uow: UnitOfWork, partner_id: str, customer: Customer) -> None:
        for entry in uow.tracking.for_customer(customer.id):
            if entry.partner_id == partner_id:
                uow.tracking.remove(partner_id, entry.email)

    def _customers(self) -> CustomersService:
        return CustomersService(self._rt)

    @staticmethod
    def _require_admin(customer: Customer, actor: str, action: str) -> None:
        if not customer.is_admin(actor):
            raise NotCustomerAdminError(
                f"only the admin users of {customer.name} can {action}",
                details={"customer_id": customer.id, "by": actor},
            )

    def _acting_partner(self, uow: UnitOfWork, partner_id: str) -> Partner:
        """The partner doing something: it must be active, and its activity is recorded."""
        partner = load_partner(uow, partner_id)
        require_active(partner)
        uow.partners.touch(partner.id, self._rt.now())
        return partner

    @staticmethod
    def _authorised(uow: UnitOfWork, partner: Partner, product: str) -> str:
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


def _paid_by(plan: ProductPlan | None, deadline: date | None) -> bool:
    return (
        plan is not None
        and plan.edition is Edition.PAID
        and (deadline is None or plan.since <= deadline)
    )

"""Moving a customer between partners: the pure `decide_transfer` (001 seed) and
`TransfersService` (transfers, the consent confirmations of 000 case 1 too, operator actions).

`decide_transfer` says what a transfer request does before anything is written: refused and
why, or a consent request with its deadline; the service loads, decides, then writes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from partnerkit import validate
from partnerkit.access import Principal, Role
from partnerkit.access.principal import require_principal
from partnerkit.consent import ConsentKind, ConsentRequest, hash_token
from partnerkit.customers.accounts import Customer, load_customer, unseen_customer
from partnerkit.errors import InvalidTokenError
from partnerkit.events import Email
from partnerkit.mapping.errors import (
    NoPartnerOfRecordError,
    SamePartnerError,
    TransferPendingError,
)
from partnerkit.mapping.events import (
    ConsentCancelled,
    ConsentEffective,
    ConsentExpired,
    MappingEnded,
    PartnerDeactivated,
)
from partnerkit.mapping.history import RecordKeeper
from partnerkit.mapping.partners import (
    Partner,
    active_partner_by_code,
    authorised_product,
    load_partner,
    require_active,
    unseen_partner,
)
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
)
from partnerkit.mapping.rules import MappingAction, decide_mapping
from partnerkit.runtime import Runtime

__all__ = ["TransferDecision", "TransferRefusal", "TransfersService", "decide_transfer"]


class TransferRefusal(enum.StrEnum):
    """Why a transfer request is refused; each has its error (and code) in `mapping.errors`."""

    #: No partner is of record for the product: there is nothing to move (tag instead).
    NO_PARTNER_OF_RECORD = "no_partner_of_record"
    #: The partner asked for is already the partner of record.
    SAME_PARTNER = "same_partner"
    #: A transfer of the product already waits for the customer's confirmation.
    ALREADY_PENDING = "already_pending"


@attrs.frozen
class TransferDecision:
    """What a customer's transfer request would do, and why (001 seed).

    Either refused (`refusal` says which rule) or a consent request the customer confirms by
    `expires_at`, effective only then.

    Attributes:
        customer_id: The customer account.
        product: The product to move.
        to_partner_id: The partner it would move to.
        from_partner_id: The partner of record it would move from; None when there is none.
        refusal: Why it is refused; None when allowed.
        pending_request_id: The transfer already waiting, when that is the refusal.
        valid_for: How long the customer has to confirm; None when refused.
        expires_at: When the request would lapse; None when refused.
        commission_lookback_months: How far before the confirmation the new partner's window
            reaches: 0, since the earlier transactions are the old partner's; None when refused.
        reasons: The decision in plain words, one sentence each.
    """

    customer_id: str
    product: str
    to_partner_id: str
    #: The partner of record the product would move from; None when there is none.
    from_partner_id: str | None
    refusal: TransferRefusal | None
    #: The transfer already waiting, when that is the refusal.
    pending_request_id: str | None
    #: How long the customer has to confirm, and the instant the request lapses; None when
    #: refused.
    valid_for: timedelta | None
    expires_at: datetime | None
    #: How far before the confirmation the new partner's commission window reaches: 0, since
    #: the earlier transactions are the old partner's (unlike 000 case 1's month); None when
    #: refused.
    commission_lookback_months: int | None
    reasons: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        """Whether the transfer may be requested: no refusal applies."""
        return self.refusal is None

    def raise_refusal(self) -> None:
        """Raise the refusal as its typed error; when the transfer is allowed, do nothing.

        Raises:
            NoPartnerOfRecordError: No partner is of record for the product: tag instead
                (`mapping.no_partner_of_record`).
            SamePartnerError: The partner asked for is of record already (`mapping.same_partner`).
            TransferPendingError: A transfer of the product already waits
                (`mapping.transfer_pending`).
        """
        details = {"customer_id": self.customer_id, "product": self.product}
        if self.refusal is TransferRefusal.NO_PARTNER_OF_RECORD:
            raise NoPartnerOfRecordError(self.reasons[0], details=details)
        if self.refusal is TransferRefusal.SAME_PARTNER:
            raise SamePartnerError(self.reasons[0], details=details)
        if self.refusal is TransferRefusal.ALREADY_PENDING:
            # The error's own summary is the message its callers have always had.
            raise TransferPendingError(details=details)


def decide_transfer(
    customer: Customer,
    product: str,
    current: MappingInterval | None,
    to_partner: Partner,
    pending: Iterable[ConsentRequest],
    now: datetime,
    policy: MappingPolicy,
) -> TransferDecision:
    """What a customer's request to move a product to another partner does: the 001 rule, pure.

    001 seed: a customer moves "from one partner to another for a Zoho Service" with "the new
    partner's code. A confirmation email will be sent to the customer and the existing partner
    before such change is implemented." Refused, in this order: no partner of record (tag instead),
    the same partner, a transfer of the product already pending. Otherwise a consent request valid
    for `policy.transfer_confirm_days` (15); on confirmation the current mapping ends and the new
    partner earns from that instant. `kit.mapping.request_transfer` applies it.

    Args:
        customer: The customer account.
        product: The product's catalog key.
        current: The mapping in force for the product; None when no partner is of record.
        to_partner: The partner the customer asks to move to.
        pending: The customer's pending requests (others than transfers of the product are ignored).
        now: The instant of the request.
        policy: The numbers of the rule.

    Returns:
        The decision: refused and why, or allowed with its deadline.

    Raises nothing: a refusal is returned, not raised (`raise_refusal` raises it).
    """

    def refused(
        refusal: TransferRefusal, *reasons: str, pending_id: str | None = None
    ) -> TransferDecision:
        return TransferDecision(
            customer_id=customer.id,
            product=product,
            to_partner_id=to_partner.id,
            from_partner_id=None if current is None else current.partner_id,
            refusal=refusal,
            pending_request_id=pending_id,
            valid_for=None,
            expires_at=None,
            commission_lookback_months=None,
            reasons=reasons,
        )

    if current is None:
        return refused(
            TransferRefusal.NO_PARTNER_OF_RECORD,
            f"{customer.name} has no partner for {product} to transfer from",
            "a transfer moves a product from one partner to another; with no partner of "
            "record, tag the partner instead",
        )
    if current.partner_id == to_partner.id:
        return refused(
            TransferRefusal.SAME_PARTNER,
            f"{to_partner.name} is already the partner for {product}",
            "there is nothing to move",
        )
    waiting = [
        r
        for r in pending
        if r.kind is ConsentKind.TRANSFER
        and r.is_pending
        and r.customer_id == customer.id
        and r.product == product
    ]
    if waiting:
        first = waiting[0]
        return refused(
            TransferRefusal.ALREADY_PENDING,
            f"a transfer of {product} for {customer.name} already waits for confirmation "
            f"(request {first.id}, until {first.expires_at.isoformat()})",
            "one transfer waits at a time: confirm or cancel it first",
            pending_id=first.id,
        )
    valid_for = timedelta(days=policy.transfer_confirm_days)
    expires_at = now + valid_for
    return TransferDecision(
        customer_id=customer.id,
        product=product,
        to_partner_id=to_partner.id,
        from_partner_id=current.partner_id,
        refusal=None,
        pending_request_id=None,
        valid_for=valid_for,
        expires_at=expires_at,
        commission_lookback_months=0,
        reasons=(
            f"{customer.name} asks to move {product} from its partner of record to "
            f"{to_partner.name} (a transfer with the new partner's code)",
            "a confirmation email goes to the customer and a notice to the current partner "
            "before the change is implemented; nothing changes until the customer confirms",
            f"the request lapses unless confirmed within {policy.transfer_confirm_days} days, "
            f"by {expires_at.isoformat()}",
            f"on confirmation the current mapping ends and {to_partner.name} earns commission "
            "on transactions from that moment; the earlier ones stay with the previous partner",
        ),
    )


class TransfersService:
    """Changing the partner of record: the customer's transfer and every consent confirmed by
    its link, expiring requests, and the partner team's operator actions."""

    def __init__(
        self, runtime: Runtime[MappingStore], policy: MappingPolicy, records: RecordKeeper
    ) -> None:
        self._rt = runtime
        self._policy = policy
        self._records = records

    # --- transfers (001 seed) -----------------------------------------------------------------

    def request_transfer(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> ConsentRequest:
        """`kit.mapping.request_transfer`, documented on `MappingService`."""
        require_principal(actor)
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            admin = self._rt.guard.require_customer_admin(
                uow,
                actor,
                customer,
                action="transfer a partner",
                not_found=unseen_customer(customer_id),
                staff=False,
            )
            new_partner = active_partner_by_code(uow, code)
            key = authorised_product(uow, new_partner, product)
            decision = decide_transfer(
                customer,
                key,
                self._records.in_force(uow, customer.id, key),
                new_partner,
                uow.consents.pending(
                    customer_id=customer.id, product=key, kind=ConsentKind.TRANSFER
                ),
                self._rt.now(),
                self._policy,
            )
            decision.raise_refusal()
            # Allowed: a partner of record to move from and a deadline, as the decision says.
            assert decision.from_partner_id is not None and decision.valid_for is not None
            old_partner = load_partner(uow, decision.from_partner_id)
            # Every admin gets the link: the account's admins decide together, and one who did
            # not ask learns that a colleague did.
            request = self._records.request_consent(
                uow,
                ConsentKind.TRANSFER,
                customer,
                key,
                new_partner,
                requested_by=admin.label,
                valid_for=decision.valid_for,
                from_partner=old_partner,
                template="mapping.transfer_requested",
                subject=f"Confirm moving {key} to {new_partner.name}",
                body=(
                    f"{admin.label} asked to move {key} from {old_partner.name} to "
                    f"{new_partner.name}. Confirm through the link within "
                    f"{self._policy.transfer_confirm_days} days."
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

    def confirm(self, token: str, *, actor: Principal) -> ConsentRequest:
        """`kit.mapping.confirm`, documented on `MappingService`."""
        require_principal(actor)
        digest = hash_token(validate.text(token, "token", max_length=200))
        now = self._rt.now()
        with self._rt.uow() as uow:
            request = uow.consents.get_by_token_hash(digest)
            if request is None:
                raise _invalid_confirmation()
            customer = load_customer(uow, request.customer_id)
            confirmer = self._rt.guard.require_customer_admin(
                uow,
                actor,
                customer,
                action="confirm this change",
                not_found=_invalid_confirmation,
            )
            request.check_token(digest, now)
            partner = load_partner(uow, request.partner_id)
            if not partner.is_active:
                # Deactivated since it asked (before its pending requests were withdrawn with
                # it): withdrawn now, with the notice, rather than an error meant for partners.
                return self._withdraw(uow, request, customer, partner)
            confirmed = request.confirm(confirmer.label, now)
            stored = uow.consents.update(confirmed)
            if stored.is_pending:
                return stored
            current = self._records.in_force(uow, request.customer_id, request.product)
            by = confirmed.confirmations[-1].by
            if request.kind is ConsentKind.MAPPING_APPROVAL:
                # 000 case 1 decided when the partner asked; it takes effect now, so it is
                # decided again with the facts of now (a customer who went free since is
                # case 3, one paid again recently case 2).
                decision = decide_mapping(
                    Channel.PARTNER_ADDED,
                    customer,
                    request.product,
                    partner,
                    now,
                    self._policy,
                    current=current,
                    approved=True,
                )
                decision.raise_refusal()
                if decision.action is MappingAction.MAP:
                    self._records.open_decided(
                        uow,
                        decision,
                        partner,
                        reason="approved by the customer through the confirmation link",
                        by=by,
                    )
            else:
                if current is None or current.partner_id != request.from_partner_id:
                    raise NoPartnerOfRecordError(
                        "the partner this transfer was from is no longer of record",
                        details={"customer_id": customer.id, "product": request.product},
                    )
                self._records.end(
                    uow, current, now, "transferred to another partner", stored.requested_by
                )
                self._records.open(
                    uow,
                    customer.id,
                    request.product,
                    partner,
                    Channel.TRANSFER,
                    reason="transfer confirmed by the customer",
                    by=by,
                    # No look-back (decide_transfer's commission_lookback_months is 0): what
                    # came before the confirmation was earned by the previous partner.
                    commission_from=now,
                )
            self._rt.publish(
                uow,
                ConsentEffective(request.kind, request.id, customer.id),
            )
        return stored

    def pending_requests(
        self,
        *,
        partner_id: str | None = None,
        customer_id: str | None = None,
        actor: Principal,
    ) -> list[ConsentRequest]:
        """`kit.mapping.pending_requests`, documented on `MappingService`."""
        guard = self._rt.guard
        principal = require_principal(actor)
        with self._rt.uow(readonly=True) as uow:
            if partner_id is not None:
                guard.require_partner(principal, partner_id, unseen_partner(partner_id))
            if customer_id is not None:
                guard.require_sight(uow, principal, customer_id, unseen_customer(customer_id))
            if not principal.is_staff_or_system:
                # Narrow to the actor's own side; a principal with none (a reseller, for now)
                # sees nothing.
                if principal.role is Role.CUSTOMER_USER:
                    customer_id = principal.customer_id
                elif principal.role is Role.PARTNER_USER:
                    partner_id = principal.partner_id
                else:
                    return []
            return uow.consents.pending(partner_id=partner_id, customer_id=customer_id)

    def cancel_request(self, request_id: str, *, actor: Principal) -> ConsentRequest:
        """`kit.mapping.cancel_request`, documented on `MappingService`."""
        principal = require_principal(actor)
        now = self._rt.now()
        with self._rt.uow() as uow:
            request = uow.consents.get(request_id) if validate.is_ref(request_id) else None
            if request is None or not request.is_pending:
                raise _no_pending_request()
            customer = load_customer(uow, request.customer_id)
            canceller = self._rt.guard.require_party(
                uow,
                principal,
                customer,
                (request.partner_id,),
                action="cancel it",
                not_found=_no_pending_request,
            )
            cancelled = uow.consents.update(request.cancel(now, by=canceller.label))
            self._tell_cancelled(uow, cancelled, customer, canceller)
            self._rt.publish(uow, ConsentCancelled(request.kind, request.id, customer.id))
        return cancelled

    # --- a partner that left: its pending requests are withdrawn (issue 8) -------------------

    def on_partner_deactivated(self, event: PartnerDeactivated) -> None:
        """A partner deactivated (by the partner team, or for inactivity) can no longer gain a
        customer: its approvals and the transfers to it waiting for the customer are withdrawn,
        and the customer's admins told, in the transaction of the deactivation."""
        with self._rt.uow() as uow:
            partner = load_partner(uow, event.partner_id)
            for request in uow.consents.pending(partner_id=partner.id):
                if request.partner_id == partner.id:
                    customer = load_customer(uow, request.customer_id)
                    self._withdraw(uow, request, customer, partner)

    def _withdraw(
        self,
        uow: MappingStore,
        request: ConsentRequest,
        customer: Customer,
        partner: Partner,
    ) -> ConsentRequest:
        """Withdraw a request whose partner is no longer active, with a notice to the
        customer's admins in their words (not the partner's "ask the partner team")."""
        if request.kind is ConsentKind.TRANSFER:
            reason = (
                f"{partner.name} is no longer in the partner program, so {request.product} "
                "stays with your current partner"
            )
            subject = f"Your move of {request.product} to {partner.name} was withdrawn"
        else:
            reason = (
                f"{partner.name} is no longer in the partner program, so it cannot become "
                f"your partner for {request.product}"
            )
            subject = f"{partner.name}'s request to be your partner was withdrawn"
        withdrawn = uow.consents.update(
            request.cancel(self._rt.now(), by="partnerkit", reason=reason)
        )
        for address in [u.email for u in customer.admins]:
            self._rt.send(
                uow,
                Email(
                    to=address,
                    subject=subject,
                    body=f"The request was withdrawn: {reason}. Nothing changed.",
                    template="mapping.request_withdrawn",
                    context={
                        "request_id": request.id,
                        "kind": request.kind.value,
                        "customer_id": customer.id,
                        "product": request.product,
                        "partner": partner.name,
                    },
                ),
            )
        self._rt.publish(uow, ConsentCancelled(request.kind, request.id, customer.id))
        return withdrawn

    def _tell_cancelled(
        self,
        uow: MappingStore,
        request: ConsentRequest,
        customer: Customer,
        canceller: Principal,
    ) -> None:
        """Email every party but the one who cancelled: the account's admins, the partner who
        would have gained it and, for a transfer, the partner of record."""
        partners = [load_partner(uow, request.partner_id)]
        if request.from_partner_id is not None:
            partners.append(load_partner(uow, request.from_partner_id))
        recipients = [u.email for u in customer.admins if u.email != canceller.name]
        recipients += [p.email for p in partners if p.id != canceller.partner_id]
        # Who cancelled, as a party: a partner is not told which of the customer's people it was.
        if canceller.role is Role.CUSTOMER_USER:
            who = f"An admin of {customer.name}"
        elif canceller.role is Role.PARTNER_USER:
            who = next(p.name for p in partners if p.id == canceller.partner_id)
        else:
            who = "The partner team"
        what = "moving" if request.kind is ConsentKind.TRANSFER else "a new partner for"
        for address in dict.fromkeys(recipients):
            self._rt.send(
                uow,
                Email(
                    to=address,
                    subject=f"Cancelled: {what} {request.product} for {customer.name}",
                    body=(
                        f"{who} cancelled the request about {what} {request.product} for "
                        f"{customer.name}. Nothing changes."
                    ),
                    template="mapping.request_cancelled",
                    context={
                        "request_id": request.id,
                        "kind": request.kind.value,
                        "customer_id": customer.id,
                        "product": request.product,
                        "cancelled_by": who,
                    },
                ),
            )

    # --- the partner team's operator actions --------------------------------------------------

    def record_written_consent(
        self,
        customer_id: str,
        product: str,
        partner_id: str,
        *,
        evidence: str,
        actor: Principal,
    ) -> MappingInterval:
        """`kit.mapping.record_written_consent`, documented on `MappingService`."""
        proof = validate.text(evidence, "evidence", max_length=10_000)
        with self._rt.uow() as uow:
            operator = self._rt.guard.require_staff(actor, "record a customer's written consent")
            customer = load_customer(uow, customer_id)
            partner = load_partner(uow, partner_id)
            require_active(partner)
            key = authorised_product(uow, partner, product)
            current = self._records.in_force(uow, customer.id, key)
            if current is not None:
                if current.partner_id == partner.id:
                    return current
                self._records.end(
                    uow,
                    current,
                    self._rt.now(),
                    "moved on the customer's written consent",
                    operator.label,
                )
            return self._records.open(
                uow,
                customer.id,
                key,
                partner,
                Channel.WRITTEN_CONSENT,
                reason="the customer's written consent, forwarded to the partner team",
                by=operator.label,
                commission_from=self._rt.now(),
                evidence=proof,
            )

    def unmap(
        self, customer_id: str, product: str, *, reason: str, actor: Principal
    ) -> MappingInterval:
        """`kit.mapping.unmap`, documented on `MappingService`."""
        why = validate.text(reason, "reason", max_length=500)
        with self._rt.uow() as uow:
            operator = self._rt.guard.require_staff(actor, "unmap a customer")
            key = validate.text(product, "product")
            current = self._records.in_force(uow, load_customer(uow, customer_id).id, key)
            if current is None:
                raise NoPartnerOfRecordError(details={"customer_id": customer_id})
            closed = self._records.end(uow, current, self._rt.now(), why, operator.label)
            self._records.publish_change(uow, closed, MappingEnded)
        return closed

    def next_consent_due(self) -> datetime | None:
        with self._rt.uow(readonly=True) as uow:
            return uow.consents.next_expiry()

    def expire_consents(self, now: datetime) -> int:
        with self._rt.uow() as uow:
            expiring = uow.consents.expiring(now)
            for request in expiring:
                uow.consents.update(request.expire(now))
                self._rt.publish(
                    uow,
                    ConsentExpired(request.kind, request.id, request.customer_id),
                )
        return len(expiring)


def _invalid_confirmation() -> InvalidTokenError:
    return InvalidTokenError("this confirmation link is not valid")


def _no_pending_request() -> InvalidTokenError:
    return InvalidTokenError("no pending request with that id")

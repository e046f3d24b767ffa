"""Online payment through the gateway: saved payment methods, paying invoices, paying all that is
outstanding, and reconciling charges whose outcome the gateway did not tell.

The order of a charge is what makes it safe (Stripe's idempotency keys, Kill Bill's payment
attempts follow the same shape):

1. One transaction, under the customer's billing-account lock: the CP rules first
   (`decide_charge`; a refusal is stored as a failed payment and raised), then the payment row
   with the caller's idempotency key, status `unknown`, is written and committed. The key is
   unique per customer, so of eight callers with one key exactly one writes the row; the
   others find it and never reach the gateway.
2. The gateway is called outside any transaction, under the payment's id as its key, so a
   retry or a reconciliation can only ever find the same charge, never make a second.
3. A second transaction settles the row: succeeded money is recorded and allocated (oldest due
   first, through the service's own allocation) in the same transaction; a decline is stored
   as failed with its code; a timeout stays `unknown` for `run_due` to settle with `lookup`.

The service (`BillingService`) owns the public calls and their documentation; this module does
the work with the service's helpers, so online money is recorded exactly as offline money is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import attrs

from partnerkit import validate
from partnerkit.access import Principal, Role
from partnerkit.access.guard import NotFound
from partnerkit.billing.charging import (
    MAX_DUPLICATE_WINDOW,
    ChargingPolicy,
    PortalFacts,
    RecentCharge,
    decide_charge,
)
from partnerkit.billing.documents import EntryKind
from partnerkit.billing.errors import (
    IdempotencyConflictError,
    InvoicesOfSeveralCustomersError,
    NoPaymentGatewayError,
    PaymentInProgressError,
    PaymentMethodNotFoundError,
    WrongCurrencyError,
    not_found,
)
from partnerkit.billing.gateway import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    PaymentFailure,
    PaymentGateway,
    RefundRequest,
    SavedCard,
)
from partnerkit.billing.invoices import Invoice, InvoiceAction, allocate, transition
from partnerkit.billing.methods import PaymentMethod
from partnerkit.billing.payment_errors import GatewayUnavailableError, PaymentError
from partnerkit.billing.payments import Payment, PaymentMethodKind, PaymentStatus
from partnerkit.billing.ports import BillingStore, PaymentQuery
from partnerkit.errors import ERRORS, InvalidInputError
from partnerkit.money import Money

if TYPE_CHECKING:
    from partnerkit.billing.service import BillingService

__all__ = [
    "IN_PROGRESS_WINDOW",
    "RECONCILE_AFTER",
    "RECONCILE_BATCH",
    "Checkout",
    "RecurringProfileCheck",
]

#: How long an unknown charge is left to its own caller before `run_due` asks the gateway: a
#: charge still in flight must not be settled as never received.
RECONCILE_AFTER = timedelta(minutes=1)

#: How far back an unanswered charge blocks another of the customer's in its currency; also
#: the longest duplicate window (CP3005) a policy may set.
IN_PROGRESS_WINDOW = MAX_DUPLICATE_WINDOW

#: Unknown payments one run of the reconciliation settles.
RECONCILE_BATCH = 100


def _key(value: object) -> str:
    return validate.text(value, "idempotency_key", max_length=200)


def _token(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(
            "A card from the payment page is needed: its token is missing.",
            field=field,
            hint=f"{field} takes the gateway's token for the card",
        )
    # SavedCard refuses what looks like a card number, and a token too long.
    SavedCard(value, "card", "0000", 1, 2000)
    return value


class RecurringProfileCheck(Protocol):
    """Whether the recurring profile (a subscription) an invoice bills still exists:
    `(uow, subscription_id) -> bool`. A payment of an invoice whose profile is gone is refused
    with CP1004 (003 seed: "associated with a deleted recurring profile")."""

    def __call__(self, uow: BillingStore, subscription_id: str, /) -> bool: ...


@attrs.frozen
class _Charge:
    """What the first transaction decided: the payment to charge and how."""

    payment: Payment
    token: str
    saved: bool
    replay: bool
    refusal: PaymentError | None = None


class Checkout:
    """The online half of `kit.billing`: payment methods, `pay`, `pay_all_outstanding`, the
    reconciliation job and refunds to the original card."""

    def __init__(
        self,
        service: BillingService,
        gateway: PaymentGateway | None,
        policy: ChargingPolicy,
    ) -> None:
        self._svc = service
        self._rt = service._rt
        self._gateway = gateway
        self._policy = policy
        #: How to tell whether an invoice's recurring profile (its subscription) still exists
        #: (CP1004): the host registers them; none, and nothing is checked.
        self.profile_checks: list[RecurringProfileCheck] = []

    @property
    def gateway(self) -> PaymentGateway:
        self._require_gateway()
        assert self._gateway is not None
        return self._gateway

    def _require_gateway(self) -> None:
        if self._gateway is None:
            raise NoPaymentGatewayError(
                "Online payments need a payment gateway; this kit has none."
            )

    # --- saved payment methods ----------------------------------------------------------------

    def _method(self, uow: BillingStore, actor: object, method_id: object) -> PaymentMethod:
        # A reseller enters and changes its customers' cards on their behalf (004 seed).
        return self._svc._owned(
            actor,
            method_id,
            self._method_missing(method_id),
            uow.payment_methods.get,
            managed=uow,
        )

    def _make_default(self, uow: BillingStore, method: PaymentMethod) -> PaymentMethod:
        """Make `method` the customer's one default (under the account's lock)."""
        for other in uow.payment_methods.for_customer(method.customer_id):
            if other.default and other.id != method.id:
                uow.payment_methods.update(attrs.evolve(other, default=False))
        if method.default:
            return method
        return uow.payment_methods.update(attrs.evolve(method, default=True))

    def _save(self, uow: BillingStore, cid: str, token: str, *, default: bool) -> PaymentMethod:
        card = self.gateway.save_card(cid, token)
        now = self._rt.now()
        method = PaymentMethod(
            id=self._rt.new_sequential_id("pm"),
            customer_id=cid,
            token=card.token,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            default=False,
            added_at=now,
            updated_at=now,
        )
        uow.payment_methods.add(method)
        # The first card a customer saves is the one auto-charges use, until told otherwise.
        if default or uow.payment_methods.default(cid) is None:
            method = self._make_default(uow, method)
        return method

    def add_method(
        self, customer_id: object, card: object, *, default: bool, actor: Principal
    ) -> PaymentMethod:
        token = _token(card, "card")
        flag = validate.flag(default, "default")
        self._require_gateway()
        with self._rt.uow() as uow:
            cid = self._svc._customer(uow, actor, customer_id, managed=True, change=True)
            uow.billing_accounts.lock(cid)
            return self._save(uow, cid, token, default=flag)

    def methods(self, customer_id: object, *, actor: Principal) -> list[PaymentMethod]:
        with self._rt.uow(readonly=True) as uow:
            cid = self._svc._customer(uow, actor, customer_id, managed=True)
            return uow.payment_methods.for_customer(cid)

    def set_default(self, method_id: object, *, actor: Principal) -> PaymentMethod:
        with self._rt.uow() as uow:
            method = self._method(uow, actor, method_id)
            uow.billing_accounts.lock(method.customer_id)
            method = self._method(uow, actor, method_id)
            return self._make_default(uow, method)

    def update_method(self, method_id: object, card: object, *, actor: Principal) -> PaymentMethod:
        token = _token(card, "card")
        with self._rt.uow() as uow:
            method = self._method(uow, actor, method_id)
            uow.billing_accounts.lock(method.customer_id)
            method = self._method(uow, actor, method_id)
            saved = self.gateway.save_card(method.customer_id, token)
            # The id stays: the default and whatever else points at the method (a
            # subscription's auto-charge) now charge the new card.
            return uow.payment_methods.update(
                attrs.evolve(
                    method,
                    token=saved.token,
                    brand=saved.brand,
                    last4=saved.last4,
                    exp_month=saved.exp_month,
                    exp_year=saved.exp_year,
                    updated_at=self._rt.now(),
                )
            )

    def remove_method(self, method_id: object, *, actor: Principal) -> None:
        with self._rt.uow() as uow:
            method = self._method(uow, actor, method_id)
            uow.billing_accounts.lock(method.customer_id)
            method = self._method(uow, actor, method_id)
            uow.payment_methods.remove(method.id)
            if method.default:
                # The oldest card left takes over auto-charges, so that they keep working.
                rest = uow.payment_methods.for_customer(method.customer_id)
                if rest:
                    self._make_default(uow, rest[0])

    # --- paying -------------------------------------------------------------------------------

    def _targets(
        self, uow: BillingStore, actor: Principal, invoice_ids: Sequence[str]
    ) -> tuple[str, list[Invoice]]:
        # Read without locks: the billing account is locked first, then the invoices (one order
        # for every billing writer, so none deadlocks).
        invoices = [self._svc._invoice(uow, actor, i) for i in sorted(invoice_ids)]
        if len({i.customer_id for i in invoices}) > 1:
            raise InvoicesOfSeveralCustomersError(
                "Those invoices belong to more than one customer.", field="invoice_ids"
            )
        return invoices[0].customer_id, invoices

    @staticmethod
    def _payable(invoices: Sequence[Invoice]) -> None:
        currencies = {i.currency for i in invoices}
        if len(currencies) > 1:
            raise WrongCurrencyError(
                "One payment pays invoices in one currency; those are in "
                + ", ".join(sorted(currencies))
                + ".",
                field="invoice_ids",
            )
        for invoice in invoices:
            if not invoice.is_outstanding:
                transition(invoice.status, InvoiceAction.PAY_PART, number=invoice.number)

    def _portal(
        self, uow: BillingStore, cid: str, actor: Principal, targets: Sequence[Invoice]
    ) -> PortalFacts:
        # CP1003 and CP2001 are the customer portal's rules (003 seed, "Troubleshooting"): they
        # meet a customer's user paying there, not staff nor an auto-charge the system runs.
        contact_deleted = False
        in_portal = actor.role is Role.CUSTOMER_USER
        if in_portal:
            head = uow.customers.head(cid, user=actor.name)
            contact_deleted = head is None or head.user is None
        profiles = {i.subscription_id for i in targets if i.subscription_id is not None}
        return PortalFacts(
            contact_deleted=contact_deleted,
            recurring_profile_deleted=any(
                not check(uow, profile)
                for profile in sorted(profiles)
                for check in self.profile_checks
            ),
            default_tax_missing=in_portal and uow.tax_rates.default() is None,
        )

    @staticmethod
    def _lately(uow: BillingStore, cid: str, now: datetime) -> list[Payment]:
        """The customer's payments of the last day, at most 500: one index range, whatever
        the customer's history (the in-progress rule and CP3005 read them)."""
        return uow.payments.page(
            cid, PaymentQuery(received_from=now - IN_PROGRESS_WINDOW, limit=500)
        )

    def _recent(
        self, lately: list[Payment], method: PaymentMethod | None, now: datetime
    ) -> list[RecentCharge]:
        if method is None:
            return []
        return [
            RecentCharge(p.received_at, p.amount, method.token, p.idempotency_key or p.id)
            for p in lately
            if p.payment_method_id == method.id
            and p.status is not PaymentStatus.FAILED
            and p.received_at <= now
        ]

    @staticmethod
    def _not_in_progress(lately: list[Payment], total: Money) -> None:
        """Refuse a second charge while one in the currency has no answer from the gateway:
        two payers with two keys would otherwise both be charged for the same invoices."""
        pending = next(
            (
                p
                for p in lately
                if p.status is PaymentStatus.UNKNOWN
                and p.method is PaymentMethodKind.ONLINE
                and p.currency == total.currency
            ),
            None,
        )
        if pending is not None:
            raise PaymentInProgressError(
                f"Payment {pending.number} is still waiting for the gateway's answer.",
                details={"payment": pending.number, "payment_id": pending.id},
            )

    def _begin(
        self,
        invoice_ids: Sequence[str] | None,
        customer_id: str | None,
        currency: str | None,
        *,
        method_id: object,
        card: object,
        save_for_future: bool,
        key: str,
        actor: Principal,
    ) -> _Charge:
        """Step 1: the CP rules, then the payment row with its key, committed."""
        gateway = self.gateway
        with self._rt.uow() as uow:
            if invoice_ids is not None:
                cid, targets = self._targets(uow, actor, invoice_ids)
            else:
                assert customer_id is not None
                cid = customer_id
            principal = self._rt.guard.require_own_account(
                actor, cid, lambda: self._rt.guard.account_not_found(cid)
            )
            account = uow.billing_accounts.lock(cid)
            method = None if method_id is None else self._method(uow, principal, method_id)
            if method is not None and method.customer_id != cid:
                raise self._method_missing(method_id)()
            first = uow.payments.get_by_key(cid, key)
            if first is not None:
                # A replay: the same key with the same way of paying returns the first result.
                if first.method is not PaymentMethodKind.ONLINE or (
                    method is not None and first.payment_method_id != method.id
                ):
                    raise IdempotencyConflictError(
                        "that idempotency key was used for another payment",
                        details={"idempotency_key": key},
                    )
                return _Charge(first, "", False, replay=True)
            # Read under the lock: what another payer settled meanwhile counts.
            if invoice_ids is not None:
                targets = [
                    self._svc._invoice(uow, principal, i.id, for_update=True) for i in targets
                ]
                self._payable(targets)
            else:
                assert currency is not None
                targets = uow.invoices.outstanding(cid, currency, for_update=True)
            if not targets:
                raise InvalidInputError("Nothing is outstanding to pay.", field="invoice_ids")
            total = targets[0].balance_due
            for invoice in targets[1:]:
                total = total + invoice.balance_due
            now = self._rt.now()
            lately = self._lately(uow, cid, now)
            self._not_in_progress(lately, total)
            token = _token(card, "card") if method is None else method.token
            saved = method_id is not None
            # A card kept "for future transactions" is charged again without the customer:
            # its first charge sets up recurring payments, which the gateway must support.
            request = ChargeRequest(
                idempotency_key=key,
                customer_id=cid,
                amount=total,
                payment_method=token,
                saved_card=saved,
                recurring=save_for_future,
                description="Payment of " + ", ".join(i.number for i in targets)[:480],
            )
            refusal = decide_charge(
                request,
                gateway.capabilities(),
                # CP3005 guards a person paying twice by mistake in the portal; an auto-charge
                # or staff charging another invoice of the same amount is not that.
                self._recent(lately, method, now) if principal.role is Role.CUSTOMER_USER else [],
                now,
                self._policy,
                portal=self._portal(uow, cid, principal, targets),
            )
            error = None if refusal is None else refusal.error()
            if error is None and method is None and save_for_future:
                # Saved only for a charge that goes ahead: a refused one keeps no card.
                method = self._save(uow, cid, token, default=True)
                token = method.token
            payment = Payment(
                id=self._rt.new_id("pay"),
                customer_id=cid,
                number=self._svc._number(uow, account, EntryKind.PAYMENT),
                amount=total,
                method=PaymentMethodKind.ONLINE,
                status=PaymentStatus.UNKNOWN if error is None else PaymentStatus.FAILED,
                received_at=now,
                recorded_at=now,
                recorded_by=principal.label,
                unapplied=Money.zero(total.currency),
                refunded=Money.zero(total.currency),
                # A refusal before the gateway binds no key: once fixed, the same request goes.
                idempotency_key=key if error is None else None,
                failure_code=None if error is None else error.code,
                payment_method_id=None if method is None else method.id,
            )
            uow.payments.add(payment)
        return _Charge(payment, token, saved, replay=False, refusal=error)

    @staticmethod
    def _method_missing(method_id: object) -> NotFound:
        return not_found(
            PaymentMethodNotFoundError, "payment method", "payment_method_id", method_id
        )

    def _charge(self, charge: _Charge) -> ChargeResult:
        """Step 2: the gateway, outside any transaction, under the payment's id."""
        payment = charge.payment
        request = ChargeRequest(
            idempotency_key=payment.id,
            customer_id=payment.customer_id,
            amount=payment.amount,
            payment_method=charge.token,
            saved_card=charge.saved,
            description=f"Payment {payment.number}",
        )
        try:
            return self.gateway.charge(request)
        except GatewayUnavailableError:
            return ChargeResult(payment.id, ChargeStatus.UNKNOWN, payment.amount)

    def _settle(
        self, payment_id: str, result: ChargeResult, invoice_ids: Sequence[str] | None
    ) -> Payment:
        """Step 3: record what the gateway did, the money and its allocation in one transaction."""
        with self._rt.uow() as uow:
            found = uow.payments.get(payment_id)
            assert found is not None
            uow.billing_accounts.lock(found.customer_id)
            payment = uow.payments.get(payment_id, for_update=True)
            assert payment is not None
            if payment.status is not PaymentStatus.UNKNOWN or result.unknown:
                return payment  # settled already (by the caller or by reconciliation)
            now = self._rt.now()
            if not result.succeeded:
                failure = result.failure
                return uow.payments.update(
                    attrs.evolve(
                        payment,
                        status=PaymentStatus.FAILED,
                        failure_code=None if failure is None else failure.code,
                    )
                )
            money = payment.amount
            if invoice_ids is None:
                targets = uow.invoices.outstanding(
                    payment.customer_id, money.currency, for_update=True
                )
            else:
                targets = [
                    i
                    for i in (
                        uow.invoices.get(invoice_id, for_update=True)
                        for invoice_id in sorted(invoice_ids)
                    )
                    if i is not None and i.is_outstanding and i.currency == money.currency
                ]
            # Another payer may have settled part meanwhile: never beyond a balance; the rest
            # is the customer's credit.
            split = allocate(money, targets)
            # The gateway's time, but never ahead of the kit's: its clock may run a little
            # fast, and money is not received in the future (commission refuses such dates).
            when = now if result.at is None else min(result.at, now)
            payment = uow.payments.update(
                attrs.evolve(
                    payment,
                    status=PaymentStatus.SUCCEEDED,
                    unapplied=split.excess,
                    gateway_reference=result.reference,
                    received_at=when,
                )
            )
            self._svc._received(uow, payment, targets, split, now=now)
            return payment

    @staticmethod
    def _outcome(payment: Payment) -> Payment:
        """The payment, or its failure raised as the typed payment error."""
        if payment.status is PaymentStatus.FAILED and payment.failure_code is not None:
            error = ERRORS[payment.failure_code](
                details={"payment_id": payment.id, "payment": payment.number}
            )
            raise error
        return payment

    def pay(
        self,
        invoice_ids: Sequence[str] | None,
        *,
        customer_id: str | None = None,
        currency: str | None = None,
        method_id: object,
        card: object,
        save_for_future: bool,
        idempotency_key: object,
        actor: Principal,
    ) -> Payment:
        key = _key(idempotency_key)
        if (method_id is None) == (card is None):
            raise InvalidInputError(
                "Pay with a saved payment method or a card from the payment page, one of them.",
                field="method_id",
                hint="pay(..., method_id=...) or pay(..., card=token)",
            )
        flag = validate.flag(save_for_future, "save_for_future")
        if invoice_ids is not None:
            if isinstance(invoice_ids, str | bytes) or not isinstance(invoice_ids, Sequence):
                raise InvalidInputError("Name the invoices as a list.", field="invoice_ids")
            if not invoice_ids or len(invoice_ids) > 500:
                raise InvalidInputError("Name 1 to 500 invoices.", field="invoice_ids")
            invoice_ids = list(dict.fromkeys(invoice_ids))
        try:
            charge = self._begin(
                invoice_ids,
                customer_id,
                currency,
                method_id=method_id,
                card=card,
                save_for_future=flag,
                key=key,
                actor=actor,
            )
        except IdempotencyConflictError:
            # Two first callers with one key: the unique key let one write; the other finds it.
            charge = self._begin(
                invoice_ids,
                customer_id,
                currency,
                method_id=method_id,
                card=card,
                save_for_future=flag,
                key=key,
                actor=actor,
            )
        if charge.refusal is not None:
            raise charge.refusal
        if charge.replay:
            return self._outcome(charge.payment)
        result = self._charge(charge)
        return self._outcome(self._settle(charge.payment.id, result, invoice_ids))

    def pay_all(
        self,
        customer_id: object,
        *,
        method_id: object,
        card: object,
        save_for_future: bool,
        idempotency_key: object,
        actor: Principal,
    ) -> list[Payment]:
        key = _key(idempotency_key)
        with self._rt.uow(readonly=True) as uow:
            cid = self._svc._customer(uow, actor, customer_id)
            currencies = [c for c, _, _ in uow.invoices.outstanding_totals(cid)]
        if not currencies:
            return []
        if card is not None and len(currencies) > 1:
            # A card from the payment page charges once: keep it to charge once per currency.
            self._require_gateway()
            method = self.add_method(cid, card, default=bool(save_for_future), actor=actor)
            method_id, card, save_for_future = method.id, None, False
        return [
            self.pay(
                None,
                customer_id=cid,
                currency=currency,
                method_id=method_id,
                card=card,
                save_for_future=save_for_future,
                idempotency_key=f"{key}:{currency}",
                actor=actor,
            )
            for currency in currencies
        ]

    # --- reconciliation -----------------------------------------------------------------------

    def next_reconcile_due(self) -> datetime | None:
        if self._gateway is None:
            return None
        with self._rt.uow(readonly=True) as uow:
            first = uow.payments.next_unknown()
        return None if first is None else first + RECONCILE_AFTER

    def reconcile(self, now: datetime) -> int:
        """Ask the gateway what became of each unknown charge old enough; settle it."""
        if self._gateway is None:
            return 0
        with self._rt.uow(readonly=True) as uow:
            due = [
                p
                for p in uow.payments.unknown(RECONCILE_BATCH)
                if p.recorded_at + RECONCILE_AFTER <= now
            ]
        settled = 0
        for payment in due:
            try:
                result = self._gateway.lookup(payment.id)
            except GatewayUnavailableError:
                continue  # still unknown: asked again on the next run
            if result is None:
                # The gateway never received it: nothing moved, and nothing will.
                result = ChargeResult(
                    payment.id,
                    ChargeStatus.FAILED,
                    payment.amount,
                    failure=_unreached(),
                )
            if self._settle(payment.id, result, None).status is not PaymentStatus.UNKNOWN:
                settled += 1
        return settled

    # --- refunds ------------------------------------------------------------------------------

    def refund_online(self, payment: Payment, money: Money, refund_id: str) -> str:
        """Give money back to the card an online payment charged; the gateway's reference."""
        if payment.gateway_reference is None:
            raise InvalidInputError(
                "This payment has no charge at the gateway to refund.", field="payment_id"
            )
        result = self.gateway.refund(
            RefundRequest(refund_id, payment.gateway_reference, money, "refund")
        )
        if result.succeeded:
            assert result.reference is not None
            return result.reference
        error = result.error()
        if error is not None:
            raise error
        # Unknown: nothing is recorded; the same refund again asks the gateway under the same
        # key, which answers what it did rather than refunding twice.
        raise GatewayUnavailableError(
            "The gateway did not confirm the refund; nothing was recorded. Refund the same "
            "amount again to settle it.",
            details={"payment": payment.number},
        )


def _unreached() -> PaymentFailure:
    return PaymentFailure.of(GatewayUnavailableError, gateway_code="not_received")

"""`kit.commissions`: commission plans, the append-only commission ledger, and statements; the
ledger's values (plans, entries) are in `commission_values`, where storage adapters find them.

A collected transaction earns commission for the partner whose window covers it (the window
comes from the mapping history); refunds are negative entries; statements round once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.billing.events import PaymentRecorded, PaymentRefunded, ReturnedRevenue
from partnerkit.billing.invoices import RevenueShare
from partnerkit.clock import ensure_aware_utc
from partnerkit.errors import FloatAmountError, InvalidInputError
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan, EntryKind
from partnerkit.mapping.errors import (
    CommissionConflictError,
    CommissionNotFoundError,
    PartnerNotFoundError,
)
from partnerkit.mapping.events import CommissionBooked
from partnerkit.mapping.partners import load_partner, unseen_partner
from partnerkit.mapping.policy import PartnerActivity
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import MappingInterval, start_of_day
from partnerkit.money import Money, apportion
from partnerkit.runtime import Runtime

__all__ = [
    "MAX_LIMIT_MONTHS",
    "RATE_DIGITS",
    "CommissionStatement",
    "CommissionsService",
    "StatementLine",
    "apportion",
]

_HUNDRED = Decimal(100)


@attrs.frozen
class StatementLine:
    """A statement's line: one customer, product and currency.

    Attributes:
        customer_id: The customer account.
        product: The product.
        currency: The ISO 4217 code.
        base: The sum of the transactions.
        commission: The commission, apportioned from the rounded total.
        entries: How many ledger entries it sums.
    """

    customer_id: str
    product: str
    currency: str
    base: Money
    commission: Money
    entries: int


@attrs.frozen
class CommissionStatement:
    """A partner's commission from `start` to `end`, both days included, per customer and product.

    Attributes:
        partner_id: The partner.
        start: The first day.
        end: The last day.
        lines: One per customer, product and currency.
        totals: One per currency; each currency's lines add up to its total exactly.
    """

    partner_id: str
    start: date
    end: date
    lines: tuple[StatementLine, ...]
    totals: tuple[Money, ...]


#: The longest rate, written out: the width of its column (`commission_plans.rate`).
RATE_DIGITS = 40
#: A plan's longest limit: a century of months, well inside what every engine stores.
MAX_LIMIT_MONTHS = 1200


class CommissionsService:
    """`kit.commissions`: commission plans, the commission ledger, and partners' statements.

    A collected transaction earns commission for the partner whose commission window covers it:
    the window comes from the mapping history (a 000 use-case-1 mapping reaches back a month, a
    use-case-2 one covers all transactions, a transfer starts at its confirmation) and the partner's
    plan may cap it. The ledger is append-only: a refund is a negative entry, never a deletion.
    Statements round once per currency and apportion the total, so their lines add up to the cent.
    """

    def __init__(
        self,
        runtime: Runtime[MappingStore],
        *,
        activity: Iterable[PartnerActivity] = frozenset(PartnerActivity),
    ) -> None:
        self._rt = runtime
        # 000: a partner whose customers pay through it is not "inactive for a long time".
        self._payments_count = PartnerActivity.CUSTOMER_PAYMENT in frozenset(activity)

    def set_plan(
        self,
        partner_id: str,
        *,
        rate: Decimal | int | str,
        limit_months: int | None = None,
        actor: Principal,
    ) -> CommissionPlan:
        """Give a partner its commission plan: the percentage it earns, and for how long.

        The plan replaces the partner's current one; transactions booked from now on earn at the new
        rate, and entries already booked keep theirs. The rate runs from 0 to 100, both included:
        0 books a partner's transactions at 0.00 (on the ledger, unpaid), 100 passes all of each
        one on; a partner with no plan books nothing. A higher or negative rate is refused.

        Args:
            partner_id: The partner's id.
            rate: The percentage of each collected transaction, 0 to 100, as a Decimal, an int or a
                string (`Decimal("20")` is 20 %); never a float.
            limit_months: How many months after a mapping starts the partner earns on that customer
                (1 to 1200); None for as long as it is of record.
            actor: Who acts: staff or the system only.

        Returns:
            The partner's plan now.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            PartnerNotFoundError: No such partner (`partner.not_found`).
            FloatAmountError: `rate` is a float (`money.float_amount`).
            InvalidInputError: `rate` is not a number from 0 to 100 (or has more than 40
                characters), or `limit_months` is out of range (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        percent = _rate(rate)
        if limit_months is not None and (
            isinstance(limit_months, bool)
            or not isinstance(limit_months, int)
            or not 1 <= limit_months <= MAX_LIMIT_MONTHS
        ):
            raise InvalidInputError(
                f"the commission limit must be a whole number of months from 1 to "
                f"{MAX_LIMIT_MONTHS}",
                field="limit_months",
            )
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "set a commission plan")
            load_partner(uow, partner_id)
            current = uow.commission_plans.get(partner_id)
            plan = CommissionPlan(
                partner_id,
                percent,
                self._rt.now(),
                limit_months,
                version=1 if current is None else current.version + 1,
            )
            uow.commission_plans.put(plan)
        return plan

    def plan(self, partner_id: str, *, actor: Principal) -> CommissionPlan | None:
        """A partner's commission plan.

        Args:
            partner_id: The partner's id.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            The plan, or None when the partner has none (it earns nothing).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            return uow.commission_plans.get(partner_id)

    def accrue(
        self,
        customer_id: str,
        product: str,
        *,
        transaction_id: str,
        amount: Money,
        occurred_at: datetime,
        actor: Principal,
    ) -> CommissionEntry | None:
        """Book commission on a collected transaction, for the partner whose window covers it.

        The earner is the partner of record whose commission window covers `occurred_at`: a
        use-case-1 mapping earns on the month before its approval, a use-case-2 one on all the
        customer's transactions since it became paid, a free customer's provisional one until its
        3 months end, a transfer's new partner from the confirmation on (000, 001 seeds);
        the plan's `limit_months` may end the window sooner. The commission is `rate` percent of the
        amount, kept exact until a statement rounds it. Booking the same transaction again returns
        the first entry, also when two bookings race; with other figures, or for another customer or
        product, it is refused. A refund is not a negative accrual: book it with `reverse`.

        A payment is the activity of the partner whose window covers it, at `occurred_at`
        (`MappingPolicy.activity`), plan or no plan: "whose customers pay through it" is not
        "inactive for a long time".

        Args:
            customer_id: The account the transaction belongs to.
            product: The product's catalog key.
            transaction_id: Your id of the transaction: one booking per id, forever.
            amount: The collected amount, zero or more.
            occurred_at: When it was collected (aware); not in the future.
            actor: Who acts: the system (from a payment) or staff.

        Returns:
            The booked entry, or None when no partner earns on the transaction (no mapping then, or
                no plan).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CommissionConflictError: The transaction was booked already with other figures
                (`commission.transaction_conflict`).
            InvalidInputError: `amount` is not Money or is negative, `occurred_at` is naive, not a
                datetime or in the future, or an id is empty (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        txn = validate.text(transaction_id, "transaction_id", max_length=100)
        customer_id = validate.text(customer_id, "customer_id", max_length=40)
        product = validate.text(product, "product", max_length=40)
        money = _money(amount)
        if money.is_negative:
            raise InvalidInputError(
                "a collected amount is never negative: book a refund as a refund",
                field="amount",
                hint="kit.commissions.reverse() books a refund against its transaction",
            )
        when = _instant(occurred_at)
        if when > self._rt.now():
            # Only collected money earns commission; a future date could also land in a window
            # that a later transfer hands to another partner.
            raise InvalidInputError(
                "the transaction is dated in the future: book transactions once they are collected",
                field="occurred_at",
            )
        # Racing bookings of one transaction are decided by its unique key; should the engine
        # give up on one of them instead (a deadlock victim), the booking runs again and finds
        # the first.
        return self._rt.retrying(lambda: self._book(customer_id, product, txn, money, when, actor))

    def _book(
        self,
        customer_id: str,
        product: str,
        txn: str,
        money: Money,
        when: datetime,
        actor: Principal,
    ) -> CommissionEntry | None:
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "book commission")
            booked = uow.commissions.get_by_transaction(txn)
            if booked is not None:
                return _same_or_conflict(booked, customer_id, product, money, when)
            interval, plan = self._earner(uow, customer_id, product, when)
            if interval is not None and self._payments_count:
                uow.partners.touch(interval.partner_id, when)
            if interval is None or plan is None:
                return None
            entry = CommissionEntry(
                id=self._rt.new_id("com"),
                partner_id=interval.partner_id,
                customer_id=customer_id,
                product=product,
                transaction_id=txn,
                kind=EntryKind.ACCRUAL,
                base=money,
                rate=plan.rate,
                commission_exact=money.amount * plan.rate / _HUNDRED,
                occurred_at=when,
                booked_at=self._rt.now(),
                interval_id=interval.id,
            )
            try:
                uow.commissions.add(entry)
            except CommissionConflictError:
                # A concurrent booking of the same transaction won (the unique constraint
                # decided): a replay gets the first entry, other figures a conflict.
                winner = uow.commissions.get_by_transaction(txn)
                if winner is None:
                    raise
                return _same_or_conflict(winner, customer_id, product, money, when)
            self._rt.publish(uow, _booked(entry))
        return entry

    def reverse(
        self,
        original_transaction_id: str,
        *,
        transaction_id: str,
        occurred_at: datetime,
        amount: Money | None = None,
        actor: Principal,
    ) -> CommissionEntry:
        """Book a refund of a booked transaction: a negative entry for the partner who earned it.

        The entry takes back the commission at the original rate, for all of the original amount or
        `amount` of it; nothing is deleted. All refunds of one transaction together never exceed it,
        under any number of concurrent callers. Booking the same refund again returns the first one.

        Args:
            original_transaction_id: The id the original transaction was accrued under.
            transaction_id: Your id of the refund: one booking per id, forever.
            occurred_at: When the refund was paid out (aware); not in the future.
            amount: How much was refunded, positive, in the original currency; None for all of it.
            actor: Who acts: the system or staff.

        Returns:
            The reversal entry.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CommissionNotFoundError: No commission was booked for the original transaction
                (`commission.not_found`).
            CommissionConflictError: `transaction_id` is booked already for something else, or with
                other figures (`commission.transaction_conflict`).
            InvalidInputError: `amount` is not positive, in another currency, or would take the
                refunds past the original; or `occurred_at` is naive or in the future
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        txn = validate.text(transaction_id, "transaction_id", max_length=100)
        when = _instant(occurred_at)
        if when > self._rt.now():
            raise InvalidInputError(
                "the refund is dated in the future: book refunds once they are paid out",
                field="occurred_at",
            )
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "book a commission reversal")
            # Lock the accrual before counting its refunds: refunds racing for one transaction
            # then take turns, and together never exceed it.
            original = (
                uow.commissions.get_by_transaction(original_transaction_id, for_update=True)
                if validate.is_ref(original_transaction_id)
                else None
            )
            if original is None or original.kind is not EntryKind.ACCRUAL:
                raise CommissionNotFoundError(
                    f"no commission was booked for {original_transaction_id!r}",
                    details={"field": "original_transaction_id"},
                )
            refund = original.base if amount is None else _money(amount)
            if refund.currency != original.base.currency or not refund.is_positive:
                raise InvalidInputError(
                    "the refund must be a positive amount in the original currency",
                    field="amount",
                )
            negative = -refund
            booked = uow.commissions.get_by_transaction(txn)
            if booked is not None:
                # A replay returns the first booking, checked before the cap: the cap already
                # counts this very refund.
                if booked.reverses != original.transaction_id:
                    raise CommissionConflictError(
                        f"transaction {txn!r} is already booked for something else",
                        details={"transaction_id": txn},
                    )
                return _same_or_conflict(
                    booked, original.customer_id, original.product, negative, when
                )
            already = sum(
                (-e.base.amount for e in uow.commissions.reversals_of(original.transaction_id)),
                Decimal(0),
            )
            if already + refund.amount > original.base.amount:
                raise InvalidInputError(
                    "refunds would exceed the original transaction", field="amount"
                )
            entry = attrs.evolve(
                original,
                id=self._rt.new_id("com"),
                transaction_id=txn,
                kind=EntryKind.REVERSAL,
                base=negative,
                commission_exact=negative.amount * original.rate / _HUNDRED,
                occurred_at=when,
                booked_at=self._rt.now(),
                reverses=original.transaction_id,
            )
            uow.commissions.add(entry)
            self._rt.publish(uow, _booked(entry))
        return entry

    # --- money billing collects ---------------------------------------------------------------

    def on_payment_recorded(self, event: PaymentRecorded) -> None:
        """Book commission on a collected payment, inside its transaction.

        Each product line's net revenue in the payment (`AppliedAmount.revenue`) is accrued for
        the partner of record whose window covers the payment, under the transaction id
        `<payment>/<invoice>/<line>`: the partner's commission statement then adds up, to the
        cent, to what the customer's statement shows paid on that product. Money that paid no
        invoice (credit) is no revenue and earns nothing. The kit runs this; a host does not.

        Args:
            event: The payment billing recorded.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        for applied in event.applied:
            for share in applied.revenue:
                self.accrue(
                    event.customer_id,
                    share.product,
                    transaction_id=_revenue_id(event.payment_id, applied.invoice_id, share),
                    amount=share.amount,
                    occurred_at=event.received_at,
                    actor=_SYSTEM,
                )

    def on_payment_refunded(self, event: PaymentRefunded) -> None:
        """Book the reversal of the commission on revenue a refund gives back, inside its
        transaction: each `ReturnedRevenue` reverses the accrual of that payment's line, at
        most what is left of it, under `<refund>/<n>`. Revenue no partner earned on (no
        mapping, no plan) reverses nothing. The kit runs this; a host does not.

        Args:
            event: The refund billing recorded.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        if not event.returned:
            return  # no revenue back: not even a savepoint
        with self._rt.uow() as uow:
            for n, back in enumerate(event.returned):
                reversal_id = f"{event.refund_id}/{n}"
                if uow.commissions.get_by_transaction(reversal_id) is not None:
                    continue  # the same refund delivered again: booked once
                original_id = _revenue_id(back.payment_id, back.invoice_id, back)
                original = uow.commissions.get_by_transaction(original_id, for_update=True)
                if original is None or original.kind is not EntryKind.ACCRUAL:
                    continue
                taken = sum(
                    (-e.base.amount for e in uow.commissions.reversals_of(original_id)),
                    Decimal(0),
                )
                left = original.base.amount - taken
                amount = min(back.amount.amount, left)
                if amount > 0:
                    self.reverse(
                        original_id,
                        transaction_id=reversal_id,
                        occurred_at=event.refunded_at,
                        amount=Money(amount, back.amount.currency),
                        actor=_SYSTEM,
                    )

    def entries(self, partner_id: str, *, actor: Principal) -> list[CommissionEntry]:
        """A partner's commission ledger: every accrual and reversal booked for it.

        Args:
            partner_id: The partner's id.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            The entries, by the time the transaction occurred.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            return uow.commissions.for_partner(partner_id)

    def statement(
        self, partner_id: str, start: date, end: date, *, actor: Principal
    ) -> CommissionStatement:
        """A partner's commission statement for a period, per customer and product, to the cent.

        Covers the transactions that occurred from `start` to `end`, both days included (UTC). Each
        currency's total is rounded once, then apportioned over the lines, so the lines add up to
        the total exactly.

        Args:
            partner_id: The partner's id.
            start: The first day.
            end: The last day, not before `start`.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            The statement: one line per customer, product and currency, and one total per currency.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            InvalidInputError: `start` or `end` is not a date, or `end` is before `start`
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        first = validate.as_date(start, "start")
        last = validate.as_date(end, "end")
        if last < first:
            raise InvalidInputError("end is before start", field="end")
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            if uow.partners.get(partner_id) is None:
                raise PartnerNotFoundError(f"no partner {partner_id!r}")
            rows = uow.commissions.for_partner(
                partner_id, start_of_day(first), start_of_day(last + timedelta(days=1))
            )
        groups: dict[tuple[str, str, str], list[CommissionEntry]] = defaultdict(list)
        for entry in rows:
            groups[(entry.customer_id, entry.product, entry.base.currency)].append(entry)
        lines: list[StatementLine] = []
        totals: list[Money] = []
        for currency in sorted({k[2] for k in groups}):
            keys = sorted(k for k in groups if k[2] == currency)
            exact = [sum((e.commission_exact for e in groups[k]), Decimal(0)) for k in keys]
            total = Money.rounded(sum(exact, Decimal(0)), currency)
            for key, commission in zip(keys, apportion(total, exact), strict=True):
                entries = groups[key]
                base = sum((e.base for e in entries), Money.zero(currency))
                lines.append(
                    StatementLine(key[0], key[1], currency, base, commission, len(entries))
                )
            totals.append(total)
        return CommissionStatement(partner_id, first, last, tuple(lines), tuple(totals))

    @staticmethod
    def _earner(
        uow: MappingStore, customer_id: str, product: str, when: datetime
    ) -> tuple[MappingInterval | None, CommissionPlan | None]:
        """The interval whose window holds `when` (under its partner's plan's limit), and the
        plan; the interval without a plan when its partner has none."""
        for interval in uow.records.earning_at(customer_id, product, when):
            plan = uow.commission_plans.get(interval.partner_id)
            limit = None if plan is None else plan.limit_months
            if interval.earns_on(when, limit):
                return interval, plan
        return None, None


def _booked(entry: CommissionEntry) -> CommissionBooked:
    return CommissionBooked(entry.id, entry.partner_id, entry.transaction_id, entry.commission)


def _same_or_conflict(
    booked: CommissionEntry, customer_id: str, product: str, money: Money, when: datetime
) -> CommissionEntry:
    if (booked.customer_id, booked.product, booked.base, booked.occurred_at) == (
        customer_id,
        product,
        money,
        when,
    ):
        return booked
    raise CommissionConflictError(
        f"transaction {booked.transaction_id!r} was booked with other figures",
        details={"transaction_id": booked.transaction_id},
    )


def _rate(rate: object) -> Decimal:
    if isinstance(rate, float):
        raise FloatAmountError(
            "the commission rate must be an exact number, such as '12.5'",
            field="rate",
            hint="rate takes a Decimal, an int or a string, not a float",
        )
    try:
        value = Decimal(str(rate)) if isinstance(rate, int | str) else rate
    except ArithmeticError:
        raise InvalidInputError("the commission rate is not a number", field="rate") from None
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInputError(
            "the commission rate must be a percentage from 0 to 100", field="rate"
        )
    # Stored as exact text in a column of RATE_DIGITS characters on every engine: refuse here
    # what one engine would take and another would reject.
    if len(str(value)) > RATE_DIGITS:
        raise InvalidInputError(
            f"the commission rate has more than {RATE_DIGITS} characters; round it", field="rate"
        )
    return value


def _money(amount: object) -> Money:
    if not isinstance(amount, Money):
        raise InvalidInputError(
            "the amount must be an amount of money in a currency",
            field="amount",
            hint=f"amount takes a Money, not {type(amount).__name__}",
        )
    return amount


def _instant(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError(
            "the transaction must be dated with a moment in time",
            field="occurred_at",
            hint=f"occurred_at takes an aware datetime, not {type(value).__name__}",
        )
    return ensure_aware_utc(value, "occurred_at")


_SYSTEM = Principal.system()


def _revenue_id(payment_id: str, invoice_id: str, share: RevenueShare | ReturnedRevenue) -> str:
    """The commission transaction of one product line's revenue in one payment."""
    return f"{payment_id}/{invoice_id}/{share.line_index}"

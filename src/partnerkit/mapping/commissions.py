"""`kit.commissions`: commission plans, the append-only commission ledger, and statements; the
ledger's values (plans, entries) are in `commission_values`, where storage adapters find them.

A collected transaction earns commission for the partner whose window covers it (the window
comes from the mapping history); refunds are negative entries; statements round once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs

from partnerkit import validate
from partnerkit.access import Principal
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
    """A statement's line: one customer and product, its base, commission and entry count."""

    customer_id: str
    product: str
    currency: str
    base: Money
    commission: Money
    entries: int


@attrs.frozen
class CommissionStatement:
    """A partner's commission from `start` to `end` (both days included), per customer and
    product; `totals` has one figure per currency and the lines add up to it exactly."""

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
    """`kit.commissions`: commission plans per partner, the ledger of accruals and reversals,
    and statements that add up to the cent."""

    def __init__(self, runtime: Runtime[MappingStore]) -> None:
        self._rt = runtime

    def set_plan(
        self,
        partner_id: str,
        *,
        rate: Decimal | int | str,
        limit_months: int | None = None,
        actor: Principal,
    ) -> CommissionPlan:
        """Give a partner its commission plan (staff): `rate` percent of each collected
        transaction, for at most `limit_months` after a mapping starts (None: while of record).

        The rate runs from 0 to 100, both included: 0 books a partner's transactions at 0.00
        (on the ledger, unpaid), 100 passes all of each one on; a partner with no plan books
        nothing. A higher or negative rate is refused (`ValidationError` naming `rate`)."""
        percent = _rate(rate)
        if limit_months is not None and (
            isinstance(limit_months, bool)
            or not isinstance(limit_months, int)
            or not 1 <= limit_months <= MAX_LIMIT_MONTHS
        ):
            raise InvalidInputError(
                f"limit_months must be a whole number of months from 1 to {MAX_LIMIT_MONTHS}",
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
        """The partner's plan, for the partner itself, staff and the system."""
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
        """Book commission on a collected transaction for the partner whose window covers it
        (the system, from a payment, or staff).

        Returns None when no partner earns on it (no mapping then, or no plan). Booking the
        same transaction again returns the first entry, also when two bookings race; with other
        figures, or for another customer or product, it is refused. A refund is not a negative
        accrual: book it with `reverse`, which never takes back more than was booked.
        """
        txn = validate.text(transaction_id, "transaction_id", max_length=100)
        customer_id = validate.text(customer_id, "customer_id", max_length=40)
        product = validate.text(product, "product", max_length=40)
        money = _money(amount)
        if money.is_negative:
            raise InvalidInputError(
                "a collected amount is never negative: book a refund with reverse()",
                field="amount",
            )
        when = _instant(occurred_at)
        if when > self._rt.now():
            # Only collected money earns commission; a future date could also land in a window
            # that a later transfer hands to another partner.
            raise InvalidInputError(
                "occurred_at is in the future: book transactions once they are collected",
                field="occurred_at",
            )
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "book commission")
            booked = uow.commissions.get_by_transaction(txn)
            if booked is not None:
                return _same_or_conflict(booked, customer_id, product, money, when)
            interval, plan = self._earner(uow, customer_id, product, when)
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
        """A refund of a booked transaction (the system or staff): a negative entry for the
        partner who earned the original, at the original rate (all of it, or `amount` of it).
        Nothing is deleted."""
        txn = validate.text(transaction_id, "transaction_id", max_length=100)
        when = _instant(occurred_at)
        if when > self._rt.now():
            raise InvalidInputError(
                "occurred_at is in the future: book refunds once they are paid out",
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

    def entries(self, partner_id: str, *, actor: Principal) -> list[CommissionEntry]:
        """The partner's ledger, for the partner itself, staff and the system."""
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            return uow.commissions.for_partner(partner_id)

    def statement(
        self, partner_id: str, start: date, end: date, *, actor: Principal
    ) -> CommissionStatement:
        """Totals by customer and product for transactions from `start` to `end` inclusive,
        for the partner itself, staff and the system."""
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
        raise FloatAmountError("rate must be a Decimal, an int or a string", field="rate")
    try:
        value = Decimal(str(rate)) if isinstance(rate, int | str) else rate
    except ArithmeticError:
        raise InvalidInputError("rate is not a number", field="rate") from None
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInputError("rate must be a percentage from 0 to 100", field="rate")
    # Stored as exact text in a column of RATE_DIGITS characters on every engine: refuse here
    # what one engine would take and another would reject.
    if len(str(value)) > RATE_DIGITS:
        raise InvalidInputError(
            f"rate has more than {RATE_DIGITS} characters; round it", field="rate"
        )
    return value


def _money(amount: object) -> Money:
    if not isinstance(amount, Money):
        raise InvalidInputError("amount must be a Money", field="amount")
    return amount


def _instant(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError("occurred_at must be a datetime", field="occurred_at")
    return ensure_aware_utc(value, "occurred_at")

"""Coupons: a percentage or a fixed discount for one billed term, for a number of terms, or for
ever; whether one may still be applied, and what several take off a subtotal, in order.

Pure values and functions: the subscription service stores the coupons and counts their
redemptions (under a lock), then asks these rules.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

import attrs

from partnerkit import validate
from partnerkit.errors import InvalidInputError, PartnerkitError
from partnerkit.money import Money
from partnerkit.subscriptions.errors import (
    CouponAmountNotPositiveError,
    CouponArchivedError,
    CouponCurrencyError,
    CouponCyclesError,
    CouponExpiredError,
    CouponKindMismatchError,
    CouponPercentageError,
    CouponUsedUpError,
)

__all__ = [
    "MAX_COUPON_CYCLES",
    "Coupon",
    "CouponDuration",
    "DiscountKind",
    "RedemptionCheck",
    "RedemptionDecision",
    "RedemptionRule",
    "applies_on_cycle",
    "decide_redemption",
    "discount",
    "discounts",
]

#: The most billing cycles a coupon may last (for ever is `CouponDuration.FOREVER`).
MAX_COUPON_CYCLES = 1000
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_CODE_MAX = 50


class DiscountKind(enum.StrEnum):
    """What a coupon takes off."""

    #: A share of the subtotal, such as 10 %.
    PERCENTAGE = "percentage"
    #: An amount of money, never more than the subtotal.
    FIXED = "fixed"


class CouponDuration(enum.StrEnum):
    """For how many billed terms a coupon applies, counted from the first one it is on."""

    #: The first billed term only.
    ONCE = "once"
    #: The first `cycles` billed terms.
    CYCLES = "cycles"
    #: Every billed term.
    FOREVER = "forever"


def _choice(kind: type[DiscountKind] | type[CouponDuration], value: Any, field: str) -> str:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise InvalidInputError(
            f"the coupon's {'kind' if field == 'kind' else 'duration'} is one of {choices}",
            field=field,
            hint=f"{field} takes a {kind.__name__}",
        ) from None


def _count(value: object, field: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(
            f"the {'version' if field == 'version' else 'number'} must be a whole number of "
            f"{minimum} or more",
            field=field,
            hint=f"{field} takes an int",
        )
    return value


def _percentage(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise CouponPercentageError(
            "the percentage must be a number",
            field="percentage",
            hint=f"percentage takes a Decimal or an int, not {type(value).__name__}",
        )
    percentage = Decimal(value)
    if (
        not percentage.is_finite()
        or not 0 < percentage <= 100
        or percentage.as_tuple().exponent < -2  # type: ignore[operator]
    ):
        raise CouponPercentageError(
            f"{percentage} is not a percentage above 0 and at most 100 with two decimals at most",
            field="percentage",
            details={"value": str(percentage)},
        )
    return percentage


def _amount(value: object) -> Money:
    if not isinstance(value, Money):
        raise CouponAmountNotPositiveError(
            "the discount must be an amount of money",
            field="amount",
            hint=f"amount takes a Money, not {type(value).__name__}",
        )
    if not value.is_positive:
        raise CouponAmountNotPositiveError(
            f"a fixed discount must be above zero, not {value}",
            field="amount",
            details={"value": str(value)},
        )
    return value


def _code(value: object) -> str:
    code = validate.text(value, "code", max_length=_CODE_MAX)
    if not set(code) <= _CODE_CHARS:
        raise InvalidInputError(
            f"the coupon code {code!r} may hold only letters, digits, '-' and '_'",
            field="code",
        )
    return code


@attrs.frozen
class Coupon:
    """A discount customers apply to a subscription by its code.

    Build one with `Coupon.create`, which checks every combination; the constructor trusts its
    input (it is how stored coupons are read back).

    Attributes:
        id: The coupon's id.
        code: What a customer types: letters, digits, '-' and '_'.
        name: What invoices and the portal call it.
        kind: A percentage or a fixed amount.
        percentage: The share taken off, above 0 and at most 100, for a percentage coupon.
        amount: The amount taken off, in one currency, for a fixed coupon.
        duration: Once, for `cycles` billed terms, or for ever.
        cycles: How many billed terms, for `CouponDuration.CYCLES` only.
        valid_until: The last day the coupon may be applied; the subscriptions that have it
            keep it after that day. None for no end.
        max_redemptions: How many times it may be applied in all; None for no limit.
        archived: Withdrawn: no longer applied to anything new.
        version: For optimistic concurrency.
    """

    id: str
    code: str
    name: str
    kind: DiscountKind
    percentage: Decimal | None
    amount: Money | None
    duration: CouponDuration
    cycles: int | None
    valid_until: date | None = None
    max_redemptions: int | None = None
    archived: bool = False
    version: int = 1

    @classmethod
    def create(
        cls,
        *,
        id: str,
        code: str,
        name: str,
        kind: DiscountKind,
        percentage: Decimal | int | None = None,
        amount: Money | None = None,
        duration: CouponDuration = CouponDuration.ONCE,
        cycles: int | None = None,
        valid_until: date | None = None,
        max_redemptions: int | None = None,
        archived: bool = False,
        version: int = 1,
    ) -> Coupon:
        """A coupon, every field checked and every combination with it.

        Args:
            id: The coupon's id.
            code: What a customer types, up to 50 letters, digits, '-' or '_'.
            name: What invoices call it.
            kind: `DiscountKind.PERCENTAGE` or `DiscountKind.FIXED`.
            percentage: For a percentage coupon: above 0, at most 100, two decimals at most.
            amount: For a fixed coupon: above zero.
            duration: Once (the default), for `cycles` billed terms, or for ever.
            cycles: For `CouponDuration.CYCLES` only: 1 to 1,000.
            valid_until: The last day it may be applied, or None.
            max_redemptions: How many times it may be applied in all (1 or more), or None.
            archived: Withdrawn.
            version: For optimistic concurrency, 1 or more.

        Returns:
            The coupon.

        Raises:
            InvalidInputError: A text is empty or too long, the code holds other characters,
                the kind or duration is unknown, or a count is not a whole number in range
                (`validation.invalid`).
            CouponKindMismatchError: A percentage coupon without a percentage or with an
                amount, or a fixed one the other way round (`subscription.coupon_kind_mismatch`).
            CouponPercentageError: The percentage is not above 0 and at most 100, or has more
                than two decimals (`subscription.coupon_percentage`).
            CouponAmountNotPositiveError: The fixed amount is not above zero
                (`subscription.coupon_amount_not_positive`).
            CouponCyclesError: Cycles missing or below 1 for a coupon of some cycles, or given
                for one of once or for ever (`subscription.coupon_cycles`).
        """
        kind = DiscountKind(_choice(DiscountKind, kind, "kind"))
        duration = CouponDuration(_choice(CouponDuration, duration, "duration"))
        percent = kind is DiscountKind.PERCENTAGE
        wanted, unwanted = ("percentage", "amount") if percent else ("amount", "percentage")
        given = {"percentage": percentage, "amount": amount}
        if given[wanted] is None or given[unwanted] is not None:
            raise CouponKindMismatchError(
                f"a {kind.value} coupon takes a {wanted} and no {unwanted}",
                field=wanted if given[wanted] is None else unwanted,
                details={"kind": kind.value},
            )
        if duration is CouponDuration.CYCLES:
            if (
                isinstance(cycles, bool)
                or not isinstance(cycles, int)
                or not 1 <= cycles <= MAX_COUPON_CYCLES
            ):
                raise CouponCyclesError(
                    f"a coupon for some billing cycles lasts 1 to {MAX_COUPON_CYCLES} of them",
                    field="cycles",
                    details={"max": MAX_COUPON_CYCLES},
                )
        elif cycles is not None:
            raise CouponCyclesError(
                f"a coupon for {'once' if duration is CouponDuration.ONCE else 'ever'} takes no "
                "number of cycles",
                field="cycles",
                details={"duration": duration.value},
            )
        return cls(
            id=validate.text(id, "id", max_length=100),
            code=_code(code),
            name=validate.text(name, "name"),
            kind=kind,
            percentage=_percentage(percentage) if kind is DiscountKind.PERCENTAGE else None,
            amount=_amount(amount) if kind is DiscountKind.FIXED else None,
            duration=duration,
            cycles=cycles,
            valid_until=(
                None if valid_until is None else validate.as_date(valid_until, "valid_until")
            ),
            max_redemptions=(
                None
                if max_redemptions is None
                else _count(max_redemptions, "max_redemptions", minimum=1)
            ),
            archived=validate.flag(archived, "archived"),
            version=_count(version, "version", minimum=1),
        )


def _cycle(value: object) -> int:
    return _count(value, "cycle", minimum=1)


def applies_on_cycle(coupon: Coupon, cycle: int) -> bool:
    """Whether a coupon takes something off a billed term.

    Args:
        coupon: The coupon.
        cycle: Which billed term since the coupon was applied, 1 for the first.

    Returns:
        True on the first term for a coupon of once, on the first `cycles` terms for one of
        some cycles, on every term for one of for ever.

    Raises:
        InvalidInputError: `cycle` is not a whole number of 1 or more (`validation.invalid`).
    """
    cycle = _cycle(cycle)
    if coupon.duration is CouponDuration.FOREVER:
        return True
    if coupon.duration is CouponDuration.ONCE:
        return cycle == 1
    return cycle <= (coupon.cycles or 0)


def _subtotal(value: object) -> Money:
    if not isinstance(value, Money) or value.is_negative:
        raise InvalidInputError(
            "the subtotal must be an amount of zero or more",
            field="subtotal",
            hint="subtotal takes a Money of zero or more",
        )
    return value


def discount(coupon: Coupon, subtotal: Money, cycle: int) -> Money:
    """What a coupon takes off a term's subtotal.

    A percentage is of the subtotal, rounded half-even to the currency's minor unit (10 % of
    0.05 USD is 0.00, of 0.15 USD is 0.02); a fixed amount is taken off whole, never more than
    the subtotal. Zero when the coupon does not apply on the cycle.

    Args:
        coupon: The coupon.
        subtotal: The amount it applies to, zero or more.
        cycle: Which billed term since the coupon was applied, 1 for the first.

    Returns:
        The discount, from zero up to the subtotal, in the subtotal's currency.

    Raises:
        InvalidInputError: `subtotal` is not an amount of zero or more, or `cycle` is not a
            whole number of 1 or more (`validation.invalid`).
        CouponCurrencyError: A fixed coupon in another currency than the subtotal
            (`subscription.coupon_currency`).
    """
    subtotal = _subtotal(subtotal)
    if coupon.amount is not None and coupon.amount.currency != subtotal.currency:
        raise CouponCurrencyError(
            f"the coupon {coupon.code!r} takes off {coupon.amount}, and the subscription is "
            f"billed in {subtotal.currency}",
            field="coupon",
            details={"coupon": coupon.id, "currency": subtotal.currency},
        )
    if not applies_on_cycle(coupon, cycle):
        return Money.zero(subtotal.currency)
    if coupon.amount is not None:
        return min(coupon.amount, subtotal)
    assert coupon.percentage is not None  # Coupon.create gives a percentage coupon one
    return subtotal * coupon.percentage.scaleb(-2)


def discounts(coupons: Sequence[Coupon], subtotal: Money, cycle: int) -> list[tuple[Coupon, Money]]:
    """What several coupons take off a subtotal, each in turn on what the ones before left.

    10 % and then 5 USD off 100 USD take 10 USD and 5 USD; 5 USD and then 10 % take 5 USD and
    9.50 USD. However many there are, together they never take more than the subtotal.

    Args:
        coupons: The coupons in the order they apply; each coupon once.
        subtotal: The amount they apply to, zero or more.
        cycle: Which billed term since the coupons were applied, 1 for the first.

    Returns:
        Each coupon that applies on the cycle with what it takes off, in order.

    Raises:
        InvalidInputError: `subtotal` is not an amount of zero or more, `cycle` is not a whole
            number of 1 or more, or a coupon is given twice (`validation.invalid`).
        CouponCurrencyError: A fixed coupon in another currency than the subtotal
            (`subscription.coupon_currency`).
    """
    left = _subtotal(subtotal)
    seen: set[str] = set()
    taken: list[tuple[Coupon, Money]] = []
    for index, coupon in enumerate(coupons):
        if coupon.id in seen:
            raise InvalidInputError(
                f"the coupon {coupon.code!r} is applied twice",
                field=f"coupons[{index}]",
                details={"coupon": coupon.id},
            )
        seen.add(coupon.id)
        off = discount(coupon, left, cycle)
        if applies_on_cycle(coupon, cycle):
            taken.append((coupon, off))
            left -= off
    return taken


# --- applying a coupon ------------------------------------------------------------------------


class RedemptionRule(enum.StrEnum):
    """The rules a coupon meets before it is applied to a subscription, in order."""

    #: It was not withdrawn.
    NOT_ARCHIVED = "not_archived"
    #: Its last day to apply it has not passed.
    NOT_EXPIRED = "not_expired"
    #: It was applied fewer times than it may be.
    REDEMPTIONS_LEFT = "redemptions_left"


_REFUSALS: dict[RedemptionRule, type[PartnerkitError]] = {
    RedemptionRule.NOT_ARCHIVED: CouponArchivedError,
    RedemptionRule.NOT_EXPIRED: CouponExpiredError,
    RedemptionRule.REDEMPTIONS_LEFT: CouponUsedUpError,
}


@attrs.frozen
class RedemptionCheck:
    """One rule applied to a coupon: whether it holds, and why, in words."""

    rule: RedemptionRule
    passed: bool
    reason: str


@attrs.frozen
class RedemptionDecision:
    """Every rule `decide_redemption` applies, in order, up to the first that refuses.

    Attributes:
        coupon: The coupon decided on.
        checks: The rules applied, with their verdicts.
    """

    coupon: Coupon
    checks: tuple[RedemptionCheck, ...]

    @property
    def allowed(self) -> bool:
        """Whether the coupon may be applied."""
        return all(check.passed for check in self.checks)

    @property
    def refusal(self) -> RedemptionCheck | None:
        """The rule that refuses, or None when the coupon may be applied."""
        return next((check for check in self.checks if not check.passed), None)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Each rule's verdict, in plain words."""
        return tuple(check.reason for check in self.checks)

    def raise_refusal(self) -> NoReturn:
        """Raise the typed error of the refusing rule.

        Raises:
            CouponArchivedError: The coupon was withdrawn (`subscription.coupon_archived`).
            CouponExpiredError: Its last day has passed (`subscription.coupon_expired`).
            CouponUsedUpError: It was applied as often as it may be
                (`subscription.coupon_used_up`).
            InvalidInputError: Nothing refuses the coupon (`validation.invalid`).
        """
        refusal = self.refusal
        if refusal is None:
            raise InvalidInputError(
                "nothing refuses the coupon",
                field="coupon",
                hint="check RedemptionDecision.allowed before raise_refusal()",
            )
        raise _REFUSALS[refusal.rule](
            refusal.reason,
            details={"coupon": self.coupon.id, "rule": refusal.rule.value},
        )


def decide_redemption(coupon: Coupon, today: date, redemptions: int) -> RedemptionDecision:
    """Whether a coupon may be applied to a subscription today, and why.

    Args:
        coupon: The coupon.
        today: The billing day of the decision.
        redemptions: How many times it was applied so far (counted under a lock by the
            service, so that two customers cannot take its last redemption both).

    Returns:
        The rules in order (not archived, not past `valid_until`, fewer than `max_redemptions`
        redemptions) up to the first that refuses.

    Raises:
        InvalidInputError: `today` is not a day, or `redemptions` not a whole number of 0 or
            more (`validation.invalid`).
    """
    today = validate.as_date(today, "today")
    redemptions = _count(redemptions, "redemptions", minimum=0)
    checks: list[RedemptionCheck] = []
    verdicts = (
        (
            RedemptionRule.NOT_ARCHIVED,
            not coupon.archived,
            f"the coupon {coupon.code!r} is offered",
            f"the coupon {coupon.code!r} was withdrawn",
        ),
        (
            RedemptionRule.NOT_EXPIRED,
            coupon.valid_until is None or today <= coupon.valid_until,
            f"the coupon {coupon.code!r} may be applied until {coupon.valid_until}"
            if coupon.valid_until
            else f"the coupon {coupon.code!r} has no last day",
            f"the coupon {coupon.code!r} could be applied until {coupon.valid_until}",
        ),
        (
            RedemptionRule.REDEMPTIONS_LEFT,
            coupon.max_redemptions is None or redemptions < coupon.max_redemptions,
            f"the coupon {coupon.code!r} was applied {redemptions} of "
            f"{coupon.max_redemptions} times"
            if coupon.max_redemptions
            else f"the coupon {coupon.code!r} may be applied any number of times",
            f"the coupon {coupon.code!r} was applied all {coupon.max_redemptions} times it may be",
        ),
    )
    for rule, passed, held, refused in verdicts:
        checks.append(RedemptionCheck(rule, passed, held if passed else refused))
        if not passed:
            break
    return RedemptionDecision(coupon, tuple(checks))

"""Money: an exact Decimal amount in one ISO 4217 currency, held to that currency's minor units.

Owns the currency table (babel's), rounding to minor units, safe arithmetic and allocation.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)
from math import lcm
from typing import Any, final

import attrs
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

from partnerkit.errors import (
    CurrencyMismatchError,
    FloatAmountError,
    InvalidAmountError,
    InvalidInputError,
    InvalidRatiosError,
    UnknownCurrencyError,
)

__all__ = ["MAX_DIGITS", "Money", "minor_unit_digits"]

#: Most significant digits an amount may have. Far above any real amount, yet it bounds the work
#: a hostile input such as "1e999999" can cause, and lets every operation below be exact.
MAX_DIGITS = 60

# Quantize never rounds the integer part: past MAX_DIGITS it raises InvalidOperation instead.
_ROUNDING = Context(
    prec=MAX_DIGITS, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
# For operations that must be exact: any digit lost, even a trailing zero, raises.
_EXACT = Context(
    prec=MAX_DIGITS, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded]
)

_ROUNDING_MODES = frozenset(
    {
        ROUND_05UP,
        ROUND_CEILING,
        ROUND_DOWN,
        ROUND_FLOOR,
        ROUND_HALF_DOWN,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_UP,
    }
)


@functools.cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@functools.cache
def _currency_info(currency: str) -> tuple[int, Decimal]:
    """(minor unit digits, the exponent every amount is quantized to), for a known code."""
    if currency not in _known_currencies():
        remedy = None
        if currency.upper() in _known_currencies():
            remedy = f"Currency codes are upper-case: use {currency.upper()!r}."
        raise UnknownCurrencyError(
            f"{currency!r} is not a known ISO 4217 currency code.",
            field="currency",
            details={"value": currency},
            remedy=remedy,
        )
    digits = get_currency_precision(currency)
    return digits, Decimal(1).scaleb(-digits)


def _lookup(currency: object) -> tuple[int, Decimal]:
    # Checked before the cache: an unhashable value would otherwise escape as a TypeError.
    if not isinstance(currency, str):
        raise UnknownCurrencyError(
            f"A currency is an ISO 4217 code string, not {type(currency).__name__}.",
            field="currency",
            details={"value": repr(currency)},
        )
    return _currency_info(currency)


def minor_unit_digits(currency: str) -> int:
    """How many decimal digits the currency's minor unit has: JPY 0, USD 2, KWD 3."""
    return _lookup(currency)[0]


def _to_decimal(value: object, *, field: str, parse_str: bool) -> Decimal:
    """Turn an accepted input into a finite Decimal, refusing anything inexact or ambiguous."""
    if isinstance(value, float):
        raise FloatAmountError(
            f"{value!r} is a float; binary floats cannot hold decimal money exactly.",
            field=field,
            details={"value": repr(value)},
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str) and parse_str:
        try:
            result = Decimal(value)
        except (InvalidOperation, ValueError) as exc:
            raise InvalidAmountError(
                f"{value!r} is not a decimal number.", field=field, details={"value": value}
            ) from exc
    elif isinstance(value, str):
        raise InvalidAmountError(
            f"{value!r} is a string; parse it explicitly.",
            field=field,
            details={"value": value},
            remedy="Use Money.of(text, currency), which parses strings.",
        )
    else:
        raise InvalidAmountError(
            f"An amount is a Decimal or an int, not {type(value).__name__}.",
            field=field,
            details={"value": repr(value)},
        )
    if not result.is_finite():
        raise InvalidAmountError(
            f"{value!r} is not a finite number.", field=field, details={"value": str(value)}
        )
    return result


def _too_large(value: object, currency: str, field: str = "amount") -> InvalidAmountError:
    return InvalidAmountError(
        f"{value} {currency} is too large: it needs more than {MAX_DIGITS} digits.",
        field=field,
        details={"value": str(value), "currency": currency, "max_digits": MAX_DIGITS},
    )


def _quantize(value: Decimal, currency: str, exponent: Decimal, rounding: str) -> Decimal:
    try:
        result = value.quantize(exponent, rounding=rounding, context=_ROUNDING)
    except DecimalException as exc:
        raise _too_large(value, currency) from exc
    # A negative zero would print as "-0.00" and round-trip oddly; zero has no sign in money.
    return result if result else result.copy_abs()


def _round_half_even_div(numerator: int, denominator: int) -> int:
    """numerator / denominator (denominator > 0) rounded half-even, in exact integers."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


@final
@attrs.frozen(init=False, repr=False)
class Money:
    """An amount of one currency, exact to and normalised at the currency's minor unit.

    `Money(Decimal("1.5"), "USD").amount == Decimal("1.50")`. A float is refused, a string must go
    through `Money.of`, and an amount finer than the minor unit must be rounded on purpose with
    `Money.rounded`. Amounts in different currencies never combine or compare.
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int, currency: str) -> None:
        digits, exponent = _lookup(currency)
        value = _to_decimal(amount, field="amount", parse_str=False)
        exact = _quantize(value, currency, exponent, ROUND_HALF_EVEN)
        if exact != value:
            raise InvalidAmountError(
                f"{value} has more decimals than {currency}'s {digits} minor-unit digits.",
                field="amount",
                details={"value": str(value), "currency": currency, "minor_unit_digits": digits},
                remedy="Round on purpose with Money.rounded(amount, currency, rounding=...).",
            )
        self.__attrs_init__(exact, currency)

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Money:
        # Skips validation for amounts this module already quantized to a known currency.
        money = object.__new__(cls)
        money.__attrs_init__(amount if amount else amount.copy_abs(), currency)
        return money

    @classmethod
    def _from_units(cls, units: int, currency: str, field: str = "amount") -> Money:
        digits, _ = _lookup(currency)
        try:
            amount = Decimal(units).scaleb(-digits, context=_EXACT)
        except DecimalException as exc:
            raise _too_large(units, currency, field) from exc
        return cls._trusted(amount, currency)

    # --- constructors -------------------------------------------------------------------------

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Like `Money(...)`, but also parses a decimal string such as "12.50"."""
        return cls(_to_decimal(amount, field="amount", parse_str=True), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        _, exponent = _lookup(currency)
        return cls._trusted(exponent * 0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """The amount of `units` minor units: `from_minor(1250, "USD")` is 12.50 USD."""
        if isinstance(units, float):
            raise FloatAmountError(field="units", details={"value": repr(units)})
        if not isinstance(units, int) or isinstance(units, bool):
            raise InvalidAmountError(
                f"Minor units are an int, not {type(units).__name__}.",
                field="units",
                details={"value": repr(units)},
            )
        return cls._from_units(units, currency, field="units")

    @classmethod
    def rounded(
        cls,
        value: Decimal | int | str,
        currency: str,
        rounding: str = ROUND_HALF_EVEN,
    ) -> Money:
        """`value` rounded to the currency's minor unit: `rounded("2.345", "USD")` is 2.34 USD."""
        if rounding not in _ROUNDING_MODES:
            raise InvalidInputError(
                f"{rounding!r} is not a decimal rounding mode.",
                field="rounding",
                details={"value": repr(rounding)},
                remedy="Use a constant from the decimal module, such as ROUND_HALF_EVEN.",
            )
        _, exponent = _lookup(currency)
        number = _to_decimal(value, field="amount", parse_str=True)
        return cls._trusted(_quantize(number, currency, exponent, rounding), currency)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Money:
        """The inverse of `to_dict`."""
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                "Money is read from a mapping with 'amount' and 'currency'.",
                field="money",
                details={"value": repr(data)},
            )
        for key in ("amount", "currency"):
            if key not in data:
                raise InvalidInputError(f"The {key!r} key is missing.", field=key)
        return cls.of(data["amount"], data["currency"])

    # --- views --------------------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of minor units; SQL stores this, so SUM is exact."""
        digits, _ = _currency_info(self.currency)
        return int(self.amount.scaleb(digits, context=_EXACT))

    @property
    def is_zero(self) -> bool:
        return not self.amount

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready form; the amount is a string so no float ever touches it."""
        return {"amount": str(self.amount), "currency": self.currency}

    def format(self, locale: str = "en_US") -> str:
        """The amount as a person in `locale` reads it: "$1,234.50", "1.234,50 $"."""
        try:
            # BCP 47 tags ("de-DE") are at least as common in callers' hands as POSIX ones.
            parsed = Locale.parse(locale, sep="-" if "-" in locale else "_")
        except (UnknownLocaleError, ValueError, TypeError) as exc:
            raise InvalidInputError(
                f"{locale!r} is not a known locale.", field="locale", details={"value": locale}
            ) from exc
        return format_currency(self.amount, self.currency, locale=parsed)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    # --- arithmetic ---------------------------------------------------------------------------

    def _check_currency(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"Cannot {operation} {self.currency} and {other.currency} amounts.",
                field="currency",
                details={
                    "left": self.currency,
                    "right": other.currency,
                    "operation": operation,
                },
                remedy="Convert one amount to the other's currency first.",
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other, "add")
        try:
            total = _EXACT.add(self.amount, other.amount)
        except DecimalException as exc:
            raise _too_large(f"{self.amount} + {other.amount}", self.currency) from exc
        return Money._trusted(total, self.currency)

    def __radd__(self, other: int) -> Money:
        # Only so that sum() works from its int 0 start; any other number is a bug to surface.
        if type(other) is int and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other, "subtract")
        try:
            difference = _EXACT.subtract(self.amount, other.amount)
        except DecimalException as exc:
            raise _too_large(f"{self.amount} - {other.amount}", self.currency) from exc
        return Money._trusted(difference, self.currency)

    def __neg__(self) -> Money:
        return Money._trusted(self.amount.copy_negate(), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._trusted(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        """Scale by an int or Decimal, rounding the product half-even to the minor unit."""
        if isinstance(factor, float):
            raise FloatAmountError(field="factor", details={"value": repr(factor)})
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            return NotImplemented
        if isinstance(factor, int):
            units = self.minor_units * factor
        else:
            if not factor.is_finite():
                raise InvalidInputError(
                    f"{factor} is not a finite factor.",
                    field="factor",
                    details={"value": str(factor)},
                )
            # Integer arithmetic rounds exactly once, whatever the factor's precision.
            numerator, denominator = factor.as_integer_ratio()
            units = _round_half_even_div(self.minor_units * numerator, denominator)
        return Money._from_units(units, self.currency)

    def __rmul__(self, factor: int | Decimal) -> Money:
        return self.__mul__(factor)

    def _compare_to(self, other: Money, operation: str) -> Decimal:
        self._check_currency(other, operation)
        return other.amount

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.amount < self._compare_to(other, "compare")

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.amount <= self._compare_to(other, "compare")

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.amount > self._compare_to(other, "compare")

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.amount >= self._compare_to(other, "compare")

    # --- allocation ---------------------------------------------------------------------------

    def allocate(self, ratios: Sequence[Decimal | int]) -> tuple[Money, ...]:
        """Split in proportion to `ratios`; the parts always add up to exactly this amount.

        Each part is its exact share rounded down to a minor unit; the units left over go one
        each to the parts with the largest remainders (the earlier part on a tie), so no part is
        ever a whole minor unit away from its exact share.
        """
        weights = _integer_weights(ratios)
        total_weight = sum(weights)
        units = self.minor_units
        whole = abs(units)
        floors: list[int] = []
        remainders: list[int] = []
        for weight in weights:
            # Share = whole * weight / total_weight; kept as integers so nothing is approximated.
            floor, remainder = divmod(whole * weight, total_weight)
            floors.append(floor)
            remainders.append(remainder)
        left_over = whole - sum(floors)
        by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
        for index in by_remainder[:left_over]:
            floors[index] += 1
        sign = -1 if units < 0 else 1
        return tuple(Money._from_units(sign * part, self.currency) for part in floors)

    def split(self, n: int) -> tuple[Money, ...]:
        """`n` parts as equal as minor units allow, the larger ones first."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise InvalidInputError(
                f"Money splits into a positive whole number of parts, not {n!r}.",
                field="n",
                details={"value": repr(n)},
            )
        return self.allocate([1] * n)


def _integer_weights(ratios: Sequence[Decimal | int]) -> list[int]:
    """The ratios scaled by one common factor to integers, after checking them."""
    if isinstance(ratios, str | bytes) or not isinstance(ratios, Sequence):
        raise InvalidRatiosError(
            "Ratios are a sequence of Decimals or ints.",
            field="ratios",
            details={"value": repr(ratios)},
        )
    fractions: list[tuple[int, int]] = []
    for index, ratio in enumerate(ratios):
        field = f"ratios[{index}]"
        if isinstance(ratio, float):
            raise FloatAmountError(field=field, details={"value": repr(ratio)})
        if isinstance(ratio, bool) or not isinstance(ratio, int | Decimal):
            raise InvalidRatiosError(
                f"A ratio is a Decimal or an int, not {type(ratio).__name__}.",
                field=field,
                details={"value": repr(ratio)},
            )
        if isinstance(ratio, Decimal) and not ratio.is_finite():
            raise InvalidRatiosError(
                f"{ratio} is not a finite ratio.", field=field, details={"value": str(ratio)}
            )
        if ratio < 0:
            raise InvalidRatiosError(
                f"{ratio} is a negative ratio.", field=field, details={"value": str(ratio)}
            )
        fractions.append(ratio.as_integer_ratio())
    if not any(numerator for numerator, _ in fractions):
        raise InvalidRatiosError(
            "At least one ratio must be above zero.",
            field="ratios",
            details={"value": [str(ratio) for ratio in ratios]},
        )
    common = lcm(*(denominator for _, denominator in fractions))
    return [numerator * (common // denominator) for numerator, denominator in fractions]

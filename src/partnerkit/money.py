"""Money: an exact Decimal amount in one ISO 4217 currency, held to that currency's minor units.

Owns the currency table (ISO 4217's, as the `iso4217` package ships it), rounding to minor units
and to cash units, safe arithmetic, allocation and apportioning. babel only formats and knows the
cash units (CLDR's); it never decides how many decimals an amount has.

No operation here reads the caller's decimal context: every step that could round, trap or
print names a context of this module, so `localcontext(prec=4)` around a call changes nothing.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
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
    localcontext,
)
from fractions import Fraction
from math import lcm
from typing import Any, final

import attrs
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_currency_name, list_currencies

from partnerkit.errors import (
    CurrencyMismatchError,
    FactorOutOfRangeError,
    FloatAmountError,
    InvalidAmountError,
    InvalidInputError,
    InvalidRatiosError,
    NoMinorUnitError,
    UnknownCurrencyError,
)

__all__ = [
    "MAX_DIGITS",
    "MAX_FACTOR_DIGITS",
    "MAX_FACTOR_EXPONENT",
    "Money",
    "apportion",
    "cash_unit",
    "currencies",
    "minor_unit_digits",
]

#: Most significant digits an amount may have. Far above any real amount, yet it bounds the work
#: a hostile input such as "1e999999" can cause, and lets every operation below be exact.
MAX_DIGITS = 60

#: Most digits a factor, ratio or exact part may have, as written (trailing zeros count).
#: Every result of the default 28-digit decimal context fits, with room to spare.
MAX_FACTOR_DIGITS = 60

#: Largest adjusted exponent (the power of ten of the leading digit), either way, of a factor,
#: ratio or exact part. Past about ±65 every product with an amount Money can hold is zero or
#: too large, so the bound refuses nothing useful, and it keeps every exact fraction below under
#: a few hundred digits: `Money * Decimal("1E-10000000")` is refused in microseconds instead of
#: working through a ten-million-digit denominator.
MAX_FACTOR_EXPONENT = 100

# Quantize never rounds the integer part: past MAX_DIGITS it raises InvalidOperation instead.
_ROUNDING = Context(
    prec=MAX_DIGITS, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
# For operations that must be exact: any digit lost, even a trailing zero, raises.
_EXACT = Context(
    prec=MAX_DIGITS, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded]
)
# Decimal(text) consults the current context only to decide whether bad syntax raises or
# quietly becomes NaN; parsing under this one always raises.
_PARSING = Context(traps=[InvalidOperation])
# babel rounds and quantizes in the current context; this one holds any amount exactly.
_FORMATTING = Context(
    prec=2 * MAX_DIGITS,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
# Rounds away digits past the bound and traps the moment it does: a digit count that needs no
# copy of the digits, unlike as_tuple().
_FACTOR_DIGITS = Context(prec=MAX_FACTOR_DIGITS, traps=[Rounded])
# A message shows at most this many digits of a number: a hostile one can have millions.
_SHOWN_DIGITS = 24
_INT_FACTOR_LIMIT = 10**MAX_FACTOR_DIGITS

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


# --- the currency table -----------------------------------------------------------------------


@functools.cache
def _iso_minor_units() -> Mapping[str, int | None]:
    """Every current ISO 4217 code and its minor unit digits (None where ISO says "N.A.")."""
    # Imported here, not at the top: parsing the ISO table costs more than all of
    # `import partnerkit`, and a program that never touches money should not pay for it.
    import iso4217

    return {currency.code: currency.exponent for currency in iso4217.Currency}


@functools.cache
def currencies() -> frozenset[str]:
    """The currency codes Money accepts: ISO 4217's current codes that have a minor unit."""
    return frozenset(code for code, digits in _iso_minor_units().items() if digits is not None)


@functools.cache
def _cldr_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _unknown(currency: str) -> UnknownCurrencyError:
    remedy = None
    if currency.upper() in currencies():
        remedy = f"Currency codes are upper-case: use {currency.upper()!r}."
    if currency in _cldr_currencies():
        # CLDR still names withdrawn codes (HRK, BGN); saying so beats a bare "unknown".
        name = get_currency_name(currency, locale="en")
        message = (
            f"{currency!r} ({name}) is not in the current ISO 4217 table: "
            "it was withdrawn, or never was an ISO currency."
        )
        remedy = "Use a current ISO 4217 code, such as the one that replaced it."
    else:
        message = f"{_shown_text(currency)!r} is not a known ISO 4217 currency code."
    return UnknownCurrencyError(
        message, field="currency", details={"value": _shown_text(currency)}, remedy=remedy
    )


@functools.cache
def _currency_info(currency: str) -> tuple[int, Decimal]:
    """(minor unit digits, the exponent every amount is quantized to), for a usable code."""
    table = _iso_minor_units()
    if currency not in table:
        raise _unknown(currency)
    digits = table[currency]
    if digits is None:
        # ISO says "N.A.": any number of decimals would be invented, and SQL's integer count
        # of minor units would have no unit to count. Such an amount is not invoiceable.
        raise NoMinorUnitError(
            f"{currency} ({get_currency_name(currency, locale='en')}) has no minor unit in "
            "ISO 4217, so no amount of it can be invoiced.",
            field="currency",
            details={"value": currency},
        )
    return digits, Decimal((0, (1,), -digits))


def _lookup(currency: object) -> tuple[int, Decimal]:
    # Checked before the cache: an unhashable value would otherwise escape as a TypeError.
    if not isinstance(currency, str):
        raise UnknownCurrencyError(
            "A currency is a 3-letter ISO 4217 code, such as 'USD'.",
            field="currency",
            hint=f"currency takes a str, not {type(currency).__name__}",
            details={"value": _shown_text(repr(currency))},
        )
    return _currency_info(currency)


def minor_unit_digits(currency: str) -> int:
    """How many decimal digits the currency's minor unit has, per ISO 4217: JPY 0, USD 2,
    HUF 2, KWD 3, CLF 4."""
    return _lookup(currency)[0]


@functools.cache
def _cash_units(currency: str) -> int:
    """The smallest cash amount, counted in minor units (CHF 5, HUF 500, SEK 100)."""
    digits, _ = _currency_info(currency)
    fractions = get_global("currency_fractions")
    if currency not in fractions:
        # CLDR records cash rounding only where it differs from the default; where it records
        # nothing for the currency at all, the minor unit is the smallest coin we can vouch for.
        return 1
    _, _, cash_digits, cash_rounding = fractions[currency]
    # CLDR's cash rounding is an increment in units of its cash digits; 0 means "1".
    increment = Fraction(cash_rounding or 1, 10**cash_digits)
    units = increment * 10**digits
    # A cash unit finer than the minor unit, or not a whole number of them, would make
    # round_to_cash produce amounts Money cannot hold; fall back to the minor unit.
    if units.denominator != 1 or units < 1:
        return 1
    return int(units)


def cash_unit(currency: str) -> Decimal:
    """The smallest amount paid in cash, from CLDR: CHF 0.05, DKK 0.50, HUF 5, SEK 1, USD 0.01.

    Where CLDR records no cash rounding it is the minor unit. Invoices and ledgers keep minor
    units; only a cash payment rounds, with `Money.round_to_cash`.
    """
    _lookup(currency)
    return Money._from_units(_cash_units(currency), currency).amount


# --- numbers in and out -----------------------------------------------------------------------


def _shown_text(text: str) -> str:
    return text if len(text) <= 3 * _SHOWN_DIGITS else f"{text[:_SHOWN_DIGITS]}…"


def _shown(value: Decimal | int) -> str:
    """`value` for a message: whole when short, else its size, as a hostile one can have
    millions of digits and str() of it would cost more than the refusal."""
    if isinstance(value, int):
        if -(10**_SHOWN_DIGITS) < value < 10**_SHOWN_DIGITS:
            return str(value)
        # bit_length is free; log10(2) ≈ 0.30103 gives the digit count within one.
        return f"an integer of about {value.bit_length() * 30103 // 100000 + 1} digits"
    if not value.is_finite():
        return _shown_text(str(value))
    context = Context(
        prec=_SHOWN_DIGITS, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[]
    )
    rounded = context.plus(value)
    text = context.to_sci_string(rounded)
    return f"about {text}" if context.flags[Rounded] else context.to_sci_string(value)


def _text(amount: Decimal) -> str:
    # Context.to_sci_string: str() would read the caller's context for its exponent letter.
    return _EXACT.to_sci_string(amount)


def _to_decimal(value: object, *, field: str, parse_str: bool) -> Decimal:
    """Turn an accepted input into a finite Decimal, refusing anything inexact or ambiguous."""
    if isinstance(value, float):
        raise FloatAmountError(
            f"{value!r} is a binary floating-point number, which cannot hold money exactly.",
            field=field,
            details={"value": repr(value)},
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str) and parse_str:
        try:
            with localcontext(_PARSING):
                result = Decimal(value)
        except (InvalidOperation, ValueError) as exc:
            raise InvalidAmountError(
                f"{_shown_text(value)!r} is not a decimal number.",
                field=field,
                details={"value": _shown_text(value)},
            ) from exc
    elif isinstance(value, str):
        raise InvalidAmountError(
            f"{_shown_text(value)!r} is text; an amount is read from text only on purpose.",
            field=field,
            details={"value": _shown_text(value)},
            hint="Money.of(text, currency) parses text; Money() takes a Decimal or an int.",
        )
    else:
        raise InvalidAmountError(
            "An amount must be a number.",
            field=field,
            hint=f"{field} takes a Decimal or an int, not {type(value).__name__}",
            details={"value": _shown_text(repr(value))},
        )
    if not result.is_finite():
        raise InvalidAmountError(
            f"{_shown(result)} is not a finite number.",
            field=field,
            details={"value": _shown(result)},
        )
    return result


def _check_factor(value: Decimal | int, field: str, what: str) -> None:
    """Refuse a finite factor, ratio or exact part outside the declared bounds.

    Runs before any arithmetic and costs microseconds whatever the value: the exponent test
    reads a field, and the digit test rounds once, without copying the digits.
    """
    if isinstance(value, int):
        if -_INT_FACTOR_LIMIT < value < _INT_FACTOR_LIMIT:
            return
        problem = f"it has more than {MAX_FACTOR_DIGITS} digits"
    else:
        adjusted = value.adjusted()
        if not -MAX_FACTOR_EXPONENT <= adjusted <= MAX_FACTOR_EXPONENT:
            problem = f"its exponent, {adjusted}, is outside ±{MAX_FACTOR_EXPONENT}"
        else:
            try:
                _FACTOR_DIGITS.plus(value)
                return
            except DecimalException:
                problem = f"it has more than {MAX_FACTOR_DIGITS} digits"
    shown = _shown(value)
    raise FactorOutOfRangeError(
        f"The {what} ({shown}) is out of range: {problem}.",
        field=field,
        details={
            "value": shown,
            "max_digits": MAX_FACTOR_DIGITS,
            "max_exponent": MAX_FACTOR_EXPONENT,
        },
        remedy=(
            f"A {what} has at most {MAX_FACTOR_DIGITS} digits and lies between "
            f"1E-{MAX_FACTOR_EXPONENT} and 1E+{MAX_FACTOR_EXPONENT + 1} in size."
        ),
    )


def _too_large(value: str, currency: str, field: str = "amount") -> InvalidAmountError:
    return InvalidAmountError(
        f"{value} {currency} is too large: it needs more than {MAX_DIGITS} digits.",
        field=field,
        details={"value": value, "currency": currency, "max_digits": MAX_DIGITS},
    )


def _quantize(
    value: Decimal, currency: str, exponent: Decimal, rounding: str, field: str = "amount"
) -> Decimal:
    try:
        result = value.quantize(exponent, rounding=rounding, context=_ROUNDING)
    except DecimalException as exc:
        raise _too_large(_shown(value), currency, field) from exc
    # A negative zero would print as "-0.00" and round-trip oddly; zero has no sign in money.
    return result if result else result.copy_abs()


def _check_rounding(rounding: object) -> str:
    if not isinstance(rounding, str) or rounding not in _ROUNDING_MODES:
        raise InvalidInputError(
            f"{_shown_text(repr(rounding))} is not a decimal rounding mode.",
            field="rounding",
            details={"value": _shown_text(repr(rounding))},
            hint="Use a constant from the decimal module, such as ROUND_HALF_EVEN.",
        )
    return rounding


def _divide_rounded(numerator: int, denominator: int, rounding: str) -> int:
    """numerator / denominator (denominator > 0) rounded to an int by a decimal rounding mode,
    in exact integers, so the result is right whatever the size of the operands."""
    quotient, remainder = divmod(numerator, denominator)
    if not remainder:
        return quotient
    # The exact value lies strictly between quotient and quotient + 1; decide which to take.
    negative = numerator < 0
    if rounding == ROUND_FLOOR:
        up = False
    elif rounding == ROUND_CEILING:
        up = True
    elif rounding == ROUND_DOWN:
        up = negative
    elif rounding == ROUND_UP:
        up = not negative
    elif rounding == ROUND_05UP:
        # Away from zero only when rounding toward zero would leave a last digit of 0 or 5.
        toward_zero = quotient + 1 if negative else quotient
        away = toward_zero % 5 == 0
        up = not away if negative else away
    else:
        twice = 2 * remainder
        if twice != denominator:
            up = twice > denominator
        elif rounding == ROUND_HALF_UP:
            up = not negative
        elif rounding == ROUND_HALF_DOWN:
            up = negative
        else:
            up = quotient % 2 == 1
    return quotient + 1 if up else quotient


@functools.lru_cache(maxsize=256)
def _currency_pattern(locale: str, digits: int) -> tuple[Locale, Any]:
    """The locale and its currency pattern (symbol, grouping, sign) with ISO's `digits`
    decimals instead of CLDR's. Parsing a locale costs more than formatting an amount, and a
    statement formats thousands in one locale: kept, for known locales only (a refusal is
    raised, not remembered)."""
    try:
        # BCP 47 tags ("de-DE") are at least as common in callers' hands as POSIX ones.
        parsed = Locale.parse(locale, sep="-" if "-" in locale else "_")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise _unknown_locale(locale) from exc
    # A copy, since babel shares one pattern object per locale.
    pattern = copy.copy(parsed.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return parsed, pattern


def _unknown_locale(locale: object) -> InvalidInputError:
    return InvalidInputError(
        f"{locale!r} is not a known locale.", field="locale", details={"value": locale}
    )


@final
@attrs.frozen(init=False, repr=False)
class Money:
    """An exact amount of one currency, held to that currency's minor unit (USD cents, JPY yen).

    `Money(Decimal("1.5"), "USD").amount == Decimal("1.50")`. A float is refused, a string must go
    through `Money.of`, and an amount finer than the minor unit must be rounded on purpose with
    `Money.rounded`. Values are frozen and compare by amount and currency.

    Arithmetic: `+` and `-` take Money of the same currency; `*` takes an int or a Decimal and
    rounds the product half-even to the minor unit; `<`, `<=`, `>`, `>=` compare amounts of one
    currency; `-m` and `abs(m)` work as for numbers, `sum()` of Money works, and zero is falsy.
    Combining or comparing two currencies raises `CurrencyMismatchError`
    (`money.currency_mismatch`); a float factor raises `FloatAmountError`, and a factor with more
    than 60 digits or an exponent beyond ±100 raises `FactorOutOfRangeError`
    (`money.factor_out_of_range`).

    Args:
        amount: A Decimal or an int, with no more decimals than the currency's minor unit.
        currency: An upper-case ISO 4217 code, such as `"USD"`.

    Raises:
        FloatAmountError: `amount` is a float (`money.float_amount`).
        InvalidAmountError: `amount` is a string, not finite, has more decimals than the minor unit,
            or more than 60 digits (`money.invalid_amount`).
        UnknownCurrencyError: `currency` is not a current ISO 4217 code (`money.unknown_currency`).
        NoMinorUnitError: The currency has no minor unit, such as XAU (`money.no_minor_unit`).
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int, currency: str) -> None:
        digits, exponent = _lookup(currency)
        value = _to_decimal(amount, field="amount", parse_str=False)
        exact = _quantize(value, currency, exponent, ROUND_HALF_EVEN)
        if exact != value:
            shown = _shown(value)
            raise InvalidAmountError(
                f"{shown} has more decimals than {currency}'s {digits} minor-unit digits.",
                field="amount",
                details={"value": shown, "currency": currency, "minor_unit_digits": digits},
                remedy=f"Round the amount to {digits} decimals first.",
                hint="Money.rounded(amount, currency, rounding=...) rounds on purpose.",
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
            raise _too_large(f"{_shown(units)} minor units of", currency, field) from exc
        return cls._trusted(amount, currency)

    # --- constructors -------------------------------------------------------------------------

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Money from a Decimal, an int or a decimal string such as `"12.50"`: the way in from text.

        Args:
            amount: The amount; a string is parsed exactly, never through a float.
            currency: An upper-case ISO 4217 code.

        Returns:
            The amount, normalised to the currency's minor unit.

        Raises:
            FloatAmountError: `amount` is a float (`money.float_amount`).
            InvalidAmountError: `amount` is not a decimal number, not finite, or has more decimals
                than the minor unit (`money.invalid_amount`).
            UnknownCurrencyError: `currency` is not a current ISO 4217 code
                (`money.unknown_currency`).
            NoMinorUnitError: The currency has no minor unit, such as XAU (`money.no_minor_unit`).
        """
        return cls(_to_decimal(amount, field="amount", parse_str=True), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in a currency, with its minor-unit decimals (`0.00 USD`).

        Args:
            currency: An upper-case ISO 4217 code.

        Returns:
            The zero amount.

        Raises:
            UnknownCurrencyError: `currency` is not a current ISO 4217 code
                (`money.unknown_currency`).
            NoMinorUnitError: The currency has no minor unit, such as XAU (`money.no_minor_unit`).
        """
        digits, _ = _lookup(currency)
        return cls._trusted(Decimal((0, (0,), -digits)), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """The amount of a count of minor units: `Money.from_minor(1250, "USD")` is 12.50 USD.

        The inverse of `minor_units`; this is how SQL stores amounts, so sums are exact.

        Args:
            units: The count of minor units (cents), an int.
            currency: An upper-case ISO 4217 code.

        Returns:
            The amount.

        Raises:
            FloatAmountError: `units` is a float (`money.float_amount`).
            InvalidAmountError: `units` is not an int, or is too large (`money.invalid_amount`).
            UnknownCurrencyError: `currency` is not a current ISO 4217 code
                (`money.unknown_currency`).
            NoMinorUnitError: The currency has no minor unit, such as XAU (`money.no_minor_unit`).
        """
        if isinstance(units, float):
            raise FloatAmountError(field="units", details={"value": repr(units)})
        if not isinstance(units, int) or isinstance(units, bool):
            raise InvalidAmountError(
                "Minor units are a whole number.",
                field="units",
                hint=f"units takes an int, not {type(units).__name__}",
                details={"value": _shown_text(repr(units))},
            )
        return cls._from_units(units, currency, field="units")

    @classmethod
    def rounded(
        cls,
        value: Decimal | int | str,
        currency: str,
        rounding: str = ROUND_HALF_EVEN,
    ) -> Money:
        """A number rounded to the currency's minor unit, on purpose: `rounded("2.345", "USD")`.

        Half-even by default, so 2.345 USD is 2.34 and 2.355 is 2.36.

        Args:
            value: A Decimal, an int or a decimal string, with any number of decimals.
            currency: An upper-case ISO 4217 code.
            rounding: A rounding mode of the `decimal` module, such as `ROUND_HALF_UP`.

        Returns:
            The rounded amount.

        Raises:
            InvalidInputError: `rounding` is not a `decimal` rounding mode (`validation.invalid`).
            FloatAmountError: `value` is a float (`money.float_amount`).
            InvalidAmountError: `value` is not a finite decimal number, or too large
                (`money.invalid_amount`).
            UnknownCurrencyError: `currency` is not a current ISO 4217 code
                (`money.unknown_currency`).
            NoMinorUnitError: The currency has no minor unit, such as XAU (`money.no_minor_unit`).
        """
        mode = _check_rounding(rounding)
        _, exponent = _lookup(currency)
        number = _to_decimal(value, field="amount", parse_str=True)
        return cls._trusted(_quantize(number, currency, exponent, mode), currency)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Money:
        """Read Money back from its `to_dict` form: `{"amount": "12.50", "currency": "USD"}`.

        Args:
            data: A mapping with the keys `amount` (a string or an int) and `currency`.

        Returns:
            The amount.

        Raises:
            InvalidInputError: `data` is not a mapping, or lacks a key (`validation.invalid`).
            InvalidAmountError: The amount is not a decimal number that fits the currency
                (`money.invalid_amount`).
            UnknownCurrencyError: `currency` is not a current ISO 4217 code
                (`money.unknown_currency`).
            NoMinorUnitError: The currency has no minor unit, such as XAU (`money.no_minor_unit`).
        """
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                "Money is read from a mapping with 'amount' and 'currency'.",
                field="money",
                details={"value": _shown_text(repr(data))},
            )
        for key in ("amount", "currency"):
            if key not in data:
                raise InvalidInputError(f"The {key!r} key is missing.", field=key)
        return cls.of(data["amount"], data["currency"])

    # --- views --------------------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as a count of minor units (cents); SQL stores this, so sums are exact."""
        digits, _ = _currency_info(self.currency)
        return int(self.amount.scaleb(digits, context=_EXACT))

    @property
    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return not self.amount

    @property
    def is_negative(self) -> bool:
        """Whether the amount is below zero (a refund or a credit, say)."""
        return self.amount < 0

    @property
    def is_positive(self) -> bool:
        """Whether the amount is above zero."""
        return self.amount > 0

    def __bool__(self) -> bool:
        # Like a number, and like py-moneyed: `if balance:` reads "if there is a balance".
        return bool(self.amount)

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready form: the amount as a string, so no float ever touches it.

        Returns:
            `{"amount": "12.50", "currency": "USD"}`; `Money.from_dict` reads it back.

        Raises nothing.
        """
        return {"amount": _text(self.amount), "currency": self.currency}

    def format(self, locale: str = "en_US") -> str:
        """The amount as a person in `locale` reads it: `"$1,234.50"`, `"1.234,50 $"`.

        Every minor-unit digit is shown, never rounded away: CLDR would print HUF and IDR without
        decimals, but "1,50 Ft" must not read as "2 Ft".

        Args:
            locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.

        Returns:
            The formatted amount with the locale's symbol, grouping and sign.

        Raises:
            InvalidInputError: `locale` is not a known locale (`validation.invalid`).
        """
        if not isinstance(locale, str):  # nor hashable, perhaps: the cache would raise
            raise _unknown_locale(locale)
        digits, _ = _currency_info(self.currency)
        parsed, pattern = _currency_pattern(locale, digits)
        with localcontext(_FORMATTING):
            text: str = pattern.apply(
                self.amount, parsed, currency=self.currency, currency_digits=False
            )
        return text

    def __str__(self) -> str:
        return f"{_text(self.amount)} {self.currency}"

    def __repr__(self) -> str:
        # Evaluates back to an equal Money: the constructor refuses strings, Money.of takes them.
        return f"Money.of({_text(self.amount)!r}, {self.currency!r})"

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
            raise _too_large(
                f"{_text(self.amount)} + {_text(other.amount)}", self.currency
            ) from exc
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
            raise _too_large(
                f"{_text(self.amount)} - {_text(other.amount)}", self.currency
            ) from exc
        return Money._trusted(difference, self.currency)

    def __neg__(self) -> Money:
        return Money._trusted(self.amount.copy_negate(), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._trusted(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        """Scale by an int or Decimal, rounding the product half-even to the minor unit.

        The factor is refused (`FactorOutOfRangeError`) past `MAX_FACTOR_DIGITS` digits or an
        exponent of ±`MAX_FACTOR_EXPONENT`, before any arithmetic.
        """
        if isinstance(factor, float):
            raise FloatAmountError(field="factor", details={"value": repr(factor)})
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            return NotImplemented
        if isinstance(factor, Decimal) and not factor.is_finite():
            raise InvalidInputError(
                f"{_shown(factor)} is not a finite factor.",
                field="factor",
                details={"value": _shown(factor)},
            )
        _check_factor(factor, "factor", "factor")
        if isinstance(factor, int):
            units = self.minor_units * factor
        else:
            # Integer arithmetic rounds exactly once, whatever the factor's precision.
            numerator, denominator = factor.as_integer_ratio()
            units = _divide_rounded(self.minor_units * numerator, denominator, ROUND_HALF_EVEN)
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

    # --- cash ---------------------------------------------------------------------------------

    def round_to_cash(self, rounding: str = ROUND_HALF_UP) -> Money:
        """The amount a cash payment settles: rounded to the currency's smallest coin.

        The coin is CLDR's cash unit: CHF 10.03 is 10.05, DKK 10.24 is 10.00, HUF 1 002.50 is 1 005.
        Ties go up (away from zero) by default, as the published rules of the currencies where a tie
        can happen say: Danmarks Nationalbank rounds .25 to .50 and .75 to 1, Sweden and Norway
        round 50 öre/øre up. Invoices and ledgers keep the unrounded amount; only a cash payment
        rounds.

        Args:
            rounding: A rounding mode of the `decimal` module, where a currency's rule differs.

        Returns:
            The cash amount, still in minor units.

        Raises:
            InvalidInputError: `rounding` is not a `decimal` rounding mode (`validation.invalid`).
        """
        mode = _check_rounding(rounding)
        step = _cash_units(self.currency)
        if step == 1:
            return self
        return Money._from_units(
            _divide_rounded(self.minor_units, step, mode) * step, self.currency
        )

    # --- allocation ---------------------------------------------------------------------------

    def allocate(self, ratios: Sequence[Decimal | int]) -> tuple[Money, ...]:
        """Split the amount in proportion to ratios; the parts always add up to exactly the amount.

        Each part is its exact share rounded down to a minor unit; the units left over go one each
        to the parts with the largest remainders (the earlier part on a tie), so no part is ever a
        whole minor unit away from its exact share: 100.00 USD in `[1, 1, 1]` is 33.34, 33.33,
        33.33.

        Args:
            ratios: Non-negative Decimals or ints, at least one above zero.

        Returns:
            One part per ratio, in order.

        Raises:
            InvalidRatiosError: A ratio is negative, not a number, or all are zero
                (`money.invalid_ratios`).
            FloatAmountError: A ratio is a float (`money.float_amount`).
            FactorOutOfRangeError: A ratio has more than 60 digits or an exponent beyond ±100
                (`money.factor_out_of_range`).
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
        """Split the amount into `n` parts as equal as minor units allow, the larger ones first.

        Args:
            n: How many parts, 1 or more.

        Returns:
            The parts, adding up to the amount exactly.

        Raises:
            InvalidInputError: `n` is not a positive int (`validation.invalid`).
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise InvalidInputError(
                f"Money splits into a positive whole number of parts, not {n!r}.",
                field="n",
                details={"value": _shown_text(repr(n))},
            )
        return self.allocate([1] * n)


def _integer_weights(ratios: Sequence[Decimal | int]) -> list[int]:
    """The ratios scaled by one common factor to integers, after checking them."""
    if isinstance(ratios, str | bytes) or not isinstance(ratios, Sequence):
        raise InvalidRatiosError(
            "Ratios are a list of numbers.",
            field="ratios",
            hint="ratios takes a sequence of Decimals or ints",
            details={"value": _shown_text(repr(ratios))},
        )
    fractions: list[tuple[int, int]] = []
    for index, ratio in enumerate(ratios):
        field = f"ratios[{index}]"
        if isinstance(ratio, float):
            raise FloatAmountError(field=field, details={"value": repr(ratio)})
        if isinstance(ratio, bool) or not isinstance(ratio, int | Decimal):
            raise InvalidRatiosError(
                "A ratio must be a number.",
                field=field,
                hint=f"{field} takes a Decimal or an int, not {type(ratio).__name__}",
                details={"value": _shown_text(repr(ratio))},
            )
        if isinstance(ratio, Decimal) and not ratio.is_finite():
            raise InvalidRatiosError(
                f"{_shown(ratio)} is not a finite ratio.",
                field=field,
                details={"value": _shown(ratio)},
            )
        _check_factor(ratio, field, "ratio")
        if ratio < 0:
            raise InvalidRatiosError(
                f"{_shown(ratio)} is a negative ratio.",
                field=field,
                details={"value": _shown(ratio)},
            )
        fractions.append(ratio.as_integer_ratio())
    if not any(numerator for numerator, _ in fractions):
        raise InvalidRatiosError(
            "At least one ratio must be above zero.",
            field="ratios",
            details={"value": [_shown(ratio) for ratio in ratios]},
        )
    common = lcm(*(denominator for _, denominator in fractions))
    return [numerator * (common // denominator) for numerator, denominator in fractions]


# --- apportioning -----------------------------------------------------------------------------


def apportion(total: Money, exact_parts: Sequence[Decimal | int]) -> list[Money]:
    """Round `exact_parts` (unrounded amounts in `total`'s currency) so that they add up to
    `total` to the minor unit: a statement rounds its total once, then its lines.

    Each part is rounded half-even; the minor units still missing (or over) go one each to the
    parts that rounding moved furthest the other way, the earlier part on a tie, so the result
    is deterministic and no part moves more than one minor unit from its rounded value. Parts
    further from `total` than one unit each can mend are refused. Parts are bounded like
    factors.
    """
    if not isinstance(total, Money):
        raise InvalidInputError(
            "The total must be an amount of money.",
            field="total",
            hint=f"total takes a Money, not {type(total).__name__}",
            details={"value": _shown_text(repr(total))},
        )
    if isinstance(exact_parts, str | bytes) or not isinstance(exact_parts, Sequence):
        raise InvalidInputError(
            "The exact parts must be a list of decimal numbers.",
            field="exact_parts",
            hint="exact_parts takes a sequence of Decimals",
            details={"value": _shown_text(repr(exact_parts))},
        )
    currency = total.currency
    digits, exponent = _currency_info(currency)
    exact: list[Decimal] = []
    rounded: list[Money] = []
    for index, part in enumerate(exact_parts):
        field = f"exact_parts[{index}]"
        value = _to_decimal(part, field=field, parse_str=False)
        _check_factor(value, field, "exact part")
        rounded.append(
            Money._trusted(_quantize(value, currency, exponent, ROUND_HALF_EVEN, field), currency)
        )
        exact.append(value)
    counts = [money.minor_units for money in rounded]
    missing = total.minor_units - sum(counts)
    if not missing:
        return rounded
    if abs(missing) > len(counts):
        rounded_sum = Money._from_units(sum(counts), currency)
        raise InvalidInputError(
            f"The exact parts round to {rounded_sum}, too far from the total {total}: "
            "apportioning moves each part by at most one minor unit.",
            field="exact_parts",
            details={"total": str(total), "parts_rounded": str(rounded_sum)},
            remedy="Pass the parts whose sum the total was rounded from.",
        )
    step = 1 if missing > 0 else -1
    # What each part lost to rounding, in minor units, counted in the direction we must move;
    # Fractions keep it exact, and the factor bound keeps them a few hundred digits at most.
    scale = 10**digits
    lost = [(Fraction(p) * scale - count) * step for p, count in zip(exact, counts, strict=True)]
    order = sorted(range(len(counts)), key=lambda index: (-lost[index], index))
    for index in order[: abs(missing)]:
        counts[index] += step
    return [Money._from_units(count, currency) for count in counts]

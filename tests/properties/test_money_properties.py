from datetime import timedelta
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
    Inexact,
    Rounded,
)
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerkit.errors import FactorOutOfRangeError, InvalidAmountError, PartnerkitError
from partnerkit.money import (
    MAX_DIGITS,
    MAX_FACTOR_DIGITS,
    MAX_FACTOR_EXPONENT,
    Money,
    apportion,
    cash_unit,
    currencies,
    minor_unit_digits,
)

currencies_ = st.sampled_from(sorted(currencies()))
# Well past any real ledger total (BIGINT holds about 9.2e18), still inside Money's 60 digits.
units = st.integers(min_value=-(10**20), max_value=10**20)
ratio = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
)
ratios = st.lists(ratio, min_size=1, max_size=12).filter(lambda values: any(v > 0 for v in values))


@st.composite
def moneys(draw: st.DrawFn, currency: str | None = None) -> Money:
    return Money.from_minor(draw(units), currency or draw(currencies_))


@given(whole=moneys(), weights=ratios)
def test_allocated_parts_add_up_to_the_whole(whole: Money, weights: list[Decimal | int]) -> None:
    parts = whole.allocate(weights)
    assert len(parts) == len(weights)
    assert all(part.currency == whole.currency for part in parts)
    assert sum(part.minor_units for part in parts) == whole.minor_units
    assert sum(parts, Money.zero(whole.currency)) == whole


@given(whole=moneys(), weights=ratios)
def test_each_part_is_within_one_minor_unit_of_its_exact_share(
    whole: Money, weights: list[Decimal | int]
) -> None:
    total_weight = sum(Fraction(weight) for weight in weights)
    for part, weight in zip(whole.allocate(weights), weights, strict=True):
        exact = Fraction(whole.minor_units) * Fraction(weight) / total_weight
        assert abs(part.minor_units - exact) < 1
        if weight == 0:
            assert part.is_zero
        assert not (part.is_positive and whole.is_negative)
        assert not (part.is_negative and whole.is_positive)


@given(whole=moneys(), n=st.integers(min_value=1, max_value=50))
def test_split_parts_differ_by_at_most_one_minor_unit(whole: Money, n: int) -> None:
    parts = whole.split(n)
    counts = [part.minor_units for part in parts]
    assert sum(counts) == whole.minor_units
    assert max(counts) - min(counts) <= 1
    sizes = [abs(count) for count in counts]
    assert sizes == sorted(sizes, reverse=True)


@given(data=st.data(), currency=currencies_)
def test_addition_is_commutative_and_associative(data: st.DataObject, currency: str) -> None:
    a, b, c = (data.draw(moneys(currency)) for _ in range(3))
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert a + Money.zero(currency) == a
    assert (a - b) + b == a
    assert a + (-a) == Money.zero(currency)
    assert (a + b).minor_units == a.minor_units + b.minor_units


@given(count=units, currency=currencies_)
def test_minor_units_round_trip_through_from_minor(count: int, currency: str) -> None:
    money = Money.from_minor(count, currency)
    assert money.minor_units == count
    assert money.amount.as_tuple().exponent == -minor_unit_digits(currency)
    assert Money.from_minor(money.minor_units, currency) == money
    assert Money.of(str(money.amount), currency) == money
    assert Money.from_dict(money.to_dict()) == money


@given(
    value=st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False),
    currency=currencies_,
)
def test_rounded_is_within_half_a_minor_unit(value: Decimal, currency: str) -> None:
    money = Money.rounded(value, currency)
    exact = Fraction(value) * 10 ** minor_unit_digits(currency)
    assert abs(money.minor_units - exact) <= Fraction(1, 2)


@given(money=moneys(), factor=st.integers(min_value=-1000, max_value=1000))
def test_multiplying_by_an_int_is_exact(money: Money, factor: int) -> None:
    assert (money * factor).minor_units == money.minor_units * factor
    assert factor * money == money * factor


@given(data=st.data(), currency=currencies_)
def test_ordering_follows_minor_units(data: st.DataObject, currency: str) -> None:
    a, b = data.draw(moneys(currency)), data.draw(moneys(currency))
    assert (a < b) == (a.minor_units < b.minor_units)
    assert (a <= b) == (a.minor_units <= b.minor_units)
    assert (a == b) == (a.minor_units == b.minor_units)


# --- hostile factors and ratios ---------------------------------------------------------------

# Decimals of up to 80 digits with any exponent from -10^7 to 10^7: built from their tuple, so
# generating one costs nothing whatever its size.
hostile_decimals = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
    st.integers(min_value=0, max_value=1),
    st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=80),
    st.integers(min_value=-(10**7), max_value=10**7),
)
hostile_ints = st.one_of(
    st.integers(),
    st.builds(lambda k, sign: sign * 10**k, st.integers(0, 5000), st.sampled_from([1, -1])),
)
hostile = st.one_of(hostile_decimals, hostile_ints)


def _returns_or_refuses(call: object) -> None:
    """The call returns Money, or a list or tuple of it, or raises a typed error; nothing else."""
    assert callable(call)
    try:
        result = call()
    except PartnerkitError:
        return
    parts = result if isinstance(result, list | tuple) else [result]
    assert all(isinstance(part, Money) for part in parts)


# Each call is microseconds; the deadline only catches a return of the 15-second cases, and
# is generous so that a slow machine never fails it.
@settings(deadline=timedelta(seconds=2), max_examples=300)
@given(money=moneys(), value=hostile)
def test_any_factor_or_ratio_returns_or_raises_a_typed_error(
    money: Money, value: Decimal | int
) -> None:
    _returns_or_refuses(lambda: money * value)
    _returns_or_refuses(lambda: value * money)
    _returns_or_refuses(lambda: money.allocate([value, 1]))
    _returns_or_refuses(lambda: money.allocate([1, value, Decimal("0.5")]))
    _returns_or_refuses(lambda: apportion(money, [value]))
    _returns_or_refuses(lambda: apportion(money, [Decimal(0), value]))
    _returns_or_refuses(lambda: Money.rounded(value, money.currency))
    _returns_or_refuses(lambda: Money(value, money.currency))


def _in_bounds(value: Decimal) -> bool:
    return (
        -MAX_FACTOR_EXPONENT <= value.adjusted() <= MAX_FACTOR_EXPONENT
        and len(value.as_tuple().digits) <= MAX_FACTOR_DIGITS
    )


# Around the bounds, where the interesting answers are.
near_bound_decimals = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
    st.integers(min_value=0, max_value=1),
    st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=MAX_FACTOR_DIGITS + 5),
    st.integers(min_value=-MAX_FACTOR_EXPONENT - 70, max_value=MAX_FACTOR_EXPONENT + 5),
)


@settings(deadline=timedelta(seconds=2))
@given(money=moneys(), factor=st.one_of(hostile_decimals, near_bound_decimals))
def test_a_factor_is_refused_exactly_when_it_is_out_of_bounds(
    money: Money, factor: Decimal
) -> None:
    if not _in_bounds(factor):
        with pytest.raises(FactorOutOfRangeError):
            money * factor
        return
    # round() of a Fraction is half-even, like Money's multiplication.
    units = round(Fraction(money.minor_units) * Fraction(factor))
    if abs(units) >= 10**MAX_DIGITS:
        with pytest.raises(InvalidAmountError):
            money * factor
        return
    assert (money * factor).minor_units == units


# --- cash rounding ----------------------------------------------------------------------------

cash_currencies = st.sampled_from(["CAD", "CHF", "DKK", "HUF", "MRU", "NOK", "SEK", "USD", "JPY"])
modes = st.sampled_from(
    [
        ROUND_05UP,
        ROUND_CEILING,
        ROUND_DOWN,
        ROUND_FLOOR,
        ROUND_HALF_DOWN,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_UP,
    ]
)
_WIDE = Context(prec=200, traps=[Inexact, Rounded])


@given(data=st.data(), currency=cash_currencies, rounding=modes)
def test_round_to_cash_matches_decimal_rounding_to_the_cash_unit(
    data: st.DataObject, currency: str, rounding: str
) -> None:
    money = data.draw(moneys(currency))
    unit = cash_unit(currency)
    cash = money.round_to_cash(rounding)
    # The reference: Decimal's own rounding of amount / unit to a whole number of units. Exact:
    # every cash unit is 2^a·5^b minor units, so the quotient is a terminating decimal.
    quotient = _WIDE.divide(money.amount, unit)
    expected = _WIDE.multiply(
        quotient.quantize(Decimal(1), rounding=rounding, context=Context(prec=200)), unit
    )
    assert cash.amount == expected
    assert cash.currency == currency
    assert cash.round_to_cash(rounding) == cash


@given(data=st.data(), currency=cash_currencies)
def test_round_to_cash_is_within_half_a_cash_unit(data: st.DataObject, currency: str) -> None:
    money = data.draw(moneys(currency))
    cash = money.round_to_cash()
    unit = cash_unit(currency)
    assert abs(Fraction(cash.amount) - Fraction(money.amount)) <= Fraction(unit) / 2
    assert Fraction(cash.amount) % Fraction(unit) == 0


# --- apportion --------------------------------------------------------------------------------

exact_parts = st.lists(
    st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False),
    max_size=20,
)


@given(parts=exact_parts, currency=currencies_)
def test_apportioned_parts_add_up_to_the_rounded_total(parts: list[Decimal], currency: str) -> None:
    total = Money.rounded(sum(parts, Decimal(0)), currency)
    result = apportion(total, parts)
    assert len(result) == len(parts)
    assert sum(money.minor_units for money in result) == total.minor_units
    scale = 10 ** minor_unit_digits(currency)
    for money, part in zip(result, parts, strict=True):
        assert money.currency == currency
        assert abs(money.minor_units - Fraction(part) * scale) < Fraction(3, 2)
    assert apportion(total, parts) == result


def _apportion_as_commissions_did(total: Money, exact_parts: list[Decimal]) -> list[Money]:
    """The function partnerkit.mapping.commissions had before apportion moved here."""
    rounded = [Money.rounded(p, total.currency) for p in exact_parts]
    diff_units = total.minor_units - sum(m.minor_units for m in rounded)
    step = 1 if diff_units > 0 else -1
    residual = [(p - r.amount) * step for p, r in zip(exact_parts, rounded, strict=True)]
    order = sorted(range(len(exact_parts)), key=lambda i: (-residual[i], i))
    units = [m.minor_units for m in rounded]
    for i in order[: abs(diff_units)]:
        units[i] += step
    return [Money.from_minor(u, total.currency) for u in units]


@given(parts=exact_parts, currency=currencies_)
def test_apportion_gives_the_figures_commission_statements_always_had(
    parts: list[Decimal], currency: str
) -> None:
    total = Money.rounded(sum(parts, Decimal(0)), currency)
    assert apportion(total, parts) == _apportion_as_commissions_did(total, parts)

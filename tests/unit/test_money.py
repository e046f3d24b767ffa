import pickle
from collections.abc import Callable
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Clamped,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Subnormal,
    Underflow,
    localcontext,
)
from typing import Any

import pytest

from partnerkit.errors import (
    CurrencyMismatchError,
    FactorOutOfRangeError,
    FloatAmountError,
    InvalidAmountError,
    InvalidInputError,
    InvalidRatiosError,
    PartnerkitError,
    UnknownCurrencyError,
    ValidationError,
)
from partnerkit.money import (
    MAX_DIGITS,
    MAX_FACTOR_DIGITS,
    MAX_FACTOR_EXPONENT,
    Money,
    apportion,
    cash_unit,
    minor_unit_digits,
)


def usd(text: str) -> Money:
    return Money.of(text, "USD")


# --- construction -----------------------------------------------------------------------------


def test_a_float_amount_is_refused_with_a_stable_code() -> None:
    with pytest.raises(FloatAmountError) as caught:
        Money(12.5, "USD")  # type: ignore[arg-type]
    assert caught.value.code == "money.float_amount"
    assert caught.value.details["field"] == "amount"
    assert isinstance(caught.value, ValidationError)
    assert isinstance(caught.value, ValueError)


def test_a_float_is_refused_by_every_constructor() -> None:
    with pytest.raises(FloatAmountError):
        Money.of(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(FloatAmountError):
        Money.rounded(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(FloatAmountError):
        Money.from_dict({"amount": 1.5, "currency": "USD"})


def test_an_unknown_currency_is_refused_with_a_stable_code() -> None:
    with pytest.raises(UnknownCurrencyError) as caught:
        Money(Decimal(1), "ZZZ")
    assert caught.value.code == "money.unknown_currency"
    assert caught.value.details["field"] == "currency"
    assert caught.value.details["value"] == "ZZZ"


def test_a_lower_case_code_is_refused_with_a_hint() -> None:
    with pytest.raises(UnknownCurrencyError) as caught:
        Money(Decimal(1), "usd")
    assert caught.value.remedy is not None
    assert "'USD'" in caught.value.remedy


@pytest.mark.parametrize("currency", [None, 840, ["USD"], b"USD"])
def test_a_currency_that_is_not_a_string_is_refused(currency: Any) -> None:
    with pytest.raises(UnknownCurrencyError) as caught:
        Money(Decimal(1), currency)
    assert caught.value.details["field"] == "currency"


def test_an_int_amount_is_converted() -> None:
    money = Money(12, "USD")
    assert money.amount == Decimal("12.00")
    assert str(money.amount) == "12.00"


def test_the_amount_is_normalised_to_the_currency_exponent() -> None:
    assert str(Money(Decimal("1.5"), "USD").amount) == "1.50"
    assert str(Money(Decimal("1.500"), "USD").amount) == "1.50"
    assert str(Money(Decimal("1E+3"), "JPY").amount) == "1000"
    assert str(Money(Decimal("7"), "KWD").amount) == "7.000"


def test_negative_zero_loses_its_sign() -> None:
    assert str(Money(Decimal("-0"), "USD")) == "0.00 USD"
    assert str(-Money.zero("USD")) == "0.00 USD"
    assert str(Money.rounded("-0.001", "USD")) == "0.00 USD"


def test_a_string_is_refused_without_of() -> None:
    with pytest.raises(InvalidAmountError) as caught:
        Money("12.50", "USD")  # type: ignore[arg-type]
    assert caught.value.details["field"] == "amount"
    # Only a program passes text here: the hint, not the message, names the call to use.
    assert "Money.of" in (caught.value.hint or "")
    assert "Money.of" not in caught.value.message


@pytest.mark.parametrize("amount", [True, None, object(), [1]])
def test_other_amount_types_are_refused(amount: Any) -> None:
    with pytest.raises(InvalidAmountError):
        Money(amount, "USD")


def test_of_parses_strings() -> None:
    assert Money.of("12.50", "USD") == Money(Decimal("12.50"), "USD")
    assert Money.of(" 3 ", "EUR") == Money(3, "EUR")
    assert Money.of(Decimal("1.1"), "USD").amount == Decimal("1.10")


@pytest.mark.parametrize("text", ["abc", "", "1,50", "12.5.0", "$1"])
def test_of_refuses_strings_that_are_not_numbers(text: str) -> None:
    with pytest.raises(InvalidAmountError) as caught:
        Money.of(text, "USD")
    assert caught.value.code == "money.invalid_amount"
    assert caught.value.details["field"] == "amount"


@pytest.mark.parametrize(
    "amount", ["NaN", "sNaN", "Infinity", "-Infinity", Decimal("NaN"), Decimal("-Inf")]
)
def test_non_finite_amounts_are_refused(amount: str | Decimal) -> None:
    with pytest.raises(InvalidAmountError):
        Money.of(amount, "USD")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.001", "USD"), ("0.5", "JPY"), ("1.0001", "KWD"), ("0.001", "EUR")],
)
def test_an_amount_finer_than_the_minor_unit_is_refused(amount: str, currency: str) -> None:
    with pytest.raises(InvalidAmountError) as caught:
        Money.of(amount, currency)
    assert caught.value.details["field"] == "amount"
    assert caught.value.details["minor_unit_digits"] == minor_unit_digits(currency)
    assert caught.value.details["currency"] == currency


def test_an_absurdly_large_amount_is_refused_not_rounded() -> None:
    with pytest.raises(InvalidAmountError) as caught:
        Money.of("1e999999", "USD")
    assert caught.value.details["max_digits"] == MAX_DIGITS


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3)])
def test_minor_unit_digits(currency: str, digits: int) -> None:
    assert minor_unit_digits(currency) == digits
    assert Money.zero(currency).amount.as_tuple().exponent == -digits


def test_minor_unit_digits_refuses_an_unknown_currency() -> None:
    with pytest.raises(UnknownCurrencyError):
        minor_unit_digits("ABC")


# --- rounding and minor units -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.345", "2.34"), ("2.355", "2.36"), ("2.3451", "2.35"), ("-2.345", "-2.34"), (7, "7.00")],
)
def test_rounded_is_half_even_by_default(value: str | int, expected: str) -> None:
    assert Money.rounded(value, "USD") == usd(expected)


def test_rounded_honours_the_rounding_mode() -> None:
    assert Money.rounded("2.345", "USD", rounding=ROUND_HALF_UP) == usd("2.35")
    assert Money.rounded("2.349", "USD", rounding=ROUND_DOWN) == usd("2.34")
    assert Money.rounded(Decimal("2.5"), "JPY") == Money(2, "JPY")
    assert Money.rounded(Decimal("1.0005"), "KWD") == Money.of("1.000", "KWD")


def test_rounded_refuses_an_unknown_mode() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Money.rounded("1", "USD", rounding="NEAREST")
    assert caught.value.details["field"] == "rounding"


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("12.50", "USD", 1250), ("-0.01", "USD", -1), ("1234", "JPY", 1234), ("1.234", "KWD", 1234)],
)
def test_minor_units_round_trip(amount: str, currency: str, units: int) -> None:
    money = Money.of(amount, currency)
    assert money.minor_units == units
    assert Money.from_minor(units, currency) == money


@pytest.mark.parametrize("units", [1.0, Decimal(1), "1", True])
def test_from_minor_takes_only_an_int(units: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.from_minor(units, "USD")
    assert caught.value.details["field"] == "units"


def test_predicates() -> None:
    assert Money.zero("EUR").is_zero
    assert not usd("0.01").is_zero
    assert usd("-0.01").is_negative
    assert not usd("0").is_negative
    assert usd("0.01").is_positive
    assert not usd("0").is_positive


# --- arithmetic -------------------------------------------------------------------------------


def test_addition_and_subtraction() -> None:
    assert usd("1.10") + usd("2.25") == usd("3.35")
    assert usd("1.10") - usd("2.25") == usd("-1.15")
    assert str((usd("1.10") - usd("1.10")).amount) == "0.00"


@pytest.mark.parametrize("operation", ["add", "sub", "lt", "le", "gt", "ge"])
def test_different_currencies_never_combine(operation: str) -> None:
    left, right = usd("1"), Money.of("1", "EUR")
    with pytest.raises(CurrencyMismatchError) as caught:
        getattr(left, f"__{operation}__")(right)
    assert caught.value.code == "money.currency_mismatch"
    assert caught.value.details["left"] == "USD"
    assert caught.value.details["right"] == "EUR"


def test_equality_is_by_amount_and_currency() -> None:
    assert usd("1.5") == Money(Decimal("1.50"), "USD")
    assert usd("1") != Money.of("1", "EUR")
    assert usd("1") != Decimal("1.00")
    assert hash(usd("1.5")) == hash(Money(Decimal("1.50"), "USD"))
    assert len({usd("1"), usd("1.00"), Money.of("1", "EUR")}) == 2


def test_ordering_within_a_currency() -> None:
    assert usd("1") < usd("2") <= usd("2") < usd("3")
    assert usd("3") > usd("-3") >= usd("-3")
    assert sorted([usd("2"), usd("-1"), usd("0.5")]) == [usd("-1"), usd("0.5"), usd("2")]
    assert max(usd("2"), usd("10")) == usd("10")


def test_negation_and_abs() -> None:
    assert -usd("1.25") == usd("-1.25")
    assert abs(usd("-1.25")) == usd("1.25")
    assert +usd("1.25") == usd("1.25")


def test_sum_works_from_its_int_start() -> None:
    assert sum([usd("1.10"), usd("2.20"), usd("3.30")]) == usd("6.60")
    assert sum([usd("1")], Money.zero("USD")) == usd("1")
    assert 0 + usd("1") == usd("1")


@pytest.mark.parametrize("other", [1, 0.0, Decimal(0), False])
def test_adding_a_plain_number_is_a_type_error(other: Any) -> None:
    with pytest.raises(TypeError):
        usd("1") + other
    with pytest.raises(TypeError):
        other + usd("1")


def test_multiplication_rounds_half_even() -> None:
    assert usd("1.25") * 3 == usd("3.75")
    assert 3 * usd("1.25") == usd("3.75")
    assert usd("0.05") * Decimal("0.5") == usd("0.02")
    assert usd("0.15") * Decimal("0.5") == usd("0.08")
    assert usd("-0.05") * Decimal("0.5") == usd("-0.02")
    assert usd("10") * Decimal("0.3333") == usd("3.33")
    assert Money(100, "JPY") * Decimal("0.125") == Money(12, "JPY")


def test_multiplication_by_a_float_is_refused() -> None:
    with pytest.raises(FloatAmountError) as caught:
        usd("1") * 1.5  # type: ignore[operator]
    assert caught.value.details["field"] == "factor"
    with pytest.raises(FloatAmountError):
        1.5 * usd("1")  # type: ignore[operator]


def test_multiplication_by_money_or_non_finite_is_refused() -> None:
    with pytest.raises(TypeError):
        usd("1") * usd("2")  # type: ignore[operator]
    with pytest.raises(InvalidInputError) as caught:
        usd("1") * Decimal("Infinity")
    assert caught.value.details["field"] == "factor"


# --- allocation -------------------------------------------------------------------------------


def test_allocate_hands_the_remainder_to_the_earliest_of_equal_parts() -> None:
    assert usd("100.00").allocate([1, 1, 1]) == (usd("33.34"), usd("33.33"), usd("33.33"))


def test_allocate_gives_remainders_to_the_largest_fractions() -> None:
    # Exact shares are 5, 3.33… and 1.66… cents: the largest fraction wins the spare cent.
    assert usd("0.10").allocate([3, 2, 1]) == (usd("0.05"), usd("0.03"), usd("0.02"))
    assert usd("0.05").allocate([Decimal("0.3"), Decimal("0.7")]) == (usd("0.02"), usd("0.03"))


def test_allocate_keeps_zero_ratios_at_zero() -> None:
    assert usd("1.00").allocate([0, 1, 0, 1]) == (usd("0"), usd("0.50"), usd("0"), usd("0.50"))
    assert usd("0.01").allocate([0, 1, 1]) == (usd("0"), usd("0.01"), usd("0"))


def test_allocate_a_negative_amount() -> None:
    assert usd("-100.00").allocate([1, 1, 1]) == (usd("-33.34"), usd("-33.33"), usd("-33.33"))


def test_allocate_in_whole_yen() -> None:
    parts = Money(10, "JPY").allocate([1, 1, 1])
    assert parts == (Money(4, "JPY"), Money(3, "JPY"), Money(3, "JPY"))


def test_split() -> None:
    assert usd("0.05").split(3) == (usd("0.02"), usd("0.02"), usd("0.01"))
    assert usd("7").split(1) == (usd("7"),)


@pytest.mark.parametrize("n", [0, -1, True, "3", 2.0])
def test_split_refuses_a_bad_count(n: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        usd("1").split(n)
    assert caught.value.details["field"] == "n"


@pytest.mark.parametrize(
    "ratios",
    [[], [0, 0], [1, -1], [Decimal("NaN")], [Decimal("Infinity")], ["1"], [True], "11", 3],
)
def test_allocate_refuses_bad_ratios(ratios: Any) -> None:
    with pytest.raises(InvalidRatiosError) as caught:
        usd("1").allocate(ratios)
    assert caught.value.code == "money.invalid_ratios"
    assert isinstance(caught.value, InvalidInputError)
    assert caught.value.details["field"].startswith("ratios")


def test_allocate_refuses_a_float_ratio() -> None:
    with pytest.raises(FloatAmountError) as caught:
        usd("1").allocate([1, 0.5])  # type: ignore[list-item]
    assert caught.value.details["field"] == "ratios[1]"


# --- presentation and serialisation -----------------------------------------------------------


def test_format_for_a_locale() -> None:
    assert Money.of("1234.5", "USD").format("en_US") == "$1,234.50"
    assert Money.of("1234.5", "USD").format() == "$1,234.50"
    assert Money.of("1234.5", "USD").format("de_DE") == "1.234,50\xa0$"
    assert Money.of("1234.5", "USD").format("de-DE") == "1.234,50\xa0$"
    assert Money(1234, "JPY").format("en_US") == "¥1,234"


@pytest.mark.parametrize("locale", ["xx", "zz_ZZ", "not a locale", ""])
def test_format_refuses_an_unknown_locale(locale: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        usd("1").format(locale)
    assert caught.value.details["field"] == "locale"


def test_str_and_repr() -> None:
    assert str(usd("12.5")) == "12.50 USD"
    assert repr(usd("12.5")) == "Money.of('12.50', 'USD')"
    assert str(Money(1000000, "JPY")) == "1000000 JPY"
    assert str(Money.of("0.001", "KWD")) == "0.001 KWD"


def test_dict_round_trip() -> None:
    money = usd("12.5")
    assert money.to_dict() == {"amount": "12.50", "currency": "USD"}
    assert Money.from_dict(money.to_dict()) == money


@pytest.mark.parametrize(
    ("data", "field"),
    [({"currency": "USD"}, "amount"), ({"amount": "1"}, "currency"), (["1", "USD"], "money")],
)
def test_from_dict_names_what_is_missing(data: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Money.from_dict(data)
    assert caught.value.details["field"] == field


def test_money_is_immutable_and_picklable() -> None:
    money = usd("1")
    with pytest.raises(AttributeError):
        money.amount = Decimal(2)  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(money)) == money


# --- truthiness and repr ----------------------------------------------------------------------


def test_zero_is_falsy_and_any_other_amount_truthy() -> None:
    # Like a number and like py-moneyed: `if balance:` reads "if there is a balance".
    assert not Money.zero("USD")
    assert not usd("0.00")
    assert not Money.rounded("-0.001", "USD")
    assert usd("0.01")
    assert usd("-0.01")
    assert Money(1, "JPY")


@pytest.mark.parametrize(
    "money",
    [usd("1000"), usd("-0.05"), Money.zero("USD"), Money(7, "JPY"), Money.of("1.250", "IQD")],
)
def test_repr_evaluates_back_to_an_equal_money(money: Money) -> None:
    again = eval(repr(money), {"Money": Money})
    assert again == money
    assert str(again.amount) == str(money.amount)


def test_repr_reads_as_the_constructor_call() -> None:
    assert repr(usd("1000")) == "Money.of('1000.00', 'USD')"
    assert repr(Money.of("-1.5", "KWD")) == "Money.of('-1.500', 'KWD')"


# --- cash rounding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "unit"),
    [
        ("CHF", "0.05"),
        ("CAD", "0.05"),
        ("DKK", "0.50"),
        ("MRU", "0.20"),
        ("HUF", "5"),
        ("SEK", "1"),
        ("IDR", "1"),
        ("IQD", "1"),
        ("USD", "0.01"),
        ("EUR", "0.01"),
        ("JPY", "1"),
        ("KWD", "0.001"),
    ],
)
def test_cash_unit_comes_from_cldr_and_is_never_finer_than_the_minor_unit(
    currency: str, unit: str
) -> None:
    assert cash_unit(currency) == Decimal(unit)
    assert cash_unit(currency).as_tuple().exponent == -minor_unit_digits(currency)


def test_cash_unit_refuses_an_unknown_currency() -> None:
    with pytest.raises(UnknownCurrencyError):
        cash_unit("ZZZ")


@pytest.mark.parametrize(
    ("amount", "currency", "cash"),
    [
        ("10.03", "CHF", "10.05"),
        ("10.02", "CHF", "10.00"),
        ("10.07", "CHF", "10.05"),
        ("10.08", "CHF", "10.10"),
        ("10.24", "DKK", "10.00"),
        ("10.25", "DKK", "10.50"),
        ("10.74", "DKK", "10.50"),
        ("10.75", "DKK", "11.00"),
        ("-10.25", "DKK", "-10.50"),
        ("10.49", "SEK", "10"),
        ("10.50", "SEK", "11"),
        ("1002.49", "HUF", "1000"),
        ("1002.50", "HUF", "1005"),
        ("1007.49", "HUF", "1005"),
        ("0.10", "MRU", "0.20"),
        ("12.345", "KWD", "12.345"),
        ("12.34", "USD", "12.34"),
    ],
)
def test_round_to_cash(amount: str, currency: str, cash: str) -> None:
    result = Money.of(amount, currency).round_to_cash()
    assert result == Money.of(cash, currency)
    assert result.round_to_cash() == result


def test_round_to_cash_ties_go_up_by_default_and_honour_another_mode() -> None:
    assert Money.of("10.25", "DKK").round_to_cash() == Money.of("10.50", "DKK")
    assert Money.of("10.25", "DKK").round_to_cash(ROUND_HALF_EVEN) == Money.of("10", "DKK")
    assert Money.of("10.75", "DKK").round_to_cash(ROUND_HALF_EVEN) == Money.of("11", "DKK")
    assert Money.of("10.01", "DKK").round_to_cash(ROUND_CEILING) == Money.of("10.50", "DKK")
    assert Money.of("-10.01", "DKK").round_to_cash(ROUND_FLOOR) == Money.of("-10.50", "DKK")
    assert Money.of("10.49", "DKK").round_to_cash(ROUND_DOWN) == Money.of("10", "DKK")


def test_round_to_cash_refuses_an_unknown_mode() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Money.of("1", "CHF").round_to_cash("NEAREST")
    assert caught.value.details["field"] == "rounding"


# --- bounded factors and ratios ---------------------------------------------------------------


HOSTILE = [
    pytest.param(Decimal("1E-10000000"), id="1E-10000000"),
    pytest.param(Decimal("1E+10000000"), id="1E+10000000"),
    pytest.param(Decimal("-1E+10000000"), id="-1E+10000000"),
    pytest.param(Decimal(f"1E-{MAX_FACTOR_EXPONENT + 1}"), id="just-too-small"),
    pytest.param(Decimal(f"1E+{MAX_FACTOR_EXPONENT + 1}"), id="just-too-large"),
    pytest.param(Decimal("1." + "1" * MAX_FACTOR_DIGITS), id="one-digit-too-many"),
    pytest.param(Decimal("1" * 1_000_000), id="a-million-digits"),
]


@pytest.mark.parametrize("factor", [*HOSTILE, pytest.param(Decimal("0E-10000000"), id="0E-1e7")])
def test_a_factor_out_of_range_is_refused_before_any_arithmetic(factor: Decimal) -> None:
    with pytest.raises(FactorOutOfRangeError) as caught:
        usd("100") * factor
    assert caught.value.code == "money.factor_out_of_range"
    assert caught.value.details["field"] == "factor"
    assert caught.value.details["max_digits"] == MAX_FACTOR_DIGITS
    assert caught.value.details["max_exponent"] == MAX_FACTOR_EXPONENT
    assert isinstance(caught.value, ValidationError)
    # The message is for a person: it never spells out a million digits.
    assert len(str(caught.value)) < 400
    with pytest.raises(FactorOutOfRangeError):
        factor * usd("100")  # type: ignore[operator]


@pytest.mark.parametrize(
    "factor",
    [
        pytest.param(10**MAX_FACTOR_DIGITS, id="10**60"),
        pytest.param(-(10**MAX_FACTOR_DIGITS), id="-10**60"),
        pytest.param(10**5000, id="10**5000"),
    ],
)
def test_an_int_factor_with_too_many_digits_is_refused(factor: int) -> None:
    with pytest.raises(FactorOutOfRangeError) as caught:
        usd("1") * factor
    assert caught.value.details["field"] == "factor"
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize(
    "factor",
    [
        Decimal(f"1E-{MAX_FACTOR_EXPONENT}"),
        Decimal(f"9E+{MAX_FACTOR_EXPONENT}"),
        Decimal("0." + "3" * MAX_FACTOR_DIGITS),
        Decimal(1) / Decimal(3),
        10**MAX_FACTOR_DIGITS - 1,
    ],
)
def test_a_factor_at_the_bounds_is_accepted(factor: Decimal | int) -> None:
    assert Money.zero("USD") * factor == Money.zero("USD")
    if factor < 1:
        assert (usd("1") * factor).currency == "USD"


def test_a_huge_factor_within_bounds_still_reports_a_typed_too_large() -> None:
    with pytest.raises(InvalidAmountError) as caught:
        usd("1") * Decimal(f"1E+{MAX_FACTOR_EXPONENT}")
    assert caught.value.details["max_digits"] == MAX_DIGITS


@pytest.mark.parametrize("ratio", HOSTILE)
def test_a_ratio_out_of_range_is_refused_and_named(ratio: Decimal) -> None:
    with pytest.raises(FactorOutOfRangeError) as caught:
        usd("100").allocate([1, ratio])
    assert caught.value.details["field"] == "ratios[1]"


def test_the_exponent_bound_is_about_the_leading_digit() -> None:
    # 1E-100 and 123E-102 both lead at 10^-100; the second has more digits, not a larger range.
    assert usd("1") * Decimal(f"123E-{MAX_FACTOR_EXPONENT + 2}") == Money.zero("USD")
    with pytest.raises(FactorOutOfRangeError):
        usd("1") * Decimal(f"1E-{MAX_FACTOR_EXPONENT + 1}")


# --- independence from the caller's decimal context -------------------------------------------


def _everything() -> list[object]:
    """One result of every Money operation, to compare inside and outside odd contexts."""
    a, b = Money.of("1234567.89", "USD"), Money.of("0.05", "USD")
    return [
        Money.of("1234567.89", "USD"),
        Money(Decimal("123456789012345678901234567890.12"), "USD"),
        Money.rounded("2.345", "USD"),
        Money.rounded(Decimal("98765.4321"), "JPY"),
        Money.zero("KWD"),
        Money.from_minor(123456789012345, "USD"),
        a + b,
        a - b,
        -a,
        a * 3,
        a * Decimal("0.333333333333333333333333333333333"),
        a.allocate([Decimal("0.3333333"), Decimal("0.6666667"), 1]),
        a.split(7),
        apportion(a, [Decimal("1234567.885"), Decimal("0.0049")]),
        Money.of("10.25", "DKK").round_to_cash(),
        a.minor_units,
        a < b,
        str(a),
        repr(a),
        a.to_dict(),
        a.format("de_DE"),
        Money.of("1.250", "IQD").format("en_US"),
        bool(Money.zero("USD")),
    ]


def _odd_contexts() -> list[Callable[[], Any]]:
    every = [Clamped, DivisionByZero, Inexact, InvalidOperation, Overflow, Rounded, Subnormal]
    return [
        lambda: localcontext(prec=4),
        lambda: localcontext(prec=1, rounding=ROUND_FLOOR),
        lambda: localcontext(prec=4, traps=[*every, Underflow]),
        lambda: localcontext(traps=[]),
        lambda: localcontext(capitals=0, Emax=10, Emin=-10),
    ]


@pytest.mark.parametrize("make_context", _odd_contexts())
def test_every_operation_ignores_the_callers_decimal_context(
    make_context: Callable[[], Any],
) -> None:
    expected = _everything()
    with make_context():
        assert _everything() == expected


def test_format_inside_a_four_digit_context_is_exact() -> None:
    with localcontext(prec=4):
        assert Money.of("1234567.89", "USD").format("en_US") == "$1,234,567.89"


@pytest.mark.parametrize("make_context", _odd_contexts())
def test_errors_stay_typed_in_any_context(make_context: Callable[[], Any]) -> None:
    bad: list[Callable[[], object]] = [
        lambda: Money.of("abc", "USD"),
        lambda: Money.of("NaN", "USD"),
        lambda: Money.of("1.001", "USD"),
        lambda: Money.of("1e999999", "USD"),
        lambda: usd("1") * Decimal("1E-10000000"),
        lambda: usd("1").allocate([0]),
    ]
    with make_context():
        for call in bad:
            with pytest.raises(PartnerkitError):
                call()


# --- apportion --------------------------------------------------------------------------------


def test_apportion_parts_add_up_to_the_total() -> None:
    parts = [Decimal("0.333"), Decimal("0.333"), Decimal("0.334")]
    assert apportion(usd("1.00"), parts) == [usd("0.33"), usd("0.33"), usd("0.34")]


def test_apportion_gives_the_spare_unit_to_the_largest_remainder() -> None:
    # 0.3349 lost 0.49 of a cent to rounding, 0.3341 only 0.41: the first gets the spare cent.
    parts = [Decimal("0.3341"), Decimal("0.3349"), Decimal("0.3310")]
    assert apportion(usd("1.00"), parts) == [usd("0.33"), usd("0.34"), usd("0.33")]


def test_apportion_breaks_ties_by_position() -> None:
    third = Decimal(1) / 3
    assert apportion(usd("1.00"), [third] * 3) == [usd("0.34"), usd("0.33"), usd("0.33")]
    assert apportion(usd("-1.00"), [-third] * 3) == [usd("-0.34"), usd("-0.33"), usd("-0.33")]


def test_apportion_takes_a_unit_back_when_rounding_overshot() -> None:
    # Each 0.125 rounds half-even to 0.12; the 0.135s round up to 0.14 and one must give back.
    parts = [Decimal("0.135"), Decimal("0.135"), Decimal("0.13")]
    assert sum(parts) == Decimal("0.400")
    assert apportion(usd("0.40"), parts) == [usd("0.13"), usd("0.14"), usd("0.13")]


def test_apportion_is_deterministic() -> None:
    parts = [Decimal("1.005"), Decimal("2.005"), Decimal("3.005"), Decimal("0.985")]
    first = apportion(usd("7.00"), parts)
    assert all(apportion(usd("7.00"), parts) == first for _ in range(5))
    assert sum(first, Money.zero("USD")) == usd("7.00")


def test_apportion_keeps_already_exact_parts() -> None:
    assert apportion(Money(10, "JPY"), [Decimal(3), 7]) == [Money(3, "JPY"), Money(7, "JPY")]
    assert apportion(Money.zero("USD"), []) == []


def test_apportion_refuses_parts_too_far_from_the_total() -> None:
    with pytest.raises(InvalidInputError) as caught:
        apportion(usd("10.00"), [Decimal(1), Decimal(1)])
    assert caught.value.details["field"] == "exact_parts"
    with pytest.raises(InvalidInputError):
        apportion(usd("0.01"), [])


@pytest.mark.parametrize(
    ("parts", "error", "field"),
    [
        ([1.5], FloatAmountError, "exact_parts[0]"),
        ([Decimal(1), "1"], InvalidAmountError, "exact_parts[1]"),
        ([Decimal("NaN")], InvalidAmountError, "exact_parts[0]"),
        ([Decimal("1E-10000000")], FactorOutOfRangeError, "exact_parts[0]"),
        ("12", InvalidInputError, "exact_parts"),
    ],
)
def test_apportion_refuses_bad_parts(parts: Any, error: type[ValidationError], field: str) -> None:
    with pytest.raises(error) as caught:
        apportion(usd("1"), parts)
    assert caught.value.details["field"] == field


def test_apportion_refuses_a_total_that_is_not_money() -> None:
    with pytest.raises(InvalidInputError) as caught:
        apportion(Decimal(1), [Decimal(1)])  # type: ignore[arg-type]
    assert caught.value.details["field"] == "total"


def test_apportion_is_still_importable_from_commissions() -> None:
    from partnerkit.mapping import commissions

    assert commissions.apportion is apportion


# --- the field every refusal names (pinned by the mutation run) ------------------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Money(["1"], "USD"), "amount"),  # type: ignore[arg-type]
        (lambda: Money.rounded(object(), "USD"), "amount"),  # type: ignore[arg-type]
        (lambda: Money.rounded("abc", "USD"), "amount"),
        (lambda: Money(Decimal("1E+70"), "USD"), "amount"),
        (lambda: Money.rounded("1E+70", "USD"), "amount"),
        (lambda: Money.of("9" * 58, "USD") + Money.of("9" * 58, "USD"), "amount"),
        (lambda: Money.of("-" + "9" * 58, "USD") - Money.of("9" * 58, "USD"), "amount"),
        (lambda: Money.of("9" * 58, "USD") * 100, "amount"),
        (lambda: Money.of("9" * 58, "USD") * Decimal("100.5"), "amount"),
        (lambda: Money.from_minor(10**61, "USD"), "units"),
        (lambda: apportion(usd("1"), [object()]), "exact_parts[0]"),  # type: ignore[list-item]
        (lambda: apportion(usd("1"), [Decimal(1), Decimal("1E+59")]), "exact_parts[1]"),
        (lambda: usd("1") + Money.of("1", "EUR"), "currency"),
        (lambda: usd("1") < Money.of("1", "EUR"), "currency"),
    ],
)
def test_each_refusal_names_its_field(make: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        make()
    assert refused.value.details["field"] == field


# --- cash rounding in every mode -------------------------------------------------------------

_MODES = [
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
]


@pytest.mark.parametrize("mode", _MODES)
@pytest.mark.parametrize(
    "amount", ["10.25", "10.75", "10.30", "10.20", "10.00", "0.25", "0.05", "25.25", "5.20"]
)
def test_round_to_cash_agrees_with_decimal_in_every_mode_and_sign(mode: str, amount: str) -> None:
    """DKK is paid in steps of 0.50, so .25 and .75 are ties: the sign and the last digit of
    the number of steps decide each mode, as decimal's own rounding does."""
    step = Decimal("0.50")
    for signed in (amount, "-" + amount):
        expected = (Decimal(signed) / step).quantize(Decimal(1), rounding=mode) * step
        money = Money.of(signed, "DKK")
        assert money.round_to_cash(mode) == Money(expected, "DKK"), (signed, mode)

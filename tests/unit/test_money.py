import pickle
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from partnerkit.errors import (
    CurrencyMismatchError,
    FloatAmountError,
    InvalidAmountError,
    InvalidInputError,
    InvalidRatiosError,
    UnknownCurrencyError,
    ValidationError,
)
from partnerkit.money import MAX_DIGITS, Money, minor_unit_digits


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
    assert caught.value.remedy is not None
    assert "Money.of" in caught.value.remedy


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
    assert repr(usd("12.5")) == "Money('12.50', 'USD')"
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

"""Minor units come from ISO 4217 (the iso4217 package's table), not from CLDR's display digits."""

from decimal import Decimal

import iso4217
import pytest

from partnerkit.errors import InvalidAmountError, NoMinorUnitError, UnknownCurrencyError
from partnerkit.money import Money, currencies, minor_unit_digits

# The acceptance table of issue 13, each row as ISO 4217 publishes it.
ACCEPTANCE = [
    ("JPY", 0),
    ("USD", 2),
    ("KWD", 3),
    ("BHD", 3),
    ("HUF", 2),
    ("IDR", 2),
    ("COP", 2),
    ("IQD", 3),
    ("CLF", 4),
]
NO_MINOR_UNIT = ["XAU", "XXX", "XDR", "XTS"]


@pytest.mark.parametrize(("currency", "digits"), ACCEPTANCE)
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert iso4217.Currency(currency).exponent == digits
    assert minor_unit_digits(currency) == digits
    assert Money.zero(currency).amount.as_tuple().exponent == -digits


def test_every_current_iso_currency_with_a_minor_unit_uses_it() -> None:
    listed = [currency for currency in iso4217.Currency if currency.exponent is not None]
    assert len(listed) > 150
    for currency in listed:
        assert currency.code in currencies()
        assert minor_unit_digits(currency.code) == currency.exponent, currency.code


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.50", "HUF"), ("1.250", "IQD"), ("0.01", "IDR"), ("1234.56", "COP"), ("0.0001", "CLF")],
)
def test_amounts_cldr_refused_are_accepted(amount: str, currency: str) -> None:
    money = Money.of(amount, currency)
    assert money.amount == Decimal(amount)
    assert Money.from_minor(money.minor_units, currency) == money


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.001", "HUF"), ("1.0001", "IQD"), ("0.5", "JPY")]
)
def test_amounts_finer_than_the_iso_minor_unit_are_still_refused(
    amount: str, currency: str
) -> None:
    with pytest.raises(InvalidAmountError):
        Money.of(amount, currency)


@pytest.mark.parametrize("currency", NO_MINOR_UNIT)
def test_iso_4217_gives_these_no_minor_unit(currency: str) -> None:
    assert iso4217.Currency(currency).exponent is None


@pytest.mark.parametrize("currency", NO_MINOR_UNIT)
def test_a_currency_without_a_minor_unit_is_refused(currency: str) -> None:
    # Not invoiceable: any number of decimals would be invented, and SQL's integer count of
    # minor units would have nothing to count.
    for call in (
        lambda: Money.zero(currency),
        lambda: Money.of("1", currency),
        lambda: Money.from_minor(1, currency),
        lambda: Money.from_dict({"amount": "1", "currency": currency}),
        lambda: minor_unit_digits(currency),
    ):
        with pytest.raises(NoMinorUnitError) as caught:
            call()
        assert caught.value.code == "money.no_minor_unit"
        assert caught.value.details["field"] == "currency"
        assert caught.value.details["value"] == currency
    assert currency not in currencies()


@pytest.mark.parametrize(("currency", "name"), [("HRK", "Croatian Kuna"), ("BGN", "Bulgarian Lev")])
def test_a_withdrawn_code_is_refused_and_said_to_be_withdrawn(currency: str, name: str) -> None:
    assert currency not in {code.value for code in iso4217.Currency}
    with pytest.raises(UnknownCurrencyError) as caught:
        Money.of("1", currency)
    assert name in caught.value.message
    assert "withdrawn" in caught.value.message
    assert currency not in currencies()


def test_money_accepts_exactly_the_iso_codes_with_a_minor_unit() -> None:
    assert currencies() == {c.code for c in iso4217.Currency if c.exponent is not None}


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "text"),
    [
        ("1.50", "HUF", "hu_HU", "1,50\xa0Ft"),
        ("1000", "HUF", "hu_HU", "1\xa0000,00\xa0Ft"),
        ("1.250", "IQD", "en_US", "IQD1.250"),
        ("1000.5", "IDR", "id_ID", "Rp1.000,50"),
        ("1234", "JPY", "en_US", "¥1,234"),
        ("1.234", "KWD", "en_US", "KWD1.234"),
    ],
)
def test_format_shows_every_iso_digit(amount: str, currency: str, locale: str, text: str) -> None:
    # CLDR would print HUF 1.50 as "2 Ft": a digit rounded away on an invoice.
    assert Money.of(amount, currency).format(locale) == text

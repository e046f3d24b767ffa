"""Round-trip properties of the serialization converter over generated values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from partnerkit.catalog.products import Product
from partnerkit.money import Money, currencies
from partnerkit.serialization import from_json, structure, to_json, unstructure

# Every currency Money accepts: ISO 4217 codes that have a minor unit.
currency_codes = st.sampled_from(sorted(currencies()))
units = st.integers(min_value=-(10**20), max_value=10**20)
moneys = st.builds(Money.from_minor, units, currency_codes)
instants = st.datetimes(
    min_value=datetime(1970, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by contract
    max_value=datetime(2200, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
products = st.builds(
    Product,
    key=st.text(min_size=1, max_size=30),
    name=st.text(max_size=80),
    created_at=instants,
    version=st.integers(min_value=1, max_value=2**31),
)


@given(moneys)
def test_money_round_trips(money: Money) -> None:
    data = unstructure(money)
    assert data == {"amount": str(money.amount), "currency": money.currency}
    assert structure(data, Money) == money
    assert from_json(to_json(money), Money) == money


@given(products)
def test_product_round_trips(product: Product) -> None:
    assert structure(unstructure(product), Product) == product
    assert from_json(to_json(product), Product) == product


@given(st.timedeltas(min_value=-timedelta(days=10**6), max_value=timedelta(days=10**6)))
def test_durations_round_trip(duration: timedelta) -> None:
    assert structure(unstructure(duration), timedelta) == duration

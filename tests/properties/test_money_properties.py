from decimal import Decimal
from fractions import Fraction

from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

from partnerkit.money import Money, minor_unit_digits

currencies = st.sampled_from(sorted(list_currencies()))
# Well past any real ledger total (BIGINT holds about 9.2e18), still inside Money's 60 digits.
units = st.integers(min_value=-(10**20), max_value=10**20)
ratio = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
)
ratios = st.lists(ratio, min_size=1, max_size=12).filter(lambda values: any(v > 0 for v in values))


@st.composite
def moneys(draw: st.DrawFn, currency: str | None = None) -> Money:
    return Money.from_minor(draw(units), currency or draw(currencies))


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


@given(data=st.data(), currency=currencies)
def test_addition_is_commutative_and_associative(data: st.DataObject, currency: str) -> None:
    a, b, c = (data.draw(moneys(currency)) for _ in range(3))
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert a + Money.zero(currency) == a
    assert (a - b) + b == a
    assert a + (-a) == Money.zero(currency)
    assert (a + b).minor_units == a.minor_units + b.minor_units


@given(count=units, currency=currencies)
def test_minor_units_round_trip_through_from_minor(count: int, currency: str) -> None:
    money = Money.from_minor(count, currency)
    assert money.minor_units == count
    assert money.amount.as_tuple().exponent == -minor_unit_digits(currency)
    assert Money.from_minor(money.minor_units, currency) == money
    assert Money.of(str(money.amount), currency) == money
    assert Money.from_dict(money.to_dict()) == money


@given(
    value=st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False),
    currency=currencies,
)
def test_rounded_is_within_half_a_minor_unit(value: Decimal, currency: str) -> None:
    money = Money.rounded(value, currency)
    exact = Fraction(value) * 10 ** minor_unit_digits(currency)
    assert abs(money.minor_units - exact) <= Fraction(1, 2)


@given(money=moneys(), factor=st.integers(min_value=-1000, max_value=1000))
def test_multiplying_by_an_int_is_exact(money: Money, factor: int) -> None:
    assert (money * factor).minor_units == money.minor_units * factor
    assert factor * money == money * factor


@given(data=st.data(), currency=currencies)
def test_ordering_follows_minor_units(data: st.DataObject, currency: str) -> None:
    a, b = data.draw(moneys(currency)), data.draw(moneys(currency))
    assert (a < b) == (a.minor_units < b.minor_units)
    assert (a <= b) == (a.minor_units <= b.minor_units)
    assert (a == b) == (a.minor_units == b.minor_units)

"""Billing's pure rules (issue 10): lines rounded per line, the invoice total the exact sum of
its lines, one status table, and allocation oldest due date first.

003_9950710e2377ac79.txt, "View & Pay Invoices": "Once your customers have completed their
payment, you will be notified about it and the status of the invoice will turn to Paid." and,
for Pay Now on the Home dashboard, "pay the entire outstanding amount in one go".
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import partnerkit as pk
from partnerkit.billing.credits import refund_parts
from partnerkit.billing.errors import (
    AmountNotPositiveError,
    InvalidInvoiceTransitionError,
    WrongCurrencyError,
)
from partnerkit.billing.invoices import (
    TRANSITIONS,
    InvoiceAction,
    InvoiceStatus,
    allocate,
    invoice_total,
    transition,
    transition_table,
)
from partnerkit.billing.payments import Application, SourceKind
from partnerkit.errors import InvalidInputError
from partnerkit.money import minor_unit_digits

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
VAT = pk.TaxRate("tax_1", "VAT", Decimal("20"), False, T0)
VAT_INCLUDED = pk.TaxRate("tax_2", "VAT incl.", Decimal("20"), True, T0)
GST = pk.TaxRate("tax_3", "GST", Decimal("7.5"), False, T0)


def money(amount: str, currency: str = "USD") -> pk.Money:
    return pk.Money.of(amount, currency)


def invoice(
    number: int,
    total: str,
    *,
    due: date,
    currency: str = "USD",
    status: InvoiceStatus = InvoiceStatus.SENT,
    paid: str = "0",
) -> pk.Invoice:
    t = money(total, currency)
    p = money(paid, currency)
    zero = pk.Money.zero(currency)
    return pk.Invoice(
        id=f"inv_{number}",
        customer_id="cus_1",
        number=f"INV-{number:06d}",
        sequence=number,
        issue_date=due - timedelta(days=30),
        due_date=due,
        lines=(pk.InvoiceLine.of("Seats", 1, t),),
        status=status,
        total=t,
        amount_paid=p,
        credits_applied=zero,
        balance_due=t - p,
        created_at=T0,
        created_by="staff",
    )


# --- lines --------------------------------------------------------------------------------


def test_an_exclusive_tax_is_added_on_top_and_rounded_half_even_per_line() -> None:
    # 3 x 10.05 = 30.15; 7.5 % of it is 2.26125, which rounds to 2.26.
    line = pk.InvoiceLine.of("Seats", 3, money("10.05"), tax=GST)
    assert (line.gross, line.net, line.tax, line.total) == (
        money("30.15"),
        money("30.15"),
        money("2.26"),
        money("32.41"),
    )
    # Half-even: 0.125 of tax rounds to 0.12, 0.375 to 0.38.
    assert pk.InvoiceLine.of(
        "a", 1, money("0.50"), tax=pk.TaxRate("t", "T", Decimal("25"), False, T0)
    ).tax == money("0.12")
    assert pk.InvoiceLine.of(
        "a", 1, money("1.50"), tax=pk.TaxRate("t", "T", Decimal("25"), False, T0)
    ).tax == money("0.38")


def test_an_inclusive_tax_is_taken_out_of_the_price() -> None:
    line = pk.InvoiceLine.of("Seats", 1, money("120.00"), tax=VAT_INCLUDED)
    assert (line.net, line.tax, line.total) == (money("100.00"), money("20.00"), money("120.00"))
    odd = pk.InvoiceLine.of("Seats", 1, money("10.00"), tax=VAT_INCLUDED)
    # 10 x 20 / 120 = 1.6666...: 1.67 of tax, 8.33 net, the price unchanged.
    assert (odd.net, odd.tax, odd.total) == (money("8.33"), money("1.67"), money("10.00"))


def test_a_discount_comes_off_before_the_tax() -> None:
    by_amount = pk.InvoiceLine.of("Seats", 2, money("50"), discount=money("10"), tax=VAT)
    assert (by_amount.net, by_amount.tax, by_amount.total) == (
        money("90"),
        money("18"),
        money("108"),
    )
    by_percent = pk.InvoiceLine.of("Seats", 3, money("33.33"), discount_percent="10", tax=VAT)
    # 99.99 less 10 % (9.999 -> 10.00) is 89.99; 20 % of it is 17.998 -> 18.00.
    assert by_percent.discount_amount == money("10.00")
    assert (by_percent.net, by_percent.tax, by_percent.total) == (
        money("89.99"),
        money("18.00"),
        money("107.99"),
    )


def test_lines_round_to_each_currencys_minor_unit() -> None:
    yen = pk.InvoiceLine.of("Seats", "1.5", money("333", "JPY"), tax=GST)
    # 499.5 -> 500 (half-even), 7.5 % of 500 = 37.5 -> 38 (half-even).
    assert (yen.gross, yen.tax, yen.total) == (
        money("500", "JPY"),
        money("38", "JPY"),
        money("538", "JPY"),
    )
    dinar = pk.InvoiceLine.of("Seats", 1, money("1.333", "KWD"), tax=GST)
    assert dinar.tax == money("0.100", "KWD")  # 0.099975 -> 0.100


def test_a_bad_line_is_refused_with_its_field() -> None:
    with pytest.raises(AmountNotPositiveError) as zero:
        pk.InvoiceLine.of("Seats", 0, money("1"))
    assert zero.value.details["field"] == "quantity"
    with pytest.raises(AmountNotPositiveError):
        pk.InvoiceLine.of("Seats", "-2", money("1"))
    with pytest.raises(InvalidInputError):
        pk.InvoiceLine.of("Seats", 1, money("-1"))
    with pytest.raises(WrongCurrencyError):
        pk.InvoiceLine.of("Seats", 1, money("5"), discount=money("1", "EUR"))
    with pytest.raises(InvalidInputError) as too_much:
        pk.InvoiceLine.of("Seats", 1, money("5"), discount=money("6"))
    assert too_much.value.details["field"] == "discount"
    with pytest.raises(InvalidInputError):
        pk.InvoiceLine.of("Seats", 1, money("5"), discount_percent="101")
    with pytest.raises(InvalidInputError):
        pk.InvoiceLine.of("Seats", 1.5, money("5"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        pk.InvoiceLine.of("", 1, money("5"))


def test_the_invoice_total_is_exactly_the_sum_of_its_rounded_lines() -> None:
    lines = [pk.InvoiceLine.of(f"Line {i}", 1, money("0.05"), tax=GST) for i in range(3)]
    # Each line's 0.00375 of tax rounds to 0.00: the invoice never taxes the sum instead.
    assert invoice_total(lines) == money("0.15")
    assert sum(line.tax.amount for line in lines) == 0


# --- statuses -----------------------------------------------------------------------------


def test_the_status_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows = transition_table()
    assert len(rows) == len(InvoiceStatus) * len(InvoiceAction)
    with capsys.disabled():
        print("\ninvoice status table (status, action -> after):")
        for status, action, after in rows:
            if after != "refused":
                print(f"  {status:15} {action:13} -> {after}")
    allowed = {(s, a): r for s, a, r in rows if r != "refused"}
    assert allowed == {(s.value, a.value): r.value for (s, a), r in TRANSITIONS.items()}
    # "the status of the invoice will turn to Paid"
    for status in (InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE):
        assert transition(status, InvoiceAction.PAY_IN_FULL) is InvoiceStatus.PAID
    assert transition(InvoiceStatus.OVERDUE, InvoiceAction.PAY_PART) is InvoiceStatus.OVERDUE
    # Nothing leaves paid or void.
    for action in InvoiceAction:
        assert (InvoiceStatus.PAID, action) not in TRANSITIONS
        assert (InvoiceStatus.VOID, action) not in TRANSITIONS


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (InvoiceStatus.DRAFT, InvoiceAction.PAY_PART),
        (InvoiceStatus.PAID, InvoiceAction.PAY_PART),
        (InvoiceStatus.VOID, InvoiceAction.PAY_IN_FULL),
        (InvoiceStatus.PARTIALLY_PAID, InvoiceAction.VOID),
        (InvoiceStatus.SENT, InvoiceAction.ISSUE),
    ],
)
def test_an_invalid_move_names_the_status_and_the_action(
    status: InvoiceStatus, action: InvoiceAction
) -> None:
    with pytest.raises(InvalidInvoiceTransitionError) as refused:
        transition(status, action, number="INV-000007")
    assert refused.value.code == "billing.invalid_transition"
    assert refused.value.details == {
        "status": status.value,
        "action": action.value,
        "number": "INV-000007",
    }
    assert "INV-000007" in refused.value.message


# --- allocation ---------------------------------------------------------------------------


def test_allocation_pays_the_oldest_due_date_first_then_by_number() -> None:
    invoices = [
        invoice(3, "40", due=date(2026, 2, 1)),
        invoice(1, "25", due=date(2026, 3, 1)),
        invoice(2, "30", due=date(2026, 2, 1)),
    ]
    split = allocate(money("80"), invoices)
    assert split.parts == (("inv_2", money("30")), ("inv_3", money("40")), ("inv_1", money("10")))
    assert split.excess == money("0")


def test_allocation_never_goes_beyond_a_balance_and_the_rest_is_excess() -> None:
    invoices = [
        invoice(1, "100", due=date(2026, 2, 1), status=InvoiceStatus.PARTIALLY_PAID, paid="60"),
        invoice(2, "50", due=date(2026, 2, 2), status=InvoiceStatus.PAID, paid="50"),
        invoice(3, "10", due=date(2026, 2, 3), status=InvoiceStatus.VOID),
        invoice(4, "10", due=date(2026, 2, 4), status=InvoiceStatus.DRAFT),
    ]
    split = allocate(money("55.55"), invoices)
    assert split.parts == (("inv_1", money("40")),)
    assert split.excess == money("15.55")
    assert split.applied + split.excess == money("55.55")


def test_allocation_refuses_another_currency() -> None:
    with pytest.raises(WrongCurrencyError):
        allocate(money("10"), [invoice(1, "10", due=date(2026, 2, 1), currency="EUR")])


@pytest.mark.parametrize("currency", ["JPY", "USD", "KWD"])
@given(data=st.data())
def test_allocation_never_loses_or_creates_a_unit(currency: str, data: st.DataObject) -> None:
    digits = minor_unit_digits(currency)
    units = st.integers(min_value=1, max_value=10**7)
    balances = data.draw(st.lists(units, min_size=0, max_size=8))
    paid = data.draw(st.integers(min_value=0, max_value=10**8))
    dues = data.draw(st.lists(st.integers(0, 60), min_size=len(balances), max_size=len(balances)))
    invoices = [
        invoice(
            i + 1,
            str(pk.Money.from_minor(b, currency).amount),
            due=date(2026, 1, 1) + timedelta(days=d),
            currency=currency,
        )
        for i, (b, d) in enumerate(zip(balances, dues, strict=True))
    ]
    amount = pk.Money.from_minor(paid, currency)
    split = allocate(amount, invoices)
    parts = [m for _, m in split.parts]
    assert sum((m.minor_units for m in parts), 0) + split.excess.minor_units == paid
    by_id = {i.id: i for i in invoices}
    for invoice_id, part in split.parts:
        assert part.is_positive and part <= by_id[invoice_id].balance_due
        assert part.amount.as_tuple().exponent >= -digits
    assert not split.excess.is_negative
    # Excess only once every invoice is paid in full.
    if split.excess.is_positive:
        assert split.applied == sum((i.balance_due for i in invoices), pk.Money.zero(currency))
    # Oldest due first: a later invoice gets money only when every earlier one is settled.
    order = sorted(invoices, key=lambda i: (i.due_date, i.sequence))
    got = dict(split.parts)
    for before, after in itertools.pairwise(order):
        if after.id in got:
            assert got.get(before.id) == before.balance_due


@pytest.mark.parametrize("currency", ["JPY", "USD", "KWD"])
@given(
    lines=st.lists(
        st.tuples(
            st.integers(1, 10**6),
            st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3),
            st.sampled_from([None, Decimal("0"), Decimal("7.5"), Decimal("20"), Decimal("33.333")]),
            st.booleans(),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_an_invoice_total_is_the_sum_of_its_lines_in_every_minor_unit(
    currency: str, lines: list[tuple[int, Decimal, Decimal | None, bool]]
) -> None:
    built = []
    for units, quantity, rate, inclusive in lines:
        tax = None if rate is None else pk.TaxRate("t", "T", rate, inclusive, T0)
        built.append(
            pk.InvoiceLine.of("x", quantity, pk.Money.from_minor(units, currency), tax=tax)
        )
    total = invoice_total(built)
    assert total.minor_units == sum(line.total.minor_units for line in built)
    for line in built:
        assert line.net + line.tax == line.total
        if line.tax_inclusive:
            assert line.total == line.gross - line.discount_amount


def _applied(source: str, source_id: str, amount: str) -> Application:
    return Application(
        id=f"app_{source_id}",
        customer_id="cus_1",
        invoice_id="inv_1",
        source=SourceKind(source),
        source_id=source_id,
        amount=pk.Money.of(amount, "USD"),
        applied_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


def test_an_invoice_refund_pays_back_the_newest_payment_first_and_never_a_credit_note() -> None:
    # 50 from pay_1, a 20 credit note, 30 from pay_2: 100 paid, 80 of it money received.
    applied = [
        _applied("payment", "pay_1", "50"),
        _applied("credit_note", "crn_1", "20"),
        _applied("payment", "pay_2", "30"),
    ]
    usd = lambda v: pk.Money.of(v, "USD")  # noqa: E731
    assert refund_parts(applied, usd("0"), usd("40")) == [
        ("pay_2", usd("30")),
        ("pay_1", usd("10")),
    ]
    # A second refund takes up where the first stopped.
    assert refund_parts(applied, usd("40"), usd("25")) == [("pay_1", usd("25"))]
    assert refund_parts(applied, usd("30"), usd("50")) == [("pay_1", usd("50"))]
    assert refund_parts(applied, usd("80"), usd("1")) == []


@given(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6),
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6),
)
def test_invoice_refunds_in_any_steps_pay_each_payment_back_exactly_once(
    paid: list[int], steps: list[int]
) -> None:
    applied = [
        _applied("payment", f"pay_{i}", f"{cents / 100:.2f}") for i, cents in enumerate(paid)
    ]
    received = sum(paid)
    taken: dict[str, int] = {}
    before = 0
    for step in steps:
        step = min(step, received - before)
        if step <= 0:
            break
        parts = refund_parts(
            applied,
            pk.Money.of(f"{before / 100:.2f}", "USD"),
            pk.Money.of(f"{step / 100:.2f}", "USD"),
        )
        assert sum(int(m.amount * 100) for _, m in parts) == step
        for pid, money in parts:
            taken[pid] = taken.get(pid, 0) + int(money.amount * 100)
        before += step
    for i, cents in enumerate(paid):
        assert taken.get(f"pay_{i}", 0) <= cents

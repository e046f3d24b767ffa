"""billing/invoices.py pinned where the mutation run found it loose (docs/contributing.md): the
field each refusal names, the bounds of a quantity and a discount, what a line keeps of its
tax, how settling moves an invoice, and the words of a refused move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

import partnerkit as pk
from partnerkit.billing.errors import (
    AmountNotPositiveError,
    InvalidInvoiceTransitionError,
    WrongCurrencyError,
)
from partnerkit.billing.invoices import (
    InvoiceStatus,
    allocate,
    decide_payment_status,
    transition,
)
from partnerkit.errors import InvalidInputError, PartnerkitError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
VAT = pk.TaxRate("tax_1", "VAT", Decimal("20"), True, T0)
USD = pk.Money.of


def _line(**kw: object) -> pk.InvoiceLine:
    values: dict[str, object] = {
        "description": "Seats",
        "quantity": 1,
        "unit_price": USD("10", "USD"),
    }
    values.update(kw)
    return pk.InvoiceLine.of(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "error", "field"),
    [
        ({"description": ""}, InvalidInputError, "description"),
        ({"unit_price": "10"}, InvalidInputError, "unit_price"),
        ({"unit_price": USD("-1", "USD")}, InvalidInputError, "unit_price"),
        ({"quantity": 0}, AmountNotPositiveError, "quantity"),
        ({"quantity": "ten"}, InvalidInputError, "quantity"),
        ({"quantity": True}, InvalidInputError, "quantity"),
        ({"quantity": "1e19"}, InvalidInputError, "quantity"),
        ({"quantity": "NaN"}, InvalidInputError, "quantity"),
        ({"discount": USD("1", "USD"), "discount_percent": 5}, InvalidInputError, "discount"),
        ({"discount": "1"}, InvalidInputError, "discount"),
        ({"discount": USD("1", "EUR")}, WrongCurrencyError, "discount"),
        ({"discount": USD("-1", "USD")}, InvalidInputError, "discount"),
        ({"discount": USD("10.01", "USD")}, InvalidInputError, "discount"),
        ({"discount_percent": "-0.01"}, InvalidInputError, "discount_percent"),
        ({"discount_percent": "100.01"}, InvalidInputError, "discount_percent"),
        ({"discount_percent": "x"}, InvalidInputError, "discount_percent"),
        ({"tax": "VAT"}, InvalidInputError, "tax"),
    ],
)
def test_each_refusal_names_its_field(
    kw: dict[str, object], error: type[PartnerkitError], field: str
) -> None:
    with pytest.raises(error) as refused:
        _line(**kw)
    assert type(refused.value) is error
    assert refused.value.details["field"] == field


def test_the_bounds_of_a_quantity_and_a_discount_are_accepted() -> None:
    assert _line(quantity="1e18").quantity == Decimal("1e18")
    assert _line(quantity="0.0001").quantity == Decimal("0.0001")
    assert _line(discount_percent="0").total == USD("10", "USD")
    assert _line(discount_percent="100").total == USD("0", "USD")
    assert _line(discount=USD("10", "USD")).total == USD("0", "USD")
    kept = Decimal("2.50")
    assert str(_line(quantity=kept).quantity) == "2.50"


def test_a_line_keeps_its_description_and_what_it_was_taxed_at() -> None:
    plain = _line(description="CRM seats")
    assert plain.description == "CRM seats"
    assert (plain.tax_name, plain.tax_percentage, plain.tax_inclusive) == (None, None, False)
    assert plain.discount == USD("0", "USD") and plain.discount_percent is None
    taxed = _line(description="CRM seats", tax=VAT)
    assert (taxed.tax_name, taxed.tax_percentage, taxed.tax_inclusive) == (
        "VAT",
        Decimal("20"),
        True,
    )
    later = plain.with_tax(VAT)
    assert later == taxed and later.description == "CRM seats"
    assert later.with_tax(pk.TaxRate("t", "GST", Decimal("5"), False, T0)).tax_name == "GST"


def _invoice(status: InvoiceStatus, total: str = "100", paid: str = "0") -> pk.Invoice:
    t, p = USD(total, "USD"), USD(paid, "USD")
    zero = pk.Money.zero("USD")
    return pk.Invoice(
        id="inv_1",
        customer_id="cus_1",
        number="INV-000009",
        sequence=9,
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        lines=(_line(unit_price=t),),
        status=status,
        total=t,
        amount_paid=p,
        credits_applied=zero,
        balance_due=t - p,
        created_at=T0,
        created_by="staff",
    )


def test_settling_adds_up_the_payments_and_the_credits() -> None:
    part = _invoice(InvoiceStatus.SENT).settle(
        paid=USD("30", "USD"), credited=USD("20", "USD"), at=T0
    )
    assert (part.amount_paid, part.credits_applied, part.balance_due) == (
        USD("30", "USD"),
        USD("20", "USD"),
        USD("50", "USD"),
    )
    assert (part.status, part.paid_at) == (InvoiceStatus.PARTIALLY_PAID, None)
    done = part.settle(paid=USD("10", "USD"), credited=USD("40", "USD"), at=T0 + timedelta(days=1))
    assert (done.amount_paid, done.credits_applied, done.balance_due) == (
        USD("40", "USD"),
        USD("60", "USD"),
        USD("0", "USD"),
    )
    assert (done.status, done.paid_at) == (InvoiceStatus.PAID, T0 + timedelta(days=1))
    with pytest.raises(InvalidInvoiceTransitionError) as refused:
        done.settle(paid=USD("1", "USD"), credited=USD("0", "USD"), at=T0)
    assert refused.value.details["number"] == "INV-000009"


def test_exactly_the_total_pays_in_full() -> None:
    total = USD("100", "USD")
    assert decide_payment_status(InvoiceStatus.SENT, total, total) is InvoiceStatus.PAID
    assert (
        decide_payment_status(InvoiceStatus.SENT, total, USD("99.99", "USD"))
        is InvoiceStatus.PARTIALLY_PAID
    )
    with pytest.raises(InvalidInvoiceTransitionError) as unnamed:
        decide_payment_status(InvoiceStatus.VOID, total, total)
    assert unnamed.value.details["number"] == ""
    with pytest.raises(InvalidInvoiceTransitionError) as named:
        decide_payment_status(InvoiceStatus.VOID, total, total, number="INV-000002")
    assert named.value.details["number"] == "INV-000002"


def test_a_refused_move_says_what_to_do_where_there_is_something() -> None:
    with pytest.raises(InvalidInvoiceTransitionError) as draft:
        transition(InvoiceStatus.DRAFT, pk.InvoiceAction.PAY_PART)
    assert draft.value.message == "the invoice is a draft and cannot be paid"
    assert draft.value.remedy == "Issue the invoice first."
    with pytest.raises(InvalidInvoiceTransitionError) as paid:
        transition(InvoiceStatus.PAID, pk.InvoiceAction.PAY_PART, number="INV-000003")
    assert paid.value.message == "invoice INV-000003 is paid and cannot be paid"
    assert paid.value.remedy == (
        "Nothing is left to pay; any extra money stays with the customer as credit."
    )
    with pytest.raises(InvalidInvoiceTransitionError) as sent:
        transition(InvoiceStatus.SENT, pk.InvoiceAction.ISSUE)
    assert sent.value.remedy is None


def test_allocation_steps_over_a_settled_invoice_to_the_next() -> None:
    paid = _invoice(InvoiceStatus.PAID, paid="100")
    later = attrs.evolve(_invoice(InvoiceStatus.SENT), id="inv_2", sequence=10)
    split = allocate(USD("30", "USD"), [paid, later])
    assert split.parts == (("inv_2", USD("30", "USD")),)
    with pytest.raises(InvalidInputError) as negative:
        allocate(USD("-1", "USD"), [later])
    assert negative.value.details["field"] == "amount"
    with pytest.raises(WrongCurrencyError) as other:
        allocate(USD("1", "EUR"), [later])
    assert other.value.details["field"] == "amount"
    assert allocate(USD("0", "USD"), [later]).parts == ()


def _sold() -> pk.Invoice:
    """2 CRM seats at 100 with 20 % VAT on top (200 net, 40 tax), Desk at 50, a 10 fee."""
    vat = pk.TaxRate("tax_vat", "VAT", Decimal("20"), False, T0)
    usd = pk.Money.of
    lines = (
        pk.InvoiceLine.of("CRM seats", 2, usd("100", "USD"), tax=vat, product="crm"),
        pk.InvoiceLine.of("Desk", 1, usd("50", "USD"), product="desk"),
        pk.InvoiceLine.of("Setup fee", 1, usd("10", "USD")),
    )
    return attrs.evolve(_invoice(InvoiceStatus.SENT, total="300"), lines=lines)


def test_a_whole_payment_gives_each_product_line_its_net_and_no_share_of_tax_or_fees() -> None:
    from partnerkit.billing.invoices import RevenueShare, revenue_of

    usd = pk.Money.of
    assert revenue_of(_sold(), usd("300", "USD")) == (
        RevenueShare(0, "crm", usd("200.00", "USD")),
        RevenueShare(1, "desk", usd("50.00", "USD")),
    )
    # A third: 66.67 of CRM's net (13.33 of its tax), 16.67 of Desk's, 3.33 of the fee.
    assert revenue_of(_sold(), usd("100", "USD")) == (
        RevenueShare(0, "crm", usd("66.67", "USD")),
        RevenueShare(1, "desk", usd("16.67", "USD")),
    )


def test_payments_in_parts_share_each_line_to_the_cent() -> None:
    from partnerkit.billing.invoices import revenue_of

    usd = pk.Money.of
    hundred = usd("100", "USD")
    first = revenue_of(_sold(), hundred)
    second = revenue_of(_sold(), hundred, before=hundred)
    third = revenue_of(_sold(), hundred, before=usd("200", "USD"))
    crm = [s.amount for shares in (first, second, third) for s in shares if s.product == "crm"]
    assert crm == [usd("66.67", "USD"), usd("66.66", "USD"), usd("66.67", "USD")]
    assert sum(crm, usd("0", "USD")) == usd("200.00", "USD")


def test_an_invoice_of_nothing_has_no_revenue() -> None:
    from partnerkit.billing.invoices import revenue_of

    free = attrs.evolve(
        _invoice(InvoiceStatus.SENT, total="0"),
        lines=(pk.InvoiceLine.of("Trial", 1, pk.Money.of("0", "USD"), product="crm"),),
    )
    assert revenue_of(free, pk.Money.of("0", "USD")) == ()

"""Commissions from real money (issue 10, item 10): a payment billing records on a product line
accrues the partner of record's commission in the same transaction, through billing's typed
event, and a refund that gives revenue back books the reversal. The partner's commission
ledger and the customer's payments agree to the cent.

000_*.txt / 001_*.txt seeds: the partner of record earns commission on its customer's
transactions for the product; 003_9950710e2377ac79.txt, "Track Payments Made": online and
offline payments alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import partnerkit as pk
from partnerkit.billing.events import PaymentRefunded, ReturnedRevenue
from partnerkit.catalog.errors import ProductNotFoundError

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")
ADMIN = "it@acme.example"


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture
def gateway() -> pk.FakePaymentGateway:
    # On the system clock, months ahead of the kit's simulated one: a gateway's time is its
    # own, and a payment is still booked at the kit's.
    return pk.FakePaymentGateway()


@pytest.fixture(params=["memory", "sqlite"])
def kit(
    request: pytest.FixtureRequest, tmp_path: Path, gateway: pk.FakePaymentGateway
) -> Iterator[pk.Kit]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'earn.db'}"
    clock = pk.SimulatedClock(START)
    kit = pk.connect(url, clock=clock, mailer=pk.InMemoryMailer(), payment_gateway=gateway)
    kit.migrate()
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    kit.catalog.add_product("desk", name="Desk", actor=STAFF)
    yield kit
    kit.close()


@pytest.fixture
def world(kit: pk.Kit) -> tuple[pk.Partner, pk.Customer, pk.Invoice]:
    """Zillium earns 20 % on Acme's CRM (Acme tagged it); Desk has no partner. The invoice:
    2 CRM seats at 100 USD with 20 % VAT on top, a Desk add-on at 50 USD, a 10 USD fee."""
    zillium = kit.partners.register(
        name="Zillium",
        username="zillium",
        email="ops@zillium.example",
        expertise=["crm"],
        actor=STAFF,
    )
    kit.partners.issue_code(zillium.id, "ZILLIUMCorp", actor=STAFF)
    kit.commissions.set_plan(zillium.id, rate=Decimal("20"), actor=STAFF)
    acme = kit.customers.create(name="Acme", admin_email=ADMIN, actor=STAFF)
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    vat = kit.billing.create_tax_rate("VAT", "20", actor=STAFF)
    lines = [
        pk.InvoiceLine.of("CRM seats", 2, usd("100"), tax=vat, product="crm"),
        pk.InvoiceLine.of("Desk add-on", 1, usd("50"), product="desk"),
        pk.InvoiceLine.of("Setup fee", 1, usd("10")),
    ]
    invoice = kit.billing.create_invoice(acme.id, lines, issue=True, actor=STAFF)
    assert invoice.total == usd("300.00")  # 240 CRM (200 + 40 VAT) + 50 Desk + 10 fee
    return zillium, acme, invoice


def _ledger(kit: pk.Kit, partner: pk.Partner) -> list[tuple[str, pk.Money, pk.Money]]:
    return [
        (e.kind.value, e.base, e.commission)
        for e in kit.commissions.entries(partner.id, actor=STAFF)
    ]


def test_a_payment_accrues_commission_on_the_product_lines_net_revenue(
    kit: pk.Kit, world: tuple[pk.Partner, pk.Customer, pk.Invoice]
) -> None:
    zillium, acme, invoice = world
    kit.billing.record_payment(
        acme.id,
        usd("300.00"),
        method=pk.PaymentMethodKind.BANK_TRANSFER,
        invoice_ids=[invoice.id],
        actor=STAFF,
    )
    # Tax is not revenue, the Desk line has no partner, the fee names no product.
    assert _ledger(kit, zillium) == [("accrual", usd("200.00"), usd("40.00"))]


def test_an_online_payment_earns_the_same_as_an_offline_one(
    kit: pk.Kit,
    world: tuple[pk.Partner, pk.Customer, pk.Invoice],
    gateway: pk.FakePaymentGateway,
) -> None:
    zillium, acme, invoice = world
    vat = kit.billing.tax_rates(actor=STAFF)[0]
    kit.billing.set_default_tax(vat.id, actor=STAFF)  # the portal charges only then (CP2001)
    card = gateway.tokenize("4242 4242 4242 4242", 12, 2030)
    kit.billing.pay(
        [invoice.id],
        card=card,
        idempotency_key="acme-jan",
        actor=pk.Principal.customer_user(acme.id, ADMIN),
    )
    assert _ledger(kit, zillium) == [("accrual", usd("200.00"), usd("40.00"))]
    [paid] = [
        p for p in kit.billing.payments(acme.id, actor=STAFF) if p.status.value == "succeeded"
    ]
    assert paid.received_at == START  # the kit's time, not the gateway's


def test_a_partial_payment_earns_its_share_and_the_rest_earns_the_rest_to_the_cent(
    kit: pk.Kit, world: tuple[pk.Partner, pk.Customer, pk.Invoice]
) -> None:
    zillium, acme, invoice = world
    for amount in ("100.00", "100.00", "100.00"):
        kit.billing.record_payment(
            acme.id,
            usd(amount),
            method=pk.PaymentMethodKind.CASH,
            invoice_ids=[invoice.id],
            actor=STAFF,
        )
    bases = [base for _, base, _ in _ledger(kit, zillium)]
    # A third of 300 is a third of the CRM line's 200 net: 66.67 + 66.66 + 66.67 or so, and
    # together exactly the line's net amount, no cent lost or made.
    assert sum(bases, usd("0")) == usd("200.00")
    assert all(abs(b - usd("66.67")) <= usd("0.01") for b in bases)


def test_money_that_paid_no_invoice_earns_nothing(
    kit: pk.Kit, world: tuple[pk.Partner, pk.Customer, pk.Invoice]
) -> None:
    zillium, acme, _ = world
    # 350 paid, 300 of it to the invoice (oldest first), 50 becomes credit: no revenue.
    kit.billing.record_payment(
        acme.id, usd("350.00"), method=pk.PaymentMethodKind.CASH, actor=STAFF
    )
    assert _ledger(kit, zillium) == [("accrual", usd("200.00"), usd("40.00"))]


def test_revenue_a_refund_gives_back_reverses_the_commission_on_it_at_most_once(
    kit: pk.Kit, world: tuple[pk.Partner, pk.Customer, pk.Invoice]
) -> None:
    # The handler fed directly: a refund delivered twice, and refunds that together claim
    # more than the line earned on.
    zillium, acme, invoice = world
    payment = kit.billing.record_payment(
        acme.id,
        usd("300.00"),
        method=pk.PaymentMethodKind.BANK_TRANSFER,
        invoice_ids=[invoice.id],
        actor=STAFF,
    )
    back = ReturnedRevenue(payment.id, invoice.id, 0, "crm", usd("150.00"))
    refund = PaymentRefunded(
        "ref_1", acme.id, "RF-000001", payment.id, usd("180.00"), START, (back,)
    )
    kit.commissions.on_payment_refunded(refund)
    kit.commissions.on_payment_refunded(refund)  # delivered twice: booked once
    again = PaymentRefunded("ref_2", acme.id, "RF-000002", payment.id, usd("90.00"), START, (back,))
    kit.commissions.on_payment_refunded(again)  # only 50 of the line's 200 is left to take back
    # All at the same instant: in the order of kind, then amount.
    assert sorted(_ledger(kit, zillium), key=lambda e: (e[0], e[1].amount)) == [
        ("accrual", usd("200.00"), usd("40.00")),
        ("reversal", usd("-150.00"), usd("-30.00")),
        ("reversal", usd("-50.00"), usd("-10.00")),
    ]
    # The partner's statement: what the customer paid net on CRM, less what came back.
    statement = kit.commissions.statement(
        zillium.id, START.date(), (START + timedelta(days=1)).date(), actor=STAFF
    )
    assert list(statement.totals) == [usd("0.00")]


def test_refunding_part_of_a_paid_invoice_takes_back_the_commission_on_that_part(
    kit: pk.Kit, world: tuple[pk.Partner, pk.Customer, pk.Invoice]
) -> None:
    zillium, acme, invoice = world
    kit.billing.record_payment(
        acme.id,
        usd("300.00"),
        method=pk.PaymentMethodKind.BANK_TRANSFER,
        invoice_ids=[invoice.id],
        actor=STAFF,
    )
    kit.clock.advance(timedelta(days=3))
    # A third of the invoice back: a third of the CRM line's 200 net is no longer revenue.
    kit.billing.refund_invoice(
        invoice.id, usd("100.00"), reason="One seat was never used", actor=STAFF
    )
    assert _ledger(kit, zillium) == [
        ("accrual", usd("200.00"), usd("40.00")),
        ("reversal", usd("-66.67"), usd("-13.33")),
    ]
    # The rest back: the partner keeps nothing of a transaction the customer got all back.
    kit.billing.refund_invoice(invoice.id, usd("200.00"), reason="Cancelled", actor=STAFF)
    entries = kit.commissions.entries(zillium.id, actor=STAFF)
    assert sum((e.base for e in entries), usd("0")) == usd("0.00")
    assert sum((e.commission for e in entries), usd("0")) == usd("0.00")


def test_an_online_payments_refund_goes_back_to_its_card_and_its_commission_with_it(
    kit: pk.Kit,
    world: tuple[pk.Partner, pk.Customer, pk.Invoice],
    gateway: pk.FakePaymentGateway,
) -> None:
    zillium, acme, invoice = world
    vat = kit.billing.tax_rates(actor=STAFF)[0]
    kit.billing.set_default_tax(vat.id, actor=STAFF)
    card = gateway.tokenize("4242 4242 4242 4242", 12, 2030)
    kit.billing.pay(
        [invoice.id],
        card=card,
        idempotency_key="acme-jan",
        actor=pk.Principal.customer_user(acme.id, ADMIN),
    )
    refund = kit.billing.refund_invoice(
        invoice.id, usd("300.00"), reason="Bought by mistake", actor=STAFF
    )
    assert refund.method is pk.RefundMethod.ORIGINAL
    assert refund.reference is not None  # the gateway's refund
    assert [r.amount for r in gateway.refunds] == [usd("300.00")]
    assert sorted(kind for kind, _, _ in _ledger(kit, zillium)) == ["accrual", "reversal"]
    assert sum((c for _, _, c in _ledger(kit, zillium)), usd("0")) == usd("0.00")


def test_an_invoice_line_for_a_product_not_in_the_catalog_is_refused_and_nothing_stored(
    kit: pk.Kit, world: tuple[pk.Partner, pk.Customer, pk.Invoice]
) -> None:
    _, acme, _ = world
    before = kit.billing.invoices(acme.id, actor=STAFF)
    line = pk.InvoiceLine.of("Phones", 1, usd("10"), product="telephony")
    with pytest.raises(ProductNotFoundError) as refused:
        kit.billing.create_invoice(acme.id, [line], actor=STAFF)
    assert refused.value.details["field"] == "lines[0].product"
    assert kit.billing.invoices(acme.id, actor=STAFF) == before

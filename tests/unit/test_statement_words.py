"""A statement speaks its reader's language and keeps its customer's calendar (issue 10,
item 8: "localised with babel (`locale="de_DE"` formats amounts and dates the German way)").

The words around what a person wrote — an invoice's due date, how money came in or went back —
are built when the statement is rendered, not stored in English; and the period's days, like
each entry's date, are the days on the customer's own calendar (003_9950710e2377ac79.txt,
"Generate Statement of Accounts": the customer picks the period in its portal, on its days).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest

import partnerkit as pk
from partnerkit.billing.render.formatting import document_locale
from partnerkit.errors import InvalidTimeZoneError

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")
BANK = pk.PaymentMethodKind.BANK_TRANSFER


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pk.Kit]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'words.db'}"
    kit = pk.connect(url, clock=pk.SimulatedClock(START), mailer=pk.InMemoryMailer())
    kit.migrate()
    yield kit
    kit.close()


def _march(kit: pk.Kit, *, time_zone: str | None = None) -> pk.Customer:
    acme = kit.customers.create(
        name="Acme", admin_email="it@acme.example", time_zone=time_zone, actor=STAFF
    )
    invoice = kit.billing.create_invoice(
        acme.id,
        [pk.InvoiceLine.of("CRM seats", 2, usd("50"))],
        due_date=date(2026, 3, 31),
        issue=True,
        actor=STAFF,
    )
    kit.billing.record_payment(
        acme.id, usd("100"), method=BANK, reference="BT-77", invoice_ids=[invoice.id], actor=STAFF
    )
    kit.billing.refund_invoice(
        invoice.id, usd("25"), reason="Ein Platz storniert", method=BANK, actor=STAFF
    )
    return acme


def _text(kit: pk.Kit, customer: pk.Customer, locale: str, start: date, end: date) -> str:
    header, entries = kit.billing.statement(customer.id, start, end, actor=STAFF)
    return "".join(pk.render_statement_text(header, entries, locale=locale))


def test_a_german_statement_says_every_line_in_german(kit: pk.Kit) -> None:
    acme = _march(kit)
    _, entries = kit.billing.statement(acme.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF)
    described = [document_locale("de_DE").describe(e) for e in entries]
    assert described == [
        "Fällig am 31.03.2026",
        "Überweisung, BT-77",
        "Ein Platz storniert",
        "Überweisung",
    ]
    text = _text(kit, acme, "de_DE", date(2026, 3, 1), date(2026, 3, 31))
    for english in ("Due", "Bank transfer", "Payment received", "Credit note", "Refund"):
        assert english not in text
    # The same entries in English: the words are the reader's, not the stored ones.
    _, entries = kit.billing.statement(acme.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF)
    assert [document_locale("en_US").describe(e) for e in entries] == [
        "Due Mar 31, 2026",
        "Bank transfer, BT-77",
        "Ein Platz storniert",
        "Bank transfer",
    ]


def test_every_format_describes_an_entry_the_same_way(kit: pk.Kit) -> None:
    acme = _march(kit)
    header, entries = kit.billing.statement(
        acme.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF
    )
    listed = list(entries)
    page = "".join(pk.render_statement_html(header, listed, locale="de_DE"))
    assert "<td>Fällig am 31.03.2026</td>" in page
    assert "<td>Überweisung, BT-77</td>" in page
    rows = "".join(pk.render_statement_csv(header, listed)).splitlines()
    assert rows[2].split(",")[3] == "Due Mar 31, 2026" or '"Due Mar 31, 2026"' in rows[2]
    assert "Bank transfer" in rows[3] and "BT-77" in rows[3]


def test_a_receipt_names_the_method_in_the_readers_language(kit: pk.Kit) -> None:
    acme = _march(kit)
    [payment] = kit.billing.payments(acme.id, actor=STAFF)
    receipt = kit.billing.receipt(payment.id, actor=STAFF)
    assert "Überweisung" in pk.render_receipt_text(receipt, locale="de_DE")
    assert "Bank transfer" in pk.render_receipt_text(receipt, locale="en_US")
    assert "Überweisung" in pk.render_receipt_html(receipt, locale="de_DE")


def test_the_period_and_the_dates_are_the_customers_days(kit: pk.Kit) -> None:
    # Acme keeps Tokyo's calendar: 20:00 UTC on 31 March is already 1 April there.
    acme = kit.customers.create(
        name="Acme", admin_email="it@acme.example", time_zone="Asia/Tokyo", actor=STAFF
    )
    kit.billing.create_invoice(
        acme.id, [pk.InvoiceLine.of("CRM seats", 1, usd("50"))], issue=True, actor=STAFF
    )
    assert isinstance(kit.clock, pk.SimulatedClock)
    kit.clock.set(datetime(2026, 3, 31, 20, 0, tzinfo=UTC))
    kit.billing.record_payment(acme.id, usd("50"), method=BANK, actor=STAFF)
    march, entries = kit.billing.statement(
        acme.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF
    )
    assert (march.time_zone, march.entry_count) == ("Asia/Tokyo", 1)
    assert [e.kind.value for e in entries] == ["invoice"]
    april, entries = kit.billing.statement(
        acme.id, date(2026, 4, 1), date(2026, 4, 30), actor=STAFF
    )
    assert april.opening == march.closing == usd("50")
    assert april.entry_count == 1
    text = "".join(pk.render_statement_text(april, entries, locale="en_US"))
    assert "Apr 1, 2026" in text and "Mar 31, 2026" not in text
    [payment] = kit.billing.payments(acme.id, actor=STAFF)
    receipt = kit.billing.receipt(payment.id, actor=STAFF)
    assert receipt.time_zone == "Asia/Tokyo"
    assert "April 1, 2026" in pk.render_receipt_text(receipt)


def test_an_account_without_a_calendar_follows_the_organisations(tmp_path: Path) -> None:
    kit = pk.connect(
        "memory://",
        clock=pk.SimulatedClock(START),
        policies=[pk.MappingPolicy(time_zone="America/New_York")],
    )
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    header, _ = kit.billing.statement(acme.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF)
    assert header.time_zone == "America/New_York"


def test_a_header_on_no_known_calendar_is_refused_before_anything_is_written(
    kit: pk.Kit,
) -> None:
    acme = _march(kit)
    header, entries = kit.billing.statement(
        acme.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF
    )
    bad = attrs.evolve(header, time_zone="Mars/Olympus_Mons")
    with pytest.raises(InvalidTimeZoneError) as refused:
        pk.render_statement_text(bad, entries)
    assert refused.value.field == "time_zone"
    with pytest.raises(InvalidTimeZoneError):
        pk.render_statement_csv(bad, entries)


ZILLIUM = pk.Issuer(
    name="Zillium GmbH",
    address=("Torstraße 1", "10119 Berlin", "Deutschland"),
    tax_id="DE123456789",
    email="billing@zillium.example",
)


def test_the_issuer_heads_every_statement_and_receipt() -> None:
    kit = pk.connect(
        "memory://", clock=pk.SimulatedClock(START), policies=[pk.BillingPolicy(issuer=ZILLIUM)]
    )
    acme = _march(kit)
    header, entries = kit.billing.statement(
        acme.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF
    )
    assert header.issuer == ZILLIUM
    listed = list(entries)
    text = "".join(pk.render_statement_text(header, listed, locale="de_DE"))
    assert text.startswith(
        "Zillium GmbH\nTorstraße 1\n10119 Berlin\nDeutschland\nUSt-IdNr.: DE123456789\n"
        "billing@zillium.example\n\nKontoauszug\n"
    )
    page = "".join(pk.render_statement_html(header, listed, locale="en_US"))
    assert '<address class="issuer">' in page and "Tax ID: DE123456789" in page
    [payment] = kit.billing.payments(acme.id, actor=STAFF)
    receipt = kit.billing.receipt(payment.id, actor=STAFF)
    assert pk.render_receipt_text(receipt).startswith("Zillium GmbH\n")
    assert "<strong>Zillium GmbH</strong>" in pk.render_receipt_html(receipt)
    # Without an issuer, no letterhead.
    plain = pk.connect("memory://", clock=pk.SimulatedClock(START))
    other = _march(plain)
    bare, entries = plain.billing.statement(
        other.id, date(2026, 3, 1), date(2026, 3, 31), actor=STAFF
    )
    assert "".join(pk.render_statement_text(bare, entries)).startswith("Statement of accounts\n")


@pytest.mark.parametrize(
    "changes",
    [{"name": ""}, {"address": ["a"]}, {"address": ("x",) * 7}, {"tax_id": "x" * 101}, {"name": 5}],
)
def test_a_bad_issuer_is_refused_naming_its_field(changes: dict[str, object]) -> None:
    values: dict[str, object] = {"name": "Zillium GmbH", **changes}
    with pytest.raises(pk.PartnerkitError) as refused:
        pk.Issuer(**values)  # type: ignore[arg-type]
    assert refused.value.code == "validation.invalid"
    assert refused.value.field is not None and refused.value.field.split("[")[0] in values
    with pytest.raises(pk.PartnerkitError):
        pk.BillingPolicy(issuer="Zillium")  # type: ignore[arg-type]

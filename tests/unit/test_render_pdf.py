"""A statement and a receipt as PDF (fpdf2, Noto Sans embedded): what a customer downloads or
prints (003 seed), read back with pypdfium2 as text and as an image."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pypdfium2 as pdfium
import pytest
from PIL import Image
from render_samples import (
    ACME_RECEIPT,
    CLOSING,
    MUELLER_RECEIPT,
    entries_of,
    many_closing,
    many_entries,
    statement,
)

import partnerkit as pk
from partnerkit.billing.render.errors import StatementTooLongError
from partnerkit.billing.render.pdf import statement_pages
from partnerkit.errors import InvalidInputError, MissingExtraError

MM = 72 / 25.4  # PDF points per millimetre, at scale 1


def _pages_text(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def _image(pdf: bytes, page: int = 0, scale: float = 2.0) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[page].render(scale=scale).to_pil().convert("L")
    finally:
        document.close()


def _ink(image: Image.Image, box_mm: tuple[float, float, float, float], scale: float = 2.0) -> int:
    """How many dark pixels the box (left, top, right, bottom in mm) holds."""
    left, top, right, bottom = (round(v * MM * scale) for v in box_mm)
    histogram = image.crop((left, top, right, bottom)).histogram()
    return sum(histogram[:160])


@pytest.mark.parametrize(
    ("locale", "currency", "words"),
    [
        (
            "de_DE",
            "EUR",
            [
                "Kontoauszug",
                "Müller GmbH",
                "1. März 2026 – 31. März 2026",
                "Anfangssaldo",
                "Rechnung",
                "Gutschrift",
                "Erstattung",
                "1.190,00 €",
                "Endsaldo",
                "Offener Betrag",
                "Seite 1 von 1",
            ],
        ),
        (
            "en_US",
            "USD",
            [
                "Statement of accounts",
                "Müller GmbH",
                "March 1, 2026 – March 31, 2026",
                "Opening balance",
                "Invoice",
                "Credit note",
                "Refund",
                "$1,190.00",
                "Closing balance",
                "Amount due",
                "Page 1 of 1",
            ],
        ),
    ],
)
def test_a_statement_prints_its_frame_entries_and_closing_balance(
    locale: str, currency: str, words: list[str]
) -> None:
    pdf = pk.render_statement_pdf(statement(currency), entries_of(currency), locale=locale)
    assert pdf.startswith(b"%PDF-")
    (text,) = _pages_text(pdf)
    flat = " ".join(text.replace("\u00a0", " ").split())
    for word in words:
        assert " ".join(word.split()) in flat, word
    closing = pk.Money.of(CLOSING, currency).format(locale).replace("\u00a0", " ")
    # In the box, on the closing row, and as the amount due.
    assert flat.count(closing) >= 3
    for entry in entries_of(currency):
        assert entry.reference in flat
        assert entry.balance.format(locale).replace("\u00a0", " ") in flat


def test_the_table_has_ink_and_the_rest_of_a_short_page_is_blank() -> None:
    pdf = pk.render_statement_pdf(statement(), entries_of("EUR"), locale="de_DE")
    image = _image(pdf)
    # The heading block, the table's rows (66 mm down, 5.4 mm a row) and the amounts column.
    assert _ink(image, (15, 15, 100, 40)) > 500
    assert _ink(image, (15, 70, 195, 110)) > 2_000
    assert _ink(image, (170, 70, 195, 110)) > 300  # the balances, right-aligned
    assert _ink(image, (15, 130, 195, 270)) == 0  # nothing after the amount due
    assert _ink(image, (15, 280, 195, 287)) > 50  # the footer


def test_a_long_statement_breaks_pages_and_repeats_its_headings() -> None:
    n = 300
    pdf = pk.render_statement_pdf(
        statement(closing=many_closing(n), entry_count=n), many_entries(n), locale="de_DE"
    )
    pages = _pages_text(pdf)
    assert len(pages) == statement_pages(n) == 8
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in text
        assert "Datum" in text and "Saldo" in text
    assert "Endsaldo" in pages[-1] and "Endsaldo" not in pages[-2]
    every = " ".join(pages)
    assert all(f"INV-{i:06d}" in every for i in range(0, n, 2))
    # A full middle page has ink down to its last row.
    assert _ink(_image(pdf, 3), (15, 260, 195, 274)) > 500


def test_a_unicode_name_and_the_euro_sign_print() -> None:
    head = statement(name="ООО «Ромашка» – Ærøskøbing Łódź")
    (text,) = _pages_text(pk.render_statement_pdf(head, entries_of("EUR")))
    assert "ООО «Ромашка» – Ærøskøbing Łódź" in text
    assert "€1,190.00" in text
    inr = pk.render_statement_pdf(statement("INR", entry_count=0), [], locale="en_IN")
    assert "₹250.00" in _pages_text(inr)[0]


def test_a_long_description_is_cut_and_an_amount_never() -> None:
    movements = ((2, pk.StatementEntryKind.INVOICE, "INV-1", "word " * 40, "123456789.00", None),)
    head = statement(opening="0", closing="123456789.00", entry_count=1)
    (text,) = _pages_text(
        pk.render_statement_pdf(head, entries_of("EUR", movements, opening="0"), locale="de_DE")
    )
    assert "word word…" in text and "word " * 40 not in text
    assert "123.456.789,00\u00a0€" in text or "123.456.789,00 €" in text


def test_a_statement_too_long_for_a_pdf_is_refused_before_a_page_is_written() -> None:
    read: list[int] = []

    def entries() -> Iterator[pk.StatementEntry]:
        read.append(1)
        yield from many_entries(100_000)

    with pytest.raises(StatementTooLongError) as caught:
        pk.render_statement_pdf(statement(entry_count=100_000), entries())
    error = caught.value
    assert error.code == "statement.too_long_for_pdf"
    assert error.details == {
        "entries": 100_000,
        "pages": statement_pages(100_000),
        "max_pages": 500,
        "field": "entries",
    }
    assert "CSV" in (error.remedy or "")
    assert read == []


def test_entries_beyond_what_the_header_said_stop_at_the_page_bound() -> None:
    # The header says 10 entries; 1,000 come. The bound holds anyway.
    with pytest.raises(StatementTooLongError) as caught:
        pk.render_statement_pdf(statement(entry_count=10), many_entries(1_000), max_pages=3)
    assert caught.value.details["max_pages"] == 3


def test_max_pages_moves_the_bound_and_must_be_a_count() -> None:
    n = 300
    head = statement(closing=many_closing(n), entry_count=n)
    with pytest.raises(StatementTooLongError):
        pk.render_statement_pdf(head, many_entries(n), max_pages=7)
    assert len(_pages_text(pk.render_statement_pdf(head, many_entries(n), max_pages=8))) == 8
    for bad in (0, -1, 2.5, True, "9"):
        with pytest.raises(InvalidInputError) as caught:
            pk.render_statement_pdf(head, [], max_pages=bad)  # type: ignore[arg-type]
        assert caught.value.field == "max_pages"


def test_the_same_statement_gives_the_same_file() -> None:
    first = pk.render_statement_pdf(statement(), entries_of("EUR"), locale="de_DE")
    assert pk.render_statement_pdf(statement(), entries_of("EUR"), locale="de_DE") == first


def test_a_receipt_prints_number_date_amount_method_and_invoices() -> None:
    pdf = pk.render_receipt_pdf(MUELLER_RECEIPT, locale="de_DE")
    (text,) = _pages_text(pdf)
    flat = " ".join(text.replace("\u00a0", " ").split())
    for word in [
        "Zahlungsbeleg",
        "Müller GmbH",
        "PAY-000018",
        "25. März 2026",
        "Banküberweisung",
        "SEPA-2026-0325-17",
        "Erhaltener Betrag",
        "928,00 €",
        "Bezahlte Rechnungen",
        "INV-000041",
        "690,00 €",
        "INV-000042",
        "190,40 €",
        "Als Guthaben verbucht",
        "47,60 €",
        "Summe",
    ]:
        assert word in flat, word
    image = _image(pdf)
    assert _ink(image, (15, 60, 195, 110)) > 1_000
    english = " ".join(_pages_text(pk.render_receipt_pdf(ACME_RECEIPT))[0].split())
    assert "Payment receipt" in english and "$1,234.50" in english
    assert "Payment reference" not in english and "Kept as credit" not in english


def test_without_fpdf2_the_pdf_calls_say_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fpdf", None)  # `import fpdf` raises ImportError
    with pytest.raises(MissingExtraError) as caught:
        pk.render_statement_pdf(statement(), entries_of("EUR"))
    assert caught.value.code == "configuration.missing_extra"
    assert caught.value.remedy == "pip install 'partnerkit[pdf]'"
    with pytest.raises(MissingExtraError):
        pk.render_receipt_pdf(MUELLER_RECEIPT)


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        pk.render_statement_pdf(statement(), [], locale="xx")
    with pytest.raises(InvalidInputError):
        pk.render_receipt_pdf("receipt")


def test_a_receipt_for_many_invoices_goes_on_to_a_second_page() -> None:
    # "Pay all outstanding" in one go (003 seed, Home dashboard): one payment, many invoices.
    lines = tuple(
        pk.ReceiptLine(invoice_number=f"INV-{i:06d}", amount=pk.Money.of("10.00", "EUR"))
        for i in range(60)
    )
    import attrs

    receipt = attrs.evolve(
        MUELLER_RECEIPT,
        lines=lines,
        amount=pk.Money.of("600.00", "EUR"),
        to_credit=pk.Money.of("0", "EUR"),
    )
    pages = _pages_text(pk.render_receipt_pdf(receipt, locale="de_DE"))
    assert len(pages) == 2
    assert "Seite 2 von 2" in pages[1] and "Rechnung" in pages[1]  # the headings again
    every = " ".join(pages)
    assert all(f"INV-{i:06d}" in every for i in range(60))
    assert "Summe" in pages[1] and "600,00" in pages[1]

"""A statement and a receipt as plain text (003 seed: "Generate Statement of Accounts",
"Track Payments Made"): headings in the document's language, amounts and dates the locale's
way, aligned columns, and the closing balance the header gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from render_samples import ACME_RECEIPT, CLOSING, MUELLER_RECEIPT, entries_of, statement

import partnerkit as pk
from partnerkit.errors import CurrencyMismatchError, InvalidInputError


def _text(locale: str, currency: str = "EUR", **header: object) -> str:
    head = statement(currency, **header)  # type: ignore[arg-type]
    return "".join(pk.render_statement_text(head, entries_of(currency), locale=locale))


def test_de_de_reads_german_with_german_amounts_and_dates() -> None:
    text = _text("de_DE")
    assert text.startswith("Kontoauszug\n")
    assert "Zeitraum:    1. März 2026 – 31. März 2026" in text
    for heading in ("Datum", "Art", "Beschreibung", "Soll", "Haben", "Saldo"):
        assert heading in text
    assert "01.03.2026  Rechnung    INV-000041 CRM Professional," in text
    assert "1.190,00 €" in text and "1.440,00 €" in text
    assert "Gutschrift" in text and "Erstattung" in text
    assert "Anfangssaldo" in text and "Endsaldo" in text


def test_en_us_reads_english_with_american_amounts_and_dates() -> None:
    text = _text("en_US", "USD", name="Acme")
    assert text.startswith("Statement of accounts\n")
    assert "Period:   March 1, 2026 – March 31, 2026" in text
    assert "Mar 1, 2026" in text and "$1,190.00" in text and "$1,440.00" in text
    assert "Credit note" in text and "Refund" in text


@pytest.mark.parametrize(("locale", "currency"), [("de_DE", "EUR"), ("en_US", "USD")])
def test_the_closing_balance_printed_is_the_headers(locale: str, currency: str) -> None:
    lines = _text(locale, currency).splitlines()
    closing = pk.Money.of(CLOSING, currency).format(locale).replace("\u00a0", " ")
    closing_line = next(line for line in lines if "Endsaldo" in line or "Closing" in line)
    assert closing_line.endswith(closing)
    assert lines[-1].endswith(closing)  # "Amount due: ..."
    # Each entry's running balance is printed, and the last one is the closing balance.
    balances = [e.balance.format(locale).replace("\u00a0", " ") for e in entries_of(currency)]
    assert all(balance in "\n".join(lines) for balance in balances)
    assert balances[-1] == closing


def test_the_columns_line_up() -> None:
    lines = _text("de_DE").splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith("Datum"))
    rule = lines[heading + 1]
    table = [line for line in lines[heading + 2 :] if line and line != rule][:9]
    amounts = [line for line in table if line.rstrip().endswith("€")]
    # Every balance ends where the heading's last column ends: right-aligned amounts.
    assert {len(line) for line in amounts} == {len(lines[heading])}
    assert len(rule) == len(lines[heading])


def test_a_long_description_goes_on_below_instead_of_being_lost() -> None:
    text = _text("de_DE")
    assert "INV-000041 CRM Professional," in text
    assert "\n                        25 users, March 2026\n" in text


def test_a_language_without_headings_falls_back_to_english_with_the_locales_amounts() -> None:
    text = _text("fr_FR")
    assert text.startswith("Statement of accounts\n")
    assert "1 190,00 €" in text  # French grouping and sign, in plain spaces
    assert "1 mars 2026 – 31 mars 2026" in text


def test_a_bcp47_tag_names_the_same_locale() -> None:
    assert _text("de-DE") == _text("de_DE")


def test_an_unknown_locale_is_refused_before_an_entry_is_read() -> None:
    read: list[int] = []

    def entries() -> Iterator[pk.StatementEntry]:
        read.append(1)
        yield from entries_of("EUR")

    with pytest.raises(InvalidInputError) as caught:
        pk.render_statement_text(statement(), entries(), locale="xx_NOPE")
    assert caught.value.code == "validation.invalid"
    assert caught.value.field == "locale"
    assert read == []


def test_an_entry_in_another_currency_is_refused() -> None:
    stray = next(entries_of("USD"))
    with pytest.raises(CurrencyMismatchError) as caught:
        "".join(pk.render_statement_text(statement(), [*entries_of("EUR"), stray]))
    assert caught.value.field == "entries[6]"


def test_what_is_not_a_statement_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        pk.render_statement_text("statement", [])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError) as caught:
        "".join(pk.render_statement_text(statement(), ["entry"]))  # type: ignore[list-item]
    assert caught.value.field == "entries[0]"
    with pytest.raises(InvalidInputError):
        "".join(pk.render_statement_text(statement(), 42))  # type: ignore[arg-type]


def test_an_empty_period_and_a_customer_in_credit() -> None:
    text = "".join(
        pk.render_statement_text(
            statement(opening="-20.00", closing="-20.00", entry_count=0), [], locale="en_US"
        )
    )
    assert "No transactions in this period." in text
    assert text.rstrip().endswith("In credit: €20.00")


def test_a_receipt_in_german() -> None:
    text = pk.render_receipt_text(MUELLER_RECEIPT, locale="de_DE")
    assert text.splitlines()[:4] == [
        "Zahlungsbeleg",
        "",
        "Belegnummer:       PAY-000018",
        "Kunde:             Müller GmbH",
    ]
    assert "Zahlungsdatum:     25. März 2026" in text
    assert "Erhaltener Betrag: 928,00 €" in text
    assert "Zahlungsart:       Banküberweisung" in text
    assert "Zahlungsreferenz:  SEPA-2026-0325-17" in text
    assert "INV-000041                        690,00 €" in text
    assert "Als Guthaben verbucht              47,60 €" in text


def test_a_receipt_in_english_without_a_reference_or_credit() -> None:
    text = pk.render_receipt_text(ACME_RECEIPT, locale="en_US")
    assert "Amount received: $1,234.50" in text
    assert "Payment reference" not in text and "Kept as credit" not in text
    assert "INV-000007" in text
    with pytest.raises(InvalidInputError):
        pk.render_receipt_text(ACME_RECEIPT, locale="nope")
    with pytest.raises(InvalidInputError):
        pk.render_receipt_text(None)

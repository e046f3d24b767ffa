"""A statement and a receipt as HTML from Jinja2 templates a host can override (a host's
directory first, then the shipped ones), always escaped."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from render_samples import ACME_RECEIPT, CLOSING, MUELLER_RECEIPT, entries_of, many_entries
from render_samples import statement as header_of

import partnerkit as pk
from partnerkit.errors import InvalidInputError

NBSP = "\u00a0"


def _html(locale: str = "en_US", currency: str = "EUR", **options: object) -> str:
    head = header_of(currency)
    return "".join(
        pk.render_statement_html(head, entries_of(currency), locale=locale, **options)  # type: ignore[arg-type]
    )


def test_de_de_page() -> None:
    page = _html("de_DE")
    assert page.startswith('<!DOCTYPE html>\n<html lang="de">')
    assert "<h1>Kontoauszug</h1>" in page
    assert "1. März 2026 – 31. März 2026" in page
    assert "<th>Datum</th><th>Art</th><th>Beleg</th>" in page
    assert f'<td class="amount">1.190,00{NBSP}€</td>' in page
    assert "<td>01.03.2026</td><td>Rechnung</td><td>INV-000041</td>" in page
    assert f"Offener Betrag: 297,60{NBSP}€" in page


def test_en_us_page() -> None:
    page = _html("en_US", "USD")
    assert '<html lang="en">' in page and "<h1>Statement of accounts</h1>" in page
    assert "<td>Mar 20, 2026</td><td>Credit note</td><td>CN-000003</td>" in page
    assert '<td class="amount">$1,190.00</td>' in page


@pytest.mark.parametrize(("locale", "currency"), [("de_DE", "EUR"), ("en_US", "USD")])
def test_the_closing_balance_printed_is_the_headers(locale: str, currency: str) -> None:
    page = _html(locale, currency)
    closing = pk.Money.of(CLOSING, currency).format(locale)
    row = page.split('<tr class="balance closing">', 1)[1].split("</tr>", 1)[0]
    assert f'<td class="amount">{closing}</td>' in row
    assert page.count('<tr class="entry ') == 6


def test_a_customer_named_script_is_printed_not_run() -> None:
    evil = '<script>alert("x")</script>'
    head = header_of(name=evil)
    entry = next(entries_of("EUR"))
    sneaky = pk.StatementEntry(
        at=entry.at,
        kind=entry.kind,
        reference='"><img src=x onerror=alert(1)>',
        description=evil,
        debit=entry.debit,
        credit=None,
        balance=entry.balance,
    )
    page = "".join(pk.render_statement_html(head, [sneaky]))
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    receipt = pk.render_receipt_html(
        pk.Receipt(**{**_fields(MUELLER_RECEIPT), "customer_name": evil, "method": evil})
    )
    assert "<script>" not in receipt and receipt.count("&lt;script&gt;") == 2  # name, method


def _fields(receipt: pk.Receipt) -> dict[str, object]:
    import attrs

    return attrs.asdict(receipt, recurse=False)


def test_a_host_template_comes_first_and_may_extend_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "statement.html").write_text(
        '{% extends "partnerkit/statement.html" %}\n'
        '{% block letterhead %}<p class="vendor">Zylker GmbH – {{ header.customer_name }}'
        "</p>{% endblock %}\n",
        encoding="utf-8",
    )
    head = header_of(name="Müller & Söhne")
    page = "".join(
        pk.render_statement_html(head, entries_of("EUR"), locale="de_DE", templates=tmp_path)
    )
    # The host's block, escaped like the rest, and everything else the shipped template's.
    assert '<p class="vendor">Zylker GmbH – Müller &amp; Söhne</p>' in page
    assert "<h1>Kontoauszug</h1>" in page and "Endsaldo" in page
    # Without the directory, the shipped template alone.
    assert "vendor" not in _html("de_DE")


def test_a_host_base_template_restyles_both_documents(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text(
        '<html lang="{{ lang }}"><body class="host">{% block content %}{% endblock %}'
        "</body></html>",
        encoding="utf-8",
    )
    page = _html("de_DE", templates=str(tmp_path))
    assert page.startswith('<html lang="de"><body class="host">')
    assert "<h1>Kontoauszug</h1>" in page
    receipt = pk.render_receipt_html(MUELLER_RECEIPT, locale="de_DE", templates=tmp_path)
    assert receipt.startswith('<html lang="de"><body class="host">')
    assert "<h1>Zahlungsbeleg</h1>" in receipt


def test_a_host_template_that_names_nothing_known_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "statement.html").write_text("{{ header.customer_nmae }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        "".join(pk.render_statement_html(header_of(), [], templates=tmp_path))


def test_a_templates_directory_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        pk.render_statement_html(header_of(), [], templates=tmp_path / "missing")
    assert caught.value.field == "templates"
    with pytest.raises(InvalidInputError):
        pk.render_receipt_html(MUELLER_RECEIPT, templates=42)  # type: ignore[arg-type]


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        pk.render_statement_html(header_of(), [], locale="zz_ZZ")
    assert caught.value.code == "validation.invalid"


def test_the_page_streams_in_chunks_of_16_kb() -> None:
    n = 2_000
    chunks = list(pk.render_statement_html(header_of(entry_count=n), many_entries(n)))
    assert len(chunks) > 10
    assert all(len(chunk) >= 16_384 for chunk in chunks[:-1])
    assert "".join(chunks).count('<tr class="entry ') == n


def test_an_empty_period_says_so() -> None:
    page = "".join(pk.render_statement_html(header_of(entry_count=0), [], locale="de_DE"))
    assert "Keine Buchungen in diesem Zeitraum." in page


def test_a_receipt_page() -> None:
    page = pk.render_receipt_html(MUELLER_RECEIPT, locale="de_DE")
    assert "<title>Zahlungsbeleg PAY-000018</title>" in page
    assert f"<strong>928,00{NBSP}€</strong>" in page
    assert f'<tr><td>INV-000041</td><td class="amount">690,00{NBSP}€</td></tr>' in page
    assert "Als Guthaben verbucht" in page and "SEPA-2026-0325-17" in page
    english = pk.render_receipt_html(ACME_RECEIPT)
    assert "<strong>$1,234.50</strong>" in english
    assert "Payment reference" not in english and "Kept as credit" not in english


def test_the_templates_and_fonts_are_package_data() -> None:
    # Read through importlib.resources, as an installed wheel serves them (hatch ships every
    # file under src/partnerkit that git does not ignore).
    import importlib.resources

    shipped = importlib.resources.files("partnerkit.billing.render")
    for name in ("base.html", "statement.html", "receipt.html"):
        assert (shipped / "templates" / name).is_file()
    for name in ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "OFL.txt"):
        assert (shipped / "fonts" / name).is_file()

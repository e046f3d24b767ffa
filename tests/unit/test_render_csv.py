"""A statement as CSV, for programs: a header row, one row per entry between an opening and a
closing row, ISO dates and plain decimal amounts in any locale, the closing row the header's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_samples import CLOSING, MOVEMENTS, OPENING, Kind, entries_of, statement

import partnerkit as pk
from partnerkit.errors import CurrencyMismatchError, InvalidInputError


def _rows(header: pk.StatementHeader, entries: object) -> list[dict[str, str]]:
    text = "".join(pk.render_statement_csv(header, entries))  # type: ignore[arg-type]
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_header_row_and_one_row_per_entry() -> None:
    text = "".join(pk.render_statement_csv(statement(), entries_of("EUR")))
    lines = text.split("\r\n")
    assert lines[0] == "date,kind,reference,description,debit,credit,balance,currency"
    assert lines[1] == "2026-03-01,opening_balance,,,,,250.00,EUR"
    assert lines[2] == (
        '2026-03-01,invoice,INV-000041,"CRM Professional, 25 users, March 2026",'
        "1190.00,,1440.00,EUR"
    )
    assert lines[4] == "2026-03-12,invoice,INV-000042,Telephony add-on,238.00,,1178.00,EUR"
    assert lines[-2] == "2026-03-31,closing_balance,,,,,297.60,EUR"
    assert lines[-1] == ""
    assert len(lines) == 1 + 1 + len(MOVEMENTS) + 1 + 1


@pytest.mark.parametrize("currency", ["EUR", "USD"])
def test_the_rows_add_up_to_the_closing_balance_the_header_gives(currency: str) -> None:
    rows = _rows(statement(currency), entries_of(currency))
    assert rows[0]["kind"] == "opening_balance" and rows[0]["balance"] == OPENING
    assert rows[-1]["kind"] == "closing_balance" and rows[-1]["balance"] == CLOSING
    balance = Decimal(OPENING)
    for row in rows[1:-1]:
        balance += Decimal(row["debit"] or 0) - Decimal(row["credit"] or 0)
        assert Decimal(row["balance"]) == balance
        assert row["currency"] == currency
    assert balance == Decimal(CLOSING)
    assert [row["kind"] for row in rows[1:-1]] == [kind.value for _, kind, *_ in MOVEMENTS]


@pytest.mark.parametrize(
    ("currency", "amount", "written"),
    [("JPY", "1500", "1500"), ("KWD", "12.345", "12.345"), ("USD", "-20", "-20.00")],
)
def test_amounts_keep_exactly_their_currencys_minor_units(
    currency: str, amount: str, written: str
) -> None:
    movements = ((2, Kind.INVOICE, "INV-1", "Licence", amount, None),)
    head = statement(currency, opening="0", closing=amount, entry_count=1)
    rows = _rows(head, entries_of(currency, movements, opening="0"))
    assert rows[1]["debit"] == written and rows[1]["balance"] == written


def test_a_formula_stays_text_in_a_spreadsheet() -> None:
    movements = (
        (2, Kind.INVOICE, "=1+1", '=HYPERLINK("http://evil.example","click")', "1.00", None),
        (3, Kind.PAYMENT, "@SUM(A1)", "-2+3", None, "1.00"),
    )
    head = statement(opening="0", closing="0", entry_count=2)
    rows = _rows(head, entries_of("EUR", movements, opening="0"))
    assert rows[1]["reference"] == "'=1+1"
    assert rows[1]["description"].startswith("'=HYPERLINK(")
    assert rows[2]["reference"] == "'@SUM(A1)" and rows[2]["description"] == "'-2+3"
    # Amounts are numbers, never prefixed, negative ones included.
    assert rows[1]["debit"] == "1.00"


def test_no_locale_changes_it() -> None:
    # CSV takes no locale at all: the same file for a German and an American customer.
    with pytest.raises(TypeError):
        pk.render_statement_csv(statement(), [], locale="de_DE")  # type: ignore[call-arg]


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        pk.render_statement_csv(None, [])
    with pytest.raises(CurrencyMismatchError):
        "".join(pk.render_statement_csv(statement("USD"), entries_of("EUR")))


def test_a_long_statement_comes_in_chunks() -> None:
    from render_samples import many_closing, many_entries

    n = 5_000
    chunks = list(
        pk.render_statement_csv(statement(closing=many_closing(n), entry_count=n), many_entries(n))
    )
    assert len(chunks) == n // 512 + 1
    rows = list(csv.reader(io.StringIO("".join(chunks), newline="")))
    assert len(rows) == n + 3
    assert rows[-2][6] == rows[-1][6] == many_closing(n)


@given(
    currency=st.sampled_from(["JPY", "USD", "KWD"]),
    opening=st.integers(min_value=-(10**6), max_value=10**6),
    moves=st.lists(
        st.tuples(st.booleans(), st.integers(min_value=1, max_value=10**8)), max_size=30
    ),
)
@settings(max_examples=40, deadline=None)
def test_any_statement_reads_back_to_its_own_closing_balance(
    currency: str, opening: int, moves: list[tuple[bool, int]]
) -> None:
    # Amounts in minor units, so every currency's digits are exercised (JPY 0, USD 2, KWD 3).
    start = pk.Money.from_minor(opening, currency)
    balance = start
    entries = []
    for i, (is_debit, units) in enumerate(moves):
        amount = pk.Money.from_minor(units, currency)
        balance = balance + amount if is_debit else balance - amount
        entries.append(
            pk.StatementEntry(
                at=datetime(2026, 3, 1 + i % 28, tzinfo=UTC),
                kind=Kind.INVOICE if is_debit else Kind.PAYMENT,
                reference=f"DOC-{i}",
                description="-" if i % 3 == 0 else "x",
                debit=amount if is_debit else None,
                credit=None if is_debit else amount,
                balance=balance,
            )
        )
    head = statement(
        currency, opening=str(start.amount), closing=str(balance.amount), entry_count=len(entries)
    )
    rows = _rows(head, iter(entries))
    digits = pk.Money.of("0", currency).amount.as_tuple().exponent
    total = Decimal(rows[0]["balance"])
    for row in rows[1:-1]:
        total += Decimal(row["debit"] or 0) - Decimal(row["credit"] or 0)
        assert Decimal(row["balance"]) == total
        assert Decimal(row["balance"]).as_tuple().exponent == digits
    assert total == Decimal(rows[-1]["balance"]) == balance.amount

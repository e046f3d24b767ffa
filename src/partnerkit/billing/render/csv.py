"""A statement of accounts as CSV, for programs and spreadsheets: ISO dates, plain decimal
amounts, one row per entry between an opening and a closing row. Never localised.

It streams: rows are written as the entries come, a few hundred at a time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from partnerkit.billing.documents import StatementEntry, StatementHeader
from partnerkit.billing.render.formatting import as_day, check_header, checked, document_locale
from partnerkit.money import Money

__all__ = ["COLUMNS", "render_statement_csv"]

#: The header row, in this order; stable across releases, for the programs that read it.
COLUMNS: tuple[str, ...] = (
    "date",
    "kind",
    "reference",
    "description",
    "debit",
    "credit",
    "balance",
    "currency",
)

_ROWS_PER_CHUNK = 512
#: What a spreadsheet takes for the start of a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _amount(money: Money | None) -> str:
    # The amount with exactly its currency's minor-unit digits: "1234.50", "-20.00", "1500" (JPY).
    return "" if money is None else format(money.amount, "f")


def _text(value: str) -> str:
    # A description such as "=HYPERLINK(...)" must stay text when a person opens the file.
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _row(
    day: date,
    kind: str,
    reference: str,
    description: str,
    entry_amounts: list[str],
    balance: Money,
    currency: str,
) -> list[str]:
    return [
        day.isoformat(),
        kind,
        _text(reference),
        _text(description),
        *entry_amounts,
        _amount(balance),
        currency,
    ]


def render_statement_csv(header: object, entries: Iterable[StatementEntry]) -> Iterator[str]:
    """A statement of accounts as CSV (RFC 4180, UTF-8 text), one row per entry.

    The first row is `COLUMNS`: `date,kind,reference,description,debit,credit,balance,currency`.
    Then an `opening_balance` row dated the period's start, a row per entry (`kind` is the
    entry's kind: `invoice`, `payment`, `credit_note`, `refund`) with its running balance, and a
    `closing_balance` row dated the period's end. Dates are ISO (`2026-03-01`), amounts plain
    decimals with the currency's minor units (`1234.50`, `-20.00`). A reference or description
    that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`) is written with
    a leading `'`. `entries` is read once, as the rows are written.

    Args:
        header: The statement's `StatementHeader`.
        entries: The period's `StatementEntry` values in date order; any iterable.

    Returns:
        The CSV text in chunks of a few hundred rows; `"".join(...)` gives the whole file.

    Raises:
        InvalidInputError: `header` or an entry is not one (`validation.invalid`).
        CurrencyMismatchError: An entry is in another currency than the statement
            (`money.currency_mismatch`), raised when that entry is reached.
    """
    return _csv(check_header(header), entries)


def _csv(head: StatementHeader, entries: Iterable[StatementEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    currency = head.currency
    # The description in English, the file's one language; the dates on the customer's calendar.
    english = document_locale("en_US").on_calendar(head.time_zone)
    writer.writerow(COLUMNS)
    writer.writerow(_row(head.start, "opening_balance", "", "", ["", ""], head.opening, currency))
    for written, entry in enumerate(checked(entries, currency), start=1):
        writer.writerow(
            _row(
                as_day(entry.at, head.time_zone),
                entry.kind.value,
                entry.reference,
                english.describe(entry),
                [_amount(entry.debit), _amount(entry.credit)],
                entry.balance,
                currency,
            )
        )
        if written % _ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerow(_row(head.end, "closing_balance", "", "", ["", ""], head.closing, currency))
    yield buffer.getvalue()

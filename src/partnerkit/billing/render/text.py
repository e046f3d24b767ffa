"""Plain text a person reads in an email: a statement or a receipt in aligned columns.

A statement streams: its lines are written as the entries come, a few hundred at a time.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator

from partnerkit.billing.documents import StatementEntry, StatementHeader
from partnerkit.billing.render.formatting import (
    DocumentLocale,
    check_header,
    check_receipt,
    checked,
    display_width,
    document_locale,
    fit,
    pad,
)
from partnerkit.money import Money

__all__ = ["render_receipt_text", "render_statement_text"]

#: Lines gathered into one chunk of a streamed statement.
_LINES_PER_CHUNK = 256
_GAP = "  "
#: babel keeps an amount and its sign together with no-break spaces (U+00A0, U+202F); in
#: plain text the columns already do, and a mail client that mislabels the charset would show
#: them as stray letters.
_PLAIN = str.maketrans({"\u00a0": " ", "\u202f": " "})
#: The details column: the entry's reference, then as much of its description as fits.
_DETAILS_WIDTH = 30
_DETAILS_LINES = 3


class _Columns:
    """The statement's column widths, fixed before the first entry: the entries stream, so no
    width can wait for the longest of them (an amount wider than its column pushes its line)."""

    def __init__(self, where: DocumentLocale, widest: Iterable[Money]) -> None:
        words = where.words
        self.where = where
        self.day = max(where.widest_day(), display_width(words.date))
        self.kind = max(display_width(w) for w in [words.kind, *words.kinds.values()])
        self.details = max(_DETAILS_WIDTH, display_width(words.description))
        self.amount = max(
            display_width(text)
            for text in [
                words.debit,
                words.credit,
                words.balance,
                *(where.money(amount) for amount in widest),
            ]
        )

    def line(
        self,
        day: str,
        kind: str,
        details: str,
        debit: str,
        credit: str,
        balance: str,
    ) -> str:
        cells = [
            pad(day, self.day),
            pad(fit(kind, self.kind), self.kind),
            pad(fit(details, self.details), self.details),
            pad(debit, self.amount, right=True),
            pad(credit, self.amount, right=True),
            pad(balance, self.amount, right=True),
        ]
        return _GAP.join(cells).rstrip()

    def entry(self, entry: StatementEntry) -> str:
        where = self.where
        details = " ".join(f"{entry.reference} {where.describe(entry)}".split())
        # A long description goes on under itself, a few lines at most, instead of being cut.
        lines = textwrap.wrap(details, self.details, max_lines=_DETAILS_LINES, placeholder=" …")
        first = self.line(
            where.day(entry.at),
            where.kind(entry.kind),
            lines[0] if lines else "",
            where.money(entry.debit) if entry.debit is not None else "",
            where.money(entry.credit) if entry.credit is not None else "",
            where.money(entry.balance),
        )
        indent = " " * (self.day + self.kind + 2 * len(_GAP))
        return "\n".join([first, *(indent + fit(more, self.details) for more in lines[1:])])


def _letterhead(lines: list[str]) -> list[str]:
    """The issuer's lines, then a blank line before the document; nothing without them."""
    return [*lines, ""] if lines else []


def _labelled(pairs: list[tuple[str, str]]) -> list[str]:
    width = max(display_width(label) for label, _ in pairs) + 1
    return [pad(f"{label}:", width + 1) + value for label, value in pairs]


def render_statement_text(
    header: object, entries: Iterable[StatementEntry], *, locale: str = "en_US"
) -> Iterator[str]:
    """A statement of accounts as plain text in aligned columns, for an email or a terminal.

    The headings are in the locale's language (English and German are shipped; other locales
    get English headings), amounts and dates as the locale writes them. `entries` is read once,
    as the text is written: a statement of any length costs the same memory. Amounts keep
    plain spaces (babel's no-break spaces are replaced, for mail clients that mislabel them).
    A description longer than its column goes on in the lines below (three at most, then "…");
    an amount wider than its column pushes its line (the widths are fixed before the first
    entry is read).

    Args:
        header: The statement's `StatementHeader`: whose account, the period, the opening and
            closing balances.
        entries: The period's `StatementEntry` values in date order, each with its running
            balance; any iterable, such as a generator reading them from the database.
        locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.

    Returns:
        The text in chunks of a few hundred lines; `"".join(...)` gives the whole document.
        Nothing is read or checked before the first chunk is asked for, except the header and
        the locale.

    Raises:
        InvalidInputError: `locale` is not a known locale, or `header` or an entry is not one
            (`validation.invalid`).
        CurrencyMismatchError: An entry is in another currency than the statement
            (`money.currency_mismatch`), raised when that entry is reached.
    """
    head = check_header(header)
    where = document_locale(locale).on_calendar(head.time_zone)
    return _statement_text(head, entries, where)


def _statement_text(
    head: StatementHeader, entries: Iterable[StatementEntry], where: DocumentLocale
) -> Iterator[str]:
    words = where.words
    columns = _Columns(where, [head.opening, head.closing, Money.of("99999", head.currency)])
    top = [
        *_letterhead(where.letterhead(head.issuer)),
        words.statement,
        "",
        *_labelled(
            [
                (words.customer, head.customer_name),
                (words.period, where.period(head.start, head.end)),
                (words.issued, where.long_day(head.issued_at)),
            ]
        ),
        "",
    ]
    heading = columns.line(
        words.date,
        words.kind,
        words.description,
        words.debit,
        words.credit,
        words.balance,
    )
    rule = "-" * display_width(heading)
    top += [heading, rule]
    top.append(
        columns.line(where.day(head.start), "", words.opening, "", "", where.money(head.opening))
    )
    lines: list[str] = top
    count = 0
    for entry in checked(entries, head.currency):
        lines.append(columns.entry(entry))
        count += 1
        if len(lines) >= _LINES_PER_CHUNK:
            yield ("\n".join(lines) + "\n").translate(_PLAIN)
            lines = []
    if count == 0:
        lines.append(words.no_entries)
    lines += [
        rule,
        columns.line(where.day(head.end), "", words.closing, "", "", where.money(head.closing)),
        "",
        *_labelled(_due(head.closing, where)),
    ]
    yield ("\n".join(lines) + "\n").translate(_PLAIN)


def _due(closing: Money, where: DocumentLocale) -> list[tuple[str, str]]:
    if closing.is_negative:
        return [(where.words.in_credit, where.money(-closing))]
    return [(where.words.amount_due, where.money(closing))]


def render_receipt_text(receipt: object, *, locale: str = "en_US") -> str:
    """A payment receipt as plain text: its number, date, amount, method, and what it paid.

    Args:
        receipt: The payment's `Receipt`.
        locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.

    Returns:
        The receipt, lines ending in a newline.

    Raises:
        InvalidInputError: `locale` is not a known locale, or `receipt` is not a receipt
            (`validation.invalid`).
    """
    paid = check_receipt(receipt)
    where = document_locale(locale).on_calendar(paid.time_zone)
    words = where.words
    facts = [
        (words.receipt_number, paid.number),
        (words.customer, paid.customer_name),
        (words.paid_at, where.long_day(paid.paid_at)),
        (words.amount, where.money(paid.amount)),
        (words.method, where.method(paid)),
    ]
    if paid.reference:
        facts.append((words.payment_reference, paid.reference))
    lines = [*_letterhead(where.letterhead(paid.issuer)), words.receipt, "", *_labelled(facts)]
    if paid.lines or not paid.to_credit.is_zero:
        amounts = [where.money(line.amount) for line in paid.lines]
        amounts.append(where.money(paid.to_credit))
        first = display_width(words.invoice)
        if not paid.to_credit.is_zero:
            first = max(first, display_width(words.to_credit))
        first = max([first, *(display_width(line.invoice_number) for line in paid.lines)])
        second = max(display_width(text) for text in [words.applied, *amounts])
        lines += ["", words.invoices_paid, ""]
        lines.append(pad(words.invoice, first) + _GAP + pad(words.applied, second, right=True))
        lines.append("-" * (first + len(_GAP) + second))
        for line, amount in zip(paid.lines, amounts, strict=False):
            lines.append(pad(line.invoice_number, first) + _GAP + pad(amount, second, right=True))
        if not paid.to_credit.is_zero:
            lines.append(pad(words.to_credit, first) + _GAP + pad(amounts[-1], second, right=True))
    return ("\n".join(lines) + "\n").translate(_PLAIN)

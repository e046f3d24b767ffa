"""What every format of a statement or a receipt shares: the locale, the headings in the
document's language, amounts and dates as a person in that locale reads them, and the entries
checked against the header as they stream past.

English and German headings are shipped; any other known locale gets English headings with its
own amounts and dates. An unknown locale is refused before a byte is written.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from partnerkit.billing.documents import (
    EntryKind,
    Issuer,
    Receipt,
    StatementEntry,
    StatementHeader,
)
from partnerkit.clock import time_zone
from partnerkit.errors import CurrencyMismatchError, InvalidInputError
from partnerkit.money import Money

__all__ = [
    "LANGUAGES",
    "DocumentLocale",
    "Words",
    "as_day",
    "check_header",
    "check_receipt",
    "checked",
    "display_width",
    "document_locale",
    "fit",
    "pad",
]


@attrs.frozen
class Words:
    """The fixed words of a statement and a receipt, in one language."""

    statement: str
    customer: str
    period: str
    issued: str
    page: str
    date: str
    kind: str
    reference: str
    description: str
    debit: str
    credit: str
    balance: str
    opening: str
    closing: str
    amount_due: str
    in_credit: str
    no_entries: str
    receipt: str
    receipt_number: str
    paid_at: str
    amount: str
    method: str
    payment_reference: str
    invoices_paid: str
    invoice: str
    applied: str
    to_credit: str
    total: str
    kinds: dict[EntryKind, str]
    #: An invoice's line on a statement: "Due {day}".
    due: str
    #: How money came in or went back, by `PaymentMethodKind` and `RefundMethod` value.
    methods: dict[str, str]
    #: The label of the issuer's tax number in the letterhead.
    tax_id: str


_ENGLISH = Words(
    statement="Statement of accounts",
    customer="Customer",
    period="Period",
    issued="Issued",
    page="Page {page} of {pages}",
    date="Date",
    kind="Type",
    reference="Reference",
    description="Description",
    debit="Debit",
    credit="Credit",
    balance="Balance",
    opening="Opening balance",
    closing="Closing balance",
    amount_due="Amount due",
    in_credit="In credit",
    no_entries="No transactions in this period.",
    receipt="Payment receipt",
    receipt_number="Receipt number",
    paid_at="Payment date",
    amount="Amount received",
    method="Payment method",
    payment_reference="Payment reference",
    invoices_paid="Invoices paid",
    invoice="Invoice",
    applied="Amount applied",
    to_credit="Kept as credit",
    total="Total",
    kinds={
        EntryKind.INVOICE: "Invoice",
        EntryKind.PAYMENT: "Payment",
        EntryKind.CREDIT_NOTE: "Credit note",
        EntryKind.REFUND: "Refund",
    },
    due="Due {day}",
    methods={
        "online": "Online payment",
        "cash": "Cash",
        "cheque": "Cheque",
        "bank_transfer": "Bank transfer",
        "credit": "Customer credit",
        "original": "To the original payment",
    },
    tax_id="Tax ID",
)

_GERMAN = Words(
    statement="Kontoauszug",
    customer="Kunde",
    period="Zeitraum",
    issued="Erstellt am",
    page="Seite {page} von {pages}",
    date="Datum",
    kind="Art",
    reference="Beleg",
    description="Beschreibung",
    debit="Soll",
    credit="Haben",
    balance="Saldo",
    opening="Anfangssaldo",
    closing="Endsaldo",
    amount_due="Offener Betrag",
    in_credit="Guthaben",
    no_entries="Keine Buchungen in diesem Zeitraum.",
    receipt="Zahlungsbeleg",
    receipt_number="Belegnummer",
    paid_at="Zahlungsdatum",
    amount="Erhaltener Betrag",
    method="Zahlungsart",
    payment_reference="Zahlungsreferenz",
    invoices_paid="Bezahlte Rechnungen",
    invoice="Rechnung",
    applied="Verrechneter Betrag",
    to_credit="Als Guthaben verbucht",
    total="Summe",
    kinds={
        EntryKind.INVOICE: "Rechnung",
        EntryKind.PAYMENT: "Zahlung",
        EntryKind.CREDIT_NOTE: "Gutschrift",
        EntryKind.REFUND: "Erstattung",
    },
    due="Fällig am {day}",
    methods={
        "online": "Online-Zahlung",
        "cash": "Barzahlung",
        "cheque": "Scheck",
        "bank_transfer": "Überweisung",
        "credit": "Kundenguthaben",
        "original": "Auf die ursprüngliche Zahlung",
    },
    tax_id="USt-IdNr.",
)

#: The languages whose headings are shipped, by ISO 639 code; any other falls back to English.
LANGUAGES: dict[str, Words] = {"en": _ENGLISH, "de": _GERMAN}


@attrs.frozen
class DocumentLocale:
    """The locale one document is written for: its headings, its amounts and its dates."""

    name: str
    words: Words
    _locale: Locale = attrs.field(alias="locale", repr=False)
    #: The calendar an instant's day is read on: the customer's (`StatementHeader.time_zone`).
    zone: str = "UTC"

    def on_calendar(self, zone: str) -> DocumentLocale:
        """The same locale, reading instants' days on `zone`'s calendar."""
        return self if zone == self.zone else attrs.evolve(self, zone=zone)

    def money(self, amount: Money) -> str:
        """The amount as the locale writes it (`Money.format`)."""
        return _money(amount, self.name)

    def day(self, when: date | datetime) -> str:
        """A date in the locale's medium form: "Mar 1, 2026", "01.03.2026"; an instant's
        day is the one on the document's calendar (`zone`, the customer's)."""
        return _day(as_day(when, self.zone), self.name, "medium")

    def describe(self, entry: StatementEntry) -> str:
        """What a statement line says about its document, in the document's language: an
        invoice's due date, a payment's or refund's method, then what a person wrote (a credit
        note's reason, a reference). An entry without a `detail` says its `description`.
        """
        said = " ".join(entry.description.split())
        if entry.detail is None:
            return said
        if entry.kind is EntryKind.INVOICE:
            words = self.words.due.format(day=self.day(date.fromisoformat(entry.detail)))
        else:
            words = self.words.methods.get(entry.detail, entry.detail)
        return f"{words}, {said}" if said and words else said or words

    def method(self, receipt: Receipt) -> str:
        """How a receipt's payment was made, in the document's language."""
        if receipt.method_key is None:
            return receipt.method
        return self.words.methods.get(receipt.method_key, receipt.method)

    def letterhead(self, issuer: Issuer | None) -> list[str]:
        """The issuer's lines at a document's head: its name, its address, its tax number
        and email; none without an issuer."""
        if issuer is None:
            return []
        lines = [issuer.name, *issuer.address]
        if issuer.tax_id:
            lines.append(f"{self.words.tax_id}: {issuer.tax_id}")
        if issuer.email:
            lines.append(issuer.email)
        return lines

    def long_day(self, when: date | datetime) -> str:
        """A date in the locale's long form: "March 1, 2026", "1. März 2026"."""
        return _day(as_day(when, self.zone), self.name, "long")

    def kind(self, kind: EntryKind) -> str:
        """What an entry records, in the document's language."""
        return self.words.kinds[kind]

    def period(self, start: date, end: date) -> str:
        """The statement's period: "March 1, 2026 – March 31, 2026"."""
        return f"{self.long_day(start)} – {self.long_day(end)}"

    def widest_day(self) -> int:
        """The display width of the longest medium date of the locale (any month, two digits)."""
        return max(display_width(self.day(date(2026, month, 28))) for month in range(1, 13))


def document_locale(locale: object) -> DocumentLocale:
    """The locale a document is rendered in, checked before anything is written.

    Args:
        locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.

    Returns:
        The locale with the headings of its language, or English ones for a language
        partnerkit ships no headings for.

    Raises:
        InvalidInputError: `locale` is not a locale babel knows (`validation.invalid`).
    """
    if not isinstance(locale, str):
        raise InvalidInputError(
            "The locale must be a name such as 'en_US' or 'de_DE'.",
            field="locale",
            hint=f"locale takes a str, not {type(locale).__name__}",
        )
    return _document_locale(locale)


@functools.lru_cache(maxsize=64)
def _document_locale(name: str) -> DocumentLocale:
    try:
        parsed = Locale.parse(name, sep="-" if "-" in name else "_")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"{name!r} is not a known locale.", field="locale", details={"value": name}
        ) from exc
    # Money.format checks the same name the same way; the canonical form keeps the caches small.
    canonical = str(parsed)
    return DocumentLocale(canonical, LANGUAGES.get(parsed.language, _ENGLISH), locale=parsed)


def as_day(when: date | datetime, zone: str = "UTC") -> date:
    """The day of a date or an instant; an instant's day on `zone`'s calendar (a statement's
    is the customer's, as its period is)."""
    if isinstance(when, datetime):
        if not when.tzinfo:
            return when.date()
        return when.astimezone(UTC if zone == "UTC" else _zone(zone)).date()
    return when


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return time_zone(name, "time_zone")


# A statement repeats amounts (a monthly price) and every day of its period many times, and
# babel's formatting costs tens of microseconds a call: both are kept, boundedly.
@functools.lru_cache(maxsize=1024)
def _money(amount: Money, locale: str) -> str:
    return amount.format(locale)


@functools.lru_cache(maxsize=512)
def _day(day: date, locale: str, form: str) -> str:
    text: str = format_date(day, form, locale=locale)
    return text


def display_width(text: str) -> int:
    """How many monospace columns `text` takes: wide East Asian characters count two,
    combining marks none."""
    if text.isascii():
        return len(text)
    return _wide_width(text)


@functools.lru_cache(maxsize=1024)
def _wide_width(text: str) -> int:
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """`text` cut to `width` columns, with "…" where it was cut."""
    if display_width(text) <= width:
        return text
    kept = ""
    for char in text:
        if display_width(kept + char) > width - 1:
            break
        kept += char
    return kept + "…"


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` padded with spaces to `width` columns, on the left when `right` aligns it."""
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


# --- the entries, checked as they stream past ---------------------------------------------------


def check_header(header: object) -> StatementHeader:
    """The header, refused unless it is a `StatementHeader`."""
    if not isinstance(header, StatementHeader):
        raise InvalidInputError(
            "The statement's header is missing.",
            field="header",
            hint=f"header takes a StatementHeader, not {type(header).__name__}",
        )
    time_zone(header.time_zone, "time_zone")  # refused before a byte is written
    return header


def check_receipt(receipt: object) -> Receipt:
    """The receipt, refused unless it is a `Receipt`."""
    if not isinstance(receipt, Receipt):
        raise InvalidInputError(
            "The receipt is missing.",
            field="receipt",
            hint=f"receipt takes a Receipt, not {type(receipt).__name__}",
        )
    time_zone(receipt.time_zone, "time_zone")
    return receipt


def _same_currency(amount: Money | None, currency: str, index: int) -> None:
    if amount is not None and amount.currency != currency:
        raise CurrencyMismatchError(
            f"Entry {index + 1} is in {amount.currency}, but the statement is in {currency}.",
            field=f"entries[{index}]",
            details={"statement": currency, "entry": amount.currency},
            remedy="A statement is in one currency: show each currency in its own statement.",
        )


def checked(entries: Iterable[StatementEntry], currency: str) -> Iterator[StatementEntry]:
    """Each entry in turn, once, as it comes: one in another currency than the statement's, or
    not an entry at all, is refused when it is reached (the entries before it are out already).
    """
    if isinstance(entries, StatementEntry | str | bytes) or not isinstance(entries, Iterable):
        raise InvalidInputError(
            "The statement's entries must be a sequence of entries.",
            field="entries",
            hint=f"entries takes an iterable of StatementEntry, not {type(entries).__name__}",
        )
    for index, entry in enumerate(entries):
        if not isinstance(entry, StatementEntry):
            raise InvalidInputError(
                f"Entry {index + 1} of the statement is not an entry.",
                field=f"entries[{index}]",
                hint=f"each entry is a StatementEntry, not {type(entry).__name__}",
            )
        _same_currency(entry.debit, currency, index)
        _same_currency(entry.credit, currency, index)
        _same_currency(entry.balance, currency, index)
        yield entry

"""What a customer's documents say: a statement of accounts and a payment receipt, as values.

The billing services build these from what is stored; the renderers turn them into text,
HTML, CSV and PDF. A statement's entries are an iterable, not a list, so a customer with a
hundred thousand movements is rendered in constant memory (003 seed, "Generate Statement of
Accounts").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

import attrs

from partnerkit import validate
from partnerkit.errors import InvalidInputError
from partnerkit.money import Money

__all__ = [
    "Entries",
    "EntryKind",
    "Issuer",
    "Receipt",
    "ReceiptLine",
    "StatementEntry",
    "StatementHeader",
]


def _line(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    validate.text(value, attribute.name, max_length=200)


def _lines(instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: object) -> None:
    if not isinstance(value, tuple) or len(value) > 6:
        raise InvalidInputError(
            "An address has at most 6 lines.",
            field=attribute.name,
            hint="address takes a tuple of up to 6 strings",
        )
    validate.texts(value, attribute.name, lambda v, f: validate.text(v, f, max_length=200))


def _optional_line(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        validate.text(value, attribute.name, max_length=100)


@attrs.frozen
class Issuer:
    """Who sends a statement or a receipt: the organisation's name, postal address and tax
    number, printed at the head of every document (`BillingPolicy.issuer`).

    Attributes:
        name: The organisation's name, such as "Zillium GmbH".
        address: The postal address, one line per item, at most 6.
        tax_id: Its tax number (a VAT or GST id), if it has one.
        email: Where customers write about their account, if given.

    Raises:
        InvalidInputError: A line is empty or longer than 200 characters, the address has more
            than 6 lines or is not a tuple, or the tax id or email is too long
            (`validation.invalid`).
    """

    name: str = attrs.field(validator=_line)
    address: tuple[str, ...] = attrs.field(default=(), validator=_lines)
    tax_id: str | None = attrs.field(default=None, validator=_optional_line)
    email: str | None = attrs.field(default=None, validator=_optional_line)


class EntryKind(enum.StrEnum):
    """What a line of a statement records."""

    #: An invoice issued: the customer owes more (a debit).
    INVOICE = "invoice"
    #: A payment received, online or recorded offline by staff (a credit).
    PAYMENT = "payment"
    #: A credit note issued: the customer owes less (a credit).
    CREDIT_NOTE = "credit_note"
    #: Money paid back to the customer: what it owes goes up again (a debit).
    REFUND = "refund"


@attrs.frozen
class StatementEntry:
    """One movement on a customer's account, with the balance right after it.

    Exactly one of `debit` and `credit` is set. `balance` is what the customer owes after this
    entry: positive when it owes, negative when it has credit.
    """

    at: datetime
    kind: EntryKind
    #: The document's number as the customer knows it: "INV-000042", "PAY-000007".
    reference: str
    #: What a person wrote for it: a credit note's reason, a payment's or refund's reference
    #: ("" for none). An entry recorded before `detail` existed keeps its whole sentence here.
    description: str
    debit: Money | None
    credit: Money | None
    balance: Money
    #: What the document's words are built from, in the reader's language
    #: (`DocumentLocale.describe`): an invoice's due date (ISO), a payment's or a refund's
    #: method (`PaymentMethodKind`, `RefundMethod` values); None when `description` says it all.
    detail: str | None = None


@attrs.frozen
class StatementHeader:
    """The statement's frame: whose account, which period, where it opened and closed.

    `closing` equals `opening` plus every entry's debit minus every entry's credit, and the next
    period's statement opens at this one's `closing`. A statement is in one currency; an
    organisation billed in two gets two statements.
    """

    customer_id: str
    customer_name: str
    currency: str
    start: date
    end: date
    opening: Money
    closing: Money
    issued_at: datetime
    #: The entries of the period, in date order, as many as it holds.
    entry_count: int
    #: The customer's calendar: the period's days and the entries' dates are its days.
    time_zone: str = "UTC"
    #: Who sends it (`BillingPolicy.issuer`); None prints no letterhead.
    issuer: Issuer | None = None


@attrs.frozen
class ReceiptLine:
    """What part of a payment went to one invoice."""

    invoice_number: str
    amount: Money


@attrs.frozen
class Receipt:
    """The proof of one payment (003 seed, "Track Payments Made": "Download PDF or Print").

    `lines` say which invoices the payment paid and how much of each; what the payment left
    over became credit (`to_credit`).
    """

    number: str
    customer_id: str
    customer_name: str
    paid_at: datetime
    amount: Money
    #: How it was paid, as the customer reads it: "Visa ending 4242", "Bank transfer".
    method: str
    #: The gateway's or the bank's reference for the money received, when there is one.
    reference: str | None
    lines: tuple[ReceiptLine, ...]
    to_credit: Money
    #: The customer's calendar: the payment's date is its day there.
    time_zone: str = "UTC"
    #: The payment's method (a `PaymentMethodKind` value), which a receipt names in the
    #: reader's language; None: `method` says it.
    method_key: str | None = None
    #: Who sends it (`BillingPolicy.issuer`); None prints no letterhead.
    issuer: Issuer | None = None


#: The entries a renderer takes: any iterable, consumed once, in date order.
Entries = Iterable[StatementEntry]

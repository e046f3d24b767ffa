"""Invoices as values and their pure rules: tax rates, lines rounded per line, the one status
table every change goes through, and the allocation of money to invoices, oldest due first.

Nothing here reads a clock or storage: the billing service loads, calls these, and saves.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Context, Decimal, localcontext

import attrs

from partnerkit import validate
from partnerkit.billing.errors import (
    AmountNotPositiveError,
    InvalidInvoiceTransitionError,
    WrongCurrencyError,
)
from partnerkit.errors import InvalidInputError
from partnerkit.money import Money, apportion

__all__ = [
    "OUTSTANDING",
    "TRANSITIONS",
    "Allocation",
    "Invoice",
    "InvoiceAction",
    "InvoiceLine",
    "InvoiceStatus",
    "RevenueShare",
    "TaxRate",
    "allocate",
    "decide_payment_status",
    "invoice_total",
    "revenue_of",
    "transition",
    "transition_table",
]

# Line arithmetic is exact in this context whatever the caller's: 60 digits hold any product of
# a quantity and a price Money accepts, and only Money.rounded rounds.
_EXACT = Context(prec=60)


@attrs.frozen
class TaxRate:
    """A tax rate the organisation charges, such as VAT at 20 %.

    Attributes:
        id: The tax rate's id.
        name: Its name on invoices, such as "VAT".
        percentage: The rate, a Decimal from 0 to 100, such as `Decimal("20")`.
        inclusive: True when prices already include the tax (the tax is taken out of the
            price); False when the tax is added on top.
        created_at: When it was created.
        version: Increases with each change.
    """

    id: str
    name: str
    percentage: Decimal
    inclusive: bool
    created_at: datetime
    version: int = 1


def _money_of(value: Decimal, currency: str) -> Money:
    return Money.rounded(value, currency)


@attrs.frozen
class InvoiceLine:
    """One line of an invoice: what was sold, how many, at what price, less a discount, and
    the tax on it. Net, tax and total are rounded per line to the currency's minor unit,
    half-even, so the invoice's total is exactly the sum of its lines' totals.

    Build one with `InvoiceLine.of`.

    Attributes:
        description: What the line is for.
        quantity: How many, above zero.
        unit_price: The price of one, in the invoice's currency.
        discount: A discount off the line as an amount (zero for none).
        discount_percent: A discount off the line as a percentage, or None.
        tax_name: The tax rate's name as it was when the invoice was made, or None.
        tax_percentage: Its rate, or None for an untaxed line.
        tax_inclusive: Whether the price includes the tax.
        product: The catalog key of the product the line sells, or None. A partner of record
            for that product earns commission on the line's net amount as it is paid.
    """

    description: str
    quantity: Decimal
    unit_price: Money
    discount: Money
    discount_percent: Decimal | None = None
    tax_name: str | None = None
    tax_percentage: Decimal | None = None
    tax_inclusive: bool = False
    product: str | None = None

    @classmethod
    def of(
        cls,
        description: str,
        quantity: Decimal | int | str,
        unit_price: Money,
        *,
        discount: Money | None = None,
        discount_percent: Decimal | int | str | None = None,
        tax: TaxRate | None = None,
        product: str | None = None,
    ) -> InvoiceLine:
        """A line, checked: quantity above zero, no negative price, a discount within the line.

        Args:
            description: What the line is for (1 to 200 characters).
            quantity: How many, above zero (a Decimal, an int or a decimal string).
            unit_price: The price of one, zero or more.
            discount: A discount as an amount in the price's currency, at most the line's
                amount.
            discount_percent: A discount as a percentage from 0 to 100 (instead of `discount`).
            tax: The tax rate on the line, or None.
            product: The catalog key of the product sold, or None (a fee, a service). The
                invoice is refused if the catalog has no such product.

        Returns:
            The line.

        Raises:
            InvalidInputError: A value is missing, malformed or out of range
                (`validation.invalid`).
            AmountNotPositiveError: The quantity is zero or negative
                (`billing.amount_not_positive`).
            WrongCurrencyError: The discount is in another currency than the price
                (`billing.wrong_currency`).
        """
        text = validate.text(description, "description")
        sold = None if product is None else validate.key(product, "product")
        if not isinstance(unit_price, Money):
            raise InvalidInputError(
                "The unit price must be an amount of money.",
                field="unit_price",
                hint="unit_price takes a Money, such as Money.of('12.50', 'USD')",
            )
        qty = _decimal(quantity, "quantity")
        if qty <= 0:
            raise AmountNotPositiveError(
                f"The quantity must be above zero, not {qty}.", field="quantity"
            )
        if unit_price.is_negative:
            raise InvalidInputError("A unit price cannot be negative.", field="unit_price")
        currency = unit_price.currency
        off = Money.zero(currency)
        percent: Decimal | None = None
        if discount is not None and discount_percent is not None:
            raise InvalidInputError(
                "Give the discount as an amount or as a percentage, not both.", field="discount"
            )
        if discount is not None:
            if not isinstance(discount, Money):
                raise InvalidInputError(
                    "The discount must be an amount of money.",
                    field="discount",
                    hint="discount takes a Money; discount_percent takes a percentage",
                )
            if discount.currency != currency:
                raise WrongCurrencyError(
                    f"The discount is in {discount.currency}, the price in {currency}.",
                    field="discount",
                )
            if discount.is_negative:
                raise InvalidInputError("A discount cannot be negative.", field="discount")
            off = discount
        if discount_percent is not None:
            percent = _decimal(discount_percent, "discount_percent")
            if not Decimal(0) <= percent <= Decimal(100):
                raise InvalidInputError(
                    "A discount percentage is from 0 to 100.", field="discount_percent"
                )
        if tax is not None and not isinstance(tax, TaxRate):
            raise InvalidInputError(
                "The tax must be one of the organisation's tax rates.",
                field="tax",
                hint="tax takes a TaxRate from kit.billing.tax_rates(...)",
            )
        line = cls(
            description=text,
            quantity=qty,
            unit_price=unit_price,
            discount=off,
            discount_percent=percent,
            tax_name=None if tax is None else tax.name,
            tax_percentage=None if tax is None else tax.percentage,
            tax_inclusive=False if tax is None else tax.inclusive,
            product=sold,
        )
        if line.discount_amount > line.gross:
            raise InvalidInputError(
                f"The discount {off} is more than the line's amount {line.gross}.",
                field="discount",
            )
        return line

    def with_tax(self, tax: TaxRate) -> InvoiceLine:
        """The same line taxed at `tax` (the organisation's default, for a line without one).

        Args:
            tax: The tax rate.

        Returns:
            The taxed line.

        Raises nothing.
        """
        return attrs.evolve(
            self, tax_name=tax.name, tax_percentage=tax.percentage, tax_inclusive=tax.inclusive
        )

    @property
    def currency(self) -> str:
        """The line's currency: its unit price's."""
        return self.unit_price.currency

    @property
    def gross(self) -> Money:
        """Quantity times unit price, rounded to the minor unit."""
        with localcontext(_EXACT):
            return _money_of(self.quantity * self.unit_price.amount, self.currency)

    @property
    def discount_amount(self) -> Money:
        """The discount as an amount: the percentage of the gross, rounded, or the amount."""
        if self.discount_percent is None:
            return self.discount
        with localcontext(_EXACT):
            return _money_of(self.gross.amount * self.discount_percent / 100, self.currency)

    @property
    def tax(self) -> Money:
        """The tax on the line, rounded to the minor unit; zero for an untaxed line.

        Exclusive: the rate of the discounted amount. Inclusive: the part of the discounted
        amount that is tax, amount x rate / (100 + rate).
        """
        rate = self.tax_percentage
        amount = self.gross - self.discount_amount
        if rate is None or not rate:
            return Money.zero(self.currency)
        with localcontext(_EXACT):
            if self.tax_inclusive:
                return _money_of(amount.amount * rate / (100 + rate), self.currency)
            return _money_of(amount.amount * rate / 100, self.currency)

    @property
    def net(self) -> Money:
        """The line's amount before tax, after the discount."""
        amount = self.gross - self.discount_amount
        return amount - self.tax if self.tax_inclusive else amount

    @property
    def total(self) -> Money:
        """What the line adds to the invoice: net plus tax."""
        return self.net + self.tax


@attrs.frozen
class RevenueShare:
    """The part of an amount paid on an invoice that is one product line's net revenue: what a
    partner of record for the product earns commission on (tax is not revenue)."""

    line_index: int
    product: str
    amount: Money


def revenue_of(
    invoice: Invoice, paid: Money, *, before: Money | None = None
) -> tuple[RevenueShare, ...]:
    """How `paid`, applied to `invoice` after `before` was paid on it, divides into its product
    lines' net revenue.

    An amount is split over every line's net and tax in proportion to the invoice's total,
    rounded with `apportion` so that the parts add up to the amount to the minor unit. A
    payment's shares are what the lines hold of everything paid so far, less what they held of
    what was paid before: so the payments that settle an invoice together give each line
    exactly its net amount, however they were divided. Only lines that name a product have
    shares.
    """
    total = invoice.total
    if not total.is_positive:
        return ()
    start = Money.zero(paid.currency) if before is None else before
    now = _line_parts(invoice, start + paid)
    then = _line_parts(invoice, start)
    return tuple(
        RevenueShare(i, line.product, now[i] - then[i])
        for i, line in enumerate(invoice.lines)
        if line.product is not None and (now[i] - then[i]).is_positive
    )


def _line_parts(invoice: Invoice, paid: Money) -> list[Money]:
    """Each line's net part of `paid` on the invoice, the parts and taxes adding up to it."""
    if not paid.is_positive:
        return [Money.zero(paid.currency)] * len(invoice.lines)
    with localcontext(_EXACT):
        ratio = paid.amount / invoice.total.amount
        exact: list[Decimal] = []
        for line in invoice.lines:
            exact += [line.net.amount * ratio, line.tax.amount * ratio]
    parts = apportion(paid, exact)
    return [parts[2 * i] for i in range(len(invoice.lines))]


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidInputError(
            f"The {field.replace('_', ' ')} must be a number.",
            field=field,
            hint=f"{field} takes a Decimal, an int or a decimal string",
        )
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise InvalidInputError(f"{str(value)[:40]!r} is not a number.", field=field) from None
    if not number.is_finite() or abs(number.adjusted()) > 18:
        raise InvalidInputError(
            f"The {field.replace('_', ' ')} is not a usable number.", field=field
        )
    return number


def invoice_total(lines: Sequence[InvoiceLine]) -> Money:
    """The invoice's total: exactly the sum of its lines' totals (each rounded once, per line)."""
    return sum((line.total for line in lines[1:]), lines[0].total)


# --- statuses ---------------------------------------------------------------------------------


class InvoiceStatus(enum.StrEnum):
    """Where an invoice stands (003 seed: Paid; Chargebee's and Zoho's usual statuses)."""

    #: Being prepared: not yet sent, not payable, not on the statement.
    DRAFT = "draft"
    #: Issued to the customer and waiting for payment.
    SENT = "sent"
    #: Some of it is paid.
    PARTIALLY_PAID = "partially_paid"
    #: Paid in full (by payments and credits).
    PAID = "paid"
    #: Past its due date with a balance left (`run_due` marks it).
    OVERDUE = "overdue"
    #: Cancelled: owes nothing, kept for its number.
    VOID = "void"


#: The statuses with a balance the customer still owes.
OUTSTANDING: frozenset[InvoiceStatus] = frozenset(
    {InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE}
)


class InvoiceAction(enum.StrEnum):
    """What can happen to an invoice."""

    ISSUE = "issue"
    #: A payment or a credit that leaves a balance.
    PAY_PART = "pay_part"
    #: A payment or a credit that settles the balance.
    PAY_IN_FULL = "pay_in_full"
    MARK_OVERDUE = "mark_overdue"
    VOID = "void"


_S, _A = InvoiceStatus, InvoiceAction

#: Every allowed move, and only those: (status, action) -> the status after it. An overdue
#: invoice stays overdue until it is paid in full (a part payment does not make it current).
TRANSITIONS: Mapping[tuple[InvoiceStatus, InvoiceAction], InvoiceStatus] = {
    (_S.DRAFT, _A.ISSUE): _S.SENT,
    (_S.DRAFT, _A.VOID): _S.VOID,
    (_S.SENT, _A.PAY_PART): _S.PARTIALLY_PAID,
    (_S.SENT, _A.PAY_IN_FULL): _S.PAID,
    (_S.SENT, _A.MARK_OVERDUE): _S.OVERDUE,
    (_S.SENT, _A.VOID): _S.VOID,
    (_S.PARTIALLY_PAID, _A.PAY_PART): _S.PARTIALLY_PAID,
    (_S.PARTIALLY_PAID, _A.PAY_IN_FULL): _S.PAID,
    (_S.PARTIALLY_PAID, _A.MARK_OVERDUE): _S.OVERDUE,
    (_S.OVERDUE, _A.PAY_PART): _S.OVERDUE,
    (_S.OVERDUE, _A.PAY_IN_FULL): _S.PAID,
    (_S.OVERDUE, _A.VOID): _S.VOID,
}

_ACTION_WORDS = {
    _A.ISSUE: "issued",
    _A.PAY_PART: "paid",
    _A.PAY_IN_FULL: "paid",
    _A.MARK_OVERDUE: "marked overdue",
    _A.VOID: "voided",
}

_STATUS_WORDS = {
    _S.DRAFT: "a draft",
    _S.SENT: "sent",
    _S.PARTIALLY_PAID: "partially paid",
    _S.PAID: "paid",
    _S.OVERDUE: "overdue",
    _S.VOID: "void",
}


def transition(status: InvoiceStatus, action: InvoiceAction, *, number: str = "") -> InvoiceStatus:
    """The status after `action`, by `TRANSITIONS`; any other move is refused.

    Args:
        status: The invoice's status now.
        action: What is to happen.
        number: The invoice's number, for the message.

    Returns:
        The new status.

    Raises:
        InvalidInvoiceTransitionError: The table has no such move (`billing.invalid_transition`),
            with the status and the action in its details.
    """
    found = TRANSITIONS.get((status, action))
    if found is None:
        which = f"invoice {number}" if number else "the invoice"
        remedy = None
        if status is InvoiceStatus.DRAFT:
            remedy = "Issue the invoice first."
        elif status is InvoiceStatus.PAID:
            remedy = "Nothing is left to pay; any extra money stays with the customer as credit."
        raise InvalidInvoiceTransitionError(
            f"{which} is {_STATUS_WORDS[status]} and cannot be {_ACTION_WORDS[action]}",
            details={"status": status.value, "action": action.value, "number": number},
            remedy=remedy,
        )
    return found


def transition_table() -> list[tuple[str, str, str]]:
    """The status table as rows (status, action, result), every pair of the two enums, with
    "refused" where the table has no move: what the docs print."""
    rows = []
    for status in InvoiceStatus:
        for action in InvoiceAction:
            after = TRANSITIONS.get((status, action))
            rows.append((status.value, action.value, "refused" if after is None else after.value))
    return rows


def decide_payment_status(
    status: InvoiceStatus, total: Money, settled: Money, *, number: str = ""
) -> InvoiceStatus:
    """The status after money was applied to an invoice: paid when `settled` (payments and
    credits together) covers `total`, else what a part payment leaves.

    Args:
        status: The invoice's status before.
        total: The invoice's total.
        settled: Payments and credits applied to it, this one included.
        number: The invoice's number, for the message.

    Returns:
        The status after.

    Raises:
        InvalidInvoiceTransitionError: The invoice cannot take money in its status
            (`billing.invalid_transition`).
    """
    action = InvoiceAction.PAY_IN_FULL if settled >= total else InvoiceAction.PAY_PART
    return transition(status, action, number=number)


# --- the invoice ------------------------------------------------------------------------------


@attrs.frozen
class Invoice:
    """An invoice to a customer: numbered per customer without gaps, in one currency.

    The total is exactly the sum of the lines' totals; the balance due is the total less what
    payments and credits paid of it.

    Attributes:
        id: The invoice's id.
        customer_id: The customer billed.
        number: Its number as the customer reads it, such as "INV-000042".
        sequence: The same number as an integer, gap-free per customer.
        issue_date: The day it is dated.
        due_date: The day it is due; `run_due` marks it overdue after that day.
        lines: What it charges for.
        status: Where it stands.
        total: The sum of the lines' totals.
        amount_paid: What payments paid of it.
        credits_applied: What credit notes and earlier overpayments paid of it.
        balance_due: What is left to pay: total - amount_paid - credits_applied.
        created_at: When it was created.
        created_by: Who created it (the principal's label).
        issued_at: When it was issued (sent), or None for a draft.
        paid_at: When it was paid in full, or None.
        voided_at: When it was voided, or None.
        subscription_id: The subscription it bills, if any.
        sales_order_id: The sales order it bills, if any.
        version: Increases with each change.
        refunded: What was paid back of what was paid on it (`BillingService.refund_invoice`):
            each refund came with a credit note against the invoice, so the balance stays
            settled and the invoice keeps its status.
    """

    id: str
    customer_id: str
    number: str
    sequence: int
    issue_date: date
    due_date: date
    lines: tuple[InvoiceLine, ...]
    status: InvoiceStatus
    total: Money
    amount_paid: Money
    credits_applied: Money
    balance_due: Money
    created_at: datetime
    created_by: str
    issued_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    subscription_id: str | None = None
    sales_order_id: str | None = None
    version: int = 1
    refunded: Money = attrs.field(
        default=attrs.Factory(lambda self: Money.zero(self.total.currency), takes_self=True)
    )

    @property
    def currency(self) -> str:
        """The invoice's currency."""
        return self.total.currency

    @property
    def subtotal(self) -> Money:
        """The sum of the lines' net amounts (before tax)."""
        return sum((line.net for line in self.lines), Money.zero(self.currency))

    @property
    def tax_total(self) -> Money:
        """The sum of the lines' taxes."""
        return sum((line.tax for line in self.lines), Money.zero(self.currency))

    @property
    def is_outstanding(self) -> bool:
        """Whether the customer still owes on it (sent, partially paid or overdue)."""
        return self.status in OUTSTANDING

    def settle(self, *, paid: Money, credited: Money, at: datetime) -> Invoice:
        """The invoice after `paid` (payments) and `credited` (credits) more were applied.

        Args:
            paid: More paid by payments (zero for none).
            credited: More paid by credits (zero for none).
            at: When, for `paid_at` when it is paid in full.

        Returns:
            The invoice with its new amounts, balance and status.

        Raises:
            InvalidInvoiceTransitionError: It cannot take money in its status
                (`billing.invalid_transition`).
        """
        amount_paid = self.amount_paid + paid
        credits = self.credits_applied + credited
        settled = amount_paid + credits
        status = decide_payment_status(self.status, self.total, settled, number=self.number)
        return attrs.evolve(
            self,
            amount_paid=amount_paid,
            credits_applied=credits,
            balance_due=self.total - settled,
            status=status,
            paid_at=at if status is InvoiceStatus.PAID else None,
        )


# --- allocation -------------------------------------------------------------------------------


@attrs.frozen
class Allocation:
    """How an amount is spread over invoices: each part to one invoice, the rest is excess.

    Attributes:
        parts: (invoice id, amount) in the order they were paid: oldest due date first.
        excess: What no invoice needed: it becomes the customer's credit.
    """

    parts: tuple[tuple[str, Money], ...]
    excess: Money

    @property
    def applied(self) -> Money:
        """The amount that went to invoices."""
        return sum((m for _, m in self.parts), self.excess - self.excess)


def allocate(amount: Money, invoices: Iterable[Invoice]) -> Allocation:
    """Spread `amount` over `invoices`: oldest due date first (then by number), each at most its
    balance due; what is left is excess. The parts and the excess add up to `amount` exactly.

    Invoices that owe nothing (drafts, paid, void) get nothing.

    Args:
        amount: The money to spread, zero or more.
        invoices: The candidates, in any order.

    Returns:
        The parts and the excess.

    Raises:
        WrongCurrencyError: An invoice is in another currency than `amount`
            (`billing.wrong_currency`).
        InvalidInputError: `amount` is negative (`validation.invalid`).
    """
    if amount.is_negative:
        raise InvalidInputError("Only a positive amount can be allocated.", field="amount")
    ordered = sorted(invoices, key=lambda i: (i.due_date, i.sequence, i.id))
    left = amount
    parts: list[tuple[str, Money]] = []
    for invoice in ordered:
        if invoice.currency != amount.currency:
            raise WrongCurrencyError(
                f"Invoice {invoice.number} is in {invoice.currency}, the amount in "
                f"{amount.currency}.",
                field="amount",
                details={"invoice": invoice.number},
            )
        if not left.is_positive:
            break
        if not invoice.is_outstanding or not invoice.balance_due.is_positive:
            continue
        part = min(left, invoice.balance_due)
        parts.append((invoice.id, part))
        left = left - part
    return Allocation(tuple(parts), left)

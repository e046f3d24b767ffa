"""`kit.billing`: tax rates, invoices, offline payments, credit notes, credits applied, refunds,
the overdue job, the dashboard's figures, lists, statements and receipts.

Every write for a customer first locks the customer's billing account: documents are numbered
without gaps, and the caps (no invoice paid beyond its total, no credit or refund beyond what
is left) are checked by one writer at a time, on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.access.guard import NotFound
from partnerkit.billing.charging import ChargingPolicy
from partnerkit.billing.checkout import Checkout, RecurringProfileCheck
from partnerkit.billing.credits import CreditNote, Refund, RefundMethod, refund_parts
from partnerkit.billing.documents import (
    EntryKind,
    Receipt,
    ReceiptLine,
    StatementEntry,
    StatementHeader,
)
from partnerkit.billing.errors import (
    AmountNotPositiveError,
    CreditExceedsBalanceError,
    CreditNoteNotFoundError,
    CurrencyRequiredError,
    IdempotencyConflictError,
    InvoiceHasPaymentsError,
    InvoiceNotFoundError,
    NoCreditAvailableError,
    PaymentNotFoundError,
    RefundExceedsAvailableError,
    TaxRateNotFoundError,
    WrongCurrencyError,
    not_found,
)
from partnerkit.billing.events import (
    AppliedAmount,
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceVoided,
    PaymentRecorded,
    PaymentRefunded,
    ReturnedRevenue,
)
from partnerkit.billing.gateway import PaymentGateway
from partnerkit.billing.invoices import (
    Allocation,
    Invoice,
    InvoiceAction,
    InvoiceLine,
    InvoiceStatus,
    TaxRate,
    allocate,
    invoice_total,
    revenue_of,
    transition,
)
from partnerkit.billing.ledger import BillingAccount, LedgerEntry, document_number
from partnerkit.billing.methods import PaymentMethod
from partnerkit.billing.payments import (
    OFFLINE_METHODS,
    Application,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    SourceKind,
)
from partnerkit.billing.policy import BillingPolicy
from partnerkit.billing.ports import BillingStore, InvoiceQuery, PaymentQuery
from partnerkit.billing.queries import Dashboard, LastPayment, OutstandingTotal
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.clock import ensure_aware_utc, start_of_local_day
from partnerkit.customers.accounts import customer_zone
from partnerkit.errors import FloatAmountError, InvalidInputError, PartnerkitError
from partnerkit.money import Money
from partnerkit.runtime import Runtime

__all__ = ["STATEMENT_BATCH", "BillingService"]

#: Entries a statement reads per batch: its memory is this many entries, however long it is.
STATEMENT_BATCH = 1000

_SORTS = ("date", "amount")


def _amount(value: object, field: str = "amount") -> Money:
    if isinstance(value, float):
        raise FloatAmountError(field=field, details={"value": repr(value)})
    if not isinstance(value, Money):
        raise InvalidInputError(
            "The amount must be an amount of money.",
            field=field,
            hint=f"{field} takes a Money, such as Money.of('12.50', 'USD')",
        )
    if not value.is_positive:
        raise AmountNotPositiveError(
            f"The amount must be above zero, not {value}.",
            field=field,
            details={"value": str(value)},
        )
    return value


def _instant(value: object, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError(
            f"The {field.replace('_', ' ')} must be a date and time.",
            field=field,
            hint=f"{field} takes an aware datetime",
        )
    return ensure_aware_utc(value, field)


def _day(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInputError(
            f"The {field.replace('_', ' ')} must be a calendar day.",
            field=field,
            hint=f"{field} takes a datetime.date",
        )
    return value


def _optional_ref(value: object, field: str) -> str | None:
    if value is None:
        return None
    return validate.text(value, field, max_length=100)


def _check_lines(lines: object) -> None:
    """An invoice's lines: one to 500 `InvoiceLine`s, all in one currency."""
    if isinstance(lines, str | bytes) or not isinstance(lines, Sequence) or not lines:
        raise InvalidInputError("An invoice has at least one line.", field="lines")
    if len(lines) > 500:
        raise InvalidInputError("An invoice has at most 500 lines.", field="lines")
    first = lines[0]
    for i, line in enumerate(lines):
        if not isinstance(line, InvoiceLine):
            raise InvalidInputError(
                "Each line must be an invoice line.",
                field=f"lines[{i}]",
                hint="build lines with InvoiceLine.of(description, quantity, unit_price)",
            )
        if line.currency != first.currency:
            raise WrongCurrencyError(
                f"Line {i + 1} is in {line.currency}, the first line in "
                f"{first.currency}: an invoice is in one currency.",
                field=f"lines[{i}]",
            )


def _window(limit: object, offset: object) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
        raise InvalidInputError("A page holds 1 to 500 items.", field="limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInputError("The offset is a whole number of 0 or more.", field="offset")
    return limit, offset


def _sort(value: object) -> str:
    if value not in _SORTS:
        raise InvalidInputError("Sort by 'date' or 'amount'.", field="sort")
    assert isinstance(value, str)
    return value


class _Owned(Protocol):
    @property
    def customer_id(self) -> str: ...


D = TypeVar("D", bound=_Owned)


class BillingService:
    """`kit.billing`: invoices, taxes, payments recorded offline, credits, refunds, statements.

    Staff (and the system) issue invoices and credit notes, record offline payments and
    refunds; a customer's users read their own organisation's invoices, payments, credits,
    statements and receipts, and apply its credits to its invoices. Another organisation's
    invoice answers exactly like a missing one.
    """

    def __init__(
        self,
        runtime: Runtime[BillingStore],
        policy: BillingPolicy,
        *,
        payment_gateway: PaymentGateway | None = None,
        charging: ChargingPolicy | None = None,
        time_zone: str = "UTC",
    ) -> None:
        self._rt = runtime
        self._policy = policy
        #: The organisation's calendar: a statement's days for an account without its own.
        self._time_zone = time_zone
        self._checkout = Checkout(
            self, payment_gateway, charging if charging is not None else ChargingPolicy()
        )

    # --- helpers ------------------------------------------------------------------------------

    def _customer(
        self,
        uow: BillingStore,
        actor: object,
        customer_id: object,
        *,
        managed: bool = False,
        change: bool = False,
    ) -> str:
        """The id of an account the actor may see the money of; missing otherwise. With
        `managed`, also for the reseller that manages the customer (saved payment methods)."""
        cid = customer_id if isinstance(customer_id, str) else ""

        def missing() -> PartnerkitError:
            return self._rt.guard.account_not_found(
                cid if isinstance(customer_id, str) else repr(customer_id)
            )

        self._rt.guard.require_own_account(
            actor, cid, missing, managed=uow if managed else None, change=change
        )
        if cid not in uow.customers.names([cid]):
            raise missing()
        return cid

    @staticmethod
    def _invoice_missing(invoice_id: object) -> NotFound:
        return not_found(InvoiceNotFoundError, "invoice", "invoice_id", invoice_id)

    def _invoice(
        self, uow: BillingStore, actor: object, invoice_id: object, *, for_update: bool = False
    ) -> Invoice:
        return self._owned(
            actor,
            invoice_id,
            self._invoice_missing(invoice_id),
            lambda ref: uow.invoices.get(ref, for_update=for_update),
        )

    @staticmethod
    def _payment_missing(payment_id: object) -> NotFound:
        return not_found(PaymentNotFoundError, "payment", "payment_id", payment_id)

    def _payment(
        self, uow: BillingStore, actor: object, payment_id: object, *, for_update: bool = False
    ) -> Payment:
        return self._owned(
            actor,
            payment_id,
            self._payment_missing(payment_id),
            lambda ref: uow.payments.get(ref, for_update=for_update),
        )

    def _owned(
        self,
        actor: object,
        ref: object,
        missing: NotFound,
        get: Callable[[str], D | None],
        *,
        managed: BillingStore | None = None,
    ) -> D:
        """The customer's document `ref` names, for its own users, staff and the system (and,
        with `managed`, the reseller that manages the customer, changing it): a malformed id,
        a missing one and another customer's answer alike."""
        if not validate.is_ref(ref):
            raise missing()
        assert isinstance(ref, str)
        found = get(ref)
        if found is None:
            raise missing()
        self._rt.guard.require_own_account(
            actor, found.customer_id, missing, managed=managed, change=True
        )
        return found

    def _number(self, uow: BillingStore, account: BillingAccount, kind: EntryKind) -> str:
        """The next number of `kind` on the locked account (saved with it)."""
        field = {
            EntryKind.INVOICE: "invoices",
            EntryKind.PAYMENT: "payments",
            EntryKind.CREDIT_NOTE: "credit_notes",
            EntryKind.REFUND: "refunds",
        }[kind]
        sequence = getattr(account, field) + 1
        uow.billing_accounts.save(attrs.evolve(account, **{field: sequence}))
        return document_number(kind, sequence)

    def _ledger(
        self,
        uow: BillingStore,
        *,
        customer_id: str,
        at: datetime,
        kind: EntryKind,
        document_id: str,
        reference: str,
        description: str,
        amount: Money,
        detail: str | None = None,
    ) -> None:
        """Book a document on the customer's account. `description` is only what a person
        wrote (a reason, a reference); the words around it come from `detail` when a statement
        is rendered, in the reader's language."""
        uow.ledger.add(
            LedgerEntry(
                id=self._rt.new_sequential_id("led"),
                customer_id=customer_id,
                at=at,
                kind=kind,
                document_id=document_id,
                reference=reference,
                description=description[:500],
                amount=amount,
                detail=detail,
            )
        )

    def _apply(
        self,
        uow: BillingStore,
        invoice: Invoice,
        amount: Money,
        *,
        source: SourceKind,
        source_id: str,
        paid: bool,
        now: datetime,
    ) -> Invoice:
        """Apply `amount` (at most the balance) of a payment or a credit to the invoice."""
        settled = invoice.settle(
            paid=amount if paid else Money.zero(amount.currency),
            credited=Money.zero(amount.currency) if paid else amount,
            at=now,
        )
        updated = uow.invoices.update(settled)
        uow.applications.add(
            Application(
                id=self._rt.new_sequential_id("app"),
                customer_id=invoice.customer_id,
                invoice_id=invoice.id,
                source=source,
                source_id=source_id,
                amount=amount,
                applied_at=now,
            )
        )
        if updated.status is InvoiceStatus.PAID:
            self._rt.publish(
                uow,
                InvoicePaid(updated.id, updated.customer_id, updated.number, updated.total, now),
            )
        return updated

    def add_recurring_profile_check(self, check: RecurringProfileCheck) -> None:
        """Tell billing how to know whether an invoice's recurring profile still exists.

        An online payment of an invoice that bills a subscription (`Invoice.subscription_id`)
        whose profile is gone is refused with CP1004 before the gateway is called (003 seed:
        "Your customer's customer portal might be associated with a deleted recurring
        profile"). partnerkit's own subscriptions are never deleted (a cancelled one's invoices
        stay payable), so this is for a host whose recurring profiles live elsewhere and can
        be: it registers how to tell. With none, nothing is checked.

        Args:
            check: `(uow, subscription_id) -> bool`, True while the profile exists; it reads
                in the payment's unit of work.

        Raises nothing.
        """
        self._checkout.profile_checks.append(check)

    # --- tax rates ----------------------------------------------------------------------------

    def create_tax_rate(
        self,
        name: str,
        percentage: Decimal | int | str,
        *,
        inclusive: bool = False,
        default: bool = False,
        actor: Principal,
    ) -> TaxRate:
        """Create a tax rate the organisation charges, such as VAT at 20 %.

        Args:
            name: Its name on invoices (1 to 100 characters), unique.
            percentage: The rate, from 0 to 100 (a Decimal, an int or a decimal string).
            inclusive: True when prices include the tax; False when it is added on top.
            default: Make it the organisation's default tax, which invoice lines without a tax
                of their own get.
            actor: Who acts: staff or the system.

        Returns:
            The tax rate.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            TaxRateTakenError: A tax rate has that name (`billing.tax_rate_taken`).
            InvalidInputError: The name is empty or too long, or the percentage is not a number
                from 0 to 100 (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        text = validate.text(name, "name", max_length=100)
        if isinstance(percentage, float):
            raise FloatAmountError(field="percentage", details={"value": repr(percentage)})
        if isinstance(percentage, bool) or not isinstance(percentage, Decimal | int | str):
            raise InvalidInputError("The percentage must be a number.", field="percentage")
        try:
            rate = Decimal(percentage)
        except ArithmeticError:
            raise InvalidInputError(
                "The percentage must be a number.", field="percentage"
            ) from None
        if (
            not rate.is_finite()
            or not Decimal(0) <= rate <= Decimal(100)
            or rate.quantize(Decimal("0.000001")) != rate
        ):
            raise InvalidInputError(
                "A tax percentage is from 0 to 100, with at most 6 decimals.", field="percentage"
            )
        inclusive = validate.flag(inclusive, "inclusive")
        default = validate.flag(default, "default")
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "create a tax rate")
            tax = TaxRate(
                id=self._rt.new_id("tax"),
                name=text,
                percentage=rate,
                inclusive=inclusive,
                created_at=self._rt.now(),
            )
            uow.tax_rates.add(tax)
            if default:
                uow.tax_rates.set_default(tax.id)
        return tax

    def tax_rates(self, *, actor: Principal) -> list[TaxRate]:
        """Every tax rate of the organisation.

        Args:
            actor: Who asks: staff or the system.

        Returns:
            The tax rates, ordered by name.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "list the tax rates")
            return uow.tax_rates.all()

    def set_default_tax(self, tax_rate_id: str | None, *, actor: Principal) -> TaxRate | None:
        """Make a tax rate the organisation's default (None: no default tax).

        Args:
            tax_rate_id: The tax rate's id, or None.
            actor: Who acts: staff or the system.

        Returns:
            The default tax rate now, or None.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            TaxRateNotFoundError: No tax rate has that id (`billing.tax_rate_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "set the default tax")
            if tax_rate_id is None:
                uow.tax_rates.set_default(None)
                return None
            found = uow.tax_rates.get(tax_rate_id) if validate.is_ref(tax_rate_id) else None
            if found is None:
                raise TaxRateNotFoundError(
                    f"no tax rate {str(tax_rate_id)[:100]!r}", details={"field": "tax_rate_id"}
                )
            uow.tax_rates.set_default(found.id)
            return found

    def default_tax(self, *, actor: Principal) -> TaxRate | None:
        """The organisation's default tax rate.

        Args:
            actor: Who asks: staff or the system.

        Returns:
            The default tax rate, or None when none is set (charging through the customer
            portal then fails with CP2001).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "read the default tax")
            return uow.tax_rates.default()

    # --- invoices -----------------------------------------------------------------------------

    def create_invoice(
        self,
        customer_id: str,
        lines: Sequence[InvoiceLine],
        *,
        issue_date: date | None = None,
        due_date: date | None = None,
        subscription_id: str | None = None,
        sales_order_id: str | None = None,
        issue: bool = False,
        actor: Principal,
    ) -> Invoice:
        """Create an invoice for a customer, numbered next in its series (INV-000001, ...).

        Lines without a tax of their own get the organisation's default tax, when one is set.
        The invoice's total is exactly the sum of its lines' totals, each rounded once.

        Args:
            customer_id: The customer billed.
            lines: One or more lines (`InvoiceLine.of(...)`), all in one currency.
            issue_date: The day it is dated; today when None.
            due_date: The day it is due, on or after the issue date; the issue date plus the
                policy's payment terms when None.
            subscription_id: The subscription it bills, if any.
            sales_order_id: The sales order it bills, if any.
            issue: Issue it at once (sent) instead of keeping it a draft.
            actor: Who acts: staff or the system.

        Returns:
            The invoice, a draft or sent.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CustomerNotFoundError: No such customer (`customer.not_found`).
            WrongCurrencyError: The lines are in more than one currency (`billing.wrong_currency`).
            InvalidInputError: No lines, more than 500, a line that is not an `InvoiceLine`, or
                a due date before the issue date (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        _check_lines(lines)
        sub = _optional_ref(subscription_id, "subscription_id")
        order = _optional_ref(sales_order_id, "sales_order_id")
        issue = validate.flag(issue, "issue")
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "create an invoice")
            cid = self._customer(uow, actor, customer_id)
            now = self._rt.now()
            day = now.date() if issue_date is None else _day(issue_date, "issue_date")
            due = (
                day + timedelta(days=self._policy.payment_terms_days)
                if due_date is None
                else _day(due_date, "due_date")
            )
            if due < day:
                raise InvalidInputError(
                    "The due date cannot be before the issue date.", field="due_date"
                )
            for i, line in enumerate(lines):
                if line.product is not None and uow.products.get(line.product) is None:
                    raise ProductNotFoundError(
                        f"Line {i + 1} sells {line.product!r}, which is not in the catalog.",
                        details={"field": f"lines[{i}].product", "key": line.product},
                    )
            return self._create(
                uow,
                cid,
                lines,
                day=day,
                due=due,
                subscription_id=sub,
                sales_order_id=order,
                issue=issue,
                by=principal.label,
                default_tax=uow.tax_rates.default(),
                now=now,
            )

    def _invoice_in(
        self,
        uow: BillingStore,
        customer_id: str,
        lines: Sequence[InvoiceLine],
        *,
        subscription_id: str,
        default_tax: TaxRate | None,
        actor: Principal,
    ) -> Invoice:
        """`create_invoice(..., subscription_id=..., issue=True)` inside the caller's open unit
        of work (subscriptions bill through it), without the reads that unit of work has proven
        already: the customer is a subscription's (its row is the subscription's foreign key),
        the lines sell the plan's and addons' products (the catalog's foreign keys), and
        `default_tax` is the default tax it read. The same invoice, numbered on the customer's
        locked account and sent, with the same ledger entry and event; no savepoint, since
        nothing catches a failure here: it rolls the caller's whole unit of work back.
        """
        _check_lines(lines)
        principal = self._rt.guard.require_staff(actor, "create an invoice")
        now = self._rt.now()
        day = now.date()
        return self._create(
            uow,
            customer_id,
            lines,
            day=day,
            due=day + timedelta(days=self._policy.payment_terms_days),
            subscription_id=subscription_id,
            sales_order_id=None,
            issue=True,
            by=principal.label,
            default_tax=default_tax,
            now=now,
        )

    def _create(
        self,
        uow: BillingStore,
        cid: str,
        lines: Sequence[InvoiceLine],
        *,
        day: date,
        due: date,
        subscription_id: str | None,
        sales_order_id: str | None,
        issue: bool,
        by: str,
        default_tax: TaxRate | None,
        now: datetime,
    ) -> Invoice:
        """Number the invoice on the customer's locked account and store it, sent with its
        ledger entry and event when `issue` (stored so at once: one write, not two)."""
        taxed = tuple(
            line.with_tax(default_tax)
            if default_tax is not None and line.tax_percentage is None
            else line
            for line in lines
        )
        account = uow.billing_accounts.lock(cid)
        number = self._number(uow, account, EntryKind.INVOICE)
        total = invoice_total(taxed)
        zero = Money.zero(total.currency)
        status = self._sent(InvoiceStatus.DRAFT, total, number) if issue else InvoiceStatus.DRAFT
        invoice = Invoice(
            id=self._rt.new_id("inv"),
            customer_id=cid,
            number=number,
            sequence=account.invoices + 1,
            issue_date=day,
            due_date=due,
            lines=taxed,
            status=status,
            total=total,
            amount_paid=zero,
            credits_applied=zero,
            balance_due=total,
            created_at=now,
            created_by=by,
            issued_at=now if issue else None,
            paid_at=now if status is InvoiceStatus.PAID else None,
            subscription_id=subscription_id,
            sales_order_id=sales_order_id,
        )
        uow.invoices.add(invoice)
        if issue:
            self._book(uow, invoice, now)
        return invoice

    @staticmethod
    def _sent(status: InvoiceStatus, total: Money, number: str) -> InvoiceStatus:
        """The status of a draft once sent: paid at once when its total is zero."""
        sent = transition(status, InvoiceAction.ISSUE, number=number)
        if not total.is_positive:
            # Nothing to pay: a zero invoice is settled the moment it is sent.
            sent = transition(sent, InvoiceAction.PAY_IN_FULL, number=number)
        return sent

    def _issue(self, uow: BillingStore, invoice: Invoice, now: datetime) -> Invoice:
        status = self._sent(invoice.status, invoice.total, invoice.number)
        issued = uow.invoices.update(
            attrs.evolve(
                invoice,
                status=status,
                issued_at=now,
                paid_at=now if status is InvoiceStatus.PAID else None,
            )
        )
        self._book(uow, issued, now)
        return issued

    def _book(self, uow: BillingStore, issued: Invoice, now: datetime) -> None:
        """An issued invoice's ledger entry and event."""
        self._ledger(
            uow,
            customer_id=issued.customer_id,
            # The statement dates an invoice by its issue date (a back-dated invoice belongs
            # to that day's period), and by the instant it was sent when that is today.
            at=now
            if issued.issue_date == now.date()
            else start_of_local_day(issued.issue_date, UTC),
            kind=EntryKind.INVOICE,
            document_id=issued.id,
            reference=issued.number,
            description="",
            detail=issued.due_date.isoformat(),
            amount=issued.total,
        )
        self._rt.publish(
            uow,
            InvoiceIssued(
                issued.id,
                issued.customer_id,
                issued.number,
                issued.total,
                issued.due_date,
                issued.subscription_id,
                issued.sales_order_id,
            ),
        )

    def issue_invoice(self, invoice_id: str, *, actor: Principal) -> Invoice:
        """Issue (send) a draft invoice: it becomes payable and enters the customer's statement.

        Args:
            invoice_id: The invoice.
            actor: Who acts: staff or the system.

        Returns:
            The invoice, sent (or paid, when its total is zero).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvoiceNotFoundError: No such invoice (`billing.invoice_not_found`).
            InvalidInvoiceTransitionError: The invoice is not a draft
                (`billing.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "issue an invoice")
            invoice = self._invoice(uow, actor, invoice_id)
            uow.billing_accounts.lock(invoice.customer_id)
            invoice = self._invoice(uow, actor, invoice_id, for_update=True)
            return self._issue(uow, invoice, self._rt.now())

    def void_invoice(self, invoice_id: str, *, actor: Principal) -> Invoice:
        """Void an invoice nothing was paid or credited on: it owes nothing and leaves the
        statement; its number stays used.

        Args:
            invoice_id: The invoice.
            actor: Who acts: staff or the system.

        Returns:
            The invoice, void.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvoiceNotFoundError: No such invoice (`billing.invoice_not_found`).
            InvoiceHasPaymentsError: Payments or credits were applied to it
                (`billing.invoice_has_payments`).
            InvalidInvoiceTransitionError: It is paid or void already
                (`billing.invalid_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "void an invoice")
            invoice = self._invoice(uow, actor, invoice_id)
            uow.billing_accounts.lock(invoice.customer_id)
            invoice = self._invoice(uow, actor, invoice_id, for_update=True)
            if (invoice.amount_paid + invoice.credits_applied).is_positive:
                raise InvoiceHasPaymentsError(
                    f"invoice {invoice.number} has payments or credits applied",
                    details={"number": invoice.number, "status": invoice.status.value},
                )
            status = transition(invoice.status, InvoiceAction.VOID, number=invoice.number)
            now = self._rt.now()
            voided = uow.invoices.update(
                attrs.evolve(
                    invoice,
                    status=status,
                    voided_at=now,
                    balance_due=Money.zero(invoice.currency),
                )
            )
            uow.ledger.remove(invoice.id)
            self._rt.publish(
                uow,
                InvoiceVoided(voided.id, voided.customer_id, voided.number, voided.sales_order_id),
            )
            return voided

    def get_invoice(self, invoice_id: str, *, actor: Principal) -> Invoice:
        """The invoice.

        Args:
            invoice_id: The invoice.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The invoice.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            InvoiceNotFoundError: No such invoice, or another organisation's
                (`billing.invoice_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            return self._invoice(uow, actor, invoice_id)

    def invoices(
        self,
        customer_id: str,
        *,
        status: InvoiceStatus | None = None,
        outstanding: bool = False,
        issued_from: date | None = None,
        issued_to: date | None = None,
        sort: str = "date",
        descending: bool = True,
        limit: int = 50,
        offset: int = 0,
        actor: Principal,
    ) -> list[Invoice]:
        """One page of the customer's invoices (the portal's Invoices list and its filters).

        Args:
            customer_id: The customer.
            status: Only invoices in this status.
            outstanding: Only invoices with a balance (the Outstanding Invoices filter).
            issued_from: Only invoices dated on or after this day.
            issued_to: Only invoices dated on or before this day.
            sort: "date" (issue date) or "amount" (total).
            descending: Newest or largest first.
            limit: At most this many (1 to 500).
            offset: Skip this many first.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The invoices.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            InvalidInputError: A filter, the sort or the window is not valid
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        if status is not None and not isinstance(status, InvoiceStatus):
            try:
                status = InvoiceStatus(status)
            except ValueError:
                raise InvalidInputError("No such invoice status.", field="status") from None
        query = InvoiceQuery(
            status=status,
            outstanding=validate.flag(outstanding, "outstanding"),
            issued_from=None if issued_from is None else _day(issued_from, "issued_from"),
            issued_to=None if issued_to is None else _day(issued_to, "issued_to"),
            sort=_sort(sort),
            descending=validate.flag(descending, "descending"),
            limit=_window(limit, offset)[0],
            offset=offset,
        )
        with self._rt.uow(readonly=True) as uow:
            cid = self._customer(uow, actor, customer_id)
            return uow.invoices.page(cid, query)

    # --- payments -----------------------------------------------------------------------------

    def record_payment(
        self,
        customer_id: str,
        amount: Money,
        *,
        method: PaymentMethodKind,
        received_at: datetime | None = None,
        reference: str | None = None,
        invoice_ids: Sequence[str] | None = None,
        idempotency_key: str | None = None,
        actor: Principal,
    ) -> Payment:
        """Record money received outside the gateway: cash, a cheque or a bank transfer.

        The money pays the named invoices, or else the customer's outstanding invoices in its
        currency, oldest due date first, each at most its balance; what is left over becomes
        the customer's available credit. Paid invoices turn Paid and the organisation is told.

        Args:
            customer_id: Who paid.
            amount: How much, above zero.
            method: Cash, cheque or bank transfer.
            received_at: When it was received; now when None. Not in the future.
            reference: The cheque number or the bank's reference.
            invoice_ids: The invoices it pays, in any order (they are paid oldest due first);
                None for every outstanding invoice in its currency.
            idempotency_key: Your key for this request: the same key with the same request
                returns the first payment and records nothing more.
            actor: Who acts: staff or the system.

        Returns:
            The payment, with what is left of it as credit (`unapplied`).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CustomerNotFoundError: No such customer (`customer.not_found`).
            InvoiceNotFoundError: A named invoice does not exist or is another customer's
                (`billing.invoice_not_found`).
            AmountNotPositiveError: The amount is zero or negative (`billing.amount_not_positive`).
            WrongCurrencyError: A named invoice is in another currency (`billing.wrong_currency`).
            InvalidInvoiceTransitionError: A named invoice is a draft, paid or void
                (`billing.invalid_transition`).
            IdempotencyConflictError: The key was used for a different payment
                (`billing.idempotency_conflict`).
            InvalidInputError: The method is not an offline one, `received_at` is naive or in
                the future, or a text is too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        money = _amount(amount)
        try:
            kind = PaymentMethodKind(method)
        except ValueError:
            kind = None
        if kind not in OFFLINE_METHODS:
            raise InvalidInputError(
                "Record cash, cheque or bank transfer payments here; online payments go "
                "through the payment gateway.",
                field="method",
            )
        assert kind is not None
        ref = None if reference is None else validate.text(reference, "reference")
        key = (
            None
            if idempotency_key is None
            else validate.text(idempotency_key, "idempotency_key", max_length=200)
        )
        named: list[str] | None = None
        if invoice_ids is not None:
            if isinstance(invoice_ids, str | bytes) or not isinstance(invoice_ids, Sequence):
                raise InvalidInputError("Name the invoices as a list.", field="invoice_ids")
            if not invoice_ids or len(invoice_ids) > 500:
                raise InvalidInputError("Name 1 to 500 invoices.", field="invoice_ids")
            named = list(dict.fromkeys(invoice_ids))
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "record a payment")
            cid = self._customer(uow, actor, customer_id)
            now = self._rt.now()
            when = now if received_at is None else _instant(received_at, "received_at")
            if when > now:
                raise InvalidInputError(
                    "The payment is dated in the future: record payments once received.",
                    field="received_at",
                )
            account = uow.billing_accounts.lock(cid)
            if key is not None:
                first = uow.payments.get_by_key(cid, key)
                if first is not None:
                    if (first.amount, first.method, first.reference) != (money, kind, ref):
                        raise IdempotencyConflictError(
                            "that idempotency key was used for another payment",
                            details={"idempotency_key": key},
                        )
                    return first
            if named is None:
                targets = uow.invoices.outstanding(cid, money.currency, for_update=True)
            else:
                targets = []
                for invoice_id in sorted(named):
                    invoice = self._invoice(uow, actor, invoice_id, for_update=True)
                    if invoice.customer_id != cid:
                        raise self._invoice_missing(invoice_id)()
                    if invoice.currency != money.currency:
                        raise WrongCurrencyError(
                            f"Invoice {invoice.number} is in {invoice.currency}, the payment "
                            f"in {money.currency}.",
                            field="amount",
                            details={"invoice": invoice.number},
                        )
                    if not invoice.is_outstanding:
                        transition(invoice.status, InvoiceAction.PAY_PART, number=invoice.number)
                    targets.append(invoice)
            split = allocate(money, targets)
            number = self._number(uow, account, EntryKind.PAYMENT)
            payment = Payment(
                id=self._rt.new_id("pay"),
                customer_id=cid,
                number=number,
                amount=money,
                method=kind,
                status=PaymentStatus.SUCCEEDED,
                received_at=when,
                recorded_at=now,
                recorded_by=principal.label,
                unapplied=split.excess,
                refunded=Money.zero(money.currency),
                reference=ref,
                idempotency_key=key,
            )
            uow.payments.add(payment)
            self._received(uow, payment, targets, split, now=now)
        return payment

    def _received(
        self,
        uow: BillingStore,
        payment: Payment,
        targets: Sequence[Invoice],
        split: Allocation,
        *,
        now: datetime,
    ) -> None:
        """Book a stored, succeeded payment: its parts onto the invoices `allocate` split it
        over, its ledger entry, and the event the organisation is told by. Offline and online
        payments alike (`billing/checkout.py` calls it once the gateway said yes)."""
        by_id = {i.id: i for i in targets}
        applied = []
        for invoice_id, part in split.parts:
            invoice = self._apply(
                uow,
                by_id[invoice_id],
                part,
                source=SourceKind.PAYMENT,
                source_id=payment.id,
                paid=True,
                now=now,
            )
            applied.append(
                AppliedAmount(
                    invoice.id,
                    invoice.number,
                    part,
                    invoice.subscription_id,
                    # Shares of what payments have paid on it so far, less before.
                    revenue_of(invoice, part, before=by_id[invoice_id].amount_paid),
                )
            )
        self._ledger(
            uow,
            customer_id=payment.customer_id,
            at=payment.received_at,
            kind=EntryKind.PAYMENT,
            document_id=payment.id,
            reference=payment.number,
            description=payment.reference or "",
            detail=payment.method.value,
            amount=-payment.amount,
        )
        self._rt.publish(
            uow,
            PaymentRecorded(
                payment.id,
                payment.customer_id,
                payment.number,
                payment.amount,
                payment.method,
                payment.received_at,
                tuple(applied),
                split.excess,
            ),
        )

    def get_payment(self, payment_id: str, *, actor: Principal) -> Payment:
        """The payment.

        Args:
            payment_id: The payment.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The payment.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PaymentNotFoundError: No such payment, or another organisation's
                (`billing.payment_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            return self._payment(uow, actor, payment_id)

    def payments(
        self,
        customer_id: str,
        *,
        invoice_payments_only: bool = False,
        received_from: datetime | None = None,
        received_before: datetime | None = None,
        sort: str = "date",
        descending: bool = True,
        limit: int = 50,
        offset: int = 0,
        actor: Principal,
    ) -> list[Payment]:
        """One page of the customer's payments, online and offline alike (Payments Made).

        Args:
            customer_id: The customer.
            invoice_payments_only: Only payments that paid an invoice.
            received_from: Only payments received at or after this instant.
            received_before: Only payments received before this instant.
            sort: "date" or "amount".
            descending: Newest or largest first.
            limit: At most this many (1 to 500).
            offset: Skip this many first.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The payments.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            InvalidInputError: A filter, the sort or the window is not valid
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        query = PaymentQuery(
            invoice_payments_only=validate.flag(invoice_payments_only, "invoice_payments_only"),
            received_from=None
            if received_from is None
            else _instant(received_from, "received_from"),
            received_before=None
            if received_before is None
            else _instant(received_before, "received_before"),
            sort=_sort(sort),
            descending=validate.flag(descending, "descending"),
            limit=_window(limit, offset)[0],
            offset=offset,
        )
        with self._rt.uow(readonly=True) as uow:
            cid = self._customer(uow, actor, customer_id)
            return uow.payments.page(cid, query)

    # --- online payments and saved payment methods --------------------------------------------

    def add_payment_method(
        self, customer_id: str, card: str, *, default: bool = False, actor: Principal
    ) -> PaymentMethod:
        """Save a card for the customer at the gateway, to pay with later.

        The first card saved becomes the customer's default (the one auto-charges use);
        `default=True` makes this one the default ("use for future transactions").

        Args:
            customer_id: The customer.
            card: The one-time token of the gateway's payment page; never a card number.
            default: Make it the customer's auto-charge method.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The saved method: its id, brand, last four digits and expiry.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            InvalidInputError: No token (`validation.invalid`).
            CardNumberRefusedError: A card number instead of a token
                (`payment.card_number_refused`).
            CardDeclinedError: The gateway refused the card (`payment.declined`).
            InvalidGatewayCredentialsError: The gateway refused its credentials (`payment.cp3002`).
            GatewayUnavailableError: The gateway did not answer (`payment.gateway_unavailable`).
            NoPaymentGatewayError: The kit has no payment gateway
                (`configuration.no_payment_gateway`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._checkout.add_method(customer_id, card, default=default, actor=actor)

    def payment_methods(self, customer_id: str, *, actor: Principal) -> list[PaymentMethod]:
        """The customer's saved cards, oldest first; `default` marks the auto-charge one.

        Args:
            customer_id: The customer.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The saved methods.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._checkout.methods(customer_id, actor=actor)

    def set_default_payment_method(self, method_id: str, *, actor: Principal) -> PaymentMethod:
        """Make a saved card the customer's default, the one auto-charges use.

        Args:
            method_id: The saved method.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The method, now the default.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PaymentMethodNotFoundError: No such method, or another organisation's
                (`billing.payment_method_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._checkout.set_default(method_id, actor=actor)

    def update_payment_method(
        self, method_id: str, card: str, *, actor: Principal
    ) -> PaymentMethod:
        """Replace a saved method's card with a new one (003 seed, "View & Update Payment
        Information"): the id stays, so the default and everything that pays with the method
        move onto the new card.

        Args:
            method_id: The saved method.
            card: The one-time token of the gateway's payment page for the new card.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The method with the new card.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PaymentMethodNotFoundError: No such method, or another organisation's
                (`billing.payment_method_not_found`).
            InvalidInputError: No token (`validation.invalid`).
            CardNumberRefusedError: A card number instead of a token
                (`payment.card_number_refused`).
            CardDeclinedError: The gateway refused the card (`payment.declined`).
            InvalidGatewayCredentialsError: The gateway refused its credentials (`payment.cp3002`).
            GatewayUnavailableError: The gateway did not answer (`payment.gateway_unavailable`).
            NoPaymentGatewayError: The kit has no payment gateway
                (`configuration.no_payment_gateway`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._checkout.update_method(method_id, card, actor=actor)

    def remove_payment_method(self, method_id: str, *, actor: Principal) -> None:
        """Forget a saved card; when it was the default, the oldest card left takes over.

        Args:
            method_id: The saved method.
            actor: Who acts: the customer's own users, staff or the system.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PaymentMethodNotFoundError: No such method, or another organisation's
                (`billing.payment_method_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        self._checkout.remove_method(method_id, actor=actor)

    def pay(
        self,
        invoice_ids: Sequence[str],
        *,
        method_id: str | None = None,
        card: str | None = None,
        save_for_future: bool = False,
        idempotency_key: str,
        actor: Principal,
    ) -> Payment:
        """Pay invoices online, through the payment gateway, with a saved method or a card.

        The CP rules are checked first; a refusal is kept in the customer's payments as a
        failed one and raised with the seed's remedy. The same `idempotency_key` with the same
        way of paying returns the first payment (or raises its failure) and charges nothing
        more. A gateway that does not answer leaves the payment `unknown`: `run_due` asks the
        gateway what became of it, and never charges again. Succeeded money pays the invoices
        oldest due date first; what is left is available credit.

        Args:
            invoice_ids: The invoices, one customer's, in one currency, each outstanding.
            method_id: A saved method of that customer (see `payment_methods`).
            card: Or the one-time token of the gateway's payment page.
            save_for_future: With `card`: save it, and make it the customer's auto-charge
                method ("use for future transactions").
            idempotency_key: Your key for this payment; repeat it only to retry it.
            actor: Who pays: the customer's own users, staff or the system.

        Returns:
            The payment: succeeded, or unknown while the gateway has not answered.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            InvoiceNotFoundError: An invoice does not exist or is another organisation's
                (`billing.invoice_not_found`).
            PaymentMethodNotFoundError: No such saved method, or another organisation's
                (`billing.payment_method_not_found`).
            InvoicesOfSeveralCustomersError: Invoices of two customers
                (`billing.invoices_of_several_customers`).
            WrongCurrencyError: Invoices in two currencies (`billing.wrong_currency`).
            InvalidInvoiceTransitionError: An invoice is a draft, paid or void
                (`billing.invalid_transition`).
            IdempotencyConflictError: The key was used for another payment
                (`billing.idempotency_conflict`).
            PaymentInProgressError: Another online payment of the customer's in the currency
                still waits for the gateway's answer (`billing.payment_in_progress`).
            PortalPaymentError: A CP rule refused the charge: `payment.cp1003`,
                `payment.cp2001`, `payment.cp3001`, `payment.cp3002`, `payment.cp3005`,
                `payment.cp4001`, `payment.cp4003`; or the gateway declined it
                (`payment.cp3003`, `payment.cp3004`).
            CardDeclinedError: The gateway declined the card (`payment.declined`).
            NoPaymentGatewayError: The kit has no payment gateway
                (`configuration.no_payment_gateway`).
            InvalidInputError: Neither or both of `method_id` and `card`, no key, or not a list
                of 1 to 500 invoices (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._checkout.pay(
            invoice_ids,
            method_id=method_id,
            card=card,
            save_for_future=save_for_future,
            idempotency_key=idempotency_key,
            actor=actor,
        )

    def pay_all_outstanding(
        self,
        customer_id: str,
        *,
        method_id: str | None = None,
        card: str | None = None,
        save_for_future: bool = False,
        idempotency_key: str,
        actor: Principal,
    ) -> list[Payment]:
        """Pay everything the customer owes (003 seed, Home: "pay all outstanding"): one charge
        per currency for its total, allocated oldest due date first.

        Args:
            customer_id: The customer.
            method_id: A saved method of the customer.
            card: Or the one-time token of the gateway's payment page (saved first when there
                is more than one currency to charge).
            save_for_future: With `card`: make it the customer's auto-charge method.
            idempotency_key: Your key; each currency's charge uses it with ":USD" (its code).
            actor: Who pays: the customer's own users, staff or the system.

        Returns:
            One payment per currency, by currency code; none when nothing is outstanding.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            PaymentMethodNotFoundError: No such saved method, or another organisation's
                (`billing.payment_method_not_found`).
            IdempotencyConflictError: The key was used for another payment
                (`billing.idempotency_conflict`).
            PaymentInProgressError: An online payment of the customer's still waits for the
                gateway's answer (`billing.payment_in_progress`).
            PortalPaymentError: A CP rule refused a charge, or the gateway declined it
                (`payment.cp1003` ... `payment.cp4003`).
            CardDeclinedError: The gateway declined the card (`payment.declined`).
            NoPaymentGatewayError: The kit has no payment gateway
                (`configuration.no_payment_gateway`).
            InvalidInputError: Neither or both of `method_id` and `card`, or no key
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._checkout.pay_all(
            customer_id,
            method_id=method_id,
            card=card,
            save_for_future=save_for_future,
            idempotency_key=idempotency_key,
            actor=actor,
        )

    def next_reconcile_due(self) -> datetime | None:
        """When the oldest unknown online payment is due to be asked about; None for none.

        Returns:
            The instant, or None.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        return self._checkout.next_reconcile_due()

    def reconcile_payments(self, now: datetime) -> int:
        """Settle unknown online payments with what the gateway says of each (`lookup`): never
        a second charge. A charge the gateway never received is failed; one it cannot tell
        about yet stays unknown for the next run.

        Args:
            now: The kit's time.

        Returns:
            How many payments were settled.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        return self._checkout.reconcile(now)

    # --- credits and refunds ------------------------------------------------------------------

    def issue_credit_note(
        self,
        customer_id: str,
        amount: Money,
        *,
        reason: str,
        invoice_id: str | None = None,
        actor: Principal,
    ) -> CreditNote:
        """Issue a credit note: against an invoice (which it pays down at once, never beyond
        its balance), or standalone (available credit for later invoices).

        Args:
            customer_id: The customer credited.
            amount: How much, above zero.
            reason: Why, as the customer reads it.
            invoice_id: The invoice it is against, or None for a standalone note.
            actor: Who acts: staff or the system.

        Returns:
            The credit note, with what is left of it as credit (`unapplied`).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CustomerNotFoundError: No such customer (`customer.not_found`).
            InvoiceNotFoundError: The invoice does not exist or is another customer's
                (`billing.invoice_not_found`).
            AmountNotPositiveError: The amount is zero or negative (`billing.amount_not_positive`).
            WrongCurrencyError: The invoice is in another currency (`billing.wrong_currency`).
            CreditExceedsBalanceError: The amount is more than the invoice's balance due
                (`billing.credit_exceeds_balance`).
            InvalidInvoiceTransitionError: The invoice is a draft, paid or void
                (`billing.invalid_transition`).
            InvalidInputError: The reason is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        money = _amount(amount)
        why = validate.text(reason, "reason", max_length=500)
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "issue a credit note")
            cid = self._customer(uow, actor, customer_id)
            now = self._rt.now()
            account = uow.billing_accounts.lock(cid)
            invoice: Invoice | None = None
            if invoice_id is not None:
                invoice = self._invoice(uow, actor, invoice_id, for_update=True)
                if invoice.customer_id != cid:
                    raise self._invoice_missing(invoice_id)()
                if invoice.currency != money.currency:
                    raise WrongCurrencyError(
                        f"Invoice {invoice.number} is in {invoice.currency}, the credit note "
                        f"in {money.currency}.",
                        field="amount",
                    )
                transition(invoice.status, InvoiceAction.PAY_PART, number=invoice.number)
                if money > invoice.balance_due:
                    raise CreditExceedsBalanceError(
                        f"invoice {invoice.number} has {invoice.balance_due} left to pay, less "
                        f"than {money}",
                        field="amount",
                        details={"balance_due": str(invoice.balance_due)},
                    )
            number = self._number(uow, account, EntryKind.CREDIT_NOTE)
            note = CreditNote(
                id=self._rt.new_id("crn"),
                customer_id=cid,
                number=number,
                amount=money,
                reason=why,
                issued_at=now,
                issued_by=principal.label,
                unapplied=Money.zero(money.currency) if invoice is not None else money,
                refunded=Money.zero(money.currency),
                invoice_id=None if invoice is None else invoice.id,
            )
            uow.credit_notes.add(note)
            if invoice is not None:
                self._apply(
                    uow,
                    invoice,
                    money,
                    source=SourceKind.CREDIT_NOTE,
                    source_id=note.id,
                    paid=False,
                    now=now,
                )
            self._ledger(
                uow,
                customer_id=cid,
                at=now,
                kind=EntryKind.CREDIT_NOTE,
                document_id=note.id,
                reference=number,
                description=why,
                amount=-money,
            )
            self._rt.publish(uow, CreditNoteIssued(note.id, cid, number, money, note.invoice_id))
        return note

    def apply_credits(
        self, invoice_id: str, *, amount: Money | None = None, actor: Principal
    ) -> Invoice:
        """Pay an invoice out of the customer's available credit (unused credit notes first,
        then overpayments, oldest first), never beyond its balance.

        Args:
            invoice_id: The invoice.
            amount: At most this much; None for as much as the balance and the credit allow.
            actor: Who acts: the customer's own users, staff or the system.

        Returns:
            The invoice afterwards.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            InvoiceNotFoundError: No such invoice, or another organisation's
                (`billing.invoice_not_found`).
            AmountNotPositiveError: The amount is zero or negative (`billing.amount_not_positive`).
            WrongCurrencyError: The amount is in another currency (`billing.wrong_currency`).
            InvalidInvoiceTransitionError: The invoice is a draft, paid or void
                (`billing.invalid_transition`).
            NoCreditAvailableError: The customer has no credit in the invoice's currency
                (`billing.no_credit_available`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        cap = None if amount is None else _amount(amount)
        with self._rt.uow() as uow:
            invoice = self._invoice(uow, actor, invoice_id)
            uow.billing_accounts.lock(invoice.customer_id)
            invoice = self._invoice(uow, actor, invoice_id, for_update=True)
            if cap is not None and cap.currency != invoice.currency:
                raise WrongCurrencyError(
                    f"Invoice {invoice.number} is in {invoice.currency}.", field="amount"
                )
            transition(invoice.status, InvoiceAction.PAY_PART, number=invoice.number)
            cid, currency = invoice.customer_id, invoice.currency
            notes = uow.credit_notes.with_credit(cid, currency, for_update=True)
            overpaid = uow.payments.with_credit(cid, currency, for_update=True)
            want = invoice.balance_due if cap is None else min(cap, invoice.balance_due)
            if not notes and not overpaid:
                raise NoCreditAvailableError(
                    f"no credit in {currency} is available for invoice {invoice.number}",
                    details={"currency": currency},
                )
            now = self._rt.now()
            for note in notes:
                if not want.is_positive:
                    break
                part = min(want, note.unapplied)
                uow.credit_notes.update(attrs.evolve(note, unapplied=note.unapplied - part))
                invoice = self._apply(
                    uow,
                    invoice,
                    part,
                    source=SourceKind.CREDIT_NOTE,
                    source_id=note.id,
                    paid=False,
                    now=now,
                )
                want = want - part
            for payment in overpaid:
                if not want.is_positive:
                    break
                part = min(want, payment.unapplied)
                uow.payments.update(attrs.evolve(payment, unapplied=payment.unapplied - part))
                invoice = self._apply(
                    uow,
                    invoice,
                    part,
                    source=SourceKind.PAYMENT,
                    source_id=payment.id,
                    paid=False,
                    now=now,
                )
                want = want - part
            return invoice

    def refund_payment(
        self,
        payment_id: str,
        amount: Money,
        *,
        method: RefundMethod = RefundMethod.ORIGINAL,
        reference: str | None = None,
        actor: Principal,
    ) -> Refund:
        """Pay back part of a payment that no invoice took (an overpayment), to the original
        payment or offline. Refunds of a payment never exceed what is left of it; an online
        payment's refund to the original payment goes back to its card through the gateway.

        Args:
            payment_id: The payment.
            amount: How much, above zero, at most its unapplied amount.
            method: Back to the original payment, or cash, cheque, bank transfer.
            reference: The bank's or the gateway's reference.
            actor: Who acts: staff or the system.

        Returns:
            The refund.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            PaymentNotFoundError: No such payment (`billing.payment_not_found`).
            AmountNotPositiveError: The amount is zero or negative (`billing.amount_not_positive`).
            WrongCurrencyError: The amount is in another currency (`billing.wrong_currency`).
            RefundExceedsAvailableError: More than is left of the payment
                (`billing.refund_exceeds_available`).
            RefundRefusedError: The gateway refused to refund an online payment to its card
                (`payment.refund_refused`); nothing is recorded.
            GatewayUnavailableError: The gateway did not confirm an online payment's refund
                (`payment.gateway_unavailable`); nothing is recorded, and the same refund again
                settles it without refunding twice.
            NoPaymentGatewayError: An online payment's refund on a kit without a gateway
                (`configuration.no_payment_gateway`).
            InvalidInputError: The method is unknown, or the reference too long
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        money = _amount(amount)
        how = self._refund_method(method)
        ref = None if reference is None else validate.text(reference, "reference")
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "refund a payment")
            payment = self._payment(uow, actor, payment_id)
            account = uow.billing_accounts.lock(payment.customer_id)
            payment = self._payment(uow, actor, payment_id, for_update=True)
            left = payment.unapplied if payment.status is PaymentStatus.SUCCEEDED else None
            self._check_refund(money, left, payment.number)
            assert left is not None
            if how is RefundMethod.ORIGINAL and payment.method is PaymentMethodKind.ONLINE:
                # Back to the card it came from, through the gateway, before it is recorded:
                # a refusal records nothing.
                # The key is the payment's next refund: a retry after a lost answer finds the
                # same refund at the gateway instead of making a second one.
                done = len(uow.refunds.for_source(payment.id))
                ref = self._checkout.refund_online(
                    payment, money, f"{payment.id}-refund-{done + 1}"
                )
            uow.payments.update(
                attrs.evolve(payment, unapplied=left - money, refunded=payment.refunded + money)
            )
            return self._refund(
                uow, account, money, SourceKind.PAYMENT, payment.id, how, ref, principal
            )

    def refund_invoice(
        self,
        invoice_id: str,
        amount: Money,
        *,
        reason: str,
        method: RefundMethod = RefundMethod.ORIGINAL,
        reference: str | None = None,
        actor: Principal,
    ) -> Refund:
        """Pay back money that paid an invoice: a credit note against the invoice for the
        amount, refunded at once to the payments that paid it (newest first) or offline.

        The invoice keeps its status and balance: what the customer is given back is credited
        against it, so its statement shows the invoice, the payment, the credit note and the
        refund, and the balance still adds up. An online payment's part goes back to its card
        through the gateway before anything is recorded. The refund names the revenue it gives
        back (`PaymentRefunded.returned`), so the partner who earned commission on the payment
        loses it again. All refunds of an invoice together never exceed what payments paid of
        it, under any number of concurrent callers.

        Args:
            invoice_id: The invoice.
            amount: How much, above zero, at most what payments paid of it less what was
                refunded already.
            reason: Why, as the customer reads it on the credit note.
            method: Back to the original payments (cards through the gateway), or cash, cheque,
                bank transfer.
            reference: The bank's reference for an offline refund.
            actor: Who acts: staff or the system.

        Returns:
            The refund; its credit note is `refund.source_id`.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvoiceNotFoundError: No such invoice (`billing.invoice_not_found`).
            AmountNotPositiveError: The amount is zero or negative (`billing.amount_not_positive`).
            WrongCurrencyError: The amount is in another currency (`billing.wrong_currency`).
            RefundExceedsAvailableError: More than is left to refund of what paid the invoice
                (`billing.refund_exceeds_available`).
            RefundRefusedError: The gateway refused to refund a card (`payment.refund_refused`);
                nothing is recorded.
            GatewayUnavailableError: The gateway did not confirm a card's refund
                (`payment.gateway_unavailable`); nothing is recorded, and the same refund again
                settles it without refunding twice.
            NoPaymentGatewayError: A card's refund on a kit without a gateway
                (`configuration.no_payment_gateway`).
            InvalidInputError: The reason is empty or too long, the method is unknown, or the
                reference too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        money = _amount(amount)
        why = validate.text(reason, "reason", max_length=500)
        how = self._refund_method(method)
        ref = None if reference is None else validate.text(reference, "reference")
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "refund an invoice")
            invoice = self._invoice(uow, actor, invoice_id)
            account = uow.billing_accounts.lock(invoice.customer_id)
            invoice = self._invoice(uow, actor, invoice_id, for_update=True)
            applications = uow.applications.for_invoice(invoice.id)
            received = sum(
                (a.amount for a in applications if a.source is SourceKind.PAYMENT),
                Money.zero(invoice.currency),
            )
            self._check_refund(money, received - invoice.refunded, invoice.number)
            now = self._rt.now()
            # The gateway's key names the invoice, what was refunded of it before and the
            # payment: a retry after a lost answer (nothing recorded, so the same key) finds the
            # same card refund instead of making a second one.
            key = f"{invoice.id}-refund-{invoice.refunded.amount}"
            returned: list[ReturnedRevenue] = []
            references: list[str] = []
            before = invoice.refunded
            for payment_id, part in refund_parts(applications, invoice.refunded, money):
                payment = uow.payments.get(payment_id, for_update=True)
                assert payment is not None
                if how is RefundMethod.ORIGINAL and payment.method is PaymentMethodKind.ONLINE:
                    references.append(
                        self._checkout.refund_online(payment, part, f"{key}-{payment.id}")
                    )
                uow.payments.update(attrs.evolve(payment, refunded=payment.refunded + part))
                returned += [
                    ReturnedRevenue(
                        payment.id, invoice.id, share.line_index, share.product, share.amount
                    )
                    for share in revenue_of(invoice, part, before=before)
                ]
                before = before + part
            uow.invoices.update(attrs.evolve(invoice, refunded=invoice.refunded + money))
            number = self._number(uow, account, EntryKind.CREDIT_NOTE)
            note = CreditNote(
                id=self._rt.new_id("crn"),
                customer_id=invoice.customer_id,
                number=number,
                amount=money,
                reason=why,
                issued_at=now,
                issued_by=principal.label,
                unapplied=Money.zero(money.currency),
                refunded=money,
                invoice_id=invoice.id,
            )
            uow.credit_notes.add(note)
            self._ledger(
                uow,
                customer_id=invoice.customer_id,
                at=now,
                kind=EntryKind.CREDIT_NOTE,
                document_id=note.id,
                reference=number,
                description=why,
                amount=-money,
            )
            self._rt.publish(
                uow, CreditNoteIssued(note.id, invoice.customer_id, number, money, invoice.id)
            )
            gateway_refs = ", ".join(references) if references else None
            return self._refund(
                uow,
                uow.billing_accounts.lock(invoice.customer_id),  # numbered the note: read again
                money,
                SourceKind.CREDIT_NOTE,
                note.id,
                how,
                ref if ref is not None else gateway_refs,
                principal,
                returned=tuple(returned),
            )

    def refund_credit_note(
        self,
        credit_note_id: str,
        amount: Money,
        *,
        method: RefundMethod = RefundMethod.BANK_TRANSFER,
        reference: str | None = None,
        actor: Principal,
    ) -> Refund:
        """Pay out part of a credit note that no invoice took. Refunds of a note never exceed
        what is left of it.

        Args:
            credit_note_id: The credit note.
            amount: How much, above zero, at most its unapplied amount.
            method: Cash, cheque or bank transfer (or back to the original payment).
            reference: The bank's reference.
            actor: Who acts: staff or the system.

        Returns:
            The refund.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CreditNoteNotFoundError: No such credit note (`billing.credit_note_not_found`).
            AmountNotPositiveError: The amount is zero or negative (`billing.amount_not_positive`).
            WrongCurrencyError: The amount is in another currency (`billing.wrong_currency`).
            RefundExceedsAvailableError: More than is left of the note
                (`billing.refund_exceeds_available`).
            InvalidInputError: The method is unknown, or the reference too long
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        money = _amount(amount)
        how = self._refund_method(method)
        ref = None if reference is None else validate.text(reference, "reference")

        missing = not_found(
            CreditNoteNotFoundError, "credit note", "credit_note_id", credit_note_id
        )

        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "refund a credit note")
            if not validate.is_ref(credit_note_id):
                raise missing()
            note = uow.credit_notes.get(credit_note_id)
            if note is None:
                raise missing()
            account = uow.billing_accounts.lock(note.customer_id)
            note = uow.credit_notes.get(credit_note_id, for_update=True)
            assert note is not None
            self._check_refund(money, note.unapplied, note.number)
            uow.credit_notes.update(
                attrs.evolve(note, unapplied=note.unapplied - money, refunded=note.refunded + money)
            )
            return self._refund(
                uow, account, money, SourceKind.CREDIT_NOTE, note.id, how, ref, principal
            )

    @staticmethod
    def _refund_method(method: object) -> RefundMethod:
        try:
            return RefundMethod(str(method))
        except ValueError:
            raise InvalidInputError(
                "Refund to the original payment, in cash, by cheque or by bank transfer.",
                field="method",
            ) from None

    @staticmethod
    def _check_refund(money: Money, left: Money | None, number: str) -> None:
        if left is not None and left.currency != money.currency:
            raise WrongCurrencyError(f"{number} is in {left.currency}.", field="amount")
        if left is None or money > left:
            shown = "nothing" if left is None else str(left)
            raise RefundExceedsAvailableError(
                f"{number} has {shown} left to refund, less than {money}",
                field="amount",
                details={"available": shown},
            )

    def _refund(
        self,
        uow: BillingStore,
        account: BillingAccount,
        money: Money,
        source: SourceKind,
        source_id: str,
        how: RefundMethod,
        ref: str | None,
        principal: Principal,
        *,
        returned: tuple[ReturnedRevenue, ...] = (),
    ) -> Refund:
        now = self._rt.now()
        number = self._number(uow, account, EntryKind.REFUND)
        refund = Refund(
            id=self._rt.new_id("ref"),
            customer_id=account.customer_id,
            number=number,
            amount=money,
            source=source,
            source_id=source_id,
            method=how,
            refunded_at=now,
            refunded_by=principal.label,
            reference=ref,
        )
        uow.refunds.add(refund)
        self._ledger(
            uow,
            customer_id=account.customer_id,
            at=now,
            kind=EntryKind.REFUND,
            document_id=refund.id,
            reference=number,
            description=ref or "",
            amount=money,
            detail=how.value,
        )
        self._rt.publish(
            uow,
            PaymentRefunded(
                refund.id, account.customer_id, number, source_id, money, now, returned
            ),
        )
        return refund

    # --- what a dashboard shows ---------------------------------------------------------------

    def available_credits(self, customer_id: str, *, actor: Principal) -> list[Money]:
        """What the organisation owes the customer: unused credit notes plus overpayments.

        Args:
            customer_id: The customer.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            One amount per currency with credit, by currency code.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            cid = self._customer(uow, actor, customer_id)
            return _credits(uow, cid)

    def balance(self, customer_id: str, *, currency: str, actor: Principal) -> Money:
        """What the customer owes in a currency: invoices - payments - credit notes + refunds
        (negative when it has credit).

        Args:
            customer_id: The customer.
            currency: The currency.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The balance.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            UnknownCurrencyError: Not an ISO 4217 code (`money.unknown_currency`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        Money.zero(currency)
        with self._rt.uow(readonly=True) as uow:
            cid = self._customer(uow, actor, customer_id)
            return uow.ledger.total(cid, currency)[0]

    def dashboard(self, customer_id: str, *, actor: Principal) -> Dashboard:
        """The Home dashboard's figures (003 seed): outstanding invoices (count and total per
        currency), available credits, and the last payment made with the invoice it paid.
        Each is computed by the storage, not by loading every invoice.

        Args:
            customer_id: The customer.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The figures.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            cid = self._customer(uow, actor, customer_id)
            outstanding = tuple(
                OutstandingTotal(currency, count, total)
                for currency, count, total in uow.invoices.outstanding_totals(cid)
            )
            last = uow.payments.last(cid)
            last_payment = None
            if last is not None:
                applied = uow.applications.for_source(last.id)
                invoice = uow.invoices.get(applied[0].invoice_id) if applied else None
                last_payment = LastPayment(
                    payment_id=last.id,
                    number=last.number,
                    amount=last.amount,
                    received_at=last.received_at,
                    invoice_id=None if invoice is None else invoice.id,
                    invoice_number=None if invoice is None else invoice.number,
                )
            return Dashboard(outstanding, tuple(_credits(uow, cid)), last_payment)

    # --- statements and receipts --------------------------------------------------------------

    def statement(
        self,
        customer_id: str,
        start: date,
        end: date,
        *,
        currency: str | None = None,
        actor: Principal,
    ) -> tuple[StatementHeader, Iterator[StatementEntry]]:
        """The statement of accounts for a period (003 seed, "Generate Statement of Accounts").

        The header carries the opening balance (everything before `start`), the closing balance
        and the count of entries, computed by the storage. The entries, every invoice, payment,
        credit note and refund of the period in date order with the running balance, are read
        in batches as the iterator is consumed, so a long statement costs constant memory.

        Args:
            customer_id: The customer.
            start: The first day of the period (UTC days).
            end: The last day of the period, on or after `start`.
            currency: The statement's currency; None for the account's only one (or the
                policy's currency for an account billed in none yet).
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The header and an iterator over the entries.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such customer, or one the actor may not see
                (`customer.not_found`).
            CurrencyRequiredError: `currency` is None and the account is billed in several
                (`billing.currency_required`).
            UnknownCurrencyError: Not an ISO 4217 code (`money.unknown_currency`).
            InvalidInputError: A day is not a date, or `end` is before `start`
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        first = _day(start, "start")
        last = _day(end, "end")
        if last < first:
            raise InvalidInputError("The period ends before it starts.", field="end")
        if currency is not None:
            Money.zero(currency)
        with self._rt.uow(readonly=True) as uow:
            cid = self._customer(uow, actor, customer_id)
            account = uow.customers.get(cid)
            assert account is not None  # _customer found it
            name = account.name
            # The period is the customer's days: midnight to midnight on its own calendar.
            zone = customer_zone(account, self._time_zone)
            begin, stop = (
                start_of_local_day(first, zone),
                start_of_local_day(last + timedelta(days=1), zone),
            )
            if currency is None:
                found = uow.ledger.currencies(cid)
                if len(found) > 1:
                    raise CurrencyRequiredError(
                        f"the account is billed in {', '.join(found)}",
                        field="currency",
                        details={"currencies": found},
                    )
                currency = found[0] if found else self._policy.currency
            opening = uow.ledger.total(cid, currency, None, begin)[0]
            moved, count = uow.ledger.total(cid, currency, begin, stop)
        header = StatementHeader(
            customer_id=cid,
            customer_name=name,
            currency=currency,
            start=first,
            end=last,
            opening=opening,
            closing=opening + moved,
            issued_at=self._rt.now(),
            entry_count=count,
            time_zone=zone.key,
            issuer=self._policy.issuer,
        )
        return header, self._entries(cid, currency, begin, stop, opening)

    def _entries(
        self, customer_id: str, currency: str, begin: datetime, stop: datetime, opening: Money
    ) -> Iterator[StatementEntry]:
        balance = opening
        after: tuple[datetime, str] | None = None
        size = STATEMENT_BATCH
        while True:
            # A read transaction per batch: a reader that stops half-way holds nothing open.
            with self._rt.uow(readonly=True) as uow:
                batch = uow.ledger.entries(
                    customer_id, currency, begin, stop, after=after, limit=size
                )
            for entry in batch:
                balance = balance + entry.amount
                owed = entry.amount.is_positive
                yield StatementEntry(
                    at=entry.at,
                    kind=entry.kind,
                    reference=entry.reference,
                    description=entry.description,
                    debit=entry.amount if owed else None,
                    credit=None if owed else -entry.amount,
                    balance=balance,
                    detail=entry.detail,
                )
            if len(batch) < size:
                return
            after = (batch[-1].at, batch[-1].id)
            # Let the batch go before the next is read: one batch in memory, never two.
            del batch

    def receipt(self, payment_id: str, *, actor: Principal) -> Receipt:
        """The receipt of a payment (003 seed, "Track Payments Made"): its number, amount,
        method, the invoices it paid and what became credit.

        Args:
            payment_id: The payment.
            actor: Who asks: the customer's own users, staff or the system.

        Returns:
            The receipt.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PaymentNotFoundError: No such payment, or another organisation's
                (`billing.payment_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            payment = self._payment(uow, actor, payment_id)
            account = uow.customers.get(payment.customer_id)
            name = "" if account is None else account.name
            zone = (
                self._time_zone if account is None else customer_zone(account, self._time_zone).key
            )
            applied = uow.applications.for_source(payment.id)
            lines = []
            for application in applied:
                invoice = uow.invoices.get(application.invoice_id)
                number = "" if invoice is None else invoice.number
                lines.append(ReceiptLine(number, application.amount))
        paid = sum((line.amount for line in lines), Money.zero(payment.currency))
        return Receipt(
            number=payment.number,
            customer_id=payment.customer_id,
            customer_name=name,
            paid_at=payment.received_at,
            amount=payment.amount,
            method=payment.method.words,
            reference=payment.reference or payment.gateway_reference,
            lines=tuple(lines),
            to_credit=payment.amount - paid,
            time_zone=zone,
            method_key=payment.method.value,
            issuer=self._policy.issuer,
        )

    # --- time ---------------------------------------------------------------------------------

    def next_overdue_due(self) -> datetime | None:
        """When `run_due` next has an invoice to mark overdue: the day after the earliest due
        date among unpaid sent invoices (UTC days).

        Returns:
            The instant, or None when no sent invoice is unpaid.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        with self._rt.uow(readonly=True) as uow:
            due = uow.invoices.next_overdue()
        return None if due is None else start_of_local_day(due + timedelta(days=1), UTC)

    def mark_overdue(self, now: datetime) -> int:
        """Mark every sent or partially paid invoice due before `now`'s day overdue (the
        `invoices_overdue` job of `run_due`), a batch per transaction.

        Args:
            now: The instant `run_due` reached.

        Returns:
            How many invoices were marked.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        today = now.date()
        marked = 0
        while True:
            with self._rt.uow() as uow:
                batch = uow.invoices.overdue(today, self._policy.overdue_batch)
                for invoice in batch:
                    status = transition(
                        invoice.status, InvoiceAction.MARK_OVERDUE, number=invoice.number
                    )
                    uow.invoices.update(attrs.evolve(invoice, status=status))
                    self._rt.publish(
                        uow,
                        InvoiceOverdue(
                            invoice.id,
                            invoice.customer_id,
                            invoice.number,
                            invoice.balance_due,
                            invoice.due_date,
                        ),
                    )
            marked += len(batch)
            if len(batch) < self._policy.overdue_batch:
                return marked


def _credits(uow: BillingStore, customer_id: str) -> list[Money]:
    totals: dict[str, Money] = {}
    for amount in [
        *uow.credit_notes.credit_totals(customer_id),
        *uow.payments.credit_totals(customer_id),
    ]:
        totals[amount.currency] = (
            totals[amount.currency] + amount if amount.currency in totals else amount
        )
    return [totals[c] for c in sorted(totals)]

"""The memory backend's transactions: one lock serialises units of work, and the undo log
takes a rollback or a savepoint back to exactly the rows and indexes it started from."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from partnerkit.backends.memory._table import UndoLog
from partnerkit.backends.memory.access import MemoryAuditEntries
from partnerkit.backends.memory.billing import (
    MemoryApplications,
    MemoryBillingAccounts,
    MemoryCreditNotes,
    MemoryInvoices,
    MemoryLedger,
    MemoryPaymentMethods,
    MemoryPayments,
    MemoryRefunds,
    MemoryTaxRates,
)
from partnerkit.backends.memory.catalog import MemoryProducts
from partnerkit.backends.memory.commissions import MemoryCommissionEntries, MemoryCommissionPlans
from partnerkit.backends.memory.customers import MemoryCustomers
from partnerkit.backends.memory.leads import MemoryLeads
from partnerkit.backends.memory.mapping import (
    MemoryConsentRequests,
    MemoryPartnerRecords,
    MemorySignupLinks,
    MemoryTrackingEntries,
)
from partnerkit.backends.memory.outbox import MemoryOutbox
from partnerkit.backends.memory.partners import MemoryPartnerCodes, MemoryPartners
from partnerkit.backends.memory.resellers import (
    MemoryCustomerMigrations,
    MemoryResellerCustomers,
    MemoryResellerInvitations,
    MemoryResellers,
    MemoryResellerTags,
    MemorySalesOrders,
)
from partnerkit.backends.memory.subscriptions import (
    MemoryAddons,
    MemoryCoupons,
    MemoryPlans,
    MemorySubscriptionPeriods,
    MemorySubscriptions,
)

__all__ = ["MemoryBackend", "MemoryUnitOfWork"]


class MemoryUnitOfWork:
    """Every repository over one set of tables. The tables live as long as the backend, so
    one instance serves every unit of work; the lock makes them take turns."""

    def __init__(self, log: UndoLog) -> None:
        self._log = log
        self._products = MemoryProducts(log)
        self._partners = MemoryPartners(log)
        self._codes = MemoryPartnerCodes(log)
        self._customers = MemoryCustomers(log)
        self._outbox = MemoryOutbox(log)
        self._audit = MemoryAuditEntries(log)
        self._records = MemoryPartnerRecords(log)
        self._consents = MemoryConsentRequests(log)
        self._signup_links = MemorySignupLinks(log)
        self._tracking = MemoryTrackingEntries(log)
        self._commission_plans = MemoryCommissionPlans(log)
        self._commissions = MemoryCommissionEntries(log)
        self._leads = MemoryLeads(log)
        self._billing_accounts = MemoryBillingAccounts(log)
        self._tax_rates = MemoryTaxRates(log)
        self._invoices = MemoryInvoices(log)
        self._payments = MemoryPayments(log)
        self._payment_methods = MemoryPaymentMethods(log)
        self._credit_notes = MemoryCreditNotes(log)
        self._applications = MemoryApplications(log)
        self._refunds = MemoryRefunds(log)
        self._ledger = MemoryLedger(log)
        self._resellers = MemoryResellers(log)
        self._reseller_invitations = MemoryResellerInvitations(log)
        self._reseller_tags = MemoryResellerTags(log)
        self._reseller_customers = MemoryResellerCustomers(log, self._reseller_tags)
        self._sales_orders = MemorySalesOrders(log)
        self._customer_migrations = MemoryCustomerMigrations(log)
        self._plans = MemoryPlans(log)
        self._addons = MemoryAddons(log)
        self._coupons = MemoryCoupons(log)
        self._subscriptions = MemorySubscriptions(log)
        self._subscription_periods = MemorySubscriptionPeriods(log)

    @property
    def products(self) -> MemoryProducts:
        return self._products

    @property
    def partners(self) -> MemoryPartners:
        return self._partners

    @property
    def codes(self) -> MemoryPartnerCodes:
        return self._codes

    @property
    def customers(self) -> MemoryCustomers:
        return self._customers

    @property
    def outbox(self) -> MemoryOutbox:
        return self._outbox

    @property
    def audit(self) -> MemoryAuditEntries:
        return self._audit

    @property
    def records(self) -> MemoryPartnerRecords:
        return self._records

    @property
    def consents(self) -> MemoryConsentRequests:
        return self._consents

    @property
    def signup_links(self) -> MemorySignupLinks:
        return self._signup_links

    @property
    def tracking(self) -> MemoryTrackingEntries:
        return self._tracking

    @property
    def commission_plans(self) -> MemoryCommissionPlans:
        return self._commission_plans

    @property
    def commissions(self) -> MemoryCommissionEntries:
        return self._commissions

    @property
    def leads(self) -> MemoryLeads:
        return self._leads

    @property
    def billing_accounts(self) -> MemoryBillingAccounts:
        return self._billing_accounts

    @property
    def tax_rates(self) -> MemoryTaxRates:
        return self._tax_rates

    @property
    def invoices(self) -> MemoryInvoices:
        return self._invoices

    @property
    def payments(self) -> MemoryPayments:
        return self._payments

    @property
    def payment_methods(self) -> MemoryPaymentMethods:
        return self._payment_methods

    @property
    def credit_notes(self) -> MemoryCreditNotes:
        return self._credit_notes

    @property
    def applications(self) -> MemoryApplications:
        return self._applications

    @property
    def refunds(self) -> MemoryRefunds:
        return self._refunds

    @property
    def ledger(self) -> MemoryLedger:
        return self._ledger

    @property
    def resellers(self) -> MemoryResellers:
        return self._resellers

    @property
    def reseller_invitations(self) -> MemoryResellerInvitations:
        return self._reseller_invitations

    @property
    def reseller_customers(self) -> MemoryResellerCustomers:
        return self._reseller_customers

    @property
    def reseller_tags(self) -> MemoryResellerTags:
        return self._reseller_tags

    @property
    def sales_orders(self) -> MemorySalesOrders:
        return self._sales_orders

    @property
    def customer_migrations(self) -> MemoryCustomerMigrations:
        return self._customer_migrations

    @property
    def plans(self) -> MemoryPlans:
        return self._plans

    @property
    def addons(self) -> MemoryAddons:
        return self._addons

    @property
    def coupons(self) -> MemoryCoupons:
        return self._coupons

    @property
    def subscriptions(self) -> MemorySubscriptions:
        return self._subscriptions

    @property
    def subscription_periods(self) -> MemorySubscriptionPeriods:
        return self._subscription_periods

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = self._log.mark()
        try:
            yield
        except BaseException:
            self._log.undo_to(mark)
            raise


class MemoryBackend:
    """partnerkit's tables in this process: for tests, prototypes and the docs' examples.

    Transactional like SQL (an undo log): a call that raises leaves nothing behind, and savepoints
    work. Nothing is kept once the process ends. `connect("memory://")` builds one.
    """

    def __init__(self) -> None:
        self._log = UndoLog()
        self._store = MemoryUnitOfWork(self._log)
        # Re-entrant so that a reader inside a writer's thread does not deadlock.
        self._lock = threading.RLock()
        self._depth = 0

    @property
    def name(self) -> str:
        """`"memory"`."""
        return "memory"

    @contextmanager
    def unit_of_work(self, *, readonly: bool = False) -> Iterator[MemoryUnitOfWork]:
        """Open one unit of work over every table (the kit does this for each service call).

        Units of work take turns; one opened inside another in the same thread joins it, and is
        undone with it.

        Args:
            readonly: A promise that the unit of work writes nothing (no effect in memory).

        Returns:
            A context manager giving the repositories; leaving it by an exception undoes the writes.

        Raises nothing of its own; an exception from the block is raised again after the undo.
        """
        with self._lock:
            # A unit of work opened inside another in the same thread joins it: its writes
            # are undone with the outer one's, which keeps every index in step with the rows.
            mark = self._log.mark()
            self._depth += 1
            try:
                yield self._store
            except BaseException:
                self._log.undo_to(mark)
                raise
            finally:
                self._depth -= 1
            if self._depth == 0:
                self._log.forget()

    def migrate(self) -> None:
        """Nothing to do: memory tables need no schema.

        Raises nothing.
        """

    def close(self) -> None:
        """Empty every table: the data is gone.

        Raises nothing.
        """
        with self._lock:
            self._log = UndoLog()
            self._store = MemoryUnitOfWork(self._log)

    def __repr__(self) -> str:
        return "MemoryBackend()"

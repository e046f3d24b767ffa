"""SqlUnitOfWork: every package's repositories over one connection, inside one transaction."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from partnerkit.backends.sql.access import SqlAuditEntries
from partnerkit.backends.sql.base import Tx
from partnerkit.backends.sql.billing import (
    SqlApplications,
    SqlBillingAccounts,
    SqlCreditNotes,
    SqlInvoices,
    SqlLedger,
    SqlPaymentMethods,
    SqlPayments,
    SqlRefunds,
    SqlTaxRates,
)
from partnerkit.backends.sql.catalog import SqlProducts
from partnerkit.backends.sql.commissions import SqlCommissionEntries, SqlCommissionPlans
from partnerkit.backends.sql.consents import SqlConsentRequests
from partnerkit.backends.sql.customers import SqlCustomers
from partnerkit.backends.sql.leads import SqlLeads
from partnerkit.backends.sql.outbox import SqlOutbox
from partnerkit.backends.sql.partners import SqlPartnerCodes, SqlPartners
from partnerkit.backends.sql.records import SqlPartnerRecords
from partnerkit.backends.sql.resellers import (
    SqlCustomerMigrations,
    SqlResellerCustomers,
    SqlResellerInvitations,
    SqlResellers,
    SqlResellerTags,
    SqlSalesOrders,
)
from partnerkit.backends.sql.signup_links import SqlSignupLinks
from partnerkit.backends.sql.subscriptions import (
    SqlAddons,
    SqlCoupons,
    SqlPlans,
    SqlSubscriptionPeriods,
    SqlSubscriptions,
)
from partnerkit.backends.sql.tracking import SqlTrackingEntries

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    # Repositories are made when first asked for: a unit of work uses a few of them.
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._tx = Tx(conn)

    @property
    def connection(self) -> Connection:
        return self._conn

    @functools.cached_property
    def products(self) -> SqlProducts:
        return SqlProducts(self._tx)

    @functools.cached_property
    def partners(self) -> SqlPartners:
        return SqlPartners(self._tx)

    @functools.cached_property
    def codes(self) -> SqlPartnerCodes:
        return SqlPartnerCodes(self._tx)

    @functools.cached_property
    def customers(self) -> SqlCustomers:
        return SqlCustomers(self._tx)

    @functools.cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self._tx)

    @functools.cached_property
    def audit(self) -> SqlAuditEntries:
        return SqlAuditEntries(self._tx)

    @functools.cached_property
    def records(self) -> SqlPartnerRecords:
        return SqlPartnerRecords(self._tx)

    @functools.cached_property
    def consents(self) -> SqlConsentRequests:
        return SqlConsentRequests(self._tx)

    @functools.cached_property
    def signup_links(self) -> SqlSignupLinks:
        return SqlSignupLinks(self._tx)

    @functools.cached_property
    def tracking(self) -> SqlTrackingEntries:
        return SqlTrackingEntries(self._tx)

    @functools.cached_property
    def commission_plans(self) -> SqlCommissionPlans:
        return SqlCommissionPlans(self._tx)

    @functools.cached_property
    def commissions(self) -> SqlCommissionEntries:
        return SqlCommissionEntries(self._tx)

    @functools.cached_property
    def leads(self) -> SqlLeads:
        return SqlLeads(self._tx)

    @functools.cached_property
    def billing_accounts(self) -> SqlBillingAccounts:
        return SqlBillingAccounts(self._tx)

    @functools.cached_property
    def tax_rates(self) -> SqlTaxRates:
        return SqlTaxRates(self._tx)

    @functools.cached_property
    def invoices(self) -> SqlInvoices:
        return SqlInvoices(self._tx)

    @functools.cached_property
    def payments(self) -> SqlPayments:
        return SqlPayments(self._tx)

    @functools.cached_property
    def payment_methods(self) -> SqlPaymentMethods:
        return SqlPaymentMethods(self._tx)

    @functools.cached_property
    def credit_notes(self) -> SqlCreditNotes:
        return SqlCreditNotes(self._tx)

    @functools.cached_property
    def applications(self) -> SqlApplications:
        return SqlApplications(self._tx)

    @functools.cached_property
    def refunds(self) -> SqlRefunds:
        return SqlRefunds(self._tx)

    @functools.cached_property
    def ledger(self) -> SqlLedger:
        return SqlLedger(self._tx)

    @functools.cached_property
    def resellers(self) -> SqlResellers:
        return SqlResellers(self._tx)

    @functools.cached_property
    def reseller_invitations(self) -> SqlResellerInvitations:
        return SqlResellerInvitations(self._tx)

    @functools.cached_property
    def reseller_customers(self) -> SqlResellerCustomers:
        return SqlResellerCustomers(self._tx)

    @functools.cached_property
    def reseller_tags(self) -> SqlResellerTags:
        return SqlResellerTags(self._tx)

    @functools.cached_property
    def sales_orders(self) -> SqlSalesOrders:
        return SqlSalesOrders(self._tx)

    @functools.cached_property
    def customer_migrations(self) -> SqlCustomerMigrations:
        return SqlCustomerMigrations(self._tx)

    @functools.cached_property
    def plans(self) -> SqlPlans:
        return SqlPlans(self._tx)

    @functools.cached_property
    def addons(self) -> SqlAddons:
        return SqlAddons(self._tx)

    @functools.cached_property
    def coupons(self) -> SqlCoupons:
        return SqlCoupons(self._tx)

    @functools.cached_property
    def subscriptions(self) -> SqlSubscriptions:
        return SqlSubscriptions(self._tx)

    @functools.cached_property
    def subscription_periods(self) -> SqlSubscriptionPeriods:
        return SqlSubscriptionPeriods(self._tx)

    def flush(self) -> None:
        """Write what waits for the commit (the outbox's messages); the backend calls it last."""
        self._tx.flush()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        # What was deferred before belongs to the enclosing transaction, not to the savepoint.
        self._tx.flush()
        try:
            with self._conn.begin_nested():
                yield
        except BaseException:
            # What was read or written inside may be undone now: write the next update by
            # difference from what is stored, not from what this unit of work saw, lock again
            # what it locked (PostgreSQL releases the locks taken inside), and drop the rows
            # deferred inside.
            self._tx.forget()
            raise

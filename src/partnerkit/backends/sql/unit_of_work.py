"""SqlUnitOfWork: every package's repositories over one connection, inside one transaction."""

from __future__ import annotations

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
from partnerkit.backends.sql.signup_links import SqlSignupLinks
from partnerkit.backends.sql.tracking import SqlTrackingEntries

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._tx = tx = Tx(conn)
        self._products = SqlProducts(tx)
        self._partners = SqlPartners(tx)
        self._codes = SqlPartnerCodes(tx)
        self._customers = SqlCustomers(tx)
        self._outbox = SqlOutbox(tx)
        self._audit = SqlAuditEntries(tx)
        self._records = SqlPartnerRecords(tx)
        self._consents = SqlConsentRequests(tx)
        self._signup_links = SqlSignupLinks(tx)
        self._tracking = SqlTrackingEntries(tx)
        self._commission_plans = SqlCommissionPlans(tx)
        self._commissions = SqlCommissionEntries(tx)
        self._leads = SqlLeads(tx)
        self._billing_accounts = SqlBillingAccounts(tx)
        self._tax_rates = SqlTaxRates(tx)
        self._invoices = SqlInvoices(tx)
        self._payments = SqlPayments(tx)
        self._credit_notes = SqlCreditNotes(tx)
        self._applications = SqlApplications(tx)
        self._refunds = SqlRefunds(tx)
        self._ledger = SqlLedger(tx)

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def products(self) -> SqlProducts:
        return self._products

    @property
    def partners(self) -> SqlPartners:
        return self._partners

    @property
    def codes(self) -> SqlPartnerCodes:
        return self._codes

    @property
    def customers(self) -> SqlCustomers:
        return self._customers

    @property
    def outbox(self) -> SqlOutbox:
        return self._outbox

    @property
    def audit(self) -> SqlAuditEntries:
        return self._audit

    @property
    def records(self) -> SqlPartnerRecords:
        return self._records

    @property
    def consents(self) -> SqlConsentRequests:
        return self._consents

    @property
    def signup_links(self) -> SqlSignupLinks:
        return self._signup_links

    @property
    def tracking(self) -> SqlTrackingEntries:
        return self._tracking

    @property
    def commission_plans(self) -> SqlCommissionPlans:
        return self._commission_plans

    @property
    def commissions(self) -> SqlCommissionEntries:
        return self._commissions

    @property
    def leads(self) -> SqlLeads:
        return self._leads

    @property
    def billing_accounts(self) -> SqlBillingAccounts:
        return self._billing_accounts

    @property
    def tax_rates(self) -> SqlTaxRates:
        return self._tax_rates

    @property
    def invoices(self) -> SqlInvoices:
        return self._invoices

    @property
    def payments(self) -> SqlPayments:
        return self._payments

    @property
    def credit_notes(self) -> SqlCreditNotes:
        return self._credit_notes

    @property
    def applications(self) -> SqlApplications:
        return self._applications

    @property
    def refunds(self) -> SqlRefunds:
        return self._refunds

    @property
    def ledger(self) -> SqlLedger:
        return self._ledger

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        try:
            with self._conn.begin_nested():
                yield
        except BaseException:
            # What was read or written inside may be undone now: write the next update by
            # difference from what is stored, not from what this unit of work saw.
            self._tx.loaded.clear()
            raise

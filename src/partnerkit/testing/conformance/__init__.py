"""The backend contract: what every backend must do, as pytest tests a subclass inherits.

partnerkit runs it over memory, SQLite, PostgreSQL and MariaDB. There is one contract class per
port, so a host that replaces one repository runs that port's contract alone; `BackendContract`
is all of them plus the end-to-end `ServiceContract`. Subclass one (as `TestMyBackend`) and
override the `backend` fixture to yield a fresh, empty backend. `PaymentGatewayContract` holds a
payment gateway adapter to the `PaymentGateway` port, on the gateway's sandbox.
"""

from __future__ import annotations

from partnerkit.testing.conformance._base import ContractBase
from partnerkit.testing.conformance.access import AccessServiceContract
from partnerkit.testing.conformance.addresses import AddressContract
from partnerkit.testing.conformance.audit import AuditEntriesContract
from partnerkit.testing.conformance.billing import (
    ApplicationsContract,
    BillingAccountsContract,
    CreditNotesContract,
    InvoicesContract,
    LedgerContract,
    PaymentMethodsContract,
    PaymentsContract,
    RefundsContract,
    TaxRatesContract,
)
from partnerkit.testing.conformance.codes import PartnerCodesContract
from partnerkit.testing.conformance.commissions import CommissionsContract
from partnerkit.testing.conformance.consents import ConsentRequestsContract
from partnerkit.testing.conformance.customers import CustomersContract
from partnerkit.testing.conformance.leads import LeadsContract
from partnerkit.testing.conformance.outbox import OutboxContract
from partnerkit.testing.conformance.partners import PartnersContract
from partnerkit.testing.conformance.payment_gateway import PaymentGatewayContract
from partnerkit.testing.conformance.products import ProductsContract
from partnerkit.testing.conformance.records import PartnerRecordsContract
from partnerkit.testing.conformance.resellers import (
    CustomerMigrationsContract,
    ResellerCustomersContract,
    ResellerInvitationsContract,
    ResellerPortalContract,
    ResellersContract,
    ResellerTagsContract,
    SalesOrdersContract,
)
from partnerkit.testing.conformance.services import ServiceContract
from partnerkit.testing.conformance.signup_links import SignupLinksContract
from partnerkit.testing.conformance.subscriptions import (
    CouponsContract,
    SubscriptionPeriodsContract,
    SubscriptionsContract,
)
from partnerkit.testing.conformance.tracking import TrackingEntriesContract
from partnerkit.testing.conformance.unit_of_work import UnitOfWorkContract

__all__ = [
    "AccessServiceContract",
    "AddressContract",
    "ApplicationsContract",
    "AuditEntriesContract",
    "BackendContract",
    "BillingAccountsContract",
    "CommissionsContract",
    "ConsentRequestsContract",
    "ContractBase",
    "CouponsContract",
    "CreditNotesContract",
    "CustomerMigrationsContract",
    "CustomersContract",
    "InvoicesContract",
    "LeadsContract",
    "LedgerContract",
    "OutboxContract",
    "PartnerCodesContract",
    "PartnerRecordsContract",
    "PartnersContract",
    "PaymentGatewayContract",
    "PaymentMethodsContract",
    "PaymentsContract",
    "ProductsContract",
    "RefundsContract",
    "ResellerCustomersContract",
    "ResellerInvitationsContract",
    "ResellerPortalContract",
    "ResellerTagsContract",
    "ResellersContract",
    "SalesOrdersContract",
    "ServiceContract",
    "SignupLinksContract",
    "SubscriptionPeriodsContract",
    "SubscriptionsContract",
    "TaxRatesContract",
    "TrackingEntriesContract",
    "UnitOfWorkContract",
]


class BackendContract(
    AddressContract,
    ProductsContract,
    PartnersContract,
    PartnerCodesContract,
    CustomersContract,
    OutboxContract,
    AuditEntriesContract,
    UnitOfWorkContract,
    PartnerRecordsContract,
    ConsentRequestsContract,
    SignupLinksContract,
    TrackingEntriesContract,
    CommissionsContract,
    LeadsContract,
    BillingAccountsContract,
    TaxRatesContract,
    InvoicesContract,
    PaymentMethodsContract,
    PaymentsContract,
    CreditNotesContract,
    ApplicationsContract,
    RefundsContract,
    LedgerContract,
    ResellersContract,
    ResellerInvitationsContract,
    ResellerCustomersContract,
    ResellerTagsContract,
    SalesOrdersContract,
    CustomerMigrationsContract,
    ResellerPortalContract,
    SubscriptionsContract,
    SubscriptionPeriodsContract,
    CouponsContract,
    ServiceContract,
    AccessServiceContract,
):
    """Every port's contract and the service contract: the whole contract of a backend.

    Subclass it in a test module, as `TestMyBackend(BackendContract)`, and override the `backend`
    fixture to yield a fresh, empty backend; pytest then runs every contract test on it. A host that
    replaces one repository subclasses that port's contract alone (such as `PartnersContract`).
    """

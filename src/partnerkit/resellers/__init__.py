"""The reseller portal (`kit.resellers`, 004 seed): resellers invited by staff, their customers
(details, payment methods through billing, tags, archive), their orders and their invoices
through billing, and a customer's move to a reseller portal of its own.

`install()` wires the service and tells the access guard which customers a reseller manages.
"""

from __future__ import annotations

from typing import cast

from partnerkit.access.guard import ResellerScope
from partnerkit.billing.events import InvoiceVoided
from partnerkit.billing.service import BillingService
from partnerkit.ports import UnitOfWork
from partnerkit.resellers.accounts import Reseller, ResellerInvitation, ResellerStatus
from partnerkit.resellers.clients import (
    CustomerQuery,
    CustomerSort,
    ResellerCustomer,
    ResellerTag,
    TagMatch,
)
from partnerkit.resellers.migrations import CustomerMigration
from partnerkit.resellers.orders import OrderAction, OrderLine, OrderStatus, SalesOrder
from partnerkit.resellers.policy import ResellerPolicy
from partnerkit.resellers.ports import ResellersStore
from partnerkit.resellers.service import ResellersService, migrated_refusal
from partnerkit.wiring import Wiring

__all__ = [
    "CustomerMigration",
    "CustomerQuery",
    "CustomerSort",
    "OrderAction",
    "OrderLine",
    "OrderStatus",
    "Reseller",
    "ResellerCustomer",
    "ResellerInvitation",
    "ResellerPolicy",
    "ResellerStatus",
    "ResellerTag",
    "ResellersService",
    "SalesOrder",
    "TagMatch",
    "install",
    "scope_of",
]


def scope_of(uow: UnitOfWork, reseller_id: str, customer_id: str) -> ResellerScope | None:
    """The reseller's scope over a customer: it manages the customer, keeps a read-only trace
    of one that moved to its own portal, or has nothing to do with it (None).

    Args:
        uow: The unit of work to read in.
        reseller_id: The reseller.
        customer_id: The customer account.

    Returns:
        The scope, or None.

    Raises nothing of its own; a storage error passes through.
    """
    store = cast(ResellersStore, uow)
    link = store.reseller_customers.get(customer_id)
    if link is not None and link.reseller_id == reseller_id:
        return ResellerScope.MANAGES
    if store.customer_migrations.trace(reseller_id, customer_id) is not None:
        return ResellerScope.TRACE
    return None


def install(wiring: Wiring[ResellersStore], *, billing: BillingService) -> ResellersService:
    """Wire the reseller portal into a kit: `kit.resellers`, and the reseller-to-customer tie
    the access guard checks every reseller call against (billing's saved payment methods
    included).

    Args:
        wiring: The kit's wiring.
        billing: The billing service an order's invoice goes through.

    Returns:
        The service.

    Raises nothing.
    """
    wiring.tie_resellers(scope_of, migrated_refusal)
    service = ResellersService(wiring.runtime, wiring.policy(ResellerPolicy), billing)
    wiring.on(InvoiceVoided, service.on_invoice_voided)
    return service

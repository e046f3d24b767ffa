"""What the reseller portal announces: a reseller invited and joined, a customer created,
archived or unarchived, an order placed, moved on or invoiced, a customer migrated to its own
portal."""

from __future__ import annotations

from typing import ClassVar

import attrs

from partnerkit.events import Event
from partnerkit.money import Money

__all__ = [
    "CustomerArchived",
    "CustomerMigrated",
    "CustomerUnarchived",
    "ResellerCustomerCreated",
    "ResellerInvited",
    "ResellerJoined",
    "SalesOrderChanged",
    "SalesOrderInvoiced",
    "SalesOrderPlaced",
]


@attrs.frozen
class ResellerInvited(Event):
    TOPIC: ClassVar[str] = "resellers.invited"
    reseller_id: str
    invitation_id: str


@attrs.frozen
class ResellerJoined(Event):
    """The invitation was accepted: the reseller's portal is open."""

    TOPIC: ClassVar[str] = "resellers.joined"
    reseller_id: str
    email: str


@attrs.frozen
class ResellerCustomerCreated(Event):
    TOPIC: ClassVar[str] = "resellers.customer_created"
    reseller_id: str
    customer_id: str


@attrs.frozen
class CustomerArchived(Event):
    TOPIC: ClassVar[str] = "resellers.customer_archived"
    reseller_id: str
    customer_id: str


@attrs.frozen
class CustomerUnarchived(Event):
    TOPIC: ClassVar[str] = "resellers.customer_unarchived"
    reseller_id: str
    customer_id: str


@attrs.frozen
class SalesOrderPlaced(Event):
    TOPIC: ClassVar[str] = "resellers.order_placed"
    order_id: str
    reseller_id: str
    customer_id: str
    total: Money


@attrs.frozen
class SalesOrderChanged(Event):
    """An order was confirmed, fulfilled or cancelled."""

    TOPIC: ClassVar[str] = "resellers.order_changed"
    order_id: str
    customer_id: str
    status: str


@attrs.frozen
class SalesOrderInvoiced(Event):
    """An order was invoiced through billing (`kit.resellers.invoice_order`)."""

    TOPIC: ClassVar[str] = "resellers.order_invoiced"
    order_id: str
    customer_id: str
    invoice_id: str
    total: Money
    by: str


@attrs.frozen
class CustomerMigrated(Event):
    """A customer moved to its own reseller portal (004 seed)."""

    TOPIC: ClassVar[str] = "resellers.customer_migrated"
    customer_id: str
    from_reseller_id: str
    to_reseller_id: str
    by: str

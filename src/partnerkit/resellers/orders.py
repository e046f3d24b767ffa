"""Sales orders a reseller places for its customers (004 seed: "where you also manage your
orders"): lines from the catalog, a small status table, a total that is the exact sum of its
lines, and the one invoice that bills a confirmed order. The rules here are pure: the service
passes them what it read.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import attrs

from partnerkit.money import Money
from partnerkit.resellers.errors import (
    InvalidOrderTransitionError,
    MixedCurrenciesError,
    OrderEmptyError,
    OrderInvoicedError,
    OrderNotConfirmedError,
)

__all__ = [
    "INVOICEABLE",
    "TRANSITIONS",
    "OrderAction",
    "OrderLine",
    "OrderStatus",
    "SalesOrder",
    "check_invoiceable",
    "next_status",
    "order_total",
    "transition",
]


class OrderStatus(enum.StrEnum):
    """Where an order is: drafted, confirmed by the customer, fulfilled, or cancelled."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


class OrderAction(enum.StrEnum):
    """What can be done to an order."""

    CONFIRM = "confirm"
    FULFIL = "fulfil"
    CANCEL = "cancel"


#: (status, action) -> the status it leads to; what is not here is refused.
TRANSITIONS: dict[tuple[OrderStatus, OrderAction], OrderStatus] = {
    (OrderStatus.DRAFT, OrderAction.CONFIRM): OrderStatus.CONFIRMED,
    (OrderStatus.DRAFT, OrderAction.CANCEL): OrderStatus.CANCELLED,
    (OrderStatus.CONFIRMED, OrderAction.FULFIL): OrderStatus.FULFILLED,
    (OrderStatus.CONFIRMED, OrderAction.CANCEL): OrderStatus.CANCELLED,
}

#: The statuses an order is invoiced from: the customer confirmed it (and it may be fulfilled).
INVOICEABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.FULFILLED})

_WORDS = {
    OrderAction.CONFIRM: "confirmed",
    OrderAction.FULFIL: "fulfilled",
    OrderAction.CANCEL: "cancelled",
}


def transition(status: OrderStatus, action: OrderAction) -> OrderStatus:
    """The status an action leads to, or the refusal.

    Args:
        status: The order's status.
        action: What is asked.

    Returns:
        The new status.

    Raises:
        InvalidOrderTransitionError: The table has no such move
            (`resellers.invalid_order_transition`).
    """
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise InvalidOrderTransitionError(
            f"A {status.value} order cannot be {_WORDS[action]}.",
            details={"status": status.value, "action": action.value},
        )
    return found


@attrs.frozen
class OrderLine:
    """One line of an order: a catalog product, how many, at what unit price.

    Attributes:
        product: The catalog key of the product.
        quantity: How many, 1 or more.
        unit_price: The price of one.
    """

    product: str
    quantity: int
    unit_price: Money

    @property
    def amount(self) -> Money:
        """The line's amount: the unit price times the quantity, exactly."""
        return self.unit_price * self.quantity


def order_total(lines: Sequence[OrderLine]) -> Money:
    """The exact sum of the lines' amounts, in their one currency.

    Args:
        lines: The order's lines.

    Returns:
        The total.

    Raises:
        OrderEmptyError: No lines (`resellers.order_empty`).
        MixedCurrenciesError: Lines in two currencies (`resellers.mixed_currencies`).
    """
    if not lines:
        raise OrderEmptyError("The order has no lines.", field="lines")
    currencies = sorted({line.unit_price.currency for line in lines})
    if len(currencies) > 1:
        raise MixedCurrenciesError(
            "The lines are priced in " + ", ".join(currencies) + ".", field="lines"
        )
    total = Money.zero(currencies[0])
    for line in lines:
        total = total + line.amount
    return total


@attrs.frozen
class SalesOrder:
    """An order a reseller placed for one of its customers.

    Attributes:
        id: The order's id.
        customer_id: The customer it is for; it stays with the customer when the customer
            moves to its own reseller portal.
        reseller_id: The reseller that placed it.
        status: Draft, confirmed, fulfilled or cancelled.
        lines: What is ordered.
        total: The exact sum of the lines.
        created_at: When it was placed.
        created_by: Who placed it.
        updated_at: When its status last changed.
        invoice_id: The invoice that bills it (`kit.resellers.invoice_order`); None until then.
        version: Increases with each change (optimistic concurrency).
    """

    id: str
    customer_id: str
    reseller_id: str
    status: OrderStatus
    lines: tuple[OrderLine, ...]
    total: Money
    created_at: datetime
    created_by: str
    updated_at: datetime
    invoice_id: str | None = None
    version: int = 1


def next_status(order: SalesOrder, action: OrderAction) -> OrderStatus:
    """The status an action leads an order to: the status table's, and an invoiced order is
    not cancelled (its invoice would bill nothing).

    Args:
        order: The order as stored.
        action: What is asked.

    Returns:
        The new status.

    Raises:
        OrderInvoicedError: A cancellation of an invoiced order (`resellers.order_invoiced`).
        InvalidOrderTransitionError: The table has no such move
            (`resellers.invalid_order_transition`).
    """
    if action is OrderAction.CANCEL and order.invoice_id is not None:
        raise OrderInvoicedError(
            "This order has an invoice: it cannot be cancelled.",
            details={"order_id": order.id, "invoice_id": order.invoice_id},
        )
    return transition(order.status, action)


def check_invoiceable(order: SalesOrder) -> None:
    """Refuse to invoice an order that is not confirmed, or that has its invoice already.

    Args:
        order: The order as stored (read under its row lock, so two invoicers take turns).

    Raises:
        OrderInvoicedError: The order has its invoice (`resellers.order_invoiced`).
        OrderNotConfirmedError: A draft or cancelled order (`resellers.order_not_confirmed`).
    """
    if order.invoice_id is not None:
        raise OrderInvoicedError(
            "This order is invoiced already.",
            details={"order_id": order.id, "invoice_id": order.invoice_id},
        )
    if order.status not in INVOICEABLE:
        raise OrderNotConfirmedError(
            f"A {order.status.value} order cannot be invoiced: confirm it first.",
            details={"order_id": order.id, "status": order.status.value},
        )

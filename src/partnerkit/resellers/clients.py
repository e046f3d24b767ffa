"""A reseller's customers as values: the link from a reseller to the customer account it
manages, with the portal's details, tags and archive flag, and the list's query (004 seed,
"How to Manage a Customer as a Reseller").
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = [
    "DETAIL_FIELDS",
    "CustomerQuery",
    "CustomerSort",
    "ResellerCustomer",
    "ResellerTag",
    "TagMatch",
]

#: The contact, shipping and company details a reseller keeps for a customer, in this order.
DETAIL_FIELDS = (
    "contact_name",
    "contact_phone",
    "shipping_line1",
    "shipping_line2",
    "shipping_city",
    "shipping_postal_code",
    "shipping_country",
    "company_name",
    "company_tax_id",
)


@attrs.frozen
class ResellerCustomer:
    """A customer in a reseller's portal: a `partnerkit.customers` account, managed by the
    reseller, with the details the portal keeps.

    Attributes:
        customer_id: The customer account (`kit.customers`, billing's payment methods).
        reseller_id: The reseller that manages it.
        name: The customer's name.
        email: The customer's email; one customer per email within a reseller.
        archived: Archived customers leave the default list; nothing of theirs is lost.
        created_at: When the reseller created it.
        created_by: Who created it.
        archived_at: When it was last archived; None while it is not.
        contact_name: The person to contact.
        contact_phone: Their phone number.
        shipping_line1: The shipping address, first line.
        shipping_line2: Its second line.
        shipping_city: Its city.
        shipping_postal_code: Its postal code.
        shipping_country: Its country.
        company_name: The company's legal name.
        company_tax_id: Its tax or VAT number.
        version: Increases with each change (optimistic concurrency).
    """

    customer_id: str
    reseller_id: str
    name: str
    email: str
    archived: bool
    created_at: datetime
    created_by: str
    archived_at: datetime | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    shipping_line1: str | None = None
    shipping_line2: str | None = None
    shipping_city: str | None = None
    shipping_postal_code: str | None = None
    shipping_country: str | None = None
    company_name: str | None = None
    company_tax_id: str | None = None
    version: int = 1

    @property
    def id(self) -> str:
        """The customer's id (the repository's key)."""
        return self.customer_id


@attrs.frozen
class ResellerTag:
    """A reseller's tag, to group its customers ("priority customers").

    Attributes:
        id: The tag's id.
        reseller_id: Whose tag it is.
        name: The tag as the reseller wrote it.
        key: Its name in lower case: one tag per key within a reseller.
        created_at: When it was made.
    """

    id: str
    reseller_id: str
    name: str
    key: str
    created_at: datetime


class TagMatch(enum.StrEnum):
    """How a list filtered by several tags matches: customers with any of them, or all."""

    ANY = "any"
    ALL = "all"


class CustomerSort(enum.StrEnum):
    """What the customer list is sorted by (then by customer id)."""

    NAME = "name"
    EMAIL = "email"
    CREATED = "created"


@attrs.frozen
class CustomerQuery:
    """A page of a reseller's customer list: filters, order and window.

    Attributes:
        archived: False for the default list, True for the archived customers only, None for
            both.
        tag_ids: Only customers with these tags (as `match` says).
        match: Any or all of `tag_ids`.
        search: Only customers whose name or email contains this text, in any case.
        sort: Name, email or creation time.
        descending: Largest first.
        limit: At most this many.
        offset: Skip this many first.
    """

    archived: bool | None = False
    tag_ids: tuple[str, ...] = ()
    match: TagMatch = TagMatch.ANY
    search: str | None = None
    sort: CustomerSort = CustomerSort.NAME
    descending: bool = False
    limit: int = 50
    offset: int = 0

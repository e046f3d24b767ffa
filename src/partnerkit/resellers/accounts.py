"""Resellers and their invitations as values: who sells for the company, and the single-use,
expiring link that opens the reseller portal (004 seed: "you will access your portal via an
email invite that is sent by the company you are working for").
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["Reseller", "ResellerInvitation", "ResellerStatus"]


class ResellerStatus(enum.StrEnum):
    """Whether the reseller has opened its portal yet."""

    INVITED = "invited"
    ACTIVE = "active"


@attrs.frozen
class Reseller:
    """A reseller: a company that sells the vendor's products to customers of its own.

    Attributes:
        id: The reseller's id.
        name: The company's name.
        email: Where its invitation went; its first user signs in with it.
        status: Invited until the invitation is accepted, then active.
        created_at: When it was invited.
        invited_by: Who invited it (staff, or the reseller a customer migrated from).
        from_customer_id: The customer it grew out of, for a portal made by a migration.
        version: Increases with each change (optimistic concurrency).
    """

    id: str
    name: str
    email: str
    status: ResellerStatus
    created_at: datetime
    invited_by: str
    from_customer_id: str | None = None
    version: int = 1


@attrs.frozen
class ResellerInvitation:
    """An invitation to a reseller portal: single-use, expiring, its token stored as a hash.

    Attributes:
        id: The invitation's id (the secret key derives the emailed token from it).
        reseller_id: The reseller it opens.
        email: Who it was sent to.
        token_hash: The SHA-256 hash of the emailed token; the token itself is never stored.
        created_at: When it was sent.
        expires_at: When it stops working.
        accepted_at: When it was used; None while it waits.
        version: Increases with each change.
    """

    id: str
    reseller_id: str
    email: str
    token_hash: str = attrs.field(repr=False)
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    version: int = 1

"""Who is acting, and what they may see and change: the `Principal` every call made for a
person takes as `actor=`, and the one `Guard` every package asks before it reads or writes.

This package sits beside the kernel: it imports no domain package, so every domain package
(and the ones to come: billing, the portals, resellers) can use it.
"""

from __future__ import annotations

from partnerkit.access.errors import (
    InvalidActorError,
    NotAPartyError,
    NotCustomerAdminError,
    StaffOnlyError,
)
from partnerkit.access.guard import Account, Association, Guard, NotFound, Tie
from partnerkit.access.principal import Principal, Role

__all__ = [
    "Account",
    "Association",
    "Guard",
    "InvalidActorError",
    "NotAPartyError",
    "NotCustomerAdminError",
    "NotFound",
    "Principal",
    "Role",
    "StaffOnlyError",
    "Tie",
]

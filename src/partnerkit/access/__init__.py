"""Who is acting, and what they may see and change: the `Principal` every call made for a
person takes as `actor=`, and the one `Guard` every package asks before it reads or writes.

This package sits beside the kernel: it imports no domain package, so every domain package
(and the ones to come: billing, the portals, resellers) can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partnerkit.access.audit import AuditEntry, AuditKind
from partnerkit.access.disclosure import (
    Decision,
    DisclosureReason,
    Evidence,
    EvidenceKind,
    decide_disclosure,
)
from partnerkit.access.errors import (
    AdminOutsideDomainsError,
    InvalidActorError,
    NotAPartyError,
    NotCustomerAdminError,
    PartnerAdminError,
    StaffOnlyError,
)
from partnerkit.access.guard import (
    Account,
    Association,
    DisclosedAccount,
    Guard,
    NotFound,
    Tie,
)
from partnerkit.access.principal import Principal, Role

if TYPE_CHECKING:
    from partnerkit.access.service import AccessService
    from partnerkit.ports import UnitOfWork
    from partnerkit.wiring import Wiring

__all__ = [
    "Account",
    "AdminOutsideDomainsError",
    "Association",
    "AuditEntry",
    "AuditKind",
    "Decision",
    "DisclosedAccount",
    "DisclosureReason",
    "Evidence",
    "EvidenceKind",
    "Guard",
    "InvalidActorError",
    "NotAPartyError",
    "NotCustomerAdminError",
    "NotFound",
    "PartnerAdminError",
    "Principal",
    "Role",
    "StaffOnlyError",
    "Tie",
    "decide_disclosure",
    "install",
]


def install(wiring: Wiring[UnitOfWork]) -> AccessService:
    """Wire access into a kit: `kit.access` (the disclosure decision, association evidence,
    the audit trail). The domain packages register what it reads through their own `install()`
    (accounts, the partners an address belongs to, evidence), so install it first or last.

    Args:
        wiring: The kit's wiring.

    Returns:
        The service the kit exposes as `kit.access`.

    Raises nothing.
    """
    # Imported here: the service needs the runtime, which imports this package's guard.
    from partnerkit.access.service import AccessService

    return AccessService(wiring.runtime)

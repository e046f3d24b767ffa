"""The one place that decides whether a principal may see or change a record.

Packages register *associations* (how a partner comes to be tied to a customer: partner of
record, a pending request, a tracking entry, later a shared lead or a reseller price) through
their `install()`; services ask the guard. A record the actor may not see is reported exactly
like a missing one, so a foreign id tells nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from partnerkit.access.errors import StaffOnlyError
from partnerkit.access.principal import Principal, Role, require_principal
from partnerkit.ports import UnitOfWork

__all__ = ["Association", "Guard"]

#: (unit of work, partner id, customer id) -> whether they are associated.
Association = Callable[[UnitOfWork, str, str], bool]


class Guard:
    """Decides what a principal may see and change; the checks every package calls."""

    def __init__(self) -> None:
        self._associations: list[tuple[str, Association]] = []

    def add_association(self, name: str, association: Association) -> None:
        """Count `association` as a tie between a partner and a customer (by `install()`)."""
        self._associations.append((name, association))

    def associations(self, uow: UnitOfWork, partner_id: str, customer_id: str) -> list[str]:
        """The names of the ties between the partner and the customer, in registration order."""
        return [name for name, tie in self._associations if tie(uow, partner_id, customer_id)]

    def sees_customer(self, uow: UnitOfWork, actor: object, customer_id: str) -> bool:
        """Staff and the system see every account; a customer user sees their own; a partner
        user sees the accounts its partner is associated with; nobody else sees any."""
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            return True
        if principal.role is Role.CUSTOMER_USER:
            return principal.customer_id == customer_id
        if principal.role is Role.PARTNER_USER and principal.partner_id is not None:
            return any(tie(uow, principal.partner_id, customer_id) for _, tie in self._associations)
        return False

    @staticmethod
    def acts_for_partner(actor: object, partner_id: str) -> bool:
        """Staff and the system act for any partner; a partner user only for its own."""
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            return True
        return principal.role is Role.PARTNER_USER and principal.partner_id == partner_id

    @staticmethod
    def is_customer_user(actor: object, customer_id: str) -> Principal | None:
        """The actor when it is a user of this customer (admin or not), else None."""
        principal = require_principal(actor)
        if principal.role is Role.CUSTOMER_USER and principal.customer_id == customer_id:
            return principal
        return None

    @staticmethod
    def require_staff(actor: object, action: str) -> Principal:
        """Operator actions (deactivate, reactivate, record written consent, unmap)."""
        principal = require_principal(actor)
        if not principal.is_staff_or_system:
            raise StaffOnlyError(
                f"only the partner team can {action}",
                details={"by": principal.label, "role": principal.role.value},
            )
        return principal

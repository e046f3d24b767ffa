"""The person (or process) a call is made for: a customer's user, a partner's user, a reseller's
user, a member of staff, or the system itself (scheduled jobs, the CLI's tour)."""

from __future__ import annotations

import enum

import attrs

from partnerkit import validate
from partnerkit.access.errors import InvalidActorError

__all__ = ["Principal", "Role", "require_principal"]


class Role(enum.StrEnum):
    CUSTOMER_USER = "customer_user"
    PARTNER_USER = "partner_user"
    RESELLER_USER = "reseller_user"
    #: The vendor's own people: the partner team, support, finance.
    STAFF = "staff"
    #: partnerkit or the host acting on its own (due jobs, imports, the tour).
    SYSTEM = "system"


@attrs.frozen
class Principal:
    """Who acts. Build one with the class methods; the host authenticates, partnerkit decides
    what the principal may do. A customer user's admin rights are read from the stored account,
    never taken from the principal."""

    role: Role
    #: The person's sign-in email; for the system, a name such as "partnerkit".
    name: str
    customer_id: str | None = None
    partner_id: str | None = None
    reseller_id: str | None = None

    @classmethod
    def customer_user(cls, customer_id: str, email: str) -> Principal:
        return cls(
            Role.CUSTOMER_USER,
            validate.email(email, "actor.email"),
            customer_id=validate.text(customer_id, "actor.customer_id", max_length=40),
        )

    @classmethod
    def partner_user(cls, partner_id: str, email: str) -> Principal:
        return cls(
            Role.PARTNER_USER,
            validate.email(email, "actor.email"),
            partner_id=validate.text(partner_id, "actor.partner_id", max_length=40),
        )

    @classmethod
    def reseller_user(cls, reseller_id: str, email: str) -> Principal:
        return cls(
            Role.RESELLER_USER,
            validate.email(email, "actor.email"),
            reseller_id=validate.text(reseller_id, "actor.reseller_id", max_length=40),
        )

    @classmethod
    def staff(cls, email: str) -> Principal:
        return cls(Role.STAFF, validate.email(email, "actor.email"))

    @classmethod
    def system(cls, name: str = "partnerkit") -> Principal:
        return cls(Role.SYSTEM, validate.text(name, "actor.name", max_length=100))

    @property
    def is_staff_or_system(self) -> bool:
        return self.role in (Role.STAFF, Role.SYSTEM)

    @property
    def label(self) -> str:
        """How records and the audit trail name this principal ("by")."""
        return self.name


def require_principal(actor: object) -> Principal:
    """The actor, or InvalidActorError: a call made for a person must say who."""
    if not isinstance(actor, Principal):
        raise InvalidActorError(
            field="actor", hint=f"actor must be a Principal, not {type(actor).__name__}"
        )
    return actor

"""The person (or process) a call is made for: a customer's user, a partner's user, a reseller's
user, a member of staff, or the system itself (scheduled jobs, the CLI's tour)."""

from __future__ import annotations

import enum

import attrs

from partnerkit import validate
from partnerkit.access.errors import InvalidActorError

__all__ = ["Principal", "Role", "require_principal"]


class Role(enum.StrEnum):
    """What a principal is: a customer's, partner's or reseller's user, staff, or the system."""

    CUSTOMER_USER = "customer_user"
    PARTNER_USER = "partner_user"
    RESELLER_USER = "reseller_user"
    #: The vendor's own people: the partner team, support, finance.
    STAFF = "staff"
    #: partnerkit or the host acting on its own (due jobs, imports, the tour).
    SYSTEM = "system"


@attrs.frozen
class Principal:
    """Who a call is made for. Build one with the class methods and pass it as `actor=`.

    The host authenticates the person; partnerkit decides what the principal may see and do. A
    customer user's admin rights are read from the stored account, never taken from the principal,
    so a principal cannot grant itself anything.

    Attributes:
        role: Which kind of principal it is.
        name: The person's sign-in email; for the system, a name such as "partnerkit".
        customer_id: The account of a customer user; None for the others.
        partner_id: The partner of a partner user; None for the others.
        reseller_id: The reseller of a reseller user; None for the others.
    """

    role: Role
    #: The person's sign-in email; for the system, a name such as "partnerkit".
    name: str
    customer_id: str | None = None
    partner_id: str | None = None
    reseller_id: str | None = None

    @classmethod
    def customer_user(cls, customer_id: str, email: str) -> Principal:
        """A user of a customer account, signed in with `email`.

        Args:
            customer_id: The user's account.
            email: The user's sign-in email; whether they are an admin is read from the account.

        Returns:
            The principal.

        Raises:
            InvalidInputError: `email` is not a valid address (`validation.invalid`, field
                `actor.email`).
            InvalidInputError: `customer_id` is empty or too long (`validation.invalid`).
        """
        return cls(
            Role.CUSTOMER_USER,
            validate.email(email, "actor.email"),
            customer_id=validate.text(customer_id, "actor.customer_id", max_length=40),
        )

    @classmethod
    def partner_user(cls, partner_id: str, email: str) -> Principal:
        """A user of a partner, signed in with `email`: acts for that partner only.

        Args:
            partner_id: The user's partner.
            email: The user's sign-in email.

        Returns:
            The principal.

        Raises:
            InvalidInputError: `email` is not a valid address (`validation.invalid`, field
                `actor.email`).
            InvalidInputError: `partner_id` is empty or too long (`validation.invalid`).
        """
        return cls(
            Role.PARTNER_USER,
            validate.email(email, "actor.email"),
            partner_id=validate.text(partner_id, "actor.partner_id", max_length=40),
        )

    @classmethod
    def reseller_user(cls, reseller_id: str, email: str) -> Principal:
        """A user of a reseller; the partner program gives reseller users no rights yet.

        Args:
            reseller_id: The user's reseller.
            email: The user's sign-in email.

        Returns:
            The principal.

        Raises:
            InvalidInputError: `email` is not a valid address (`validation.invalid`, field
                `actor.email`).
            InvalidInputError: `reseller_id` is empty or too long (`validation.invalid`).
        """
        return cls(
            Role.RESELLER_USER,
            validate.email(email, "actor.email"),
            reseller_id=validate.text(reseller_id, "actor.reseller_id", max_length=40),
        )

    @classmethod
    def staff(cls, email: str) -> Principal:
        """A member of the vendor's own staff: the partner team, support, finance.

        Staff see every account and do the operator actions (deactivate a partner, record written
        consent, unmap), but not the customer's own acts (tagging, transfers).

        Args:
            email: The staff member's sign-in email.

        Returns:
            The principal.

        Raises:
            InvalidInputError: `email` is not a valid address (`validation.invalid`, field
                `actor.email`).
        """
        return cls(Role.STAFF, validate.email(email, "actor.email"))

    @classmethod
    def system(cls, name: str = "partnerkit") -> Principal:
        """partnerkit or the host acting on its own: due jobs, imports, a billing run, the tour.

        Args:
            name: Who acts, for the records' "by", such as `"billing"`.

        Returns:
            The principal.

        Raises:
            InvalidInputError: `name` is empty or longer than 100 characters (`validation.invalid`).
        """
        return cls(Role.SYSTEM, validate.text(name, "actor.name", max_length=100))

    @property
    def is_staff_or_system(self) -> bool:
        """Whether the principal is staff or the system, who see every account."""
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

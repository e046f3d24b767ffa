"""The one place that decides whether a principal may see or change a record.

Packages register *associations* (how a partner comes to be tied to a customer: partner of
record, a pending request, a tracking entry, later a shared lead or a reseller price) through
their `install()`; services ask the guard. A record the actor may not see is reported exactly
like a missing one, so a foreign id tells nothing: every `require_*` method takes the
`not_found` the service raises for a missing id, and raises that very error.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Protocol

import attrs

from partnerkit import validate
from partnerkit.access.disclosure import Evidence
from partnerkit.access.errors import (
    AdminOutsideDomainsError,
    NotAPartyError,
    NotCustomerAdminError,
    PartnerAdminError,
    StaffOnlyError,
)
from partnerkit.access.principal import Principal, Role, require_principal
from partnerkit.errors import ConfigurationError, PartnerkitError
from partnerkit.ports import UnitOfWork

__all__ = [
    "Account",
    "AccountLoader",
    "Association",
    "DisclosedAccount",
    "EvidenceSource",
    "Guard",
    "NotFound",
    "PartnerFinder",
    "ResellerScope",
    "ResellerTie",
    "Tie",
    "admin_domains",
]


class Association(Protocol):
    """How a partner comes to be tied to a customer: `(uow, partner_id, customer_id) -> bool`.

    A package registers its associations (partner of record, a pending request, a tracking entry)
    with `Guard.add_association`; the guard asks them whether a partner may see an account.
    """

    def __call__(self, uow: UnitOfWork, partner_id: str, customer_id: str, /) -> bool: ...


#: Builds the error a service raises for a missing record; the guard raises the same for a
#: record the actor may not see.
NotFound = Callable[[], PartnerkitError]


@attrs.frozen
class Tie:
    """An association with what the guard may do with it beyond the yes-or-no question.

    A plain callable is a `Tie` that grants sight and cannot list; a package registers a `Tie` when
    its association can list a partner's customers (so a partner's listing costs what its own
    customers cost, not a scan of every account), or when it is evidence only.

    Attributes:
        holds: The association itself.
        customers_of: Lists the ids of the customers tied to a partner; None when it cannot.
        grants_sight: Whether the tie lets the partner see the account. A tie the partner makes on
            its own, without the customer (a tracking entry), is evidence only: if it granted sight,
            typing an email would open that account to any partner.
    """

    holds: Association
    #: The ids of the customers tied to a partner, for listings.
    customers_of: Callable[[UnitOfWork, str], Iterable[str]] | None = None
    #: Whether the tie lets the partner see the account. A tie the partner makes on its own,
    #: without the customer (a tracking entry), is evidence only: if it granted sight, typing an
    #: email would open that account to any partner.
    grants_sight: bool = True

    def __call__(self, uow: UnitOfWork, partner_id: str, customer_id: str, /) -> bool:
        return self.holds(uow, partner_id, customer_id)


class Account(Protocol):
    """What the guard reads of a customer account; a `Customer` is one."""

    @property
    def id(self) -> str:
        """The account's id."""

    @property
    def name(self) -> str:
        """The account's name, for messages."""

    def is_admin(self, email: str) -> bool:
        """Whether the user with this email is an admin of the account.

        Args:
            email: The user's email.

        Returns:
            True for an admin.

        Raises nothing.
        """


class DisclosedAccount(Account, Protocol):
    """What the disclosure rule and the admin protection read of an account: its domains and
    its users (a `Customer` is one)."""

    @property
    def domains(self) -> tuple[str, ...]:
        """The account's own email domains, in the stored form."""

    @property
    def admins(self) -> Sequence[object]:
        """The account's admin users."""

    def user(self, email: str) -> object | None:
        """The account's user with this email.

        Args:
            email: The address, however it is written.

        Returns:
            The user, or None for an address no user of the account has.

        Raises nothing.
        """


class ResellerScope(enum.Enum):
    """What a reseller may do with a customer: manage it, or only read the trace a customer
    that moved to its own reseller portal left behind (004 seed, "Migrating customers")."""

    MANAGES = "manages"
    TRACE = "trace"


#: (unit of work, reseller id, customer id) -> the reseller's scope over the customer, or None
#: when the customer is not the reseller's (registered by the resellers package).
ResellerTie = Callable[[UnitOfWork, str, str], ResellerScope | None]

#: (unit of work, partner id, customer id) -> the facts tying them (registered by packages).
EvidenceSource = Callable[[UnitOfWork, str, str], Iterable[Evidence]]
#: (unit of work, email) -> the ids of the partners the address belongs to.
PartnerFinder = Callable[[UnitOfWork, str], Iterable[str]]
#: (unit of work, customer id) -> the account, or the error a missing account gets.
AccountLoader = Callable[[UnitOfWork, str], DisclosedAccount]


def admin_domains(account: DisclosedAccount) -> set[str]:
    """The domains an admin of the account may have: the ones it registered, or, for an
    account that registered none, those of its current admins' own addresses (002: "Kindly
    check the domain of the account if you are making any changes in the admin manually")."""
    if account.domains:
        return set(account.domains)
    found = set()
    for admin in account.admins:
        email = getattr(admin, "email", None)
        if isinstance(email, str):
            found.add(validate.domain_of(email))
    return found


class Guard:
    """The one place that decides what a principal may see and change; every package asks it.

    002 seed: "We should never divulge the account information to partners that isn't related to
    them." So staff and the system see every account, a customer's user sees their own, and a
    partner's user sees the accounts its partner is associated with (of record for a product, or a
    party of a pending request); to anyone else an account is missing, exactly like one that does
    not exist. Every `require_*` check takes the `not_found` error the service raises for a missing
    id, and raises that very error. Refusals are audited as `access.denied` events.
    """

    def __init__(self) -> None:
        self._associations: list[tuple[str, Tie]] = []
        self._evidence: list[tuple[str, EvidenceSource]] = []
        self._finders: list[PartnerFinder] = []
        self._accounts: AccountLoader | None = None
        self._account_not_found: Callable[[str], PartnerkitError] | None = None
        self._reseller_tie: ResellerTie | None = None
        self._read_only: Callable[[str], PartnerkitError] | None = None

    # --- what packages register (through their install()) ------------------------------------

    def add_evidence(self, name: str, source: EvidenceSource) -> None:
        """Count what `source` finds as association evidence (002 seed's list of where to look).

        Args:
            name: What the source reads, for the registry's order.
            source: Lists the facts tying a partner to a customer.

        Raises nothing.
        """
        self._evidence.append((name, source))

    def identify_partners(self, finder: PartnerFinder) -> None:
        """Use `finder` to tell which partners an email address belongs to.

        Args:
            finder: Lists the ids of the partners an address belongs to.

        Raises nothing.
        """
        self._finders.append(finder)

    def provide_accounts(
        self, loader: AccountLoader, not_found: Callable[[str], PartnerkitError]
    ) -> None:
        """Read accounts (their domains and users) with `loader`.

        Args:
            loader: Returns the account, or raises the error a missing account gets.
            not_found: Builds that error for an id, for an account the actor may not see.

        Raises nothing.
        """
        self._accounts = loader
        self._account_not_found = not_found

    def tie_resellers(self, tie: ResellerTie, read_only: Callable[[str], PartnerkitError]) -> None:
        """Read which customers a reseller manages with `tie` (the resellers package's install).

        Args:
            tie: The reseller's scope over a customer, or None for a customer not its own.
            read_only: Builds the error a change gets from a reseller that keeps only a trace
                of the customer.

        Raises nothing.
        """
        self._reseller_tie = tie
        self._read_only = read_only

    # --- what the access service reads --------------------------------------------------------

    def evidence(self, uow: UnitOfWork, partner_id: str, customer_id: str) -> list[Evidence]:
        """Every fact tying the partner to the customer, source by source in registration order.

        Args:
            uow: The unit of work to read in.
            partner_id: The partner.
            customer_id: The customer account.

        Returns:
            The evidence, possibly empty.

        Raises nothing: what the registered sources raise (storage errors) goes on.
        """
        return [e for _, source in self._evidence for e in source(uow, partner_id, customer_id)]

    def partners_of(self, uow: UnitOfWork, email: str) -> list[str]:
        """The ids of the partners an address belongs to (by their registered domains or contact
        email), sorted.

        Args:
            uow: The unit of work to read in.
            email: A validated address.

        Returns:
            The partner ids, possibly none.

        Raises nothing: what the registered sources raise (storage errors) goes on.
        """
        return sorted({pid for finder in self._finders for pid in finder(uow, email)})

    def account(self, uow: UnitOfWork, customer_id: str) -> DisclosedAccount:
        """The account, through the registered loader.

        Args:
            uow: The unit of work to read in.
            customer_id: The account's id.

        Returns:
            The account.

        Raises:
            ConfigurationError: No installed package provides accounts (`configuration`).
        """
        if self._accounts is None:
            raise ConfigurationError(
                "no installed package provides customer accounts",
                hint="install partnerkit.customers (Kit does) before asking about accounts",
            )
        return self._accounts(uow, customer_id)

    def account_not_found(self, customer_id: str) -> PartnerkitError:
        """The error a missing account gets, for one the actor may not be told about.

        Args:
            customer_id: The id the caller gave.

        Returns:
            The error to raise.

        Raises nothing.
        """
        if self._account_not_found is None:
            raise ConfigurationError(
                "no installed package provides customer accounts",
                hint="install partnerkit.customers (Kit does) before asking about accounts",
            )
        return self._account_not_found(customer_id)

    def add_association(self, name: str, association: Association | Tie) -> None:
        """Count an association as a tie between a partner and a customer (a package's `install`).

        Args:
            name: The tie's name, as `associations` reports it.
            association: The association, or a `Tie` that also lists or is evidence only.

        Raises nothing.
        """
        tie = association if isinstance(association, Tie) else Tie(association)
        self._associations.append((name, tie))

    def associations(self, uow: UnitOfWork, partner_id: str, customer_id: str) -> list[str]:
        """The names of the ties between a partner and a customer, evidence-only ties included.

        Args:
            uow: The unit of work to read in.
            partner_id: The partner.
            customer_id: The customer account.

        Returns:
            The names, in registration order.

        Raises nothing of its own; an association's storage error passes through.
        """
        return [name for name, tie in self._associations if tie(uow, partner_id, customer_id)]

    def sees_customer(self, uow: UnitOfWork, actor: object, customer_id: str) -> bool:
        """Whether the actor may see an account.

        Staff and the system see every account, a user their own, a partner the accounts it is
        associated with (by a tie that grants sight).

        Args:
            uow: The unit of work to read in.
            actor: Who asks.
            customer_id: The account.

        Returns:
            True when the actor sees the account.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
        """
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            return True
        if principal.role is Role.CUSTOMER_USER:
            return principal.customer_id == customer_id
        if principal.role is Role.PARTNER_USER and principal.partner_id is not None:
            return any(
                tie(uow, principal.partner_id, customer_id)
                for _, tie in self._associations
                if tie.grants_sight
            )
        return False

    def visible_customers(
        self, uow: UnitOfWork, actor: object, every: Callable[[], Iterable[str]]
    ) -> list[str] | None:
        """The ids of the accounts the actor sees, for listings.

        Args:
            uow: The unit of work to read in.
            actor: Who asks.
            every: Lists every account id; called only for a partner when a tie granting sight
                cannot list its customers, so that the answer stays exact.

        Returns:
            The ids, or None for all of them (staff, the system).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
        """
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            return None
        if principal.role is Role.CUSTOMER_USER and principal.customer_id is not None:
            return [principal.customer_id]
        if principal.role is not Role.PARTNER_USER or principal.partner_id is None:
            return []
        partner_id = principal.partner_id
        ties = [tie for _, tie in self._associations if tie.grants_sight]
        if any(tie.customers_of is None for tie in ties):
            return [cid for cid in every() if self.sees_customer(uow, principal, cid)]
        found: set[str] = set()
        for tie in ties:
            assert tie.customers_of is not None
            found.update(tie.customers_of(uow, partner_id))
        return sorted(found)

    @staticmethod
    def acts_for_partner(actor: object, partner_id: str) -> bool:
        """Whether the actor acts for a partner: staff and the system for any, its users for it.

        Args:
            actor: Who acts.
            partner_id: The partner.

        Returns:
            True when the actor acts for it.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
        """
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            return True
        return principal.role is Role.PARTNER_USER and principal.partner_id == partner_id

    @staticmethod
    def is_customer_user(actor: object, customer_id: str) -> Principal | None:
        """The actor, when it is a user of this account (admin or not); None else.

        Args:
            actor: Who acts.
            customer_id: The account.

        Returns:
            The principal, or None.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
        """
        principal = require_principal(actor)
        if principal.role is Role.CUSTOMER_USER and principal.customer_id == customer_id:
            return principal
        return None

    @staticmethod
    def may_see_evidence(actor: object) -> bool:
        """Whether the actor may read written-consent evidence: staff and the system only.

        Args:
            actor: Who asks.

        Returns:
            True for staff and the system.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
        """
        return require_principal(actor).is_staff_or_system

    # --- the checks services make: each returns the principal or raises -----------------------

    @staticmethod
    def require_staff(actor: object, action: str) -> Principal:
        """Let staff and the system through: the operator actions and the vendor's own bookkeeping.

        Args:
            actor: Who acts.
            action: What is refused, for the message ("deactivate a partner account").

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
        """
        principal = require_principal(actor)
        if not principal.is_staff_or_system:
            raise StaffOnlyError(
                f"only the partner team can {action}",
                details={"by": principal.label, "role": principal.role.value},
            )
        return principal

    def require_partner(self, actor: object, partner_id: str, not_found: NotFound) -> Principal:
        """Let the partner's own users, staff and the system through; to anyone else it is missing.

        Args:
            actor: Who acts.
            partner_id: The partner acted for.
            not_found: Builds the error a missing partner gets.

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerkitError: The error `not_found` builds: the one a missing record gets, so a
                foreign id tells nothing.
        """
        principal = require_principal(actor)
        # An id nothing could have been stored under is missing for everyone, staff included.
        if not validate.is_ref(partner_id) or not self.acts_for_partner(principal, partner_id):
            raise not_found()
        return principal

    def require_sight(
        self, uow: UnitOfWork, actor: object, customer_id: str, not_found: NotFound
    ) -> Principal:
        """Let whoever sees the account through (`sees_customer`); to anyone else it is missing.

        Args:
            uow: The unit of work to read in.
            actor: Who acts.
            customer_id: The account read.
            not_found: Builds the error a missing account gets.

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerkitError: The error `not_found` builds: the one a missing record gets, so a
                foreign id tells nothing.
        """
        principal = require_principal(actor)
        if not validate.is_ref(customer_id) or not self.sees_customer(uow, principal, customer_id):
            raise not_found()
        return principal

    def require_own_account(
        self,
        actor: object,
        customer_id: str,
        not_found: NotFound,
        *,
        managed: UnitOfWork | None = None,
        change: bool = False,
    ) -> Principal:
        """Let the account's own users (admin or not), staff and the system through: a customer's
        money (its invoices, payments, credits, statements) is for the customer and the
        organisation only. To anyone else, an associated partner included, it is missing.

        With `managed`, the reseller that manages the customer is let through as well, read in
        that unit of work (004 seed: the reseller enters a payment method for its customer);
        a reseller that keeps only a trace of the customer may read but not `change`.

        Args:
            actor: Who acts.
            customer_id: The account the record belongs to.
            not_found: Builds the error a missing record gets.
            managed: The unit of work to read the reseller's tie in; None lets no reseller in.
            change: Whether the call changes the record (a trace is read-only).

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerkitError: The error `not_found` builds: the one a missing record gets, so a
                foreign id tells nothing; or, for a reseller's change to a customer it keeps
                only a trace of, the error the resellers package registered.
        """
        principal = require_principal(actor)
        if not validate.is_ref(customer_id):
            raise not_found()
        if principal.is_staff_or_system:
            return principal
        if principal.role is Role.CUSTOMER_USER and principal.customer_id == customer_id:
            return principal
        if principal.role is Role.RESELLER_USER and managed is not None:
            return self.require_managed(managed, principal, customer_id, not_found, change=change)
        raise not_found()

    def require_reseller(self, actor: object, reseller_id: str, not_found: NotFound) -> Principal:
        """Let the reseller's own users, staff and the system through; to anyone else (another
        reseller's users included) the reseller is missing.

        Args:
            actor: Who acts.
            reseller_id: The reseller acted for.
            not_found: Builds the error a missing reseller gets.

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerkitError: The error `not_found` builds.
        """
        principal = require_principal(actor)
        if not validate.is_ref(reseller_id):
            raise not_found()
        if principal.is_staff_or_system:
            return principal
        if principal.role is Role.RESELLER_USER and principal.reseller_id == reseller_id:
            return principal
        raise not_found()

    def require_managed(
        self,
        uow: UnitOfWork,
        actor: object,
        customer_id: str,
        not_found: NotFound,
        *,
        change: bool,
    ) -> Principal:
        """Let the reseller that manages the customer, staff and the system through; a reseller
        that keeps only a trace of it (the customer moved to its own portal) may read, and a
        change answers the read-only error. To anyone else the customer is missing, exactly
        like one that does not exist.

        Args:
            uow: The unit of work to read the tie in.
            actor: Who acts.
            customer_id: The reseller's customer.
            not_found: Builds the error a missing customer gets.
            change: Whether the call changes the customer or what belongs to it.

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerkitError: The error `not_found` builds, or the read-only error for a change
                through a trace.
        """
        principal = require_principal(actor)
        if not validate.is_ref(customer_id):
            raise not_found()
        if principal.is_staff_or_system:
            return principal
        if (
            principal.role is not Role.RESELLER_USER
            or principal.reseller_id is None
            or self._reseller_tie is None
        ):
            raise not_found()
        scope = self._reseller_tie(uow, principal.reseller_id, customer_id)
        if scope is None:
            raise not_found()
        if scope is ResellerScope.TRACE and change:
            assert self._read_only is not None
            raise self._read_only(customer_id)
        return principal

    def require_customer_admin(
        self,
        uow: UnitOfWork,
        actor: object,
        account: Account,
        *,
        action: str,
        not_found: NotFound,
        staff: bool = True,
    ) -> Principal:
        """Let an admin of the account through (and staff and the system, when `staff`).

        Admin rights are read from the stored account's users by the principal's email: a principal
        never carries admin rights of its own. A user of the account who is not an admin, an
        associated partner, and staff when the act is the customer's own (`staff=False`: tagging,
        transfers) are refused; to anyone else the account is missing.

        Args:
            uow: The unit of work to read in.
            actor: Who acts.
            account: The stored account.
            action: What is refused, for the message ("tag a partner").
            not_found: Builds the error a missing account gets.
            staff: Whether staff and the system may act too.

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            NotCustomerAdminError: Refused as above (`mapping.admin_only`).
            PartnerkitError: The error `not_found` builds: the one a missing record gets, so a
                foreign id tells nothing.
        """
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            if staff:
                return principal
            raise self._not_admin(
                account,
                principal,
                action,
                remedy="This is the customer's decision: their admin does it. The partner "
                "team moves a customer on their written consent instead "
                "(kit.mapping.record_written_consent).",
            )
        if principal.role is Role.CUSTOMER_USER and principal.customer_id == account.id:
            if account.is_admin(principal.name):
                return principal
            raise self._not_admin(account, principal, action)
        if self.sees_customer(uow, principal, account.id):
            raise self._not_admin(
                account, principal, action, remedy="Ask an admin of the customer to do it."
            )
        raise not_found()

    def require_party(
        self,
        uow: UnitOfWork,
        actor: object,
        account: Account,
        partner_ids: Collection[str],
        *,
        action: str,
        not_found: NotFound,
    ) -> Principal:
        """Let a request's parties through: the customer's admins, its partners, staff.

        A user of the account who is not an admin and an associated partner who is not a party are
        refused; to anyone else the request is missing.

        Args:
            uow: The unit of work to read in.
            actor: Who acts.
            account: The customer's stored account.
            partner_ids: The partners who are parties.
            action: What is refused, for the message ("cancel it").
            not_found: Builds the error a missing request gets.

        Returns:
            The principal.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            NotCustomerAdminError: A user of the account who is not an admin (`mapping.admin_only`).
            NotAPartyError: An associated partner who is not a party (`access.not_a_party`).
            PartnerkitError: The error `not_found` builds: the one a missing record gets, so a
                foreign id tells nothing.
        """
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            return principal
        if principal.role is Role.PARTNER_USER and principal.partner_id in partner_ids:
            return principal
        if principal.role is Role.CUSTOMER_USER and principal.customer_id == account.id:
            if account.is_admin(principal.name):
                return principal
            raise self._not_admin(account, principal, action)
        if self.sees_customer(uow, principal, account.id):
            raise NotAPartyError(
                f"only the parties of this request can {action}",
                details={"customer_id": account.id, "by": principal.label},
            )
        raise not_found()

    def require_admin_grant(
        self,
        uow: UnitOfWork,
        actor: object,
        account: DisclosedAccount,
        email: str,
        *,
        not_found: NotFound,
    ) -> Principal:
        """Making `email` an admin of the account (002 seed, "Partner as an Admin").

        A partner never makes itself (or anyone) an admin: refused with `PartnerAdminError`,
        whose remedy is the seed's (the customer buys a user licence and grants admin access
        themselves); to a partner with no tie to the account it is missing. Staff and the
        system never make an admin of a partner's address, nor of one outside the account's
        domains. An admin of the account may grant admin to any user of it (a licence seat);
        whether `email` is one is the caller's check.

        Args:
            uow: The unit of work to read in.
            actor: Who asks.
            account: The account, with its domains and users.
            email: The validated address to make an admin.
            not_found: Builds the error a missing account gets.

        Returns:
            The principal, when the grant may go ahead.

        Raises:
            PartnerAdminError: A partner asks, or staff would make a partner an admin
                (`access.partner_admin`).
            AdminOutsideDomainsError: Staff would make an admin outside the account's domains
                (`access.admin_outside_domains`).
            NotCustomerAdminError: A user of the account who is not an admin asks
                (`mapping.admin_only`).
            NotFoundError: Whoever may not see the account gets `not_found()`.
        """
        principal = require_principal(actor)
        if principal.role is Role.PARTNER_USER:
            if self.sees_customer(uow, principal, account.id):
                raise PartnerAdminError(
                    f"a partner cannot be made an admin of {account.name} by request",
                    details={"customer_id": account.id, "by": principal.label, "subject": email},
                )
            raise not_found()
        if principal.is_staff_or_system:
            partners = self.partners_of(uow, email)
            if partners:
                raise PartnerAdminError(
                    f"{email} belongs to a partner: the partner team does not make a partner "
                    f"an admin of {account.name}",
                    details={
                        "customer_id": account.id,
                        "by": principal.label,
                        "subject": email,
                        "partner_id": partners[0],
                    },
                )
            domain = validate.domain_of(email)
            if domain not in admin_domains(account):
                raise AdminOutsideDomainsError(
                    f"{email} is outside the domains of {account.name}",
                    details={
                        "customer_id": account.id,
                        "by": principal.label,
                        "subject": email,
                        "domain": domain,
                    },
                )
            return principal
        return self.require_customer_admin(
            uow, principal, account, action="make a user an admin", not_found=not_found
        )

    @staticmethod
    def _not_admin(
        account: Account, principal: Principal, action: str, *, remedy: str | None = None
    ) -> NotCustomerAdminError:
        return NotCustomerAdminError(
            f"only the admin users of {account.name} can {action}",
            details={"customer_id": account.id, "by": principal.label},
            remedy=remedy,
        )

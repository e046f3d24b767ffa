"""Customer accounts: an organisation with its email domains, users (admins or not), contact
persons with one primary contact, and per product whether it is free or paid and since when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import attrs

from partnerkit import validate
from partnerkit.access import Principal, Role
from partnerkit.access.audit import AuditKind, refusal
from partnerkit.access.principal import require_principal
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.clock import local_day, time_zone
from partnerkit.customers.errors import (
    CustomerNotFoundError,
    EmailTakenError,
    LastAdminError,
    UserNotFoundError,
)
from partnerkit.customers.events import CustomerCreated, PlanChanged
from partnerkit.customers.plans import Edition, ProductPlan
from partnerkit.customers.ports import CustomersStore
from partnerkit.errors import InvalidInputError
from partnerkit.runtime import Runtime

__all__ = [
    "NAME_MAX_LENGTH",
    "AccountHead",
    "ContactPerson",
    "Customer",
    "CustomerUser",
    "CustomersService",
    "Edition",
    "ProductPlan",
    "customer_not_found",
    "customer_zone",
    "default_name",
    "email_taken",
    "load_customer",
    "open_account",
    "refuse_taken_email",
    "time_zone_name",
    "unseen_customer",
]


@attrs.frozen
class CustomerUser:
    """A user of a customer account.

    Attributes:
        email: The sign-in email, lower-case.
        name: The user's name.
        is_admin: Admins tag partners, confirm transfers and manage users.
    """

    email: str
    name: str
    is_admin: bool = False


@attrs.frozen
class ContactPerson:
    """A person to contact at the account.

    Attributes:
        name: The person's name.
        email: The email.
        phone: A phone number; None if not given.
        primary: Whether this is the account's one primary contact.
    """

    name: str
    email: str
    phone: str | None = None
    primary: bool = False


@attrs.frozen
class Customer:
    """A customer account: the organisation, its email domains, users, contacts and product plans.

    Attributes:
        id: The account's id.
        name: The organisation's name.
        created_at: When the account was opened.
        domains: The organisation's email domains.
        users: Everyone who signs in to the account; admins among them.
        contacts: The contact persons, at most one of them primary.
        products: Per product, the edition in use and since when.
        time_zone: The account's own calendar ('Asia/Kolkata'), which decides on which day
            something happened for it; None follows the organisation's
            (`MappingPolicy.time_zone`).
        version: Increases with each change (optimistic concurrency).
    """

    id: str
    name: str
    created_at: datetime
    domains: tuple[str, ...] = ()
    users: tuple[CustomerUser, ...] = ()
    contacts: tuple[ContactPerson, ...] = ()
    products: tuple[ProductPlan, ...] = ()
    time_zone: str | None = None
    version: int = 1

    @property
    def admins(self) -> tuple[CustomerUser, ...]:
        """The users who are admins: they tag partners, confirm transfers and manage users."""
        return tuple(u for u in self.users if u.is_admin)

    @property
    def primary_contact(self) -> ContactPerson | None:
        """The primary contact person, or None when the account has none."""
        return next((c for c in self.contacts if c.primary), None)

    def user(self, email: str) -> CustomerUser | None:
        """The account's user with this email, however it is written (`It@Bücher.example`
        finds `it@bücher.example`).

        Args:
            email: The email, in any case and with the domain in Unicode or as its A-label.

        Returns:
            The user, or None when no user of the account has it (or it is no email at all).

        Raises nothing.
        """
        address = _address_or_none(email)
        return next((u for u in self.users if u.email == address), None)

    def is_admin(self, email: str) -> bool:
        """Whether the user with this email is an admin of the account.

        Args:
            email: The email, lower-case as stored.

        Returns:
            True for an admin; False for another user or an email that is not a user here.

        Raises nothing.
        """
        found = self.user(email)
        return found is not None and found.is_admin

    def plan(self, product: str) -> ProductPlan | None:
        """Which edition of a product the account uses, and since when.

        Args:
            product: The product's catalog key.

        Returns:
            The plan, or None when the account has none for that product (it counts as free).

        Raises nothing.
        """
        return next((p for p in self.products if p.product == product), None)


@attrs.frozen
class AccountHead:
    """An account without its lists: what a change to one of its users needs to read (its id,
    name and version, and the one user asked about), so that the cost of adding a user does
    not grow with the users the account already has."""

    id: str
    name: str
    version: int
    user: CustomerUser | None = None

    def is_admin(self, email: str) -> bool:
        """Whether `email` (however it is written) is the user read with the head, and an admin.

        Args:
            email: The email of the user asked about.

        Returns:
            True for that user when an admin; False otherwise.

        Raises nothing.
        """
        return (
            self.user is not None
            and self.user.is_admin
            and self.user.email == _address_or_none(email)
        )


class CustomersService:
    """`kit.customers`: customer accounts, their users, contact persons and product plans.

    An account is an organisation with its email domains, its users (admins or not), its contact
    persons (one of them primary) and, per product, whether it uses the free or the paid edition and
    since when: the facts the partner program's mapping rules count from. The partner team (staff)
    and the system open accounts and record plans; an account's admins manage its users and
    contacts; whoever may see an account reads it, and to anyone else it is missing. A partner can
    never make itself an admin of a customer's account (002 seed: "If the partner is requesting to
    add themselves to the customer's account as an admin, then we should deny the request").
    """

    def __init__(self, runtime: Runtime[CustomersStore], *, time_zone: str = "UTC") -> None:
        self._rt = runtime
        #: The organisation's time zone: an account's calendar unless it has its own.
        self.time_zone = time_zone

    def create(
        self,
        *,
        name: str,
        admin_email: str,
        admin_name: str | None = None,
        domain: str | None = None,
        domains: Iterable[str] = (),
        time_zone: str | None = None,
        actor: Principal,
    ) -> Customer:
        """Open a customer account whose first user is its admin and primary contact.

        Partners open accounts through their own channels instead (`kit.mapping.create_account`,
        `kit.mapping.sign_up`), which also map the customer to them.

        Args:
            name: The organisation's name.
            admin_email: The first user's email: the account's admin and primary contact. It must
                not belong to a user yet.
            admin_name: The first user's name; the email when None.
            domain: The organisation's main email domain, if it has one.
            domains: More email domains of the organisation.
            time_zone: The account's own time zone ('Asia/Kolkata'); None follows the
                organisation's.
            actor: Who acts: staff or the system only.

        Returns:
            The new account.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            EmailTakenError: `admin_email` already belongs to a user (`customer.email_taken`).
            InvalidTimeZoneError: `time_zone` is not a time zone's name
                (`validation.time_zone`).
            InvalidInputError: A field is empty, too long or malformed; `field` names it
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "create a customer account")
            return open_account(
                self._rt,
                uow,
                name=name,
                admin_email=admin_email,
                admin_name=admin_name,
                domain=domain,
                domains=domains,
                time_zone=time_zone,
            )

    def set_time_zone(
        self, customer_id: str, time_zone: str | None, *, actor: Principal
    ) -> Customer:
        """Give the account its own time zone, or make it follow the organisation's again.

        The account's calendar decides its days from then on: whether it became paid "within
        30 days" of a mapping, the day a free customer's 3 months end, the day a commission
        window starts, and the day a plan set without a date starts. Mappings made before keep
        the deadlines they were given.

        Args:
            customer_id: The account's id.
            time_zone: Its name in the tz database ('Asia/Kolkata', 'America/New_York',
                'UTC'); None to follow the organisation's (`MappingPolicy.time_zone`).
            actor: Who acts: an admin of the account, staff or the system.

        Returns:
            The account as changed.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            InvalidTimeZoneError: `time_zone` is not a time zone's name
                (`validation.time_zone`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        zone = None if time_zone is None else time_zone_name(time_zone)
        with self._rt.uow() as uow:
            customer = self._administered(uow, actor, customer_id, "change the time zone")
            if customer.time_zone == zone:
                return customer
            return uow.customers.update(attrs.evolve(customer, time_zone=zone))

    def get(self, customer_id: str, *, actor: Principal) -> Customer:
        """A customer account, as the actor may see it.

        Args:
            customer_id: The account's id.
            actor: Who asks: a user of the account, a partner associated with it (of record for a
                product, or a party of a pending request), staff or the system.

        Returns:
            The account with its users, contacts and plans.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_sight(uow, actor, customer_id, unseen_customer(customer_id))
            return load_customer(uow, customer_id)

    def find_by_user_email(self, email: str, *, actor: Principal) -> Customer | None:
        """The account a user's email belongs to: the partner team's look-up.

        Staff only: a partner learns no more than whether an email is a user, by tracking it
        (`kit.mapping.track`); 002 seed: "We should never divulge the account information to
        partners that isn't related to them."

        Args:
            email: The user's email address.
            actor: Who asks: staff or the system only.

        Returns:
            The account, or None when no user has that email.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvalidInputError: `email` is not a valid address (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        address = validate.email(email)
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "look an account up by email")
            return uow.customers.get_by_user_email(address)

    def customers(self, *, actor: Principal) -> list[Customer]:
        """The accounts the actor may see: all for staff, a user's own, those a partner is tied to.

        A partner sees the accounts it is the partner of record for (any product) or has a request
        pending with; a tracking-list entry alone shows it nothing.

        Args:
            actor: Who asks.

        Returns:
            The accounts, ordered by name.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            visible = self._rt.guard.visible_customers(
                uow, actor, lambda: [c.id for c in uow.customers.all()]
            )
            if visible is None:
                return uow.customers.all()
            return uow.customers.get_many(visible)

    def add_user(
        self,
        customer_id: str,
        email: str,
        *,
        name: str | None = None,
        admin: bool = False,
        actor: Principal,
    ) -> CustomerUser:
        """Add a user to an account, as an admin or not.

        An email belongs to one user of one account, across all accounts. Adding a user reads
        the account's name and the acting admin only, never its other users, so it costs the
        same in an account of ten users or of ten thousand.

        Args:
            customer_id: The account's id.
            email: The new user's email; it must not belong to a user of any account yet.
            name: The user's name; the part of the email before the "@" when None.
            admin: Whether the user is an admin (admins tag partners, confirm transfers and manage
                users).
            actor: Who acts: an admin user of the account, staff or the system.

        Returns:
            The user added (read the account with `get` for all its users).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            EmailTakenError: `email` already belongs to a user (`customer.email_taken`).
            InvalidInputError: `email` is not a valid address, `name` is empty, or `admin` is not a
                bool (`validation.invalid`).
            ConcurrencyError: Another writer changed the account at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        address = validate.email(email)
        admin = validate.flag(admin, "admin")
        person = validate.text(name, "name") if name is not None else default_name(address)
        principal = require_principal(actor)
        asking = (
            _address_or_none(principal.name)
            if principal.role is Role.CUSTOMER_USER and principal.customer_id == customer_id
            else None
        )
        with self._rt.uow() as uow:
            head = (
                uow.customers.head(customer_id, user=asking)
                if validate.is_ref(customer_id)
                else None
            )
            if head is None:
                raise customer_not_found(customer_id)
            if admin:
                # A new admin: the 002 seed's checks read the account's domains and users.
                account = load_customer(uow, customer_id)
                granted = self._rt.guard.require_admin_grant(
                    uow, principal, account, address, not_found=unseen_customer(customer_id)
                )
            else:
                self._rt.guard.require_customer_admin(
                    uow,
                    principal,
                    head,
                    action="add a user",
                    not_found=unseen_customer(customer_id),
                )
            user = CustomerUser(address, person, admin)
            uow.customers.add_user(head.id, user, version=head.version)
            if admin:
                self._audit_admin(uow, granted, head.id, address, granted=True)
        return user

    def set_admin(self, customer_id: str, email: str, admin: bool, *, actor: Principal) -> Customer:
        """Grant or revoke a user's admin rights; an account always keeps at least one admin.

        Granting follows the 002 seed ("Partner as an Admin"): a partner is never made an
        admin on request, the partner team never makes an admin of a partner's address nor of
        one outside the account's domains, and an admin of the account grants admin to a user
        of it (who holds a licence seat). Every change and every refusal is audited.

        Args:
            customer_id: The account's id.
            email: The user's email.
            admin: True to make the user an admin, False to revoke it.
            actor: Who acts: an admin user of the account, staff or the system.

        Returns:
            The account as changed.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            PartnerAdminError: A partner asks to be made an admin, or staff would make a
                partner's address one (`access.partner_admin`).
            AdminOutsideDomainsError: Staff would make an admin of an address outside the
                account's domains (`access.admin_outside_domains`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            UserNotFoundError: No user of the account has that email (`customer.user_not_found`).
            LastAdminError: The user is the account's only admin (`customer.last_admin`).
            InvalidInputError: `email` is not a valid address, or `admin` is not a bool
                (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        address = validate.email(email)
        admin = validate.flag(admin, "admin")
        with self._rt.uow() as uow:
            if admin:
                customer = load_customer(uow, customer_id)
                principal = self._rt.guard.require_admin_grant(
                    uow, actor, customer, address, not_found=unseen_customer(customer_id)
                )
                if customer.user(address) is None:
                    # 002: the customer buys a user licence first; refused, and audited.
                    raise refusal(
                        UserNotFoundError(
                            f"{address} is not a user of {customer.name}",
                            details={
                                "field": "email",
                                "customer_id": customer.id,
                                "by": principal.label,
                                "subject": address,
                            },
                            remedy="Add them as a user of the account (a user licence) first.",
                        )
                    )
            else:
                principal = require_principal(actor)
                customer = self._administered(uow, actor, customer_id, "change who is an admin")
                self._user(customer, address)
                if customer.admins == (customer.user(address),):
                    raise LastAdminError(
                        f"{address} is the only admin of {customer.name}",
                        remedy="Make another user an admin first.",
                    )
            if customer.is_admin(address) is admin:
                return customer
            users = tuple(
                attrs.evolve(u, is_admin=admin) if u.email == address else u for u in customer.users
            )
            updated = uow.customers.update(attrs.evolve(customer, users=users))
            self._audit_admin(uow, principal, customer.id, address, granted=admin)
            return updated

    def _audit_admin(
        self,
        uow: CustomersStore,
        principal: Principal,
        customer_id: str,
        email: str,
        *,
        granted: bool,
    ) -> None:
        self._rt.audit(
            uow,
            AuditKind.ADMIN_GRANTED if granted else AuditKind.ADMIN_REVOKED,
            allowed=True,
            reason="admin_granted" if granted else "admin_revoked",
            by=principal.label,
            customer_id=customer_id,
            subject=email,
        )

    def remove_user(self, customer_id: str, email: str, *, actor: Principal) -> Customer:
        """Remove a user from an account; the last admin cannot be removed.

        Args:
            customer_id: The account's id.
            email: The user's email.
            actor: Who acts: an admin user of the account, staff or the system.

        Returns:
            The account without the user.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            UserNotFoundError: No user of the account has that email (`customer.user_not_found`).
            LastAdminError: The user is the account's only admin (`customer.last_admin`).
            InvalidInputError: `email` is not a valid address (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        address = validate.email(email)
        with self._rt.uow() as uow:
            customer = self._administered(uow, actor, customer_id, "remove a user")
            user = self._user(customer, address)
            if user.is_admin and len(customer.admins) == 1:
                raise LastAdminError(
                    f"{address} is the only admin of {customer.name}",
                    remedy="Make another user an admin first.",
                )
            users = tuple(u for u in customer.users if u.email != address)
            return uow.customers.update(attrs.evolve(customer, users=users))

    def add_contact(
        self,
        customer_id: str,
        *,
        name: str,
        email: str,
        phone: str | None = None,
        primary: bool = False,
        actor: Principal,
    ) -> Customer:
        """Add a contact person to an account, optionally as its one primary contact.

        Args:
            customer_id: The account's id.
            name: The person's name.
            email: The person's email; one contact per email in an account.
            phone: A phone number, up to 40 characters.
            primary: Make them the primary contact (the previous one stays a contact).
            actor: Who acts: an admin user of the account, staff or the system.

        Returns:
            The account with the new contact.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            InvalidInputError: A field is empty or malformed, `primary` is not a bool, or the email
                is already a contact of the account (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        person = validate.text(name, "name")
        address = validate.email(email)
        primary = validate.flag(primary, "primary")
        number = validate.text(phone, "phone", max_length=40) if phone is not None else None
        with self._rt.uow() as uow:
            customer = self._administered(uow, actor, customer_id, "add a contact")
            if any(c.email == address for c in customer.contacts):
                raise InvalidInputError(
                    f"{address} is already a contact of {customer.name}", field="email"
                )
            contacts = tuple(
                attrs.evolve(c, primary=False) if primary else c for c in customer.contacts
            )
            contact = ContactPerson(person, address, number, primary=primary)
            return uow.customers.update(attrs.evolve(customer, contacts=(*contacts, contact)))

    def set_primary_contact(self, customer_id: str, email: str, *, actor: Principal) -> Customer:
        """Make one of the account's contact persons its primary contact.

        Args:
            customer_id: The account's id.
            email: The contact's email.
            actor: Who acts: an admin user of the account, staff or the system.

        Returns:
            The account as changed.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            InvalidInputError: `email` is not a valid address, or not a contact of the account
                (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        address = validate.email(email)
        with self._rt.uow() as uow:
            customer = self._administered(uow, actor, customer_id, "change the primary contact")
            if not any(c.email == address for c in customer.contacts):
                raise InvalidInputError(
                    f"{address} is not a contact of {customer.name}", field="email"
                )
            contacts = tuple(attrs.evolve(c, primary=c.email == address) for c in customer.contacts)
            return uow.customers.update(attrs.evolve(customer, contacts=contacts))

    def set_plan(
        self,
        customer_id: str,
        product: str,
        edition: Edition | str,
        *,
        since: date | None = None,
        actor: Principal,
    ) -> Customer:
        """Record which edition of a product the account uses and since when: the rules count on it.

        The partner program's rules read it: a partner adding a customer paid for more than 30 days
        needs the customer's approval, within 30 days it does not, and a free customer's mapping is
        removed unless they upgrade to paid within 3 months of it (000 seed). An upgrade to paid in
        time makes such a provisional mapping permanent, in this same transaction; one recorded
        after the 3 months ended does not bring the mapping back. Setting the
        edition the account already has changes nothing and keeps the original date: "paid since"
        must not move when a paid customer is saved again.

        Args:
            customer_id: The account's id.
            product: The product's catalog key.
            edition: `Edition.FREE` or `Edition.PAID` (or `"free"`, `"paid"`).
            since: The first day of that edition; when None, today on the account's calendar
                (its time zone, else the organisation's).
            actor: Who acts: staff or the system (billing) only.

        Returns:
            The account as changed.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CustomerNotFoundError: No such account (`customer.not_found`).
            ProductNotFoundError: No product with that key (`catalog.product_not_found`).
            InvalidInputError: `product` is malformed, `edition` is neither free nor paid, or
                `since` is not a date (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        key = validate.key(product, "product")
        try:
            edition = Edition(edition)
        except ValueError:
            raise InvalidInputError("edition must be 'free' or 'paid'", field="edition") from None
        day = validate.as_date(since, "since") if since is not None else None
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "change a customer's plan")
            customer = load_customer(uow, customer_id)
            if day is None:
                day = local_day(self._rt.now(), customer_zone(customer, self.time_zone))
            if uow.products.get(key) is None:
                raise ProductNotFoundError(
                    f"no product with key {key!r}", details={"field": "product", "key": key}
                )
            current = customer.plan(key)
            if current is not None and current.edition is edition:
                return customer
            plans = tuple(p for p in customer.products if p.product != key)
            plan = ProductPlan(key, edition, day)
            updated = uow.customers.update(attrs.evolve(customer, products=(*plans, plan)))
            # Other packages' rules (the 3-month mapping rule) react in this transaction.
            self._rt.publish(uow, PlanChanged(customer.id, key, edition, day))
        return updated

    def _administered(
        self, uow: CustomersStore, actor: Principal, customer_id: str, action: str
    ) -> Customer:
        """The account, if the actor may change it (an admin of it, staff, the system)."""
        require_principal(actor)
        customer = load_customer(uow, customer_id)
        self._rt.guard.require_customer_admin(
            uow, actor, customer, action=action, not_found=unseen_customer(customer_id)
        )
        return customer

    @staticmethod
    def _user(customer: Customer, email: str) -> CustomerUser:
        user = customer.user(email)
        if user is None:
            raise UserNotFoundError(
                f"{email} is not a user of {customer.name}", details={"field": "email"}
            )
        return user


def open_account(
    runtime: Runtime[CustomersStore],
    uow: CustomersStore,
    *,
    name: str,
    admin_email: str,
    admin_name: str | None = None,
    domain: str | None = None,
    domains: Iterable[str] = (),
    time_zone: str | None = None,
) -> Customer:
    """Open an account inside `uow`: the one way every flow creates one (`kit.customers.create`
    for staff, a partner's sign-up link, a partner's new account), each after its own check of
    who may. Its first user is its admin and primary contact."""
    name = validate.text(name, "name")
    zone = None if time_zone is None else time_zone_name(time_zone)
    email = validate.email(admin_email, "admin_email")
    person = (
        validate.text(admin_name, "admin_name") if admin_name is not None else default_name(email)
    )
    others = validate.texts(domains, "domains", validate.domain)
    all_domains = validate.texts(
        [*([domain] if domain is not None else []), *others], "domains", validate.domain
    )
    refuse_taken_email(uow, email, "admin_email")
    customer = Customer(
        id=runtime.new_id("cus"),
        name=name,
        created_at=runtime.now(),
        domains=all_domains,
        users=(CustomerUser(email, person, is_admin=True),),
        contacts=(ContactPerson(person, email, primary=True),),
        time_zone=zone,
    )
    uow.customers.add(customer)
    runtime.publish(uow, CustomerCreated(customer.id, name))
    return customer


def time_zone_name(value: object, field: str = "time_zone") -> str:
    """A time zone's name as the tz database spells it, or InvalidTimeZoneError."""
    return time_zone(value, field).key


def customer_zone(customer: Customer, default: str) -> ZoneInfo:
    """The account's calendar: its own time zone, else the organisation's (`default`)."""
    return time_zone(customer.time_zone or default)


#: The longest name a user or a contact keeps (validate.text's default, and the columns').
NAME_MAX_LENGTH = 200


def default_name(address: str) -> str:
    """The name of a user who gave none: the address, or when it is longer than a name may be
    (an address may have 254 octets), the part before the "@", which never is."""
    return address if len(address) <= NAME_MAX_LENGTH else address.rpartition("@")[0]


def refuse_taken_email(uow: CustomersStore, email: str, field: str) -> None:
    if uow.customers.get_by_user_email(email) is not None:
        raise email_taken(email, field)


def email_taken(email: str, field: str = "email") -> EmailTakenError:
    """The refusal of an email that already belongs to a user: the one wording, whether the
    service finds it taken or the store's unique key does."""
    return EmailTakenError(
        f"{email} already belongs to a user", details={"field": field, "email": email}
    )


def _address_or_none(email: str) -> str | None:
    """The stored form of an address, or None for what is no address at all."""
    try:
        return validate.email(email)
    except InvalidInputError:
        return None


def customer_not_found(customer_id: object) -> CustomerNotFoundError:
    """The answer for a missing account, and for one the actor may not see: the same class,
    message and details, built from the id the caller gave."""
    return CustomerNotFoundError(
        f"no customer {customer_id!r}", details={"customer_id": customer_id}
    )


def unseen_customer(customer_id: object) -> Callable[[], CustomerNotFoundError]:
    """For the guard: the answer a missing account gets, given to one the actor may not see
    (the guard builds it only when it refuses)."""
    return lambda: customer_not_found(customer_id)


def load_customer(uow: CustomersStore, customer_id: str) -> Customer:
    """The customer, or CustomerNotFoundError (also for a non-string id)."""
    customer = uow.customers.get(customer_id) if validate.is_ref(customer_id) else None
    if customer is None:
        raise customer_not_found(customer_id)
    return customer

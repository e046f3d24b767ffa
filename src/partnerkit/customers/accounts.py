"""Customer accounts: an organisation with its email domains, users (admins or not), contact
persons with one primary contact, and per product whether it is free or paid and since when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime

import attrs

from partnerkit import validate
from partnerkit.access import Principal, Role
from partnerkit.access.audit import AuditKind, refusal
from partnerkit.access.principal import require_principal
from partnerkit.catalog.errors import ProductNotFoundError
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
    "default_name",
    "load_customer",
    "open_account",
    "refuse_taken_email",
    "unseen_customer",
]


@attrs.frozen
class CustomerUser:
    """A user of the account; admins may tag partners, confirm transfers and manage users."""

    email: str
    name: str
    is_admin: bool = False


@attrs.frozen
class ContactPerson:
    """A person to contact at the account; one of them may be the primary contact."""

    name: str
    email: str
    phone: str | None = None
    primary: bool = False


@attrs.frozen
class Customer:
    """A customer account: the organisation, its email domains, users, contacts and plans."""

    id: str
    name: str
    created_at: datetime
    domains: tuple[str, ...] = ()
    users: tuple[CustomerUser, ...] = ()
    contacts: tuple[ContactPerson, ...] = ()
    products: tuple[ProductPlan, ...] = ()
    version: int = 1

    @property
    def admins(self) -> tuple[CustomerUser, ...]:
        return tuple(u for u in self.users if u.is_admin)

    @property
    def primary_contact(self) -> ContactPerson | None:
        return next((c for c in self.contacts if c.primary), None)

    def user(self, email: str) -> CustomerUser | None:
        """The user with that address, however it is written (`It@Bücher.example` finds
        `it@bücher.example`); None for an address no user has, or no address at all."""
        try:
            address = validate.email(email)
        except InvalidInputError:
            return None
        return next((u for u in self.users if u.email == address), None)

    def is_admin(self, email: str) -> bool:
        found = self.user(email)
        return found is not None and found.is_admin

    def plan(self, product: str) -> ProductPlan | None:
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
        return self.user is not None and self.user.email == email and self.user.is_admin


class CustomersService:
    """`kit.customers`: create accounts and manage their users, contacts and product plans.

    Every call takes `actor=`: the partner team (staff) and the system create accounts and set
    plans; an account's admins manage its users and contacts; whoever the guard lets see an
    account reads it, and to anyone else it is missing.
    """

    def __init__(self, runtime: Runtime[CustomersStore]) -> None:
        self._rt = runtime

    def create(
        self,
        *,
        name: str,
        admin_email: str,
        admin_name: str | None = None,
        domain: str | None = None,
        domains: Iterable[str] = (),
        actor: Principal,
    ) -> Customer:
        """Create an account whose first user is its admin and primary contact (staff)."""
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
            )

    def get(self, customer_id: str, *, actor: Principal) -> Customer:
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_sight(uow, actor, customer_id, unseen_customer(customer_id))
            return load_customer(uow, customer_id)

    def find_by_user_email(self, email: str, *, actor: Principal) -> Customer | None:
        """The account a user's email belongs to: the partner team's look-up (a partner tracks
        an email instead, which tells it no more than whether the email is a user)."""
        address = validate.email(email)
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "look an account up by email")
            return uow.customers.get_by_user_email(address)

    def customers(self, *, actor: Principal) -> list[Customer]:
        """The accounts the actor sees, by name: all of them for staff, a user's own, the ones a
        partner is associated with."""
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
        """Add a user to the account (its admins, staff, the system) and return the user.

        An email belongs to one user of one account, across all accounts. Adding a user reads
        the account's name and the acting admin only, never its other users, so it costs the
        same in an account of ten users or of ten thousand.
        """
        address = validate.email(email)
        admin = validate.flag(admin, "admin")
        person = validate.text(name, "name") if name is not None else default_name(address)
        principal = require_principal(actor)
        asking = (
            principal.name
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
        """Grant or revoke admin rights; the last admin cannot be demoted.

        Granting follows the 002 seed ("Partner as an Admin"): a partner is never made an
        admin on request, the partner team never makes an admin of a partner's address nor of
        one outside the account's domains, and an admin of the account grants admin to a user
        of it (who holds a licence seat). Every change and every refusal is audited.

        Args:
            customer_id: The account.
            email: The user's address.
            admin: True to grant, False to revoke.
            actor: An admin of the account, staff or the system.

        Returns:
            The account as stored after the change.

        Raises:
            PartnerAdminError: A partner asks, or staff would make a partner an admin.
            AdminOutsideDomainsError: Staff would make an admin outside the account's domains.
            NotCustomerAdminError: A user who is not an admin asks.
            UserNotFoundError: The address is not a user of the account (no licence seat).
            LastAdminError: Revoking the only admin.
            CustomerNotFoundError: No such account, or one the actor may not see.
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
        """Add a contact person; `primary=True` makes them the one primary contact."""
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
        """Record that the account uses `product` in `edition` from `since` (default today).

        Staff or the system (billing) record plans: the mapping rules count from them.
        Setting the edition it already has keeps the original date: 'paid since' must not
        move when a paid customer is saved again.
        """
        key = validate.key(product, "product")
        try:
            edition = Edition(edition)
        except ValueError:
            raise InvalidInputError("edition must be 'free' or 'paid'", field="edition") from None
        day = validate.as_date(since, "since") if since is not None else self._rt.today()
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "change a customer's plan")
            customer = load_customer(uow, customer_id)
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
) -> Customer:
    """Open an account inside `uow`: the one way every flow creates one (`kit.customers.create`
    for staff, a partner's sign-up link, a partner's new account), each after its own check of
    who may. Its first user is its admin and primary contact."""
    name = validate.text(name, "name")
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
    )
    uow.customers.add(customer)
    runtime.publish(uow, CustomerCreated(customer.id, name))
    return customer


#: The longest name a user or a contact keeps (validate.text's default, and the columns').
NAME_MAX_LENGTH = 200


def default_name(address: str) -> str:
    """The name of a user who gave none: the address, or when it is longer than a name may be
    (an address may have 254 octets), the part before the "@", which never is."""
    return address if len(address) <= NAME_MAX_LENGTH else address.rpartition("@")[0]


def refuse_taken_email(uow: CustomersStore, email: str, field: str) -> None:
    if uow.customers.get_by_user_email(email) is not None:
        raise EmailTakenError(
            f"{email} already belongs to a user", details={"field": field, "email": email}
        )


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

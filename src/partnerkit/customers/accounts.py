"""Customer accounts: an organisation with its email domains, users (admins or not), contact
persons with one primary contact, and per product whether it is free or paid and since when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import attrs

from partnerkit import validate
from partnerkit.access import Principal
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
    "ContactPerson",
    "Customer",
    "CustomerUser",
    "CustomersService",
    "Edition",
    "ProductPlan",
    "customer_not_found",
    "customer_zone",
    "load_customer",
    "open_account",
    "refuse_taken_email",
    "time_zone_name",
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
    """A customer account: the organisation, its email domains, users, contacts and plans.

    `time_zone` is the account's own calendar ('Asia/Kolkata'), which decides on which day
    something happened for it; None means the organisation's (`MappingPolicy.time_zone`)."""

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
        return tuple(u for u in self.users if u.is_admin)

    @property
    def primary_contact(self) -> ContactPerson | None:
        return next((c for c in self.contacts if c.primary), None)

    def user(self, email: str) -> CustomerUser | None:
        return next((u for u in self.users if u.email == email), None)

    def is_admin(self, email: str) -> bool:
        found = self.user(email)
        return found is not None and found.is_admin

    def plan(self, product: str) -> ProductPlan | None:
        return next((p for p in self.products if p.product == product), None)


class CustomersService:
    """`kit.customers`: create accounts and manage their users, contacts and product plans.

    Every call takes `actor=`: the partner team (staff) and the system create accounts and set
    plans; an account's admins manage its users and contacts; whoever the guard lets see an
    account reads it, and to anyone else it is missing.
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
        """Create an account whose first user is its admin and primary contact (staff).

        `time_zone` is the account's own calendar; None keeps the organisation's.

        Raises:
            InvalidTimeZoneError: `time_zone` is not a time zone's name.
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
        """Give the account its own time zone ('Asia/Kolkata'), or None to follow the
        organisation's again. It decides the account's days from then on: whether it became
        paid "within 30 days", when 3 months end, where a commission window starts. Mappings
        made before keep the deadlines they were given. By an admin of the account or staff.

        Raises:
            InvalidTimeZoneError: `time_zone` is not a time zone's name.
        """
        zone = None if time_zone is None else time_zone_name(time_zone)
        with self._rt.uow() as uow:
            customer = self._administered(uow, actor, customer_id, "change the time zone")
            if customer.time_zone == zone:
                return customer
            return uow.customers.update(attrs.evolve(customer, time_zone=zone))

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
    ) -> Customer:
        address = validate.email(email)
        admin = validate.flag(admin, "admin")
        person = validate.text(name, "name") if name is not None else address
        with self._rt.uow() as uow:
            customer = self._administered(uow, actor, customer_id, "add a user")
            refuse_taken_email(uow, address, "email")
            return uow.customers.update(
                attrs.evolve(
                    customer, users=(*customer.users, CustomerUser(address, person, admin))
                )
            )

    def set_admin(self, customer_id: str, email: str, admin: bool, *, actor: Principal) -> Customer:
        """Grant or revoke admin rights; the last admin cannot be demoted."""
        address = validate.email(email)
        admin = validate.flag(admin, "admin")
        with self._rt.uow() as uow:
            customer = self._administered(uow, actor, customer_id, "change who is an admin")
            self._user(customer, address)
            if not admin and customer.admins == (customer.user(address),):
                raise LastAdminError(
                    f"{address} is the only admin of {customer.name}",
                    remedy="Make another user an admin first.",
                )
            users = tuple(
                attrs.evolve(u, is_admin=admin) if u.email == address else u for u in customer.users
            )
            return uow.customers.update(attrs.evolve(customer, users=users))

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
        """Record that the account uses `product` in `edition` from `since` (default: today
        on the account's calendar, in its time zone).

        Staff or the system (billing) record plans: the mapping rules count from them.
        Setting the edition it already has keeps the original date: 'paid since' must not
        move when a paid customer is saved again.
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
    person = validate.text(admin_name, "admin_name") if admin_name is not None else email
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

"""`kit.resellers`: the reseller portal's operations (004 seed). Staff invite a reseller; its
users manage their own customers (details, tags, archive), place orders for them, invoice them
through billing, and move a large customer to a reseller portal of its own, which leaves the
old reseller a read-only trace frozen at the move. Every call is scoped by the access guard:
any other reseller's customer, order or id answers exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.access.guard import NotFound
from partnerkit.access.principal import Role, require_principal
from partnerkit.billing.events import InvoiceVoided
from partnerkit.billing.invoices import Invoice, InvoiceLine
from partnerkit.billing.service import BillingService
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.customers.accounts import Customer
from partnerkit.customers.events import CustomerCreated
from partnerkit.errors import (
    FloatAmountError,
    IntegrityViolationError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
)
from partnerkit.events import Email
from partnerkit.money import Money
from partnerkit.resellers.accounts import Reseller, ResellerInvitation, ResellerStatus
from partnerkit.resellers.clients import (
    DETAIL_FIELDS,
    CustomerQuery,
    CustomerSort,
    ResellerCustomer,
    ResellerTag,
    TagMatch,
)
from partnerkit.resellers.errors import (
    AlreadyOwnPortalError,
    CustomerArchivedError,
    CustomerMigratedError,
    InvitationExpiredError,
    QuantityNotPositiveError,
    ResellerCustomerNotFoundError,
    ResellerNotFoundError,
    SalesOrderNotFoundError,
    UnknownTagError,
)
from partnerkit.resellers.events import (
    CustomerArchived,
    CustomerMigrated,
    CustomerUnarchived,
    ResellerCustomerCreated,
    ResellerInvited,
    ResellerJoined,
    SalesOrderChanged,
    SalesOrderInvoiced,
    SalesOrderPlaced,
)
from partnerkit.resellers.migrations import CustomerMigration
from partnerkit.resellers.orders import (
    OrderAction,
    OrderLine,
    OrderStatus,
    SalesOrder,
    check_invoiceable,
    next_status,
    order_total,
)
from partnerkit.resellers.policy import ResellerPolicy
from partnerkit.resellers.ports import ResellersStore
from partnerkit.runtime import Runtime
from partnerkit.secrets import hash_token

__all__ = [
    "INVITATION_PURPOSE",
    "ResellersService",
    "customer_missing",
    "migrated_refusal",
    "order_missing",
    "reseller_missing",
]

#: What the secret key derives invitation tokens for (never stored; see partnerkit.secrets).
INVITATION_PURPOSE = "reseller_invitation"
#: Who asks billing for an order's invoice: billing invoices for staff and the system only, and
#: the reseller's own right to the order was checked first.
SYSTEM = Principal.system("resellers")
#: The most customers one tag or archive call takes: the dashboard's selection.
MAX_SELECTION = 500
_DETAIL_LENGTH = 200


def _shown(ref: object) -> str:
    return (ref if isinstance(ref, str) else repr(ref))[:100]


def _missing(error: type[NotFoundError], what: str, field: str, ref: object) -> NotFound:
    shown = _shown(ref)
    return lambda: error(f"no {what} {shown!r}", details={field: shown})


def reseller_missing(ref: object) -> NotFound:
    """The not-found answer for a reseller id: the same for a missing one and another's."""
    return _missing(ResellerNotFoundError, "reseller", "reseller_id", ref)


def customer_missing(ref: object) -> NotFound:
    """The not-found answer for a customer id in a reseller portal."""
    return _missing(ResellerCustomerNotFoundError, "customer", "customer_id", ref)


def order_missing(ref: object) -> NotFound:
    """The not-found answer for an order id."""
    return _missing(SalesOrderNotFoundError, "order", "order_id", ref)


def migrated_refusal(customer_id: str) -> CustomerMigratedError:
    """The answer to a change through a read-only trace: the customer moved to its own portal."""
    return CustomerMigratedError(
        "This customer moved to its own reseller portal; its history stays readable here.",
        details={"customer_id": customer_id},
    )


def _trace_reader(actor: Principal, link: ResellerCustomer) -> str | None:
    """The reseller whose read-only trace the actor reads a customer through: a user of a
    reseller the customer left (the guard let it read, so it keeps a trace); None for the
    managing reseller's users, staff and the system."""
    rid = actor.reseller_id
    if actor.role is Role.RESELLER_USER and rid is not None and rid != link.reseller_id:
        return rid
    return None


def _tag_key(name: str) -> str:
    return name.casefold()


def _window(limit: object, offset: object) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
        raise InvalidInputError("A page shows between 1 and 500 entries.", field="limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInputError("Start the page at entry 0 or later.", field="offset")
    return limit, offset


def _choice(value: object, kind: type[TagMatch] | type[CustomerSort], field: str) -> str:
    allowed = [m.value for m in kind]
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInputError(
            "Choose one of: " + ", ".join(allowed) + ".",
            field=field,
            details={"allowed": allowed},
        )
    return value


def _selection(values: object, field: str) -> list[str]:
    """The distinct ids of a selection, in the order given."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError("Select one or more customers.", field=field)
    found = list(
        dict.fromkeys(
            validate.text(v, f"{field}[{i}]", max_length=100) for i, v in enumerate(values)
        )
    )
    if not found:
        raise InvalidInputError("Select one or more customers.", field=field)
    if len(found) > MAX_SELECTION:
        raise InvalidInputError(f"Select at most {MAX_SELECTION} customers at once.", field=field)
    return found


def _order_line(value: object, index: int) -> OrderLine:
    field = f"lines[{index}]"
    if not isinstance(value, OrderLine):
        raise InvalidInputError(
            "Each order line names a product, a quantity and a unit price.",
            field=field,
            hint="lines takes partnerkit.OrderLine values",
        )
    product = validate.key(value.product, f"{field}.product")
    quantity = value.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise QuantityNotPositiveError(
            "The quantity must be a whole number.", field=f"{field}.quantity"
        )
    if quantity <= 0:
        raise QuantityNotPositiveError(
            f"The quantity must be 1 or more, not {quantity}.",
            field=f"{field}.quantity",
            details={"value": quantity},
        )
    price: object = value.unit_price
    if isinstance(price, float):
        raise FloatAmountError(field=f"{field}.unit_price")
    if not isinstance(price, Money) or price.is_negative:
        raise InvalidInputError(
            "The unit price must be an amount of money of zero or more.",
            field=f"{field}.unit_price",
            hint="unit_price takes a Money, such as Money.of('12.50', 'USD')",
        )
    return OrderLine(product, quantity, price)


class ResellersService:
    """`kit.resellers`: the reseller portal (004 seed, "How to Manage a Customer as a Reseller").

    Staff (the selling company's admin) invite resellers by email; the invitation's link opens
    the portal (`accept_invitation` gives the reseller's user). A reseller's users, staff and
    the system manage the reseller's customers: each is a customer account of
    `kit.customers`, so billing's saved payment methods work for it, entered by the reseller
    on the customer's behalf. Another reseller's ids answer exactly like missing ones.
    """

    def __init__(
        self, runtime: Runtime[ResellersStore], policy: ResellerPolicy, billing: BillingService
    ) -> None:
        self._rt = runtime
        self._policy = policy
        self._billing = billing

    # --- scope --------------------------------------------------------------------------------

    def _reseller(self, uow: ResellersStore, actor: object, reseller_id: object) -> Reseller:
        missing = reseller_missing(reseller_id)
        rid = reseller_id if isinstance(reseller_id, str) else ""
        self._rt.guard.require_reseller(actor, rid, missing)
        found = uow.resellers.get(rid)
        if found is None:
            raise missing()
        return found

    def _customer(
        self, uow: ResellersStore, actor: object, customer_id: object, *, change: bool
    ) -> ResellerCustomer:
        """The reseller customer the actor may read (or, with `change`, change: locked)."""
        require_principal(actor)
        missing = customer_missing(customer_id)
        cid = customer_id if isinstance(customer_id, str) else ""
        link = uow.reseller_customers.get(cid, for_update=change) if validate.is_ref(cid) else None
        self._rt.guard.require_managed(uow, actor, cid, missing, change=change)
        if link is None:
            raise missing()
        return link

    def _seen(
        self, uow: ResellersStore, actor: object, customer_id: object
    ) -> tuple[ResellerCustomer, str | None]:
        """The customer as the actor reads it, and the reseller whose trace it reads it through
        (None for the managing reseller, staff and the system): a reseller the customer left
        reads it as it was when it moved, whatever its new portal changed since."""
        link = self._customer(uow, actor, customer_id, change=False)
        trace = _trace_reader(require_principal(actor), link)
        if trace is None:
            return link, None
        frozen = uow.reseller_customers.frozen(trace, link.customer_id)
        if frozen is None:
            raise customer_missing(customer_id)()
        return frozen, trace

    def _selected(
        self, uow: ResellersStore, reseller: Reseller, customer_ids: Sequence[str]
    ) -> list[ResellerCustomer]:
        """The reseller's own customers among the selection, locked in id order; another's is
        missing, and one that moved to its own portal is read-only."""
        links = []
        for cid in sorted(customer_ids):
            link = uow.reseller_customers.get(cid, for_update=True)
            if link is None or link.reseller_id != reseller.id:
                if uow.customer_migrations.trace(reseller.id, cid) is not None:
                    raise migrated_refusal(cid)
                raise customer_missing(cid)()
            links.append(link)
        return links

    # --- resellers and invitations ------------------------------------------------------------

    def invite(self, name: str, email: str, *, actor: Principal) -> Reseller:
        """Invite a reseller by email: the portal opens with the single-use, expiring link in
        that email (004 seed: "an email invite that is sent by the company you are working for").

        Args:
            name: The reseller company's name.
            email: Where the invitation goes; its first user signs in with it.
            actor: Who invites: staff or the system.

        Returns:
            The reseller, invited.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvalidInputError: An empty or malformed name or email (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        clean_name = validate.text(name, "name")
        address = validate.email(email, "email")
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "invite a reseller")
            reseller = Reseller(
                id=self._rt.new_id("rsl"),
                name=clean_name,
                email=address,
                status=ResellerStatus.INVITED,
                created_at=self._rt.now(),
                invited_by=principal.label,
            )
            uow.resellers.add(reseller)
            self._send_invitation(uow, reseller)
            return reseller

    def _send_invitation(self, uow: ResellersStore, reseller: Reseller) -> ResellerInvitation:
        now = self._rt.now()
        invitation_id = self._rt.new_id("rin")
        # The token is derived from the secret key when the email is delivered: the table keeps
        # its hash and the outbox a reference, never the token.
        link = self._rt.secrets.issue(INVITATION_PURPOSE, invitation_id)
        invitation = ResellerInvitation(
            id=invitation_id,
            reseller_id=reseller.id,
            email=reseller.email,
            token_hash=link.token_hash,
            created_at=now,
            expires_at=now + self._policy.invitation_valid_for,
        )
        uow.reseller_invitations.add(invitation)
        self._rt.send(
            uow,
            Email(
                to=reseller.email,
                subject=f"Your reseller portal for {reseller.name}",
                body="Open the link in this email to sign in to your reseller portal, where "
                "you manage your customers and their orders.",
                template="resellers.invitation",
                context={
                    "reseller_id": reseller.id,
                    "invitation_id": invitation.id,
                    "token": link.as_data(),
                    "expires_at": invitation.expires_at.isoformat(),
                },
            ),
        )
        self._rt.publish(uow, ResellerInvited(reseller.id, invitation.id))
        return invitation

    def accept_invitation(self, token: str) -> Principal:
        """Open the reseller portal with the invitation's token: the link works once, until it
        expires. The visitor is nobody yet, so this takes no actor: the token is the authority.

        Args:
            token: The token of the invitation's link.

        Returns:
            The reseller's user, to pass as `actor=` to the portal's calls.

        Raises:
            InvalidTokenError: No such invitation, or one used already (`token.invalid`).
            InvitationExpiredError: The invitation has expired (`resellers.invitation_expired`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        try:
            # A link's token is plain text; anything else (a lone surrogate) is no token.
            token = validate.text(token, "token", max_length=200)
        except InvalidInputError:
            raise InvalidTokenError("This invitation link is not valid.") from None
        with self._rt.uow() as uow:
            invitation = uow.reseller_invitations.get_by_token_hash(
                hash_token(token), for_update=True
            )
            if invitation is None or invitation.accepted_at is not None:
                raise InvalidTokenError("This invitation link is not valid or was used already.")
            now = self._rt.now()
            if now >= invitation.expires_at:
                raise InvitationExpiredError(
                    "This invitation to the reseller portal has expired.",
                    details={"expired_at": invitation.expires_at.isoformat()},
                )
            uow.reseller_invitations.update(attrs.evolve(invitation, accepted_at=now))
            reseller = uow.resellers.get(invitation.reseller_id)
            assert reseller is not None
            if reseller.status is not ResellerStatus.ACTIVE:
                uow.resellers.update(attrs.evolve(reseller, status=ResellerStatus.ACTIVE))
            self._rt.publish(uow, ResellerJoined(reseller.id, invitation.email))
            return Principal.reseller_user(reseller.id, invitation.email)

    def get(self, reseller_id: str, *, actor: Principal) -> Reseller:
        """A reseller.

        Args:
            reseller_id: The reseller.
            actor: Who asks: the reseller's own users, staff or the system.

        Returns:
            The reseller.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            return self._reseller(uow, actor, reseller_id)

    # --- customers ----------------------------------------------------------------------------

    def create_customer(
        self, reseller_id: str, *, name: str, email: str, actor: Principal
    ) -> ResellerCustomer:
        """Create a customer in the reseller's portal (004 seed: "click on New customer ... and
        add their name and email address"): a customer account, managed by the reseller.

        Args:
            reseller_id: The reseller.
            name: The customer's name.
            email: The customer's email; no other customer of the reseller may have it.
            actor: Who acts: the reseller's own users, staff or the system.

        Returns:
            The customer.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            InvalidInputError: An empty or malformed name or email (`validation.invalid`).
            ResellerEmailTakenError: Another customer of the reseller has the email
                (`resellers.email_taken`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        clean_name = validate.text(name, "name")
        address = validate.email(email, "email")
        with self._rt.uow() as uow:
            reseller = self._reseller(uow, actor, reseller_id)
            principal = require_principal(actor)
            now = self._rt.now()
            account = Customer(id=self._rt.new_id("cus"), name=clean_name, created_at=now)
            uow.customers.add(account)
            self._rt.publish(uow, CustomerCreated(account.id, clean_name))
            link = ResellerCustomer(
                customer_id=account.id,
                reseller_id=reseller.id,
                name=clean_name,
                email=address,
                archived=False,
                created_at=now,
                created_by=principal.label,
            )
            # The unique key (reseller, email) decides a duplicate, however many create at once.
            uow.reseller_customers.add(link)
            self._rt.publish(uow, ResellerCustomerCreated(reseller.id, account.id))
            return link

    def get_customer(self, customer_id: str, *, actor: Principal) -> ResellerCustomer:
        """A customer of the reseller's portal, with its details.

        Args:
            customer_id: The customer.
            actor: Who asks: the managing reseller's users (or those of the reseller it left,
                which keeps a read-only trace), staff or the system.

        Returns:
            The customer; to the reseller it left, as it was when it moved.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerCustomerNotFoundError: No such customer, or another reseller's
                (`resellers.customer_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            return self._seen(uow, actor, customer_id)[0]

    def update_details(
        self,
        customer_id: str,
        *,
        actor: Principal,
        name: str | None = None,
        email: str | None = None,
        contact_name: str | None = None,
        contact_phone: str | None = None,
        shipping_line1: str | None = None,
        shipping_line2: str | None = None,
        shipping_city: str | None = None,
        shipping_postal_code: str | None = None,
        shipping_country: str | None = None,
        company_name: str | None = None,
        company_tax_id: str | None = None,
    ) -> ResellerCustomer:
        """Edit a customer's settings (004 seed: "edit their contact, shipping, and company
        details"). A detail left None keeps its value; an empty one clears it.

        Args:
            customer_id: The customer.
            actor: Who acts: the managing reseller's users, staff or the system.
            name: A new name.
            email: A new email; no other customer of the reseller may have it.
            contact_name: The person to contact.
            contact_phone: Their phone number.
            shipping_line1: The shipping address, first line.
            shipping_line2: Its second line.
            shipping_city: Its city.
            shipping_postal_code: Its postal code.
            shipping_country: Its country.
            company_name: The company's legal name.
            company_tax_id: Its tax or VAT number.

        Returns:
            The customer with its new details.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerCustomerNotFoundError: No such customer, or another reseller's
                (`resellers.customer_not_found`).
            CustomerMigratedError: The customer moved to its own portal
                (`resellers.customer_migrated`).
            InvalidInputError: A detail is not text, too long, or a name or email is empty or
                malformed (`validation.invalid`).
            ResellerEmailTakenError: Another customer of the reseller has the email
                (`resellers.email_taken`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        given = {
            "contact_name": contact_name,
            "contact_phone": contact_phone,
            "shipping_line1": shipping_line1,
            "shipping_line2": shipping_line2,
            "shipping_city": shipping_city,
            "shipping_postal_code": shipping_postal_code,
            "shipping_country": shipping_country,
            "company_name": company_name,
            "company_tax_id": company_tax_id,
        }
        assert tuple(given) == DETAIL_FIELDS
        changes: dict[str, Any] = {}
        for field, value in given.items():
            if value is not None:
                cleaned = validate.text(value, field, max_length=_DETAIL_LENGTH, required=False)
                changes[field] = cleaned or None
        if name is not None:
            changes["name"] = validate.text(name, "name")
        if email is not None:
            changes["email"] = validate.email(email, "email")
        with self._rt.uow() as uow:
            link = self._customer(uow, actor, customer_id, change=True)
            if not changes:
                return link
            updated = uow.reseller_customers.update(attrs.evolve(link, **changes))
            new_name = changes.get("name")
            if isinstance(new_name, str) and new_name != link.name:
                # The account keeps the name its customer is known by everywhere else.
                account = uow.customers.get(link.customer_id)
                if account is not None:
                    uow.customers.update(attrs.evolve(account, name=new_name))
            return updated

    def customers(
        self,
        reseller_id: str,
        *,
        archived: bool | None = False,
        tags: Sequence[str] = (),
        match: str = "any",
        search: str | None = None,
        sort: str = "name",
        descending: bool = False,
        limit: int = 50,
        offset: int = 0,
        actor: Principal,
    ) -> list[ResellerCustomer]:
        """A page of the reseller's customer list (the Customers tab): filtered by archive,
        tags (any or all of several) and a search of names and emails; sorted and paginated.
        The storage computes the page: its cost follows the page, not the reseller's size.

        Args:
            reseller_id: The reseller.
            archived: False (the default list) hides archived customers; True shows only
                them; None shows both.
            tags: Only customers with these tags (by name).
            match: "any" or "all" of the tags.
            search: Only customers whose name or email contains this, in any case.
            sort: "name", "email" or "created".
            descending: Largest (or newest) first.
            limit: At most this many (1 to 500).
            offset: Skip this many first.
            actor: Who asks: the reseller's own users, staff or the system.

        Returns:
            The customers.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            UnknownTagError: A tag the reseller does not have (`resellers.unknown_tag`).
            InvalidInputError: A filter, the sort or the window is not valid
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        if archived is not None:
            archived = validate.flag(archived, "archived")
        names = validate.texts(tags, "tags", lambda v, f: validate.text(v, f, max_length=40))
        how = TagMatch(_choice(match, TagMatch, "match"))
        order = CustomerSort(_choice(sort, CustomerSort, "sort"))
        text = (
            None
            if search is None
            else validate.text(search, "search", max_length=100, required=False)
        )
        first, skip = _window(limit, offset)
        with self._rt.uow(readonly=True) as uow:
            reseller = self._reseller(uow, actor, reseller_id)
            tag_ids = []
            for tag_name in names:
                tag = uow.reseller_tags.by_key(reseller.id, _tag_key(tag_name))
                if tag is None:
                    raise UnknownTagError(
                        f"There is no tag {tag_name!r} in this portal.",
                        field="tags",
                        details={"tag": tag_name},
                    )
                tag_ids.append(tag.id)
            query = CustomerQuery(
                archived=archived,
                tag_ids=tuple(sorted(set(tag_ids))),
                match=how,
                search=text or None,
                sort=order,
                descending=validate.flag(descending, "descending"),
                limit=first,
                offset=skip,
            )
            return uow.reseller_customers.page(reseller.id, query)

    # --- tags ---------------------------------------------------------------------------------

    def tags(self, reseller_id: str, *, actor: Principal) -> list[ResellerTag]:
        """The reseller's tags, to choose from when tagging or filtering.

        Args:
            reseller_id: The reseller.
            actor: Who asks: the reseller's own users, staff or the system.

        Returns:
            The tags, by name in lower case.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            reseller = self._reseller(uow, actor, reseller_id)
            return uow.reseller_tags.for_reseller(reseller.id)

    def _tag_named(self, uow: ResellersStore, reseller_id: str, name: str) -> ResellerTag:
        """The reseller's tag of this name, made when it has none: a unique key decides two
        makers at once, and the loser takes the winner's."""
        key = _tag_key(name)
        found = uow.reseller_tags.by_key(reseller_id, key)
        if found is not None:
            return found
        tag = ResellerTag(self._rt.new_id("rtg"), reseller_id, name, key, self._rt.now())
        try:
            uow.reseller_tags.add(tag)
        except IntegrityViolationError:
            # Another call made it since we looked (the unique key chose it): take theirs. The
            # storage refused only that insert, so this transaction goes on.
            made = uow.reseller_tags.by_key(reseller_id, key)
            if made is None:
                raise
            return made
        return tag

    def tag(
        self, reseller_id: str, customer_ids: Sequence[str], tag: str, *, actor: Principal
    ) -> ResellerTag:
        """Tag one or many customers with an existing tag or a new one (004 seed, "Customer
        tagging": "select the customers you want to tag ... select from existing tags or add a
        new tag"). A customer that has the tag keeps it once.

        Args:
            reseller_id: The reseller.
            customer_ids: The customers selected.
            tag: The tag's name; made when the reseller has none of that name (in any case).
            actor: Who acts: the reseller's own users, staff or the system.

        Returns:
            The tag.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            ResellerCustomerNotFoundError: A customer the reseller does not have
                (`resellers.customer_not_found`).
            CustomerMigratedError: A customer that moved to its own portal
                (`resellers.customer_migrated`).
            InvalidInputError: No customers, or an empty or long tag (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        name = validate.text(tag, "tag", max_length=40)
        ids = _selection(customer_ids, "customer_ids")
        with self._rt.uow() as uow:
            reseller = self._reseller(uow, actor, reseller_id)
            links = self._selected(uow, reseller, ids)
            found = self._tag_named(uow, reseller.id, name)
            uow.reseller_tags.tag(found, [link.customer_id for link in links])
            return found

    def untag(
        self, reseller_id: str, customer_ids: Sequence[str], tag: str, *, actor: Principal
    ) -> None:
        """Take a tag off one or many customers; the tag stays in the portal's list.

        Args:
            reseller_id: The reseller.
            customer_ids: The customers selected.
            tag: The tag's name, in any case.
            actor: Who acts: the reseller's own users, staff or the system.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            ResellerCustomerNotFoundError: A customer the reseller does not have
                (`resellers.customer_not_found`).
            CustomerMigratedError: A customer that moved to its own portal
                (`resellers.customer_migrated`).
            UnknownTagError: The reseller has no such tag (`resellers.unknown_tag`).
            InvalidInputError: No customers, or an empty or long tag (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        name = validate.text(tag, "tag", max_length=40)
        ids = _selection(customer_ids, "customer_ids")
        with self._rt.uow() as uow:
            reseller = self._reseller(uow, actor, reseller_id)
            links = self._selected(uow, reseller, ids)
            found = uow.reseller_tags.by_key(reseller.id, _tag_key(name))
            if found is None:
                raise UnknownTagError(
                    f"There is no tag {name!r} in this portal.",
                    field="tag",
                    details={"tag": name},
                )
            uow.reseller_tags.untag(found, [link.customer_id for link in links])

    def customer_tags(self, customer_id: str, *, actor: Principal) -> list[ResellerTag]:
        """The tags a customer has in the reseller's portal (the one asking, or for staff the
        managing reseller's).

        Args:
            customer_id: The customer.
            actor: Who asks: the managing reseller's users (or those of the reseller it left),
                staff or the system.

        Returns:
            The tags, by name in lower case.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerCustomerNotFoundError: No such customer, or another reseller's
                (`resellers.customer_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            # A reseller the customer left keeps its own tags on it: nobody changes them since.
            link, _ = self._seen(uow, actor, customer_id)
            return uow.reseller_tags.of_customer(link.reseller_id, link.customer_id)

    # --- archive ------------------------------------------------------------------------------

    def _set_archived(
        self, reseller_id: str, customer_ids: Sequence[str], archived: bool, actor: Principal
    ) -> list[ResellerCustomer]:
        ids = _selection(customer_ids, "customer_ids")
        with self._rt.uow() as uow:
            reseller = self._reseller(uow, actor, reseller_id)
            done = []
            for link in self._selected(uow, reseller, ids):
                if link.archived is archived:
                    done.append(link)  # idempotent: nothing to write
                    continue
                when: datetime | None = self._rt.now() if archived else link.archived_at
                done.append(
                    uow.reseller_customers.update(
                        attrs.evolve(link, archived=archived, archived_at=when)
                    )
                )
                event = CustomerArchived if archived else CustomerUnarchived
                self._rt.publish(uow, event(reseller.id, link.customer_id))
            return done

    def archive(
        self, reseller_id: str, customer_ids: Sequence[str], *, actor: Principal
    ) -> list[ResellerCustomer]:
        """Archive customers: they leave the default list, and nothing of theirs is lost (004
        seed, "Archiving customers"). Archiving an archived customer changes nothing.

        Args:
            reseller_id: The reseller.
            customer_ids: The customers selected.
            actor: Who acts: the reseller's own users, staff or the system.

        Returns:
            The customers, archived, in id order.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            ResellerCustomerNotFoundError: A customer the reseller does not have
                (`resellers.customer_not_found`).
            CustomerMigratedError: A customer that moved to its own portal
                (`resellers.customer_migrated`).
            InvalidInputError: No customers selected (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._set_archived(reseller_id, customer_ids, True, actor)

    def unarchive(
        self, reseller_id: str, customer_ids: Sequence[str], *, actor: Principal
    ) -> list[ResellerCustomer]:
        """Bring archived customers back to the default list, as they were.

        Args:
            reseller_id: The reseller.
            customer_ids: The customers selected.
            actor: Who acts: the reseller's own users, staff or the system.

        Returns:
            The customers, unarchived, in id order.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            ResellerCustomerNotFoundError: A customer the reseller does not have
                (`resellers.customer_not_found`).
            CustomerMigratedError: A customer that moved to its own portal
                (`resellers.customer_migrated`).
            InvalidInputError: No customers selected (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._set_archived(reseller_id, customer_ids, False, actor)

    # --- orders -------------------------------------------------------------------------------

    def place_order(
        self, customer_id: str, lines: Sequence[OrderLine], *, actor: Principal
    ) -> SalesOrder:
        """Place an order for a customer, as a draft: lines from the catalog, a total that is
        the exact sum of the lines.

        Args:
            customer_id: The customer.
            lines: What is ordered: catalog products, quantities of 1 or more, unit prices in
                one currency.
            actor: Who acts: the managing reseller's users, staff or the system.

        Returns:
            The order, a draft.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerCustomerNotFoundError: No such customer, or another reseller's
                (`resellers.customer_not_found`).
            CustomerMigratedError: The customer moved to its own portal
                (`resellers.customer_migrated`).
            CustomerArchivedError: The customer is archived (`resellers.customer_archived`).
            ProductNotFoundError: A product the catalog does not have (`catalog.product_not_found`).
            QuantityNotPositiveError: A quantity below 1 (`resellers.quantity_not_positive`).
            OrderEmptyError: No lines (`resellers.order_empty`).
            MixedCurrenciesError: Lines in two currencies (`resellers.mixed_currencies`).
            InvalidInputError: A line that is not an order line, or a negative price
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        if isinstance(lines, str) or not isinstance(lines, Sequence):
            raise InvalidInputError("An order is a list of lines.", field="lines")
        checked = tuple(_order_line(line, i) for i, line in enumerate(lines))
        total = order_total(checked)
        with self._rt.uow() as uow:
            link = self._customer(uow, actor, customer_id, change=True)
            if link.archived:
                raise CustomerArchivedError(
                    f"{link.name} is archived: unarchive the customer to order for it.",
                    details={"customer_id": link.customer_id},
                )
            for i, line in enumerate(checked):
                if uow.products.get(line.product) is None:
                    raise ProductNotFoundError(
                        f"There is no product {line.product!r} in the catalog.",
                        details={"field": f"lines[{i}].product", "product": line.product},
                    )
            now = self._rt.now()
            order = SalesOrder(
                id=self._rt.new_sequential_id("so"),
                customer_id=link.customer_id,
                reseller_id=link.reseller_id,
                status=OrderStatus.DRAFT,
                lines=checked,
                total=total,
                created_at=now,
                created_by=require_principal(actor).label,
                updated_at=now,
            )
            uow.sales_orders.add(order)
            self._rt.publish(
                uow, SalesOrderPlaced(order.id, link.reseller_id, link.customer_id, total)
            )
            return order

    def _order(
        self, uow: ResellersStore, actor: object, order_id: object, *, change: bool
    ) -> SalesOrder:
        require_principal(actor)
        missing = order_missing(order_id)
        found = (
            uow.sales_orders.get(order_id, for_update=change)
            if validate.is_ref(order_id) and isinstance(order_id, str)
            else None
        )
        if found is None:
            raise missing()
        self._rt.guard.require_managed(uow, actor, found.customer_id, missing, change=change)
        return found

    def get_order(self, order_id: str, *, actor: Principal) -> SalesOrder:
        """An order, with its lines and total.

        Args:
            order_id: The order.
            actor: Who asks: the managing reseller's users (or those of the reseller the
                customer left), staff or the system.

        Returns:
            The order; to the reseller the customer left, as it was when the customer moved.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SalesOrderNotFoundError: No such order, or another reseller's, or one placed in
                the customer's new portal when the reseller it left asks
                (`resellers.order_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            order = self._order(uow, actor, order_id, change=False)
            link = uow.reseller_customers.get(order.customer_id)
            trace = None if link is None else _trace_reader(require_principal(actor), link)
            if trace is None:
                return order
            # The trace holds the orders the reseller placed, frozen at the move; a later
            # order of the new portal answers like a missing one.
            if order.reseller_id != trace:
                raise order_missing(order_id)()
            return uow.sales_orders.frozen([order])[0]

    def orders(
        self, customer_id: str, *, limit: int = 50, offset: int = 0, actor: Principal
    ) -> list[SalesOrder]:
        """A customer's orders, newest first.

        Args:
            customer_id: The customer.
            limit: At most this many (1 to 500).
            offset: Skip this many first.
            actor: Who asks: the managing reseller's users (or those of the reseller it left),
                staff or the system.

        Returns:
            The orders; to the reseller the customer left, only those it placed, as they were
            when the customer moved.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerCustomerNotFoundError: No such customer, or another reseller's
                (`resellers.customer_not_found`).
            InvalidInputError: The window is not valid (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        first, skip = _window(limit, offset)
        with self._rt.uow(readonly=True) as uow:
            link, trace = self._seen(uow, actor, customer_id)
            found = uow.sales_orders.for_customer(
                link.customer_id, limit=first, offset=skip, placed_by=trace
            )
            return found if trace is None else uow.sales_orders.frozen(found)

    def _save_order(
        self, uow: ResellersStore, order: SalesOrder, changed: SalesOrder
    ) -> SalesOrder:
        """Store a change of an order read under its lock. When its customer has left the
        reseller that placed it, that reseller's trace keeps the order as it was first."""
        link = uow.reseller_customers.get(order.customer_id)
        if link is not None and link.reseller_id != order.reseller_id:
            uow.sales_orders.freeze(order)
        return uow.sales_orders.update(changed)

    def _move(self, order_id: str, action: OrderAction, actor: Principal) -> SalesOrder:
        with self._rt.uow() as uow:
            # Locked: of two moves of one order, the second reads the first's status.
            order = self._order(uow, actor, order_id, change=True)
            status = next_status(order, action)
            updated = self._save_order(
                uow, order, attrs.evolve(order, status=status, updated_at=self._rt.now())
            )
            self._rt.publish(uow, SalesOrderChanged(order.id, order.customer_id, status.value))
            return updated

    def on_invoice_voided(self, event: InvoiceVoided) -> None:
        """Free the order a voided invoice billed, inside the void's transaction: the order
        owes nothing on it any more, so it may be invoiced again (or cancelled). The kit runs
        this; a host does not.

        Args:
            event: The invoice billing voided.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """
        if event.sales_order_id is None:
            return
        with self._rt.uow() as uow:
            order = uow.sales_orders.get(event.sales_order_id, for_update=True)
            if order is None or order.invoice_id != event.invoice_id:
                return
            # Its status stays: billing's own event (with the order's id) tells a host.
            self._save_order(
                uow, order, attrs.evolve(order, invoice_id=None, updated_at=self._rt.now())
            )

    def confirm_order(self, order_id: str, *, actor: Principal) -> SalesOrder:
        """Confirm a draft order.

        Args:
            order_id: The order.
            actor: Who acts: the managing reseller's users, staff or the system.

        Returns:
            The order, confirmed.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SalesOrderNotFoundError: No such order, or another reseller's
                (`resellers.order_not_found`).
            CustomerMigratedError: The customer moved to its own portal
                (`resellers.customer_migrated`).
            InvalidOrderTransitionError: The order is not a draft
                (`resellers.invalid_order_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._move(order_id, OrderAction.CONFIRM, actor)

    def fulfil_order(self, order_id: str, *, actor: Principal) -> SalesOrder:
        """Mark a confirmed order fulfilled.

        Args:
            order_id: The order.
            actor: Who acts: the managing reseller's users, staff or the system.

        Returns:
            The order, fulfilled.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SalesOrderNotFoundError: No such order, or another reseller's
                (`resellers.order_not_found`).
            CustomerMigratedError: The customer moved to its own portal
                (`resellers.customer_migrated`).
            InvalidOrderTransitionError: The order is not confirmed
                (`resellers.invalid_order_transition`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._move(order_id, OrderAction.FULFIL, actor)

    def cancel_order(self, order_id: str, *, actor: Principal) -> SalesOrder:
        """Cancel a draft or confirmed order.

        Args:
            order_id: The order.
            actor: Who acts: the managing reseller's users, staff or the system.

        Returns:
            The order, cancelled.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SalesOrderNotFoundError: No such order, or another reseller's
                (`resellers.order_not_found`).
            CustomerMigratedError: The customer moved to its own portal
                (`resellers.customer_migrated`).
            InvalidOrderTransitionError: The order is fulfilled or cancelled
                (`resellers.invalid_order_transition`).
            OrderInvoicedError: The order has an invoice (`resellers.order_invoiced`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._move(order_id, OrderAction.CANCEL, actor)

    def invoice_order(self, order_id: str, *, actor: Principal) -> Invoice:
        """Invoice a confirmed (or fulfilled) order through billing, once: the invoice's lines
        are the order's (product, quantity, unit price; billing adds its default tax), it is
        issued at once, names the order (`Invoice.sales_order_id`), and the order keeps it
        (`SalesOrder.invoice_id`), all in one transaction.

        The order's row is locked first, so of two calls the second finds the invoice; an
        invoice bills one order at most (a unique key).

        Args:
            order_id: The order.
            actor: Who acts: the managing reseller's users, staff or the system.

        Returns:
            The invoice, issued.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            SalesOrderNotFoundError: No such order, or another reseller's
                (`resellers.order_not_found`).
            CustomerMigratedError: The customer moved to its own portal
                (`resellers.customer_migrated`).
            OrderNotConfirmedError: A draft or cancelled order
                (`resellers.order_not_confirmed`).
            OrderInvoicedError: The order has its invoice already, not voided
                (`resellers.order_invoiced`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            order = self._order(uow, actor, order_id, change=True)
            check_invoiceable(order)
            lines = []
            for line in order.lines:
                product = uow.products.get(line.product)
                lines.append(
                    InvoiceLine.of(
                        line.product if product is None else product.name,
                        line.quantity,
                        line.unit_price,
                        product=line.product,
                    )
                )
            # Billing's unit of work joins this one: the invoice and the order's tie to it
            # commit together, or neither does.
            invoice = self._billing.create_invoice(
                order.customer_id, lines, sales_order_id=order.id, issue=True, actor=SYSTEM
            )
            self._save_order(
                uow, order, attrs.evolve(order, invoice_id=invoice.id, updated_at=self._rt.now())
            )
            self._rt.publish(
                uow,
                SalesOrderInvoiced(
                    order.id,
                    order.customer_id,
                    invoice.id,
                    invoice.total,
                    require_principal(actor).label,
                ),
            )
            return invoice

    # --- migration to a reseller portal of the customer's own ----------------------------------

    def migrate_to_reseller(self, customer_id: str, *, actor: Principal) -> CustomerMigration:
        """Move a large customer to a reseller portal of its own (004 seed, "Migrating customers
        to reseller"), where it manages its own orders and payment details.

        The new reseller is invited at the customer's email. The customer's orders and saved
        payment methods stay with its account and so are reachable from the new portal; its
        tags are copied there. The record says who did it and when, and the reseller it left
        keeps a read-only trace frozen at the move: it reads the customer's details and its
        own tags as they were, and the orders it placed as they were (none the new portal
        places or changes later); it still sees the payment methods, and every change answers
        `CustomerMigratedError`.

        Args:
            customer_id: The customer.
            actor: Who acts: the managing reseller's users, staff or the system.

        Returns:
            The migration's record.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerCustomerNotFoundError: No such customer, or another reseller's
                (`resellers.customer_not_found`).
            CustomerMigratedError: The customer left this reseller already
                (`resellers.customer_migrated`).
            AlreadyOwnPortalError: The customer manages itself already
                (`resellers.already_own_portal`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow() as uow:
            # The customer's link is locked first: two migrations of one customer take turns,
            # and the second finds it moved.
            link = self._customer(uow, actor, customer_id, change=True)
            old = uow.resellers.get(link.reseller_id)
            assert old is not None
            if old.from_customer_id == link.customer_id:
                raise AlreadyOwnPortalError(
                    f"{link.name} manages its orders in its own reseller portal already.",
                    details={"customer_id": link.customer_id, "reseller_id": old.id},
                )
            principal = require_principal(actor)
            now = self._rt.now()
            portal = Reseller(
                id=self._rt.new_id("rsl"),
                name=link.name,
                email=link.email,
                status=ResellerStatus.INVITED,
                created_at=now,
                invited_by=principal.label,
                from_customer_id=link.customer_id,
            )
            uow.resellers.add(portal)
            migration = CustomerMigration(
                id=self._rt.new_id("mig"),
                customer_id=link.customer_id,
                from_reseller_id=old.id,
                to_reseller_id=portal.id,
                migrated_at=now,
                migrated_by=principal.label,
            )
            uow.customer_migrations.add(migration)
            # The tags come along: the new portal groups the customer as the old one did, and
            # the old one keeps its own tags on its trace.
            for tag in uow.reseller_tags.of_customer(old.id, link.customer_id):
                copied = self._tag_named(uow, portal.id, tag.name)
                uow.reseller_tags.tag(copied, [link.customer_id])
            # The reseller it leaves keeps it as it is now; its orders are kept as they are
            # when the new portal first changes them (see _save_order).
            uow.reseller_customers.freeze(link)
            uow.reseller_customers.update(attrs.evolve(link, reseller_id=portal.id))
            self._send_invitation(uow, portal)
            self._rt.publish(
                uow, CustomerMigrated(link.customer_id, old.id, portal.id, principal.label)
            )
            return migration

    def migrations(self, reseller_id: str, *, actor: Principal) -> list[CustomerMigration]:
        """The customers that moved from the reseller to portals of their own: its traces.

        Args:
            reseller_id: The reseller.
            actor: Who asks: the reseller's own users, staff or the system.

        Returns:
            The records, oldest first.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            ResellerNotFoundError: No such reseller, or another one
                (`resellers.reseller_not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            reseller = self._reseller(uow, actor, reseller_id)
            return uow.customer_migrations.from_reseller(reseller.id)

"""The reseller portal's ports (004 seed): resellers and invitations read back exactly, one
customer email per reseller (a unique key), the customer list's filters, order and window
computed by the storage, tags kept once, orders with their lines and one invoice each (a unique
key), migrations as traces, and the trace a move freezes (the customer as it was, each order as
it was before its first change after); and the seed's operations end to end through
`kit.resellers` on the backend, an order's invoice through billing included. One contract class
per port, plus the portal's service contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

from partnerkit.access import Principal
from partnerkit.billing.invoices import InvoiceStatus
from partnerkit.clock import SimulatedClock
from partnerkit.errors import ConcurrencyError, IntegrityViolationError, PartnerkitError
from partnerkit.gateways.mailer import FakeMailer
from partnerkit.gateways.payments import FakePaymentGateway
from partnerkit.kit import Kit
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.resellers.accounts import Reseller, ResellerInvitation, ResellerStatus
from partnerkit.resellers.clients import (
    CustomerQuery,
    CustomerSort,
    ResellerCustomer,
    ResellerTag,
    TagMatch,
)
from partnerkit.resellers.errors import (
    CustomerArchivedError,
    CustomerMigratedError,
    OrderInvoicedError,
    ResellerCustomerNotFoundError,
    ResellerEmailTakenError,
    SalesOrderNotFoundError,
)
from partnerkit.resellers.migrations import CustomerMigration
from partnerkit.resellers.orders import OrderLine, OrderStatus, SalesOrder
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import T0, ContractBase, _customer
from partnerkit.testing.conformance.billing import _invoice

__all__ = [
    "CustomerMigrationsContract",
    "ResellerCustomersContract",
    "ResellerInvitationsContract",
    "ResellerPortalContract",
    "ResellerTagsContract",
    "ResellersContract",
    "SalesOrdersContract",
]

STAFF = Principal.staff("admin@vendor.example")


def _reseller(rid: str, name: str = "Zillium") -> Reseller:
    return Reseller(rid, name, f"ops@{rid}.example", ResellerStatus.INVITED, T0, "admin@v.example")


def _link(
    cid: str, rid: str, name: str, email: str, *, archived: bool = False, minutes: int = 0
) -> ResellerCustomer:
    return ResellerCustomer(
        customer_id=cid,
        reseller_id=rid,
        name=name,
        email=email,
        archived=archived,
        created_at=T0 + timedelta(minutes=minutes),
        created_by="ops@zillium.example",
    )


def _order(
    n: int,
    lines: tuple[OrderLine, ...],
    total: Money,
    *,
    status: OrderStatus = OrderStatus.CONFIRMED,
    reseller_id: str = "rsl_1",
) -> SalesOrder:
    """Order so_n of cus_1, placed n minutes after T0."""
    return SalesOrder(
        id=f"so_{n}",
        customer_id="cus_1",
        reseller_id=reseller_id,
        status=status,
        lines=lines,
        total=total,
        created_at=T0 + timedelta(minutes=n),
        created_by="ops@zillium.example",
        updated_at=T0,
    )


class _Resellers(ContractBase):
    def _resellers(self, backend: Backend[Store]) -> None:
        """Products, customers cus_1 and cus_2, resellers rsl_1 and rsl_2."""
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.resellers.add(_reseller("rsl_1"))
            uow.resellers.add(_reseller("rsl_2", "Other"))

    def _linked(self, backend: Backend[Store]) -> None:
        """cus_1 (Acme) and cus_2 (Globex) are rsl_1's customers."""
        self._resellers(backend)
        with backend.unit_of_work() as uow:
            uow.reseller_customers.add(_link("cus_1", "rsl_1", "Acme", "it@acme.example"))
            uow.reseller_customers.add(
                _link("cus_2", "rsl_1", "globex", "buy@globex.example", minutes=1)
            )


class ResellersContract(_Resellers):
    """Resellers read back exactly; updates are versioned."""

    def test_a_reseller_reads_back_and_updates_by_version(self, backend: Backend[Store]) -> None:
        self._resellers(backend)
        with backend.unit_of_work() as uow:
            stored = uow.resellers.get("rsl_1")
            assert stored == _reseller("rsl_1")
            active = uow.resellers.update(attrs.evolve(stored, status=ResellerStatus.ACTIVE))
            assert active.version == 2
            with pytest.raises(ConcurrencyError):
                uow.resellers.update(stored)
        with backend.unit_of_work() as uow:
            assert uow.resellers.get("rsl_1") == active
            assert uow.resellers.get("rsl_missing") is None


class ResellerInvitationsContract(_Resellers):
    """An invitation is found by its token's hash only, and used once (versioned)."""

    def test_found_by_hash_and_updated_once(self, backend: Backend[Store]) -> None:
        self._resellers(backend)
        invitation = ResellerInvitation(
            "rin_1", "rsl_1", "ops@rsl_1.example", "a" * 64, T0, T0 + timedelta(days=7)
        )
        with backend.unit_of_work() as uow:
            uow.reseller_invitations.add(invitation)
        with backend.unit_of_work() as uow:
            found = uow.reseller_invitations.get_by_token_hash("a" * 64, for_update=True)
            assert found == invitation
            assert uow.reseller_invitations.get_by_token_hash("b" * 64) is None
            used = uow.reseller_invitations.update(attrs.evolve(found, accepted_at=T0))
            with pytest.raises(ConcurrencyError):
                uow.reseller_invitations.update(attrs.evolve(found, accepted_at=T0))
        with backend.unit_of_work() as uow:
            assert uow.reseller_invitations.get_by_token_hash("a" * 64) == used


class ResellerCustomersContract(_Resellers):
    """One email per reseller (a unique key, on add and update); the list's archive filter,
    search, order and window are the storage's."""

    def test_one_email_per_reseller_decided_by_the_store(self, backend: Backend[Store]) -> None:
        self._linked(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_3", "it@initech.example"))
        with pytest.raises(ResellerEmailTakenError), backend.unit_of_work() as uow:
            uow.reseller_customers.add(_link("cus_3", "rsl_1", "Copy", "it@acme.example"))
        with backend.unit_of_work() as uow:
            # Another reseller may have a customer with that email.
            uow.reseller_customers.add(_link("cus_3", "rsl_2", "Copy", "it@acme.example"))
        with backend.unit_of_work() as uow:
            globex = uow.reseller_customers.get("cus_2", for_update=True)
            assert globex is not None
            with pytest.raises(ResellerEmailTakenError):
                uow.reseller_customers.update(attrs.evolve(globex, email="it@acme.example"))
        with backend.unit_of_work() as uow:
            stored = uow.reseller_customers.get("cus_2")
            assert stored is not None and stored.email == "buy@globex.example"

    def test_the_list_filters_searches_sorts_and_pages(self, backend: Backend[Store]) -> None:
        self._linked(backend)
        with backend.unit_of_work() as uow:
            globex = uow.reseller_customers.get("cus_2")
            assert globex is not None
            archived = uow.reseller_customers.update(attrs.evolve(globex, archived=True))
            assert archived.version == 2

            def names(**kw: object) -> list[str]:
                query = CustomerQuery(**kw)  # type: ignore[arg-type]
                return [c.name for c in uow.reseller_customers.page("rsl_1", query)]

            assert names() == ["Acme"]
            assert names(archived=True) == ["globex"]
            assert names(archived=None) == ["Acme", "globex"]
            assert names(archived=None, descending=True) == ["globex", "Acme"]
            assert names(archived=None, sort=CustomerSort.EMAIL) == ["globex", "Acme"]
            assert names(archived=None, sort=CustomerSort.CREATED, descending=True) == [
                "globex",
                "Acme",
            ]
            assert names(archived=None, search="ACME") == ["Acme"]
            assert names(archived=None, search="globex.ex") == ["globex"]
            assert names(archived=None, search="%") == []
            assert names(archived=None, limit=1, offset=1) == ["globex"]
            assert uow.reseller_customers.page("rsl_2", CustomerQuery(archived=None)) == []

    def test_a_frozen_customer_reads_back_as_it_was(self, backend: Backend[Store]) -> None:
        self._linked(backend)
        with backend.unit_of_work() as uow:
            acme = uow.reseller_customers.get("cus_1", for_update=True)
            assert acme is not None
            detailed = uow.reseller_customers.update(
                attrs.evolve(acme, contact_name="Ann", shipping_city="Pune")
            )
            uow.reseller_customers.freeze(detailed)
            uow.reseller_customers.update(
                attrs.evolve(detailed, reseller_id="rsl_2", contact_name="Bob")
            )
        with pytest.raises(IntegrityViolationError), backend.unit_of_work() as uow:
            uow.reseller_customers.freeze(detailed)  # one trace per reseller left
        with backend.unit_of_work() as uow:
            assert uow.reseller_customers.frozen("rsl_1", "cus_1") == detailed
            assert uow.reseller_customers.frozen("rsl_2", "cus_1") is None
            assert uow.reseller_customers.frozen("rsl_1", "cus_2") is None
            now = uow.reseller_customers.get("cus_1")
            assert now is not None and (now.reseller_id, now.contact_name) == ("rsl_2", "Bob")


class ResellerTagsContract(_Resellers):
    """A tag per key and reseller; a customer has a tag once; the list filters by any or all."""

    def test_tags_are_kept_once_and_filter_the_list(self, backend: Backend[Store]) -> None:
        self._linked(backend)
        vip = ResellerTag("rtg_1", "rsl_1", "VIP", "vip", T0)
        big = ResellerTag("rtg_2", "rsl_1", "big", "big", T0)
        with backend.unit_of_work() as uow:
            uow.reseller_tags.add(vip)
            uow.reseller_tags.add(big)
            with pytest.raises(IntegrityViolationError):
                uow.reseller_tags.add(attrs.evolve(vip, id="rtg_3"))
        with backend.unit_of_work() as uow:
            uow.reseller_tags.tag(vip, ["cus_1", "cus_2"])
            uow.reseller_tags.tag(vip, ["cus_1"])
            uow.reseller_tags.tag(big, ["cus_1"])
        with backend.unit_of_work() as uow:
            assert uow.reseller_tags.by_key("rsl_1", "vip") == vip
            assert uow.reseller_tags.by_key("rsl_2", "vip") is None
            assert uow.reseller_tags.for_reseller("rsl_1") == [big, vip]
            assert uow.reseller_tags.of_customer("rsl_1", "cus_1") == [big, vip]

            def names(ids: tuple[str, ...], match: TagMatch) -> list[str]:
                query = CustomerQuery(tag_ids=ids, match=match)
                return [c.name for c in uow.reseller_customers.page("rsl_1", query)]

            assert names(("rtg_1", "rtg_2"), TagMatch.ANY) == ["Acme", "globex"]
            assert names(("rtg_1", "rtg_2"), TagMatch.ALL) == ["Acme"]
            uow.reseller_tags.untag(vip, ["cus_1"])
            assert uow.reseller_tags.of_customer("rsl_1", "cus_1") == [big]
            assert names(("rtg_1", "rtg_2"), TagMatch.ALL) == []


class SalesOrdersContract(_Resellers):
    """Orders read back with their lines and exact total; per customer newest first."""

    def test_orders_read_back_and_list_per_customer(self, backend: Backend[Store]) -> None:
        self._linked(backend)
        lines = (
            OrderLine("crm", 3, Money.of("10.10", "USD")),
            OrderLine("books", 1, Money.of("0.05", "USD")),
        )
        orders = [
            _order(n, lines, Money.of("30.35", "USD"), status=OrderStatus.DRAFT) for n in range(3)
        ]
        with backend.unit_of_work() as uow:
            for order in orders:
                uow.sales_orders.add(order)
        with backend.unit_of_work() as uow:
            first = uow.sales_orders.get("so_0", for_update=True)
            assert first == orders[0]
            confirmed = uow.sales_orders.update(attrs.evolve(first, status=OrderStatus.CONFIRMED))
            with pytest.raises(ConcurrencyError):
                uow.sales_orders.update(first)
        with backend.unit_of_work() as uow:
            assert uow.sales_orders.get("so_0") == confirmed
            page = uow.sales_orders.for_customer("cus_1", limit=2, offset=0)
            assert [o.id for o in page] == ["so_2", "so_1"]
            assert [o.id for o in uow.sales_orders.for_customer("cus_1", limit=2, offset=2)] == [
                "so_0"
            ]
            assert uow.sales_orders.for_customer("cus_2", limit=5, offset=0) == []

    def _orders(self, backend: Backend[Store]) -> list[SalesOrder]:
        """so_0 and so_2 placed by rsl_1 for cus_1, so_1 by rsl_2."""
        self._linked(backend)
        nine = Money.of("9.00", "USD")
        orders = [
            _order(
                n, (OrderLine("crm", 1, nine),), nine, reseller_id="rsl_2" if n == 1 else "rsl_1"
            )
            for n in range(3)
        ]
        with backend.unit_of_work() as uow:
            for order in orders:
                uow.sales_orders.add(order)
        return orders

    def test_an_invoice_bills_one_order_decided_by_the_store(self, backend: Backend[Store]) -> None:
        orders = self._orders(backend)
        with backend.unit_of_work() as uow:
            uow.invoices.add(_invoice("inv_1", 1))
        with backend.unit_of_work() as uow:
            first = uow.sales_orders.get("so_0", for_update=True)
            assert first is not None
            billed = uow.sales_orders.update(attrs.evolve(first, invoice_id="inv_1"))
        with pytest.raises(IntegrityViolationError), backend.unit_of_work() as uow:
            uow.sales_orders.update(attrs.evolve(orders[2], invoice_id="inv_1"))
        with backend.unit_of_work() as uow:
            assert uow.sales_orders.get("so_0") == billed
            stored = uow.sales_orders.get("so_2")
            assert stored is not None and stored.invoice_id is None

    def test_orders_placed_by_one_reseller_and_their_frozen_state(
        self, backend: Backend[Store]
    ) -> None:
        orders = self._orders(backend)
        with backend.unit_of_work() as uow:
            placed = uow.sales_orders.for_customer("cus_1", limit=5, offset=0, placed_by="rsl_1")
            assert [o.id for o in placed] == ["so_2", "so_0"]
            one = uow.sales_orders.for_customer("cus_1", limit=1, offset=1, placed_by="rsl_1")
            assert [o.id for o in one] == ["so_0"]
            assert (
                uow.sales_orders.for_customer("cus_1", limit=5, offset=0, placed_by="rsl_3") == []
            )
        with backend.unit_of_work() as uow:
            # The first change after the move keeps the order as it was; a second keeps nothing.
            first = uow.sales_orders.get("so_0", for_update=True)
            assert first == orders[0]
            uow.sales_orders.freeze(first)
            fulfilled = uow.sales_orders.update(
                attrs.evolve(first, status=OrderStatus.FULFILLED, updated_at=T0 + timedelta(1))
            )
            uow.sales_orders.freeze(fulfilled)
            uow.sales_orders.update(attrs.evolve(fulfilled, updated_at=T0 + timedelta(2)))
        with backend.unit_of_work() as uow:
            now = uow.sales_orders.for_customer("cus_1", limit=5, offset=0, placed_by="rsl_1")
            assert now[1].status is OrderStatus.FULFILLED and now[1].version == 3
            assert uow.sales_orders.frozen(now) == [orders[2], orders[0]]
            assert uow.sales_orders.frozen([]) == []


class CustomerMigrationsContract(_Resellers):
    """One move per customer and reseller left (a key); traces found by both ends."""

    def test_a_move_is_kept_once_and_found(self, backend: Backend[Store]) -> None:
        self._linked(backend)
        with backend.unit_of_work() as uow:
            uow.resellers.add(_reseller("rsl_3", "Acme's own"))
        move = CustomerMigration("mig_1", "cus_1", "rsl_1", "rsl_3", T0, "ops@zillium.example")
        with backend.unit_of_work() as uow:
            uow.customer_migrations.add(move)
        with pytest.raises(IntegrityViolationError), backend.unit_of_work() as uow:
            uow.customer_migrations.add(attrs.evolve(move, id="mig_2"))
        with backend.unit_of_work() as uow:
            assert uow.customer_migrations.trace("rsl_1", "cus_1") == move
            assert uow.customer_migrations.trace("rsl_3", "cus_1") is None
            assert uow.customer_migrations.for_customer("cus_1") == [move]
            assert uow.customer_migrations.from_reseller("rsl_1") == [move]
            assert uow.customer_migrations.from_reseller("rsl_3") == []


class ResellerPortalContract(ContractBase):
    """The 004 seed's operations through `kit.resellers` on the backend: invite, create,
    details, payment method, tags, archive, orders and the migration to a portal of its own."""

    @pytest.fixture
    def portal_kit(self, backend: Backend[Store], clock: SimulatedClock, mailer: FakeMailer) -> Kit:
        """A kit on the backend with the fake payment gateway and the product `crm`.

        Args:
            backend: The backend fixture.
            clock: The clock fixture.
            mailer: The mailer fixture.

        Returns:
            The kit.

        Raises:
            PartnerkitError: The backend failed to store the product.
        """
        kit = Kit(
            backend, clock=clock, mailer=mailer, payment_gateway=FakePaymentGateway(clock=clock)
        )
        kit.catalog.add_product("crm", name="CRM", actor=STAFF)
        return kit

    def _portal(self, kit: Kit, mailer: FakeMailer) -> tuple[str, Principal]:
        reseller = kit.resellers.invite("Zillium", "ops@zillium.example", actor=STAFF)
        token = mailer.to("ops@zillium.example")[-1].context["token"]
        return reseller.id, kit.resellers.accept_invitation(token)

    def test_the_seed_operations_on_the_backend(self, portal_kit: Kit, mailer: FakeMailer) -> None:
        kit = portal_kit
        rid, user = self._portal(kit, mailer)
        acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
        globex = kit.resellers.create_customer(
            rid, name="Globex", email="it@globex.example", actor=user
        )
        with pytest.raises(ResellerEmailTakenError):
            kit.resellers.create_customer(rid, name="Again", email="IT@acme.example", actor=user)
        kit.resellers.update_details(
            acme.id, contact_name="Ann", shipping_city="Pune", company_tax_id="GB1", actor=user
        )
        gateway = kit.payment_gateway
        assert isinstance(gateway, FakePaymentGateway)
        card = kit.billing.add_payment_method(
            acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=user
        )
        kit.resellers.tag(rid, [acme.id, globex.id], "Priority", actor=user)
        kit.resellers.tag(rid, [acme.id], "big", actor=user)
        both = kit.resellers.customers(rid, tags=["priority", "BIG"], match="all", actor=user)
        assert [c.name for c in both] == ["Acme"]
        kit.resellers.archive(rid, [globex.id], actor=user)
        kit.resellers.archive(rid, [globex.id], actor=user)  # idempotent
        assert [c.name for c in kit.resellers.customers(rid, actor=user)] == ["Acme"]
        hidden = kit.resellers.customers(rid, archived=True, actor=user)
        assert [c.name for c in hidden] == ["Globex"]
        with pytest.raises(CustomerArchivedError):
            kit.resellers.place_order(
                globex.id, [OrderLine("crm", 1, Money.of("1", "USD"))], actor=user
            )
        order = kit.resellers.place_order(
            acme.id, [OrderLine("crm", 3, Money.of("10.10", "USD"))], actor=user
        )
        assert order.total == Money.of("30.30", "USD")
        kit.resellers.confirm_order(order.id, actor=user)
        move = kit.resellers.migrate_to_reseller(acme.id, actor=user)
        # The old reseller keeps a read-only trace.
        assert kit.resellers.get_customer(acme.id, actor=user).contact_name == "Ann"
        assert [o.id for o in kit.resellers.orders(acme.id, actor=user)] == [order.id]
        assert [m.id for m in kit.billing.payment_methods(acme.id, actor=user)] == [card.id]
        changes: list[Callable[[], object]] = [
            lambda: kit.resellers.cancel_order(order.id, actor=user),
            lambda: kit.resellers.update_details(acme.id, contact_name="X", actor=user),
            lambda: kit.resellers.archive(rid, [acme.id], actor=user),
            lambda: kit.billing.remove_payment_method(card.id, actor=user),
        ]
        for change in changes:
            with pytest.raises(CustomerMigratedError):
                change()
        # The customer's own portal reaches its history: orders, tags, the payment method.
        token = mailer.to("it@acme.example")[-1].context["token"]
        own = kit.resellers.accept_invitation(token)
        assert own.reseller_id == move.to_reseller_id
        assert [t.name for t in kit.resellers.customer_tags(acme.id, actor=own)] == [
            "big",
            "Priority",
        ]
        assert kit.resellers.cancel_order(order.id, actor=own).status is OrderStatus.CANCELLED
        assert kit.billing.set_default_payment_method(card.id, actor=own).default
        assert [m.id for m in kit.resellers.migrations(rid, actor=user)] == [move.id]

    def test_an_order_invoiced_once_and_the_trace_frozen_at_the_move(
        self, portal_kit: Kit, mailer: FakeMailer
    ) -> None:
        kit = portal_kit
        rid, user = self._portal(kit, mailer)
        acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
        kit.resellers.update_details(acme.id, contact_name="Ann", actor=user)
        line = [OrderLine("crm", 2, Money.of("10.10", "USD"))]
        order = kit.resellers.confirm_order(
            kit.resellers.place_order(acme.id, line, actor=user).id, actor=user
        )
        invoice = kit.resellers.invoice_order(order.id, actor=user)
        assert (invoice.status, invoice.sales_order_id) == (InvoiceStatus.SENT, order.id)
        assert [(li.product, li.quantity, li.unit_price) for li in invoice.lines] == [
            ("crm", Decimal(2), Money.of("10.10", "USD"))
        ]
        with pytest.raises(OrderInvoicedError):
            kit.resellers.invoice_order(order.id, actor=user)
        billed = kit.resellers.get_order(order.id, actor=user)
        assert billed.invoice_id == invoice.id
        as_left = kit.resellers.get_customer(acme.id, actor=user)
        kit.resellers.migrate_to_reseller(acme.id, actor=user)
        own = kit.resellers.accept_invitation(mailer.to("it@acme.example")[-1].context["token"])
        kit.resellers.update_details(acme.id, contact_name="Bob", actor=own)
        kit.resellers.fulfil_order(order.id, actor=own)
        later = kit.resellers.place_order(acme.id, line, actor=own)
        # The reseller it left reads the customer and its order as they were at the move.
        assert kit.resellers.get_customer(acme.id, actor=user) == as_left
        assert kit.resellers.orders(acme.id, actor=user) == [billed]
        assert kit.resellers.get_order(order.id, actor=user) == billed
        with pytest.raises(SalesOrderNotFoundError):
            kit.resellers.get_order(later.id, actor=user)
        fulfilled = kit.resellers.get_order(order.id, actor=own)
        assert (fulfilled.status, fulfilled.invoice_id) == (OrderStatus.FULFILLED, invoice.id)
        assert [o.id for o in kit.resellers.orders(acme.id, actor=own)] == [later.id, order.id]

    def test_another_resellers_customer_is_missing(
        self, portal_kit: Kit, mailer: FakeMailer
    ) -> None:
        kit = portal_kit
        rid, user = self._portal(kit, mailer)
        other = kit.resellers.invite("Other", "ops@other.example", actor=STAFF)
        stranger = kit.resellers.accept_invitation(
            mailer.to("ops@other.example")[-1].context["token"]
        )
        acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
        for call in (
            lambda: kit.resellers.get_customer(acme.id, actor=stranger),
            lambda: kit.resellers.tag(other.id, [acme.id], "x", actor=stranger),
            lambda: kit.billing.payment_methods(acme.id, actor=stranger),
        ):
            with pytest.raises(PartnerkitError) as info:
                call()
            assert info.value.code in ("resellers.customer_not_found", "customer.not_found")
        with pytest.raises(ResellerCustomerNotFoundError):
            kit.resellers.get_customer(acme.id, actor=stranger)

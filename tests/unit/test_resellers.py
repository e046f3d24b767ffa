"""The reseller portal (issue 12; the seed is 004_8959f85f2233bdcd.txt): invitations, scope,
bad input, archive, tags, orders and the migration to a portal of the customer's own, through
`kit.resellers` on memory and SQLite (the conformance suite runs the seed's operations on
PostgreSQL and MariaDB too)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import partnerkit as pk
from partnerkit.resellers import errors
from partnerkit.resellers.events import SalesOrderInvoiced
from partnerkit.resellers.orders import OrderAction, transition
from partnerkit.secrets import hash_token
from partnerkit.testing.plugin import START

STAFF = pk.Principal.staff("admin@vendor.example")
USD = pk.Money.of


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pk.Kit]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'r.db'}"
    clock = pk.SimulatedClock(START)
    built = pk.connect(
        url,
        clock=clock,
        mailer=pk.InMemoryMailer(),
        payment_gateway=pk.FakePaymentGateway(clock=clock),
    )
    built.migrate()
    built.catalog.add_product("crm", name="CRM", actor=STAFF)
    yield built
    built.close()


def _token(kit: pk.Kit, email: str) -> str:
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    token = mailer.to(email)[-1].context["token"]
    assert isinstance(token, str)
    return token


def _portal(kit: pk.Kit, name: str = "Zillium") -> tuple[str, pk.Principal]:
    email = f"ops@{name.lower()}.example"
    reseller = kit.resellers.invite(name, email, actor=STAFF)
    return reseller.id, kit.resellers.accept_invitation(_token(kit, email))


def _stored(kit: pk.Kit) -> object:
    """Everything the portal stores, read through the kit's unit of work."""
    with kit._runtime.uow(readonly=True) as uow:
        customers = uow.customers.all()
        links = [uow.reseller_customers.get(c.id) for c in customers]
        return (
            customers,
            links,
            [uow.sales_orders.for_customer(c.id, limit=500, offset=0) for c in customers],
            [uow.reseller_tags.for_reseller(link.reseller_id) for link in links if link],
            [uow.payment_methods.for_customer(c.id) for c in customers],
        )


# --- invitations (004 seed: "you will access your portal via an email invite") ---------------


def test_an_invitation_opens_the_portal_once(kit: pk.Kit) -> None:
    reseller = kit.resellers.invite("Zillium", "Ops@Zillium.example", actor=STAFF)
    assert reseller.status is pk.ResellerStatus.INVITED
    token = _token(kit, "ops@zillium.example")
    user = kit.resellers.accept_invitation(token)
    assert (user.role, user.reseller_id) == (pk.Role.RESELLER_USER, reseller.id)
    assert kit.resellers.get(reseller.id, actor=user).status is pk.ResellerStatus.ACTIVE
    with pytest.raises(pk.errors.InvalidTokenError):
        kit.resellers.accept_invitation(token)
    with pytest.raises(pk.errors.InvalidTokenError):
        kit.resellers.accept_invitation("not-a-token")


def test_an_invitation_expires(kit: pk.Kit) -> None:
    kit.resellers.invite("Zillium", "ops@zillium.example", actor=STAFF)
    token = _token(kit, "ops@zillium.example")
    kit.advance_to(kit.clock.now() + timedelta(days=7))
    with pytest.raises(errors.InvitationExpiredError):
        kit.resellers.accept_invitation(token)


def test_the_token_is_stored_only_as_a_hash(kit: pk.Kit) -> None:
    reseller = kit.resellers.invite("Zillium", "ops@zillium.example", actor=STAFF)
    token = _token(kit, "ops@zillium.example")
    for message in kit.outbox():
        assert token not in repr(message)
    with kit._runtime.uow(readonly=True) as uow:
        found = uow.reseller_invitations.get_by_token_hash(hash_token(token))
        assert found is not None and found.reseller_id == reseller.id
        assert token not in repr(found)


def test_only_staff_invite_resellers(kit: pk.Kit) -> None:
    _, user = _portal(kit)
    with pytest.raises(pk.PermissionDeniedError):
        kit.resellers.invite("Other", "ops@other.example", actor=user)


# --- bad input: typed errors, nothing stored (issue 12, acceptance) ---------------------------


@pytest.mark.parametrize(
    ("name", "email", "code"),
    [
        ("", "it@acme.example", "validation.invalid"),
        ("   ", "it@acme.example", "validation.invalid"),
        ("Acme", "", "validation.invalid"),
        ("Acme", "not an email", "validation.invalid"),
        ("Acme", "it@", "validation.invalid"),
        (42, "it@acme.example", "validation.invalid"),
    ],
)
def test_a_bad_name_or_email_is_refused_and_nothing_stored(
    kit: pk.Kit, name: Any, email: Any, code: str
) -> None:
    rid, user = _portal(kit)
    before = _stored(kit)
    with pytest.raises(pk.ValidationError) as info:
        kit.resellers.create_customer(rid, name=name, email=email, actor=user)
    assert info.value.code == code
    assert info.value.details["field"] in ("name", "email")
    assert _stored(kit) == before


def test_a_duplicate_email_within_a_reseller_is_refused(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    other, stranger = _portal(kit, "Other")
    kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    before = _stored(kit)
    with pytest.raises(errors.ResellerEmailTakenError):
        kit.resellers.create_customer(rid, name="Acme 2", email="IT@acme.example", actor=user)
    assert _stored(kit) == before
    # 004 seed: each reseller manages its own clients; another may have the same address.
    kit.resellers.create_customer(other, name="Acme", email="it@acme.example", actor=stranger)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (pk.OrderLine("nope", 1, USD("1", "USD")), "catalog.product_not_found"),
        (pk.OrderLine("crm", -1, USD("1", "USD")), "resellers.quantity_not_positive"),
        (pk.OrderLine("crm", 0, USD("1", "USD")), "resellers.quantity_not_positive"),
        (pk.OrderLine("crm", True, USD("1", "USD")), "resellers.quantity_not_positive"),
        (pk.OrderLine("crm", 1, USD("-1", "USD")), "validation.invalid"),
        (pk.OrderLine("crm", 1, 1.5), "money.float_amount"),
        ("crm x 1", "validation.invalid"),
    ],
)
def test_a_bad_order_line_is_refused_and_nothing_stored(kit: pk.Kit, line: Any, code: str) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    before = _stored(kit)
    with pytest.raises(pk.PartnerkitError) as info:
        kit.resellers.place_order(acme.id, [line], actor=user)
    assert info.value.code == code
    assert _stored(kit) == before


def test_an_order_is_in_one_currency_and_not_empty(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    with pytest.raises(errors.OrderEmptyError):
        kit.resellers.place_order(acme.id, [], actor=user)
    with pytest.raises(errors.MixedCurrenciesError):
        kit.resellers.place_order(
            acme.id,
            [pk.OrderLine("crm", 1, USD("1", "USD")), pk.OrderLine("crm", 1, USD("1", "EUR"))],
            actor=user,
        )


def test_an_unknown_tag_in_a_filter_is_a_typed_error(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    kit.resellers.tag(rid, [acme.id], "Priority", actor=user)
    with pytest.raises(errors.UnknownTagError) as info:
        kit.resellers.customers(rid, tags=["priority", "gold"], actor=user)
    assert info.value.details == {"field": "tags", "tag": "gold"}
    with pytest.raises(pk.ValidationError):
        kit.resellers.customers(rid, match="some", actor=user)
    with pytest.raises(pk.ValidationError):
        kit.resellers.customers(rid, sort="size", actor=user)


# --- tags, search, pages (004 seed, "Customer tagging") ---------------------------------------


def test_tag_many_with_a_new_or_existing_tag_and_filter_by_several(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    ids = [
        kit.resellers.create_customer(rid, name=n, email=f"it@{n.lower()}.example", actor=user).id
        for n in ("Acme", "Globex", "Initech")
    ]
    new = kit.resellers.tag(rid, ids[:2], "Priority", actor=user)
    again = kit.resellers.tag(rid, ids[:1], "PRIORITY", actor=user)
    assert again == new  # an existing tag, chosen in any case
    kit.resellers.tag(rid, [ids[0], ids[2]], "Big", actor=user)

    def names(**kw: Any) -> list[str]:
        return [c.name for c in kit.resellers.customers(rid, actor=user, **kw)]

    assert names(tags=["priority", "big"]) == ["Acme", "Globex", "Initech"]
    assert names(tags=["priority", "big"], match="all") == ["Acme"]
    assert names(search="GLOB") == ["Globex"]
    assert names(search="initech.example") == ["Initech"]
    assert names(sort="name", descending=True, limit=2) == ["Initech", "Globex"]
    assert names(limit=2, offset=2) == ["Initech"]
    kit.resellers.untag(rid, [ids[0]], "priority", actor=user)
    assert names(tags=["priority", "big"], match="all") == []
    assert [t.name for t in kit.resellers.tags(rid, actor=user)] == ["Big", "Priority"]


# --- archive (004 seed, "Archiving customers") ------------------------------------------------


def test_archive_hides_and_keeps_everything(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    kit.resellers.update_details(acme.id, contact_name="Ann", shipping_city="Pune", actor=user)
    kit.resellers.tag(rid, [acme.id], "Priority", actor=user)
    order = kit.resellers.place_order(
        acme.id, [pk.OrderLine("crm", 2, USD("5", "USD"))], actor=user
    )
    kept = kit.resellers.get_customer(acme.id, actor=user)
    archived = kit.resellers.archive(rid, [acme.id], actor=user)
    assert kit.resellers.archive(rid, [acme.id], actor=user) == archived  # idempotent
    assert kit.resellers.customers(rid, actor=user) == []
    assert [c.id for c in kit.resellers.customers(rid, archived=True, actor=user)] == [acme.id]
    assert [c.id for c in kit.resellers.customers(rid, tags=["priority"], actor=user)] == []
    with pytest.raises(errors.CustomerArchivedError):
        kit.resellers.place_order(acme.id, [pk.OrderLine("crm", 1, USD("5", "USD"))], actor=user)
    back = kit.resellers.unarchive(rid, [acme.id], actor=user)[0]
    assert (back.contact_name, back.shipping_city, back.archived) == ("Ann", "Pune", False)
    assert back.name == kept.name and back.email == kept.email
    assert [o.id for o in kit.resellers.orders(acme.id, actor=user)] == [order.id]
    assert [t.name for t in kit.resellers.customer_tags(acme.id, actor=user)] == ["Priority"]
    assert [c.id for c in kit.resellers.customers(rid, actor=user)] == [acme.id]


# --- orders -----------------------------------------------------------------------------------


def test_order_statuses_follow_the_table() -> None:
    draft = pk.OrderStatus.DRAFT
    assert transition(draft, OrderAction.CONFIRM) is pk.OrderStatus.CONFIRMED
    assert transition(pk.OrderStatus.CONFIRMED, OrderAction.FULFIL) is pk.OrderStatus.FULFILLED
    assert transition(draft, OrderAction.CANCEL) is pk.OrderStatus.CANCELLED
    for status, action in [
        (draft, OrderAction.FULFIL),
        (pk.OrderStatus.FULFILLED, OrderAction.CANCEL),
        (pk.OrderStatus.CANCELLED, OrderAction.CONFIRM),
    ]:
        with pytest.raises(errors.InvalidOrderTransitionError):
            transition(status, action)


def test_an_orders_total_is_the_exact_sum_of_its_lines(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    lines = [pk.OrderLine("crm", 3, USD("0.10", "USD")), pk.OrderLine("crm", 7, USD("0.07", "USD"))]
    order = kit.resellers.place_order(acme.id, lines, actor=user)
    assert order.total == USD("0.79", "USD")
    assert kit.resellers.get_order(order.id, actor=user) == order
    assert kit.resellers.fulfil_order is not None
    confirmed = kit.resellers.confirm_order(order.id, actor=user)
    assert kit.resellers.fulfil_order(confirmed.id, actor=user).status is pk.OrderStatus.FULFILLED
    with pytest.raises(errors.InvalidOrderTransitionError):
        kit.resellers.cancel_order(order.id, actor=user)


# --- migration (004 seed, "Migrating customers to reseller") ----------------------------------


def test_migration_moves_orders_and_payment_details_and_freezes_the_old_portal(
    kit: pk.Kit,
) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    card = kit.billing.add_payment_method(
        acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=user
    )
    kit.resellers.tag(rid, [acme.id], "Priority", actor=user)
    order = kit.resellers.place_order(
        acme.id, [pk.OrderLine("crm", 1, USD("9", "USD"))], actor=user
    )
    move = kit.resellers.migrate_to_reseller(acme.id, actor=user)
    assert (move.customer_id, move.from_reseller_id, move.migrated_by) == (
        acme.id,
        rid,
        "ops@zillium.example",
    )
    assert move.migrated_at == kit.clock.now()
    assert [e.payload["to_reseller_id"] for e in kit.outbox(topic="resellers.customer_migrated")]
    # The new portal reaches the history; the old one reads it and changes nothing.
    own = kit.resellers.accept_invitation(_token(kit, "it@acme.example"))
    assert [o.id for o in kit.resellers.orders(acme.id, actor=own)] == [order.id]
    assert [m.id for m in kit.billing.payment_methods(acme.id, actor=own)] == [card.id]
    assert [c.id for c in kit.resellers.customers(own.reseller_id or "", actor=own)] == [acme.id]
    assert kit.resellers.customers(rid, actor=user) == []
    before = _stored(kit)
    refused: list[Callable[[], object]] = [
        lambda: kit.resellers.update_details(acme.id, contact_name="X", actor=user),
        lambda: kit.resellers.tag(rid, [acme.id], "x", actor=user),
        lambda: kit.resellers.untag(rid, [acme.id], "priority", actor=user),
        lambda: kit.resellers.archive(rid, [acme.id], actor=user),
        lambda: kit.resellers.place_order(
            acme.id, [pk.OrderLine("crm", 1, USD("1", "USD"))], actor=user
        ),
        lambda: kit.resellers.confirm_order(order.id, actor=user),
        lambda: kit.resellers.invoice_order(order.id, actor=user),
        lambda: kit.resellers.migrate_to_reseller(acme.id, actor=user),
        lambda: kit.billing.add_payment_method(
            acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2031), actor=user
        ),
        lambda: kit.billing.update_payment_method(
            card.id, gateway.tokenize("4242 4242 4242 4242", 12, 2031), actor=user
        ),
        lambda: kit.billing.remove_payment_method(card.id, actor=user),
    ]
    for change in refused:
        with pytest.raises(errors.CustomerMigratedError):
            change()
    assert _stored(kit) == before
    assert kit.resellers.get_order(order.id, actor=user) == order
    assert [t.name for t in kit.resellers.customer_tags(acme.id, actor=user)] == ["Priority"]
    with pytest.raises(errors.AlreadyOwnPortalError):
        kit.resellers.migrate_to_reseller(acme.id, actor=own)


# --- scope: another reseller's ids answer like missing ones (issue 12, acceptance) ------------


def _operations(
    kit: pk.Kit, rid: str, cid: str, order_id: str, method_id: str
) -> list[tuple[str, Callable[..., object]]]:
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    line = [pk.OrderLine("crm", 1, USD("1", "USD"))]
    r = kit.resellers
    b = kit.billing

    def card() -> str:
        return gateway.tokenize("4242 4242 4242 4242", 12, 2030)

    return [
        ("get", lambda a, c, o, m: r.get(rid, actor=a)),
        ("get_customer", lambda a, c, o, m: r.get_customer(c, actor=a)),
        ("update_details", lambda a, c, o, m: r.update_details(c, company_name="X", actor=a)),
        ("customer_tags", lambda a, c, o, m: r.customer_tags(c, actor=a)),
        ("tag", lambda a, c, o, m: r.tag(rid, [c], "vip", actor=a)),
        ("untag", lambda a, c, o, m: r.untag(rid, [c], "vip", actor=a)),
        ("archive", lambda a, c, o, m: r.archive(rid, [c], actor=a)),
        ("unarchive", lambda a, c, o, m: r.unarchive(rid, [c], actor=a)),
        ("place_order", lambda a, c, o, m: r.place_order(c, line, actor=a)),
        ("orders", lambda a, c, o, m: r.orders(c, actor=a)),
        ("get_order", lambda a, c, o, m: r.get_order(o, actor=a)),
        ("confirm_order", lambda a, c, o, m: r.confirm_order(o, actor=a)),
        ("fulfil_order", lambda a, c, o, m: r.fulfil_order(o, actor=a)),
        ("cancel_order", lambda a, c, o, m: r.cancel_order(o, actor=a)),
        ("invoice_order", lambda a, c, o, m: r.invoice_order(o, actor=a)),
        ("migrate_to_reseller", lambda a, c, o, m: r.migrate_to_reseller(c, actor=a)),
        ("customers", lambda a, c, o, m: r.customers(rid, actor=a)),
        ("tags", lambda a, c, o, m: r.tags(rid, actor=a)),
        (
            "create_customer",
            lambda a, c, o, m: r.create_customer(rid, name="N", email="n@n.example", actor=a),
        ),
        ("migrations", lambda a, c, o, m: r.migrations(rid, actor=a)),
        ("billing.add_payment_method", lambda a, c, o, m: b.add_payment_method(c, card(), actor=a)),
        ("billing.payment_methods", lambda a, c, o, m: b.payment_methods(c, actor=a)),
        (
            "billing.set_default_payment_method",
            lambda a, c, o, m: b.set_default_payment_method(m, actor=a),
        ),
        (
            "billing.update_payment_method",
            lambda a, c, o, m: b.update_payment_method(m, card(), actor=a),
        ),
        ("billing.remove_payment_method", lambda a, c, o, m: b.remove_payment_method(m, actor=a)),
    ]


def test_every_operation_with_another_resellers_ids_answers_like_a_missing_id(
    kit: pk.Kit,
) -> None:
    rid, user = _portal(kit)
    _, stranger = _portal(kit, "Other")
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    kit.resellers.tag(rid, [acme.id], "vip", actor=user)
    order = kit.resellers.place_order(
        acme.id, [pk.OrderLine("crm", 1, USD("1", "USD"))], actor=user
    )
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    method = kit.billing.add_payment_method(
        acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=user
    )
    ids = (acme.id, order.id, method.id)
    missing = ("cus_missing", "so_missing", "pm_missing")
    before = _stored(kit)
    operations = _operations(kit, rid, *ids)
    missing_rid = _operations(kit, "rsl_missing", *missing)
    for (name, call), (_, absent) in zip(operations, missing_rid, strict=True):
        with pytest.raises(pk.NotFoundError) as foreign:
            call(stranger, *ids)
        with pytest.raises(pk.NotFoundError) as gone:
            absent(stranger, *missing)
        assert type(foreign.value) is type(gone.value), name
        assert foreign.value.code == gone.value.code, name
        assert set(foreign.value.details) == set(gone.value.details), name
        assert foreign.value.remedy == gone.value.remedy, name
        # The owner's call works, or fails for its own reasons, never as not found.
    assert _stored(kit) == before
    with pytest.raises(pk.NotFoundError):
        kit.resellers.get_customer(
            acme.id, actor=pk.Principal.customer_user(acme.id, "x@y.example")
        )


# --- invoicing an order through billing (issue 12, second pass) -------------------------------


def _confirmed(kit: pk.Kit) -> tuple[str, pk.Principal, pk.ResellerCustomer, pk.SalesOrder]:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    lines = [
        pk.OrderLine("crm", 3, USD("10.10", "USD")),
        pk.OrderLine("crm", 1, USD("0.05", "USD")),
    ]
    order = kit.resellers.place_order(acme.id, lines, actor=user)
    return rid, user, acme, kit.resellers.confirm_order(order.id, actor=user)


def test_a_confirmed_order_is_invoiced_through_billing_with_its_lines(kit: pk.Kit) -> None:
    _, user, acme, order = _confirmed(kit)
    invoice = kit.resellers.invoice_order(order.id, actor=user)
    assert invoice.status is pk.InvoiceStatus.SENT
    assert (invoice.customer_id, invoice.sales_order_id) == (acme.id, order.id)
    assert [(li.product, li.quantity, li.unit_price) for li in invoice.lines] == [
        (line.product, line.quantity, line.unit_price) for line in order.lines
    ]
    assert [li.description for li in invoice.lines] == ["CRM", "CRM"]
    assert invoice.total == order.total  # no default tax in this kit
    assert kit.billing.get_invoice(invoice.id, actor=STAFF) == invoice
    stored = kit.resellers.get_order(order.id, actor=user)
    assert (stored.invoice_id, stored.status) == (invoice.id, pk.OrderStatus.CONFIRMED)
    [event] = kit.outbox(topic="resellers.order_invoiced")
    assert event.payload["invoice_id"] == invoice.id
    assert event.payload["by"] == "ops@zillium.example"
    # An invoiced order is still fulfilled as usual.
    assert kit.resellers.fulfil_order(order.id, actor=user).invoice_id == invoice.id


def test_a_fulfilled_order_is_invoiced_too(kit: pk.Kit) -> None:
    _, user, _, order = _confirmed(kit)
    kit.resellers.fulfil_order(order.id, actor=user)
    assert kit.resellers.invoice_order(order.id, actor=user).sales_order_id == order.id


def test_a_draft_or_cancelled_order_is_not_invoiced_and_nothing_stored(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    line = [pk.OrderLine("crm", 1, USD("5", "USD"))]
    draft = kit.resellers.place_order(acme.id, line, actor=user)
    cancelled = kit.resellers.cancel_order(
        kit.resellers.place_order(acme.id, line, actor=user).id, actor=user
    )
    before = _stored(kit)
    for order, status in ((draft, "draft"), (cancelled, "cancelled")):
        with pytest.raises(errors.OrderNotConfirmedError) as info:
            kit.resellers.invoice_order(order.id, actor=user)
        assert info.value.code == "resellers.order_not_confirmed"
        assert info.value.details == {"order_id": order.id, "status": status}
    assert _stored(kit) == before
    assert kit.billing.invoices(acme.id, actor=STAFF) == []


def test_an_order_is_invoiced_once_and_then_not_cancelled(kit: pk.Kit) -> None:
    _, user, acme, order = _confirmed(kit)
    invoice = kit.resellers.invoice_order(order.id, actor=user)
    before = _stored(kit)
    with pytest.raises(errors.OrderInvoicedError) as info:
        kit.resellers.invoice_order(order.id, actor=STAFF)
    assert info.value.details == {"order_id": order.id, "invoice_id": invoice.id}
    with pytest.raises(errors.OrderInvoicedError):
        kit.resellers.cancel_order(order.id, actor=user)
    assert _stored(kit) == before
    assert [i.id for i in kit.billing.invoices(acme.id, actor=STAFF)] == [invoice.id]
    assert len(kit.outbox(topic="resellers.order_invoiced")) == 1


def test_the_invoice_and_the_order_commit_together_or_not_at_all(kit: pk.Kit) -> None:
    # A handler of the order's event fails after billing wrote the invoice, in the same
    # transaction: the invoice, its number and the order's tie to it all roll back.
    _, user, acme, order = _confirmed(kit)

    def refuse(event: SalesOrderInvoiced) -> None:
        raise RuntimeError("a host's handler failed")

    kit._runtime.on(SalesOrderInvoiced, refuse)
    before = _stored(kit)
    with pytest.raises(RuntimeError):
        kit.resellers.invoice_order(order.id, actor=user)
    assert _stored(kit) == before
    assert kit.billing.invoices(acme.id, actor=STAFF) == []
    assert kit.resellers.get_order(order.id, actor=user).invoice_id is None


# --- the trace the old reseller keeps is frozen at the migration (issue 12, second pass) ------


def test_the_old_resellers_trace_is_frozen_at_the_migration(kit: pk.Kit) -> None:
    # 004 seed, "Migrating customers to reseller": the customer manages its own orders and
    # details from its new portal; the reseller it left reads what it had, as it was then.
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    kit.resellers.update_details(acme.id, contact_name="Ann", shipping_city="Pune", actor=user)
    kit.resellers.tag(rid, [acme.id], "Priority", actor=user)
    line = [pk.OrderLine("crm", 1, USD("9", "USD"))]
    draft = kit.resellers.place_order(acme.id, line, actor=user)
    confirmed = kit.resellers.confirm_order(
        kit.resellers.place_order(acme.id, line, actor=user).id, actor=user
    )
    as_left = kit.resellers.get_customer(acme.id, actor=user)
    orders_then = kit.resellers.orders(acme.id, actor=user)
    kit.clock.advance(timedelta(minutes=5))
    kit.resellers.migrate_to_reseller(acme.id, actor=user)
    own = kit.resellers.accept_invitation(_token(kit, "it@acme.example"))
    own_rid = own.reseller_id or ""

    # The new portal changes everything it may: details, tags, the old orders, new orders.
    kit.clock.advance(timedelta(minutes=5))
    kit.resellers.update_details(
        acme.id, name="Acme Group", contact_name="Bob", company_name="Acme Group plc", actor=own
    )
    kit.resellers.tag(own_rid, [acme.id], "Self-managed", actor=own)
    kit.resellers.untag(own_rid, [acme.id], "priority", actor=own)
    kit.resellers.cancel_order(draft.id, actor=own)
    invoice = kit.resellers.invoice_order(confirmed.id, actor=own)
    kit.resellers.fulfil_order(confirmed.id, actor=own)
    later = kit.resellers.place_order(acme.id, line, actor=own)

    # The new portal sees it all.
    assert kit.resellers.get_customer(acme.id, actor=own).contact_name == "Bob"
    assert [o.id for o in kit.resellers.orders(acme.id, actor=own)] == [
        later.id,
        confirmed.id,
        draft.id,
    ]
    assert kit.resellers.get_order(confirmed.id, actor=own).invoice_id == invoice.id
    # The old reseller reads the customer, its tags and its orders as they were at the move.
    assert kit.resellers.get_customer(acme.id, actor=user) == as_left
    assert [t.name for t in kit.resellers.customer_tags(acme.id, actor=user)] == ["Priority"]
    assert kit.resellers.orders(acme.id, actor=user) == orders_then
    assert kit.resellers.get_order(draft.id, actor=user) == draft
    assert kit.resellers.get_order(confirmed.id, actor=user) == confirmed
    # ...and a later order of the new portal is missing to it, like any id it does not have.
    with pytest.raises(errors.SalesOrderNotFoundError) as later_error:
        kit.resellers.get_order(later.id, actor=user)
    with pytest.raises(errors.SalesOrderNotFoundError) as missing_error:
        kit.resellers.get_order("so_missing", actor=user)
    assert set(later_error.value.details) == set(missing_error.value.details)
    # Staff see the customer as it is now.
    assert kit.resellers.get_customer(acme.id, actor=STAFF).name == "Acme Group"


def test_a_trace_costs_one_row_at_the_move_and_one_per_order_changed_after(kit: pk.Kit) -> None:
    rid, user = _portal(kit)
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    line = [pk.OrderLine("crm", 1, USD("9", "USD"))]
    orders = [kit.resellers.place_order(acme.id, line, actor=user) for _ in range(3)]
    kit.resellers.migrate_to_reseller(acme.id, actor=user)
    own = kit.resellers.accept_invitation(_token(kit, "it@acme.example"))
    with kit._runtime.uow(readonly=True) as uow:
        assert uow.reseller_customers.frozen(rid, acme.id) is not None
        assert uow.sales_orders.frozen(orders) == orders  # nothing kept: nothing changed
    kit.resellers.confirm_order(orders[0].id, actor=own)
    kit.resellers.cancel_order(orders[0].id, actor=own)  # the first kept state stays
    with kit._runtime.uow(readonly=True) as uow:
        assert uow.sales_orders.frozen(orders) == orders
        assert uow.sales_orders.get(orders[0].id).status is pk.OrderStatus.CANCELLED  # type: ignore[union-attr]


def test_a_voided_invoice_frees_its_order_to_be_invoiced_again_or_cancelled(
    kit: pk.Kit,
) -> None:
    # Staff void an order's invoice issued by mistake (nothing paid on it): the order owes
    # nothing on it any more, so the reseller can invoice it again, once, or cancel it.
    _, user, acme, order = _confirmed(kit)
    first = kit.resellers.invoice_order(order.id, actor=user)
    kit.billing.void_invoice(first.id, actor=STAFF)
    [voided] = kit.outbox(topic="billing.invoice_voided")
    assert voided.payload["sales_order_id"] == order.id
    assert kit.resellers.get_order(order.id, actor=user).invoice_id is None
    second = kit.resellers.invoice_order(order.id, actor=user)
    assert (second.customer_id, second.sales_order_id) == (acme.id, order.id)
    assert second.total == first.total
    assert kit.resellers.get_order(order.id, actor=user).invoice_id == second.id
    with pytest.raises(errors.OrderInvoicedError):
        kit.resellers.invoice_order(order.id, actor=user)
    kit.billing.void_invoice(second.id, actor=STAFF)
    cancelled = kit.resellers.cancel_order(order.id, actor=user)
    assert (cancelled.status, cancelled.invoice_id) == (pk.OrderStatus.CANCELLED, None)


def test_voiding_an_invoice_of_no_order_leaves_the_orders_alone(kit: pk.Kit) -> None:
    _, user, acme, order = _confirmed(kit)
    invoiced = kit.resellers.invoice_order(order.id, actor=user)
    other = kit.billing.create_invoice(
        acme.id, [pk.InvoiceLine.of("Consulting", 1, USD("50", "USD"))], issue=True, actor=STAFF
    )
    kit.billing.void_invoice(other.id, actor=STAFF)
    assert kit.resellers.get_order(order.id, actor=user).invoice_id == invoiced.id

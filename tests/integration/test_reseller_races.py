"""The reseller portal's races (issue 12; the seed is 004_8959f85f2233bdcd.txt), 8 concurrent
writers on PostgreSQL and MariaDB. Each rule is decided by the database: one email per reseller
and one tag per name are unique keys, a migration locks the customer's link, an order's moves
and its one invoice lock the order's row; never a read-check-write two writers can both pass.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from racing import race as race_threads
from racing import said

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql.schema import metadata
from partnerkit.resellers import errors
from partnerkit.resellers.orders import TRANSITIONS, OrderAction
from partnerkit.testing.databases import wipe

STAFF = pk.Principal.staff("admin@vendor.example")
WRITERS = 8
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LINE = [pk.OrderLine("crm", 2, pk.Money.of("10.10", "USD"))]


@pytest.fixture
def kit(server: tuple[str, SqlBackend]) -> pk.Kit:
    wipe(server[1])
    kit = pk.Kit(server[1], clock=pk.SimulatedClock(T0), mailer=pk.InMemoryMailer())
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    return kit


@pytest.fixture
def portal(kit: pk.Kit) -> tuple[str, pk.Principal]:
    """Zillium's portal, open: its id and its user."""
    reseller = kit.resellers.invite("Zillium", "ops@zillium.example", actor=STAFF)
    user = _accept(kit, "ops@zillium.example")
    # Eight readers first, so the pool holds a connection per writer: on MariaDB, opening them
    # during the race staggers the writers enough that a short window never overlaps.
    race(lambda i: kit.resellers.tags(reseller.id, actor=user))
    return reseller.id, user


def _accept(kit: pk.Kit, email: str) -> pk.Principal:
    """The user of the portal whose invitation was last mailed to `email`."""
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    return kit.resellers.accept_invitation(str(mailer.to(email)[-1].context["token"]))


def race(attempt: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    return race_threads(WRITERS, attempt)


def _counts(kit: pk.Kit, *tables: str) -> dict[str, int]:
    """How many rows each table holds: what a race left stored."""
    backend = kit.backend
    assert isinstance(backend, SqlBackend)
    with backend.engine.connect() as conn:
        return {
            t: conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[t])).scalar_one()
            for t in tables
        }


def test_eight_creators_of_one_email_leave_one_customer_and_nothing_half_stored(
    kit: pk.Kit, portal: tuple[str, pk.Principal]
) -> None:
    # 004 seed, "add their name and email address": one customer per email within a reseller;
    # the unique key (reseller, email) picks one of eight, and each loser's customer account,
    # written first in its transaction, rolls back with it.
    rid, user = portal
    wins, errors_ = race(
        lambda i: kit.resellers.create_customer(
            rid, name=f"Acme {i}", email="IT@acme.example", actor=user
        )
    )
    assert len(wins) == 1, said(errors_)
    assert len(errors_) == WRITERS - 1
    assert all(isinstance(e, errors.ResellerEmailTakenError) for e in errors_), said(errors_)
    [winner] = wins
    assert isinstance(winner, pk.ResellerCustomer)
    listed = kit.resellers.customers(rid, archived=None, actor=user)
    assert [c.id for c in listed] == [winner.id]
    assert _counts(kit, "customers", "reseller_customers") == {
        "customers": 1,
        "reseller_customers": 1,
    }
    assert len(kit.outbox(topic="resellers.customer_created")) == 1


def test_eight_migrations_of_one_customer_move_it_exactly_once(
    kit: pk.Kit, portal: tuple[str, pk.Principal]
) -> None:
    # 004 seed, "Migrating customers to reseller": the link is locked first; the second of two
    # finds the customer gone to its own portal and is refused, by the reseller it left as a
    # read-only trace, by staff as a customer that manages itself already.
    rid, user = portal
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    kit.resellers.tag(rid, [acme.id], "Priority", actor=user)
    actors = [user, STAFF] * (WRITERS // 2)
    wins, errors_ = race(lambda i: kit.resellers.migrate_to_reseller(acme.id, actor=actors[i]))
    assert len(wins) == 1, said(errors_)
    assert len(errors_) == WRITERS - 1
    assert all(
        isinstance(e, errors.CustomerMigratedError | errors.AlreadyOwnPortalError) for e in errors_
    ), said(errors_)
    [move] = wins
    assert isinstance(move, pk.CustomerMigration)
    assert [m.id for m in kit.resellers.migrations(rid, actor=user)] == [move.id]
    assert _counts(kit, "customer_migrations", "resellers", "reseller_customer_traces") == {
        "customer_migrations": 1,
        "resellers": 2,  # Zillium and the customer's own portal, once
        "reseller_customer_traces": 1,
    }
    assert len(kit.outbox(topic="resellers.customer_migrated")) == 1
    own = _accept(kit, "it@acme.example")
    assert own.reseller_id == move.to_reseller_id
    assert [t.name for t in kit.resellers.customer_tags(acme.id, actor=own)] == ["Priority"]


def test_eight_taggers_with_one_new_tag_name_make_one_tag(
    kit: pk.Kit, portal: tuple[str, pk.Principal]
) -> None:
    # 004 seed, "Customer tagging": "select from existing tags or add a new tag". Eight
    # taggers of eight customers add "VIP" at once: the unique key (reseller, key) keeps one
    # tag, and each loser takes the winner's and tags its customer with it.
    rid, user = portal
    ids = [
        kit.resellers.create_customer(
            rid, name=f"Customer {i}", email=f"it@c{i}.example", actor=user
        ).id
        for i in range(WRITERS)
    ]
    names = ["VIP", "vip", "Vip", "VIP"] * (WRITERS // 4)
    wins, errors_ = race(lambda i: kit.resellers.tag(rid, [ids[i]], names[i], actor=user))
    assert not errors_, said(errors_)
    assert len({t.id for t in wins if isinstance(t, pk.ResellerTag)}) == 1
    [tag] = kit.resellers.tags(rid, actor=user)
    assert tag.key == "vip" and tag.name in names  # the winner's spelling
    tagged = kit.resellers.customers(rid, tags=["vip"], limit=100, actor=user)
    assert sorted(c.id for c in tagged) == sorted(ids)
    # The same eight at once on one customer: one tag, on it once.
    wins, errors_ = race(lambda i: kit.resellers.tag(rid, [ids[0]], "Big", actor=user))
    assert not errors_, said(errors_)
    assert [t.name for t in kit.resellers.customer_tags(ids[0], actor=user)] == ["Big", tag.name]
    assert _counts(kit, "reseller_tags", "reseller_customer_tags") == {
        "reseller_tags": 2,
        "reseller_customer_tags": WRITERS + 1,
    }


def test_eight_confirmations_and_cancellations_of_one_order_follow_the_status_table(
    kit: pk.Kit, portal: tuple[str, pk.Principal]
) -> None:
    # The order's row is locked: the moves take turns, each from the status the one before
    # left, so the ones that win form a path of the table and the others are refused by it.
    rid, user = portal
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    order = kit.resellers.place_order(acme.id, LINE, actor=user)
    actions = [OrderAction.CONFIRM, OrderAction.CANCEL] * (WRITERS // 2)
    calls = {
        OrderAction.CONFIRM: kit.resellers.confirm_order,
        OrderAction.CANCEL: kit.resellers.cancel_order,
    }
    wins, errors_ = race(lambda i: calls[actions[i]](order.id, actor=user))
    assert all(isinstance(e, errors.InvalidOrderTransitionError) for e in errors_), said(errors_)
    assert 1 <= len(wins) <= 2 and len(wins) + len(errors_) == WRITERS
    path = sorted((w for w in wins if isinstance(w, pk.SalesOrder)), key=lambda o: o.version)
    status = pk.OrderStatus.DRAFT
    for moved in path:
        assert (status, moved.status) in {(s, to) for (s, _), to in TRANSITIONS.items()}
        status = moved.status
    stored = kit.resellers.get_order(order.id, actor=user)
    assert (stored.status, stored.version) == (status, 1 + len(wins))
    assert stored.status is pk.OrderStatus.CANCELLED  # a cancel always wins, first or second
    changes = kit.outbox(topic="resellers.order_changed")
    assert [m.payload["status"] for m in changes] == [o.status.value for o in path]


def test_eight_invoicers_of_one_order_make_exactly_one_invoice(
    kit: pk.Kit, portal: tuple[str, pk.Principal]
) -> None:
    # Once per order: the order's row is locked before billing is asked, so the second of two
    # finds the first's invoice on it, and the invoice bills one order (a unique key).
    rid, user = portal
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    order = kit.resellers.confirm_order(
        kit.resellers.place_order(acme.id, LINE, actor=user).id, actor=user
    )
    actors = [user, STAFF] * (WRITERS // 2)
    wins, errors_ = race(lambda i: kit.resellers.invoice_order(order.id, actor=actors[i]))
    assert len(wins) == 1, said(errors_)
    assert all(isinstance(e, errors.OrderInvoicedError) for e in errors_), said(errors_)
    [invoice] = wins
    assert isinstance(invoice, pk.Invoice)
    assert [i.id for i in kit.billing.invoices(acme.id, actor=STAFF)] == [invoice.id]
    assert invoice.number == "INV-000001"
    assert kit.resellers.get_order(order.id, actor=user).invoice_id == invoice.id
    assert len(kit.outbox(topic="resellers.order_invoiced")) == 1
    assert len(kit.outbox(topic="billing.invoice_issued")) == 1


def test_a_void_and_a_second_invoice_of_one_order_take_turns(
    kit: pk.Kit, portal: tuple[str, pk.Principal]
) -> None:
    # Staff void the order's invoice while the reseller invoices the order again. The void
    # frees the order under the order's lock; an invoicer that takes that lock before the void
    # commits finds the order invoiced and leaves without touching the customer's account, so
    # the two never wait on each other in a cycle. One void wins; an invoicer after it
    # invoices the order, once.
    rid, user = portal
    acme = kit.resellers.create_customer(rid, name="Acme", email="it@acme.example", actor=user)
    order = kit.resellers.confirm_order(
        kit.resellers.place_order(acme.id, LINE, actor=user).id, actor=user
    )
    first = kit.resellers.invoice_order(order.id, actor=user)

    def attempt(i: int) -> object:
        if i % 2:
            return kit.billing.void_invoice(first.id, actor=STAFF)
        return kit.resellers.invoice_order(order.id, actor=user)

    wins, errors_ = race(attempt)
    voids = [w for w in wins if isinstance(w, pk.Invoice) and w.id == first.id]
    again = [w for w in wins if isinstance(w, pk.Invoice) and w.id != first.id]
    assert len(voids) == 1 and len(again) <= 1, said(errors_)
    assert all(
        isinstance(e, pk.PartnerkitError)
        and e.code in ("resellers.order_invoiced", "billing.invalid_transition")
        for e in errors_
    ), said(errors_)
    stored = kit.resellers.get_order(order.id, actor=user)
    assert stored.invoice_id == (again[0].id if again else None)
    live = [
        i
        for i in kit.billing.invoices(acme.id, actor=STAFF)
        if i.status is not pk.InvoiceStatus.VOID
    ]
    assert [i.id for i in live] == [i.id for i in again]

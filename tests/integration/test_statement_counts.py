"""SQL statements per operation on SQLite, counted with SQLAlchemy's `before_cursor_execute`.

Each bound is what the SQL backend achieves today, so a change that adds a statement to a hot
operation fails here and has to say why. BEGIN counts (it is a statement SQLite runs, sent
straight to the driver, so counted from the engine's `begin` event); COMMIT does not. The
operations run in the order of the table, each as one call of the public API, from the first
(register + issue_code) to the transfer and its confirmation. Run with `-s` to see the table.
A renewal run is counted per renewed subscription, on its own backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.clock import SimulatedClock
from partnerkit.gateways.mailer import FakeMailer
from partnerkit.kit import Kit
from partnerkit.testing.renewals import due_subscriptions, renewal_instant

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)

#: operation: (statements at a7605de, before the SQL backend was declared, the bound now).
#: Issue 8 added one statement to three of them, each for a rule: a tag reads the approvals
#: waiting for the product (it completes or supersedes them), an accrual records the payment
#: as its partner's activity, and a confirmed transfer clears the new partner's tracking
#: entries for the customer (the tracking list follows every channel). A partner's product
#: of expertise is known to be in the catalog, so a tag and a transfer no longer ask it.
COUNTS: dict[str, tuple[int, int]] = {
    "register + issue_code": (20, 14),
    "add_customer": (21, 12),
    "add_user": (16, 4),
    "customers.get": (6, 2),
    "tag_partner": (20, 11),
    "partner_of_record": (7, 3),
    "customers_of": (9, 4),
    "accrue": (8, 7),
    "reverse": (8, 6),
    "transfer request + confirm": (48, 35),
}


STAFF = pk.Principal.staff("team@vendor.example")
SYSTEM = pk.Principal.system()


def _run(kit: Kit, clock: SimulatedClock, mailer: FakeMailer, count: Callable[[str], Any]) -> None:
    """The operations of COUNTS, each inside `count(name)`, on a fresh backend."""
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    with count("register + issue_code"):
        zillium = kit.partners.register(
            name="Zillium",
            username="zillium",
            email="o@z.example",
            regions=["IN"],
            expertise=["crm"],
            actor=STAFF,
        )
        kit.partners.issue_code(zillium.id, "ZILLIUMCorp", actor=STAFF)
    nimbus = kit.partners.register(
        name="Nimbus", username="nimbus", email="o@n.example", expertise=["crm"], actor=STAFF
    )
    kit.partners.issue_code(nimbus.id, "NIMBUSHQ", actor=STAFF)
    kit.commissions.set_plan(zillium.id, rate=20, actor=STAFF)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    zillium_user = pk.Principal.partner_user(zillium.id, "o@z.example")
    acme_admin = pk.Principal.customer_user(acme.id, "it@acme.example")
    with count("add_customer"):
        kit.mapping.add_customer(zillium.id, globex.id, "crm", actor=zillium_user)
    with count("add_user"):
        kit.customers.add_user(acme.id, "bob@acme.example", actor=acme_admin)
    with count("customers.get"):
        kit.customers.get(acme.id, actor=acme_admin)
    with count("tag_partner"):
        kit.mapping.tag_partner(acme.id, "crm", "zilliumcorp", actor=acme_admin)
    with count("partner_of_record"):
        kit.mapping.partner_of_record(acme.id, "crm", actor=acme_admin)
    with count("customers_of"):
        kit.mapping.customers_of(zillium.id, actor=zillium_user)
    clock.advance(timedelta(hours=1))
    with count("accrue"):
        kit.commissions.accrue(
            acme.id,
            "crm",
            transaction_id="t1",
            amount=pk.Money(Decimal("100.00"), "EUR"),
            occurred_at=clock.now(),
            actor=SYSTEM,
        )
    with count("reverse"):
        kit.commissions.reverse("t1", transaction_id="r1", occurred_at=clock.now(), actor=SYSTEM)
    clock.advance(timedelta(hours=1))
    with count("transfer request + confirm"):
        kit.mapping.request_transfer(acme.id, "crm", "NIMBUSHQ", actor=acme_admin)
        token = mailer.to("it@acme.example")[-1].context["token"]
        kit.mapping.confirm(token, actor=acme_admin)
    current = kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF)
    assert current is not None and current.partner_id == nimbus.id


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    path: Path = tmp_path_factory.mktemp("counts") / "counts.db"
    backend = SqlBackend.from_url(f"sqlite:///{path}")
    backend.migrate()
    statements: list[str] = []

    def before_cursor_execute(*args: Any) -> None:
        statements.append(args[2])

    event.listen(backend.engine, "before_cursor_execute", before_cursor_execute)
    event.listen(backend.engine, "begin", lambda _conn: statements.append("BEGIN"))
    found: dict[str, int] = {}

    @contextmanager
    def count(name: str) -> Iterator[None]:
        statements.clear()
        yield
        found[name] = len(statements)

    clock = SimulatedClock(T0)
    mailer = FakeMailer()
    try:
        _run(Kit(backend, clock=clock, mailer=mailer), clock, mailer, count)
    finally:
        backend.close()
    print()
    print(f"{'SQL statements on SQLite':32} {'a7605de':>8} {'now':>5}")
    for name, (before, _bound) in COUNTS.items():
        print(f"{name:32} {before:8} {found[name]:5}")
    return found


@pytest.mark.parametrize("operation", list(COUNTS))
def test_statements_per_operation_stay_within_bounds(
    counted: dict[str, int], operation: str
) -> None:
    before, bound = COUNTS[operation]
    assert counted[operation] <= bound, (
        f"{operation} runs {counted[operation]} statements, more than the bound {bound} "
        f"({before} at a7605de)"
    )


#: The renewal run (issue 11, "Scale"): statements per renewed subscription, at 6565fc1 and now.
#: Each renewal writes its invoice, the invoice's line, its ledger entry, its billed period and
#: its customer's account counter, and versions the subscription: six. The batch's reads (the
#: claim, its subscriptions, the default tax, the plan), its customers' and accounts' locks
#: and its outbox messages (one executemany) are per batch of 200.
RENEWAL: tuple[int, int] = (19, 6)


def test_a_renewal_run_costs_six_statements_per_subscription(tmp_path: Path) -> None:
    backend = SqlBackend.from_url(f"sqlite:///{tmp_path / 'renewals.db'}")
    backend.migrate()
    n = 400  # two batches
    due_subscriptions(backend, n)
    statements: list[str] = []
    event.listen(backend.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    event.listen(backend.engine, "begin", lambda _conn: statements.append("BEGIN"))
    try:
        report = Kit(backend, clock=SimulatedClock(renewal_instant())).run_due()
    finally:
        backend.close()
    assert report.handled["subscriptions"] == n
    before, bound = RENEWAL
    per_batch, other_jobs = 12, 12
    print(f"\nrenewal run on SQLite: {len(statements) / n:.2f} statements per subscription")
    assert len(statements) <= bound * n + per_batch * 3 + other_jobs, (
        f"a renewal run over {n} subscriptions ran {len(statements)} statements, more than "
        f"{bound} per subscription ({before} at 6565fc1)"
    )

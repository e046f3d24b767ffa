"""Races that cannot overpay (issue 7): 8 concurrent writers, as threads and as processes, on
PostgreSQL and MariaDB. Each rule is decided by the database — the row checked is locked, or a
constraint picks one winner — never by a read-check-write that two writers can both pass."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from racing import race as race_threads
from racing import said

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.errors import InvalidInputError
from partnerkit.mapping.errors import CodeTakenError
from partnerkit.testing.databases import wipe

STAFF = pk.Principal.staff("team@vendor.example")
SYSTEM = pk.Principal.system()
WRITERS = 8
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def kit(server: tuple[str, SqlBackend]) -> pk.Kit:
    wipe(server[1])
    kit = pk.Kit(server[1], clock=pk.SimulatedClock(T0))
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    return kit


def race(attempt: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    return race_threads(WRITERS, attempt)


def _booked(kit: pk.Kit) -> tuple[pk.Partner, pk.Customer]:
    """A partner at 10 % on Acme, and a 100 USD transaction booked to it."""
    partner = kit.partners.register(
        name="Zillium", username="zillium", email="o@z.example", expertise=["crm"], actor=STAFF
    )
    kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
    kit.commissions.set_plan(partner.id, rate=Decimal("10"), actor=STAFF)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, "it@acme.example")
    )
    assert isinstance(kit.clock, pk.SimulatedClock)
    kit.clock.advance(timedelta(hours=1))
    kit.commissions.accrue(
        acme.id,
        "crm",
        transaction_id="txn_1",
        amount=pk.Money.of("100", "USD"),
        occurred_at=kit.clock.now(),
        actor=SYSTEM,
    )
    return partner, acme


def test_concurrent_refunds_never_take_back_more_than_was_booked(kit: pk.Kit) -> None:
    partner, _ = _booked(kit)
    # Eight refunds of 30 USD each of one 100 USD transaction: three fit, five must not.
    wins, errors = race(
        lambda i: kit.commissions.reverse(
            "txn_1",
            transaction_id=f"ref_{i}",
            amount=pk.Money.of("30", "USD"),
            occurred_at=kit.now(),
            actor=SYSTEM,
        )
    )
    assert len(wins) == 3, errors
    assert all(isinstance(e, InvalidInputError) for e in errors), errors
    entries = kit.commissions.entries(partner.id, actor=STAFF)
    refunded = -sum((e.base.amount for e in entries if e.reverses == "txn_1"), Decimal(0))
    assert refunded == Decimal("90")
    assert sum((e.commission_exact for e in entries), Decimal(0)) == Decimal("1")


def test_a_replayed_accrual_racing_itself_returns_the_first_entry(kit: pk.Kit) -> None:
    partner, acme = _booked(kit)
    when = kit.now()
    wins, errors = race(
        lambda i: kit.commissions.accrue(
            acme.id,
            "crm",
            transaction_id="txn_2",
            amount=pk.Money.of("50", "USD"),
            occurred_at=when,
            actor=SYSTEM,
        )
    )
    assert not errors, said(errors)
    assert len({e.id for e in wins if isinstance(e, pk.CommissionEntry)}) == 1
    booked = [
        e for e in kit.commissions.entries(partner.id, actor=STAFF) if e.transaction_id == "txn_2"
    ]
    assert len(booked) == 1


def test_a_partner_racing_for_codes_ends_with_exactly_one_active_code(kit: pk.Kit) -> None:
    partner = kit.partners.register(
        name="Zillium", username="zillium", email="o@z.example", actor=STAFF
    )
    wins, errors = race(
        lambda i: kit.partners.issue_code(partner.id, f"ZILLIUM{'ABCDEFGH'[i]}X", actor=STAFF)
    )
    assert len(wins) == 1, errors
    assert all(isinstance(e, CodeTakenError) for e in errors), errors
    codes = kit.partners.codes(partner.id, actor=STAFF)
    assert [c.status for c in codes] == [pk.PartnerCodeStatus.ACTIVE]


def test_a_partner_replacing_its_code_in_a_race_ends_with_exactly_one_active_code(
    kit: pk.Kit,
) -> None:
    partner = kit.partners.register(
        name="Zillium", username="zillium", email="o@z.example", actor=STAFF
    )
    kit.partners.issue_code(partner.id, "ZILLIUMFIRST", actor=STAFF)
    race(
        lambda i: kit.partners.issue_code(
            partner.id, f"ZILLIUM{'ABCDEFGH'[i]}Y", replace=True, actor=STAFF
        )
    )
    active = [
        c
        for c in kit.partners.codes(partner.id, actor=STAFF)
        if c.status is pk.PartnerCodeStatus.ACTIVE
    ]
    assert len(active) == 1


def test_eight_tags_of_the_same_partner_all_succeed_as_one(kit: pk.Kit) -> None:
    partner = kit.partners.register(
        name="Zillium", username="zillium", email="o@z.example", expertise=["crm"], actor=STAFF
    )
    kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    admin = pk.Principal.customer_user(acme.id, "it@acme.example")
    wins, errors = race(
        lambda i: kit.mapping.tag_partner(acme.id, "crm", "zilliumcorp", actor=admin)
    )
    assert not errors, said(errors)
    assert len({w.id for w in wins if isinstance(w, pk.MappingInterval)}) == 1
    assert len(kit.mapping.history(acme.id, "crm", actor=STAFF)) == 1
    assert len(kit.outbox(topic="mapping.started")) == 1


# --- the same races between processes, each with its own kit and connection pool ----------


def _refund_in_a_process(url: str, i: int, barrier: object, results: object) -> None:
    kit = pk.connect(url, clock=pk.SimulatedClock(T0 + timedelta(hours=2)))
    barrier.wait()  # type: ignore[attr-defined]
    try:
        kit.commissions.reverse(
            "txn_1",
            transaction_id=f"pref_{i}",
            amount=pk.Money.of("30", "USD"),
            occurred_at=T0 + timedelta(hours=2),
            actor=SYSTEM,
        )
        results.put("refunded")  # type: ignore[attr-defined]
    except pk.PartnerkitError as exc:
        results.put(exc.code)  # type: ignore[attr-defined]
    finally:
        kit.close()


def test_refunds_from_eight_processes_never_take_back_more_than_was_booked(
    kit: pk.Kit, server: tuple[str, SqlBackend]
) -> None:
    partner, _ = _booked(kit)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    workers = [
        context.Process(target=_refund_in_a_process, args=(server[0], i, barrier, results))
        for i in range(WRITERS)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    outcomes = sorted(results.get(timeout=10) for _ in workers)
    assert outcomes.count("refunded") == 3, outcomes
    assert set(outcomes) == {"refunded", "validation.invalid"}, outcomes
    entries = kit.commissions.entries(partner.id, actor=STAFF)
    assert -sum((e.base.amount for e in entries if e.reverses), Decimal(0)) == Decimal("90")

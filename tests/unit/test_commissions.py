"""Commissions: windows from the mapping history (000_91620a113ccdeac1.txt: case 1 earns "the last
one month's transactions and all future transactions", case 2 "all transactions"), transfers
(001_e5546b4aab26b4b3.txt), reversals as negative entries, statements that add up to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

import partnerkit as pk
from partnerkit.errors import FloatAmountError, InvalidInputError, ValidationError
from partnerkit.mapping.commission_values import EntryKind
from partnerkit.mapping.commissions import apportion
from partnerkit.mapping.errors import CommissionConflictError, CommissionNotFoundError

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ADMIN = "it@acme.example"


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture
def kit(pk_kit: pk.Kit) -> pk.Kit:
    pk_kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    return pk_kit


@pytest.fixture
def zillium(kit: pk.Kit) -> pk.Partner:
    p = kit.partners.register(
        name="Zillium",
        username="zillium",
        email="ops@zillium.example",
        expertise=["crm"],
        actor=STAFF,
    )
    kit.partners.issue_code(p.id, "ZILLIUMCorp", actor=STAFF)
    kit.commissions.set_plan(p.id, rate=Decimal("20"), actor=STAFF)
    return p


@pytest.fixture
def nimbus(kit: pk.Kit) -> pk.Partner:
    p = kit.partners.register(
        name="Nimbus", username="nimbus", email="hi@nimbus.example", expertise=["crm"], actor=STAFF
    )
    kit.partners.issue_code(p.id, "NIMBUSHQ", actor=STAFF)
    kit.commissions.set_plan(p.id, rate=Decimal("10"), actor=STAFF)
    return p


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(name="Acme", admin_email=ADMIN, actor=STAFF)


def accrue(kit: pk.Kit, customer: pk.Customer, txn: str, amount: str, when: datetime):  # type: ignore[no-untyped-def]
    return kit.commissions.accrue(
        customer.id, "crm", transaction_id=txn, amount=usd(amount), occurred_at=when, actor=STAFF
    )


def test_case_1_earns_the_last_month_before_approval_and_everything_after(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, pk_clock: pk.SimulatedClock
) -> None:
    kit.customers.set_plan(acme.id, "crm", "paid", since=date(2025, 6, 1), actor=STAFF)
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    pk_clock.advance(days=1)  # approved on 2026-01-06
    kit.mapping.confirm(
        mailer.sent[-1].context["token"], actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    look_back_start = datetime(2025, 12, 6, tzinfo=UTC)
    assert accrue(kit, acme, "t-old", "100.00", look_back_start - timedelta(seconds=1)) is None
    entry = accrue(kit, acme, "t-lookback", "100.00", look_back_start)
    assert entry is not None
    assert entry.partner_id == zillium.id
    assert entry.commission == usd("20.00")
    pk_clock.advance(days=90)
    assert accrue(kit, acme, "t-later", "50.00", START + timedelta(days=90)) is not None
    with pytest.raises(InvalidInputError) as info:
        accrue(kit, acme, "t-future", "50.00", pk_clock.now() + timedelta(seconds=1))
    assert info.value.details["field"] == "occurred_at"


def test_case_2_earns_on_all_transactions(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.customers.set_plan(acme.id, "crm", "paid", since=date(2025, 12, 20), actor=STAFF)
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    entry = accrue(kit, acme, "t-first-payment", "99.00", datetime(2025, 12, 20, tzinfo=UTC))
    assert entry is not None
    assert entry.commission == usd("19.80")


def test_a_transfer_stops_the_old_partners_commission_and_starts_the_new_ones(
    kit: pk.Kit,
    zillium: pk.Partner,
    nimbus: pk.Partner,
    acme: pk.Customer,
    pk_clock: pk.SimulatedClock,
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    kit.mapping.request_transfer(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    pk_clock.advance(days=3)
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    kit.mapping.confirm(
        mailer.to(ADMIN)[-1].context["token"], actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    effective = START + timedelta(days=3)
    before = accrue(kit, acme, "t1", "100.00", effective - timedelta(microseconds=1))
    after = accrue(kit, acme, "t2", "100.00", effective)
    assert before is not None
    assert after is not None
    assert (before.partner_id, before.commission) == (nimbus.id, usd("10.00"))
    assert (after.partner_id, after.commission) == (zillium.id, usd("20.00"))


def test_no_window_no_commission(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> None:
    assert accrue(kit, acme, "t0", "10.00", START) is None
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    assert accrue(kit, acme, "t-before-tag", "10.00", START - timedelta(days=1)) is None
    assert kit.commissions.entries(zillium.id, actor=STAFF) == []


def test_a_limit_in_months_ends_the_window(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.commissions.set_plan(zillium.id, rate=20, limit_months=12, actor=STAFF)
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    kit.advance_to(datetime(2027, 2, 1, tzinfo=UTC))
    assert accrue(kit, acme, "t-in", "10.00", datetime(2027, 1, 5, 8, tzinfo=UTC)) is not None
    assert accrue(kit, acme, "t-out", "10.00", datetime(2027, 1, 5, 9, tzinfo=UTC)) is None


def test_booking_is_idempotent_and_refunds_are_negative_entries(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    kit.advance_to(START + timedelta(days=5))
    when = START + timedelta(days=1)
    first = accrue(kit, acme, "t1", "100.00", when)
    assert accrue(kit, acme, "t1", "100.00", when) == first
    with pytest.raises(CommissionConflictError):
        accrue(kit, acme, "t1", "90.00", when)
    refund = kit.commissions.reverse(
        "t1",
        transaction_id="r1",
        amount=usd("40.00"),
        occurred_at=when + timedelta(days=2),
        actor=STAFF,
    )
    assert (refund.kind, refund.base, refund.commission) == (
        EntryKind.REVERSAL,
        usd("-40.00"),
        usd("-8.00"),
    )
    with pytest.raises(InvalidInputError):
        kit.commissions.reverse(
            "t1", transaction_id="r2", amount=usd("60.01"), occurred_at=when, actor=STAFF
        )
    with pytest.raises(CommissionNotFoundError):
        kit.commissions.reverse("nope", transaction_id="r3", occurred_at=when, actor=STAFF)
    assert [e.transaction_id for e in kit.commissions.entries(zillium.id, actor=STAFF)] == [
        "t1",
        "r1",
    ]


def test_a_replay_is_the_same_booking_and_anything_else_under_its_id_a_conflict(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    for customer, admin in ((acme, ADMIN), (globex, "it@globex.example")):
        kit.mapping.tag_partner(
            customer.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(customer.id, admin)
        )
    kit.advance_to(START + timedelta(days=5))
    when = START + timedelta(days=1)
    accrue(kit, acme, "t1", "100.00", when)
    # The same transaction id for another customer is not a replay.
    with pytest.raises(CommissionConflictError):
        accrue(kit, globex, "t1", "100.00", when)
    # Refunds go through reverse(), never as a negative accrual.
    with pytest.raises(InvalidInputError) as refused:
        accrue(kit, acme, "t2", "-10.00", when)
    assert refused.value.details["field"] == "amount"
    # Replaying the refund that used up the transaction returns it, not "would exceed".
    full = kit.commissions.reverse("t1", transaction_id="r1", occurred_at=when, actor=STAFF)
    again = kit.commissions.reverse("t1", transaction_id="r1", occurred_at=when, actor=STAFF)
    assert again == full and full.base == usd("-100.00")
    # A refund id already used for an accrual is a conflict.
    with pytest.raises(CommissionConflictError):
        kit.commissions.reverse("t1", transaction_id="t1", occurred_at=when, actor=STAFF)
    booked = kit.commissions.entries(zillium.id, actor=STAFF)
    assert sorted(e.transaction_id for e in booked) == ["r1", "t1"]


def test_statements_round_once_and_lines_add_up_to_the_cent(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.commissions.set_plan(zillium.id, rate=Decimal("12.5"), actor=STAFF)
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    for customer in (acme, globex):
        kit.mapping.tag_partner(
            customer.id,
            "crm",
            "ZILLIUMCorp",
            actor=pk.Principal.customer_user(customer.id, customer.users[0].email),
        )
    kit.advance_to(START + timedelta(days=5))
    # 12.5 % of 0.01 is 0.00125: rounded per line, each would vanish; the total must not.
    for i in range(3):
        accrue(kit, acme, f"a{i}", "0.01", START + timedelta(days=1, hours=i))
        accrue(kit, globex, f"g{i}", "0.01", START + timedelta(days=1, hours=i))
    accrue(kit, acme, "a-big", "1000.00", START + timedelta(days=2))
    statement = kit.commissions.statement(
        zillium.id, date(2026, 1, 1), date(2026, 1, 31), actor=STAFF
    )
    assert statement.totals == (usd("125.01"),)
    assert sum((line.commission for line in statement.lines), usd("0")) == usd("125.01")
    assert {line.customer_id: line.entries for line in statement.lines} == {
        acme.id: 4,
        globex.id: 3,
    }
    empty = kit.commissions.statement(zillium.id, date(2026, 2, 1), date(2026, 2, 28), actor=STAFF)
    assert (empty.lines, empty.totals) == ((), ())


def test_apportion_never_loses_a_cent() -> None:
    parts = [Decimal("0.005"), Decimal("0.005"), Decimal("0.005")]
    total = pk.Money.rounded(sum(parts, Decimal(0)), "USD")
    assert total == usd("0.02")
    assert sum(apportion(total, parts), usd("0")) == total
    negative = [Decimal("-0.004"), Decimal("-0.004"), Decimal("0.011")]
    total = pk.Money.rounded(sum(negative, Decimal(0)), "USD")
    assert sum(apportion(total, negative), usd("0")) == total


def test_plans_refuse_floats_and_out_of_range_rates(kit: pk.Kit, zillium: pk.Partner) -> None:
    with pytest.raises(FloatAmountError):
        kit.commissions.set_plan(zillium.id, rate=0.2, actor=STAFF)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        kit.commissions.set_plan(zillium.id, rate=Decimal("120"), actor=STAFF)
    with pytest.raises(InvalidInputError):
        kit.commissions.set_plan(zillium.id, rate=10, limit_months=0, actor=STAFF)
    assert kit.commissions.plan(zillium.id, actor=STAFF).rate == Decimal("20")  # type: ignore[union-attr]


def test_a_change_at_the_instant_of_a_booked_payment_leaves_it_with_its_partner(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    entry = accrue(kit, acme, "t-now", "100.00", kit.now())
    assert entry is not None
    moved = kit.mapping.record_written_consent(
        acme.id, "crm", zillium.id, evidence="email", actor=STAFF
    )
    old, new = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert (
        old.valid_to == new.valid_from == moved.valid_from == kit.now() + timedelta(microseconds=1)
    )
    assert old.earns_on(entry.occurred_at)
    assert not new.earns_on(entry.occurred_at)
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) == new


# --- the service's input contract and what it books (pinned by the mutation run) -----------


@pytest.mark.parametrize(
    ("argument", "field", "limit"),
    [
        ("transaction_id", "transaction_id", 100),
        ("customer_id", "customer_id", 40),
        ("product", "product", 40),
    ],
)
def test_accrue_names_each_bad_argument_and_its_length_limit(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, argument: str, field: str, limit: int
) -> None:
    arguments = {"customer_id": acme.id, "product": "crm", "transaction_id": "t1"}
    for value, problem in (("x" * (limit + 1), "too long"), ("", "empty"), (7, "not text")):
        bad = {**arguments, argument: value}
        with pytest.raises(InvalidInputError) as refused:
            kit.commissions.accrue(
                bad["customer_id"],
                bad["product"],
                transaction_id=bad["transaction_id"],
                amount=usd("1.00"),
                occurred_at=START,
                actor=STAFF,
            )
        assert refused.value.details["field"] == field, problem
    # At the limit the value is taken (and finds no mapping, so nothing is booked).
    at_limit = {**arguments, argument: "x" * limit}
    assert (
        kit.commissions.accrue(
            at_limit["customer_id"],
            at_limit["product"],
            transaction_id=at_limit["transaction_id"],
            amount=usd("1.00"),
            occurred_at=START,
            actor=STAFF,
        )
        is None
    )


def test_accrue_and_reverse_name_a_bad_amount_or_instant(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    def accrue_with(**changes: object) -> object:
        arguments: dict[str, object] = {
            "transaction_id": "t1",
            "amount": usd("1.00"),
            "occurred_at": START,
            "actor": STAFF,
        }
        return kit.commissions.accrue(acme.id, "crm", **{**arguments, **changes})  # type: ignore[arg-type]

    for changes, field in (
        ({"amount": Decimal("1.00")}, "amount"),
        ({"occurred_at": "2026-01-05"}, "occurred_at"),
        ({"occurred_at": datetime(2026, 1, 5)}, "occurred_at"),  # noqa: DTZ001
    ):
        with pytest.raises(InvalidInputError) as refused:
            accrue_with(**changes)
        assert refused.value.details["field"] == field
    for txn, when, field in (("x" * 101, START, "transaction_id"), ("r1", "now", "occurred_at")):
        with pytest.raises(InvalidInputError) as refused:
            kit.commissions.reverse("t1", transaction_id=txn, occurred_at=when, actor=STAFF)  # type: ignore[arg-type]
        assert refused.value.details["field"] == field
    with pytest.raises(InvalidInputError) as future:
        kit.commissions.reverse(
            "t1", transaction_id="r1", occurred_at=START + timedelta(seconds=1), actor=STAFF
        )
    assert future.value.details["field"] == "occurred_at"


def test_an_entry_records_when_it_happened_and_when_it_was_booked(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, pk_clock: pk.SimulatedClock
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    pk_clock.advance(days=2)
    paid = START + timedelta(days=1)
    entry = accrue(kit, acme, "t1", "100.00", paid)
    assert entry is not None
    assert (entry.occurred_at, entry.booked_at) == (paid, START + timedelta(days=2))
    assert entry.id.startswith("com_")
    pk_clock.advance(days=1)
    # A refund may be booked at the very instant it is paid out.
    refund = kit.commissions.reverse(
        "t1", transaction_id="r1", amount=usd("10.00"), occurred_at=kit.now(), actor=STAFF
    )
    assert (refund.occurred_at, refund.booked_at) == (kit.now(), kit.now())
    assert refund.id.startswith("com_") and refund.id != entry.id
    assert [m.payload for m in kit.outbox(topic="commission.booked")] == [
        {
            "entry_id": e.id,
            "partner_id": zillium.id,
            "transaction_id": e.transaction_id,
            "commission": e.commission.to_dict(),
        }
        for e in (entry, refund)
    ]


def test_a_racing_replay_gets_the_first_entry_and_other_figures_a_conflict(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The booking a racing writer committed first is not seen by the read before the insert;
    the unique constraint refuses the insert, and the winner is read back (on PostgreSQL and
    MariaDB tests/integration/test_races.py races real writers; here one read is hidden)."""
    from partnerkit.backends.memory.commissions import MemoryCommissionEntries

    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    kit.advance_to(START + timedelta(days=2))
    first = accrue(kit, acme, "t1", "100.00", START)
    real = MemoryCommissionEntries.get_by_transaction
    hidden: list[str] = []

    def racing(self: MemoryCommissionEntries, transaction_id: str, **kw: bool):  # type: ignore[no-untyped-def]
        if transaction_id not in hidden:  # the first read misses the racing winner
            hidden.append(transaction_id)
            return None
        return real(self, transaction_id, **kw)

    monkeypatch.setattr(MemoryCommissionEntries, "get_by_transaction", racing)
    assert accrue(kit, acme, "t1", "100.00", START) == first
    hidden.clear()
    for txn, amount, when in (("t1", "90.00", START), ("t1", "100.00", kit.now())):
        with pytest.raises(CommissionConflictError):
            accrue(kit, acme, txn, amount, when)
        hidden.clear()
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    kit.mapping.tag_partner(
        globex.id,
        "crm",
        "ZILLIUMCorp",
        actor=pk.Principal.customer_user(globex.id, "it@globex.example"),
    )
    with pytest.raises(CommissionConflictError):
        accrue(kit, globex, "t1", "100.00", kit.now())
    monkeypatch.undo()
    assert [e.transaction_id for e in kit.commissions.entries(zillium.id, actor=STAFF)] == ["t1"]


def test_a_plan_keeps_its_version_and_when_it_was_set(
    kit: pk.Kit, zillium: pk.Partner, pk_clock: pk.SimulatedClock
) -> None:
    first = kit.commissions.plan(zillium.id, actor=STAFF)
    assert first is not None
    assert (first.version, first.updated_at, first.limit_months) == (1, START, None)
    pk_clock.advance(days=1)
    second = kit.commissions.set_plan(zillium.id, rate="12.5", limit_months=24, actor=STAFF)
    assert (second.version, second.updated_at, second.rate, second.limit_months) == (
        2,
        START + timedelta(days=1),
        Decimal("12.5"),
        24,
    )
    assert kit.commissions.set_plan(zillium.id, rate=5, actor=STAFF).version == 3
    assert kit.commissions.plan(zillium.id, actor=STAFF) == kit.commissions.plan(
        zillium.id, actor=pk.Principal.partner_user(zillium.id, zillium.email)
    )


@pytest.mark.parametrize("limit", [0, 1201, True, "12", -1])
def test_a_plans_limit_is_1_to_1200_whole_months(
    kit: pk.Kit, zillium: pk.Partner, limit: object
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        kit.commissions.set_plan(zillium.id, rate=10, limit_months=limit, actor=STAFF)  # type: ignore[arg-type]
    assert refused.value.details["field"] == "limit_months"


def test_a_plans_limit_may_be_1_or_1200_months(kit: pk.Kit, zillium: pk.Partner) -> None:
    for limit in (1, 1200):
        assert kit.commissions.set_plan(zillium.id, rate=10, limit_months=limit, actor=STAFF)


@pytest.mark.parametrize("rate", [None, [20], "twenty", "NaN", Decimal("Infinity"), 0.2, True])
def test_a_rate_that_is_no_percentage_is_refused_naming_rate(
    kit: pk.Kit, zillium: pk.Partner, rate: object
) -> None:
    with pytest.raises(ValidationError) as refused:
        kit.commissions.set_plan(zillium.id, rate=rate, actor=STAFF)  # type: ignore[arg-type]
    assert refused.value.details["field"] == "rate"


def test_a_rate_is_at_most_40_characters_as_written(kit: pk.Kit, zillium: pk.Partner) -> None:
    forty = "1." + "0" * 38
    assert kit.commissions.set_plan(zillium.id, rate=forty, actor=STAFF).rate == Decimal(forty)
    with pytest.raises(InvalidInputError) as refused:
        kit.commissions.set_plan(zillium.id, rate=forty + "1", actor=STAFF)
    assert refused.value.details["field"] == "rate"


def test_a_statements_lines_name_customer_product_currency_and_base(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    kit.advance_to(START + timedelta(days=5))
    accrue(kit, acme, "t1", "100.00", START + timedelta(days=1))
    kit.commissions.accrue(
        acme.id,
        "crm",
        transaction_id="t2",
        amount=pk.Money.of("50.00", "EUR"),
        occurred_at=START + timedelta(days=2),
        actor=STAFF,
    )
    statement = kit.commissions.statement(
        zillium.id, date(2026, 1, 1), date(2026, 1, 31), actor=STAFF
    )
    assert (statement.partner_id, statement.start, statement.end) == (
        zillium.id,
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    assert [
        (line.customer_id, line.product, line.currency, line.base, line.commission, line.entries)
        for line in statement.lines
    ] == [
        (acme.id, "crm", "EUR", pk.Money.of("50.00", "EUR"), pk.Money.of("10.00", "EUR"), 1),
        (acme.id, "crm", "USD", usd("100.00"), usd("20.00"), 1),
    ]
    assert statement.totals == (pk.Money.of("10.00", "EUR"), usd("20.00"))


def test_statement_dates_are_checked_and_named(kit: pk.Kit, zillium: pk.Partner) -> None:
    for start, end, field in (
        ("2026-01-01", date(2026, 1, 31), "start"),
        (date(2026, 1, 1), datetime(2026, 1, 31, tzinfo=UTC), "end"),
        (date(2026, 1, 2), date(2026, 1, 1), "end"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            kit.commissions.statement(zillium.id, start, end, actor=STAFF)  # type: ignore[arg-type]
        assert refused.value.details["field"] == field
    one_day = kit.commissions.statement(zillium.id, date(2026, 1, 1), date(2026, 1, 1), actor=STAFF)
    assert one_day.lines == ()

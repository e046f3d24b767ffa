"""Issue 8, the partner program's second pass, item by item with the seeds' numbers, on memory
and SQLite.

000_91620a113ccdeac1.txt: "more than a month" approves first and earns "the last one month's
transactions" (case 1); "within 30 days" maps at once with "commission for all transactions"
(case 2); a free customer's mapping goes "if the customer did not upgrade ... within 3 months
from the date of mapping" (case 3); partners "inactive for a long time" are deactivated.
001_e5546b4aab26b4b3.txt: "all the mapping methods lead to the same outcome"; the tracking list
"will move ... to your customer listing"; a sign-up link, a new account, Tag a Partner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest
import sqlalchemy as sa

import partnerkit as pk
from partnerkit.consent import ConsentStatus
from partnerkit.errors import ConsentNotPendingError, InvalidTimeZoneError
from partnerkit.mapping.errors import (
    AlreadyYourCustomerError,
    FreePeriodOverError,
    OrganisationExistsError,
    ProductHasPartnerError,
    SignupLinkProductsRequiredError,
    SignupProductNotOfferedError,
)

STAFF = pk.Principal.staff("team@vendor.example")
SYSTEM = pk.Principal.system("billing")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ADMIN = "it@acme.example"
KOLKATA = ZoneInfo("Asia/Kolkata")


def at(day: date, hour: int = 0, minute: int = 0, zone: ZoneInfo | None = None) -> datetime:
    """An instant: `hour:minute` on `day`, in `zone` (UTC by default), as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone or UTC).astimezone(UTC)


class World:
    """A kit over memory or SQLite, with the catalog, two partners and Acme."""

    def __init__(self, url: str, policy: pk.MappingPolicy | None = None) -> None:
        self.url = url
        self.clock = pk.SimulatedClock(START)
        self.mailer = pk.InMemoryMailer()
        self.kit = pk.connect(
            url, clock=self.clock, mailer=self.mailer, policies=[policy] if policy else []
        )
        self.kit.migrate()
        kit = self.kit
        kit.catalog.add_product("crm", name="CRM", actor=STAFF)
        kit.catalog.add_product("books", name="Books", actor=STAFF)
        self.zillium = kit.partners.register(
            name="Zillium",
            username="zillium",
            email="ops@zillium.example",
            expertise=["crm", "books"],
            actor=STAFF,
        )
        kit.partners.issue_code(self.zillium.id, "ZILLIUMCorp", actor=STAFF)
        self.nimbus = kit.partners.register(
            name="Nimbus",
            username="nimbus",
            email="hi@nimbus.example",
            expertise=["crm"],
            actor=STAFF,
        )
        kit.partners.issue_code(self.nimbus.id, "NIMBUSHQ", actor=STAFF)
        kit.commissions.set_plan(self.zillium.id, rate=20, actor=STAFF)
        kit.commissions.set_plan(self.nimbus.id, rate=10, actor=STAFF)
        self.acme = self.customer("Acme", ADMIN, domain="acme.example")
        self.admin = pk.Principal.customer_user(self.acme.id, ADMIN)
        self.zillium_user = pk.Principal.partner_user(self.zillium.id, self.zillium.email)

    def customer(self, name: str, admin: str, **kw: object) -> pk.Customer:
        return self.kit.customers.create(name=name, admin_email=admin, actor=STAFF, **kw)  # type: ignore[arg-type]

    def paid(self, customer: pk.Customer, since: date, product: str = "crm") -> None:
        self.kit.customers.set_plan(customer.id, product, "paid", since=since, actor=STAFF)

    def token(self, to: str, template: str = "mapping.approval_requested") -> str:
        token = [e for e in self.mailer.to(to) if e.template == template][-1].context["token"]
        assert isinstance(token, str)
        return token

    def of_record(self, customer: pk.Customer, product: str = "crm") -> pk.MappingInterval | None:
        return self.kit.mapping.partner_of_record(customer.id, product, actor=STAFF)

    def pay(self, customer: pk.Customer, txn: str, when: datetime) -> pk.CommissionEntry | None:
        return self.kit.commissions.accrue(
            customer.id,
            "crm",
            transaction_id=txn,
            amount=pk.Money.of("100.00", "USD"),
            occurred_at=when,
            actor=SYSTEM,
        )

    def snapshot(self, customer: pk.Customer) -> object:
        """What a refused call could have written about the customer, and everywhere else."""
        kit = self.kit
        return (
            kit.mapping.history(customer.id, actor=STAFF),
            kit.mapping.pending_requests(actor=STAFF),
            kit.customers.customers(actor=STAFF),
            [kit.mapping.tracking_list(p.id, actor=STAFF) for p in (self.zillium, self.nimbus)],
            kit.partners.partners(actor=STAFF),
            [(m.id, m.status) for m in kit.outbox() if m.topic != "access.denied"],
        )

    def table_rows(self, table: str) -> int | None:
        """Rows of a SQL table (None in memory, where the snapshot says enough)."""
        if not self.url.startswith("sqlite"):
            return None
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'kit.db'}"


@pytest.fixture
def w(url: str) -> Iterator[World]:
    world = World(url)
    yield world
    world.kit.close()


@pytest.fixture
def make(url: str) -> Iterator[Callable[[pk.MappingPolicy], World]]:
    """A World with a policy of the test's own: `make(policy)`."""
    made: list[World] = []

    def build(policy: pk.MappingPolicy) -> World:
        world = World(url, policy)
        made.append(world)
        return world

    yield build
    for world in made:
        world.kit.close()


# --- 1. one decision for all four channels ----------------------------------------------------


def test_a_tag_by_a_customer_paid_for_a_year_gets_the_month_of_look_back(w: World) -> None:
    w.paid(w.acme, date(2025, 1, 5))
    decision = w.kit.mapping.explain_tag(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    assert decision.case is pk.AddCase.PAID_NEEDS_APPROVAL
    assert decision.consent is pk.MappingConsent.CUSTOMER_ACT
    assert decision.action is pk.MappingAction.MAP
    assert decision.rule.startswith("Use case 1")
    assert decision.days_paid == 365
    interval = w.kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    # "the last one month's transactions and all future transactions"
    assert interval.commission_from == at(date(2025, 12, 5))
    assert interval.status is pk.MappingStatus.PERMANENT
    # The tag is the customer's word: no approval email.
    assert w.mailer.to(ADMIN) == []
    december = w.pay(w.acme, "dec-20", at(date(2025, 12, 20), 12))
    assert december is not None and december.partner_id == w.zillium.id
    assert w.pay(w.acme, "dec-04", at(date(2025, 12, 4), 23, 59)) is None


def test_every_channel_applies_the_case_table(w: World) -> None:
    kit = w.kit
    # A sign-up and a tag are the customer's own acts: a free customer is mapped for good.
    link = kit.mapping.signup_link(w.zillium.id, "crm", actor=w.zillium_user)
    globex = kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example")
    signed = w.of_record(globex)
    assert signed is not None and signed.status is pk.MappingStatus.PERMANENT
    tagged = kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    assert tagged.status is pk.MappingStatus.PERMANENT
    assert tagged.commission_from == at(START.date())  # free: from the mapping day
    # An account the partner sets up, and a customer it adds, were not the customer's word:
    # 000 case 3, 3 months.
    initech = kit.mapping.create_account(
        w.zillium.id,
        name="Initech",
        admin_email="it@initech.example",
        product="crm",
        actor=w.zillium_user,
    )
    set_up = w.of_record(initech)
    assert set_up is not None
    assert (set_up.status, set_up.provisional_until) == (
        pk.MappingStatus.PROVISIONAL,
        date(2026, 4, 5),
    )
    hooli = w.customer("Hooli", "it@hooli.example")
    added = kit.mapping.add_customer(w.zillium.id, hooli.id, "crm", actor=w.zillium_user)
    assert added.interval is not None
    assert added.interval.status is pk.MappingStatus.PROVISIONAL
    assert added.decision.consent is pk.MappingConsent.NOT_NEEDED


def test_whether_the_3_months_hold_for_customers_own_acts_is_a_policy(
    make: Callable[[pk.MappingPolicy], World],
) -> None:
    w = make(pk.MappingPolicy(provisional_with_consent=True))
    decision = w.kit.mapping.explain_tag(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    assert decision.provisional and decision.provisional_until == date(2026, 4, 5)
    tagged = w.kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    assert tagged.status is pk.MappingStatus.PROVISIONAL
    assert tagged.provisional_until == date(2026, 4, 5)


def test_a_tag_while_the_same_partners_approval_waits_completes_it(w: World) -> None:
    kit = w.kit
    w.paid(w.acme, START.date() - timedelta(days=45))
    asked = kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=w.zillium_user)
    assert asked.request is not None
    old_token = w.token(ADMIN)
    w.clock.advance(days=3)
    tagged = kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    assert (tagged.partner_id, tagged.channel) == (w.zillium.id, pk.Channel.TAG)
    # Case 1's look-back, a month before the tag.
    assert tagged.commission_from == at(date(2025, 12, 8))
    assert kit.mapping.pending_requests(customer_id=w.acme.id, actor=STAFF) == []
    effective = kit.outbox(topic="consent.mapping_approval.effective")
    assert [m.payload["request_id"] for m in effective] == [asked.request.id]
    with pytest.raises(ConsentNotPendingError):
        kit.mapping.confirm(old_token, actor=w.admin)


def test_a_tag_for_another_partner_supersedes_the_approval_and_the_first_is_told(
    w: World,
) -> None:
    kit = w.kit
    w.paid(w.acme, START.date() - timedelta(days=45))
    asked = kit.mapping.add_customer(w.nimbus.id, w.acme.id, "crm", actor=STAFF)
    assert asked.request is not None
    nimbus_token = w.token(ADMIN)
    decision = kit.mapping.explain_tag(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    assert decision.superseded_request_ids == (asked.request.id,)
    kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    current = w.of_record(w.acme)
    assert current is not None and current.partner_id == w.zillium.id
    assert kit.mapping.pending_requests(customer_id=w.acme.id, actor=STAFF) == []
    [told] = w.mailer.to(w.nimbus.email)
    assert told.template == "mapping.request_superseded"
    assert told.subject == "Acme chose another partner for crm"
    # The customer clicking the old link learns why, in its words.
    with pytest.raises(ConsentNotPendingError) as info:
        kit.mapping.confirm(nimbus_token, actor=w.admin)
    assert "Acme chose another partner for crm" in info.value.message
    assert w.of_record(w.acme) == current


# --- 2. case 3 cannot be restarted -------------------------------------------------------------


def test_re_adding_a_removed_free_customer_keeps_the_first_mapping_date(w: World) -> None:
    kit = w.kit
    first = kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF).interval
    assert first is not None and first.provisional_until == date(2026, 4, 5)
    kit.advance_to(date(2026, 2, 1))
    kit.mapping.unmap(w.acme.id, "crm", reason="added by mistake", actor=STAFF)
    kit.advance_to(date(2026, 2, 10))
    again = kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    assert again.interval is not None
    # What is left of the first 3 months, not a fresh 3 (May 10).
    assert again.interval.provisional_until == date(2026, 4, 5)
    assert again.decision.free_period_started == date(2026, 1, 5)
    assert any("does not restart" in r for r in again.decision.reasons)


def test_after_the_3_months_a_re_add_is_refused_until_the_customer_upgrades_or_tags(
    w: World,
) -> None:
    kit = w.kit
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    kit.advance_to(date(2026, 5, 1))
    assert w.of_record(w.acme) is None
    before = w.snapshot(w.acme)
    # Reproduced in issue 8: this gave a new deadline of 2026-08-01.
    with pytest.raises(FreePeriodOverError) as info:
        kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=w.zillium_user)
    assert info.value.code == "mapping.free_period_over"
    assert "2026-04-05" in info.value.message
    assert "kit." not in (info.value.remedy or "")
    assert w.snapshot(w.acme) == before
    with pytest.raises(FreePeriodOverError):
        kit.mapping.explain_add(w.zillium.id, w.acme.id, "crm", actor=w.zillium_user)
    # Another partner has its own 3 months.
    other = kit.mapping.add_customer(w.nimbus.id, w.acme.id, "crm", actor=STAFF).interval
    assert other is not None and other.provisional_until == date(2026, 8, 1)
    kit.mapping.unmap(w.acme.id, "crm", reason="test", actor=STAFF)
    # Paid, the customer is case 2, and Zillium may add it.
    w.paid(w.acme, date(2026, 4, 28))
    paid = kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF).interval
    assert paid is not None and paid.status is pk.MappingStatus.PERMANENT


def test_the_customers_own_tag_maps_a_free_customer_again(w: World) -> None:
    kit = w.kit
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    kit.advance_to(date(2026, 5, 1))
    tagged = kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    assert tagged.status is pk.MappingStatus.PERMANENT


# --- 3. decisions at the moment they take effect ----------------------------------------------


@pytest.mark.parametrize("provisional_with_consent", [False, True])
def test_an_approval_is_decided_again_when_the_customer_clicks(
    make: Callable[[pk.MappingPolicy], World], provisional_with_consent: bool
) -> None:
    w = make(pk.MappingPolicy(provisional_with_consent=provisional_with_consent))
    kit = w.kit
    w.paid(w.acme, START.date() - timedelta(days=45))
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    w.clock.advance(days=5)
    kit.customers.set_plan(w.acme.id, "crm", "free", actor=STAFF)  # dropped to free
    w.clock.advance(days=2)
    kit.mapping.confirm(w.token(ADMIN), actor=w.admin)
    mapped = w.of_record(w.acme)
    assert mapped is not None
    # The facts of January 12: a free customer (case 3), no month of look-back.
    assert mapped.commission_from == at(date(2026, 1, 12))
    if provisional_with_consent:
        assert mapped.status is pk.MappingStatus.PROVISIONAL
        assert mapped.provisional_until == date(2026, 4, 12)
    else:
        assert mapped.status is pk.MappingStatus.PERMANENT


def test_the_partner_of_record_is_none_once_the_3_months_end_without_run_due(w: World) -> None:
    kit = w.kit
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    w.clock.set(at(date(2026, 4, 5), 23, 59))
    assert w.of_record(w.acme) is not None  # the last day counts
    w.clock.set(at(date(2026, 4, 6), 0, 5))  # the job has not run
    assert w.of_record(w.acme) is None
    assert kit.mapping.customers_of(w.zillium.id, actor=STAFF) == []
    [shown] = kit.mapping.history(w.acme.id, "crm", actor=STAFF)
    assert shown.valid_to == at(date(2026, 4, 6))
    assert w.pay(w.acme, "late", at(date(2026, 4, 6), 0, 1)) is None
    # Zillium no longer sees Acme.
    with pytest.raises(pk.NotFoundError):
        kit.customers.get(w.acme.id, actor=w.zillium_user)
    # The job records exactly what every read already said.
    assert kit.outbox(topic="mapping.expired") == []
    assert kit.run_due().handled["provisional_mappings"] == 1
    assert kit.mapping.history(w.acme.id, "crm", actor=STAFF) == [shown]
    assert [m.topic for m in kit.outbox(topic="mapping.expired")] == ["mapping.expired"]
    # An upgrade after the deadline does not bring it back.
    w.paid(w.acme, date(2026, 4, 6))
    assert w.of_record(w.acme) is None


def test_a_write_after_the_deadline_records_the_end_first(w: World) -> None:
    # Nimbus adds Acme the day after Zillium's 3 months ended, before run_due: Zillium's
    # mapping is over, so Nimbus is no "Customer mapped to another partner".
    kit = w.kit
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    w.clock.set(at(date(2026, 4, 6), 10))
    added = kit.mapping.add_customer(w.nimbus.id, w.acme.id, "crm", actor=STAFF).interval
    assert added is not None and added.partner_id == w.nimbus.id
    ended, new = kit.mapping.history(w.acme.id, "crm", actor=STAFF)
    assert (ended.valid_to, ended.ended_by) == (at(date(2026, 4, 6)), "partnerkit")
    assert new.valid_from == at(date(2026, 4, 6), 10)
    assert kit.run_due().handled["provisional_mappings"] == 0


def test_an_upgrade_within_the_3_months_keeps_the_mapping(w: World) -> None:
    kit = w.kit
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    w.clock.set(at(date(2026, 4, 5), 18))
    w.paid(w.acme, date(2026, 4, 5))
    w.clock.set(at(date(2026, 7, 1)))
    current = w.of_record(w.acme)
    assert current is not None and current.status is pk.MappingStatus.PERMANENT


# --- 4. the customer's day --------------------------------------------------------------------


def test_within_30_days_is_counted_on_the_customers_calendar(w: World) -> None:
    # Issue 8: a partner adding at 01:00 in India on 4 March counted 30 days (UTC) where the
    # customer's own calendar says 31.
    kit = w.kit
    w.clock.set(at(date(2026, 3, 4), 1, 0, KOLKATA))  # 2026-03-03 19:30 UTC
    indian = w.customer("Tata", "it@tata.example", time_zone="Asia/Kolkata")
    london = w.customer("Ltd", "it@ltd.example")
    for customer in (indian, london):
        w.paid(customer, date(2026, 2, 1))
    local = kit.mapping.explain_add(w.zillium.id, indian.id, "crm", actor=STAFF)
    assert (local.case, local.days_paid, local.mapping_date) == (
        pk.AddCase.PAID_NEEDS_APPROVAL,
        31,
        date(2026, 3, 4),
    )
    utc = kit.mapping.explain_add(w.zillium.id, london.id, "crm", actor=STAFF)
    assert (utc.case, utc.days_paid) == (pk.AddCase.PAID_RECENTLY, 30)
    # Given a time zone of its own, the other customer counts the same way.
    kit.customers.set_time_zone(london.id, "Asia/Kolkata", actor=STAFF)
    assert kit.mapping.explain_add(w.zillium.id, london.id, "crm", actor=STAFF).days_paid == 31


def test_the_organisations_time_zone_is_a_policy(make: Callable[[pk.MappingPolicy], World]) -> None:
    w = make(pk.MappingPolicy(time_zone="Asia/Kolkata"))
    w.clock.set(at(date(2026, 3, 4), 1, 0, KOLKATA))
    w.paid(w.acme, date(2026, 2, 1))
    decision = w.kit.mapping.explain_add(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    assert (decision.days_paid, decision.time_zone) == (31, "Asia/Kolkata")
    # A plan set without a date starts on the customer's day, too.
    globex = w.customer("Globex", "it@globex.example")
    w.kit.customers.set_plan(globex.id, "crm", "paid", actor=STAFF)
    plan = w.kit.customers.get(globex.id, actor=STAFF).plan("crm")
    assert plan is not None and plan.since == date(2026, 3, 4)


def test_the_window_starts_on_the_customers_first_day(w: World) -> None:
    # Issue 8: a transaction at 03:00 local time on the first day of the window was excluded.
    kit = w.kit
    indian = w.customer("Tata", "it@tata.example", time_zone="Asia/Kolkata")
    admin = pk.Principal.customer_user(indian.id, "it@tata.example")
    w.paid(indian, date(2025, 1, 1))
    w.clock.set(at(date(2026, 3, 4), 10, 0, KOLKATA))
    tagged = kit.mapping.tag_partner(indian.id, "crm", "ZILLIUMCorp", actor=admin)
    assert tagged.commission_from == at(date(2026, 2, 4), zone=KOLKATA)
    early = w.pay(indian, "feb-4-0300", at(date(2026, 2, 4), 3, 0, KOLKATA))
    assert early is not None and early.partner_id == w.zillium.id
    assert w.pay(indian, "feb-3-2359", at(date(2026, 2, 3), 23, 59, KOLKATA)) is None


def test_the_3_months_end_at_the_end_of_the_customers_last_day(w: World) -> None:
    kit = w.kit
    indian = w.customer("Tata", "it@tata.example", time_zone="Asia/Kolkata")
    w.clock.set(at(date(2026, 1, 6), 1, 30, KOLKATA))  # still January 5 in UTC
    added = kit.mapping.add_customer(w.zillium.id, indian.id, "crm", actor=STAFF).interval
    assert added is not None and added.provisional_until == date(2026, 4, 6)
    end = at(date(2026, 4, 7), zone=KOLKATA)  # 2026-04-06 18:30 UTC
    assert added.provisional_ends_at == end
    w.clock.set(end - timedelta(microseconds=1))
    assert w.of_record(indian) is not None
    w.clock.set(end)
    assert w.of_record(indian) is None
    # "as of April 6" is the end of April 6 on the customer's calendar: still mapped.
    before = kit.mapping.partner_of_record(indian.id, "crm", as_of=date(2026, 4, 6), actor=STAFF)
    assert before is not None
    assert kit.run_due().handled["provisional_mappings"] == 1
    [ended] = kit.mapping.history(indian.id, "crm", actor=STAFF)
    assert ended.valid_to == end


def test_a_bad_time_zone_is_a_typed_error_and_stores_nothing(w: World) -> None:
    kit = w.kit
    before = w.snapshot(w.acme)
    for zone in ("Mars/Olympus", "asia/kolkata", "../../etc/passwd", "", " UTC", 42):
        with pytest.raises(InvalidTimeZoneError) as info:
            kit.customers.set_time_zone(w.acme.id, zone, actor=w.admin)  # type: ignore[arg-type]
        assert info.value.code == "validation.time_zone"
        assert info.value.details["field"] == "time_zone"
        with pytest.raises(InvalidTimeZoneError):
            w.customer("Nowhere", "it@nowhere.example", time_zone=zone)
    assert w.snapshot(w.acme) == before
    with pytest.raises(InvalidTimeZoneError):
        pk.MappingPolicy(time_zone="Mars/Olympus")
    assert kit.customers.set_time_zone(w.acme.id, "Asia/Kolkata", actor=w.admin).time_zone == (
        "Asia/Kolkata"
    )
    assert kit.customers.set_time_zone(w.acme.id, None, actor=w.admin).time_zone is None


# --- 5. case 2's "all transactions" ------------------------------------------------------------


def test_case_2_earns_on_every_transaction_since_the_customer_became_paid(w: World) -> None:
    w.paid(w.acme, START.date() - timedelta(days=5))
    added = w.kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    assert added.decision.case is pk.AddCase.PAID_RECENTLY
    assert added.interval is not None
    assert added.interval.commission_from == at(date(2025, 12, 31))
    # Reproduced in issue 8: a transaction of 2020 earned commission.
    assert w.pay(w.acme, "2020", at(date(2020, 1, 1))) is None
    assert w.pay(w.acme, "dec-30", at(date(2025, 12, 30), 23, 59)) is None
    since = w.pay(w.acme, "dec-31", at(date(2025, 12, 31), 8))
    assert since is not None and since.partner_id == w.zillium.id


# --- 6. the tracking list follows every channel -----------------------------------------------


def test_a_case_2_add_moves_the_tracked_customer_to_the_listing(w: World) -> None:
    kit = w.kit
    kit.mapping.track(w.zillium.id, ADMIN, actor=w.zillium_user)
    w.paid(w.acme, START.date() - timedelta(days=10))
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=w.zillium_user)
    assert kit.mapping.tracking_list(w.zillium.id, actor=STAFF) == []
    assert [c.customer_id for c in kit.mapping.customers_of(w.zillium.id, actor=STAFF)] == [
        w.acme.id
    ]


def test_an_approval_and_a_confirmed_transfer_move_it_too(w: World) -> None:
    kit = w.kit
    kit.customers.add_user(w.acme.id, "bob@acme.example", actor=STAFF)
    w.paid(w.acme, START.date() - timedelta(days=45))
    kit.mapping.track(w.zillium.id, "bob@acme.example", actor=STAFF)
    kit.mapping.track(w.nimbus.id, ADMIN, actor=STAFF)
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    assert len(kit.mapping.tracking_list(w.zillium.id, actor=STAFF)) == 1  # asked, not mapped
    kit.mapping.confirm(w.token(ADMIN), actor=w.admin)
    assert kit.mapping.tracking_list(w.zillium.id, actor=STAFF) == []
    assert len(kit.mapping.tracking_list(w.nimbus.id, actor=STAFF)) == 1
    kit.mapping.request_transfer(w.acme.id, "crm", "NIMBUSHQ", actor=w.admin)
    kit.mapping.confirm(w.token(ADMIN, "mapping.transfer_requested"), actor=w.admin)
    assert kit.mapping.tracking_list(w.nimbus.id, actor=STAFF) == []


def test_tracking_a_customer_already_the_partners_is_refused_and_stores_nothing(
    w: World,
) -> None:
    kit = w.kit
    kit.customers.add_user(w.acme.id, "bob@acme.example", actor=STAFF)
    kit.mapping.tag_partner(w.acme.id, "books", "ZILLIUMCorp", actor=w.admin)
    before = w.snapshot(w.acme)
    with pytest.raises(AlreadyYourCustomerError) as info:
        kit.mapping.track(w.zillium.id, "bob@acme.example", actor=w.zillium_user)
    assert info.value.code == "mapping.already_your_customer"
    assert info.value.details["field"] == "email"
    assert "kit." not in (info.value.remedy or "")
    assert w.snapshot(w.acme) == before
    # Nimbus is not Acme's partner: it may wait for a tag.
    assert kit.mapping.track(w.nimbus.id, "bob@acme.example", actor=STAFF).email == (
        "bob@acme.example"
    )


# --- 7. transfers and approvals as the customer sees them -------------------------------------


def test_approving_a_second_partner_explains_itself_to_the_customer(w: World) -> None:
    kit = w.kit
    w.paid(w.acme, START.date() - timedelta(days=45))
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    zillium_token = w.token(ADMIN)
    kit.mapping.add_customer(w.nimbus.id, w.acme.id, "crm", actor=STAFF)
    nimbus_token = w.token(ADMIN)
    kit.mapping.confirm(zillium_token, actor=w.admin)
    before = w.snapshot(w.acme)
    with pytest.raises(ProductHasPartnerError) as info:
        kit.mapping.confirm(nimbus_token, actor=w.admin)
    err = info.value
    assert err.code == "mapping.product_has_partner"
    assert "Customer mapped to another partner" not in str(err)
    assert "Acme already has a partner for crm" in err.message
    assert "Tag a Partner" in (err.remedy or "") and "transfer" in (err.remedy or "")
    assert w.snapshot(w.acme) == before


def test_a_partner_deactivated_since_has_its_pending_approval_withdrawn(w: World) -> None:
    kit = w.kit
    w.paid(w.acme, START.date() - timedelta(days=45))
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    token = w.token(ADMIN)
    kit.partners.deactivate(w.zillium.id, reason="left the program", actor=STAFF)
    assert kit.mapping.pending_requests(customer_id=w.acme.id, actor=STAFF) == []
    [notice] = [e for e in w.mailer.to(ADMIN) if e.template == "mapping.request_withdrawn"]
    assert "Zillium is no longer in the partner program" in notice.body
    with pytest.raises(ConsentNotPendingError) as info:
        kit.mapping.confirm(token, actor=w.admin)
    assert "no longer in the partner program" in info.value.message
    assert "reactivate" not in str(info.value)
    assert w.of_record(w.acme) is None


def test_an_approval_of_a_partner_deactivated_before_the_notice_existed_is_withdrawn(
    w: World,
) -> None:
    # Data from before partnerkit withdrew requests on deactivation: the click withdraws it.
    kit = w.kit
    w.paid(w.acme, START.date() - timedelta(days=45))
    kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF)
    with kit._runtime.uow() as uow:
        partner = uow.partners.get(w.zillium.id)
        assert partner is not None
        uow.partners.update(attrs.evolve(partner, status=pk.PartnerStatus.DEACTIVATED))
    withdrawn = kit.mapping.confirm(w.token(ADMIN), actor=w.admin)
    assert withdrawn.status is ConsentStatus.CANCELLED
    assert withdrawn.cancel_reason is not None
    assert "no longer in the partner program" in withdrawn.cancel_reason
    assert [e.template for e in w.mailer.to(ADMIN)][-1] == "mapping.request_withdrawn"
    assert w.of_record(w.acme) is None


def test_a_partner_deactivated_for_inactivity_has_its_requests_withdrawn(
    make: Callable[[pk.MappingPolicy], World],
) -> None:
    w = make(pk.MappingPolicy(approval_valid_days=400))
    kit = w.kit
    w.paid(w.acme, START.date() - timedelta(days=45))
    request = kit.mapping.add_customer(w.zillium.id, w.acme.id, "crm", actor=STAFF).request
    assert request is not None
    kit.partners.check_sign_in("nimbus")
    kit.advance_to(START + timedelta(days=366))
    assert not kit.partners.get(w.zillium.id, actor=STAFF).is_active
    assert kit.mapping.pending_requests(customer_id=w.acme.id, actor=STAFF) == []
    cancelled = kit.outbox(topic="consent.mapping_approval.cancelled")
    assert [m.payload["request_id"] for m in cancelled] == [request.id]


# --- 8. channels that cannot over-claim --------------------------------------------------------


def test_a_sign_up_link_without_products_is_refused_and_stores_nothing(w: World) -> None:
    before = (w.snapshot(w.acme), w.table_rows("signup_links"))
    with pytest.raises(SignupLinkProductsRequiredError) as info:
        w.kit.mapping.signup_link(w.zillium.id, actor=w.zillium_user)
    assert info.value.code == "mapping.signup_link_products_required"
    assert info.value.details["field"] == "products"
    assert "kit." not in str(info.value)
    with pytest.raises(SignupLinkProductsRequiredError):
        w.kit.mapping.signup_link(w.zillium.id, products=[], actor=w.zillium_user)
    assert (w.snapshot(w.acme), w.table_rows("signup_links")) == before


def test_the_customer_chooses_among_the_links_products(w: World) -> None:
    kit = w.kit
    link = kit.mapping.signup_link(w.zillium.id, products=["crm", "books"], actor=w.zillium_user)
    before = w.snapshot(w.acme)
    with pytest.raises(SignupProductNotOfferedError) as info:
        kit.mapping.sign_up(
            link.token, name="Globex", admin_email="it@globex.example", products=["ledger"]
        )
    assert info.value.details["field"] == "products[0]"
    with pytest.raises(SignupProductNotOfferedError):
        kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example", products=[])
    assert w.snapshot(w.acme) == before
    globex = kit.mapping.sign_up(
        link.token, name="Globex", admin_email="it@globex.example", products=["books"]
    )
    assert [i.product for i in kit.mapping.history(globex.id, actor=STAFF)] == ["books"]


def test_an_account_in_a_domain_that_has_one_is_refused_and_stores_nothing(w: World) -> None:
    kit = w.kit
    before = w.snapshot(w.acme)
    for email, domain in (("new.hire@acme.example", None), ("x@fresh.example", "acme.example")):
        with pytest.raises(OrganisationExistsError) as info:
            kit.mapping.create_account(
                w.zillium.id,
                name="Acme again",
                admin_email=email,
                product="crm",
                domain=domain,
                actor=w.zillium_user,
            )
        err = info.value
        assert err.code == "mapping.organisation_exists"
        assert err.details == {"field": "admin_email", "domain": "acme.example"}
        assert "admin" in (err.remedy or "") and "Tag a Partner" in (err.remedy or "")
        assert "kit." not in str(err)
        assert w.acme.id not in str(err.as_dict())  # the partner learns no account id
    assert w.snapshot(w.acme) == before


# --- 11. activity that matches the seed -------------------------------------------------------


def test_signing_in_keeps_a_partner_active(w: World) -> None:
    kit = w.kit
    kit.advance_to(START + timedelta(days=300))
    kit.partners.check_sign_in("zillium")
    kit.advance_to(START + timedelta(days=400))
    assert kit.partners.get(w.zillium.id, actor=STAFF).is_active
    assert not kit.partners.get(w.nimbus.id, actor=STAFF).is_active
    kit.advance_to(START + timedelta(days=300 + 366))
    assert not kit.partners.get(w.zillium.id, actor=STAFF).is_active


def test_customers_paying_keep_a_partner_active(w: World) -> None:
    kit = w.kit
    kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    kit.advance_to(START + timedelta(days=300))
    assert w.pay(w.acme, "month-10", kit.now() - timedelta(hours=1)) is not None
    kit.advance_to(START + timedelta(days=400))
    assert kit.partners.get(w.zillium.id, actor=STAFF).is_active
    kit.advance_to(START + timedelta(days=300 + 366))
    assert not kit.partners.get(w.zillium.id, actor=STAFF).is_active


def test_what_counts_as_activity_is_a_policy(make: Callable[[pk.MappingPolicy], World]) -> None:
    w = make(pk.MappingPolicy(activity={pk.PartnerActivity.SIGN_IN}))
    kit = w.kit
    kit.mapping.tag_partner(w.acme.id, "crm", "ZILLIUMCorp", actor=w.admin)
    kit.advance_to(START + timedelta(days=300))
    assert w.pay(w.acme, "month-10", kit.now() - timedelta(hours=1)) is not None
    kit.advance_to(START + timedelta(days=366))
    assert not kit.partners.get(w.zillium.id, actor=STAFF).is_active

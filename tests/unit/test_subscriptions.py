"""Subscriptions through `kit.subscriptions` on memory and SQLite (issue 11, priorities 1 to 4):
the catalog, creating a subscription, trials, cancellation, auto-charge, renewals and dunning.

The rules come from 003_9950710e2377ac79.txt, "Manage Subscriptions" and its subsections:
"Manage Trials" (Convert Trials to Live, Extend Trials, Cancel Trials), "Cancel Subscriptions",
"Change Auto-charge Status".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from tests.unit.words import pythonisms

import partnerkit as pk
from partnerkit.errors import InvalidInputError, PartnerkitError
from partnerkit.subscriptions.errors import (
    InvalidSubscriptionTransitionError,
    NoPaymentMethodError,
    SubscriptionNotFoundError,
    TrialNotExtendableError,
    WrongProductError,
)
from partnerkit.subscriptions.lifecycle import TRANSITIONS, transition_table

START = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")
VISA = "4242 4242 4242 4242"
MONTH = pk.BillingPeriod(pk.IntervalUnit.MONTH, 1)
S = pk.SubscriptionStatus


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pk.Kit]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'subs.db'}"
    clock = pk.SimulatedClock(START)
    kit = pk.connect(url, clock=clock, payment_gateway=pk.FakePaymentGateway(clock=clock))
    kit.migrate()
    kit.billing.create_tax_rate("No tax", "0", default=True, actor=STAFF)
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    kit.catalog.add_product("books", name="Books", actor=STAFF)
    kit.subscriptions.add_plan(
        "crm-pro",
        product="crm",
        name="CRM Pro",
        price=usd("30.00"),
        period=MONTH,
        setup_fee=usd("10.00"),
        actor=STAFF,
    )
    kit.subscriptions.add_plan(
        "crm-trial", product="crm", name="CRM Trial", price=usd("20.00"), period=MONTH,
        trial=14, actor=STAFF,
    )  # fmt: skip
    yield kit
    kit.close()


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)


def admin_of(customer: pk.Customer) -> pk.Principal:
    return pk.Principal.customer_user(customer.id, customer.users[0].email)


def fake(kit: pk.Kit) -> pk.FakePaymentGateway:
    assert isinstance(kit.payment_gateway, pk.FakePaymentGateway)
    return kit.payment_gateway


def save_card(kit: pk.Kit, customer: pk.Customer) -> pk.PaymentMethod:
    token = fake(kit).tokenize(VISA, 12, 2030)
    return kit.billing.add_payment_method(customer.id, token, actor=STAFF)


def invoices_of(kit: pk.Kit, sub: pk.Subscription) -> list[pk.Invoice]:
    return [
        kit.billing.get_invoice(p.invoice_id, actor=STAFF)
        for p in kit.subscriptions.periods(sub.id, actor=STAFF)
    ]


# --- the catalog and creating ------------------------------------------------------------------


def test_a_subscription_started_now_is_live_with_its_first_invoice(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    kit.subscriptions.add_addon(
        "seats", product="crm", name="Extra seats", price=usd("5.00"), actor=STAFF
    )
    kit.subscriptions.add_addon(
        "onboarding", product="crm", name="Onboarding", price=usd("100.00"),
        kind=pk.AddonKind.ONE_TIME, actor=STAFF,
    )  # fmt: skip
    coupon = pk.Coupon.create(
        id="cpn_half", code="HALF", name="Half off", kind=pk.DiscountKind.PERCENTAGE,
        percentage=50, duration=pk.CouponDuration.ONCE,
    )  # fmt: skip
    kit.subscriptions.add_coupon(coupon, product="crm", actor=STAFF)
    sub = kit.subscriptions.create(
        acme.id, "crm-pro", addons=[("seats", 2), "onboarding"], coupons=["HALF"], actor=STAFF
    )
    assert (sub.status, sub.term_start, sub.term_end) == (
        S.LIVE,
        date(2026, 1, 31),
        date(2026, 2, 28),
    )
    [first] = invoices_of(kit, sub)
    # 30 - 50 % + setup 10 + 2 x 5 + 100 once.
    assert first.total == usd("135.00")
    assert first.subscription_id == sub.id and first.status is pk.InvoiceStatus.SENT
    kit.advance_to(date(2026, 3, 1))
    second = invoices_of(kit, sub)[1]
    assert second.total == usd("40.00")  # no coupon, no setup fee, no one-time addon


def test_a_future_start_waits_and_starts_on_its_day(kit: pk.Kit, acme: pk.Customer) -> None:
    sub = kit.subscriptions.create(acme.id, "crm-pro", start_date=date(2026, 2, 10), actor=STAFF)
    assert sub.status is S.FUTURE and kit.subscriptions.periods(sub.id, actor=STAFF) == []
    kit.advance_to(date(2026, 2, 10))
    sub = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (sub.status, sub.anchor) == (S.LIVE, date(2026, 2, 10))
    assert len(invoices_of(kit, sub)) == 1


def test_a_monthly_plan_from_31_january_bills_twelve_periods_through_the_year(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    sub = kit.subscriptions.create(acme.id, "crm-pro", actor=STAFF)
    kit.advance_to(date(2026, 12, 31))
    periods = kit.subscriptions.periods(sub.id, actor=STAFF)
    assert [(p.period_start, p.period_end) for p in periods][:4] == [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 4, 30), date(2026, 5, 31)),
    ]
    assert len(periods) == 12 and periods[-1].period_start == date(2026, 12, 31)
    assert len({p.invoice_id for p in periods}) == 12


def test_bad_input_is_refused_by_rule_and_nothing_is_stored(kit: pk.Kit, acme: pk.Customer) -> None:
    kit.subscriptions.add_addon("pages", product="books", name="Pages", price=usd("1"), actor=STAFF)
    with pytest.raises(WrongProductError) as wrong:
        kit.subscriptions.create(acme.id, "crm-pro", addons=["pages"], actor=STAFF)
    assert wrong.value.code == "subscription.wrong_product"
    with pytest.raises(InvalidInputError) as past:
        kit.subscriptions.create(acme.id, "crm-pro", start_date=date(2026, 1, 1), actor=STAFF)
    assert past.value.details["field"] == "start_date"
    with pytest.raises(NoPaymentMethodError):
        kit.subscriptions.create(acme.id, "crm-pro", auto_charge=True, actor=STAFF)
    assert kit.subscriptions.subscriptions(acme.id, actor=STAFF) == []
    assert kit.billing.invoices(acme.id, actor=STAFF) == []


def test_another_organisations_subscription_answers_like_a_missing_one(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    sub = kit.subscriptions.create(acme.id, "crm-pro", actor=STAFF)
    assert kit.subscriptions.get(sub.id, actor=admin_of(acme)) == sub
    with pytest.raises(SubscriptionNotFoundError) as foreign:
        kit.subscriptions.get(sub.id, actor=admin_of(globex))
    with pytest.raises(SubscriptionNotFoundError) as missing:
        kit.subscriptions.get("sub_missing", actor=admin_of(globex))
    assert type(foreign.value) is type(missing.value)
    with pytest.raises(SubscriptionNotFoundError):
        kit.subscriptions.cancel(sub.id, actor=admin_of(globex))
    assert kit.subscriptions.get(sub.id, actor=STAFF).status is S.LIVE


# --- trials (003 seed, "Manage Trials") -------------------------------------------------------


def test_converting_a_trial_previews_then_goes_live_with_an_invoice(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    """003 seed, "Convert Trials to Live": "A summary of the various subscription related
    charges will be displayed ... the subscription's status will become Live. An invoice will
    be created as well."""
    sub = kit.subscriptions.create(acme.id, "crm-trial", actor=STAFF)
    assert (sub.status, sub.trial_end) == (S.TRIAL, date(2026, 2, 14))
    assert kit.subscriptions.allowed_actions(sub.id, actor=admin_of(acme)) == (
        pk.SubscriptionAction.ACTIVATE,
        pk.SubscriptionAction.CHANGE,  # 003 seed, "Edit Subscriptions"
        pk.SubscriptionAction.SCHEDULE_CANCELLATION,
        pk.SubscriptionAction.CANCEL,
    )
    preview = kit.subscriptions.preview_activate(sub.id, actor=admin_of(acme))
    assert preview.total == usd("20.00")
    assert kit.billing.invoices(acme.id, actor=STAFF) == []  # the preview stored nothing
    live = kit.subscriptions.activate(sub.id, actor=admin_of(acme))
    assert (live.status, live.anchor) == (S.LIVE, START.date())
    [invoice] = invoices_of(kit, live)
    assert invoice.total == preview.total
    assert kit.customers.get(acme.id, actor=STAFF).plan("crm").edition is pk.Edition.PAID


def test_a_trial_that_cannot_be_charged_at_its_end_expires_and_extends_once(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    """003 seed, "Extend Trials": only subscriptions that go into the Expired status when the
    trial period ends (an Auto-charge enabled subscription that cannot be charged) may be
    extended, by the plan's trial period."""
    save_card(kit, acme)
    sub = kit.subscriptions.create(acme.id, "crm-trial", auto_charge=True, actor=STAFF)
    fake(kit).next_charges(pk.FakeOutcome.DECLINE)
    kit.advance_to(date(2026, 2, 14))
    expired = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (expired.status, expired.expired_at_trial_end) == (S.EXPIRED, True)
    [voided] = invoices_of(kit, expired)
    assert voided.status is pk.InvoiceStatus.VOID
    assert pk.SubscriptionAction.EXTEND_TRIAL in kit.subscriptions.allowed_actions(
        sub.id, actor=admin_of(acme)
    )
    extended = kit.subscriptions.extend_trial(sub.id, actor=admin_of(acme))
    assert (extended.status, extended.trial_end) == (S.TRIAL, date(2026, 2, 28))
    fake(kit).next_charges(pk.FakeOutcome.DECLINE)
    kit.advance_to(date(2026, 2, 28))
    assert kit.subscriptions.get(sub.id, actor=STAFF).status is S.EXPIRED
    with pytest.raises(TrialNotExtendableError):
        kit.subscriptions.extend_trial(sub.id, actor=admin_of(acme))


def test_a_live_subscription_cancelled_is_not_extendable(kit: pk.Kit, acme: pk.Customer) -> None:
    sub = kit.subscriptions.create(acme.id, "crm-pro", actor=STAFF)
    kit.subscriptions.cancel(sub.id, actor=STAFF)
    with pytest.raises(TrialNotExtendableError):
        kit.subscriptions.extend_trial(sub.id, actor=STAFF)


def test_a_trial_charged_at_its_end_goes_live_from_that_day(kit: pk.Kit, acme: pk.Customer) -> None:
    save_card(kit, acme)
    sub = kit.subscriptions.create(acme.id, "crm-trial", auto_charge=True, actor=STAFF)
    kit.advance_to(date(2026, 2, 14))
    live = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (live.status, live.anchor, live.term_end) == (
        S.LIVE,
        date(2026, 2, 14),
        date(2026, 3, 14),
    )
    [paid] = invoices_of(kit, live)
    assert paid.status is pk.InvoiceStatus.PAID


def test_a_trial_without_auto_charge_goes_live_invoiced_at_its_end(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    sub = kit.subscriptions.create(acme.id, "crm-trial", actor=STAFF)
    kit.advance_to(date(2026, 2, 14))
    live = kit.subscriptions.get(sub.id, actor=STAFF)
    assert live.status is S.LIVE
    assert invoices_of(kit, live)[0].status is pk.InvoiceStatus.SENT


def test_a_trial_is_cancelled_now_or_at_the_end_of_its_term(kit: pk.Kit, acme: pk.Customer) -> None:
    """003 seed, "Cancel Trials": immediately, or scheduled for the end of the current term."""
    now = kit.subscriptions.create(acme.id, "crm-trial", actor=STAFF)
    assert kit.subscriptions.cancel(now.id, actor=admin_of(acme)).status is S.CANCELLED
    later = kit.subscriptions.create(acme.id, "crm-trial", actor=STAFF)
    scheduled = kit.subscriptions.cancel(later.id, at_term_end=True, actor=admin_of(acme))
    assert (scheduled.status, scheduled.previous_status) == (S.NON_RENEWING, S.TRIAL)
    kit.advance_to(date(2026, 2, 14))
    ended = kit.subscriptions.get(later.id, actor=STAFF)
    assert ended.status is S.CANCELLED
    assert kit.subscriptions.periods(later.id, actor=STAFF) == []


# --- cancellation and auto-charge --------------------------------------------------------------


def test_removing_a_scheduled_cancellation_restores_the_status_before(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    """003 seed, "Cancel Subscriptions": "Remove Scheduled Cancellation"."""
    sub = kit.subscriptions.create(acme.id, "crm-pro", actor=STAFF)
    scheduled = kit.subscriptions.cancel(sub.id, at_term_end=True, actor=admin_of(acme))
    assert scheduled.status is S.NON_RENEWING
    with pytest.raises(InvalidSubscriptionTransitionError) as twice:
        kit.subscriptions.cancel(sub.id, at_term_end=True, actor=admin_of(acme))
    assert twice.value.details == {"status": "non_renewing", "action": "schedule_cancellation"}
    kept = kit.subscriptions.remove_scheduled_cancellation(sub.id, actor=admin_of(acme))
    assert (kept.status, kept.previous_status) == (S.LIVE, None)
    kit.subscriptions.cancel(sub.id, at_term_end=True, actor=STAFF)
    kit.advance_to(date(2026, 3, 1))
    ended = kit.subscriptions.get(sub.id, actor=STAFF)
    assert ended.status is S.CANCELLED
    assert len(kit.subscriptions.periods(sub.id, actor=STAFF)) == 1
    assert kit.customers.get(acme.id, actor=STAFF).plan("crm").edition is pk.Edition.FREE


def test_a_customer_preference_can_keep_customers_from_cancelling(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    sub = kit.subscriptions.create(acme.id, "crm-pro", actor=STAFF)
    with pytest.raises(PartnerkitError) as denied:
        kit.subscriptions.cancel(sub.id, customer_allowed=False, actor=admin_of(acme))
    assert denied.value.code == "access.staff_only"
    assert kit.subscriptions.get(sub.id, actor=STAFF).status is S.LIVE


def test_auto_charge_needs_a_method_and_collects_nothing_already_invoiced(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    """003 seed, "Change Auto-charge Status": "can be enabled or disabled ... for subscriptions
    that have a payment method associated"; "Enabling auto-charge ... will not collect the
    pending amount (if any) for invoices that have been generated already"."""
    sub = kit.subscriptions.create(acme.id, "crm-pro", actor=STAFF)
    with pytest.raises(NoPaymentMethodError):
        kit.subscriptions.set_auto_charge(sub.id, True, actor=admin_of(acme))
    save_card(kit, acme)
    on = kit.subscriptions.set_auto_charge(sub.id, True, actor=admin_of(acme))
    assert on.auto_charge and on.unpaid_invoice_id is None
    [first] = invoices_of(kit, sub)
    assert kit.billing.get_invoice(first.id, actor=STAFF).status is pk.InvoiceStatus.SENT
    assert fake(kit).charges == []
    kit.advance_to(date(2026, 2, 28))
    second = invoices_of(kit, sub)[1]
    assert second.status is pk.InvoiceStatus.PAID  # the next renewal is charged


def test_turning_auto_charge_off_in_dunning_makes_it_live(kit: pk.Kit, acme: pk.Customer) -> None:
    """003 seed: "When your customers disable Auto-charge for a Dunning subscription, the
    subscription's status will change from Dunning to Live"."""
    save_card(kit, acme)
    sub = kit.subscriptions.create(acme.id, "crm-pro", auto_charge=True, actor=STAFF)
    fake(kit).next_charges(pk.FakeOutcome.DECLINE)
    kit.advance_to(date(2026, 2, 28))
    dunning = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (dunning.status, dunning.charge_attempts) == (S.DUNNING, 1)
    off = kit.subscriptions.set_auto_charge(sub.id, False, actor=admin_of(acme))
    assert (off.status, off.auto_charge, off.charge_at) == (S.LIVE, False, None)


# --- renewals and dunning ----------------------------------------------------------------------


def test_a_failed_renewal_retries_after_1_3_and_7_days_then_cancels(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    save_card(kit, acme)
    sub = kit.subscriptions.create(acme.id, "crm-pro", auto_charge=True, actor=STAFF)
    fake(kit).next_charges(*[pk.FakeOutcome.DECLINE] * 4)
    kit.advance_to(date(2026, 3, 6))
    dunning = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (dunning.status, dunning.charge_attempts) == (S.DUNNING, 3)
    assert dunning.charge_at == datetime(2026, 3, 7, tzinfo=UTC)
    kit.advance_to(date(2026, 3, 8))
    cancelled = kit.subscriptions.get(sub.id, actor=STAFF)
    assert cancelled.status is S.CANCELLED
    keys = [r.idempotency_key for r in fake(kit).received]
    assert len(keys) == len(set(keys)) == 5  # the first invoice, the renewal and 3 retries


def test_a_retry_that_goes_through_brings_it_back_to_live(kit: pk.Kit, acme: pk.Customer) -> None:
    save_card(kit, acme)
    sub = kit.subscriptions.create(acme.id, "crm-pro", auto_charge=True, actor=STAFF)
    fake(kit).next_charges(pk.FakeOutcome.DECLINE)
    kit.advance_to(date(2026, 3, 2))
    live = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (live.status, live.unpaid_invoice_id, live.charge_attempts) == (S.LIVE, None, 0)
    assert invoices_of(kit, live)[1].status is pk.InvoiceStatus.PAID


def test_an_upgrade_through_a_subscription_makes_a_provisional_mapping_permanent(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    """000 seed, use case 3: a free customer's mapping lasts 3 months unless they upgrade to
    paid; a subscription going live is that upgrade (the same rule as
    tests/unit/test_mapping.py's set_plan upgrades)."""
    kit.customers.set_plan(acme.id, "crm", "free", actor=STAFF)
    zillium = kit.partners.register(
        name="Zillium", email="ops@zillium.example", expertise=["crm"], actor=STAFF
    )
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    [interval] = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert interval.provisional_ends_at is not None
    sub = kit.subscriptions.create(acme.id, "crm-trial", actor=STAFF)
    kit.subscriptions.activate(sub.id, actor=STAFF)
    kit.advance_to(date(2026, 6, 1))
    record = kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF)
    assert record is not None and record.partner_id == zillium.id
    assert record.status.value == "permanent"


# --- the table --------------------------------------------------------------------------------


def test_the_table_names_every_status_and_every_move_the_code_makes() -> None:
    statuses = {s for s, _ in TRANSITIONS}
    assert statuses == set(S)  # a cancelled subscription can be reactivated
    rows = transition_table()
    assert ("non_renewing", "remove_scheduled_cancellation", "the status before") in rows
    assert ("trial", "activate", "live") in rows
    assert len(rows) == len(TRANSITIONS)


def test_the_refusals_people_meet_speak_to_them(kit: pk.Kit, acme: pk.Customer) -> None:
    """The error-words walk for subscriptions: every lifecycle refusal a person meets, held to
    the scan of tests/unit/test_error_words.py."""
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    kit.subscriptions.add_addon("pages", product="books", name="Pages", price=usd("1"), actor=STAFF)
    # The second pass's refusals (tests/unit/test_subscription_changes.py): edits, pauses,
    # reactivation and coupon limits.
    year = pk.BillingPeriod(pk.IntervalUnit.YEAR, 1)
    kit.subscriptions.add_plan(
        "crm-year", product="crm", name="CRM yearly", price=usd("300"), period=year, actor=STAFF
    )
    kit.subscriptions.add_plan(
        "crm-eur", product="crm", name="CRM euro", price=pk.Money.of("30", "EUR"), period=MONTH,
        actor=STAFF,
    )  # fmt: skip
    for code, extra in (
        ("OLD", {"archived": True}),
        ("PAST", {"valid_until": date(2026, 1, 1)}),
        ("ONE", {"max_redemptions": 1}),
    ):
        coupon = pk.Coupon.create(
            id=f"cpn_{code}", code=code, name=code, kind=pk.DiscountKind.PERCENTAGE,
            percentage=10, **extra,  # type: ignore[arg-type]
        )  # fmt: skip
        kit.subscriptions.add_coupon(coupon, product="crm", actor=STAFF)
    sub = kit.subscriptions.create(acme.id, "crm-pro", coupons=["ONE"], actor=STAFF)
    me = admin_of(acme)
    changes = kit.subscriptions
    calls = [
        lambda: changes.change(sub.id, plan="crm-pro", actor=me),
        lambda: changes.change(sub.id, plan="crm-year", actor=me),
        lambda: changes.change(sub.id, plan="crm-eur", actor=me),
        lambda: changes.change(sub.id, coupons=["OLD"], actor=me),
        lambda: changes.change(sub.id, coupons=["PAST"], actor=me),
        lambda: changes.create(acme.id, "crm-pro", coupons=["ONE"], actor=STAFF),
        lambda: changes.remove_scheduled_change(sub.id, actor=me),
        lambda: changes.remove_scheduled_pause(sub.id, actor=me),
        lambda: changes.schedule_pause(sub.id, date(2026, 1, 1), actor=me),
        lambda: changes.schedule_pause(sub.id, date(2026, 3, 1), date(2026, 2, 1), actor=me),
        lambda: changes.resume_now(sub.id, actor=me),
        lambda: changes.reactivate(sub.id, actor=me),
        lambda: kit.subscriptions.get(sub.id, actor=admin_of(globex)),
        lambda: kit.subscriptions.create(acme.id, "nope", actor=STAFF),
        lambda: kit.subscriptions.create(acme.id, "crm-pro", addons=["nope"], actor=STAFF),
        lambda: kit.subscriptions.create(acme.id, "crm-pro", coupons=["NOPE"], actor=STAFF),
        lambda: kit.subscriptions.create(acme.id, "crm-pro", addons=["pages"], actor=STAFF),
        lambda: kit.subscriptions.create(acme.id, "crm-pro", auto_charge=True, actor=STAFF),
        lambda: kit.subscriptions.add_plan(
            "crm-pro", product="crm", name="X", price=usd("1"), period=MONTH, actor=STAFF
        ),
        lambda: kit.subscriptions.add_addon(
            "pages", product="books", name="X", price=usd("1"), actor=STAFF
        ),
        lambda: kit.subscriptions.activate(sub.id, actor=admin_of(acme)),
        lambda: kit.subscriptions.extend_trial(sub.id, actor=admin_of(acme)),
        lambda: kit.subscriptions.remove_scheduled_cancellation(sub.id, actor=admin_of(acme)),
    ]
    met: list[PartnerkitError] = []
    for call in calls:
        with pytest.raises(PartnerkitError) as refused:
            call()
        met.append(refused.value)
    bad = [
        f"[{err.code}] {text!r}"
        for err in met
        for text in (err.message, err.remedy or "")
        if pythonisms(text)
    ]
    assert not bad, "\n".join(bad)
    assert {e.code for e in met} >= {
        "subscription.not_found",
        "subscription.plan_not_found",
        "subscription.addon_not_found",
        "subscription.coupon_not_found",
        "subscription.wrong_product",
        "subscription.no_payment_method",
        "subscription.plan_taken",
        "subscription.addon_taken",
        "subscription.invalid_transition",
        "subscription.trial_not_extendable",
        "subscription.no_change",
        "subscription.billing_period_change",
        "subscription.plan_currency",
        "subscription.coupon_archived",
        "subscription.coupon_expired",
        "subscription.coupon_used_up",
        "subscription.no_scheduled_change",
        "subscription.no_scheduled_pause",
        "subscription.pause_in_past",
        "subscription.resume_not_after_pause",
    }

"""The partner program's mapping rules, pinned with the seeds' numbers.

000_91620a113ccdeac1.txt: the three use cases of a partner adding a customer (30 days, one
month's look-back, 3 months for free customers), "Customer mapped to another partner" and
written consent, deactivation for inactivity. 001_e5546b4aab26b4b3.txt: the three channels,
"Only the Admin users ... can access and Tag a Partner", different partners per product,
transfers with confirmation, and the tag-tracking list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import partnerkit as pk
from partnerkit.consent import ConsentKind, ConsentStatus
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import ConsentExpiredError, ConsentNotPendingError, InvalidTokenError
from partnerkit.mapping.adding import AddCase
from partnerkit.mapping.errors import (
    CustomerMappedToAnotherPartnerError,
    NoPartnerOfRecordError,
    NotAUserError,
    NotCustomerAdminError,
    PartnerDeactivatedError,
    ProductNotAuthorisedError,
    SamePartnerError,
    TransferPendingError,
    TransferRequiredError,
    UnknownCodeError,
)
from partnerkit.mapping.records import Channel, MappingStatus

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ADMIN = "it@acme.example"


@pytest.fixture
def kit(pk_kit: pk.Kit) -> pk.Kit:
    pk_kit.catalog.add_product("crm", name="CRM")
    pk_kit.catalog.add_product("books", name="Books")
    return pk_kit


@pytest.fixture
def zillium(kit: pk.Kit) -> pk.Partner:
    p = kit.partners.register(
        name="Zillium", username="zillium", email="ops@zillium.example", expertise=["crm", "books"]
    )
    kit.partners.issue_code(p.id, "ZILLIUMCorp")
    return p


@pytest.fixture
def nimbus(kit: pk.Kit) -> pk.Partner:
    p = kit.partners.register(
        name="Nimbus", username="nimbus", email="hi@nimbus.example", expertise=["crm"]
    )
    kit.partners.issue_code(p.id, "NIMBUSHQ")
    return p


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    customer = kit.customers.create(name="Acme", admin_email=ADMIN, domain="acme.example")
    return kit.customers.add_user(customer.id, "bob@acme.example", name="Bob")


def token_in(kit: pk.Kit, template: str) -> str:
    """The token of the newest email of `template`: what the customer clicks."""
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    token = [e for e in mailer.sent if e.template == template][-1].context["token"]
    assert isinstance(token, str)
    return token


# --- Tag a Partner (001) ----------------------------------------------------------------------


def test_an_admin_tags_a_partner_and_it_becomes_partner_of_record(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    interval = kit.mapping.tag_partner(acme.id, "crm", "zilliumcorp", by=ADMIN)
    assert (interval.partner_id, interval.channel) == (zillium.id, Channel.TAG)
    assert kit.mapping.partner_of_record(acme.id, "crm") == interval
    assert kit.mapping.partner_of_record(acme.id, "books") is None
    [row] = kit.mapping.customers_of(zillium.id)
    assert (row.customer_name, row.product) == ("Acme", "crm")


def test_only_admin_users_may_tag(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> None:
    # 001: "Only the Admin users in the Customer Zoho Account can access and Tag a Partner."
    before = len(kit.outbox())
    with pytest.raises(NotCustomerAdminError) as info:
        kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="bob@acme.example")
    assert info.value.code == "mapping.admin_only"
    with pytest.raises(NotCustomerAdminError):
        kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="stranger@else.example")
    assert kit.mapping.history(acme.id) == []
    # Nothing was stored but the audit of the two denials.
    denials = kit.outbox(topic="access.denied")
    assert len(kit.outbox()) == before + len(denials) == before + 2
    assert [d.payload["details"]["by"] for d in denials] == [
        "bob@acme.example",
        "stranger@else.example",
    ]
    assert {d.payload["code"] for d in denials} == {"mapping.admin_only"}


def test_tagging_the_partner_of_record_again_is_a_no_op(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    first = kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    assert kit.mapping.tag_partner(acme.id, "crm", "zi11iumcorp", by=ADMIN) == first
    assert kit.mapping.history(acme.id, "crm") == [first]


def test_tagging_while_another_partner_is_of_record_points_to_transfer(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    with pytest.raises(TransferRequiredError) as info:
        kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    assert "request_transfer" in (info.value.remedy or "")
    assert kit.mapping.partner_of_record(acme.id, "crm").partner_id == zillium.id  # type: ignore[union-attr]


def test_different_partners_for_different_products(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    # 001: "A customer may be working with one partner for Zoho CRM, but another partner for
    # Zoho Books."
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    kit.mapping.tag_partner(acme.id, "books", "ZILLIUMCorp", by=ADMIN)
    assert kit.mapping.partner_of_record(acme.id, "crm").partner_id == nimbus.id  # type: ignore[union-attr]
    assert kit.mapping.partner_of_record(acme.id, "books").partner_id == zillium.id  # type: ignore[union-attr]


def test_bad_codes_and_products_are_refused(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    with pytest.raises(UnknownCodeError):
        kit.mapping.tag_partner(acme.id, "crm", "NOSUCHCODE", by=ADMIN)
    with pytest.raises(ProductNotAuthorisedError) as info:
        kit.mapping.tag_partner(acme.id, "books", "NIMBUSHQ", by=ADMIN)
    assert info.value.code == "mapping.product_not_authorised"
    kit.partners.deactivate(nimbus.id, reason="test", by="partner-team")
    with pytest.raises(PartnerDeactivatedError):
        kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    assert kit.mapping.history(acme.id) == []


# --- sign-up link and new account (001) -------------------------------------------------------


def test_signing_up_through_a_partner_link_maps_the_new_customer(
    kit: pk.Kit, zillium: pk.Partner
) -> None:
    link = kit.mapping.signup_link(zillium.id, "crm")
    assert link.url("https://zillium.example/start").endswith(link.token)
    customer = kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example")
    interval = kit.mapping.partner_of_record(customer.id, "crm")
    assert interval is not None
    assert (interval.partner_id, interval.channel) == (zillium.id, Channel.SIGNUP_LINK)


def test_a_link_without_product_maps_every_product_the_partner_works_on(
    kit: pk.Kit, zillium: pk.Partner
) -> None:
    link = kit.mapping.signup_link(zillium.id)
    customer = kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example")
    assert {i.product for i in kit.mapping.history(customer.id)} == {"crm", "books"}


def test_a_tampered_signup_token_is_refused_and_nothing_is_stored(
    kit: pk.Kit, zillium: pk.Partner
) -> None:
    link = kit.mapping.signup_link(zillium.id, "crm")
    tampered = link.token[:-1] + ("A" if link.token[-1] != "A" else "B")
    with pytest.raises(InvalidTokenError) as info:
        kit.mapping.sign_up(tampered, name="Globex", admin_email="it@globex.example")
    assert info.value.code == "token.invalid"
    assert kit.customers.customers() == []


def test_a_partner_sets_up_an_account_only_for_a_non_user(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    customer = kit.mapping.create_account(
        zillium.id, name="Initech", admin_email="it@initech.example", product="crm"
    )
    interval = kit.mapping.partner_of_record(customer.id, "crm")
    assert interval is not None
    assert interval.channel is Channel.NEW_ACCOUNT
    with pytest.raises(EmailTakenError) as info:
        kit.mapping.create_account(zillium.id, name="Again", admin_email=ADMIN, product="crm")
    assert "tag" in (info.value.remedy or "")


# --- a partner adding a customer (000) --------------------------------------------------------


def paid_days_ago(kit: pk.Kit, customer: pk.Customer, days: int) -> None:
    kit.customers.set_plan(customer.id, "crm", "paid", since=kit.today() - timedelta(days=days))


@pytest.mark.parametrize("days", [0, 29, 30])
def test_paid_within_30_days_maps_at_once_with_all_commission(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, days: int
) -> None:
    paid_days_ago(kit, acme, days)
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm")
    assert result.decision.case is AddCase.PAID_RECENTLY
    assert result.request is None
    assert result.interval is not None
    assert result.interval.status is MappingStatus.PERMANENT
    assert result.interval.commission_from is None  # "commission for all transactions"


def test_paid_more_than_30_days_needs_the_customers_approval(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, pk_clock: pk.SimulatedClock
) -> None:
    paid_days_ago(kit, acme, 31)
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm")
    assert result.decision.case is AddCase.PAID_NEEDS_APPROVAL
    assert result.interval is None
    assert result.request is not None
    assert kit.mapping.partner_of_record(acme.id, "crm") is None
    # The confirmation email goes to the customer, never the token to the partner.
    token = token_in(kit, "mapping.approval_requested")
    assert kit.mapping.pending_requests(partner_id=zillium.id) == [result.request]
    pk_clock.advance(days=2)
    kit.mapping.confirm(token, by=ADMIN)
    interval = kit.mapping.partner_of_record(acme.id, "crm")
    assert interval is not None
    assert interval.valid_from == START + timedelta(days=2)
    # "commission ... for the last one month's transactions and all future transactions"
    assert interval.commission_from == datetime(2025, 12, 7, tzinfo=UTC)
    with pytest.raises(ConsentNotPendingError):
        kit.mapping.confirm(token)


def test_adding_twice_while_approval_is_pending_returns_the_same_request(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    paid_days_ago(kit, acme, 45)
    first = kit.mapping.add_customer(zillium.id, acme.id, "crm")
    again = kit.mapping.add_customer(zillium.id, acme.id, "crm")
    assert again.request == first.request
    assert len([e for e in kit.outbox() if e.topic == "mapping.approval_requested"]) == 1


def test_explain_add_changes_nothing(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> None:
    paid_days_ago(kit, acme, 31)
    before = (kit.outbox(), kit.mapping.history(acme.id))
    decision = kit.mapping.explain_add(zillium.id, acme.id, "crm")
    assert decision.needs_confirmation
    assert decision.days_paid == 31
    assert decision.commission_from == datetime(2025, 12, 5, tzinfo=UTC)
    assert "use case 1" in decision.reasons[0]
    assert (kit.outbox(), kit.mapping.history(acme.id)) == before


def test_a_free_customer_is_mapped_provisionally_for_3_months(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm")
    assert result.decision.case is AddCase.FREE
    interval = result.interval
    assert interval is not None
    assert interval.status is MappingStatus.PROVISIONAL
    assert interval.provisional_until == date(2026, 4, 5)
    kit.advance_to(date(2026, 4, 5) + timedelta(hours=23))
    assert kit.mapping.partner_of_record(acme.id, "crm") is not None  # still the last day
    kit.advance_to(date(2026, 4, 6))
    assert kit.mapping.partner_of_record(acme.id, "crm") is None
    [ended] = kit.mapping.history(acme.id, "crm")
    assert ended.valid_to == datetime(2026, 4, 6, tzinfo=UTC)
    assert "3 months" in (ended.ended_reason or "")
    # As of any day in the 3 months, Zillium was the partner.
    assert kit.mapping.partner_of_record(acme.id, "crm", as_of=date(2026, 3, 1)) == ended


@pytest.mark.parametrize(
    ("mapped_on", "deadline"),
    [(date(2026, 11, 30), date(2027, 2, 28)), (date(2027, 11, 30), date(2028, 2, 29))],
)
def test_the_3_month_deadline_counts_calendar_months_at_month_ends(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, mapped_on: date, deadline: date
) -> None:
    while kit.today() + timedelta(days=300) < mapped_on:  # sign in now and then: stay active
        kit.advance_to(kit.today() + timedelta(days=300))
        kit.partners.check_sign_in("zillium")
    kit.advance_to(mapped_on)
    interval = kit.mapping.add_customer(zillium.id, acme.id, "crm").interval
    assert interval is not None
    assert interval.provisional_until == deadline
    kit.advance_to(deadline)
    assert kit.mapping.partner_of_record(acme.id, "crm") is not None
    kit.advance_to(deadline + timedelta(days=1))
    assert kit.mapping.partner_of_record(acme.id, "crm") is None


def test_upgrading_within_3_months_makes_the_mapping_permanent(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.add_customer(zillium.id, acme.id, "crm")
    kit.advance_to(date(2026, 4, 5))  # the deadline itself still counts as within
    kit.customers.set_plan(acme.id, "crm", "paid")
    assert kit.mapping.partner_of_record(acme.id, "crm").status is MappingStatus.PERMANENT  # type: ignore[union-attr]
    kit.advance_to(date(2027, 1, 1))
    assert kit.mapping.partner_of_record(acme.id, "crm").partner_id == zillium.id  # type: ignore[union-attr]


def test_customer_mapped_to_another_partner_and_the_way_out(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    with pytest.raises(CustomerMappedToAnotherPartnerError) as info:
        kit.mapping.add_customer(zillium.id, acme.id, "crm")
    assert info.value.message == "Customer mapped to another partner"
    assert info.value.code == "mapping.mapped_to_another_partner"
    assert "email from the customer" in (info.value.remedy or "")
    moved = kit.mapping.record_written_consent(
        acme.id,
        "crm",
        zillium.id,
        evidence="From: it@acme.example — we wish to work with Zillium",
        by="partner-support",
    )
    assert moved.channel is Channel.WRITTEN_CONSENT
    assert moved.evidence is not None
    old, new = kit.mapping.history(acme.id, "crm")
    assert old.partner_id == nimbus.id
    assert old.valid_to == new.valid_from


def test_a_partner_maps_only_for_products_it_works_on(
    kit: pk.Kit, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    with pytest.raises(ProductNotAuthorisedError):
        kit.mapping.add_customer(nimbus.id, acme.id, "books")


# --- transfers (001) --------------------------------------------------------------------------


def test_a_transfer_waits_for_the_customer_and_notifies_the_old_partner(
    kit: pk.Kit,
    zillium: pk.Partner,
    nimbus: pk.Partner,
    acme: pk.Customer,
    pk_clock: pk.SimulatedClock,
) -> None:
    old = kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    request = kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    assert request.kind is ConsentKind.TRANSFER
    assert request.expires_at == START + timedelta(days=15)
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    assert [e.template for e in mailer.to(ADMIN)] == ["mapping.transfer_requested"]
    assert [e.template for e in mailer.to("hi@nimbus.example")] == ["mapping.transfer_notice"]
    assert kit.mapping.partner_of_record(acme.id, "crm") == old  # nothing changed yet
    with pytest.raises(TransferPendingError):
        kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    pk_clock.advance(days=14, hours=23)
    kit.mapping.confirm(token_in(kit, "mapping.transfer_requested"), by=ADMIN)
    effective = START + timedelta(days=14, hours=23)
    closed, new = kit.mapping.history(acme.id, "crm")
    assert (closed.partner_id, closed.valid_to) == (nimbus.id, effective)
    assert (new.partner_id, new.valid_from) == (zillium.id, effective)
    assert new.channel is Channel.TRANSFER


def test_an_unconfirmed_transfer_lapses_after_15_days(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    request = kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    token = token_in(kit, "mapping.transfer_requested")
    kit.advance_to(START + timedelta(days=15))
    assert kit.mapping.pending_requests(customer_id=acme.id) == []
    with pytest.raises(ConsentExpiredError) as info:
        kit.mapping.confirm(token)
    assert info.value.code == "consent.expired"
    assert kit.mapping.partner_of_record(acme.id, "crm").partner_id == nimbus.id  # type: ignore[union-attr]
    assert request.status is ConsentStatus.REQUESTED  # values are frozen; the store moved on


def test_transfer_needs_an_admin_a_partner_of_record_and_a_new_partner(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    with pytest.raises(NoPartnerOfRecordError):
        kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    with pytest.raises(NotCustomerAdminError):
        kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by="bob@acme.example")
    with pytest.raises(SamePartnerError):
        kit.mapping.request_transfer(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    with pytest.raises(InvalidTokenError):
        kit.mapping.confirm("not-a-token")


# --- tracking list (001) ----------------------------------------------------------------------


def test_tracking_an_existing_user_sends_nothing_and_tagging_moves_the_record(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    before = kit.outbox()
    entry = kit.mapping.track(zillium.id, "Bob@acme.example")
    assert entry.customer_id == acme.id
    assert kit.outbox() == before  # "It will not trigger any emails or actions"
    assert kit.mapping.tracking_list(zillium.id) == [entry]
    assert kit.mapping.customers_of(zillium.id) == []
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    assert kit.mapping.tracking_list(zillium.id) == []
    assert [c.customer_id for c in kit.mapping.customers_of(zillium.id)] == [acme.id]


def test_tracking_an_unknown_email_suggests_the_signup_link(
    kit: pk.Kit, zillium: pk.Partner
) -> None:
    with pytest.raises(NotAUserError) as info:
        kit.mapping.track(zillium.id, "new@prospect.example")
    assert "signup_link" in (info.value.remedy or "")
    assert kit.mapping.tracking_list(zillium.id) == []


# --- partner accounts (000) -------------------------------------------------------------------


def test_inactive_partners_are_deactivated_and_reactivated_by_the_partner_team(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.advance_to(START + timedelta(days=364))
    assert kit.partners.get(zillium.id).is_active
    kit.advance_to(datetime(2027, 1, 5, 9, 0, tzinfo=UTC))  # 12 months after the last action
    assert not kit.partners.get(zillium.id).is_active
    for attempt in (
        lambda: kit.partners.check_sign_in("zillium"),
        lambda: kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by=ADMIN),
        lambda: kit.mapping.add_customer(zillium.id, acme.id, "crm"),
        lambda: kit.mapping.track(zillium.id, ADMIN),
    ):
        with pytest.raises(PartnerDeactivatedError) as info:
            attempt()
        assert "reactivate" in (info.value.remedy or "")
    kit.partners.reactivate(zillium.id, by="partner-team")
    assert kit.partners.check_sign_in("zillium").is_active


def test_activity_keeps_a_partner_active(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.advance_to(START + timedelta(days=300))
    kit.mapping.track(zillium.id, ADMIN)
    kit.advance_to(START + timedelta(days=500))
    assert kit.partners.get(zillium.id).is_active


def test_the_directory_lists_active_partners_with_codes(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner
) -> None:
    kit.partners.register(name="Quiet", username="quiet", email="q@quiet.example", regions=["IN"])
    assert [(e.name, e.code) for e in kit.partners.directory(expertise="books")] == [
        ("Zillium", "ZILLIUMCorp")
    ]
    assert [e.name for e in kit.partners.directory(region="in")] == ["Quiet"]
    kit.partners.deactivate(nimbus.id, reason="test", by="partner-team")
    assert [e.name for e in kit.partners.directory(expertise="crm")] == ["Zillium"]


# --- bad input: a typed error with a code, and nothing stored ---------------------------------


def snapshot(kit: pk.Kit, customer: pk.Customer) -> object:
    return (
        kit.mapping.history(customer.id),
        kit.mapping.pending_requests(customer_id=customer.id),
        kit.customers.customers(),
        [(m.id, m.status) for m in kit.outbox() if m.topic != "access.denied"],
        [p.version for p in kit.partners.partners()],
    )


def test_bad_input_is_refused_with_a_code_and_stores_nothing(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by=ADMIN)
    kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by=ADMIN)
    used = token_in(kit, "mapping.transfer_requested")
    kit.mapping.confirm(used)
    link = kit.mapping.signup_link(zillium.id, "crm")
    kit.partners.deactivate(nimbus.id, reason="inactive", by="partner-team")
    attempts = {
        "partner_code.unknown": lambda: kit.mapping.tag_partner(
            acme.id, "books", "NOSUCHCODE", by=ADMIN
        ),
        "partner.deactivated": lambda: kit.mapping.request_transfer(
            acme.id, "crm", "NIMBUSHQ", by=ADMIN
        ),
        "mapping.admin_only": lambda: kit.mapping.tag_partner(
            acme.id, "books", "ZILLIUMCorp", by="bob@acme.example"
        ),
        "consent.not_pending": lambda: kit.mapping.confirm(used),
        "token.invalid": lambda: kit.mapping.sign_up(
            link.token.swapcase(), name="Globex", admin_email="it@globex.example"
        ),
    }
    for code, attempt in attempts.items():
        before = snapshot(kit, acme)
        with pytest.raises(pk.PartnerkitError) as info:
            attempt()
        assert info.value.code == code
        assert snapshot(kit, acme) == before, code
    audited = [m.payload["code"] for m in kit.outbox(topic="access.denied")]
    assert audited == ["partner.deactivated", "mapping.admin_only"]


def test_an_expired_approval_link_is_refused_and_stores_nothing(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.customers.set_plan(acme.id, "crm", "paid", since=date(2025, 1, 1))
    kit.mapping.add_customer(zillium.id, acme.id, "crm")
    token = token_in(kit, "mapping.approval_requested")
    kit.advance_to(START + timedelta(days=30))
    before = snapshot(kit, acme)
    with pytest.raises(ConsentExpiredError):
        kit.mapping.confirm(token)
    assert snapshot(kit, acme) == before
    assert kit.mapping.partner_of_record(acme.id, "crm") is None


def test_explaining_is_not_activity_but_adding_is(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.advance_to(START + timedelta(days=100))
    kit.mapping.explain_add(zillium.id, acme.id, "crm")
    assert kit.partners.get(zillium.id).last_active_at == zillium.last_active_at
    kit.mapping.add_customer(zillium.id, acme.id, "crm")
    assert kit.partners.get(zillium.id).last_active_at == START + timedelta(days=100)

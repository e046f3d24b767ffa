"""The partner program's mapping rules, pinned with the seeds' numbers.

000_91620a113ccdeac1.txt: the three use cases of a partner adding a customer (30 days, one
month's look-back, 3 months for free customers), "Customer mapped to another partner" and
written consent, deactivation for inactivity. 001_e5546b4aab26b4b3.txt: the three channels,
"Only the Admin users ... can access and Tag a Partner", different partners per product,
transfers with confirmation, and the tag-tracking list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs
import pytest

import partnerkit as pk
from partnerkit.access import NotAPartyError
from partnerkit.consent import ConsentKind, ConsentStatus
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import (
    ConsentExpiredError,
    ConsentNotPendingError,
    InvalidInputError,
    InvalidTokenError,
)
from partnerkit.mapping.adding import AddCase
from partnerkit.mapping.errors import (
    CustomerMappedToAnotherPartnerError,
    NoPartnerOfRecordError,
    NotAUserError,
    NotCustomerAdminError,
    PartnerDeactivatedError,
    PartnerNotFoundError,
    ProductNotAuthorisedError,
    SamePartnerError,
    SignupLinkExpiredError,
    SignupLinkProductsRequiredError,
    SignupLinkRevokedError,
    TransferPendingError,
    TransferRequiredError,
    UnknownCodeError,
)
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.records import Channel, MappingStatus
from partnerkit.secrets import hash_token, is_secret_ref

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ADMIN = "it@acme.example"


@pytest.fixture
def kit(pk_kit: pk.Kit) -> pk.Kit:
    pk_kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    pk_kit.catalog.add_product("books", name="Books", actor=STAFF)
    return pk_kit


@pytest.fixture
def zillium(kit: pk.Kit) -> pk.Partner:
    p = kit.partners.register(
        name="Zillium",
        username="zillium",
        email="ops@zillium.example",
        expertise=["crm", "books"],
        actor=STAFF,
    )
    kit.partners.issue_code(p.id, "ZILLIUMCorp", actor=STAFF)
    return p


@pytest.fixture
def nimbus(kit: pk.Kit) -> pk.Partner:
    p = kit.partners.register(
        name="Nimbus", username="nimbus", email="hi@nimbus.example", expertise=["crm"], actor=STAFF
    )
    kit.partners.issue_code(p.id, "NIMBUSHQ", actor=STAFF)
    return p


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    customer = kit.customers.create(
        name="Acme", admin_email=ADMIN, domain="acme.example", actor=STAFF
    )
    kit.customers.add_user(customer.id, "bob@acme.example", name="Bob", actor=STAFF)
    return kit.customers.get(customer.id, actor=STAFF)


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
    interval = kit.mapping.tag_partner(
        acme.id, "crm", "zilliumcorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    assert (interval.partner_id, interval.channel) == (zillium.id, Channel.TAG)
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) == interval
    assert kit.mapping.partner_of_record(acme.id, "books", actor=STAFF) is None
    [row] = kit.mapping.customers_of(zillium.id, actor=STAFF)
    assert (row.customer_name, row.product) == ("Acme", "crm")


def test_only_admin_users_may_tag(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> None:
    # 001: "Only the Admin users in the Customer Zoho Account can access and Tag a Partner."
    before = len(kit.outbox())
    with pytest.raises(NotCustomerAdminError) as info:
        kit.mapping.tag_partner(
            acme.id,
            "crm",
            "ZILLIUMCorp",
            actor=pk.Principal.customer_user(acme.id, "bob@acme.example"),
        )
    assert info.value.code == "mapping.admin_only"
    with pytest.raises(NotCustomerAdminError):
        kit.mapping.tag_partner(
            acme.id,
            "crm",
            "ZILLIUMCorp",
            actor=pk.Principal.customer_user(acme.id, "stranger@else.example"),
        )
    assert kit.mapping.history(acme.id, actor=STAFF) == []
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
    first = kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    assert (
        kit.mapping.tag_partner(
            acme.id, "crm", "zi11iumcorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
        == first
    )
    assert kit.mapping.history(acme.id, "crm", actor=STAFF) == [first]


def test_tagging_while_another_partner_is_of_record_points_to_transfer(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    with pytest.raises(TransferRequiredError) as info:
        kit.mapping.tag_partner(
            acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
    # The customer reads the product's words; the developer's hint names the call.
    assert "choose Transfer partner and enter the new partner's code" in (info.value.remedy or "")
    assert "request_transfer" in (info.value.hint or "")
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF).partner_id == zillium.id  # type: ignore[union-attr]


def test_different_partners_for_different_products(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    # 001: "A customer may be working with one partner for Zoho CRM, but another partner for
    # Zoho Books."
    kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    kit.mapping.tag_partner(
        acme.id, "books", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF).partner_id == nimbus.id  # type: ignore[union-attr]
    assert kit.mapping.partner_of_record(acme.id, "books", actor=STAFF).partner_id == zillium.id  # type: ignore[union-attr]


def test_bad_codes_and_products_are_refused(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    with pytest.raises(UnknownCodeError):
        kit.mapping.tag_partner(
            acme.id, "crm", "NOSUCHCODE", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
    with pytest.raises(ProductNotAuthorisedError) as info:
        kit.mapping.tag_partner(
            acme.id, "books", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
    assert info.value.code == "mapping.product_not_authorised"
    kit.partners.deactivate(nimbus.id, reason="test", actor=STAFF)
    with pytest.raises(PartnerDeactivatedError):
        kit.mapping.tag_partner(
            acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
    assert kit.mapping.history(acme.id, actor=STAFF) == []


# --- sign-up link and new account (001) -------------------------------------------------------


def test_signing_up_through_a_partner_link_maps_the_new_customer(
    kit: pk.Kit, zillium: pk.Partner
) -> None:
    link = kit.mapping.signup_link(zillium.id, "crm", actor=STAFF)
    assert link.url("https://zillium.example/start").endswith(link.token)
    customer = kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example")
    interval = kit.mapping.partner_of_record(customer.id, "crm", actor=STAFF)
    assert interval is not None
    assert (interval.partner_id, interval.channel) == (zillium.id, Channel.SIGNUP_LINK)


def test_a_link_names_its_products_and_maps_those(kit: pk.Kit, zillium: pk.Partner) -> None:
    # Issue 8: a link never maps a new customer to everything the partner works on.
    with pytest.raises(SignupLinkProductsRequiredError) as info:
        kit.mapping.signup_link(zillium.id, actor=STAFF)
    assert info.value.code == "mapping.signup_link_products_required"
    link = kit.mapping.signup_link(zillium.id, products=["crm", "books"], actor=STAFF)
    assert link.products == ("crm", "books")
    customer = kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example")
    assert {i.product for i in kit.mapping.history(customer.id, actor=STAFF)} == {"crm", "books"}


def test_a_tampered_signup_token_is_refused_and_nothing_is_stored(
    kit: pk.Kit, zillium: pk.Partner
) -> None:
    link = kit.mapping.signup_link(zillium.id, "crm", actor=STAFF)
    tampered = link.token[:-1] + ("A" if link.token[-1] != "A" else "B")
    with pytest.raises(InvalidTokenError) as info:
        kit.mapping.sign_up(tampered, name="Globex", admin_email="it@globex.example")
    assert info.value.code == "token.invalid"
    assert kit.customers.customers(actor=STAFF) == []


def test_a_partner_sets_up_an_account_only_for_a_non_user(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    customer = kit.mapping.create_account(
        zillium.id, name="Initech", admin_email="it@initech.example", product="crm", actor=STAFF
    )
    interval = kit.mapping.partner_of_record(customer.id, "crm", actor=STAFF)
    assert interval is not None
    assert interval.channel is Channel.NEW_ACCOUNT
    with pytest.raises(EmailTakenError) as info:
        kit.mapping.create_account(
            zillium.id, name="Again", admin_email=ADMIN, product="crm", actor=STAFF
        )
    assert "tag" in (info.value.remedy or "")


# --- a partner adding a customer (000) --------------------------------------------------------


def paid_days_ago(kit: pk.Kit, customer: pk.Customer, days: int) -> None:
    kit.customers.set_plan(
        customer.id, "crm", "paid", since=kit.today() - timedelta(days=days), actor=STAFF
    )


@pytest.mark.parametrize("days", [0, 29, 30])
def test_paid_within_30_days_maps_at_once_with_all_commission(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, days: int
) -> None:
    paid_days_ago(kit, acme, days)
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    assert result.decision.case is AddCase.PAID_RECENTLY
    assert result.request is None
    assert result.interval is not None
    assert result.interval.status is MappingStatus.PERMANENT
    # "commission for all transactions": every one since the customer became paid.
    since = kit.today() - timedelta(days=days)
    assert result.interval.commission_from == datetime.combine(since, time(0), tzinfo=UTC)


def test_paid_more_than_30_days_needs_the_customers_approval(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, pk_clock: pk.SimulatedClock
) -> None:
    paid_days_ago(kit, acme, 31)
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    assert result.decision.case is AddCase.PAID_NEEDS_APPROVAL
    assert result.interval is None
    assert result.request is not None
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None
    # The confirmation email goes to the customer, never the token to the partner.
    token = token_in(kit, "mapping.approval_requested")
    assert kit.mapping.pending_requests(partner_id=zillium.id, actor=STAFF) == [result.request]
    pk_clock.advance(days=2)
    kit.mapping.confirm(token, actor=pk.Principal.customer_user(acme.id, ADMIN))
    interval = kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF)
    assert interval is not None
    assert interval.valid_from == START + timedelta(days=2)
    # "commission ... for the last one month's transactions and all future transactions"
    assert interval.commission_from == datetime(2025, 12, 7, tzinfo=UTC)
    with pytest.raises(ConsentNotPendingError):
        kit.mapping.confirm(token, actor=pk.Principal.customer_user(acme.id, ADMIN))


def test_adding_twice_while_approval_is_pending_returns_the_same_request(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    paid_days_ago(kit, acme, 45)
    first = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    again = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    assert again.request == first.request
    assert len([e for e in kit.outbox() if e.topic == "mapping.approval_requested"]) == 1


def test_explain_add_changes_nothing(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> None:
    paid_days_ago(kit, acme, 31)
    before = (kit.outbox(), kit.mapping.history(acme.id, actor=STAFF))
    decision = kit.mapping.explain_add(zillium.id, acme.id, "crm", actor=STAFF)
    assert decision.needs_confirmation
    assert decision.days_paid == 31
    assert decision.commission_from == datetime(2025, 12, 5, tzinfo=UTC)
    assert "use case 1" in decision.reasons[0]
    assert (kit.outbox(), kit.mapping.history(acme.id, actor=STAFF)) == before


def test_a_free_customer_is_mapped_provisionally_for_3_months(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    assert result.decision.case is AddCase.FREE
    interval = result.interval
    assert interval is not None
    assert interval.status is MappingStatus.PROVISIONAL
    assert interval.provisional_until == date(2026, 4, 5)
    kit.advance_to(date(2026, 4, 5) + timedelta(hours=23))
    assert (
        kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is not None
    )  # still the last day
    kit.advance_to(date(2026, 4, 6))
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None
    [ended] = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert ended.valid_to == datetime(2026, 4, 6, tzinfo=UTC)
    assert "3 months" in (ended.ended_reason or "")
    # As of any day in the 3 months, Zillium was the partner.
    assert (
        kit.mapping.partner_of_record(acme.id, "crm", as_of=date(2026, 3, 1), actor=STAFF) == ended
    )


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
    interval = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF).interval
    assert interval is not None
    assert interval.provisional_until == deadline
    kit.advance_to(deadline)
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is not None
    kit.advance_to(deadline + timedelta(days=1))
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None


def test_upgrading_within_3_months_makes_the_mapping_permanent(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    kit.advance_to(date(2026, 4, 5))  # the deadline itself still counts as within
    kit.customers.set_plan(acme.id, "crm", "paid", actor=STAFF)
    assert (
        kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF).status is MappingStatus.PERMANENT
    )  # type: ignore[union-attr]
    kit.advance_to(date(2027, 1, 1))
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF).partner_id == zillium.id  # type: ignore[union-attr]


def test_customer_mapped_to_another_partner_and_the_way_out(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    with pytest.raises(CustomerMappedToAnotherPartnerError) as info:
        kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    assert info.value.message == "Customer mapped to another partner"
    assert info.value.code == "mapping.mapped_to_another_partner"
    assert "email from the customer" in (info.value.remedy or "")
    moved = kit.mapping.record_written_consent(
        acme.id,
        "crm",
        zillium.id,
        evidence="From: it@acme.example — we wish to work with Zillium",
        actor=STAFF,
    )
    assert moved.channel is Channel.WRITTEN_CONSENT
    assert moved.evidence is not None
    old, new = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert old.partner_id == nimbus.id
    assert old.valid_to == new.valid_from


def test_a_partner_maps_only_for_products_it_works_on(
    kit: pk.Kit, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    with pytest.raises(ProductNotAuthorisedError):
        kit.mapping.add_customer(nimbus.id, acme.id, "books", actor=STAFF)


# --- transfers (001) --------------------------------------------------------------------------


def test_a_transfer_waits_for_the_customer_and_notifies_the_old_partner(
    kit: pk.Kit,
    zillium: pk.Partner,
    nimbus: pk.Partner,
    acme: pk.Customer,
    pk_clock: pk.SimulatedClock,
) -> None:
    old = kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    request = kit.mapping.request_transfer(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    assert request.kind is ConsentKind.TRANSFER
    assert request.expires_at == START + timedelta(days=15)
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    assert [e.template for e in mailer.to(ADMIN)] == ["mapping.transfer_requested"]
    assert [e.template for e in mailer.to("hi@nimbus.example")] == ["mapping.transfer_notice"]
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) == old  # nothing changed yet
    with pytest.raises(TransferPendingError):
        kit.mapping.request_transfer(
            acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
    pk_clock.advance(days=14, hours=23)
    kit.mapping.confirm(
        token_in(kit, "mapping.transfer_requested"),
        actor=pk.Principal.customer_user(acme.id, ADMIN),
    )
    effective = START + timedelta(days=14, hours=23)
    closed, new = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert (closed.partner_id, closed.valid_to) == (nimbus.id, effective)
    assert (new.partner_id, new.valid_from) == (zillium.id, effective)
    assert new.channel is Channel.TRANSFER


def test_an_unconfirmed_transfer_lapses_after_15_days(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    request = kit.mapping.request_transfer(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    token = token_in(kit, "mapping.transfer_requested")
    kit.advance_to(START + timedelta(days=15))
    assert kit.mapping.pending_requests(customer_id=acme.id, actor=STAFF) == []
    with pytest.raises(ConsentExpiredError) as info:
        kit.mapping.confirm(token, actor=pk.Principal.customer_user(acme.id, ADMIN))
    assert info.value.code == "consent.expired"
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF).partner_id == nimbus.id  # type: ignore[union-attr]
    assert request.status is ConsentStatus.REQUESTED  # values are frozen; the store moved on


def test_transfer_needs_an_admin_a_partner_of_record_and_a_new_partner(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    with pytest.raises(NoPartnerOfRecordError):
        kit.mapping.request_transfer(
            acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
    kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    with pytest.raises(NotCustomerAdminError):
        kit.mapping.request_transfer(
            acme.id,
            "crm",
            "ZILLIUMCorp",
            actor=pk.Principal.customer_user(acme.id, "bob@acme.example"),
        )
    with pytest.raises(SamePartnerError):
        kit.mapping.request_transfer(
            acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
        )
    with pytest.raises(InvalidTokenError):
        kit.mapping.confirm("not-a-token", actor=pk.Principal.customer_user(acme.id, ADMIN))


# --- tracking list (001) ----------------------------------------------------------------------


def test_tracking_an_existing_user_sends_nothing_and_tagging_moves_the_record(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    before = kit.outbox()
    entry = kit.mapping.track(zillium.id, "Bob@acme.example", actor=STAFF)
    assert entry.customer_id == acme.id
    assert kit.outbox() == before  # "It will not trigger any emails or actions"
    assert kit.mapping.tracking_list(zillium.id, actor=STAFF) == [entry]
    assert kit.mapping.customers_of(zillium.id, actor=STAFF) == []
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    assert kit.mapping.tracking_list(zillium.id, actor=STAFF) == []
    assert [c.customer_id for c in kit.mapping.customers_of(zillium.id, actor=STAFF)] == [acme.id]


def test_tracking_an_unknown_email_suggests_the_signup_link(
    kit: pk.Kit, zillium: pk.Partner
) -> None:
    with pytest.raises(NotAUserError) as info:
        kit.mapping.track(zillium.id, "new@prospect.example", actor=STAFF)
    assert "Send them your sign-up link" in (info.value.remedy or "")
    assert "signup_link" in (info.value.hint or "")
    assert kit.mapping.tracking_list(zillium.id, actor=STAFF) == []


# --- partner accounts (000) -------------------------------------------------------------------


def test_inactive_partners_are_deactivated_and_reactivated_by_the_partner_team(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.advance_to(START + timedelta(days=364))
    assert kit.partners.get(zillium.id, actor=STAFF).is_active
    kit.advance_to(datetime(2027, 1, 5, 9, 0, tzinfo=UTC))  # 12 months after the last action
    assert not kit.partners.get(zillium.id, actor=STAFF).is_active
    for attempt in (
        lambda: kit.partners.check_sign_in("zillium"),
        lambda: kit.mapping.tag_partner(
            acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
        ),
        lambda: kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF),
        lambda: kit.mapping.track(zillium.id, ADMIN, actor=STAFF),
    ):
        with pytest.raises(PartnerDeactivatedError) as info:
            attempt()
        assert "reactivate" in (info.value.remedy or "")
    kit.partners.reactivate(zillium.id, actor=STAFF)
    assert kit.partners.check_sign_in("zillium").is_active


def test_activity_keeps_a_partner_active(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.advance_to(START + timedelta(days=300))
    kit.mapping.track(zillium.id, ADMIN, actor=STAFF)
    kit.advance_to(START + timedelta(days=500))
    assert kit.partners.get(zillium.id, actor=STAFF).is_active


def test_the_directory_lists_active_partners_with_codes(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner
) -> None:
    kit.partners.register(
        name="Quiet", username="quiet", email="q@quiet.example", regions=["IN"], actor=STAFF
    )
    assert [(e.name, e.code) for e in kit.partners.directory(expertise="books")] == [
        ("Zillium", "ZILLIUMCorp")
    ]
    assert [e.name for e in kit.partners.directory(region="in")] == ["Quiet"]
    kit.partners.deactivate(nimbus.id, reason="test", actor=STAFF)
    assert [e.name for e in kit.partners.directory(expertise="crm")] == ["Zillium"]


# --- bad input: a typed error with a code, and nothing stored ---------------------------------


def snapshot(kit: pk.Kit, customer: pk.Customer) -> object:
    return (
        kit.mapping.history(customer.id, actor=STAFF),
        kit.mapping.pending_requests(customer_id=customer.id, actor=STAFF),
        kit.customers.customers(actor=STAFF),
        [(m.id, m.status) for m in kit.outbox() if m.topic != "access.denied"],
        [p.version for p in kit.partners.partners(actor=STAFF)],
    )


def test_bad_input_is_refused_with_a_code_and_stores_nothing(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    kit.mapping.request_transfer(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, ADMIN)
    )
    used = token_in(kit, "mapping.transfer_requested")
    kit.mapping.confirm(used, actor=pk.Principal.customer_user(acme.id, ADMIN))
    link = kit.mapping.signup_link(zillium.id, "crm", actor=STAFF)
    kit.partners.deactivate(nimbus.id, reason="inactive", actor=STAFF)
    attempts = {
        "partner_code.unknown": lambda: kit.mapping.tag_partner(
            acme.id, "books", "NOSUCHCODE", actor=pk.Principal.customer_user(acme.id, ADMIN)
        ),
        "partner.deactivated": lambda: kit.mapping.request_transfer(
            acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, ADMIN)
        ),
        "mapping.admin_only": lambda: kit.mapping.tag_partner(
            acme.id,
            "books",
            "ZILLIUMCorp",
            actor=pk.Principal.customer_user(acme.id, "bob@acme.example"),
        ),
        "consent.not_pending": lambda: kit.mapping.confirm(
            used, actor=pk.Principal.customer_user(acme.id, ADMIN)
        ),
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
    kit.customers.set_plan(acme.id, "crm", "paid", since=date(2025, 1, 1), actor=STAFF)
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    token = token_in(kit, "mapping.approval_requested")
    kit.advance_to(START + timedelta(days=30))
    before = snapshot(kit, acme)
    with pytest.raises(ConsentExpiredError):
        kit.mapping.confirm(token, actor=pk.Principal.customer_user(acme.id, ADMIN))
    assert snapshot(kit, acme) == before
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None


def test_explaining_is_not_activity_but_adding_is(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.advance_to(START + timedelta(days=100))
    kit.mapping.explain_add(zillium.id, acme.id, "crm", actor=STAFF)
    assert kit.partners.get(zillium.id, actor=STAFF).last_active_at == zillium.last_active_at
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    assert kit.partners.get(zillium.id, actor=STAFF).last_active_at == START + timedelta(days=100)


# --- who acts, and secrets never at rest (issue 7) --------------------------------------------


def admin_of(customer: pk.Customer) -> pk.Principal:
    return pk.Principal.customer_user(customer.id, ADMIN)


def user_of(partner: pk.Partner) -> pk.Principal:
    return pk.Principal.partner_user(partner.id, partner.email)


def test_a_consent_token_is_derived_at_delivery_and_stored_nowhere(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    paid_days_ago(kit, acme, 45)
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=user_of(zillium))
    assert result.request is not None
    token = token_in(kit, "mapping.approval_requested")
    # The request keeps the token's hash; the queued email, a reference to derive it again.
    assert result.request.token_hash == hash_token(token)
    [queued] = kit.outbox(topic="mapping.approval_requested")
    assert is_secret_ref(queued.payload["context"]["token"])
    everything = repr((kit.outbox(), kit.mapping.pending_requests(actor=STAFF)))
    assert token not in everything
    # The mailer got the real token, which shows nowhere in a repr either.
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    assert token not in repr(mailer.sent)
    kit.mapping.confirm(token, actor=admin_of(acme))
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is not None


def test_the_transfer_confirmation_goes_to_every_admin(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.customers.set_admin(acme.id, "bob@acme.example", True, actor=admin_of(acme))
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    for admin in (ADMIN, "bob@acme.example"):
        assert [e.template for e in mailer.to(admin)] == ["mapping.transfer_requested"]
    # Bob did not ask, and may confirm: the account's admins decide together.
    bob = pk.Principal.customer_user(acme.id, "bob@acme.example")
    token = mailer.to("bob@acme.example")[-1].context["token"]
    confirmed = kit.mapping.confirm(token, actor=bob)
    assert [c.by for c in confirmed.confirmations] == ["bob@acme.example"]
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF).partner_id == zillium.id  # type: ignore[union-attr]


def test_only_an_admin_confirms_and_to_others_the_link_is_not_valid(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    paid_days_ago(kit, acme, 45)
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=user_of(zillium))
    token = token_in(kit, "mapping.approval_requested")
    bob = pk.Principal.customer_user(acme.id, "bob@acme.example")
    with pytest.raises(NotCustomerAdminError):
        kit.mapping.confirm(token, actor=bob)
    stranger = pk.Principal.customer_user("cus_other", "it@other.example")
    for actor in (stranger, pk.Principal.partner_user("ptr_other", "ops@other.example")):
        with pytest.raises(InvalidTokenError) as info:
            kit.mapping.confirm(token, actor=actor)
        assert info.value.message == "this confirmation link is not valid"
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None


def test_a_signup_link_token_is_kept_out_of_its_repr(kit: pk.Kit, zillium: pk.Partner) -> None:
    link = kit.mapping.signup_link(zillium.id, "crm", actor=user_of(zillium))
    assert link.token not in repr(link)
    assert link.expires_at == START + timedelta(days=365)


def test_a_signup_link_expires_after_the_policy_period(
    pk_clock: pk.SimulatedClock, pk_mailer: pk.InMemoryMailer
) -> None:
    kit = pk.connect(
        "memory://",
        clock=pk_clock,
        mailer=pk_mailer,
        policies=[MappingPolicy(signup_link_valid_days=10)],
    )
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    zillium = kit.partners.register(
        name="Zillium", email="ops@zillium.example", expertise=["crm"], actor=STAFF
    )
    link = kit.mapping.signup_link(zillium.id, "crm", actor=user_of(zillium))
    assert link.expires_at == START + timedelta(days=10)
    pk_clock.advance(days=10)
    with pytest.raises(SignupLinkExpiredError) as info:
        kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example")
    assert info.value.code == "mapping.signup_link_expired"
    assert info.value.details["expired_at"] == (START + timedelta(days=10)).isoformat()
    assert kit.customers.customers(actor=STAFF) == []


def test_a_revoked_signup_link_is_refused(kit: pk.Kit, zillium: pk.Partner) -> None:
    link = kit.mapping.signup_link(zillium.id, "crm", actor=user_of(zillium))
    other = kit.mapping.signup_link(zillium.id, "crm", actor=user_of(zillium))
    nimbus = pk.Principal.partner_user("ptr_nimbus", "hi@nimbus.example")
    # Another partner cannot revoke it: to it the link is as unknown as a forged one.
    for token in (link.token, "forged-token"):
        with pytest.raises(InvalidTokenError) as info:
            kit.mapping.revoke_signup_link(token, actor=nimbus)
        assert info.value.message == "this sign-up link is not valid"
    revoked = kit.mapping.revoke_signup_link(link.token, actor=user_of(zillium))
    assert revoked.revoked_at == START
    # By its hash too (staff, from a support ticket), and twice changes nothing.
    again = kit.mapping.revoke_signup_link(hash_token(link.token), actor=STAFF)
    assert again == revoked
    with pytest.raises(SignupLinkRevokedError) as refused:
        kit.mapping.sign_up(link.token, name="Globex", admin_email="it@globex.example")
    assert refused.value.code == "mapping.signup_link_revoked"
    # The partner's other links still work.
    customer = kit.mapping.sign_up(other.token, name="Initech", admin_email="it@initech.example")
    assert kit.mapping.partner_of_record(customer.id, "crm", actor=STAFF) is not None


def test_cancelling_a_request_records_who_and_tells_the_other_parties(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    request = kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    # Nimbus would lose the customer: it cannot cancel the transfer away from it.
    with pytest.raises(NotAPartyError) as info:
        kit.mapping.cancel_request(request.id, actor=user_of(nimbus))
    assert info.value.code == "access.not_a_party"
    bob = pk.Principal.customer_user(acme.id, "bob@acme.example")
    with pytest.raises(NotCustomerAdminError):
        kit.mapping.cancel_request(request.id, actor=bob)
    # Zillium, which would gain it, may decline.
    cancelled = kit.mapping.cancel_request(request.id, actor=user_of(zillium))
    assert cancelled.status is ConsentStatus.CANCELLED
    assert (cancelled.closed_at, cancelled.cancelled_by) == (START, "ops@zillium.example")
    assert kit.mapping.pending_requests(customer_id=acme.id, actor=admin_of(acme)) == []
    told = [m.payload["to"] for m in kit.outbox(topic="mapping.request_cancelled")]
    assert told == [ADMIN, "hi@nimbus.example"]
    assert [m.topic for m in kit.outbox(topic="consent.transfer.cancelled")] == [
        "consent.transfer.cancelled"
    ]
    with pytest.raises(InvalidTokenError):
        kit.mapping.cancel_request(request.id, actor=STAFF)


def test_a_partner_tracking_an_email_learns_no_account(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    entry = kit.mapping.track(zillium.id, "bob@acme.example", actor=user_of(zillium))
    assert entry.customer_id is None
    assert [
        e.customer_id for e in kit.mapping.tracking_list(zillium.id, actor=user_of(zillium))
    ] == [None]
    # Tracking is Zillium's own note, not a tie the customer made: Acme stays out of sight.
    assert kit.customers.customers(actor=user_of(zillium)) == []
    with pytest.raises(pk.NotFoundError):
        kit.customers.get(acme.id, actor=user_of(zillium))
    # Once Acme tags Zillium, the tie is the customer's doing, and Zillium sees the account.
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    assert [c.id for c in kit.customers.customers(actor=user_of(zillium))] == [acme.id]


def test_written_consent_evidence_is_for_the_partner_team(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    kit.mapping.record_written_consent(
        acme.id, "crm", zillium.id, evidence="From: it@acme.example", actor=STAFF
    )
    for actor in (STAFF, pk.Principal.system()):
        assert kit.mapping.history(acme.id, "crm", actor=actor)[-1].evidence is not None
    for actor in (admin_of(acme), user_of(zillium)):
        [_, moved] = kit.mapping.history(acme.id, "crm", actor=actor)
        assert moved.evidence is None
        current = kit.mapping.partner_of_record(acme.id, "crm", actor=actor)
        assert current is not None and current.evidence is None


# --- what a partner is told before the customer is its customer (002 seed) --------------------


@pytest.mark.parametrize(
    ("since", "verdict"),
    [
        (date(2025, 6, 1), "the customer has been paid for more than 30 days (use case 1)"),
        (date(2025, 12, 20), "the customer became paid within 30 days (use case 2)"),
    ],
)
def test_a_partner_is_not_told_the_customers_billing_dates_before_it_is_of_record(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, since: date, verdict: str
) -> None:
    """002_9d5c5a443de74ac1.txt: "Verify the account information before providing any details
    to the partner". A partner explaining or asking to add a paid customer learns the case and
    what happens next, not the day the customer became paid; staff see everything."""
    kit.customers.set_plan(acme.id, "crm", "paid", since=since, actor=STAFF)
    told = kit.mapping.explain_add(zillium.id, acme.id, "crm", actor=user_of(zillium))
    seen = kit.mapping.explain_add(zillium.id, acme.id, "crm", actor=STAFF)
    assert (told.case, told.action) == (seen.case, seen.action)
    assert seen.paid_since == since and seen.commission_from is not None
    assert told.paid_since is None and told.days_paid is None and told.commission_from is None
    assert told.reasons[0] == verdict
    assert not any(str(since) in reason for reason in told.reasons)
    added = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=user_of(zillium))
    if added.interval is None:  # case 1: asked, not of record yet
        assert added.decision.paid_since is None
        assert not any(str(since) in reason for reason in added.decision.reasons)
    else:  # case 2: of record at once, and its commission window starts the day paid
        assert added.interval.commission_from is not None
        assert added.interval.commission_from.date() == since


# --- pinned by the mutation run: what the services record and look up --------------------------


def test_adding_a_customer_already_mapped_to_the_partner_returns_its_mapping(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    first = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=user_of(zillium))
    again = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=user_of(zillium))
    assert first.interval is not None
    assert again.interval == first.interval
    assert again.decision.case == first.decision.case
    assert again.decision.action is pk.MappingAction.ALREADY_MAPPED
    assert (first.interval.by, first.interval.commission_from) == (
        "ops@zillium.example",
        datetime(2026, 1, 5, tzinfo=UTC),
    )
    assert len(kit.mapping.history(acme.id, "crm", actor=STAFF)) == 1


def test_a_pending_approval_belongs_to_one_customer_and_product(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    for customer in (acme, globex):
        paid_days_ago(kit, customer, 45)
    kit.customers.set_plan(
        acme.id, "books", "paid", since=kit.today() - timedelta(days=45), actor=STAFF
    )
    requests = [
        kit.mapping.add_customer(zillium.id, customer.id, product, actor=user_of(zillium)).request
        for customer, product in ((acme, "crm"), (globex, "crm"), (acme, "books"))
    ]
    assert [(r.customer_id, r.product) for r in requests if r is not None] == [
        (acme.id, "crm"),
        (globex.id, "crm"),
        (acme.id, "books"),
    ]
    assert all(r is not None and r.requested_by == "ops@zillium.example" for r in requests)


def test_a_pending_transfer_to_the_partner_is_no_approval_request(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    transfer = kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    kit.mapping.unmap(acme.id, "crm", reason="left Nimbus", actor=STAFF)
    result = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    assert result.request is None
    assert result.interval is not None and result.interval.partner_id == zillium.id
    assert transfer.kind is ConsentKind.TRANSFER


def test_the_provisional_expiry_is_due_the_day_after_the_deadline(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    assert kit.mapping.next_provisional_due() is None
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    due = datetime(2026, 4, 6, tzinfo=UTC)
    assert kit.mapping.next_provisional_due() == due
    assert kit.mapping.expire_provisional(due - timedelta(microseconds=1)) == 0
    assert kit.mapping.expire_provisional(due) == 1
    [ended] = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert (ended.valid_to, ended.ended_by) == (due, "partnerkit")
    assert kit.mapping.expire_provisional(due) == 0
    assert kit.mapping.next_provisional_due() is None


def test_an_upgrade_after_the_deadline_does_not_keep_the_mapping(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, pk_clock: pk.SimulatedClock
) -> None:
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    pk_clock.set(datetime(2026, 4, 7, 9, tzinfo=UTC))  # the due run has not run yet
    kit.customers.set_plan(acme.id, "crm", "paid", actor=STAFF)
    # Over at once, without the due run (issue 8, item 3): the upgrade's own transaction
    # already recorded the end it found, so the run has nothing left to record.
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None
    [ended] = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert ended.valid_to == datetime(2026, 4, 6, tzinfo=UTC)
    assert kit.mapping.expire_provisional(kit.now()) == 0
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None


def test_the_expiry_run_records_what_reads_showed_even_for_a_plan_stored_without_its_event(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    """A plan stored without its PlanChanged event (an import, a host writing the store) does
    not keep the mapping: reads already answer by the deadline, and the due run records
    exactly what they showed (issue 8, item 3). Record plans with `set_plan`."""
    from partnerkit.customers.plans import Edition, ProductPlan

    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    with kit.backend.unit_of_work() as uow:
        customer = uow.customers.get(acme.id)
        assert customer is not None
        paid = ProductPlan("crm", Edition.PAID, date(2026, 4, 5))
        uow.customers.update(attrs.evolve(customer, products=(paid,)))
    after = datetime(2026, 4, 6, tzinfo=UTC)
    assert kit.mapping.partner_of_record(acme.id, "crm", as_of=after, actor=STAFF) is None
    assert kit.mapping.expire_provisional(after) == 1
    assert kit.mapping.partner_of_record(acme.id, "crm", as_of=after, actor=STAFF) is None


def test_a_transfer_records_who_asked_who_confirmed_and_when_commission_moves(
    kit: pk.Kit,
    zillium: pk.Partner,
    nimbus: pk.Partner,
    acme: pk.Customer,
    pk_clock: pk.SimulatedClock,
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    kit.customers.add_user(acme.id, "cfo@acme.example", name="CFO", admin=True, actor=STAFF)
    request = kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    assert request.requested_by == ADMIN
    [notice] = kit.outbox(topic="mapping.transfer_notice")
    assert notice.payload["context"] == {
        "customer_id": acme.id,
        "product": "crm",
        "request": request.id,
    }
    pk_clock.advance(days=2)
    cfo = pk.Principal.customer_user(acme.id, "cfo@acme.example")
    done = kit.mapping.confirm(token_in(kit, "mapping.transfer_requested"), actor=cfo)
    assert [(c.by, c.at) for c in done.confirmations] == [("cfo@acme.example", kit.now())]
    closed, new = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert (closed.ended_by, closed.ended_reason) == (ADMIN, "transferred to another partner")
    assert (new.by, new.commission_from, new.valid_from) == (
        "cfo@acme.example",
        kit.now(),
        kit.now(),
    )
    [effective] = kit.outbox(topic="consent.transfer.effective")
    assert effective.payload == {
        "kind": "transfer",
        "request_id": request.id,
        "customer_id": acme.id,
    }


def test_a_transfer_whose_partner_left_meanwhile_is_not_confirmed(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    kit.mapping.unmap(acme.id, "crm", reason="left", actor=STAFF)
    with pytest.raises(NoPartnerOfRecordError):
        kit.mapping.confirm(token_in(kit, "mapping.transfer_requested"), actor=admin_of(acme))
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None


def test_an_approval_for_a_customer_tagged_meanwhile_is_refused(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer
) -> None:
    paid_days_ago(kit, acme, 45)
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    # The customer's own tag of another partner withdrew the approval (issue 8, item 1).
    with pytest.raises(ConsentNotPendingError):
        kit.mapping.confirm(token_in(kit, "mapping.approval_requested"), actor=admin_of(acme))
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF).partner_id == nimbus.id  # type: ignore[union-attr]


def test_a_confirmation_token_is_text_of_at_most_200_characters(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    for token in ("x" * 201, "", 12):
        with pytest.raises(InvalidInputError) as refused:
            kit.mapping.confirm(token, actor=admin_of(acme))  # type: ignore[arg-type]
        assert refused.value.details["field"] == "token"
    with pytest.raises(InvalidTokenError):
        kit.mapping.confirm("x" * 200, actor=admin_of(acme))


def test_pending_requests_of_another_partner_are_missing_to_a_partner(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner
) -> None:
    with pytest.raises(PartnerNotFoundError):
        kit.mapping.pending_requests(partner_id=zillium.id, actor=user_of(nimbus))


@pytest.mark.parametrize(
    ("who", "told"),
    [("admin", "An admin of Acme"), ("zillium", "Zillium"), ("staff", "The partner team")],
)
def test_a_cancellation_notice_says_who_cancelled(
    kit: pk.Kit, zillium: pk.Partner, nimbus: pk.Partner, acme: pk.Customer, who: str, told: str
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    request = kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    actor = {"admin": admin_of(acme), "zillium": user_of(zillium), "staff": STAFF}[who]
    kit.mapping.cancel_request(request.id, actor=actor)
    notices = kit.outbox(topic="mapping.request_cancelled")
    assert notices
    for notice in notices:
        assert notice.payload["context"] == {
            "request_id": request.id,
            "kind": "transfer",
            "customer_id": acme.id,
            "product": "crm",
            "cancelled_by": told,
        }
        assert told in str(notice.payload["body"])
    [event] = kit.outbox(topic="consent.transfer.cancelled")
    assert event.payload == {"kind": "transfer", "request_id": request.id, "customer_id": acme.id}


def test_written_consent_records_its_operator_and_evidence_and_starts_commission_now(
    kit: pk.Kit,
    zillium: pk.Partner,
    nimbus: pk.Partner,
    acme: pk.Customer,
    pk_clock: pk.SimulatedClock,
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin_of(acme))
    pk_clock.advance(days=1)
    for evidence in ("x" * 10_001, "", None):
        with pytest.raises(InvalidInputError) as refused:
            kit.mapping.record_written_consent(
                acme.id,
                "crm",
                zillium.id,
                evidence=evidence,
                actor=STAFF,  # type: ignore[arg-type]
            )
        assert refused.value.details["field"] == "evidence"
    moved = kit.mapping.record_written_consent(
        acme.id, "crm", zillium.id, evidence="e" * 10_000, actor=STAFF
    )
    old, new = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert old.ended_by == "team@vendor.example"
    assert (new, new.by, new.commission_from) == (moved, "team@vendor.example", kit.now())
    assert new.evidence == "e" * 10_000


def test_unmapping_records_its_reason_and_operator(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    for reason, product, field in (
        ("r" * 501, "crm", "reason"),
        ("", "crm", "reason"),
        ("fine", "", "product"),
        ("fine", 7, "product"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            kit.mapping.unmap(acme.id, product, reason=reason, actor=STAFF)  # type: ignore[arg-type]
        assert refused.value.details["field"] == field
    ended = kit.mapping.unmap(acme.id, "crm", reason="r" * 500, actor=STAFF)
    assert (ended.ended_reason, ended.ended_by, ended.valid_to) == (
        "r" * 500,
        "team@vendor.example",
        kit.now(),
    )


def test_a_partner_adding_its_written_consent_customer_gets_no_evidence(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    moved = kit.mapping.record_written_consent(
        acme.id, "crm", zillium.id, evidence="the customer's email", actor=STAFF
    )
    # First of the customer's mappings: its window opens now, not on all transactions.
    assert moved.commission_from == kit.now()
    again = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=user_of(zillium))
    assert again.interval == attrs.evolve(moved, evidence=None)
    assert kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF).interval == moved


def test_one_expiry_run_ends_every_lapsed_mapping_and_counts_them(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    for customer in (acme, globex):
        kit.mapping.add_customer(zillium.id, customer.id, "crm", actor=STAFF)
    assert kit.mapping.expire_provisional(datetime(2026, 4, 6, tzinfo=UTC)) == 2


def test_an_approved_mapping_is_opened_by_the_admin_who_approved(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    paid_days_ago(kit, acme, 45)
    kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
    kit.mapping.confirm(token_in(kit, "mapping.approval_requested"), actor=admin_of(acme))
    interval = kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF)
    assert interval is not None
    assert (interval.by, interval.channel) == (ADMIN, Channel.PARTNER_ADDED)


def test_an_approval_link_is_valid_for_30_days(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    """MappingPolicy.approval_valid_days: the seed is silent, a month is the bar."""
    paid_days_ago(kit, acme, 45)
    request = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF).request
    assert request is not None
    assert request.expires_at == START + timedelta(days=30)
    assert kit.mapping.next_consent_due() == START + timedelta(days=30)

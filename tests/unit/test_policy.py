"""The pure rules of 000_91620a113ccdeac1.txt (`decide_add`) and 001_e5546b4aab26b4b3.txt
(`decide_transfer`), called with values and dates: no kit, no storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

from partnerkit.consent import ConsentKind, ConsentRequest, ConsentStatus
from partnerkit.customers.accounts import Customer, Edition, ProductPlan
from partnerkit.errors import InvalidInputError
from partnerkit.mapping.adding import AddCase, AddDecision, decide_add
from partnerkit.mapping.errors import (
    CustomerMappedToAnotherPartnerError,
    NoPartnerOfRecordError,
    ProductHasPartnerError,
    SamePartnerError,
    TransferPendingError,
    TransferRequiredError,
)
from partnerkit.mapping.partners import Partner, PartnerKind
from partnerkit.mapping.policy import MappingPolicy, PartnerActivity
from partnerkit.mapping.records import Channel, MappingInterval, MappingStatus
from partnerkit.mapping.rules import (
    CommissionStart,
    MappingAction,
    MappingConsent,
    MappingRefusal,
    decide_mapping,
)
from partnerkit.mapping.transfers import TransferRefusal, decide_transfer

TODAY = date(2026, 3, 31)
POLICY = MappingPolicy()


def paid(days_ago: int) -> ProductPlan:
    return ProductPlan("crm", Edition.PAID, TODAY - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("days", "case"),
    [
        (29, AddCase.PAID_RECENTLY),
        (30, AddCase.PAID_RECENTLY),  # "within 30 days from the date of mapping"
        (31, AddCase.PAID_NEEDS_APPROVAL),  # "more than a month before"
    ],
)
def test_the_30_day_line(days: int, case: AddCase) -> None:
    decision = decide_add(paid(days), TODAY, POLICY)
    assert decision.case is case
    assert decision.days_paid == days
    assert decision.needs_confirmation is (case is AddCase.PAID_NEEDS_APPROVAL)
    assert not decision.provisional


def test_case_1_looks_back_one_calendar_month() -> None:
    decision = decide_add(paid(200), TODAY, POLICY)
    # March 31 minus one month is February 28 (2026 is not a leap year).
    assert decision.commission_from == datetime(2026, 2, 28, tzinfo=UTC)


def test_case_2_earns_on_all_transactions_since_the_customer_became_paid() -> None:
    # Issue 8: "all transactions" are the paid customer's, not those since the beginning of
    # time (a payment of 2020 is no commission for a customer paid 3 days ago).
    decision = decide_add(paid(3), TODAY, POLICY)
    assert decision.commission_from == datetime(2026, 3, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mapped", "deadline"),
    [
        (date(2026, 1, 5), date(2026, 4, 5)),
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 6, 30)),
    ],
)
def test_free_customers_get_3_calendar_months(mapped: date, deadline: date) -> None:
    for plan in (None, ProductPlan("crm", Edition.FREE, mapped)):
        decision = decide_add(plan, mapped, POLICY)
        assert decision.case is AddCase.FREE
        assert decision.provisional
        assert decision.provisional_until == deadline


def test_the_numbers_are_policy() -> None:
    strict = MappingPolicy(confirmation_after_days=7, provisional_months=1)
    assert decide_add(paid(8), TODAY, strict).case is AddCase.PAID_NEEDS_APPROVAL
    assert decide_add(None, TODAY, strict).provisional_until == date(2026, 4, 30)


# --- decide_transfer: 001_e5546b4aab26b4b3.txt -----------------------------------------------
# "When a customer wants to move from one partner to another for a Zoho Service, they can
# easily select a transfer partner option and add the new partner's code. A confirmation email
# will be sent to the customer and the existing partner before such change is implemented."

NOW = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
ACME = Customer(id="cus_acme", name="Acme", created_at=NOW - timedelta(days=400))


def partner(partner_id: str, name: str) -> Partner:
    return Partner(
        id=partner_id,
        name=name,
        email=f"hi@{name.lower()}.example",
        kind=PartnerKind.RESELLER,
        created_at=NOW - timedelta(days=500),
        last_active_at=NOW,
        expertise=("crm",),
    )


NIMBUS = partner("ptr_nimbus", "Nimbus")
ZILLIUM = partner("ptr_zillium", "Zillium")
MAPPED_TO_NIMBUS = MappingInterval(
    id="map_1",
    customer_id=ACME.id,
    product="crm",
    partner_id=NIMBUS.id,
    channel=Channel.TAG,
    valid_from=NOW - timedelta(days=90),
    reason="tagged",
    by="it@acme.example",
)


def request(
    kind: ConsentKind, *, product: str = "crm", status: ConsentStatus = ConsentStatus.REQUESTED
) -> ConsentRequest:
    return ConsentRequest(
        id=f"cns_{kind.value}",
        kind=kind,
        customer_id=ACME.id,
        product=product,
        partner_id=ZILLIUM.id,
        requested_by="it@acme.example",
        requested_at=NOW - timedelta(days=2),
        expires_at=NOW + timedelta(days=13),
        token_hash="x" * 64,
        status=status,
    )


def test_a_transfer_is_a_consent_request_that_changes_nothing_yet() -> None:
    decision = decide_transfer(ACME, "crm", MAPPED_TO_NIMBUS, ZILLIUM, [], NOW, POLICY)
    assert decision.allowed
    assert decision.refusal is None
    assert (decision.from_partner_id, decision.to_partner_id) == (NIMBUS.id, ZILLIUM.id)
    # "... before such change is implemented": the request lapses after the policy's 15 days.
    assert decision.valid_for == timedelta(days=15)
    assert decision.expires_at == NOW + timedelta(days=15)
    # The new partner earns from the confirmation on: no look-back into Nimbus's window.
    assert decision.commission_lookback_months == 0
    assert any("confirmation email" in reason for reason in decision.reasons)
    decision.raise_refusal()  # allowed: raises nothing


def test_a_transfer_needs_a_partner_of_record_to_move_from() -> None:
    # "move from one partner to another": with no partner of record there is nothing to move.
    decision = decide_transfer(ACME, "crm", None, ZILLIUM, [], NOW, POLICY)
    assert decision.refusal is TransferRefusal.NO_PARTNER_OF_RECORD
    assert (decision.from_partner_id, decision.expires_at) == (None, None)
    with pytest.raises(NoPartnerOfRecordError) as info:
        decision.raise_refusal()
    assert info.value.code == "mapping.no_partner_of_record"
    assert info.value.message == "Acme has no partner for crm to transfer from"
    assert info.value.details == {"customer_id": ACME.id, "product": "crm"}


def test_a_transfer_to_the_partner_of_record_is_refused() -> None:
    decision = decide_transfer(ACME, "crm", MAPPED_TO_NIMBUS, NIMBUS, [], NOW, POLICY)
    assert decision.refusal is TransferRefusal.SAME_PARTNER
    with pytest.raises(SamePartnerError) as info:
        decision.raise_refusal()
    assert info.value.code == "mapping.same_partner"
    assert info.value.message == "Nimbus is already the partner for crm"


def test_one_transfer_waits_at_a_time() -> None:
    waiting = request(ConsentKind.TRANSFER)
    decision = decide_transfer(ACME, "crm", MAPPED_TO_NIMBUS, ZILLIUM, [waiting], NOW, POLICY)
    assert decision.refusal is TransferRefusal.ALREADY_PENDING
    assert decision.pending_request_id == waiting.id
    with pytest.raises(TransferPendingError) as info:
        decision.raise_refusal()
    assert info.value.code == "mapping.transfer_pending"
    assert info.value.message == TransferPendingError.summary


def test_only_a_pending_transfer_of_the_same_product_blocks() -> None:
    others = [
        request(ConsentKind.MAPPING_APPROVAL),
        request(ConsentKind.TRANSFER, product="books"),
        request(ConsentKind.TRANSFER, status=ConsentStatus.EXPIRED),
        request(ConsentKind.TRANSFER, status=ConsentStatus.CANCELLED),
    ]
    decision = decide_transfer(ACME, "crm", MAPPED_TO_NIMBUS, ZILLIUM, others, NOW, POLICY)
    assert decision.allowed


def test_the_refusals_come_in_order() -> None:
    waiting = [request(ConsentKind.TRANSFER)]
    assert (
        decide_transfer(ACME, "crm", None, ZILLIUM, waiting, NOW, POLICY).refusal
        is TransferRefusal.NO_PARTNER_OF_RECORD
    )
    assert (
        decide_transfer(ACME, "crm", MAPPED_TO_NIMBUS, NIMBUS, waiting, NOW, POLICY).refusal
        is TransferRefusal.SAME_PARTNER
    )


def test_the_confirmation_window_is_policy() -> None:
    decision = decide_transfer(
        ACME, "crm", MAPPED_TO_NIMBUS, ZILLIUM, [], NOW, MappingPolicy(transfer_confirm_days=3)
    )
    assert decision.expires_at == datetime(2026, 4, 3, 9, 0, tzinfo=UTC)


# --- decide_mapping: one rule for every channel (issue 8) -------------------------------------
# 001: "all the mapping methods lead to the same outcome": the 000 case table decides the
# commission window and the 3 months; the channel, only whether consent is still needed.


def paid_acme(days_ago: int) -> Customer:
    plan = ProductPlan("crm", Edition.PAID, NOW.date() - timedelta(days=days_ago))
    return attrs.evolve(ACME, products=(plan,))


def test_a_case_1_customer_through_each_channel() -> None:
    acme = paid_acme(200)
    asked = decide_mapping(Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, NOW)
    assert (asked.action, asked.consent) == (MappingAction.ASK_APPROVAL, MappingConsent.NEEDED)
    assert asked.needs_confirmation
    for channel, consent in (
        (Channel.TAG, MappingConsent.CUSTOMER_ACT),
        (Channel.PARTNER_ADDED, MappingConsent.APPROVAL),
    ):
        mapped = decide_mapping(
            channel, acme, "crm", ZILLIUM, NOW, approved=channel is Channel.PARTNER_ADDED
        )
        assert (mapped.action, mapped.consent) == (MappingAction.MAP, consent)
        # March 31 minus one month is February 28.
        assert mapped.commission_from == datetime(2026, 2, 28, tzinfo=UTC)
        assert mapped.commission_start is CommissionStart.LOOKBACK
        assert not mapped.provisional


def test_another_partner_of_record_is_refused_in_the_words_of_each_channel() -> None:
    acme = paid_acme(10)
    cases = (
        (Channel.PARTNER_ADDED, False, MappingRefusal.MAPPED_TO_ANOTHER_PARTNER),
        (Channel.TAG, False, MappingRefusal.TRANSFER_REQUIRED),
        (Channel.PARTNER_ADDED, True, MappingRefusal.PRODUCT_HAS_PARTNER),
    )
    errors = (
        CustomerMappedToAnotherPartnerError,
        TransferRequiredError,
        ProductHasPartnerError,
    )
    for (channel, approved, refusal), error in zip(cases, errors, strict=True):
        decision = decide_mapping(
            channel, acme, "crm", ZILLIUM, NOW, current=MAPPED_TO_NIMBUS, approved=approved
        )
        assert (decision.action, decision.refusal) == (MappingAction.REFUSE, refusal)
        with pytest.raises(error):
            decision.raise_refusal()


def test_waiting_approvals_the_partner_waits_on_and_the_customer_settles() -> None:
    acme = paid_acme(200)
    mine = request(ConsentKind.MAPPING_APPROVAL)
    theirs = attrs.evolve(mine, id="cns_other", partner_id=NIMBUS.id)
    waits = decide_mapping(Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, NOW, pending=[mine, theirs])
    assert (waits.action, waits.pending_request_id) == (MappingAction.AWAIT_APPROVAL, mine.id)
    tag = decide_mapping(Channel.TAG, acme, "crm", ZILLIUM, NOW, pending=[mine, theirs])
    assert tag.action is MappingAction.MAP
    assert (tag.pending_request_id, tag.superseded_request_ids) == (mine.id, (theirs.id,))
    # A partner's add is no choice of the customer's: it supersedes nothing.
    free = decide_mapping(Channel.PARTNER_ADDED, ACME, "crm", NIMBUS, NOW, pending=[mine])
    assert free.superseded_request_ids == ()


def test_the_3_months_of_a_free_customer_do_not_start_again() -> None:
    first = attrs.evolve(
        MAPPED_TO_NIMBUS,
        partner_id=ZILLIUM.id,
        valid_from=datetime(2026, 1, 5, 9, tzinfo=UTC),
        status=MappingStatus.PROVISIONAL,
        provisional_until=date(2026, 4, 5),
        provisional_ends_at=datetime(2026, 4, 6, tzinfo=UTC),
    ).close(datetime(2026, 2, 1, tzinfo=UTC), "unmapped", "partner team")
    again = decide_mapping(Channel.PARTNER_ADDED, ACME, "crm", ZILLIUM, NOW, history=[first])
    assert again.action is MappingAction.MAP
    assert (again.provisional_until, again.free_period_started) == (
        date(2026, 4, 5),
        date(2026, 1, 5),
    )
    late = decide_mapping(
        Channel.PARTNER_ADDED,
        ACME,
        "crm",
        ZILLIUM,
        datetime(2026, 5, 1, tzinfo=UTC),
        history=[first],
    )
    assert late.refusal is MappingRefusal.FREE_PERIOD_OVER
    # Another partner, the customer's own tag, or a free plan that began after (an upgrade
    # and a downgrade since) start afresh.
    assert decide_mapping(Channel.PARTNER_ADDED, ACME, "crm", NIMBUS, NOW, history=[first]).allowed
    assert decide_mapping(Channel.TAG, ACME, "crm", ZILLIUM, NOW, history=[first]).allowed
    downgraded = attrs.evolve(ACME, products=(ProductPlan("crm", Edition.FREE, date(2026, 3, 1)),))
    fresh = decide_mapping(Channel.PARTNER_ADDED, downgraded, "crm", ZILLIUM, NOW, history=[first])
    assert fresh.provisional_until == date(2026, 6, 30)


def test_the_customers_calendar_decides_the_day() -> None:
    # 01:00 on April 1 in Kolkata is still March 31 in UTC.
    late_evening = datetime(2026, 3, 31, 19, 30, tzinfo=UTC)
    acme = attrs.evolve(paid_acme(30), time_zone="Asia/Kolkata")
    local = decide_mapping(Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, late_evening)
    assert (local.mapping_date, local.days_paid, local.case) == (
        date(2026, 4, 1),
        31,
        AddCase.PAID_NEEDS_APPROVAL,
    )
    utc = decide_mapping(Channel.PARTNER_ADDED, paid_acme(30), "crm", ZILLIUM, late_evening)
    assert (utc.days_paid, utc.case) == (30, AddCase.PAID_RECENTLY)
    by_policy = decide_mapping(
        Channel.PARTNER_ADDED,
        paid_acme(30),
        "crm",
        ZILLIUM,
        late_evening,
        MappingPolicy(time_zone="Asia/Kolkata"),
    )
    assert by_policy.days_paid == 31


# --- every field of a decision (pinned by the mutation run) ----------------------------------


def _without_reasons(decision: AddDecision) -> AddDecision:
    return attrs.evolve(decision, reasons=())


@pytest.mark.parametrize("plan", [None, ProductPlan("crm", Edition.FREE, date(2025, 1, 1))])
def test_a_free_customers_decision(plan: ProductPlan | None) -> None:
    assert _without_reasons(decide_add(plan, TODAY, POLICY)) == AddDecision(
        case=AddCase.FREE,
        mapping_date=TODAY,
        needs_confirmation=False,
        provisional=True,
        paid_since=None,
        days_paid=None,
        provisional_until=date(2026, 6, 30),
        commission_from=datetime(2026, 3, 31, tzinfo=UTC),
        reasons=(),
        # The 3 months end when their last day ends on the customer's calendar (issue 8).
        provisional_ends_at=datetime(2026, 7, 1, tzinfo=UTC),
        time_zone="UTC",
        commission_start=CommissionStart.MAPPING_DAY,
    )


def test_a_long_paid_customers_decision() -> None:
    assert _without_reasons(decide_add(paid(200), TODAY, POLICY)) == AddDecision(
        case=AddCase.PAID_NEEDS_APPROVAL,
        mapping_date=TODAY,
        needs_confirmation=True,
        provisional=False,
        paid_since=TODAY - timedelta(days=200),
        days_paid=200,
        provisional_until=None,
        commission_from=datetime(2026, 2, 28, tzinfo=UTC),
        reasons=(),
        commission_start=CommissionStart.LOOKBACK,
    )


def test_a_recently_paid_customers_decision() -> None:
    assert _without_reasons(decide_add(paid(3), TODAY, POLICY)) == AddDecision(
        case=AddCase.PAID_RECENTLY,
        mapping_date=TODAY,
        needs_confirmation=False,
        provisional=False,
        paid_since=TODAY - timedelta(days=3),
        days_paid=3,
        provisional_until=None,
        # Case 2's "all transactions": every one since the day the customer became paid.
        commission_from=datetime(2026, 3, 28, tzinfo=UTC),
        reasons=(),
        commission_start=CommissionStart.SINCE_PAID,
    )


def test_a_transfer_decision_names_both_partners_and_the_product() -> None:
    allowed = decide_transfer(ACME, "crm", MAPPED_TO_NIMBUS, ZILLIUM, [], NOW, POLICY)
    assert (allowed.customer_id, allowed.product, allowed.to_partner_id) == (
        ACME.id,
        "crm",
        ZILLIUM.id,
    )
    same = decide_transfer(ACME, "crm", MAPPED_TO_NIMBUS, NIMBUS, [], NOW, POLICY)
    assert (same.customer_id, same.product, same.from_partner_id, same.to_partner_id) == (
        ACME.id,
        "crm",
        NIMBUS.id,
        NIMBUS.id,
    )
    assert (same.valid_for, same.expires_at, same.commission_lookback_months) == (None,) * 3
    none = decide_transfer(ACME, "crm", None, ZILLIUM, [], NOW, POLICY)
    assert (none.from_partner_id, none.to_partner_id) == (None, ZILLIUM.id)


# --- decide_mapping: the rules the mutation run of rules.py found loose --------------------
# `nox -s mutate -- src/partnerkit/mapping/rules.py`; each docstring names the mutants it kills.

FREE_WITH_ZILLIUM = attrs.evolve(
    MAPPED_TO_NIMBUS,
    partner_id=ZILLIUM.id,
    valid_from=NOW - timedelta(days=10),
    status=MappingStatus.PROVISIONAL,
    provisional_until=date(2026, 6, 21),
    provisional_ends_at=datetime(2026, 6, 22, tzinfo=UTC),
)


def test_a_decision_is_made_at_its_instant_with_the_terms_provisional_flag() -> None:
    """Every outcome, not only a mapping, carries the instant it was made at and whether the
    mapping is provisional (000 case 3: a free customer's is; case 1's is not). Kills
    decide_mapping__mutmut_46 (`at` set to None) and _49 (`provisional` set to None)."""
    asked = decide_mapping(Channel.PARTNER_ADDED, paid_acme(200), "crm", ZILLIUM, NOW)
    assert (asked.action, asked.at, asked.provisional) == (MappingAction.ASK_APPROVAL, NOW, False)
    again = decide_mapping(
        Channel.PARTNER_ADDED, ACME, "crm", ZILLIUM, NOW, current=FREE_WITH_ZILLIUM
    )
    assert (again.action, again.at, again.provisional) == (
        MappingAction.ALREADY_MAPPED,
        NOW,
        True,
    )
    assert again.provisional_until == again.terms.provisional_until == date(2026, 6, 30)


def test_only_the_customers_own_word_makes_a_provisional_mapping_permanent() -> None:
    """000 case 3's 3 months are for a mapping the customer did not ask for: its own tag of
    the partner already of record makes the mapping permanent, the partner adding it again
    does not, and neither does the tag when the policy keeps the 3 months even with consent.
    Kills decide_mapping__mutmut_72, _76, _80 and _84 (make_permanent None, inverted or
    dropped)."""
    tag = decide_mapping(Channel.TAG, ACME, "crm", ZILLIUM, NOW, current=FREE_WITH_ZILLIUM)
    assert (tag.action, tag.make_permanent) == (MappingAction.ALREADY_MAPPED, True)
    add = decide_mapping(
        Channel.PARTNER_ADDED, ACME, "crm", ZILLIUM, NOW, current=FREE_WITH_ZILLIUM
    )
    assert add.make_permanent is False
    kept = decide_mapping(
        Channel.TAG,
        ACME,
        "crm",
        ZILLIUM,
        NOW,
        MappingPolicy(provisional_with_consent=True),
        current=FREE_WITH_ZILLIUM,
    )
    assert kept.make_permanent is False


def test_only_a_waiting_approval_for_the_product_makes_the_partner_wait() -> None:
    """A partner's add waits on its own mapping approval for the product while the customer
    has not answered; a request for another product, one already answered, or a transfer
    request is no such approval, and the customer is asked (000 case 1). Kills
    decide_mapping__mutmut_92 and _93 (an `and` of the filter turned `or`)."""
    acme = paid_acme(200)
    others = [
        request(ConsentKind.MAPPING_APPROVAL, product="books"),
        request(ConsentKind.MAPPING_APPROVAL, status=ConsentStatus.EXPIRED),
        request(ConsentKind.TRANSFER),
    ]
    for other in others:
        decision = decide_mapping(Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, NOW, pending=[other])
        assert (decision.action, decision.pending_request_id) == (MappingAction.ASK_APPROVAL, None)
    mine = request(ConsentKind.MAPPING_APPROVAL)
    waits = decide_mapping(Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, NOW, pending=[mine])
    assert waits.action is MappingAction.AWAIT_APPROVAL


def test_only_the_customers_tag_completes_the_partners_waiting_request() -> None:
    """The customer's own tag completes the partner's waiting request, and says so; an
    approval through the request's link is that request itself (it completes nothing else),
    and a tag with no request waiting completes nothing. Kills _Draft.mapped__mutmut_26, _27,
    _28 and _62."""
    acme = paid_acme(200)
    mine = request(ConsentKind.MAPPING_APPROVAL)

    def completes(decision: object) -> bool:
        return any("completes" in r for r in decision.reasons)  # type: ignore[attr-defined]

    tag = decide_mapping(Channel.TAG, acme, "crm", ZILLIUM, NOW, pending=[mine])
    assert (tag.pending_request_id, completes(tag)) == (mine.id, True)
    approved = decide_mapping(
        Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, NOW, pending=[mine], approved=True
    )
    assert (approved.action, approved.consent) == (MappingAction.MAP, MappingConsent.APPROVAL)
    assert (approved.pending_request_id, completes(approved)) == (None, False)
    alone = decide_mapping(Channel.TAG, acme, "crm", ZILLIUM, NOW)
    assert (alone.pending_request_id, completes(alone)) == (None, False)


def test_a_re_added_free_customer_keeps_the_first_mappings_end() -> None:
    """000 case 3 does not start again: a partner re-adding a free customer keeps the first
    mapping's date, its last day and the instant its 3 months end, from the earliest of its
    provisional mappings in the current free period, one made on the plan's first day
    included. Kills _Draft.mapped__mutmut_49 (the instant from the new terms) and
    _first_free_mapping__mutmut_18, _20, _22 and _24 (`>=` to `>`, the earliest not chosen)."""
    free = attrs.evolve(ACME, products=(ProductPlan("crm", Edition.FREE, date(2026, 1, 5)),))
    first = attrs.evolve(
        FREE_WITH_ZILLIUM,
        id="map_first",
        valid_from=datetime(2026, 1, 5, tzinfo=UTC),
        provisional_until=date(2026, 4, 5),
        provisional_ends_at=datetime(2026, 4, 6, 1, tzinfo=UTC),
    ).close(datetime(2026, 1, 20, tzinfo=UTC), "unmapped", "partner team")
    second = attrs.evolve(
        first,
        id="map_second",
        valid_from=datetime(2026, 2, 1, tzinfo=UTC),
        provisional_until=date(2026, 5, 1),
        provisional_ends_at=datetime(2026, 5, 2, tzinfo=UTC),
    ).close(datetime(2026, 2, 20, tzinfo=UTC), "unmapped", "partner team")
    again = decide_mapping(
        Channel.PARTNER_ADDED, free, "crm", ZILLIUM, NOW, history=[second, first]
    )
    assert again.action is MappingAction.MAP
    assert (again.free_period_started, again.provisional_until, again.provisional_ends_at) == (
        date(2026, 1, 5),
        date(2026, 4, 5),
        datetime(2026, 4, 6, 1, tzinfo=UTC),
    )


def test_the_free_period_starts_on_the_customers_calendar() -> None:
    """The free period began on the plan's first day on the customer's calendar: a mapping
    at 00:30 in Kolkata that day (still the day before in UTC) belongs to it. Kills
    _first_free_mapping__mutmut_6 (the day's start taken without the customer's zone)."""
    plan = ProductPlan("crm", Edition.FREE, date(2026, 1, 5))
    kolkata = attrs.evolve(ACME, products=(plan,), time_zone="Asia/Kolkata")
    first = attrs.evolve(
        FREE_WITH_ZILLIUM,
        valid_from=datetime(2026, 1, 4, 19, 0, tzinfo=UTC),
        provisional_until=date(2026, 4, 5),
        provisional_ends_at=datetime(2026, 4, 5, 18, 30, tzinfo=UTC),
    ).close(datetime(2026, 1, 20, tzinfo=UTC), "unmapped", "partner team")
    again = decide_mapping(Channel.PARTNER_ADDED, kolkata, "crm", ZILLIUM, NOW, history=[first])
    assert (again.free_period_started, again.provisional_until) == (
        date(2026, 1, 5),
        date(2026, 4, 5),
    )


def test_a_refusal_of_the_free_period_names_its_days() -> None:
    """FREE_PERIOD_OVER says when the partner's 3 months started and ended (the refusal's
    error gives the last day). Kills _Draft.refused__mutmut_9 (the refusal's own facts
    dropped)."""
    first = attrs.evolve(
        FREE_WITH_ZILLIUM,
        valid_from=datetime(2026, 1, 5, 9, tzinfo=UTC),
        provisional_until=date(2026, 4, 5),
        provisional_ends_at=datetime(2026, 4, 6, tzinfo=UTC),
    ).close(datetime(2026, 2, 1, tzinfo=UTC), "unmapped", "partner team")
    late = decide_mapping(
        Channel.PARTNER_ADDED,
        ACME,
        "crm",
        ZILLIUM,
        datetime(2026, 5, 1, tzinfo=UTC),
        history=[first],
    )
    assert late.refusal is MappingRefusal.FREE_PERIOD_OVER
    assert (late.provisional_until, late.free_period_started) == (
        date(2026, 4, 5),
        date(2026, 1, 5),
    )


def test_a_partner_is_told_the_case_without_the_customers_billing_dates() -> None:
    """002: account information goes to a partner only once the account is tagged to it; so
    before, the partner hears case 2 and what happens next, not the day the customer became
    paid, the days since, nor a commission window starting on that day, in the decision or
    in its terms. Kills MappingDecision.as_told_to_partner__mutmut_16, _17, _26, _30 and _31."""
    acme = paid_acme(10)
    decision = decide_mapping(Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, NOW)
    told = decision.as_told_to_partner()
    paid_on = str(NOW.date() - timedelta(days=10))
    assert (told.terms.paid_since, told.terms.days_paid, told.terms.commission_from) == (
        None,
        None,
        None,
    )
    assert told.commission_from is None
    assert told.terms.reasons == (
        "the customer became paid within 30 days (use case 2)",
        "mapped at once without the customer's confirmation",
        "commission covers every transaction since the customer became paid",
    )
    assert not [r for r in (*told.reasons, *told.terms.reasons) if paid_on in r or "10 days" in r]
    assert told.case is AddCase.PAID_RECENTLY


@pytest.mark.parametrize("activity", ["sign_in", 3, ["sign_in", "coffee"]])
def test_a_policys_activity_is_refused_naming_the_field(activity: object) -> None:
    """MappingPolicy(activity=...) takes kinds of activity; a string, a non-iterable or an
    unknown kind is refused naming `activity`. Kills policy._activity__mutmut_1, _4, _7, _11,
    _12, _18, _19, _22, _24, _25 and _26."""
    with pytest.raises(InvalidInputError) as info:
        MappingPolicy(activity=activity)  # type: ignore[arg-type]
    assert info.value.details["field"] == "activity"
    assert MappingPolicy(activity=["sign_in"]).activity == {PartnerActivity.SIGN_IN}


KOLKATA = "Asia/Kolkata"
#: The first instant of 2026-03-31 in Kolkata (UTC+05:30).
KOLKATA_DAY = datetime(2026, 3, 30, 18, 30, tzinfo=UTC)


def test_the_case_table_counts_in_the_customers_time_zone() -> None:
    """Days are the customer's: the decision names the zone it counted in, and the commission
    window of case 2 and case 3 starts at the start of the customer's day. Kills
    decide_add__mutmut_30, _35, _50 and _113 (the zone dropped)."""
    free = decide_add(None, TODAY, POLICY, time_zone=KOLKATA)
    assert (free.time_zone, free.commission_from) == (KOLKATA, KOLKATA_DAY)
    recent = decide_add(paid(0), TODAY, POLICY, time_zone=KOLKATA)
    assert (recent.case, recent.time_zone, recent.commission_from) == (
        AddCase.PAID_RECENTLY,
        KOLKATA,
        KOLKATA_DAY,
    )


def test_only_a_provisional_mapping_has_a_last_day_and_an_end() -> None:
    """A free customer's own tag maps it for good: no last day, no end, in the mapping and in
    what an own tag of the partner already of record says; the partner adding it again keeps
    the 3 months' end. Kills decide_mapping__mutmut_121 and _177, _Draft._decision__mutmut_23,
    _26 and _27."""
    tag = decide_mapping(Channel.TAG, ACME, "crm", ZILLIUM, NOW)
    assert (tag.action, tag.provisional) == (MappingAction.MAP, False)
    assert (tag.provisional_until, tag.provisional_ends_at, tag.free_period_started) == (
        None,
        None,
        None,
    )
    again = decide_mapping(Channel.TAG, ACME, "crm", ZILLIUM, NOW, current=FREE_WITH_ZILLIUM)
    assert (again.provisional, again.provisional_until, again.provisional_ends_at) == (
        False,
        None,
        None,
    )
    added = decide_mapping(
        Channel.PARTNER_ADDED, ACME, "crm", ZILLIUM, NOW, current=FREE_WITH_ZILLIUM
    )
    assert added.provisional_ends_at == added.terms.provisional_ends_at is not None
    fresh = decide_mapping(Channel.PARTNER_ADDED, ACME, "crm", ZILLIUM, NOW)
    assert fresh.provisional and fresh.free_period_started is None


def test_a_paid_customer_has_no_free_period_to_resume() -> None:
    """000 case 3 is a free customer's: a partner adding a paid customer (case 2) maps it for
    good, whatever provisional mapping it once had. Kills decide_mapping__mutmut_123."""
    acme = paid_acme(10)
    earlier = attrs.evolve(
        FREE_WITH_ZILLIUM,
        valid_from=NOW - timedelta(days=5),
        provisional_until=date(2026, 3, 30),
        provisional_ends_at=datetime(2026, 3, 31, tzinfo=UTC),
    ).close(NOW - timedelta(days=2), "unmapped", "partner team")
    decision = decide_mapping(Channel.PARTNER_ADDED, acme, "crm", ZILLIUM, NOW, history=[earlier])
    assert (decision.action, decision.provisional, decision.free_period_started) == (
        MappingAction.MAP,
        False,
        None,
    )


def test_a_first_free_mapping_without_a_recorded_end_ends_with_its_last_day() -> None:
    """A first free mapping recorded before its end instant was kept ends at the end of its
    last day on the customer's calendar, and at that instant the 3 months are over. Kills
    decide_mapping__mutmut_141 to _145."""
    kolkata = attrs.evolve(ACME, time_zone=KOLKATA)
    first = attrs.evolve(
        FREE_WITH_ZILLIUM,
        valid_from=datetime(2026, 1, 5, 9, tzinfo=UTC),
        provisional_until=date(2026, 4, 5),
        provisional_ends_at=None,
    ).close(datetime(2026, 2, 1, tzinfo=UTC), "unmapped", "partner team")
    end = datetime(2026, 4, 5, 18, 30, tzinfo=UTC)  # 2026-04-06 00:00 in Kolkata
    again = decide_mapping(Channel.PARTNER_ADDED, kolkata, "crm", ZILLIUM, NOW, history=[first])
    assert (again.action, again.provisional_ends_at) == (MappingAction.MAP, end)
    over = decide_mapping(Channel.PARTNER_ADDED, kolkata, "crm", ZILLIUM, end, history=[first])
    assert over.refusal is MappingRefusal.FREE_PERIOD_OVER

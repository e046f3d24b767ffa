"""The pure rules of 000_91620a113ccdeac1.txt (`decide_add`) and 001_e5546b4aab26b4b3.txt
(`decide_transfer`), called with values and dates: no kit, no storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

from partnerkit.consent import ConsentKind, ConsentRequest, ConsentStatus
from partnerkit.customers.accounts import Customer, Edition, ProductPlan
from partnerkit.mapping.adding import AddCase, AddDecision, decide_add
from partnerkit.mapping.errors import (
    NoPartnerOfRecordError,
    SamePartnerError,
    TransferPendingError,
)
from partnerkit.mapping.partners import Partner, PartnerKind
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.records import Channel, MappingInterval
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


def test_case_2_earns_on_all_transactions() -> None:
    assert decide_add(paid(3), TODAY, POLICY).commission_from is None


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
        commission_from=None,
        reasons=(),
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

"""The rules issue 14's mutation run found loose, one named test per finding.

Each docstring names the mutant it kills (as mutmut writes it, in the module it changes);
`nox -s mutate` shows which mutants still survive. Commission windows follow
000_91620a113ccdeac1.txt ("commission for the last one month's transactions", "for all
transactions") and 001_e5546b4aab26b4b3.txt (transfers).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

import partnerkit as pk
from partnerkit.consent import ConsentKind, ConsentRequest, ConsentStatus
from partnerkit.errors import InvalidAmountError, InvalidInputError
from partnerkit.mapping.adding import decide_add
from partnerkit.mapping.codes import MAX_LENGTH, MIN_LENGTH, advise_code
from partnerkit.mapping.commission_values import EntryKind
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.money import MAX_DIGITS, Money, apportion

STAFF = pk.Principal.staff("team@vendor.example")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ADMIN = "it@acme.example"


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


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
    return p


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(name="Acme", admin_email=ADMIN, actor=STAFF)


def tag(kit: pk.Kit, customer: pk.Customer) -> None:
    kit.mapping.tag_partner(
        customer.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(customer.id, ADMIN)
    )


def accrue(kit: pk.Kit, customer: pk.Customer, txn: str, amount: str, when: datetime):  # type: ignore[no-untyped-def]
    return kit.commissions.accrue(
        customer.id, "crm", transaction_id=txn, amount=usd(amount), occurred_at=when, actor=STAFF
    )


# --- commission rate bounds ---------------------------------------------------------------


@pytest.mark.parametrize("rate", [Decimal(0), Decimal("0.0"), 0, "0", Decimal(100), 100, "100.00"])
def test_a_commission_rate_may_be_0_or_100_percent(
    kit: pk.Kit, zillium: pk.Partner, rate: Decimal | int | str
) -> None:
    """0 % and 100 % are both plans (docs/tutorials/partner-program.md, "Commissions"): a
    percentage of a collected amount runs from none of it to all of it. 0 % keeps a partner
    on the ledger without paying it (a referral-only or suspended partner); 100 % passes a
    whole payment on, which partner programs offer as a launch bonus on a first payment.

    Kills commissions `_rate`: `0 <= value` -> `0 < value` / `1 <= value`, and
    `value <= 100` -> `value < 100`."""
    plan = kit.commissions.set_plan(zillium.id, rate=rate, actor=STAFF)
    assert plan.rate == Decimal(str(rate))


@pytest.mark.parametrize("rate", [Decimal("100.5"), Decimal("100.0001"), "101", Decimal("-0.5")])
def test_a_commission_rate_beyond_0_to_100_percent_is_refused(
    kit: pk.Kit, zillium: pk.Partner, rate: Decimal | str
) -> None:
    """More than all of a payment, or less than none, is no commission. Kills `_rate`:
    `value <= 100` -> `value <= 101`, `0 <= value` -> `-1 <= value`."""
    with pytest.raises(InvalidInputError) as refused:
        kit.commissions.set_plan(zillium.id, rate=rate, actor=STAFF)
    assert refused.value.details["field"] == "rate"
    assert kit.commissions.plan(zillium.id, actor=STAFF) is None


def test_a_0_percent_plan_books_a_zero_entry_and_no_plan_books_nothing(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    """A mapped partner with no commission plan earns nothing: `accrue` returns None and the
    ledger stays empty; with a 0 % plan the transaction is booked at 0.00.

    Kills commissions `accrue`: `interval is None or plan is None` -> `... and ...`, and
    `_earner`'s `limit = None if plan is None ...` -> `... if (plan is None) and False ...`."""
    tag(kit, acme)
    assert accrue(kit, acme, "t-no-plan", "100.00", START) is None
    assert kit.commissions.entries(zillium.id, actor=STAFF) == []
    kit.commissions.set_plan(zillium.id, rate=0, actor=STAFF)
    entry = accrue(kit, acme, "t-zero", "100.00", START)
    assert entry is not None
    assert (entry.base, entry.commission) == (usd("100.00"), usd("0.00"))


# --- statements include their last day --------------------------------------------------


def test_a_statement_includes_its_first_and_last_day_and_nothing_beyond(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer, pk_clock: pk.SimulatedClock
) -> None:
    """From `start` to `end`, both days included: a payment in the last microsecond of `end`
    counts, one at midnight after it does not (nor one just before `start`).

    Kills commissions `statement`: `last + timedelta(days=1)` -> `days=2` / `- timedelta`,
    and the end bound dropped or None."""
    kit.commissions.set_plan(zillium.id, rate=10, actor=STAFF)
    tag(kit, acme)
    pk_clock.advance(days=40)
    first, last = date(2026, 1, 6), date(2026, 1, 31)
    tick = timedelta(microseconds=1)
    at = {
        "before-start": datetime(2026, 1, 6, tzinfo=UTC) - tick,
        "start": datetime(2026, 1, 6, tzinfo=UTC),
        "end": datetime(2026, 2, 1, tzinfo=UTC) - tick,
        "after-end": datetime(2026, 2, 1, tzinfo=UTC),
        "next-day": datetime(2026, 2, 2, 12, tzinfo=UTC),
    }
    for txn, when in at.items():
        assert accrue(kit, acme, txn, "10.00", when) is not None
    statement = kit.commissions.statement(zillium.id, first, last, actor=STAFF)
    [line] = statement.lines
    assert line.entries == 2
    assert (line.base, line.commission) == (usd("20.00"), usd("2.00"))
    assert (statement.start, statement.end) == (first, last)


# --- refunds ------------------------------------------------------------------------------


@pytest.fixture
def booked(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> pk.Kit:
    """Zillium at 20 % earned on transaction t1 of 100.00 USD."""
    kit.commissions.set_plan(zillium.id, rate=20, actor=STAFF)
    tag(kit, acme)
    kit.advance_to(START + timedelta(days=5))
    accrue(kit, acme, "t1", "100.00", START + timedelta(days=1))
    return kit


def refund(kit: pk.Kit, txn: str, amount: Money | None) -> pk.CommissionEntry:
    return kit.commissions.reverse(
        "t1", transaction_id=txn, amount=amount, occurred_at=kit.now(), actor=STAFF
    )


def test_a_refund_of_exactly_what_is_left_is_allowed_and_a_cent_more_refused(
    booked: pk.Kit,
) -> None:
    """Refunds together never exceed the transaction: 60.00 then 40.00 of 100.00 is allowed,
    one cent more is refused. Kills `reverse`: `already + refund > original` -> `>=`."""
    refund(booked, "r1", usd("60.00"))
    with pytest.raises(InvalidInputError) as refused:
        refund(booked, "r2", usd("40.01"))
    assert refused.value.details["field"] == "amount"
    last = refund(booked, "r2", usd("40.00"))
    assert (last.base, last.commission) == (usd("-40.00"), usd("-8.00"))
    with pytest.raises(InvalidInputError):
        refund(booked, "r3", usd("0.01"))


def test_a_refund_without_an_amount_refunds_the_whole_transaction(booked: pk.Kit) -> None:
    """Kills `reverse`: `refund = original.base if amount is None ...` swapped or dropped."""
    entry = refund(booked, "r1", None)
    assert (entry.kind, entry.base, entry.commission) == (
        EntryKind.REVERSAL,
        usd("-100.00"),
        usd("-20.00"),
    )
    assert entry.reverses == "t1"


@pytest.mark.parametrize(
    "amount",
    [Money.of("10.00", "EUR"), usd("0.00"), usd("-10.00")],
    ids=["another-currency", "zero", "negative"],
)
def test_a_refund_in_another_currency_or_of_nothing_or_less_is_refused(
    booked: pk.Kit, zillium: pk.Partner, amount: Money
) -> None:
    """Each condition refuses on its own: a positive amount in another currency too.
    Kills `reverse`: `currency != ... or not refund.is_positive` -> `... and ...`."""
    with pytest.raises(InvalidInputError) as refused:
        refund(booked, "r1", amount)
    assert refused.value.details["field"] == "amount"
    ledger = booked.commissions.entries(zillium.id, actor=STAFF)
    assert [e.transaction_id for e in ledger] == ["t1"]


# --- apportion -----------------------------------------------------------------------------


def test_apportion_gives_the_rounding_cent_to_the_largest_remainder_whatever_the_order() -> None:
    """The spare cent goes to the part that rounding moved furthest from its exact value, not
    to a position; reversing the parts moves the cent with its part, and a tie goes to the
    earlier part. Kills `apportion`: the sort key's sign (`-lost[index]` -> `lost[index]`)."""
    parts = [Decimal("0.3341"), Decimal("0.3349"), Decimal("0.3310")]
    assert apportion(usd("1.00"), parts) == [usd("0.33"), usd("0.34"), usd("0.33")]
    assert apportion(usd("1.00"), parts[::-1]) == [usd("0.33"), usd("0.34"), usd("0.33")]
    # Overshot: 0.135 and 0.135 round up to 0.14 each; the one that gained most gives back.
    over = [Decimal("0.1351"), Decimal("0.135"), Decimal("0.1299")]
    assert apportion(usd("0.40"), over) == [usd("0.14"), usd("0.13"), usd("0.13")]
    third = Decimal(1) / 3
    assert apportion(usd("1.00"), [third] * 3) == [usd("0.34"), usd("0.33"), usd("0.33")]


def test_apportion_mends_one_unit_per_part_and_no_more() -> None:
    """Two parts may each move one cent, so a total two cents off is mended and three are
    refused. Kills `apportion`: `abs(missing) > len(counts)` -> `>=`."""
    assert apportion(usd("0.02"), [Decimal("0.004"), Decimal("0.004")]) == [usd("0.01")] * 2
    with pytest.raises(InvalidInputError) as refused:
        apportion(usd("0.03"), [Decimal("0.004"), Decimal("0.004")])
    assert refused.value.details["field"] == "exact_parts"


# --- Money x Decimal, comparisons, the digit limit ---------------------------------------


@pytest.mark.parametrize(
    ("amount", "factor", "product"),
    [
        ("10", "0.6667", "6.67"),  # 6.667: rounds up
        ("10", "0.6665", "6.66"),  # 6.665: a tie, to the even cent
        ("10", "0.6675", "6.68"),  # 6.675: a tie, to the even cent
        ("-10", "0.6667", "-6.67"),
        ("-10", "0.6665", "-6.66"),
        ("0.05", "0.3", "0.02"),  # 0.015: a tie, to the even cent
    ],
)
def test_money_times_a_decimal_rounds_half_even_once(
    amount: str, factor: str, product: str
) -> None:
    """Kills `_divide_rounded`: `twice = 2 * remainder` -> `2 / remainder`, and
    `quotient % 2 == 1` altered on ties."""
    assert usd(amount) * Decimal(factor) == usd(product)


def test_equal_amounts_are_neither_greater_nor_less() -> None:
    """Kills `Money.__gt__`: `>` -> `>=` (and `__lt__`, `__le__`, `__ge__` the same way)."""
    one, same = usd("1.00"), usd("1")
    assert not one > same
    assert not one < same
    assert one >= same
    assert one <= same


def test_an_amount_holds_at_most_60_digits() -> None:
    """MAX_DIGITS counts every digit, the minor units included: 58 + 2 for USD, 60 for JPY."""
    assert MAX_DIGITS == 60
    assert Money.of("9" * 58 + ".99", "USD").minor_units == 10**60 - 1
    assert Money.of("9" * 60, "JPY").minor_units == 10**60 - 1
    with pytest.raises(InvalidAmountError) as refused:
        Money.of("9" * 59, "USD")
    assert refused.value.details["field"] == "amount"
    with pytest.raises(InvalidAmountError):
        Money.of("9" * 61, "JPY")
    with pytest.raises(InvalidAmountError) as too_many:
        Money.from_minor(10**60, "JPY")
    assert too_many.value.details["field"] == "units"


# --- a free customer's commission window ---------------------------------------------------


def test_a_free_customers_commission_starts_on_the_mapping_day(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    """Use case 3 (000 seed) maps a free customer at once and says nothing of commission
    before the mapping: the window opens at the start of the mapping day, not on "all
    transactions" as in use case 2. Kills `decide_add`: `commission_from=start_of_day(today)`
    -> `None`, and `AddingService.add_customer`'s `commission_from=...` -> `None`."""
    decision = decide_add(None, date(2026, 1, 5), MappingPolicy())
    assert decision.commission_from == datetime(2026, 1, 5, tzinfo=UTC)
    kit.commissions.set_plan(zillium.id, rate=10, actor=STAFF)
    interval = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF).interval
    assert interval is not None
    assert interval.commission_from == datetime(2026, 1, 5, tzinfo=UTC)
    day_before = datetime(2026, 1, 5, tzinfo=UTC) - timedelta(microseconds=1)
    assert accrue(kit, acme, "t-before", "10.00", day_before) is None
    assert accrue(kit, acme, "t-morning", "10.00", datetime(2026, 1, 5, 8, tzinfo=UTC))


# --- partner code scoring ------------------------------------------------------------------


def _rules(text: str) -> list[str]:
    return [problem.rule for problem in advise_code(text).problems]


def test_the_length_limits_are_exactly_4_and_20_characters() -> None:
    """4 and 20 characters are in the window, 3 and 21 are not; up to 20 a long code is only
    hard to remember (20 off), beyond it refused (40 off). Kills `_problems`:
    `length < MIN_LENGTH` -> `<=`, `length > MAX_LENGTH` -> `>=`, and the refusal weight
    dropped (`_REFUSED_WEIGHT` -> None, the weight test forced)."""
    assert (MIN_LENGTH, MAX_LENGTH) == (4, 20)
    assert _rules("ABCD") == []
    assert _rules("ABC") == ["too_short"]
    at_most = advise_code("ABCDEFGHIJKLMNOPQRST")
    assert (at_most.valid, at_most.score, _rules(at_most.code)) == (True, 80, ["too_long"])
    beyond = advise_code("ABCDEFGHIJKLMNOPQRSTU")
    assert (beyond.valid, beyond.score, _rules(beyond.code)) == (False, 60, ["too_long"])


def test_a_long_company_name_gets_shortened_suggestions() -> None:
    """A name longer than MEMORABLE_LENGTH gives codes too long to be valid; the shortened
    forms are suggested instead (this branch of `_candidates` had no test). Kills
    `_candidates`' shortening mutants and `_suggest`'s `continue` -> `break` on an invalid
    candidate."""
    advice = advise_code("IBM!", company="Internationalbusiness")
    assert advice.suggestions == (
        "INTERNATCorp",
        "INTERNATIOCo",
        "INTERNATTeam",
        "INTERNATIOHQ",
        "INTERNAGroup",
    )
    # Exactly 12 letters is still memorable: no shortened forms, the name itself comes first.
    assert advise_code("x", company="Transoceanic").suggestions == (
        "TRANSOCEANIC",
        "TRANSOCEANICCorp",
        "TRANSOCEANICCo",
        "TRANSOCEANICTeam",
        "TRANSOCEANICHQ",
    )


def test_suggestions_with_fewer_problems_come_first() -> None:
    """A 10-letter name plus a suffix passes 12 characters and is hard to remember, so the bare
    name outranks the seed's preferred "name + Corp" there, and not for a short name.
    Kills `_suggest`: `cost = sum(...)` -> `None` (ranked by preference alone)."""
    assert advise_code("x", company="Abcdefghij").suggestions == (
        "ABCDEFGHIJ",
        "ABCDEFGHIJCo",
        "ABCDEFGHIJHQ",
        "ABCDEFGHIJCorp",
        "ABCDEFGHIJTeam",
    )
    assert advise_code("x", company="Zillium").suggestions == (
        "ZILLIUMCorp",
        "ZILLIUM",
        "ZILLIUMCo",
        "ZILLIUMTeam",
        "ZILLIUMHQ",
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("acmeCloudSuite", 3),  # small then capital: a new word
        ("ZILLIUMCorpTeam", 3),  # the end of a capitals run starts the next word
        ("ACorpTeamHQ", 4),  # a one-letter capitals run before "Corp"
        ("ZILLIUMCorp", 2),
        ("Zillium2Corp", 2),  # digits split, but are no word
    ],
)
def test_camel_case_splits_words(code: str, words: int) -> None:
    """Kills `_words`: the case-change test `or` -> `and`, `len(current) > 1` -> `> 2`, and
    `current[:-1]` -> `current[:+1]` / `[:-2]`."""
    mixed = [p for p in advise_code(code).problems if p.rule == "mixed_words"]
    assert bool(mixed) is (words > 2)
    if mixed:
        assert f"are {words} words" in mixed[0].message


@pytest.mark.parametrize(
    ("company", "first"),
    [
        ("ZI11IUM", "ZILLIUMCorp"),  # next to an I, a 1 is an L
        ("Mi1ler", "MILLERCorp"),  # an i before it
        ("Ze1iss", "ZELISSCorp"),  # an i after it
        ("W1NSTON", "WINSTONCorp"),  # otherwise an I
        ("R0CKET", "ROCKETCorp"),  # a 0 between letters is an O
    ],
)
def test_a_1_between_letters_reads_as_l_or_i(company: str, first: str) -> None:
    """Kills `_fold_inner_digits`: the "i" neighbour test (`lower()` -> `upper()` on either
    side, forced true), `else "I"` -> `"i"`, and the "0" -> "O" replacement."""
    assert advise_code("x", company=company).suggestions[0] == first


# --- consent requests are closed when they end ----------------------------------------------


def _request(**changes: object) -> ConsentRequest:
    return ConsentRequest(
        id="req_1",
        kind=ConsentKind.TRANSFER,
        customer_id="cus_1",
        product="crm",
        partner_id="ptr_1",
        requested_by=ADMIN,
        requested_at=START,
        expires_at=START + timedelta(days=15),
        token_hash="h",
        **changes,  # type: ignore[arg-type]
    )


def test_a_consent_request_records_closed_at_on_expiry_and_cancellation() -> None:
    """Kills `ConsentRequest.expire`: `closed_at=now` -> None / dropped, `cancel`'s context
    forced to record a canceller when there is none, and `confirm`'s `closed_at` and
    confirmation time."""
    later = START + timedelta(days=15)
    expired = _request().expire(later)
    assert (expired.status, expired.closed_at, expired.effective_at) == (
        ConsentStatus.EXPIRED,
        later,
        None,
    )
    cancelled = _request(context={"source": "portal"}).cancel(later)
    assert (cancelled.status, cancelled.closed_at) == (ConsentStatus.CANCELLED, later)
    assert cancelled.context == {"source": "portal"}
    assert cancelled.cancelled_by is None
    confirmed = _request().confirm(ADMIN, later)
    assert (confirmed.closed_at, confirmed.effective_at) == (later, later)
    assert [(c.by, c.at) for c in confirmed.confirmations] == [(ADMIN, later)]


def test_an_expired_transfer_is_closed_at_its_expiry_run(
    kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer
) -> None:
    """The service path: the due run expires the request at the instant it runs, and says so.
    Kills `TransfersService.expire_consents`: `request.expire(now)` -> `expire(None)`, and the
    ConsentExpired event's request id or customer id -> None."""
    nimbus = kit.partners.register(
        name="Nimbus",
        username="nimbus",
        email="hi@nimbus.example",
        expertise=["crm"],
        actor=STAFF,
    )
    kit.partners.issue_code(nimbus.id, "NIMBUSHQ", actor=STAFF)
    admin = pk.Principal.customer_user(acme.id, ADMIN)
    kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", actor=admin)
    request = kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", actor=admin)
    due = START + timedelta(days=15)
    assert kit.mapping.next_consent_due() == due
    assert kit.mapping.expire_consents(due) == 1
    [expired] = kit.outbox(topic="consent.transfer.expired")
    assert expired.payload == {"kind": "transfer", "request_id": request.id, "customer_id": acme.id}
    with kit.backend.unit_of_work(readonly=True) as uow:
        stored = uow.consents.get(request.id)
    assert stored is not None
    assert (stored.status, stored.closed_at) == (ConsentStatus.EXPIRED, due)


# --- replays and negative accruals are booked once -------------------------------------------


def test_a_negative_accrual_is_refused_and_a_replayed_refund_booked_once(
    booked: pk.Kit, zillium: pk.Partner
) -> None:
    """A refund is not a negative accrual; and replaying a refund returns the first booking,
    even when the refund used up the transaction, so the ledger holds it once.
    Kills `accrue`'s `booked = get_by_transaction(txn)` -> None (checked by replaying after the
    plan's limit has passed, when no partner would earn on a new booking)."""
    [entry] = booked.commissions.entries(zillium.id, actor=STAFF)
    with pytest.raises(InvalidInputError) as refused:
        booked.commissions.accrue(
            entry.customer_id,
            "crm",
            transaction_id="t2",
            amount=usd("-1.00"),
            occurred_at=booked.now(),
            actor=STAFF,
        )
    assert refused.value.details["field"] == "amount"
    first = refund(booked, "r1", None)
    assert refund(booked, "r1", None) == first
    # A replay returns the booking even when no partner would earn on the transaction now:
    # here a plan limited to the mapping's first month since, which t2 of day 40 is past.
    booked.advance_to(START + timedelta(days=45))
    later = accrue(booked, _customer(booked, entry), "t2", "50.00", START + timedelta(days=40))
    booked.commissions.set_plan(zillium.id, rate=20, limit_months=1, actor=STAFF)
    assert (
        accrue(booked, _customer(booked, entry), "t3", "50.00", START + timedelta(days=41)) is None
    )
    assert (
        accrue(booked, _customer(booked, entry), "t2", "50.00", START + timedelta(days=40)) == later
    )
    ledger = booked.commissions.entries(entry.partner_id, actor=STAFF)
    assert [(e.transaction_id, e.kind) for e in ledger] == [
        ("t1", EntryKind.ACCRUAL),
        ("r1", EntryKind.REVERSAL),
        ("t2", EntryKind.ACCRUAL),
    ]


def _customer(kit: pk.Kit, entry: pk.CommissionEntry) -> pk.Customer:
    return kit.customers.get(entry.customer_id, actor=STAFF)

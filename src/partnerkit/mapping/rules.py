"""The one mapping rule every channel applies (000 and 001 seeds): the case table of a partner
adding a customer (`decide_add`) and, around it, `decide_mapping`, which says for any channel
what a mapping does, why, and with which commission window.

Pure functions over values and an instant: the services load the facts, call them, and do
what the decision says, so that what `explain_*` shows is what is done.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from dateutil.relativedelta import relativedelta

from partnerkit.clock import local_day, start_of_local_day, time_zone
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.customers.accounts import Customer, customer_zone
from partnerkit.customers.plans import Edition, ProductPlan
from partnerkit.mapping.errors import (
    CustomerMappedToAnotherPartnerError,
    FreePeriodOverError,
    ProductHasPartnerError,
    TransferRequiredError,
)
from partnerkit.mapping.partners import Partner
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.records import (
    CUSTOMER_CHANNELS,
    Channel,
    MappingInterval,
    MappingStatus,
)

__all__ = [
    "AddCase",
    "AddDecision",
    "CommissionStart",
    "MappingAction",
    "MappingConsent",
    "MappingDecision",
    "MappingRefusal",
    "decide_add",
    "decide_mapping",
]


class AddCase(enum.StrEnum):
    """Which of the 000 seed's three cases applies when a customer is mapped to a partner."""

    #: Use case 1: paid more than 30 days before the mapping date.
    PAID_NEEDS_APPROVAL = "paid_needs_approval"
    #: Use case 2: paid within 30 days of the mapping date.
    PAID_RECENTLY = "paid_recently"
    #: Use case 3: a free customer.
    FREE = "free"


class CommissionStart(enum.StrEnum):
    """Where a mapping's commission window starts, by the 000 seed's case."""

    #: Case 1: "the last one month's transactions": a month before the mapping day.
    LOOKBACK = "lookback"
    #: Case 2: "all transactions": every one since the customer became paid.
    SINCE_PAID = "since_paid"
    #: Case 3: a free customer has paid nothing yet: from the mapping day.
    MAPPING_DAY = "mapping_day"


@attrs.frozen
class AddDecision:
    """What adding a customer would do, and why: the 000 seed's rules in explainable form.

    Days are the customer's: `mapping_date` is the day on its calendar (its time zone, else the
    organisation's), and so are `paid_since` and `provisional_until`.

    Attributes:
        case: Which of the three cases applies.
        mapping_date: The day the decision is made for (the mapping date).
        needs_confirmation: Whether the customer must approve first (case 1).
        provisional: Whether the mapping would be provisional (case 3).
        paid_since: The day the customer became paid for the product; None for a free customer.
        days_paid: Days from `paid_since` to the mapping date; None for a free customer.
        provisional_until: The last day a free customer may upgrade to keep the mapping.
        commission_from: Start of the commission window: a month before the mapping day (case
            1), the day the customer became paid (case 2), the mapping day (case 3).
        reasons: The decision in plain words, one sentence each.
        provisional_ends_at: The instant the 3 months end: the end of `provisional_until` on
            the customer's calendar; None when not provisional.
        time_zone: The time zone the days were counted in.
        commission_start: Which of the three starts `commission_from` is.
    """

    case: AddCase
    mapping_date: date
    needs_confirmation: bool
    provisional: bool
    paid_since: date | None
    days_paid: int | None
    provisional_until: date | None
    commission_from: datetime | None
    reasons: tuple[str, ...]
    provisional_ends_at: datetime | None = None
    time_zone: str = "UTC"
    commission_start: CommissionStart = CommissionStart.MAPPING_DAY


def decide_add(
    plan: ProductPlan | None,
    today: date,
    policy: MappingPolicy,
    *,
    time_zone: str | None = None,
) -> AddDecision:
    """Which of the 000 seed's three cases applies on a day to a customer with a plan.

    The case table itself, which `decide_mapping` applies for every channel.

    - Paid for more than `policy.confirmation_after_days` (30) days: case 1, the customer must
      approve; commission from `commission_lookback_months` (1) before the mapping date, never
      before the customer became paid.
    - Paid within those days: case 2, mapped at once; commission on every transaction since the
      customer became paid.
    - Free, or no plan for the product: case 3, mapped at once, provisionally, until
      `provisional_months` (3) after the mapping date; commission from the mapping date.

    Args:
        plan: The customer's plan for the product; None counts as free.
        today: The mapping date, on the customer's calendar.
        policy: The numbers of the rule.
        time_zone: The customer's time zone, which days start and end in; None for the
            policy's (the organisation's).

    Returns:
        The case, its dates and commission window, and the reasons in plain words.

    Raises:
        InvalidTimeZoneError: `time_zone` is not a time zone's name (`validation.time_zone`).
    """
    zone = _zone(time_zone or policy.time_zone)
    if plan is None or plan.edition is Edition.FREE:
        until = today + relativedelta(months=policy.provisional_months)
        return AddDecision(
            case=AddCase.FREE,
            mapping_date=today,
            needs_confirmation=False,
            provisional=True,
            paid_since=None,
            days_paid=None,
            provisional_until=until,
            commission_from=start_of_local_day(today, zone),
            reasons=(
                "the customer uses the free edition of this product",
                "mapped at once without the customer's confirmation (use case 3)",
                f"the mapping is removed unless the customer upgrades to paid by {until} "
                f"({policy.provisional_months} months from the mapping date)",
            ),
            provisional_ends_at=_end_of(until, zone),
            time_zone=zone.key,
            commission_start=CommissionStart.MAPPING_DAY,
        )
    days = (today - plan.since).days
    paid_from = start_of_local_day(plan.since, zone)
    if days > policy.confirmation_after_days:
        lookback = today - relativedelta(months=policy.commission_lookback_months)
        return AddDecision(
            case=AddCase.PAID_NEEDS_APPROVAL,
            mapping_date=today,
            needs_confirmation=True,
            provisional=False,
            paid_since=plan.since,
            days_paid=days,
            provisional_until=None,
            # Never before the customer became paid: there is nothing to earn on before.
            commission_from=max(start_of_local_day(lookback, zone), paid_from),
            reasons=(
                f"the customer became paid on {plan.since}, {days} days before {today}: more "
                f"than {policy.confirmation_after_days} days (use case 1)",
                "a confirmation email goes to the customer; the mapping takes effect when "
                "they approve through its link",
                f"commission covers the last {policy.commission_lookback_months} month(s) of "
                "transactions before the approval and everything after it",
            ),
            time_zone=zone.key,
            commission_start=CommissionStart.LOOKBACK,
        )
    return AddDecision(
        case=AddCase.PAID_RECENTLY,
        mapping_date=today,
        needs_confirmation=False,
        provisional=False,
        paid_since=plan.since,
        days_paid=days,
        provisional_until=None,
        commission_from=paid_from,
        reasons=(
            f"the customer became paid on {plan.since}, {days} days before {today}: within "
            f"{policy.confirmation_after_days} days (use case 2)",
            "mapped at once without the customer's confirmation",
            f"commission covers every transaction since the customer became paid on {plan.since}",
        ),
        time_zone=zone.key,
        commission_start=CommissionStart.SINCE_PAID,
    )


# --- one decision for every channel -----------------------------------------------------------


class MappingConsent(enum.StrEnum):
    """Whether the customer said yes to the mapping, and how."""

    #: The customer's own act: an admin's tag, or the customer's sign-up through the link.
    CUSTOMER_ACT = "customer_act"
    #: An admin approved the partner's request through the emailed link (000 case 1).
    APPROVAL = "approval"
    #: The customer must approve first: a confirmation email goes to its admins.
    NEEDED = "needed"
    #: The seed maps without the customer's confirmation (000 cases 2 and 3).
    NOT_NEEDED = "not_needed"


class MappingAction(enum.StrEnum):
    """What a decision does."""

    #: A mapping starts now.
    MAP = "map"
    #: Nothing is mapped yet: the customer is asked to approve (000 case 1).
    ASK_APPROVAL = "ask_approval"
    #: This partner's request is already waiting for the customer: nothing new is sent.
    AWAIT_APPROVAL = "await_approval"
    #: This partner is of record already: nothing new (a customer's own word may make a
    #: provisional mapping permanent, `make_permanent`).
    ALREADY_MAPPED = "already_mapped"
    #: Refused; `refusal` says which rule.
    REFUSE = "refuse"


class MappingRefusal(enum.StrEnum):
    """Why a mapping is refused; each has its error (and code) in `mapping.errors`."""

    #: A partner's add while another partner is of record (000: "Customer mapped to another
    #: partner").
    MAPPED_TO_ANOTHER_PARTNER = "mapped_to_another_partner"
    #: The customer's tag while another partner is of record: that is a transfer (001).
    TRANSFER_REQUIRED = "transfer_required"
    #: An approval clicked after another partner became of record for the product.
    PRODUCT_HAS_PARTNER = "product_has_partner"
    #: The partner's 3 months with this free customer were used up: re-adding does not
    #: start them again (000 case 3).
    FREE_PERIOD_OVER = "free_period_over"


@attrs.frozen
class MappingDecision:
    """What mapping this customer's product to this partner through this channel does at
    `at`, and why: the action, the consent it rests on, and the 000 case table's terms (the
    commission window and whether the mapping is provisional).

    It reads like the `AddDecision` of the case it applies (`case`, `needs_confirmation`,
    `commission_from`, `reasons`...), with what the channel adds.
    """

    channel: Channel
    customer_id: str
    product: str
    partner_id: str
    at: datetime
    action: MappingAction
    consent: MappingConsent
    #: The 000 case table on the customer's day.
    terms: AddDecision
    #: Whether the mapping that starts (or would start, once approved) is provisional.
    provisional: bool
    provisional_until: date | None
    provisional_ends_at: datetime | None
    commission_from: datetime | None
    #: The rule that applied, in one line.
    rule: str
    reasons: tuple[str, ...]
    refusal: MappingRefusal | None = None
    #: This partner's approval request the decision waits on, or completes.
    pending_request_id: str | None = None
    #: Other partners' approval requests the customer's own act supersedes.
    superseded_request_ids: tuple[str, ...] = ()
    #: The first mapping date of the partner's free period with this customer (000 case 3),
    #: when an earlier provisional mapping of it was removed.
    free_period_started: date | None = None
    #: For ALREADY_MAPPED: the customer's own word makes the provisional mapping permanent.
    make_permanent: bool = False

    # --- the AddDecision it reads like -------------------------------------------------------

    @property
    def case(self) -> AddCase:
        """The 000 seed's case that applies."""
        return self.terms.case

    @property
    def mapping_date(self) -> date:
        """The mapping day, on the customer's calendar."""
        return self.terms.mapping_date

    @property
    def paid_since(self) -> date | None:
        """The day the customer became paid for the product; None when free."""
        return self.terms.paid_since

    @property
    def days_paid(self) -> int | None:
        """Days from `paid_since` to the mapping day; None when free."""
        return self.terms.days_paid

    @property
    def time_zone(self) -> str:
        """The time zone the days were counted in."""
        return self.terms.time_zone

    @property
    def commission_start(self) -> CommissionStart:
        """Which of the three starts `commission_from` is."""
        return self.terms.commission_start

    @property
    def needs_confirmation(self) -> bool:
        """A confirmation email goes to the customer before anything is mapped."""
        return self.consent is MappingConsent.NEEDED

    @property
    def allowed(self) -> bool:
        """Whether the mapping is allowed (no `refusal`)."""
        return self.refusal is None

    @property
    def status(self) -> MappingStatus:
        """The status the mapping starts (or would start) with."""
        return MappingStatus.PROVISIONAL if self.provisional else MappingStatus.PERMANENT

    def as_told_to_partner(self) -> MappingDecision:
        """The decision as the partner may be told it, before the customer is its customer
        (002 seed: account information goes to a partner only once the account is tagged to
        it): the case and what happens next stay, the day the customer became paid and what
        follows from it (the days paid, a commission window that starts on it) go.

        Returns:
            The same decision, with `paid_since`, `days_paid` and `commission_from` left out
            and the reasons saying the case without the customer's dates.

        Raises nothing.
        """
        terms = self.terms
        if terms.paid_since is None:
            return self
        threshold = f"{terms.days_paid} days before {terms.mapping_date}"
        # "the customer became paid on <day>, <n> days before <day>: more than 30 days (use
        # case 1)" keeps its verdict and loses its dates.
        lead = {
            AddCase.PAID_NEEDS_APPROVAL: "the customer has been paid for",
            AddCase.PAID_RECENTLY: "the customer became paid",
        }[terms.case]

        def told(reason: str) -> str:
            if threshold in reason:
                return f"{lead} {reason.rpartition(': ')[2]}"
            if str(terms.paid_since) in reason:
                return "commission covers every transaction since the customer became paid"
            return reason

        return attrs.evolve(
            self,
            terms=attrs.evolve(
                terms,
                paid_since=None,
                days_paid=None,
                commission_from=None,
                reasons=tuple(told(r) for r in terms.reasons),
            ),
            commission_from=None,
            reasons=tuple(told(r) for r in self.reasons),
        )

    def raise_refusal(self) -> None:
        """Raise the refusal's typed error, the first reason its message; nothing when the
        mapping is allowed.

        Raises:
            CustomerMappedToAnotherPartnerError: A partner's add while another partner is of
                record (`mapping.mapped_to_another_partner`).
            TransferRequiredError: The customer's own act while another partner is of record
                (`mapping.transfer_required`).
            ProductHasPartnerError: An approval after another partner became of record
                (`mapping.product_has_partner`).
            FreePeriodOverError: The partner's 3 months with the free customer are over
                (`mapping.free_period_over`).
        """
        details = {"customer_id": self.customer_id, "product": self.product}
        if self.refusal is MappingRefusal.MAPPED_TO_ANOTHER_PARTNER:
            # The seed's own words, as partners know them.
            raise CustomerMappedToAnotherPartnerError(
                "Customer mapped to another partner", details=details
            )
        if self.refusal is MappingRefusal.TRANSFER_REQUIRED:
            raise TransferRequiredError(self.reasons[0], details=details)
        if self.refusal is MappingRefusal.PRODUCT_HAS_PARTNER:
            raise ProductHasPartnerError(self.reasons[0], details=details)
        if self.refusal is MappingRefusal.FREE_PERIOD_OVER:
            raise FreePeriodOverError(
                self.reasons[0],
                details={**details, "provisional_until": str(self.provisional_until)},
            )


def decide_mapping(
    channel: Channel,
    customer: Customer,
    product: str,
    partner: Partner,
    at: datetime,
    policy: MappingPolicy | None = None,
    *,
    current: MappingInterval | None = None,
    pending: Iterable[ConsentRequest] = (),
    history: Iterable[MappingInterval] = (),
    approved: bool = False,
) -> MappingDecision:
    """What mapping `customer`'s `product` to `partner` through `channel` does at `at`.

    The 000 case table, on the customer's day (`decide_add`), sets the commission window and
    whether the mapping is provisional; the channel decides only whether consent is still
    needed. A customer's own tag or sign-up is consent, and so is its approval (`approved`:
    the customer clicked the link of a partner's case-1 request; the decision is made again
    with the facts of that moment). A partner's add and the account a partner sets up are
    not: a customer paid for more than 30 days is asked first, and a free customer's mapping
    lasts 3 months unless they upgrade. With consent, it lasts unless
    `policy.provisional_with_consent`.

    Args:
        channel: how the customer comes to the partner.
        customer: the account, with its plans and time zone.
        product: the product's key.
        partner: the partner who would be of record.
        at: the instant of the decision.
        policy: the numbers; the seeds' by default.
        current: the mapping in force for the product (None when there is none).
        pending: the customer's approval requests still waiting for the product. For the
            same partner, a partner's add waits on it and the customer's own act completes
            it; another partner's is superseded by the customer's own act.
        history: the product's earlier intervals: a partner re-adding a free customer whose
            provisional mapping it had keeps the first mapping date (000 case 3 does not
            start again).
        approved: the customer approved this partner's request.

    Returns:
        The decision: what it does, the consent and terms, and the reasons. A refusal is
        part of the decision: `raise_refusal` raises it.

    Raises:
        InvalidTimeZoneError: The customer's or the policy's time zone is not a time zone's
            name (`validation.time_zone`); both are checked when stored, so only a value built
            by hand can be.
    """
    policy = policy if policy is not None else MappingPolicy()
    zone = customer_zone(customer, policy.time_zone)
    day = local_day(at, zone)
    terms = decide_add(customer.plan(product), day, policy, time_zone=zone.key)
    by_customer = channel in CUSTOMER_CHANNELS
    consented = by_customer or approved
    consent = (
        MappingConsent.CUSTOMER_ACT
        if by_customer
        else MappingConsent.APPROVAL
        if approved
        else MappingConsent.NEEDED
        if terms.needs_confirmation
        else MappingConsent.NOT_NEEDED
    )
    provisional = terms.provisional and (not consented or policy.provisional_with_consent)
    base = _Draft(channel, customer, product, partner, at, consent, terms, provisional)

    if current is not None and current.partner_id != partner.id:
        return _taken(base, approved)
    if current is not None:
        upgrade = (
            consented
            and current.status is MappingStatus.PROVISIONAL
            and not policy.provisional_with_consent
        )
        return base.done(
            MappingAction.ALREADY_MAPPED,
            f"{partner.name} is already the partner for {product}: nothing changes",
            (
                f"{customer.name} already works with {partner.name} for {product}",
                "their own word makes the mapping permanent"
                if upgrade
                else "nothing changes and nothing is sent",
            ),
            make_permanent=upgrade,
        )

    approvals = [
        r
        for r in pending
        if r.kind is ConsentKind.MAPPING_APPROVAL and r.is_pending and r.product == product
    ]
    mine = next((r.id for r in approvals if r.partner_id == partner.id), None)
    others = tuple(r.id for r in approvals if r.partner_id != partner.id)
    if not consented and mine is not None:
        return base.done(
            MappingAction.AWAIT_APPROVAL,
            f"{partner.name}'s request is already waiting for {customer.name}'s approval",
            (
                f"{partner.name} already asked {customer.name} to approve it for {product}",
                "nothing new is sent; the mapping takes effect when an admin approves",
            ),
            pending_request_id=mine,
        )
    if consent is MappingConsent.NEEDED:
        return base.done(
            MappingAction.ASK_APPROVAL,
            "Use case 1: a customer paid for more than "
            f"{policy.confirmation_after_days} days approves first",
            terms.reasons,
        )

    started: date | None = None
    until, ends_at = terms.provisional_until, terms.provisional_ends_at
    if provisional and not consented:
        first = _first_free_mapping(history, partner, customer.plan(product), zone)
        if first is not None:
            assert first.provisional_until is not None
            started, until = first.valid_from.astimezone(zone).date(), first.provisional_until
            ends_at = first.provisional_ends_at or _end_of(first.provisional_until, zone)
            if ends_at <= at:
                return base.refused(
                    MappingRefusal.FREE_PERIOD_OVER,
                    f"Use case 3: {partner.name}'s {policy.provisional_months} "
                    "months with this free customer are over",
                    (
                        f"You mapped {customer.name} for {product} on {started} while it used "
                        f"the free edition; those {policy.provisional_months} months ended on "
                        f"{until}, and adding it again does not start them anew",
                        "you can map it again once it upgrades to paid, or when an admin of "
                        "the customer tags you with your partner code",
                    ),
                    provisional_until=until,
                    free_period_started=started,
                )

    return base.mapped(
        policy,
        approvals=(mine, others if by_customer else ()),
        until=until if provisional else None,
        ends_at=ends_at if provisional else None,
        started=started,
    )


@attrs.frozen
class _Draft:
    """The facts every outcome of one `decide_mapping` call shares."""

    channel: Channel
    customer: Customer
    product: str
    partner: Partner
    at: datetime
    consent: MappingConsent
    terms: AddDecision
    provisional: bool

    def _decision(
        self, action: MappingAction, rule: str, reasons: Iterable[str], **kw: object
    ) -> MappingDecision:
        values: dict[str, object] = {
            "channel": self.channel,
            "customer_id": self.customer.id,
            "product": self.product,
            "partner_id": self.partner.id,
            "at": self.at,
            "action": action,
            "consent": self.consent,
            "terms": self.terms,
            "provisional": self.provisional,
            "provisional_until": self.terms.provisional_until if self.provisional else None,
            "provisional_ends_at": self.terms.provisional_ends_at if self.provisional else None,
            "commission_from": self.terms.commission_from,
            "rule": rule,
            "reasons": tuple(reasons),
        }
        values.update(kw)
        return MappingDecision(**values)  # type: ignore[arg-type]

    def done(
        self, action: MappingAction, rule: str, reasons: Iterable[str], **kw: object
    ) -> MappingDecision:
        return self._decision(action, rule, reasons, **kw)

    def refused(
        self, refusal: MappingRefusal, rule: str, reasons: Iterable[str], **kw: object
    ) -> MappingDecision:
        return self._decision(MappingAction.REFUSE, rule, reasons, refusal=refusal, **kw)

    def mapped(
        self,
        policy: MappingPolicy,
        *,
        approvals: tuple[str | None, tuple[str, ...]],
        until: date | None,
        ends_at: datetime | None,
        started: date | None,
    ) -> MappingDecision:
        terms, name = self.terms, self.partner.name
        mine, others = approvals
        how = {
            MappingConsent.CUSTOMER_ACT: (
                f"an admin of {self.customer.name} tagged {name}"
                if self.channel is Channel.TAG
                else f"{self.customer.name} signed up through {name}'s link"
            )
            + ": the customer's own act is its consent",
            MappingConsent.APPROVAL: f"an admin of {self.customer.name} approved {name}'s request",
            # The case's own words: "mapped at once without the customer's confirmation".
            MappingConsent.NOT_NEEDED: terms.reasons[1],
        }[self.consent]
        reasons = [terms.reasons[0], how, _commission_words(terms, policy)]
        if until is not None:
            reasons.append(
                f"the mapping is removed unless the customer upgrades to paid by {until}"
                + (
                    f" ({policy.provisional_months} months from the first mapping date, "
                    f"{started}: adding it again does not restart them)"
                    if started is not None
                    else f" ({policy.provisional_months} months from the mapping date)"
                )
            )
        elif terms.provisional:
            reasons.append(
                "the 3-month rule for free customers does not apply: the customer said so itself"
            )
        if mine is not None and self.consent is MappingConsent.CUSTOMER_ACT:
            reasons.append(f"this completes {name}'s request that was waiting for approval")
        if others:
            reasons.append(
                "other partners' requests for this product waiting for approval are withdrawn, "
                "and those partners are told"
            )
        return self._decision(
            MappingAction.MAP,
            _rule(terms.case, until is not None, policy),
            reasons,
            provisional=until is not None,
            provisional_until=until,
            provisional_ends_at=ends_at,
            pending_request_id=mine if self.consent is MappingConsent.CUSTOMER_ACT else None,
            superseded_request_ids=others,
            free_period_started=started,
        )


def _taken(base: _Draft, approved: bool) -> MappingDecision:
    """The refusal when another partner is of record, in the words of the channel."""
    channel, customer, product, partner = base.channel, base.customer, base.product, base.partner
    if approved:
        return base.refused(
            MappingRefusal.PRODUCT_HAS_PARTNER,
            "one partner per product: another partner became the partner for it first",
            (
                f"{customer.name} already has a partner for {product}, so {partner.name}'s "
                "request cannot take effect",
                f"to work with {partner.name} instead, use Tag a Partner with its partner "
                "code and choose to transfer",
            ),
        )
    if channel in CUSTOMER_CHANNELS:
        return base.refused(
            MappingRefusal.TRANSFER_REQUIRED,
            "one partner per product: moving to another partner is a transfer",
            (
                f"{customer.name} already works with another partner for {product}",
                "choose to transfer and enter the new partner's code; the current partner is "
                "told, and nothing changes until an admin confirms",
            ),
        )
    return base.refused(
        MappingRefusal.MAPPED_TO_ANOTHER_PARTNER,
        "Customer mapped to another partner",
        (
            "Customer mapped to another partner",
            "the customer already works with another partner for this product; the partner "
            "team moves it on the customer's written consent",
        ),
    )


def _first_free_mapping(
    history: Iterable[MappingInterval],
    partner: Partner,
    plan: ProductPlan | None,
    zone: ZoneInfo,
) -> MappingInterval | None:
    """The partner's first provisional mapping of the customer's current free period: never
    made permanent, and made since the customer's free plan began (all of history when it has
    no plan). An upgrade and a downgrade later start a new free period."""
    since = None if plan is None else start_of_local_day(plan.since, zone)
    found = [
        i
        for i in history
        if i.partner_id == partner.id
        and i.status is MappingStatus.PROVISIONAL
        and i.provisional_until is not None
        and (since is None or i.valid_from >= since)
    ]
    return min(found, key=lambda i: (i.valid_from, i.id), default=None)


def _commission_words(terms: AddDecision, policy: MappingPolicy) -> str:
    if terms.commission_start is CommissionStart.LOOKBACK:
        return (
            f"commission covers the last {policy.commission_lookback_months} month(s) of "
            f"transactions, from {_day(terms.commission_from, terms)}, and everything after"
        )
    if terms.commission_start is CommissionStart.SINCE_PAID:
        return (
            "commission covers every transaction since the customer became paid on "
            f"{terms.paid_since}"
        )
    return f"commission covers transactions from the mapping day, {terms.mapping_date}"


def _day(instant: datetime | None, terms: AddDecision) -> str:
    assert instant is not None
    return str(local_day(instant, _zone(terms.time_zone)))


def _rule(case: AddCase, provisional: bool, policy: MappingPolicy) -> str:
    number = {AddCase.PAID_NEEDS_APPROVAL: 1, AddCase.PAID_RECENTLY: 2, AddCase.FREE: 3}[case]
    if case is AddCase.PAID_NEEDS_APPROVAL:
        what = (
            "paid for more than "
            f"{policy.confirmation_after_days} days, with the customer's word: mapped with "
            f"{policy.commission_lookback_months} month(s) of look-back"
        )
    elif case is AddCase.PAID_RECENTLY:
        what = (
            f"paid within {policy.confirmation_after_days} days: mapped at once, commission "
            "on every transaction since it became paid"
        )
    elif provisional:
        what = f"a free customer: mapped for {policy.provisional_months} months unless it upgrades"
    else:
        what = "a free customer who said so itself: mapped for good"
    return f"Use case {number}: {what}"


def _zone(name: str) -> ZoneInfo:
    return time_zone(name)


def _end_of(day: date, zone: ZoneInfo) -> datetime:
    """The instant `day` ends on the customer's calendar: the start of the next one."""
    return start_of_local_day(day + timedelta(days=1), zone)

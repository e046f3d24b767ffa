"""The docs' rule table (docs/reference/mapping-rules.md), generated from a `MappingPolicy` by
asking `rules.decide_mapping` itself, for each channel and case, what it decides.

Run `python -m partnerkit.mapping.rule_table docs/reference/mapping-rules.md` after changing a
rule or a default; a test checks that the page is the one the default policy gives.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs

from partnerkit.customers.accounts import Customer
from partnerkit.customers.plans import Edition, ProductPlan
from partnerkit.mapping.partners import Partner, PartnerKind
from partnerkit.mapping.policy import MappingPolicy, PartnerActivity
from partnerkit.mapping.records import Channel
from partnerkit.mapping.rules import (
    AddCase,
    CommissionStart,
    MappingAction,
    MappingConsent,
    MappingDecision,
    decide_mapping,
)

__all__ = ["RuleRow", "main", "rule_rows", "rules_markdown"]

_REGENERATE = "python -m partnerkit.mapping.rule_table docs/reference/mapping-rules.md"
#: Where the table's examples are decided: any instant gives the same words.
_AT = datetime(2026, 1, 5, 9, tzinfo=UTC)

_CHANNELS = (
    (Channel.SIGNUP_LINK, "Sign-up link"),
    (Channel.NEW_ACCOUNT, "New account set up by the partner"),
    (Channel.TAG, "Tag a Partner"),
    (Channel.PARTNER_ADDED, "Partner adds a customer"),
)


@attrs.frozen
class RuleRow:
    """One line of the rule table: a channel and a case, and what the rule decides."""

    channel: Channel
    case: AddCase
    consent: str
    mapping: str
    commission: str


def _cases(policy: MappingPolicy) -> tuple[tuple[AddCase, str, ProductPlan | None], ...]:
    days = policy.confirmation_after_days
    return (
        (
            AddCase.PAID_NEEDS_APPROVAL,
            f"1: paid for more than {days} days",
            ProductPlan("crm", Edition.PAID, _AT.date() - timedelta(days=days + 1)),
        ),
        (
            AddCase.PAID_RECENTLY,
            f"2: paid within {days} days",
            ProductPlan("crm", Edition.PAID, _AT.date() - timedelta(days=days)),
        ),
        (AddCase.FREE, "3: free", None),
    )


def _decide(
    channel: Channel, plan: ProductPlan | None, policy: MappingPolicy, *, approved: bool = False
) -> MappingDecision:
    customer = Customer(
        id="cus_example",
        name="The customer",
        created_at=_AT - timedelta(days=400),
        products=() if plan is None else (plan,),
    )
    partner = Partner(
        id="ptr_example",
        name="The partner",
        email="ops@partner.example",
        kind=PartnerKind.RESELLER,
        created_at=_AT,
        last_active_at=_AT,
        expertise=("crm",),
    )
    return decide_mapping(channel, customer, "crm", partner, _AT, policy, approved=approved)


def _consent(decision: MappingDecision) -> str:
    return {
        MappingConsent.CUSTOMER_ACT: "given: the customer's own act",
        MappingConsent.NEEDED: "asked: a confirmation email to the customer's admins; mapped when "
        "one approves",
        MappingConsent.NOT_NEEDED: "not asked (the seed maps without it)",
        MappingConsent.APPROVAL: "given: the customer's approval",
    }[decision.consent]


def _mapping(decision: MappingDecision, policy: MappingPolicy) -> str:
    if decision.provisional:
        return (
            f"provisional: over unless the customer upgrades to paid within "
            f"{policy.provisional_months} months of the first mapping date"
        )
    return "permanent"


def _commission(decision: MappingDecision, policy: MappingPolicy) -> str:
    start = decision.commission_start
    if start is CommissionStart.LOOKBACK:
        day = "the approval day" if decision.channel is Channel.PARTNER_ADDED else "the mapping day"
        return f"{policy.commission_lookback_months} month(s) before {day}"
    if start is CommissionStart.SINCE_PAID:
        return "the day the customer became paid (every transaction since)"
    return "the mapping day"


def rule_rows(policy: MappingPolicy) -> tuple[RuleRow, ...]:
    """Each channel and case as `decide_mapping` decides it under `policy`; a partner's add
    of a case-1 customer shows what the approval then does."""
    rows: list[RuleRow] = []
    for channel, _name in _CHANNELS:
        for case, _label, plan in _cases(policy):
            if channel in (Channel.SIGNUP_LINK, Channel.NEW_ACCOUNT) and plan is not None:
                never = "does not arise: a new account has no paid plan"
                rows.append(RuleRow(channel, case, never, "—", "—"))
                continue
            decision = _decide(channel, plan, policy)
            consent = _consent(decision)
            if decision.action is MappingAction.ASK_APPROVAL:
                decision = _decide(channel, plan, policy, approved=True)
            rows.append(
                RuleRow(
                    channel,
                    case,
                    consent,
                    _mapping(decision, policy),
                    _commission(decision, policy),
                )
            )
    return tuple(rows)


def rules_markdown(policy: MappingPolicy | None = None) -> str:
    """The rule table page as Markdown, for `policy` (the seeds' defaults when None)."""
    policy = policy if policy is not None else MappingPolicy()
    names = dict(_CHANNELS)
    labels = {case: label for case, label, _ in _cases(policy)}
    days, months = policy.confirmation_after_days, policy.provisional_months
    lines = [
        "# Mapping rules",
        "",
        "<!-- Generated from partnerkit.MappingPolicy by asking decide_mapping; do not edit by",
        f"     hand. Regenerate with: {_REGENERATE} -->",
        "",
        'The 001 seed says "all the mapping methods lead to the same outcome", so the 000 '
        "seed's three cases apply to every channel: the case sets where the commission window "
        "starts and whether the mapping is provisional, and the channel decides only whether "
        "the customer's consent is still needed. A customer's own tag or sign-up is its "
        "consent; an account a partner sets up, or a customer a partner adds, is not. "
        "`kit.mapping.explain_add` and `kit.mapping.explain_tag` say which rule applied and why.",
        "",
        "This page shows the default `MappingPolicy`; a kit with other numbers decides by them.",
        "",
        "| Channel | Case | Consent | Mapping | Commission starts |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rule_rows(policy):
        lines.append(
            f"| {names[row.channel]} | {labels[row.case]} | {row.consent} | {row.mapping} "
            f"| {row.commission} |"
        )
    consented = (
        f"provisional for {months} months as well"
        if policy.provisional_with_consent
        else "permanent"
    )
    activity = {
        PartnerActivity.SIGN_IN: "signing in to the partner portal",
        PartnerActivity.PARTNER_ACTION: "acting in the program (adding a customer, making a "
        "sign-up link, setting up an account, tracking an email, issuing a code)",
        PartnerActivity.CUSTOMER_PAYMENT: "a payment of a customer it is of record for, at the "
        "time the payment was collected",
    }
    counted = [words for kind, words in activity.items() if policy.counts(kind)]
    lines += [
        "",
        "## Days, deadlines and windows",
        "",
        f'- **The 30-day line.** The seed says "more than a month" for case 1 and "within '
        f'30 days" for case 2; one line serves both: paid for more than {days} days is case 1, '
        f"{days} days or fewer case 2.",
        f"- **The customer's day.** Days are counted on the customer's calendar: its own time "
        f"zone (`kit.customers.set_time_zone`), else the organisation's "
        f"(`MappingPolicy.time_zone`, now `{policy.time_zone}`). So are the day the "
        f"{months} months end and the day a commission window starts.",
        f"- **Case 3's {months} months** end when their last day ends on the customer's "
        "calendar. From that instant the partner of record is none and the partner's "
        "commission window is closed, whether or not `run_due` has run; the job only records "
        "it. An upgrade to paid recorded before then makes the mapping permanent.",
        f"- **No second {months} months.** When a partner's provisional mapping of a free "
        "customer was removed (expired, unmapped or transferred away), the same partner adding "
        "the customer again keeps the first mapping date: within the first "
        f"{months} months it gets what is left of them, after them it is refused "
        "(`mapping.free_period_over`) until the customer upgrades to paid or tags the partner. "
        "An upgrade and a later downgrade start a new free period.",
        f"- **A free customer who said so itself** (its own tag, its sign-up, its approval) "
        f"is mapped, and the mapping is {consented} (`MappingPolicy.provisional_with_consent`).",
        "",
        "## Consent and requests",
        "",
        f"- **Approval** (case 1 of a partner's add): the link works for "
        f"{policy.approval_valid_days} days. The mapping is decided again when an admin "
        "approves, with the facts of that moment: a customer who went free since is case 3, "
        "one who paid again recently case 2.",
        "- **A tag while an approval waits**: for the same partner it completes the request; "
        "for another partner it is the customer's choice, the other request is withdrawn and "
        "its partner told.",
        "- **An approval clicked after another partner became of record** is refused with an "
        "explanation for the customer (`mapping.product_has_partner`): to change partner, they "
        "use Tag a Partner and choose to transfer.",
        "- **A partner that leaves the program** (deactivated by the partner team, or for "
        "inactivity): its approvals and the transfers to it that wait for the customer are "
        "withdrawn, and the customer's admins told.",
        f"- **Transfers** wait for an admin's confirmation for {policy.transfer_confirm_days} "
        "days; the new partner earns from the confirmation on, with no look-back.",
        f"- **Sign-up links** name the products they offer and work for "
        f"{policy.signup_link_valid_days} days; the person signing up may choose fewer.",
        "- **The tracking list** follows every channel: the entry leaves it whenever the "
        "customer becomes the partner's customer (a tag, a sign-up, a confirmed transfer, a "
        "case-2 add, an approval, written consent). A customer already the partner's is not "
        "tracked (`mapping.already_your_customer`).",
        "",
        "## Activity",
        "",
        f"A partner is active while it has, within {policy.inactivity_months} months: "
        + "; ".join(counted)
        + ". A partner with none of these for "
        f"{policy.inactivity_months} months is deactivated by `run_due` "
        "(`MappingPolicy.activity` and `MappingPolicy.inactivity_months`).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the page to the path given as the only argument, or to stdout."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        print(f"usage: {_REGENERATE}", file=sys.stderr)
        return 2
    page = rules_markdown()
    if args:
        Path(args[0]).write_text(page, encoding="utf-8", newline="\n")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

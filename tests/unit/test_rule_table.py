"""The docs' rule table (docs/reference/mapping-rules.md) is the one `decide_mapping` gives for
the default `MappingPolicy`, and it follows the policy: the acceptance of issue 8."""

from __future__ import annotations

from pathlib import Path

import partnerkit as pk
from partnerkit.mapping.rule_table import rule_rows, rules_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "mapping-rules.md"


def test_the_rule_table_page_is_up_to_date() -> None:
    assert PAGE.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/reference/mapping-rules.md is stale: regenerate with "
        "python -m partnerkit.mapping.rule_table docs/reference/mapping-rules.md"
    )


def _row(policy: pk.MappingPolicy, channel: pk.Channel, case: pk.AddCase) -> tuple[str, ...]:
    [row] = [r for r in rule_rows(policy) if (r.channel, r.case) == (channel, case)]
    return (row.consent, row.mapping, row.commission)


def test_each_channel_and_case_as_the_seeds_say() -> None:
    policy = pk.MappingPolicy()
    rows = rule_rows(policy)
    assert len(rows) == 4 * 3  # every channel x case
    consent, mapping, commission = _row(
        policy, pk.Channel.PARTNER_ADDED, pk.AddCase.PAID_NEEDS_APPROVAL
    )
    assert consent.startswith("asked") and mapping == "permanent"
    assert commission == "1 month(s) before the approval day"
    consent, mapping, commission = _row(policy, pk.Channel.TAG, pk.AddCase.PAID_NEEDS_APPROVAL)
    assert consent.startswith("given") and commission == "1 month(s) before the mapping day"
    assert _row(policy, pk.Channel.TAG, pk.AddCase.PAID_RECENTLY)[2].startswith(
        "the day the customer became paid"
    )
    assert _row(policy, pk.Channel.NEW_ACCOUNT, pk.AddCase.FREE)[1].startswith("provisional")
    assert _row(policy, pk.Channel.SIGNUP_LINK, pk.AddCase.FREE)[1] == "permanent"


def test_the_table_follows_the_policy() -> None:
    policy = pk.MappingPolicy(
        confirmation_after_days=7,
        provisional_months=6,
        commission_lookback_months=2,
        provisional_with_consent=True,
        activity={pk.PartnerActivity.SIGN_IN},
        time_zone="Asia/Kolkata",
    )
    assert _row(policy, pk.Channel.TAG, pk.AddCase.FREE)[1].startswith(
        "provisional: over unless the customer upgrades to paid within 6 months"
    )
    assert _row(policy, pk.Channel.TAG, pk.AddCase.PAID_NEEDS_APPROVAL)[2] == (
        "2 month(s) before the mapping day"
    )
    page = rules_markdown(policy)
    assert "| Tag a Partner | 1: paid for more than 7 days |" in page
    assert "now `Asia/Kolkata`" in page
    assert "signing in to the partner portal." in page
    assert "a payment of a customer" not in page
    assert page != rules_markdown()

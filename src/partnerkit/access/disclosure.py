"""The 002 seed's disclosure rule as a pure decision: may this enquirer be told about this
account? `decide_disclosure` takes the facts (the account's domains, the partners the enquirer
belongs to, the evidence tying them to the account) and explains its answer.

"If the enquirer domain does not match the enquired domain, please check if the respective
account is tagged to the partner. Only if the account is tagged should we proceed with the
response." (002_9d5c5a443de74ac1.txt, Emails)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

__all__ = [
    "Decision",
    "DisclosureReason",
    "Evidence",
    "EvidenceKind",
    "decide_disclosure",
]


class EvidenceKind(enum.StrEnum):
    """The ways the 002 seed names to see whether a partner is associated with an account."""

    #: "Potential Module: We can check to see if the lead was shared with the partner. Even
    #: when a lead is shared with a partner, the account is not always tagged to them."
    LEAD_SHARED = "lead_shared"
    #: "Subscription Module - we can see if the account is tagged to the partner": the
    #: partner is of record for a product (the one kind that allows a disclosure).
    TAGGED = "tagged"
    #: "Payments Tool - we can see the partner tagged while upgrading the account. When the
    #: partner is tagged, the Reseller Price will be available": commission booked to the
    #: partner on the account's payments.
    RESELLER_PRICE = "reseller_price"
    #: "Store - From the Customer Listing Tab": the account is in the partner's listing.
    CUSTOMER_LISTING = "customer_listing"


@attrs.frozen
class Evidence:
    """One fact tying a partner to an account, for a product when it is product-bound."""

    kind: EvidenceKind
    partner_id: str
    product: str | None = None
    #: Since when the fact holds (the mapping's start, the payment, the lead's offer).
    since: datetime | None = None
    #: Where the fact was read, in the support team's words.
    note: str = ""


class DisclosureReason(enum.StrEnum):
    """Why a disclosure was allowed or refused: the code the audit trail keeps."""

    #: The enquirer's email domain is one of the account's own domains.
    DOMAIN_MATCH = "domain_match"
    #: The enquirer belongs to a partner of record on the account (for the product asked).
    PARTNER_OF_RECORD = "partner_of_record"
    #: The partner is of record on the account, but for other products only.
    OTHER_PRODUCT_ONLY = "other_product_only"
    #: Something ties the partner to the account (a shared lead, a payment), but no tag.
    NOT_TAGGED = "not_tagged"
    #: The enquirer belongs to a partner with no tie to the account at all.
    NOT_ASSOCIATED = "not_associated"
    #: The enquirer's address is neither the account's nor any partner's.
    UNKNOWN_ENQUIRER = "unknown_enquirer"

    @property
    def allows(self) -> bool:
        """Whether the reason lets the information be disclosed (a domain match or a tag)."""
        return self in (DisclosureReason.DOMAIN_MATCH, DisclosureReason.PARTNER_OF_RECORD)


_WORDS = {
    DisclosureReason.DOMAIN_MATCH: "The enquirer writes from one of the account's own domains.",
    DisclosureReason.PARTNER_OF_RECORD: "The account is tagged to the enquirer's partner.",
    DisclosureReason.OTHER_PRODUCT_ONLY: (
        "The account is tagged to the enquirer's partner for other products only: share "
        "nothing about this product."
    ),
    DisclosureReason.NOT_TAGGED: (
        "The account is not tagged to the enquirer's partner (a shared lead or a payment is "
        "not enough): share nothing, and ask the partner team if in doubt."
    ),
    DisclosureReason.NOT_ASSOCIATED: (
        "The enquirer's partner is not associated with this account: share nothing."
    ),
    DisclosureReason.UNKNOWN_ENQUIRER: (
        "The enquirer's address belongs neither to the account nor to a partner: share nothing."
    ),
}


@attrs.frozen
class Decision:
    """The answer to "may I tell this enquirer about this account?", with its evidence."""

    allowed: bool
    reason: DisclosureReason
    #: The enquirer's address in the form partnerkit compares.
    enquirer: str
    customer_id: str
    product: str | None
    #: The partners the enquirer belongs to (by their registered domains or contact email).
    partner_ids: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    #: The audit entry that records this decision.
    audit_id: str = ""

    @property
    def explanation(self) -> str:
        """The decision in the support team's words."""
        return _WORDS[self.reason]


def decide_disclosure(
    *,
    enquirer: str,
    enquirer_domain: str,
    customer_id: str,
    account_domains: Iterable[str],
    partner_ids: Iterable[str],
    evidence: Iterable[Evidence],
    product: str | None = None,
) -> Decision:
    """Decide whether account information may be disclosed to the enquirer (002 seed).

    Allowed only when the enquirer's domain is exactly one of the account's domains (both in
    the stored, IDNA-normalised form, so a look-alike is another domain), or when one of the
    enquirer's partners is tagged on the account: for `product` when one is given. A shared
    lead, a reseller price or a listing without a tag is evidence, never enough.

    Args:
        enquirer: The enquirer's address, validated.
        enquirer_domain: Its domain, validated.
        customer_id: The account asked about.
        account_domains: The account's own domains, validated.
        partner_ids: The partners the enquirer belongs to.
        evidence: What ties those partners to the account.
        product: The product asked about, or None for the account as a whole.

    Returns:
        The decision, its reason and the evidence it rests on (not yet audited).

    Raises nothing: a pure function of the facts it is given.
    """
    partners = tuple(partner_ids)
    facts = tuple(e for e in evidence if e.partner_id in partners)
    tags = [e for e in facts if e.kind is EvidenceKind.TAGGED]
    if enquirer_domain in set(account_domains):
        reason = DisclosureReason.DOMAIN_MATCH
    elif not partners:
        reason = DisclosureReason.UNKNOWN_ENQUIRER
    elif any(product is None or e.product == product for e in tags):
        reason = DisclosureReason.PARTNER_OF_RECORD
    elif tags:
        reason = DisclosureReason.OTHER_PRODUCT_ONLY
    elif facts:
        reason = DisclosureReason.NOT_TAGGED
    else:
        reason = DisclosureReason.NOT_ASSOCIATED
    return Decision(
        allowed=reason.allows,
        reason=reason,
        enquirer=enquirer,
        customer_id=customer_id,
        product=product,
        partner_ids=partners,
        evidence=facts,
    )

"""Billing: invoices, taxes, payments, saved payment methods, credits, statements, receipts."""

from partnerkit.billing.charging import (
    ChargeCheck,
    ChargeDecision,
    ChargeRefusal,
    ChargeRule,
    ChargingPolicy,
    PortalFacts,
    RecentCharge,
    decide_charge,
    explain_charge,
    same_request,
)
from partnerkit.billing.gateway import (
    BillingAddress,
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayCapabilities,
    PaymentFailure,
    PaymentGateway,
    RefundRequest,
    RefundResult,
    SavedCard,
)

__all__: list[str] = [
    "BillingAddress",
    "ChargeCheck",
    "ChargeDecision",
    "ChargeRefusal",
    "ChargeRequest",
    "ChargeResult",
    "ChargeRule",
    "ChargeStatus",
    "ChargingPolicy",
    "GatewayCapabilities",
    "PaymentFailure",
    "PaymentGateway",
    "PortalFacts",
    "RecentCharge",
    "RefundRequest",
    "RefundResult",
    "SavedCard",
    "decide_charge",
    "explain_charge",
    "same_request",
]

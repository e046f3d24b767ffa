"""Billing: invoices, taxes, payments, credits, refunds, statements and receipts (`kit.billing`).

`install()` wires the service, the overdue job and its policy into a kit.
"""

from __future__ import annotations

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
from partnerkit.billing.checkout import RecurringProfileCheck
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
from partnerkit.billing.policy import BillingPolicy
from partnerkit.billing.ports import BillingStore
from partnerkit.billing.service import BillingService
from partnerkit.wiring import Wiring

__all__ = [
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
    "RecurringProfileCheck",
    "RefundRequest",
    "RefundResult",
    "SavedCard",
    "decide_charge",
    "explain_charge",
    "install",
    "same_request",
]


def install(
    wiring: Wiring[BillingStore],
    *,
    payment_gateway: PaymentGateway | None = None,
    time_zone: str = "UTC",
) -> BillingService:
    """Wire billing into a kit: `kit.billing`, the job that marks invoices overdue, and the one
    that settles online payments the gateway did not answer for. `time_zone` is the
    organisation's calendar, for the statements of accounts without one of their own."""
    service = BillingService(
        wiring.runtime,
        wiring.policy(BillingPolicy),
        payment_gateway=payment_gateway,
        charging=wiring.policy(ChargingPolicy),
        time_zone=time_zone,
    )
    # Before the overdue job: an invoice whose charge went through is paid, not overdue.
    wiring.add_job(
        "payments_reconciled", service.next_reconcile_due, service.reconcile_payments, order=390
    )
    # After the partner program's jobs: an invoice due yesterday is overdue this morning.
    wiring.add_job("invoices_overdue", service.next_overdue_due, service.mark_overdue, order=400)
    return service

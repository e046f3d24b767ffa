"""partnerkit: the partner-channel and self-service-billing domain as a library.

Start with `partnerkit.connect(url)`; docs/ holds the tutorials and the reference. The names
below, and the modules the API reference lists, are the public surface.
"""

from __future__ import annotations

from partnerkit.access import (
    AuditEntry,
    AuditKind,
    Decision,
    DisclosureReason,
    Evidence,
    EvidenceKind,
    Principal,
    Role,
    decide_disclosure,
)
from partnerkit.access.service import AccessService, AccountSummary
from partnerkit.backends.memory import MemoryBackend
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
from partnerkit.billing.credits import CreditNote, Refund, RefundMethod
from partnerkit.billing.documents import (
    Entries,
    Issuer,
    Receipt,
    ReceiptLine,
    StatementEntry,
    StatementHeader,
)
from partnerkit.billing.documents import EntryKind as StatementEntryKind
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
from partnerkit.billing.invoices import (
    Allocation,
    Invoice,
    InvoiceAction,
    InvoiceLine,
    InvoiceStatus,
    TaxRate,
    allocate,
)
from partnerkit.billing.methods import PaymentMethod
from partnerkit.billing.payment_errors import PortalPaymentError
from partnerkit.billing.payments import (
    Application,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    SourceKind,
)
from partnerkit.billing.policy import BillingPolicy
from partnerkit.billing.queries import Dashboard, LastPayment, OutstandingTotal
from partnerkit.billing.render import (
    render_receipt_html,
    render_receipt_pdf,
    render_receipt_text,
    render_statement_csv,
    render_statement_html,
    render_statement_pdf,
    render_statement_text,
)
from partnerkit.billing.service import BillingService
from partnerkit.catalog.products import CatalogService, Product
from partnerkit.clock import Clock, SimulatedClock, SystemClock
from partnerkit.consent import Confirmation, ConsentKind, ConsentRequest, ConsentStatus
from partnerkit.customers.accounts import ContactPerson, Customer, CustomersService, CustomerUser
from partnerkit.customers.plans import Edition, ProductPlan
from partnerkit.errors import (
    Audience,
    ConcurrencyError,
    ConfigurationError,
    ConflictError,
    FeatureDisabledError,
    InvalidTransitionError,
    NotFoundError,
    PartnerkitError,
    PaymentError,
    PermissionDeniedError,
    StorageError,
    ValidationError,
)
from partnerkit.events import (
    DomainEvent,
    Email,
    Event,
    MessageKind,
    MessageStatus,
    OutboxMessage,
    RetryPolicy,
)
from partnerkit.gateways.mailer import FakeMailer, InMemoryMailer
from partnerkit.gateways.payments import FakeOutcome, FakePaymentGateway
from partnerkit.kit import DueJob, DueReport, Kit, connect
from partnerkit.mapping.adding import AddCase, AddDecision, AddResult, decide_add
from partnerkit.mapping.channels import SignupLink, SignupLinkToken
from partnerkit.mapping.codes import CodeAdvice, advise_code, canonical_key, validate_code
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan, EntryKind
from partnerkit.mapping.commissions import CommissionsService, CommissionStatement, StatementLine
from partnerkit.mapping.history import PartnerCustomer
from partnerkit.mapping.leads import (
    Exclusion,
    Lead,
    LeadCandidate,
    LeadOffer,
    LeadPolicy,
    LeadsService,
    LeadStatus,
    OfferStatus,
    SharingDecision,
    decide_sharing,
)
from partnerkit.mapping.partners import (
    DirectoryEntry,
    Partner,
    PartnerCode,
    PartnerCodeStatus,
    PartnerKind,
    PartnersService,
    PartnerStatus,
)
from partnerkit.mapping.policy import MappingPolicy, PartnerActivity
from partnerkit.mapping.records import Channel, MappingInterval, MappingStatus
from partnerkit.mapping.rules import (
    CommissionStart,
    MappingAction,
    MappingConsent,
    MappingDecision,
    MappingRefusal,
    decide_mapping,
)
from partnerkit.mapping.service import MappingService
from partnerkit.mapping.tracking import TrackedUser, TrackingEntry
from partnerkit.mapping.transfers import TransferDecision, decide_transfer
from partnerkit.money import Money
from partnerkit.resellers import (
    CustomerMigration,
    CustomerQuery,
    CustomerSort,
    OrderAction,
    OrderLine,
    OrderStatus,
    Reseller,
    ResellerCustomer,
    ResellerInvitation,
    ResellerPolicy,
    ResellersService,
    ResellerStatus,
    ResellerTag,
    SalesOrder,
    TagMatch,
)
from partnerkit.serialization import from_dict, from_json, to_dict, to_json
from partnerkit.subscriptions.catalog import Addon, AddonKind, Plan
from partnerkit.subscriptions.changes import ChangePreview
from partnerkit.subscriptions.charges import ChargesSummary
from partnerkit.subscriptions.coupons import (
    Coupon,
    CouponDuration,
    DiscountKind,
    RedemptionCheck,
    RedemptionDecision,
    RedemptionRule,
    decide_redemption,
)
from partnerkit.subscriptions.dunning import (
    DunningAction,
    DunningDecision,
    DunningPolicy,
    DunningStep,
    FinalAction,
    decide_retry,
)
from partnerkit.subscriptions.lifecycle import (
    SubscriptionAction,
    SubscriptionStatus,
    allowed_actions,
)
from partnerkit.subscriptions.pausing import PauseSchedule
from partnerkit.subscriptions.periods import (
    BillingPeriod,
    IntervalUnit,
    Term,
    period_end,
    term_containing,
)
from partnerkit.subscriptions.policy import SubscriptionPolicy
from partnerkit.subscriptions.ports import BilledPeriod
from partnerkit.subscriptions.proration import Proration, ProrationLine, prorate
from partnerkit.subscriptions.service import SubscriptionsService
from partnerkit.subscriptions.subscription import (
    Subscription,
    SubscriptionAddon,
    SubscriptionCoupon,
)

__version__ = "0.1.0"

__all__ = [
    "AccessService",
    "AccountSummary",
    "AddCase",
    "AddDecision",
    "AddResult",
    "Addon",
    "AddonKind",
    "Allocation",
    "Application",
    "Audience",
    "AuditEntry",
    "AuditKind",
    "BilledPeriod",
    "BillingAddress",
    "BillingPeriod",
    "BillingPolicy",
    "BillingService",
    "CatalogService",
    "ChangePreview",
    "Channel",
    "ChargeCheck",
    "ChargeDecision",
    "ChargeRefusal",
    "ChargeRequest",
    "ChargeResult",
    "ChargeRule",
    "ChargeStatus",
    "ChargesSummary",
    "ChargingPolicy",
    "Clock",
    "CodeAdvice",
    "CommissionEntry",
    "CommissionPlan",
    "CommissionStart",
    "CommissionStatement",
    "CommissionsService",
    "ConcurrencyError",
    "ConfigurationError",
    "Confirmation",
    "ConflictError",
    "ConsentKind",
    "ConsentRequest",
    "ConsentStatus",
    "ContactPerson",
    "Coupon",
    "CouponDuration",
    "CreditNote",
    "Customer",
    "CustomerMigration",
    "CustomerQuery",
    "CustomerSort",
    "CustomerUser",
    "CustomersService",
    "Dashboard",
    "Decision",
    "DirectoryEntry",
    "DisclosureReason",
    "DiscountKind",
    "DomainEvent",
    "DueJob",
    "DueReport",
    "DunningAction",
    "DunningDecision",
    "DunningPolicy",
    "DunningStep",
    "Edition",
    "Email",
    "Entries",
    "EntryKind",
    "Event",
    "Evidence",
    "EvidenceKind",
    "Exclusion",
    "FakeMailer",
    "FakeOutcome",
    "FakePaymentGateway",
    "FeatureDisabledError",
    "FinalAction",
    "GatewayCapabilities",
    "InMemoryMailer",
    "IntervalUnit",
    "InvalidTransitionError",
    "Invoice",
    "InvoiceAction",
    "InvoiceLine",
    "InvoiceStatus",
    "Issuer",
    "Kit",
    "LastPayment",
    "Lead",
    "LeadCandidate",
    "LeadOffer",
    "LeadPolicy",
    "LeadStatus",
    "LeadsService",
    "MappingAction",
    "MappingConsent",
    "MappingDecision",
    "MappingInterval",
    "MappingPolicy",
    "MappingRefusal",
    "MappingService",
    "MappingStatus",
    "MemoryBackend",
    "MessageKind",
    "MessageStatus",
    "Money",
    "NotFoundError",
    "OfferStatus",
    "OrderAction",
    "OrderLine",
    "OrderStatus",
    "OutboxMessage",
    "OutstandingTotal",
    "Partner",
    "PartnerActivity",
    "PartnerCode",
    "PartnerCodeStatus",
    "PartnerCustomer",
    "PartnerKind",
    "PartnerStatus",
    "PartnerkitError",
    "PartnersService",
    "PauseSchedule",
    "Payment",
    "PaymentError",
    "PaymentFailure",
    "PaymentGateway",
    "PaymentMethod",
    "PaymentMethodKind",
    "PaymentStatus",
    "PermissionDeniedError",
    "Plan",
    "PortalFacts",
    "PortalPaymentError",
    "Principal",
    "Product",
    "ProductPlan",
    "Proration",
    "ProrationLine",
    "Receipt",
    "ReceiptLine",
    "RecentCharge",
    "RecurringProfileCheck",
    "RedemptionCheck",
    "RedemptionDecision",
    "RedemptionRule",
    "Refund",
    "RefundMethod",
    "RefundRequest",
    "RefundResult",
    "Reseller",
    "ResellerCustomer",
    "ResellerInvitation",
    "ResellerPolicy",
    "ResellerStatus",
    "ResellerTag",
    "ResellersService",
    "RetryPolicy",
    "Role",
    "SalesOrder",
    "SavedCard",
    "SharingDecision",
    "SignupLink",
    "SignupLinkToken",
    "SimulatedClock",
    "SourceKind",
    "StatementEntry",
    "StatementEntryKind",
    "StatementHeader",
    "StatementLine",
    "StorageError",
    "Subscription",
    "SubscriptionAction",
    "SubscriptionAddon",
    "SubscriptionCoupon",
    "SubscriptionPolicy",
    "SubscriptionStatus",
    "SubscriptionsService",
    "SystemClock",
    "TagMatch",
    "TaxRate",
    "Term",
    "TrackedUser",
    "TrackingEntry",
    "TransferDecision",
    "ValidationError",
    "__version__",
    "advise_code",
    "allocate",
    "allowed_actions",
    "canonical_key",
    "connect",
    "decide_add",
    "decide_charge",
    "decide_disclosure",
    "decide_mapping",
    "decide_redemption",
    "decide_retry",
    "decide_sharing",
    "decide_transfer",
    "explain_charge",
    "from_dict",
    "from_json",
    "period_end",
    "prorate",
    "render_receipt_html",
    "render_receipt_pdf",
    "render_receipt_text",
    "render_statement_csv",
    "render_statement_html",
    "render_statement_pdf",
    "render_statement_text",
    "same_request",
    "term_containing",
    "to_dict",
    "to_json",
    "validate_code",
]

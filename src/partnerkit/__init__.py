"""partnerkit: the partner-channel and self-service-billing domain as a library.

Start with `partnerkit.connect(url)`; docs/ holds the tutorials and the reference.
"""

from __future__ import annotations

from partnerkit.access import Principal, Role
from partnerkit.catalog.products import Product
from partnerkit.clock import Clock, SimulatedClock, SystemClock
from partnerkit.customers.accounts import (
    ContactPerson,
    Customer,
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.errors import (
    ConflictError,
    FeatureDisabledError,
    InvalidTransitionError,
    NotFoundError,
    PartnerkitError,
    PaymentError,
    PermissionDeniedError,
    ValidationError,
)
from partnerkit.events import DomainEvent, Email, OutboxMessage, RetryPolicy
from partnerkit.gateways.mailer import FakeMailer, InMemoryMailer
from partnerkit.kit import DueReport, Kit, connect
from partnerkit.mapping.codes import CodeAdvice, advise_code, canonical_key, validate_code
from partnerkit.mapping.partners import (
    Partner,
    PartnerCode,
    PartnerCodeStatus,
    PartnerKind,
    PartnerStatus,
)
from partnerkit.money import Money

__version__ = "0.1.0"

__all__ = [
    "Clock",
    "CodeAdvice",
    "ConflictError",
    "ContactPerson",
    "Customer",
    "CustomerUser",
    "DomainEvent",
    "DueReport",
    "Edition",
    "Email",
    "FakeMailer",
    "FeatureDisabledError",
    "InMemoryMailer",
    "InvalidTransitionError",
    "Kit",
    "Money",
    "NotFoundError",
    "OutboxMessage",
    "Partner",
    "PartnerCode",
    "PartnerCodeStatus",
    "PartnerKind",
    "PartnerStatus",
    "PartnerkitError",
    "PaymentError",
    "PermissionDeniedError",
    "Principal",
    "Product",
    "ProductPlan",
    "RetryPolicy",
    "Role",
    "SimulatedClock",
    "SystemClock",
    "ValidationError",
    "__version__",
    "advise_code",
    "canonical_key",
    "connect",
    "validate_code",
]

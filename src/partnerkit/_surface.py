"""What is public: the names `partnerkit` exports, and these modules. Everything else (the
services' modules, runtime, wiring, validate, the backends' internals) is internal and may
change in any release; reach it through a kit or through these names.

The API reference (docs/reference/api.md) renders exactly this surface; a test checks it.
"""

from __future__ import annotations

__all__ = ["PUBLIC_MODULES"]

#: Modules a host imports from: the ports it may implement, the errors and events it catches
#: or subscribes to, the test support, the backends and the serialization helpers.
PUBLIC_MODULES: tuple[str, ...] = (
    "partnerkit",
    "partnerkit.access",
    "partnerkit.serialization",
    "partnerkit.errors",
    "partnerkit.access.errors",
    "partnerkit.catalog.errors",
    "partnerkit.customers.errors",
    "partnerkit.mapping.errors",
    "partnerkit.billing.payment_errors",
    "partnerkit.billing.render.errors",
    "partnerkit.billing.errors",
    "partnerkit.resellers.errors",
    "partnerkit.subscriptions.errors",
    "partnerkit.events",
    "partnerkit.catalog.events",
    "partnerkit.customers.events",
    "partnerkit.mapping.events",
    "partnerkit.billing.events",
    "partnerkit.resellers.events",
    "partnerkit.subscriptions.events",
    "partnerkit.ports",
    "partnerkit.stores",
    "partnerkit.catalog.ports",
    "partnerkit.customers.ports",
    "partnerkit.mapping.ports",
    "partnerkit.billing.ports",
    "partnerkit.resellers.ports",
    "partnerkit.subscriptions.ports",
    "partnerkit.subscriptions.lifecycle",
    "partnerkit.backends.sql",
    "partnerkit.testing.conformance",
    "partnerkit.testing.plugin",
    "partnerkit.testing.databases",
    "partnerkit.testing.renewals",
)

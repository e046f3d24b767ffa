"""Errors of customer accounts: missing accounts and users, taken emails, the last admin."""

from __future__ import annotations

from partnerkit.errors import Audience, ConflictError, InvalidTransitionError, NotFoundError

__all__ = [
    "CustomerNotFoundError",
    "EmailTakenError",
    "LastAdminError",
    "UserNotFoundError",
]


# --- customers --------------------------------------------------------------------------------


class CustomerNotFoundError(NotFoundError):
    code = "customer.not_found"
    audience = (Audience.PARTNER, Audience.CUSTOMER, Audience.STAFF)
    summary = "No such customer."


class EmailTakenError(ConflictError):
    code = "customer.email_taken"
    audience = (Audience.PARTNER, Audience.CUSTOMER, Audience.STAFF)
    summary = "That email address already belongs to a user."
    default_remedy = "Use another email address, or ask that user's admin to add them."


class UserNotFoundError(NotFoundError):
    code = "customer.user_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No user with that email address in this customer account."


class LastAdminError(InvalidTransitionError):
    code = "customer.last_admin"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "A customer account keeps at least one admin user."
    default_remedy = "Make another user an admin first."

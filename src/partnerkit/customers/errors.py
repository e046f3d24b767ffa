"""Errors of customer accounts: missing accounts and users, taken emails, the last admin."""

from __future__ import annotations

from partnerkit.errors import ConflictError, InvalidTransitionError, NotFoundError

__all__ = [
    "CustomerNotFoundError",
    "EmailTakenError",
    "LastAdminError",
    "UserNotFoundError",
]


# --- customers --------------------------------------------------------------------------------


class CustomerNotFoundError(NotFoundError):
    code = "customer.not_found"
    summary = "No such customer."


class EmailTakenError(ConflictError):
    code = "customer.email_taken"
    summary = "That email already belongs to a user."


class UserNotFoundError(NotFoundError):
    code = "customer.user_not_found"
    summary = "No user with that email in this customer account."


class LastAdminError(InvalidTransitionError):
    code = "customer.last_admin"
    summary = "A customer account keeps at least one admin user."

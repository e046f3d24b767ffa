"""Errors of rendering a customer's documents: what a format cannot hold.

The codes are stable; the registry in `partnerkit.errors` collects them for the reference."""

from __future__ import annotations

from partnerkit.errors import Audience, ValidationError

__all__ = ["StatementTooLongError"]


class StatementTooLongError(ValidationError):
    """A statement with more entries than a PDF is made for: the PDF writer keeps every page in
    memory until the file is complete, so the page count is bounded (`max_pages`).

    `details` holds `entries`, `pages` (what the PDF would need) and `max_pages`.
    """

    code = "statement.too_long_for_pdf"
    audience = (Audience.CUSTOMER, Audience.STAFF, Audience.DEVELOPER)
    summary = "The statement has more entries than one PDF can hold."
    default_remedy = (
        "Choose a shorter date range, or download the statement as a spreadsheet (CSV), "
        "which holds any number of entries."
    )
    default_hint = (
        "render_statement_csv streams any length; render_statement_pdf(max_pages=...) "
        "raises the bound at the cost of memory."
    )

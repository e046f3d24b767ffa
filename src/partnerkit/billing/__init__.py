"""Billing: invoices, taxes, payments, saved payment methods, credits, statements, receipts."""

__all__: list[str] = []

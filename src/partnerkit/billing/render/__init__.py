"""Rendering a customer's documents: a statement of accounts as text, HTML, CSV or PDF and a
payment receipt as text, HTML or PDF, localised with babel (003 seed: "download or print").

One function per format, because the formats differ in what they give back and what they take:
text, HTML and CSV stream `str` chunks (a statement of any length in constant memory), a PDF is
`bytes` built whole, only HTML takes a host's `templates`, and CSV, being for programs, is
never localised.
"""

from __future__ import annotations

from partnerkit.billing.render.csv import render_statement_csv
from partnerkit.billing.render.html import render_receipt_html, render_statement_html
from partnerkit.billing.render.pdf import MAX_PDF_PAGES, render_receipt_pdf, render_statement_pdf
from partnerkit.billing.render.text import render_receipt_text, render_statement_text

__all__ = [
    "MAX_PDF_PAGES",
    "render_receipt_html",
    "render_receipt_pdf",
    "render_receipt_text",
    "render_statement_csv",
    "render_statement_html",
    "render_statement_pdf",
    "render_statement_text",
]

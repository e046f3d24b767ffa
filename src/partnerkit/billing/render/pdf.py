"""PDF documents (fpdf2, the `pdf` extra): a statement of accounts and a payment receipt on A4,
in Noto Sans (shipped in `fonts/`, OFL), so a "€" or a "Müller GmbH" prints right.

fpdf2 keeps every page in memory until the file is complete, so a statement's PDF is bounded
(`MAX_PDF_PAGES`, about 22,000 entries); CSV and HTML stream any length.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from partnerkit.billing.documents import Issuer, StatementEntry, StatementHeader
from partnerkit.billing.render.errors import StatementTooLongError
from partnerkit.billing.render.formatting import (
    DocumentLocale,
    check_header,
    check_receipt,
    checked,
    document_locale,
)
from partnerkit.errors import InvalidInputError, MissingExtraError
from partnerkit.money import Money

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = ["MAX_PDF_PAGES", "render_receipt_pdf", "render_statement_pdf", "statement_pages"]

#: The most pages a statement's PDF may have by default: about 22,000 entries, 17 MB of memory
#: while it is written. `render_statement_pdf(max_pages=...)` moves the bound.
MAX_PDF_PAGES = 500

_FONT = "NotoSans"
_INK = (31, 35, 40)
_MUTED = (87, 96, 106)
_RULE = (208, 215, 222)
_SHADE = (243, 244, 246)

# A4 in millimetres. The table's seven columns fill the width between the margins.
_PAGE_HEIGHT = 297.0
_MARGIN = 15.0
_WIDTH = 210.0 - 2 * _MARGIN
_BOTTOM = _PAGE_HEIGHT - _MARGIN - 8.0  # room for the footer
_ROW = 5.4
_TEXT_SIZE = 8.5
_SMALLEST = 6.0
#: Where the table starts on the first page (below the heading block) and on the others
#: (below the running head); the page count of a statement is worked out from these.
_FIRST_TABLE_TOP = 66.0
_NEXT_TABLE_TOP = 26.0
_REFERENCE_WIDTH = 24.0
_AMOUNT_WIDTH = 23.0


def _statement_columns(pdf: Any, where: DocumentLocale) -> tuple[tuple[float, bool], ...]:
    """(width, right-aligned) of date, kind, reference, description, debit, credit, balance:
    the date and kind columns as wide as the locale's longest (in bold, as the opening row
    prints), the description the rest."""
    pdf.set_font(_FONT, "B", _TEXT_SIZE)
    day = max(_measure(pdf, where.day(date(2026, month, 28))) for month in range(1, 13))
    day = max(day, _measure(pdf, where.words.date))
    kind = max(_measure(pdf, word) for word in [where.words.kind, *where.words.kinds.values()])
    day, kind = day + 3.0, kind + 3.0
    description = _WIDTH - day - kind - _REFERENCE_WIDTH - 3 * _AMOUNT_WIDTH
    return (
        (day, False),
        (kind, False),
        (_REFERENCE_WIDTH, False),
        (description, False),
        (_AMOUNT_WIDTH, True),
        (_AMOUNT_WIDTH, True),
        (_AMOUNT_WIDTH, True),
    )


def _rows_per_page(top: float) -> int:
    # The column headings take one row; each entry one more.
    return int((_BOTTOM - top - _ROW) // _ROW)


def statement_pages(entry_count: int) -> int:
    """How many pages a statement of `entry_count` entries takes in the PDF: its opening and
    closing rows and the amount due come on top of the entries."""
    rows = entry_count + 3
    first = _rows_per_page(_FIRST_TABLE_TOP)
    if rows <= first:
        return 1
    return 1 + math.ceil((rows - first) / _rows_per_page(_NEXT_TABLE_TOP))


_FILES = {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"}
_POINTS_PER_MM = 72 / 25.4


@functools.cache
def _advances(style: str) -> tuple[dict[int, float], float]:
    """Each character's advance in ems, and the missing glyph's: fpdf2 measures a string in
    about half a millisecond, and a statement measures every cell it prints."""
    from fontTools.ttLib import TTFont

    fonts = importlib.resources.files("partnerkit.billing.render") / "fonts"
    with importlib.resources.as_file(fonts / _FILES[style]) as path, TTFont(path) as font:
        per_em = float(font["head"].unitsPerEm)
        metrics = font["hmtx"].metrics
        advances = {code: metrics[glyph][0] / per_em for code, glyph in font.getBestCmap().items()}
        return advances, metrics[".notdef"][0] / per_em


def _width(text: str, style: str, size: float) -> float:
    """How wide `text` prints, in millimetres, in Noto Sans of `style` at `size` points."""
    advances, missing = _advances(style)
    ems = sum(advances.get(ord(char), missing) for char in text)
    return ems * size / _POINTS_PER_MM


def _measure(pdf: Any, text: str) -> float:
    """`text`'s width in the document's current style and size, in millimetres."""
    return _width(text, pdf.font_style, pdf.font_size_pt)


def _fpdf() -> type[FPDF]:
    try:
        from fpdf import FPDF
    except ImportError as exc:
        raise MissingExtraError(
            "PDF documents need the fpdf2 package",
            remedy="pip install 'partnerkit[pdf]'",
        ) from exc
    return FPDF


def _document(where: DocumentLocale, title: str, footer: str, max_pages: int = 1) -> Any:
    # The page count is written last, over a placeholder whose width is reserved: 1,000 pages
    # or more need a wider one.
    total = "{nb}" if max_pages < 1000 else "{pages}"

    class _Pages(_fpdf()):  # type: ignore[misc]
        def footer(self) -> None:
            self.set_y(-_MARGIN - 4)
            self.set_font(_FONT, "", 7.5)
            self.set_text_color(*_MUTED)
            self.cell(_WIDTH / 2, 4, footer)
            page = where.words.page.format(page=self.page_no(), pages=total)
            self.cell(_WIDTH / 2, 4, page, align="R")

    pdf = _Pages(orientation="portrait", unit="mm", format="A4")
    fonts = importlib.resources.files("partnerkit.billing.render") / "fonts"
    with importlib.resources.as_file(fonts) as directory:
        for style, name in _FILES.items():
            pdf.add_font(_FONT, style, directory / name)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    # Pages are turned by hand: the table knows where a row ends, and cell() is slow.
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_lang(where.name.replace("_", "-"))
    pdf.alias_nb_pages(total)
    pdf.set_creator("partnerkit")
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    return pdf


def _fitted(pdf: Any, text: str, width: float) -> str:
    """`text` cut with "…" to print within `width` in the current font."""
    if _measure(pdf, text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _measure(pdf, text[:middle].rstrip() + "…") <= width:
            low = middle
        else:
            high = middle - 1
    kept = text[:low]
    if text[low : low + 1].strip() and " " in kept:
        # Cut between words when that costs little of the column.
        words = kept.rsplit(" ", 1)[0]
        if len(words) >= 0.6 * len(kept):
            kept = words
    return kept.rstrip() + "…"


class _Table:
    """Rows of cells across the page, turning the page when one is full."""

    def __init__(
        self,
        pdf: Any,
        headings: list[str],
        columns: tuple[tuple[float, bool], ...],
        running_head: str,
        max_pages: int | None = None,
    ) -> None:
        self.pdf = pdf
        self.headings = headings
        self.columns = columns
        self.running_head = running_head
        self.max_pages = max_pages
        self.y = 0.0

    def start(self, y: float) -> None:
        self.y = y
        self._headings()

    def _headings(self) -> None:
        pdf = self.pdf
        pdf.set_fill_color(*_SHADE)
        pdf.rect(_MARGIN, self.y, _WIDTH, _ROW, style="F")
        pdf.set_font(_FONT, "B", _TEXT_SIZE)
        self._cells(self.headings)
        pdf.set_font(_FONT, "", _TEXT_SIZE)

    def _turn(self) -> None:
        pdf = self.pdf
        if self.max_pages is not None and pdf.page_no() >= self.max_pages:
            raise _PageLimit
        pdf.add_page()
        pdf.set_font(_FONT, "", 7.5)
        pdf.set_text_color(*_MUTED)
        pdf.text(_MARGIN, _MARGIN + 3, self.running_head)
        pdf.set_text_color(*_INK)
        self.y = _NEXT_TABLE_TOP
        self._headings()

    def _cells(self, cells: list[str]) -> None:
        pdf = self.pdf
        baseline = self.y + _ROW - 1.6
        x = _MARGIN
        for text, (width, right) in zip(cells, self.columns, strict=True):
            if text:
                inner = width - 2.0
                if right:
                    # An amount is never cut: one too wide for its column prints smaller.
                    size = _TEXT_SIZE
                    while _measure(pdf, text) > inner and size > _SMALLEST:
                        size -= 0.5
                        pdf.set_font_size(size)
                    pdf.text(x + width - 1.0 - _measure(pdf, text), baseline, text)
                    if size != _TEXT_SIZE:
                        pdf.set_font_size(_TEXT_SIZE)
                else:
                    pdf.text(x + 1.0, baseline, _fitted(pdf, text, inner))
            x += width
        self.y += _ROW

    def row(self, cells: list[str], *, bold: bool = False, shaded: bool = False) -> None:
        pdf = self.pdf
        if self.y + _ROW > _BOTTOM:
            self._turn()
        if shaded:
            pdf.set_fill_color(*_SHADE)
            pdf.rect(_MARGIN, self.y, _WIDTH, _ROW, style="F")
        if bold:
            pdf.set_font(_FONT, "B", _TEXT_SIZE)
        self._cells(cells)
        if bold:
            pdf.set_font(_FONT, "", _TEXT_SIZE)
        pdf.line(_MARGIN, self.y, _MARGIN + _WIDTH, self.y)

    def total(self, label: str, amount: str) -> None:
        """A last line in bold: `label` right-aligned before the last column, `amount` in it."""
        pdf = self.pdf
        if self.y + _ROW > _BOTTOM:
            self._turn()
        pdf.set_font(_FONT, "B", _TEXT_SIZE + 1)
        baseline = self.y + _ROW - 1.2
        last = self.columns[-1][0]
        right = _MARGIN + _WIDTH - 1.0
        pdf.text(right - _measure(pdf, amount), baseline, amount)
        pdf.text(right - last - _measure(pdf, label), baseline, label)
        pdf.set_font(_FONT, "", _TEXT_SIZE)
        self.y += _ROW


class _PageLimit(Exception):
    """The statement reached its page bound while it was written."""


def _facts(
    pdf: Any,
    pairs: list[tuple[str, str]],
    x: float,
    y: float,
    label_width: float,
    value_width: float,
) -> float:
    for label, value in pairs:
        pdf.set_font(_FONT, "", 9)
        pdf.set_text_color(*_MUTED)
        pdf.text(x, y, label)
        pdf.set_text_color(*_INK)
        pdf.text(x + label_width, y, _fitted(pdf, value, value_width))
        y += 5.5
    return y


def _due_text(closing: Money, where: DocumentLocale) -> tuple[str, str]:
    if closing.is_negative:
        return where.words.in_credit, where.money(-closing)
    return where.words.amount_due, where.money(closing)


def render_statement_pdf(
    header: object,
    entries: Iterable[StatementEntry],
    *,
    locale: str = "en_US",
    max_pages: int = MAX_PDF_PAGES,
) -> bytes:
    """A statement of accounts as a PDF on A4, ready to download or print (003 seed).

    The first page names the customer, the period and the date of issue, with the opening
    balance, the closing balance and the amount due (or the credit) in a box; the table lists
    every entry with its date, kind, reference, description, debit, credit and running
    balance, between an opening and a closing row, and repeats its headings on every page.
    Each page's footer says "Page 2 of 7" in the locale's language. A description too long for
    its column is cut with "…"; an amount too wide prints smaller, never cut. The text is set
    in Noto Sans, shipped with partnerkit, so any Latin, Greek or Cyrillic name and every
    currency sign prints.

    The PDF writer keeps the pages in memory until the file is complete: a statement whose
    `entry_count` needs more than `max_pages` pages is refused before a page is written (and
    one whose entries turn out to need more, when the bound is reached).

    Args:
        header: The statement's `StatementHeader`; its `entry_count` decides the page count.
        entries: The period's `StatementEntry` values in date order; any iterable, read once.
        locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.
        max_pages: The most pages the PDF may have; 500 by default (`MAX_PDF_PAGES`).

    Returns:
        The PDF file's bytes.

    Raises:
        InvalidInputError: `locale` is not a known locale, `max_pages` is not a positive whole
            number, or `header` or an entry is not one (`validation.invalid`).
        StatementTooLongError: The statement needs more than `max_pages` pages
            (`statement.too_long_for_pdf`).
        CurrencyMismatchError: An entry is in another currency than the statement
            (`money.currency_mismatch`).
        MissingExtraError: fpdf2 is not installed (`configuration.missing_extra`).
    """
    head = check_header(header)
    where = document_locale(locale).on_calendar(head.time_zone)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise InvalidInputError(
            "The most pages a PDF may have must be a whole number above zero.",
            field="max_pages",
            details={"value": repr(max_pages)},
        )
    needed = statement_pages(head.entry_count)
    if needed > max_pages:
        raise _too_long(head.entry_count, needed, max_pages)
    words = where.words
    period = where.period(head.start, head.end)
    pdf = _document(
        where,
        f"{words.statement} – {head.customer_name}",
        f"{words.statement} · {head.customer_name} · {period}",
        max_pages,
    )
    pdf.set_creation_date(head.issued_at)
    pdf.add_page()
    _statement_heading(pdf, head, where, period)
    table = _Table(
        pdf,
        [
            words.date,
            words.kind,
            words.reference,
            words.description,
            words.debit,
            words.credit,
            words.balance,
        ],
        _statement_columns(pdf, where),
        f"{head.customer_name} · {words.statement} · {period}",
        max_pages,
    )
    table.start(_FIRST_TABLE_TOP)
    table.row(
        [where.day(head.start), "", "", words.opening, "", "", where.money(head.opening)],
        bold=True,
    )
    count = 0
    try:
        for entry in checked(entries, head.currency):
            table.row(
                [
                    where.day(entry.at),
                    where.kind(entry.kind),
                    entry.reference,
                    where.describe(entry),
                    where.money(entry.debit) if entry.debit is not None else "",
                    where.money(entry.credit) if entry.credit is not None else "",
                    where.money(entry.balance),
                ]
            )
            count += 1
        if count == 0:
            table.row(["", words.no_entries, "", "", "", "", ""])
        table.row(
            [where.day(head.end), "", "", words.closing, "", "", where.money(head.closing)],
            bold=True,
            shaded=True,
        )
        table.total(*_due_text(head.closing, where))
    except _PageLimit:
        raise _too_long(max(count, head.entry_count), statement_pages(count), max_pages) from None
    return bytes(pdf.output())


def _too_long(entries: int, pages: int, max_pages: int) -> StatementTooLongError:
    return StatementTooLongError(
        f"This statement has {entries} entries, which would take more than {max_pages} "
        f"pages as a PDF.",
        field="entries",
        details={"entries": entries, "pages": pages, "max_pages": max_pages},
    )


def _letterhead(pdf: Any, where: DocumentLocale, issuer: Issuer | None) -> None:
    """The issuer at the top right, above everything else: its name, then its address and
    its tax number and email in small muted type, three lines at most so that the page below
    keeps its place, each cut to the space there is."""
    if issuer is None:
        return
    right, room = _MARGIN + _WIDTH, 80.0
    pdf.set_font(_FONT, "B", 8.5)
    name = _fitted(pdf, issuer.name, room)
    pdf.text(right - _measure(pdf, name), _MARGIN + 2.5, name)
    extras = [f"{where.words.tax_id}: {issuer.tax_id}" if issuer.tax_id else "", issuer.email or ""]
    small = [" · ".join(issuer.address), " · ".join(e for e in extras if e)]
    pdf.set_font(_FONT, "", 7)
    pdf.set_text_color(*_MUTED)
    for n, line in enumerate(line for line in small if line):
        fitted = _fitted(pdf, line, room)
        pdf.text(right - _measure(pdf, fitted), _MARGIN + 6 + 3.2 * n, fitted)
    pdf.set_text_color(*_INK)


def _statement_heading(pdf: Any, head: StatementHeader, where: DocumentLocale, period: str) -> None:
    words = where.words
    _letterhead(pdf, where, head.issuer)
    pdf.set_font(_FONT, "B", 18)
    pdf.text(_MARGIN, _MARGIN + 7, words.statement)
    pdf.set_font(_FONT, "B", 12)
    pdf.text(_MARGIN, _MARGIN + 17, _fitted(pdf, head.customer_name, 100))
    _facts(
        pdf,
        [(words.period, period), (words.issued, where.long_day(head.issued_at))],
        _MARGIN,
        _MARGIN + 26,
        24,
        76,
    )
    # The balances in a box on the right, the amount due last and largest.
    box_x, box_y, box_w, box_h = _MARGIN + 110, _MARGIN + 12, _WIDTH - 110, 29
    pdf.set_fill_color(*_SHADE)
    pdf.rect(box_x, box_y, box_w, box_h, style="F")
    label, amount = _due_text(head.closing, where)
    rows = [
        (words.opening, where.money(head.opening), 9.0),
        (words.closing, where.money(head.closing), 9.0),
        (label, amount, 12.0),
    ]
    y = box_y + 8
    for text, value, size in rows:
        pdf.set_font(_FONT, "B" if size > 9 else "", size)
        pdf.text(box_x + 4, y, text)
        pdf.text(box_x + box_w - 4 - _measure(pdf, value), y, value)
        y += 9 if size > 9 else 7.5


def render_receipt_pdf(receipt: object, *, locale: str = "en_US") -> bytes:
    """A payment receipt as a one-page PDF on A4 (003 seed: "Download PDF or Print").

    It prints the receipt's number, the customer, the payment's date, amount, method and
    reference, then the invoices the payment paid with the amount applied to each, what was
    kept as credit, and the total received.

    Args:
        receipt: The payment's `Receipt`.
        locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.

    Returns:
        The PDF file's bytes.

    Raises:
        InvalidInputError: `locale` is not a known locale, or `receipt` is not a receipt
            (`validation.invalid`).
        MissingExtraError: fpdf2 is not installed (`configuration.missing_extra`).
    """
    paid = check_receipt(receipt)
    where = document_locale(locale).on_calendar(paid.time_zone)
    words = where.words
    running_head = f"{words.receipt} {paid.number} · {paid.customer_name}"
    pdf = _document(where, f"{words.receipt} {paid.number}", running_head)
    pdf.set_creation_date(paid.paid_at)
    pdf.add_page()
    _letterhead(pdf, where, paid.issuer)
    pdf.set_font(_FONT, "B", 18)
    pdf.text(_MARGIN, _MARGIN + 7, words.receipt)
    pdf.set_font(_FONT, "B", 12)
    pdf.text(_MARGIN, _MARGIN + 17, _fitted(pdf, paid.customer_name, _WIDTH))
    facts = [
        (words.receipt_number, paid.number),
        (words.paid_at, where.long_day(paid.paid_at)),
        (words.method, where.method(paid)),
    ]
    if paid.reference:
        facts.append((words.payment_reference, paid.reference))
    y = _facts(pdf, facts, _MARGIN, _MARGIN + 27, 38, _WIDTH - 38)
    # The amount received, large, as the thing the receipt proves.
    pdf.set_fill_color(*_SHADE)
    pdf.rect(_MARGIN, y, _WIDTH, 14, style="F")
    pdf.set_font(_FONT, "", 10)
    pdf.text(_MARGIN + 4, y + 9, words.amount)
    pdf.set_font(_FONT, "B", 14)
    received = where.money(paid.amount)
    pdf.text(_MARGIN + _WIDTH - 4 - _measure(pdf, received), y + 9.5, received)
    y += 24
    if paid.lines or not paid.to_credit.is_zero:
        pdf.set_font(_FONT, "B", 11)
        pdf.text(_MARGIN, y, words.invoices_paid)
        columns = ((_WIDTH - 50.0, False), (50.0, True))
        table = _Table(pdf, [words.invoice, words.applied], columns, running_head)
        table.start(y + 3)
        for line in paid.lines:
            table.row([line.invoice_number, where.money(line.amount)])
        if not paid.to_credit.is_zero:
            table.row([words.to_credit, where.money(paid.to_credit)])
        table.row([words.total, received], bold=True, shaded=True)
    return bytes(pdf.output())

"""Rendering a statement of N entries, for each format: wall time and Python's peak memory.

Text, HTML and CSV stream, so their peak stays flat as N grows; the PDF writer keeps its pages
until the file is complete, so its peak grows with N (render_statement_pdf bounds the pages).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import partnerkit as pk


def entries(n: int) -> Iterator[pk.StatementEntry]:
    """n entries made as they are asked for, as a database cursor gives them."""
    invoice, payment = pk.Money.of("119.00", "EUR"), pk.Money.of("100.00", "EUR")
    balance = pk.Money.of("250.00", "EUR")
    for i in range(n):
        is_invoice = i % 2 == 0
        balance = balance + invoice if is_invoice else balance - payment
        yield pk.StatementEntry(
            at=datetime(2026, 3, 1 + i % 28, 10, 0, tzinfo=UTC),
            kind=pk.StatementEntryKind.INVOICE if is_invoice else pk.StatementEntryKind.PAYMENT,
            reference=f"INV-{i:06d}",
            description="CRM Professional, monthly licence",
            debit=invoice if is_invoice else None,
            credit=None if is_invoice else payment,
            balance=balance,
        )


def header(n: int) -> pk.StatementHeader:
    pairs, odd = divmod(n, 2)
    return pk.StatementHeader(
        customer_id="cus_1",
        customer_name="Müller GmbH",
        currency="EUR",
        start=date(2020, 1, 1),
        end=date(2026, 3, 31),
        opening=pk.Money.of("250.00", "EUR"),
        closing=pk.Money.of(f"{250 + 19 * pairs + 119 * odd}.00", "EUR"),
        issued_at=datetime(2026, 4, 1, tzinfo=UTC),
        entry_count=n,
    )


def _drain(chunks: Iterator[str]) -> int:
    return sum(len(chunk) for chunk in chunks)


FORMATS: dict[str, Callable[[int], int]] = {
    "text": lambda n: _drain(pk.render_statement_text(header(n), entries(n), locale="de_DE")),
    "html": lambda n: _drain(pk.render_statement_html(header(n), entries(n), locale="de_DE")),
    "csv": lambda n: _drain(pk.render_statement_csv(header(n), entries(n))),
    "pdf": lambda n: len(
        pk.render_statement_pdf(header(n), entries(n), locale="de_DE", max_pages=10**6)
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--no-peak", action="store_true", help="time only (tracemalloc is slow)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"{'format':6} {'entries':>8} {'output':>12} {'time':>9} {'peak (tracemalloc)':>19}")
    for name in args.formats.split(","):
        render = FORMATS[name]
        render(10)  # warm-up: babel's locale data, the templates, the fonts
        for n in sizes:
            gc.collect()
            started = time.perf_counter()
            size = render(n)
            elapsed = time.perf_counter() - started
            peak = "-"
            if not args.no_peak:
                tracemalloc.start()
                render(n)
                peak = f"{tracemalloc.get_traced_memory()[1] / 1e6:.1f} MB"
                tracemalloc.stop()
            unit = "bytes" if name == "pdf" else "chars"
            print(f"{name:6} {n:>8} {size:>6.1e} {unit:5} {elapsed:>8.2f}s {peak:>19}", flush=True)


if __name__ == "__main__":
    main()

"""A statement of accounts streams (issue 10): time and peak memory to build the statement of a
customer with N entries on SQLite, read to the end through `kit.billing.statement`, beside the
same with fewer. Memory must stay flat: entries are read in keyset batches and handed on one
by one, never held as a list.

Also: recording a payment for one invoice beside N unrelated invoices of other customers, and
paying one online through the (fake) gateway with a saved card (the cost must not grow with
them).

    .venv/bin/python benchmarks/bench_statement.py [--sizes 1000,100000] [--dir DIR]

The ledger rows are written straight through the ledger's table in one transaction (fast, not
timed); the statement is then asked for as a host asks for it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
from _common import remove_db

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.billing import INVOICES, LEDGER
from partnerkit.billing import service
from partnerkit.billing.documents import EntryKind
from partnerkit.billing.ledger import LedgerEntry

T0 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")
KINDS = (EntryKind.INVOICE, EntryKind.PAYMENT, EntryKind.CREDIT_NOTE, EntryKind.REFUND)


def _kit(directory: Path, name: str) -> tuple[pk.Kit, SqlBackend]:
    path = directory / f"{name}.db"
    remove_db(path)
    kit = pk.connect(f"sqlite:///{path}", clock=pk.SimulatedClock(T0 + timedelta(days=400)))
    kit.migrate()
    assert isinstance(kit.backend, SqlBackend)
    return kit, kit.backend


def _checkpoint(backend: SqlBackend) -> None:
    """Fold the bulk load's write-ahead log into the database before timing: otherwise the
    first timed commits pay for checkpointing the load, which is no cost of the operation."""
    # On the driver's connection, outside a transaction (a checkpoint cannot run inside one).
    raw = backend.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def _entries(customer_id: str, n: int) -> list[dict[str, object]]:
    rows = []
    for i in range(n):
        kind = KINDS[i % 4]
        sign = 1 if kind in (EntryKind.INVOICE, EntryKind.REFUND) else -1
        rows.append(
            LEDGER.row(
                LedgerEntry(
                    id=f"led_{i:09d}",
                    customer_id=customer_id,
                    # Spread over the year, several entries per second at 100k.
                    at=T0 + timedelta(seconds=i * 300 // max(1, n // 1000)),
                    kind=kind,
                    document_id=f"doc_{i}",
                    reference=f"DOC-{i:06d}",
                    description=f"{kind.value} {i}",
                    amount=pk.Money.from_minor(sign * (1000 + i % 97), "USD"),
                )
            )
        )
    return rows


def statement_run(directory: Path, n: int) -> tuple[float, int, int]:
    """(seconds, peak bytes traced, entries read) for one statement of n entries."""
    kit, backend = _kit(directory, f"statement_{n}")
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    with backend.engine.begin() as conn:
        conn.execute(t.ledger_entries.insert(), _entries(acme.id, n))
    _checkpoint(backend)
    user = pk.Principal.customer_user(acme.id, "it@acme.example")
    first, last = date(2025, 1, 1), date(2027, 12, 31)
    # Warm up in batches of one over the first day: both keyset statements get compiled and
    # cached, which is no cost per entry (else the first batch beyond one would pay for it).
    saved, service.STATEMENT_BATCH = service.STATEMENT_BATCH, 1
    try:
        for _ in kit.billing.statement(acme.id, date(2026, 1, 1), date(2026, 1, 1), actor=user)[1]:
            pass
    finally:
        service.STATEMENT_BATCH = saved

    def read_all() -> tuple[int, pk.Money, pk.Money, int]:
        header, entries = kit.billing.statement(acme.id, first, last, actor=user)
        read, balance = 0, header.opening
        for entry in entries:
            read += 1
            balance = entry.balance
        return read, balance, header.closing, header.entry_count

    # Time without tracing (tracemalloc slows every allocation), then the peak with it.
    gc.collect()
    started = time.perf_counter()
    read, balance, closing, count = read_all()
    elapsed = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    read_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert read == count == n, (read, count, n)
    assert balance == closing
    kit.close()
    return elapsed, peak, read


def payment_run(directory: Path, n: int, reps: int, backend: str, *, online: bool = False) -> float:
    """Median seconds to record (or, `online`, to pay through the gateway) a payment for one
    invoice beside n other customers' invoices."""
    if backend == "memory":
        kit = pk.connect("memory://", clock=pk.SimulatedClock(T0 + timedelta(days=400)))
    else:
        kit, _ = _kit(directory, f"payment_{n}")
        kit = pk.Kit(
            kit.backend, clock=kit.clock, payment_gateway=pk.FakePaymentGateway(clock=kit.clock)
        )
    other = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    template = kit.billing.create_invoice(
        other.id, [pk.InvoiceLine.of("Seats", 1, pk.Money.of("10", "USD"))], issue=True, actor=STAFF
    )
    others = [
        attrs.evolve(template, id=f"inv_{i}", number=f"INV-{i:06d}", sequence=i + 2)
        for i in range(n)
    ]
    if isinstance(kit.backend, SqlBackend):
        with kit.backend.engine.begin() as conn:
            conn.execute(t.invoices.insert(), [INVOICES.row(i) for i in others])
        _checkpoint(kit.backend)
    else:
        with kit.backend.unit_of_work() as uow:
            for invoice in others:
                uow.invoices.add(invoice)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    kit.billing.create_tax_rate("VAT", "0", default=True, actor=STAFF)  # CP2001 wants one
    card = kit.billing.add_payment_method(
        acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=STAFF
    )
    times = []
    for rep in range(reps + 3):
        invoice = kit.billing.create_invoice(
            acme.id,
            [pk.InvoiceLine.of("Seats", 1, pk.Money.of("10", "USD"))],
            issue=True,
            actor=STAFF,
        )
        assert isinstance(kit.clock, pk.SimulatedClock)
        kit.clock.advance(timedelta(minutes=10))  # past the duplicate window (CP3005)
        started = time.perf_counter()
        if online:
            kit.billing.pay([invoice.id], method_id=card.id, idempotency_key=f"r{rep}", actor=STAFF)
        else:
            kit.billing.record_payment(
                acme.id, pk.Money.of("10", "USD"), method=pk.PaymentMethodKind.CASH, actor=STAFF
            )
        if rep >= 3:  # the first calls compile their statements
            times.append(time.perf_counter() - started)
    kit.close()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--payments", default="10,100000", help="invoices beside the payment")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.dir or Path(scratch)
        print("statement of accounts on SQLite, read to the end:")
        print(f"  {'entries':>9}  {'seconds':>8}  {'per entry':>10}  {'peak memory':>12}")
        results = {}
        for n in sizes:
            elapsed, peak, _ = statement_run(directory, n)
            results[n] = (elapsed, peak)
            print(
                f"  {n:>9,}  {elapsed:>8.3f}  {elapsed / n * 1e6:>8.1f}us  {peak / 1024:>9.0f} KiB"
            )
        small, large = results[sizes[0]], results[sizes[-1]]
        print(
            f"  {sizes[-1]:,} vs {sizes[0]:,} entries: time {large[0] / small[0]:.1f}x, "
            f"peak memory {large[1] / small[1]:.2f}x"
        )
        counts = [int(s) for s in args.payments.split(",")]
        for call, online in (("record_payment", False), ("pay (online)", True)):
            for backend in ("memory", "sqlite"):
                print(f"{call} for one invoice beside N other invoices, {backend} (median):")
                medians = {}
                for n in counts:
                    medians[n] = payment_run(directory, n, args.reps, backend, online=online)
                    print(f"  N={n:>9,}  {medians[n] * 1000:>7.3f} ms")
                growth = medians[counts[-1]] / medians[counts[0]]
                print(f"  N={counts[-1]:,} vs N={counts[0]:,}: {growth:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A renewal run (issue 11, "Scale"): `kit.run_due()` on the day N live monthly subscriptions
renew, each invoiced once, on the memory backend and SQLite with one worker, and on PostgreSQL
with one and with two workers at once; beside the raw driver (sqlite3, psycopg) doing the same
writes in the same run, batch by batch.

    .venv/bin/python benchmarks/bench_renewals.py [--n 5000] [--rounds 2] [--postgres URL]

The subscriptions, their customers and the plan are written through the repositories first
(`partnerkit.testing.renewals`, not timed). The raw baseline writes, per subscription, exactly
the rows partnerkit's run wrote for one subscription renewed the same way (every table, every
column, the outbox's events included, with the ids swapped), claims its batches of 200 the way
the run does (`FOR UPDATE SKIP LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), reads each
batch's subscriptions and the plan, locks the batch's customers and billing accounts, versions
each subscription, and writes the batch's outbox messages with one executemany, as the run
does. PostgreSQL runs when `--postgres URL` (or PARTNERKIT_TEST_POSTGRES_URL) names a
database, which is wiped.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from _common import connect_raw, remove_db

import partnerkit as pk
from partnerkit.backends.memory import MemoryBackend
from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql.schema import metadata
from partnerkit.testing.databases import wipe
from partnerkit.testing.renewals import due_subscriptions, renewal_instant

BATCH = pk.SubscriptionPolicy().renewal_batch
RAW = "raw driver"

# --- the rows one renewal writes -----------------------------------------------------------------

_ID = re.compile(r"\b[a-z]{2,5}_[0-9a-f]{16,32}\b")


@attrs.frozen
class Renewal:
    """What partnerkit's run wrote for one subscription, as column templates: `{sub}` and
    `{cus}` stand for the subscription and its customer, `{0}`, `{1}`... for the ids it made."""

    inserts: tuple[tuple[str, tuple[str, ...], tuple[Any, ...]], ...]
    update_columns: tuple[str, ...]
    update_values: tuple[Any, ...]
    fresh: tuple[str, ...]  # the prefixes of the ids it made, in template order

    def ids(self) -> list[str]:
        return [f"{prefix}_{uuid.uuid4().hex}" for prefix in self.fresh]


def _rows(conn: Any, table: str) -> list[tuple[Any, ...]]:
    cur = conn.cursor()
    cur.execute(f"SELECT * FROM {table}")
    return [tuple(r) for r in cur.fetchall()]


def _columns(conn: Any, table: str) -> tuple[str, ...]:
    cur = conn.cursor()
    cur.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    return tuple(d[0] for d in cur.description)


def learn_renewal(backend: SqlBackend, raw: Any) -> Renewal:
    """Renew one subscription through partnerkit and keep what it wrote, as the raw driver
    reads it back: the same bytes go in again for every subscription of the raw run."""
    wipe(backend)
    [sid] = due_subscriptions(backend, 1)
    tables = [t.name for t in metadata.sorted_tables]
    before = {name: set(_rows(raw, name)) for name in tables}
    raw.commit()
    pk.Kit(backend, clock=pk.SimulatedClock(renewal_instant())).run_due()
    with backend.unit_of_work(readonly=True) as uow:
        sub = uow.subscriptions.get(sid)
        assert sub is not None and sub.term_index == 2, sub
        cid = sub.customer_id
    fresh: dict[str, str] = {}
    inserts = []
    update: tuple[tuple[str, ...], tuple[Any, ...]] = ((), ())
    for name in tables:
        cols = _columns(raw, name)
        new = [r for r in _rows(raw, name) if r not in before[name]]
        if name == "subscriptions":
            [old] = list(before[name])
            [row] = new
            changed = [i for i, (a, b) in enumerate(zip(old, row, strict=True)) if a != b]
            update = (tuple(cols[i] for i in changed), tuple(row[i] for i in changed))
            continue
        for row in new:
            values = []
            for value in row:
                if isinstance(value, str):
                    for found in _ID.findall(value):
                        if found not in (sid, cid):
                            fresh.setdefault(found, str(len(fresh)))
                    text = value.replace("{", "{{").replace("}", "}}")
                    text = text.replace(sid, "{sub}").replace(cid, "{cus}")
                    for old_id, key in fresh.items():
                        text = text.replace(old_id, "{" + key + "}")
                    values.append(_Template(text))
                else:
                    values.append(value)
            inserts.append((name, cols, tuple(values)))
    raw.commit()
    wipe(backend)
    prefixes = tuple(old.split("_")[0] for old in fresh)
    return Renewal(tuple(inserts), update[0], update[1], prefixes)


@attrs.frozen
class _Template:
    text: str

    def fill(self, sub: str, cus: str, ids: Sequence[str]) -> str:
        return self.text.format(*ids, sub=sub, cus=cus)


# --- the raw run ---------------------------------------------------------------------------------


@attrs.frozen
class Dialect:
    mark: str
    #: None: the driver opens the transaction itself (psycopg), and commits with commit().
    begin: str | None
    claim_suffix: str
    lock_suffix: str
    #: The customer rows' lock, which lets rows that only refer to them go on.
    key_lock_suffix: str


SQLITE = Dialect("?", "BEGIN IMMEDIATE", "", "", "")
POSTGRES = Dialect("%s", None, " FOR UPDATE SKIP LOCKED", " FOR UPDATE", " FOR NO KEY UPDATE")


def _commit(conn: Any, dialect: Dialect) -> None:
    if dialect.begin:
        conn.execute("COMMIT")  # sqlite3 in autocommit mode, as partnerkit drives it
    else:
        conn.commit()


def raw_run(conn: Any, renewal: Renewal, dialect: Dialect, now: Any) -> int:
    """Renew every due subscription with the raw driver, batch by batch, the way the run does:
    the batch's customers and their billing accounts locked in one statement each, every row
    written on its own but the outbox's, which go in with one executemany per batch."""
    m = dialect.mark
    claim = (
        f"SELECT id FROM subscriptions WHERE due_at <= {m} ORDER BY due_at, id LIMIT {BATCH}"
        + dialect.claim_suffix
    )
    load = "SELECT * FROM subscriptions WHERE id IN ({})"
    children = [
        "SELECT * FROM subscription_addons WHERE subscription_id IN ({})",
        "SELECT * FROM subscription_coupons WHERE subscription_id IN ({})",
    ]
    plan = f"SELECT * FROM plans WHERE id = {m}"
    customers = "SELECT id FROM customers WHERE id IN ({}) ORDER BY id" + dialect.key_lock_suffix
    accounts = (
        "SELECT * FROM billing_accounts WHERE customer_id IN ({}) ORDER BY customer_id"
        + dialect.lock_suffix
    )
    inserts = [
        (
            name,
            f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join([m] * len(cols))})",
            values,
        )
        for name, cols, values in renewal.inserts
    ]
    sets = ", ".join(f"{c} = {m}" for c in renewal.update_columns)
    update = f"UPDATE subscriptions SET {sets} WHERE id = {m} AND version = {m}"
    renewed = 0
    cur = conn.cursor()
    while True:
        if dialect.begin:
            cur.execute(dialect.begin)
        cur.execute(claim, (now,))
        ids = [r[0] for r in cur.fetchall()]
        if not ids:
            _commit(conn, dialect)
            return renewed
        marks = ", ".join([m] * len(ids))
        cur.execute(load.format(marks), ids)
        subs = {r[0]: r for r in cur.fetchall()}
        at = {d[0]: i for i, d in enumerate(cur.description)}
        for query in children:
            cur.execute(query.format(marks), ids)
            cur.fetchall()
        cids = sorted({subs[sid][at["customer_id"]] for sid in ids})
        for query in (customers, accounts):
            cur.execute(query.format(", ".join([m] * len(cids))), cids)
            cur.fetchall()
        cur.execute(plan, (subs[ids[0]][at["plan_id"]],))
        cur.fetchall()
        outbox: dict[str, list[list[Any]]] = {}
        for sid in ids:
            cid = subs[sid][at["customer_id"]]
            made = renewal.ids()
            for name, sql, values in inserts:
                row = [v.fill(sid, cid, made) if isinstance(v, _Template) else v for v in values]
                if name == "outbox":
                    outbox.setdefault(sql, []).append(row)
                else:
                    cur.execute(sql, row)
            version = subs[sid][at["version"]]
            cur.execute(update, (*renewal.update_values, sid, version))
            renewed += 1
        for sql, rows in outbox.items():
            cur.executemany(sql, rows)
        _commit(conn, dialect)


# --- the contestants -----------------------------------------------------------------------------


def written(backend: SqlBackend, renewal: Renewal) -> dict[str, int]:
    """The rows in each table a renewal writes to, and the subscriptions in their second term:
    the raw run and partnerkit's must leave the same."""
    names = sorted({name for name, _, _ in renewal.inserts})
    with backend.engine.connect() as conn:
        counts = {
            name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
            for name in names
        }
        counts["subscriptions renewed"] = conn.exec_driver_sql(
            "SELECT count(*) FROM subscriptions WHERE term_index = 2"
        ).scalar_one()
    return counts


def _kit(backend: Any) -> pk.Kit:
    return pk.Kit(backend, clock=pk.SimulatedClock(renewal_instant()))


def time_workers(kits: Sequence[pk.Kit]) -> tuple[float, int]:
    """Every kit's run_due at once, each in its own thread: seconds, subscriptions renewed."""
    done: list[int] = []
    barrier = threading.Barrier(len(kits))

    def work(kit: pk.Kit) -> None:
        barrier.wait()
        done.append(kit.run_due().handled["subscriptions"])

    threads = [threading.Thread(target=work, args=(kit,)) for kit in kits]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, sum(done)


def time_raw(connect: Callable[[], Any], workers: int, run: Callable[[Any], int], n: int) -> float:
    """The raw run in `workers` threads at once, each on its own connection (opened in its
    thread, as sqlite3 wants): seconds; checks that together they renewed all `n`."""
    barrier = threading.Barrier(workers)
    counts: list[int] = []
    failures: list[BaseException] = []

    def work() -> None:
        conn = connect()
        try:
            barrier.wait()
            counts.append(run(conn))
        except BaseException as exc:  # re-raised below, in the main thread
            failures.append(exc)
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    if failures:
        raise failures[0]
    assert sum(counts) == n, (counts, n)
    return took


def _report(title: str, n: int, times: dict[str, list[float]]) -> None:
    """Each contestant's best and worst time, its rate, and its ratio to the raw run with as
    many workers (the labels end in the worker count)."""
    best = {label: min(values) for label, values in times.items()}
    print(title)
    print(f"  {'':40} {'best s':>7} {'worst s':>8} {'renewed/s':>10} {'vs raw':>7}")
    for label, values in times.items():
        workers = label.rsplit(",", 1)[-1]
        base = next(v for k, v in best.items() if k.startswith(RAW) and k.endswith(workers))
        ratio = f"{best[label] / base:.1f}x"
        print(
            f"  {label:40} {best[label]:7.2f} {max(values):8.2f} {n / best[label]:10.0f} {ratio:>7}"
        )
    print()


def bench_sqlite(directory: Path, n: int, rounds: int) -> None:
    path = directory / "renewals.db"
    times: dict[str, list[float]] = {
        f"{RAW} (sqlite3), 1 worker": [],
        "partnerkit SQLite, 1 worker": [],
        "partnerkit memory, 1 worker": [],
    }
    remove_db(path)
    backend = SqlBackend.from_url(f"sqlite:///{path}")
    backend.migrate()
    learner = connect_raw(path)
    renewal = learn_renewal(backend, learner)
    learner.close()
    for _ in range(rounds):
        wipe(backend)
        due_subscriptions(backend, n)
        times[f"{RAW} (sqlite3), 1 worker"].append(
            time_raw(
                lambda: connect_raw(path),
                1,
                lambda c: raw_run(c, renewal, SQLITE, _sqlite_instant()),
                n,
            )
        )
        raw_rows = written(backend, renewal)
        wipe(backend)
        due_subscriptions(backend, n)
        took, renewed = time_workers([_kit(backend)])
        assert renewed == n, renewed
        assert written(backend, renewal) == raw_rows, (written(backend, renewal), raw_rows)
        times["partnerkit SQLite, 1 worker"].append(took)
        memory = MemoryBackend()
        due_subscriptions(memory, n)
        took, renewed = time_workers([_kit(memory)])
        assert renewed == n, renewed
        times["partnerkit memory, 1 worker"].append(took)
    backend.close()
    remove_db(path)
    _report(f"SQLite (WAL, synchronous=FULL) and memory, {n} due subscriptions", n, times)
    print(f"  rows written by each SQLite run: {raw_rows}")
    print()


def _sqlite_instant() -> str:
    # How partnerkit stores an instant on SQLite: naive UTC with microseconds.
    return renewal_instant().replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def bench_postgres(url: str, n: int, rounds: int) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    backends = [SqlBackend.from_url(url) for _ in range(2)]
    backends[0].migrate()
    learner = psycopg.connect(dsn)
    renewal = learn_renewal(backends[0], learner)
    learner.close()
    times: dict[str, list[float]] = {}
    for workers in (1, 2):
        times[f"{RAW} (psycopg), {workers} worker{'s' * (workers > 1)}"] = []
        times[f"partnerkit PostgreSQL, {workers} worker{'s' * (workers > 1)}"] = []
    for _ in range(rounds):
        for workers in (1, 2):
            label = f"{workers} worker{'s' * (workers > 1)}"
            wipe(backends[0])
            due_subscriptions(backends[0], n)
            times[f"{RAW} (psycopg), {label}"].append(
                time_raw(
                    lambda: psycopg.connect(dsn),
                    workers,
                    lambda c: raw_run(c, renewal, POSTGRES, renewal_instant()),
                    n,
                )
            )
            raw_rows = written(backends[0], renewal)
            wipe(backends[0])
            due_subscriptions(backends[0], n)
            took, renewed = time_workers([_kit(b) for b in backends[:workers]])
            assert renewed == n, renewed
            assert written(backends[0], renewal) == raw_rows
            times[f"partnerkit PostgreSQL, {label}"].append(took)
    wipe(backends[0])
    for backend in backends:
        backend.close()
    _report(f"PostgreSQL, {n} due subscriptions", n, times)
    print(f"  rows written by each PostgreSQL run: {raw_rows}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=5000, help="due subscriptions per run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the best of each counts")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("PARTNERKIT_TEST_POSTGRES_URL"),
        help="a PostgreSQL database to wipe and use (default: PARTNERKIT_TEST_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    print(f"Renewal runs: Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, ")
    print(f"batches of {BATCH}, best of {args.rounds} rounds; no charges (invoiced only)")
    print()
    with tempfile.TemporaryDirectory(prefix="partnerkit-bench-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        bench_sqlite(directory, args.n, args.rounds)
    if args.postgres:
        bench_postgres(args.postgres, args.n, args.rounds)
    else:
        print("PostgreSQL: skipped (no --postgres URL and no PARTNERKIT_TEST_POSTGRES_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

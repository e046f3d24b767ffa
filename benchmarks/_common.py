"""What the benchmark scripts share: the raw baseline's schema and connection, and the run.
The scripts run as `python benchmarks/bench_x.py`, so this directory is on sys.path."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql.backend import SQLITE_BUSY_TIMEOUT_MS

RAW = "raw sqlite3"
DEFAULTS = "partnerkit (defaults)"
QUIET = "partnerkit (deliver_on_commit=False)"

INSERT_OUTBOX = (
    "INSERT INTO outbox (id, kind, topic, payload, created_at, next_attempt_at, status, "
    "attempts, delivered_at, last_error) VALUES (?, 'event', ?, ?, ?, ?, 'pending', 0, NULL, NULL)"
)

# Letters only, without i, l and o: codes must not collide once 0/O and 1/l/I are folded.
_ALPHABET = "abcdefghjkmnpqrstuvw"
_CODE_WIDTH = 4  # 20**4 = 160,000 distinct codes


def code_for(i: int) -> str:
    """A letters-only suffix unique per i, fixed width so no code reads as a reserved word."""
    if not 0 <= i < len(_ALPHABET) ** _CODE_WIDTH:
        raise ValueError(f"i={i} is outside the code space")
    letters = []
    for _ in range(_CODE_WIDTH):
        i, digit = divmod(i, len(_ALPHABET))
        letters.append(_ALPHABET[digit])
    return "".join(reversed(letters)).upper()


def create_schema(path: Path) -> None:
    """partnerkit's own tables, keys, indexes and foreign keys, made by its migrations."""
    backend = SqlBackend.from_url(f"sqlite:///{path}")
    try:
        backend.migrate()
    finally:
        backend.close()


def connect_raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the pragmas partnerkit sets on SQLite."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def parse_args(argv: list[str] | None, doc: str | None, n_help: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--n", type=int, default=2000, help=n_help)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite files go")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of all three runs; the best of each counts"
    )
    return parser.parse_args(argv)


class PartnerkitBench(Protocol):
    def __call__(self, path: Path, n: int, *, deliver_on_commit: bool) -> float: ...


def run(
    directory: Path | None,
    n: int,
    *,
    title: str,
    unit: str,
    bench_raw: Callable[[Path, int], float],
    bench_partnerkit: PartnerkitBench,
    written: Callable[[Path, int], str],
    rounds: int = 3,
) -> None:
    """Warm up, then time raw and both partnerkit runs on fresh files, `rounds` times in turn,
    and print the best time of each with the ratio of the best times.

    The runs take turns so that a burst of load from elsewhere on the machine (or a slow
    stretch of the disk) falls on every contestant alike, and the best of each is the run
    least disturbed by it.
    """
    with tempfile.TemporaryDirectory(prefix="partnerkit-bench-") as tmp:
        directory = directory or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        runs: list[tuple[str, Path, Callable[[Path], float]]] = [
            (RAW, directory / "raw.db", lambda p: bench_raw(p, n)),
            (
                DEFAULTS,
                directory / "pk_default.db",
                lambda p: bench_partnerkit(p, n, deliver_on_commit=True),
            ),
            (
                QUIET,
                directory / "pk_no_delivery.db",
                lambda p: bench_partnerkit(p, n, deliver_on_commit=False),
            ),
        ]
        print(f"{title}, SQLite (WAL, synchronous=FULL) in {directory}")
        print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {rounds} rounds")
        print()
        # Warm up imports and SQLAlchemy's statement cache so the first measured run does not
        # pay for what every later one gets for free.
        warmup = directory / "warmup.db"
        remove_db(warmup)
        bench_partnerkit(warmup, min(n, 200), deliver_on_commit=True)
        remove_db(warmup)
        times: dict[str, list[float]] = {label: [] for label, _, _ in runs}
        rows: dict[str, str] = {}
        for _ in range(rounds):
            for label, path, bench in runs:
                remove_db(path)
                times[label].append(bench(path))
                rows[label] = written(path, n)
                remove_db(path)
        best = {label: min(values) for label, values in times.items()}
        print(f"{'':38} {'best s':>7} {'worst s':>8} {unit:>11} {'vs raw':>7}   rows written")
        for label, _, _ in runs:
            print(
                f"{label:38} {best[label]:7.2f} {max(times[label]):8.2f} "
                f"{n / best[label]:11.0f} {best[label] / best[RAW]:6.1f}x   {rows[label]}"
            )
        print()
        print(
            f"partnerkit is {best[DEFAULTS] / best[RAW]:.1f}x slower than raw sqlite3 "
            f"({best[QUIET] / best[RAW]:.1f}x with deliver_on_commit=False), best of {rounds}"
        )

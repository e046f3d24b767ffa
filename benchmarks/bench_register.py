"""Partner registration throughput: partnerkit on SQLite against raw sqlite3, in one run.

For each of n partners: register it, then issue its code, each call its own transaction, as
a host application calls them. The raw baseline does the same reads, writes the same rows with
the same pragmas, and commits as often. Prints partners per second and the ratio.

    .venv/bin/python benchmarks/bench_register.py [--n 2000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import partnerkit as pk
from partnerkit.backends.sql.backend import SQLITE_BUSY_TIMEOUT_MS

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


# --- partnerkit --------------------------------------------------------------------------------


def bench_partnerkit(path: Path, n: int, *, deliver_on_commit: bool) -> float:
    url = f"sqlite:///{path}"
    with pk.connect(url, deliver_on_commit=deliver_on_commit) as kit:
        kit.migrate()
        kit.catalog.add_product("crm", name="CRM")
        start = time.perf_counter()
        for i in range(n):
            p = kit.partners.register(
                name=f"Partner {i}",
                username=f"partner{i}",
                email=f"p{i}@example.com",
                regions=["IN"],
                expertise=["crm"],
            )
            kit.partners.issue_code(p.id, f"PARTNER{code_for(i)}")
        return time.perf_counter() - start


# --- raw sqlite3 -------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE products (key VARCHAR(40) PRIMARY KEY, name VARCHAR(200) NOT NULL,
    created_at DATETIME NOT NULL, version INTEGER NOT NULL);
CREATE TABLE partners (id VARCHAR(40) PRIMARY KEY, name VARCHAR(200) NOT NULL,
    email VARCHAR(254) NOT NULL, username VARCHAR(30) UNIQUE, kind VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL, created_at DATETIME NOT NULL,
    last_active_at DATETIME NOT NULL, version INTEGER NOT NULL);
CREATE INDEX ix_partners_email ON partners (email);
CREATE TABLE partner_domains (partner_id VARCHAR(40) NOT NULL REFERENCES partners (id),
    position INTEGER NOT NULL, domain VARCHAR(253) NOT NULL,
    PRIMARY KEY (partner_id, position));
CREATE INDEX ix_partner_domains_domain ON partner_domains (domain);
CREATE TABLE partner_regions (partner_id VARCHAR(40) NOT NULL REFERENCES partners (id),
    position INTEGER NOT NULL, region VARCHAR(2) NOT NULL,
    PRIMARY KEY (partner_id, position));
CREATE INDEX ix_partner_regions_region ON partner_regions (region);
CREATE TABLE partner_expertise (partner_id VARCHAR(40) NOT NULL REFERENCES partners (id),
    position INTEGER NOT NULL, product VARCHAR(40) NOT NULL REFERENCES products (key),
    PRIMARY KEY (partner_id, position));
CREATE INDEX ix_partner_expertise_product ON partner_expertise (product);
CREATE TABLE partner_codes (key VARCHAR(40) PRIMARY KEY, code VARCHAR(40) NOT NULL,
    partner_id VARCHAR(40) NOT NULL REFERENCES partners (id), status VARCHAR(20) NOT NULL,
    issued_at DATETIME NOT NULL, retired_at DATETIME);
CREATE INDEX ix_partner_codes_partner_id ON partner_codes (partner_id);
CREATE TABLE outbox (id VARCHAR(40) PRIMARY KEY, kind VARCHAR(10) NOT NULL,
    topic VARCHAR(100) NOT NULL, payload TEXT NOT NULL, created_at DATETIME NOT NULL,
    next_attempt_at DATETIME NOT NULL, status VARCHAR(10) NOT NULL, attempts INTEGER NOT NULL,
    delivered_at DATETIME, last_error TEXT);
CREATE INDEX ix_outbox_status_next_attempt_at ON outbox (status, next_attempt_at);
"""

_INSERT_PARTNER = (
    "INSERT INTO partners (id, name, email, username, kind, status, created_at, "
    "last_active_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_OUTBOX = (
    "INSERT INTO outbox (id, kind, topic, payload, created_at, next_attempt_at, status, "
    "attempts, delivered_at, last_error) VALUES (?, 'event', ?, ?, ?, ?, 'pending', 0, NULL, NULL)"
)


def _connect_raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


_CLOCK = pk.SystemClock()


def _now() -> str:
    # The same clock read and the same stored form as partnerkit: naive UTC, microseconds.
    return _CLOCK.now().replace(tzinfo=None).isoformat(sep=" ")


def _sequential_id() -> str:
    return f"msg_{time.monotonic_ns():016x}{uuid.uuid4().hex[:12]}"


def bench_raw(path: Path, n: int) -> float:
    conn = _connect_raw(path)
    try:
        conn.executescript(_SCHEMA)
        now = _now()
        conn.execute("INSERT INTO products VALUES ('crm', 'CRM', ?, 1)", (now,))
        payload = json.dumps({"key": "crm", "name": "CRM"}, sort_keys=True)
        conn.execute(_INSERT_OUTBOX, (_sequential_id(), "product.added", payload, now, now))
        start = time.perf_counter()
        for i in range(n):
            # register: the same checks partnerkit makes, then the partner and its rows.
            name, username, email = f"Partner {i}", f"partner{i}", f"p{i}@example.com"
            pid, now = f"ptr_{uuid.uuid4().hex}", _now()
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT 1 FROM products WHERE key = ?", ("crm",)).fetchone() is None:
                raise LookupError("crm")
            if conn.execute("SELECT 1 FROM partners WHERE username = ?", (username,)).fetchone():
                raise ValueError(username)
            conn.execute(
                _INSERT_PARTNER, (pid, name, email, username, "reseller", "active", now, now, 1)
            )
            conn.execute("INSERT INTO partner_domains VALUES (?, 0, ?)", (pid, "example.com"))
            conn.execute("INSERT INTO partner_regions VALUES (?, 0, ?)", (pid, "IN"))
            conn.execute("INSERT INTO partner_expertise VALUES (?, 0, ?)", (pid, "crm"))
            payload = json.dumps({"name": name, "partner_id": pid}, sort_keys=True)
            conn.execute(
                _INSERT_OUTBOX, (_sequential_id(), "partner.registered", payload, now, now)
            )
            conn.execute("COMMIT")

            # issue_code: the partner exists, the key is free, no active code yet; then insert.
            code = f"PARTNER{code_for(i)}"
            key, now = code.lower(), _now()
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT 1 FROM partners WHERE id = ?", (pid,)).fetchone() is None:
                raise LookupError(pid)
            if conn.execute("SELECT 1 FROM partner_codes WHERE key = ?", (key,)).fetchone():
                raise ValueError(code)
            if conn.execute(
                "SELECT 1 FROM partner_codes WHERE partner_id = ? AND status = 'active'", (pid,)
            ).fetchone():
                raise ValueError(pid)
            conn.execute(
                "INSERT INTO partner_codes VALUES (?, ?, ?, 'active', ?, NULL)",
                (key, code, pid, now),
            )
            payload = json.dumps({"code": code, "partner_id": pid}, sort_keys=True)
            conn.execute(
                _INSERT_OUTBOX, (_sequential_id(), "partner_code.issued", payload, now, now)
            )
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


# --- the run ---------------------------------------------------------------------------------


def _counts(path: Path) -> str:
    """The rows each side wrote, printed so a reader sees both did the same work."""
    conn = sqlite3.connect(path)
    try:
        counts = [
            f"{conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0]} {table}"
            for table in ("partners", "partner_codes", "outbox")
        ]
    finally:
        conn.close()
    return ", ".join(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000, help="partners to register (2000)")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite files go")
    args = parser.parse_args(argv)
    n: int = args.n

    with tempfile.TemporaryDirectory(prefix="partnerkit-bench-") as tmp:
        directory: Path = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        runs: list[tuple[str, Path, Callable[[Path], float]]] = [
            ("raw sqlite3", directory / "raw.db", lambda p: bench_raw(p, n)),
            (
                "partnerkit (defaults)",
                directory / "pk_default.db",
                lambda p: bench_partnerkit(p, n, deliver_on_commit=True),
            ),
            (
                "partnerkit (deliver_on_commit=False)",
                directory / "pk_no_delivery.db",
                lambda p: bench_partnerkit(p, n, deliver_on_commit=False),
            ),
        ]
        results: dict[str, float] = {}
        print(
            f"register + issue_code for {n} partners, one transaction per call, SQLite "
            f"(WAL, synchronous=FULL) in {directory}"
        )
        print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
        print()
        # Warm up imports and SQLAlchemy's statement cache so the first measured run does not
        # pay for what every later one gets for free.
        bench_partnerkit(directory / "warmup.db", min(n, 200), deliver_on_commit=True)
        print(f"{'':38} {'seconds':>8} {'partners/s':>11} {'vs raw':>7}   rows written")
        for label, path, run in runs:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            seconds = run(path)
            results[label] = seconds
            ratio = seconds / results["raw sqlite3"]
            print(f"{label:38} {seconds:8.2f} {n / seconds:11.0f} {ratio:6.1f}x   {_counts(path)}")
        raw = results["raw sqlite3"]
        default = results["partnerkit (defaults)"] / raw
        quiet = results["partnerkit (deliver_on_commit=False)"] / raw
        print()
        print(
            f"partnerkit is {default:.1f}x slower than raw sqlite3 "
            f"({quiet:.1f}x with deliver_on_commit=False)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

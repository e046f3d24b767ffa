"""Partner registration throughput: partnerkit on SQLite against raw sqlite3, in one run.

For each of n partners: register it, then issue its code, each call its own transaction, as
a host application calls them. The raw baseline does the same reads, writes the same rows with
the same pragmas, and commits as often. Prints partners per second and the ratio.

    .venv/bin/python benchmarks/bench_register.py [--n 2000] [--dir DIR]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import uuid
from pathlib import Path

from _common import INSERT_OUTBOX, code_for, connect_raw, create_schema, parse_args, run

import partnerkit as pk

# --- partnerkit --------------------------------------------------------------------------------


def bench_partnerkit(path: Path, n: int, *, deliver_on_commit: bool) -> float:
    url = f"sqlite:///{path}"
    with pk.connect(url, deliver_on_commit=deliver_on_commit) as kit:
        kit.migrate()
        kit.catalog.add_product("crm", name="CRM", actor=pk.Principal.system())
        start = time.perf_counter()
        for i in range(n):
            p = kit.partners.register(
                name=f"Partner {i}",
                username=f"partner{i}",
                email=f"p{i}@example.com",
                regions=["IN"],
                expertise=["crm"],
                actor=pk.Principal.system(),
            )
            kit.partners.issue_code(p.id, f"PARTNER{code_for(i)}", actor=pk.Principal.system())
        return time.perf_counter() - start


# --- raw sqlite3 -------------------------------------------------------------------------------

_INSERT_PARTNER = (
    "INSERT INTO partners (id, name, email, username, kind, status, created_at, "
    "last_active_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_CLOCK = pk.SystemClock()


def _now() -> str:
    # The same clock read and the same stored form as partnerkit: naive UTC, microseconds.
    return _CLOCK.now().replace(tzinfo=None).isoformat(sep=" ")


def _sequential_id() -> str:
    return f"msg_{time.monotonic_ns():016x}{uuid.uuid4().hex[:12]}"


def bench_raw(path: Path, n: int) -> float:
    create_schema(path)
    conn = connect_raw(path)
    try:
        now = _now()
        conn.execute("INSERT INTO products VALUES ('crm', 'CRM', ?, 1)", (now,))
        payload = json.dumps({"key": "crm", "name": "CRM"}, sort_keys=True)
        conn.execute(INSERT_OUTBOX, (_sequential_id(), "product.added", payload, now, now))
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
            conn.execute(INSERT_OUTBOX, (_sequential_id(), "partner.registered", payload, now, now))
            conn.execute("COMMIT")

            # issue_code: the partner exists and is active, its activity is recorded, the key
            # is free and it holds no active code; then the code and its active-code claim
            # (the row that makes "one active code per partner" a database fact).
            code = f"PARTNER{code_for(i)}"
            key, now = code.lower(), _now()
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT status FROM partners WHERE id = ?", (pid,)).fetchone() != (
                "active",
            ):
                raise LookupError(pid)
            conn.execute(
                "UPDATE partners SET last_active_at = ? WHERE id = ? AND last_active_at < ?",
                (now, pid, now),
            )
            if conn.execute("SELECT 1 FROM partner_codes WHERE key = ?", (key,)).fetchone():
                raise ValueError(code)
            if conn.execute(
                "SELECT 1 FROM partner_active_codes WHERE partner_id = ?", (pid,)
            ).fetchone():
                raise ValueError(pid)
            conn.execute(
                "INSERT INTO partner_codes VALUES (?, ?, ?, 'active', ?, NULL)",
                (key, code, pid, now),
            )
            conn.execute("INSERT INTO partner_active_codes VALUES (?, ?)", (pid, key))
            payload = json.dumps({"code": code, "partner_id": pid}, sort_keys=True)
            conn.execute(
                INSERT_OUTBOX, (_sequential_id(), "partner_code.issued", payload, now, now)
            )
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


# --- the run ---------------------------------------------------------------------------------


def _counts(path: Path, n: int) -> str:
    """The rows each side wrote, printed so a reader sees both did the same work."""
    conn = sqlite3.connect(path)
    try:
        counts = [
            f"{conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0]} {table}"
            for table in ("partners", "partner_codes", "partner_active_codes", "outbox")
        ]
    finally:
        conn.close()
    return ", ".join(counts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__, "partners to register (2000)")
    n: int = args.n
    run(
        args.dir,
        n,
        title=f"register + issue_code for {n} partners, one transaction per call",
        unit="partners/s",
        bench_raw=bench_raw,
        bench_partnerkit=bench_partnerkit,
        written=_counts,
        rounds=args.rounds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

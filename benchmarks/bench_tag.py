"""Tag a Partner throughput: partnerkit on SQLite against raw sqlite3, in one run.

For each of n customers, its admin tags one of 20 partners' codes for a product: one
`kit.mapping.tag_partner(...)` call per customer, each its own transaction, as a host
application calls it. The raw baseline does the same logical reads, writes the same rows with
the same pragmas, and commits as often. Prints tags per second and the ratio.

    .venv/bin/python benchmarks/bench_tag.py [--n 2000] [--dir DIR]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import unicodedata
import uuid
from pathlib import Path

from _common import INSERT_OUTBOX, code_for, connect_raw, create_schema, parse_args, run

import partnerkit as pk

PARTNERS = 20
PRODUCT = "crm"

CODES = [f"PARTNER{code_for(j)}" for j in range(PARTNERS)]


def admin_email(i: int) -> str:
    return f"admin{i}@customer{i}.example.com"


# --- partnerkit --------------------------------------------------------------------------------


def bench_partnerkit(path: Path, n: int, *, deliver_on_commit: bool) -> float:
    url = f"sqlite:///{path}"
    with pk.connect(url, deliver_on_commit=deliver_on_commit) as kit:
        kit.migrate()
        # Setup, not timed: one transaction, each call inside it in its own savepoint.
        with kit.transaction():
            kit.catalog.add_product(PRODUCT, name="CRM", actor=pk.Principal.system())
            for j in range(PARTNERS):
                p = kit.partners.register(
                    name=f"Partner {j}",
                    username=f"partner{j}",
                    email=f"p{j}@example.com",
                    regions=["IN"],
                    expertise=[PRODUCT],
                    actor=pk.Principal.system(),
                )
                kit.partners.issue_code(p.id, CODES[j], actor=pk.Principal.system())
            customer_ids = [
                kit.customers.create(
                    name=f"Customer {i}", admin_email=admin_email(i), actor=pk.Principal.system()
                ).id
                for i in range(n)
            ]
        start = time.perf_counter()
        for i, customer_id in enumerate(customer_ids):
            kit.mapping.tag_partner(
                customer_id,
                PRODUCT,
                CODES[i % PARTNERS],
                actor=pk.Principal.customer_user(customer_id, admin_email(i)),
            )
        return time.perf_counter() - start


# --- raw sqlite3 -------------------------------------------------------------------------------

_INSERT_RECORD = (
    "INSERT INTO partner_records (id, customer_id, product, partner_id, channel, valid_from, "
    'valid_to, reason, "by", status, provisional_until, commission_from, evidence, '
    "ended_reason, ended_by, version) "
    "VALUES (?, ?, ?, ?, 'tag', ?, NULL, ?, ?, 'permanent', NULL, ?, NULL, NULL, NULL, 1)"
)
_PENDING = (
    "SELECT id FROM consent_requests WHERE customer_id = ? AND product = ? AND status = 'pending'"
)
_CURRENT_SLOT = (
    "SELECT r.id, r.partner_id, r.status FROM partner_of_record_open s "
    "JOIN partner_records r ON s.record_id = r.id WHERE s.customer_id = ? AND s.product = ?"
)

_CLOCK = pk.SystemClock()


def _now() -> str:
    # The same clock read and the same stored form as partnerkit: naive UTC, microseconds.
    return _CLOCK.now().replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sequential_id(prefix: str) -> str:
    return f"{prefix}_{time.monotonic_ns():016x}{uuid.uuid4().hex[:12]}"


def _event(conn: sqlite3.Connection, topic: str, payload: dict[str, str], now: str) -> None:
    body = json.dumps(payload, sort_keys=True)
    conn.execute(INSERT_OUTBOX, (_sequential_id("msg"), topic, body, now, now))


def _setup_raw(conn: sqlite3.Connection, n: int) -> list[str]:
    """The rows partnerkit's setup writes, events included, in one transaction; not timed."""
    now = _now()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO products VALUES (?, 'CRM', ?, 1)", (PRODUCT, now))
    _event(conn, "product.added", {"key": PRODUCT, "name": "CRM"}, now)
    for j in range(PARTNERS):
        pid, name = f"ptr_{uuid.uuid4().hex}", f"Partner {j}"
        conn.execute(
            "INSERT INTO partners VALUES (?, ?, ?, ?, 'reseller', 'active', ?, ?, 1)",
            (pid, name, f"p{j}@example.com", f"partner{j}", now, now),
        )
        conn.execute("INSERT INTO partner_domains VALUES (?, 0, 'example.com')", (pid,))
        conn.execute("INSERT INTO partner_regions VALUES (?, 0, 'IN')", (pid,))
        conn.execute("INSERT INTO partner_expertise VALUES (?, 0, ?)", (pid, PRODUCT))
        _event(conn, "partner.registered", {"name": name, "partner_id": pid}, now)
        conn.execute(
            "INSERT INTO partner_codes VALUES (?, ?, ?, 'active', ?, NULL)",
            (CODES[j].lower(), CODES[j], pid, now),
        )
        _event(conn, "partner_code.issued", {"code": CODES[j], "partner_id": pid}, now)
    customer_ids = []
    for i in range(n):
        cid, name, email = f"cus_{uuid.uuid4().hex}", f"Customer {i}", admin_email(i)
        conn.execute(
            "INSERT INTO customers (id, name, created_at, version) VALUES (?, ?, ?, 1)",
            (cid, name, now),
        )
        conn.execute("INSERT INTO customer_users VALUES (?, ?, 0, ?, 1)", (email, cid, email))
        conn.execute(
            "INSERT INTO customer_contacts VALUES (?, ?, 0, ?, NULL, 1)", (cid, email, email)
        )
        _event(conn, "customer.created", {"customer_id": cid, "name": name}, now)
        customer_ids.append(cid)
    conn.execute("COMMIT")
    return customer_ids


def bench_raw(path: Path, n: int) -> float:
    """Per tag, the checks tag_partner makes and the rows it writes, by hand:

    reads: the customer by id, the actor's admin flag in customer_users, the code by its key
    (active), the partner by id (active), the product exists, the partner works on it, the open
    slot for customer and product (joined to its record), the requests waiting; writes: the
    partner_records row, the partner_of_record_open slot row, one mapping.started outbox row.

    It does NOT do what partnerkit also does: load the whole customer (its domains, users,
    contacts and plans) and the whole partner (domains, regions, expertise lists), each in one
    statement with its child rows, build domain objects from full rows, validate the email and
    fold look-alike characters in the code, read the end of the customer's history for the
    product to clamp the commission window, and look up the customer's tracking entries to
    clean them up. Both sides run 12 statements per tag, BEGIN included (the 12th reads the
    approvals waiting for the product, which a tag completes or withdraws).
    """
    create_schema(path)
    conn = connect_raw(path)
    try:
        customer_ids = _setup_raw(conn, n)
        start = time.perf_counter()
        for i, customer_id in enumerate(customer_ids):
            code = CODES[i % PARTNERS]
            actor = admin_email(i).strip().lower()
            key = unicodedata.normalize("NFKC", code).strip().casefold()
            conn.execute("BEGIN IMMEDIATE")
            customer = conn.execute(
                "SELECT id, name FROM customers WHERE id = ?", (customer_id,)
            ).fetchone()
            if customer is None:
                raise LookupError(customer_id)
            admin = conn.execute(
                "SELECT is_admin FROM customer_users WHERE email = ? AND customer_id = ?",
                (actor, customer_id),
            ).fetchone()
            if admin is None or not admin[0]:
                raise PermissionError(actor)
            found = conn.execute(
                "SELECT partner_id, status FROM partner_codes WHERE key = ?", (key,)
            ).fetchone()
            if found is None or found[1] != "active":
                raise LookupError(code)
            partner = conn.execute(
                "SELECT id, name, status FROM partners WHERE id = ?", (found[0],)
            ).fetchone()
            if partner is None or partner[2] != "active":
                raise LookupError(found[0])
            pid = partner[0]
            if conn.execute("SELECT 1 FROM products WHERE key = ?", (PRODUCT,)).fetchone() is None:
                raise LookupError(PRODUCT)
            if (
                conn.execute(
                    "SELECT 1 FROM partner_expertise WHERE partner_id = ? AND product = ?",
                    (pid, PRODUCT),
                ).fetchone()
                is None
            ):
                raise PermissionError(PRODUCT)
            if conn.execute(_CURRENT_SLOT, (customer_id, PRODUCT)).fetchone() is not None:
                raise ValueError(f"{customer_id} already has a partner of record")
            # A tag completes or withdraws an approval waiting for this product.
            if conn.execute(_PENDING, (customer_id, PRODUCT)).fetchone() is not None:
                raise ValueError(f"{customer_id} has a request waiting")
            record_id, now = _sequential_id("map"), _now()
            reason = f"tagged by the customer's admin with code {code.strip()}"
            conn.execute(
                _INSERT_RECORD, (record_id, customer_id, PRODUCT, pid, now, reason, actor, now)
            )
            conn.execute(
                "INSERT INTO partner_of_record_open VALUES (?, ?, ?)",
                (customer_id, PRODUCT, record_id),
            )
            payload = {
                "channel": "tag",
                "customer_id": customer_id,
                "interval_id": record_id,
                "partner_id": pid,
                "product": PRODUCT,
            }
            _event(conn, "mapping.started", payload, now)
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


# --- the run ---------------------------------------------------------------------------------


def _check(path: Path, n: int) -> str:
    """Fail unless the run left one open tag per customer; return the rows the tags wrote."""
    conn = sqlite3.connect(path)
    try:

        def one(sql: str) -> int:
            value: int = conn.execute(sql).fetchone()[0]
            return value

        records = one("SELECT count(*) FROM partner_records WHERE channel = 'tag'")
        slots = one("SELECT count(*) FROM partner_of_record_open")
        events = one("SELECT count(*) FROM outbox WHERE topic = 'mapping.started'")
        customers = one("SELECT count(DISTINCT customer_id) FROM partner_of_record_open")
        partners = one(
            "SELECT count(DISTINCT r.partner_id) FROM partner_of_record_open s "
            "JOIN partner_records r ON s.record_id = r.id AND r.valid_to IS NULL"
        )
    finally:
        conn.close()
    expected = (n, n, n, n, min(n, PARTNERS))
    if (records, slots, events, customers, partners) != expected:
        raise SystemExit(
            f"{path.name}: {records} records, {slots} open slots, {events} events, "
            f"{customers} customers, {partners} partners; expected {expected}"
        )
    return f"{records} partner_records, {slots} partner_of_record_open, {events} outbox"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv, __doc__, "customers to tag (2000)")
    n: int = args.n
    run(
        args.dir,
        n,
        title=(
            f"tag_partner for {n} customers across {PARTNERS} partners, one transaction per tag"
        ),
        unit="tags/s",
        bench_raw=bench_raw,
        bench_partnerkit=bench_partnerkit,
        written=_check,
        rounds=args.rounds,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

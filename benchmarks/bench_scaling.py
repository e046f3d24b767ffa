"""Scaling: does a hot operation cost the same with 10, 1,000 or 10,000 rows it does not touch?

For each operation the data it reads around is built at each size N, directly through the
backend's repositories in one unit of work (fast, not timed), then the operation is called
through the services, one call per transaction as a host calls it, and the median time per
call is printed per N, with the ratio of the largest N to the smallest. Flat means the ratio
stays near 1; `customers_of` returns N rows, so it grows with N by design.

    .venv/bin/python benchmarks/bench_scaling.py [--backend memory|sqlite|both] [--large]
        [--sizes 10,1000,10000] [--reps 50] [--dir DIR]

`--large` adds N=100k on memory (its data takes about 40 s to build).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import code_for, remove_db

import partnerkit as pk
from partnerkit.consent import ConsentKind, ConsentRequest, hash_token
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan, EntryKind
from partnerkit.mapping.records import Channel, MappingInterval

if TYPE_CHECKING:
    from partnerkit.stores import Store

PRODUCT = "crm"
PARTNERS = 20
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
#: Every timed run stops after this many seconds of calls (at least MIN_REPS calls).
BUDGET_S = 1.5
MIN_REPS = 5

CODES = [f"PARTNER{code_for(j)}" for j in range(PARTNERS)]
USD_100 = pk.Money.of("100.00", "USD")
HOUR = timedelta(hours=1)


def partner_id(j: int) -> str:
    return f"ptr_{j:04}"


def admin(customer_id: str) -> str:
    return f"admin@{customer_id.replace('_', '-')}.example"


# --- building data through the repositories ----------------------------------------------------


def _customer(cid: str, users: int = 1) -> pk.Customer:
    people = [pk.CustomerUser(admin(cid), "Admin", is_admin=True)]
    people += [
        pk.CustomerUser(f"user{u}@{cid.replace('_', '-')}.example", "User") for u in range(1, users)
    ]
    return pk.Customer(id=cid, name=f"Customer {cid}", created_at=NOW, users=tuple(people))


def _interval(rid: str, cid: str, pid: str, start: datetime, **kw: Any) -> MappingInterval:
    return MappingInterval(
        id=rid,
        customer_id=cid,
        product=PRODUCT,
        partner_id=pid,
        channel=Channel.TAG,
        valid_from=start,
        reason="benchmark",
        by="bench@example.com",
        **kw,
    )


def _entry(eid: str, cid: str, pid: str, interval_id: str, at: datetime) -> CommissionEntry:
    rate = Decimal("10")
    return CommissionEntry(
        id=eid,
        partner_id=pid,
        customer_id=cid,
        product=PRODUCT,
        transaction_id=f"txn_{eid}",
        kind=EntryKind.ACCRUAL,
        base=USD_100,
        rate=rate,
        commission_exact=USD_100.amount * rate / 100,
        occurred_at=at,
        booked_at=at,
        interval_id=interval_id,
    )


def _program(uow: Store, partners: int = PARTNERS) -> None:
    """The product, partners working on it with a code and a commission plan each."""
    uow.products.add(pk.Product(PRODUCT, "CRM", NOW))
    for j in range(partners):
        pid = partner_id(j)
        uow.partners.add(
            pk.Partner(
                id=pid,
                name=f"Partner {j}",
                email=f"p{j}@partners.example",
                kind=pk.PartnerKind.RESELLER,
                created_at=NOW - timedelta(days=400),
                last_active_at=NOW - timedelta(days=1),
                username=f"partner{j}",
                email_domains=("partners.example",),
                regions=("IN",),
                expertise=(PRODUCT,),
            )
        )
        if j < len(CODES):
            code = CODES[j]
            uow.codes.add(pk.PartnerCode(pk.canonical_key(code), code, pid, NOW))
        uow.commission_plans.put(CommissionPlan(pid, Decimal("10"), NOW))


def _close(uow: Store, interval: MappingInterval, end: datetime) -> None:
    # SQL keeps the open slot in its own table: an interval is added open, then closed.
    uow.records.add(interval)
    uow.records.update(interval.close(end, "transferred", "bench@example.com"))


# --- the operations --------------------------------------------------------------------------
# Data sets are built in stages, and each stage's operations run before the next stage adds
# rows, so every operation sees the data its row of the table names and no more. A stage
# returns its timed calls: call(i) for i = 0, 1, ... (a fresh customer, token or transaction
# where the operation writes).

Call = Callable[[int], object]

STAFF = pk.Principal.staff("team@vendor.example")
SYSTEM = pk.Principal.system()
Stage = Callable[[pk.Kit, int, int], list[tuple[str, Call]]]


def partner_list(kit: pk.Kit, n: int, reps: int) -> list[tuple[str, Call]]:
    """A partner with n customers; customers to tag, who are not theirs."""
    listed = partner_id(PARTNERS)  # not one of the partners the tags name
    with kit.backend.unit_of_work() as uow:
        _program(uow, PARTNERS + 1)
        for i in range(n):
            cid = f"cus_o{i:06}"
            uow.customers.add(_customer(cid))
            uow.records.add(_interval(f"map_o{i:06}", cid, listed, NOW - timedelta(days=30)))
        for i in range(reps):
            uow.customers.add(_customer(f"cus_t{i:06}"))

    def tag(i: int) -> object:
        cid = f"cus_t{i:06}"
        return kit.mapping.tag_partner(
            cid, PRODUCT, CODES[i % PARTNERS], actor=pk.Principal.customer_user(cid, admin(cid))
        )

    return [
        ("tag_partner, N other records", tag),
        ("customers_of, N customers", lambda i: kit.mapping.customers_of(listed, actor=STAFF)),
    ]


def history(kit: pk.Kit, n: int, reps: int) -> list[tuple[str, Call]]:
    """One customer and product with n closed intervals, an hour each, then an open one;
    one commission entry booked in each closed interval (n entries)."""
    first = NOW - timedelta(hours=n + 1)
    starts = []
    with kit.backend.unit_of_work() as uow:
        _program(uow)
        uow.customers.add(_customer("cus_1"))
        for k in range(n):
            start = first + timedelta(hours=k)
            pid = partner_id(k % 2)
            rid = f"map_{k:07}"
            _close(uow, _interval(rid, "cus_1", pid, start, commission_from=start), start + HOUR)
            uow.commissions.add(_entry(f"e{k:07}", "cus_1", pid, rid, start + HOUR / 2))
            starts.append(start)
        last = NOW - HOUR
        uow.records.add(_interval("map_open", "cus_1", partner_id(3), last, commission_from=last))

    def as_of(i: int) -> object:
        at = starts[(i * 7919) % n] + HOUR / 4
        found = kit.mapping.partner_of_record("cus_1", PRODUCT, as_of=at, actor=STAFF)
        assert found is not None
        return found

    def accrue(i: int) -> object:
        at = NOW - HOUR / 2 - timedelta(microseconds=i)
        return kit.commissions.accrue(
            "cus_1",
            PRODUCT,
            transaction_id=f"acc_{i:06}",
            amount=USD_100,
            occurred_at=at,
            actor=SYSTEM,
        )

    one_usd = pk.Money.of("1.00", "USD")

    def reverse(i: int) -> object:
        original = f"txn_e{i % n:07}"
        return kit.commissions.reverse(
            original,
            transaction_id=f"ref_{i:06}",
            occurred_at=NOW,
            amount=one_usd,
            actor=SYSTEM,
        )

    return [
        ("partner_of_record(as_of), N", as_of),
        ("accrue, history of N", accrue),
        ("reverse, customer has N entries", reverse),
    ]


def ledger(kit: pk.Kit, n: int, reps: int) -> list[tuple[str, Call]]:
    """On top of `history`: a ledger of 6·n entries, and customers with one entry each and a
    transfer waiting for their confirmation."""
    start = NOW - timedelta(days=100)
    with kit.backend.unit_of_work() as uow:
        for i in range(reps):
            cid = f"cus_t{i:06}"
            uow.customers.add(_customer(cid))
            uow.records.add(_interval(f"map_t{i:06}", cid, partner_id(0), start))
            uow.commissions.add(_entry(f"t{i:06}", cid, partner_id(0), f"map_t{i:06}", start))
            uow.consents.add(
                ConsentRequest(
                    id=f"cns_{i:06}",
                    kind=ConsentKind.TRANSFER,
                    customer_id=cid,
                    product=PRODUCT,
                    partner_id=partner_id(1),
                    from_partner_id=partner_id(0),
                    requested_by=admin(cid),
                    requested_at=NOW - timedelta(days=1),
                    expires_at=NOW + timedelta(days=14),
                    token_hash=hash_token(f"token-{i:06}"),
                )
            )
        # The rest of the ledger: other customers' entries, 60 to an interval. What the
        # history stage and its calls booked counts too.
        booked = sum(len(uow.commissions.for_partner(partner_id(j))) for j in range(PARTNERS))
        filler = max(6 * n - booked, 0)
        for k in range(filler):
            owner = k // 60
            cid, rid = f"cus_f{owner:06}", f"map_f{owner:06}"
            if k % 60 == 0:
                uow.customers.add(_customer(cid))
                uow.records.add(_interval(rid, cid, partner_id(2), start))
            uow.commissions.add(_entry(f"f{k:07}", cid, partner_id(2), rid, start))
    return [
        (
            "transfer confirm, ledger 6·N",
            lambda i: kit.mapping.confirm(
                f"token-{i:06}",
                actor=pk.Principal.customer_user(f"cus_t{i:06}", admin(f"cus_t{i:06}")),
            ),
        )
    ]


def account(kit: pk.Kit, n: int, reps: int) -> list[tuple[str, Call]]:
    """An account with n users."""
    with kit.backend.unit_of_work() as uow:
        _program(uow, 1)
        uow.customers.add(_customer("cus_1", users=n))
    return [
        (
            "add_user, account of N users",
            lambda i: kit.customers.add_user("cus_1", f"new{i:06}@cus-1.example", actor=STAFF),
        )
    ]


#: Data sets, each a list of stages built one after the other on one backend.
DATA_SETS: list[list[Stage]] = [[partner_list], [history, ledger], [account]]
#: The order rows are printed in.
ROWS = [
    "tag_partner, N other records",
    "reverse, customer has N entries",
    "transfer confirm, ledger 6·N",
    "accrue, history of N",
    "add_user, account of N users",
    "partner_of_record(as_of), N",
    "customers_of, N customers",
]


# --- the run ---------------------------------------------------------------------------------


@contextmanager
def _kit(backend: str, directory: Path, name: str) -> Iterator[pk.Kit]:
    clock = pk.SimulatedClock(NOW)
    if backend == "memory":
        with pk.connect("memory://", clock=clock) as kit:
            yield kit
        return
    path = directory / f"{name}.db"
    remove_db(path)
    with pk.connect(f"sqlite:///{path}", clock=clock) as kit:
        kit.migrate()
        yield kit
    remove_db(path)


def _timed(call: Call, reps: int) -> float:
    """Median ms per call, after one warm-up call (caches, compiled statements)."""
    call(reps)
    times: list[float] = []
    deadline = time.perf_counter() + BUDGET_S
    for i in range(reps):
        t0 = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - t0)
        if len(times) >= MIN_REPS and time.perf_counter() > deadline:
            break
    return statistics.median(times) * 1000


def measure(backend: str, directory: Path, n: int, reps: int) -> tuple[dict[str, float], float]:
    """Median ms per call of every operation at size n, and the seconds spent building."""
    results: dict[str, float] = {}
    building = 0.0
    for number, stages in enumerate(DATA_SETS):
        with _kit(backend, directory, f"set{number}_{n}") as kit:
            for stage in stages:
                started = time.perf_counter()
                calls = stage(kit, n, reps + 1)
                building += time.perf_counter() - started
                # Building leaves a heap of young objects; collect them now rather than in
                # the middle of the first timed calls.
                gc.collect()
                for title, call in calls:
                    results[title] = _timed(call, reps)
    return results, building


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise SystemExit("--sizes takes positive numbers, such as 10,1000,10000")
    return sizes


def _label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["memory", "sqlite", "both"], default="both")
    parser.add_argument("--sizes", type=_sizes, default=[10, 1000, 10_000])
    parser.add_argument(
        "--large", action="store_true", help="add N=100k on memory (about a minute more)"
    )
    parser.add_argument("--reps", type=int, default=50, help="calls timed per cell at most")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite files go")
    args = parser.parse_args(argv)
    backends = ["memory", "sqlite"] if args.backend == "both" else [args.backend]
    print(f"partnerkit {pk.__version__}, Python {sys.version.split()[0]}")
    print(
        f"median ms per call, one transaction per call; at most {args.reps} calls or "
        f"{BUDGET_S} s per cell after a warm-up"
    )
    with tempfile.TemporaryDirectory(prefix="partnerkit-scaling-") as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        for backend in backends:
            sizes = list(args.sizes)
            if args.large and backend == "memory":
                sizes.append(100_000)
            print()
            header = "".join(f"{'N=' + _label(n):>10}" for n in sizes)
            ratio = f"{_label(sizes[-1])}/{_label(sizes[0])}"
            print(f"{backend:34}{header}{ratio:>10}")
            # A throwaway run first: imports, caches and the first SQLite file are paid there.
            measure(backend, directory, sizes[0], min(args.reps, MIN_REPS))
            figures = []
            for n in sizes:
                figures.append(measure(backend, directory, n, args.reps))
            for title in ROWS:
                cells = "".join(f"{ms[title]:10.3f}" for ms, _ in figures)
                growth = figures[-1][0][title] / figures[0][0][title]
                print(f"{title:34}{cells}{growth:9.1f}x")
            builds = "".join(f"{b:10.1f}" for _, b in figures)
            print(f"{'(seconds building the data)':34}{builds}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A page of a reseller's customer list on memory and SQLite, at 2,000 and 20,000 customers: does
a page filtered by tags or a search cost the page, or every customer of the reseller?

The data is built through the repositories in one unit of work (not timed): one reseller with
N customers named "Customer 000042" (emails it000042@c.example), a tenth of them archived; tag
"priority" on every 10th customer, "big" on every 2nd, "rare" on every 500th. Timed: one
`kit.resellers.customers(...)` call per transaction, a page of 50, as the portal asks for it;
the best time per filter (over a second of calls) is printed per N, with the growth from the
smallest N to the largest. On a shared machine the best is the least disturbed run.

    .venv/bin/python benchmarks/bench_reseller_list.py [--backend memory|sqlite|both]
        [--sizes 2000,20000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import partnerkit as pk
from partnerkit.resellers.accounts import Reseller, ResellerStatus
from partnerkit.resellers.clients import ResellerCustomer, ResellerTag

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RESELLER = "rsl_bench"
USER = pk.Principal.reseller_user(RESELLER, "ops@zillium.example")
#: Every timed filter stops after this many seconds of calls (at least MIN_REPS calls).
BUDGET_S = 1.0
MIN_REPS = 5

#: (label, keyword arguments of kit.resellers.customers)
FILTERS: list[tuple[str, dict[str, Any]]] = [
    ("default list (not archived)", {}),
    ("archived and not (archived=None)", {"archived": None}),
    ("tag 'priority' (1 in 10)", {"tags": ["priority"]}),
    ("tag 'rare' (1 in 500)", {"tags": ["rare"]}),
    ("tags priority+big, any", {"tags": ["priority", "big"]}),
    ("tags priority+big, all", {"tags": ["priority", "big"], "match": "all"}),
    ("tags priority+rare, all", {"tags": ["priority", "rare"], "match": "all"}),
    ("search 'customer 0' (dense)", {"search": "customer 0"}),
    ("search 'it0019' (sparse)", {"search": "it0019"}),
    ("tag 'big' + search 'customer 00'", {"tags": ["big"], "search": "customer 00"}),
    ("tag 'priority', page at offset 400", {"tags": ["priority"], "offset": 400}),
]


def build(kit: pk.Kit, n: int) -> None:
    """One reseller with n customers and three tags, straight through the repositories."""
    tags = {
        name: ResellerTag(f"rtg_{name}", RESELLER, name, name, NOW)
        for name in ("priority", "big", "rare")
    }
    every = {"priority": 10, "big": 2, "rare": 500}
    with kit.backend.unit_of_work() as uow:
        uow.resellers.add(
            Reseller(RESELLER, "Zillium", "ops@zillium.example", ResellerStatus.ACTIVE, NOW, "b")
        )
        for tag in tags.values():
            uow.reseller_tags.add(tag)
        held: dict[str, list[str]] = {name: [] for name in tags}
        for i in range(n):
            cid = f"cus_{i:06}"
            uow.customers.add(pk.Customer(id=cid, name=f"Customer {i:06}", created_at=NOW))
            uow.reseller_customers.add(
                ResellerCustomer(
                    customer_id=cid,
                    reseller_id=RESELLER,
                    name=f"Customer {i:06}",
                    email=f"it{i:06}@c.example",
                    archived=i % 10 == 9,
                    created_at=NOW + timedelta(seconds=i),
                    created_by="bench",
                )
            )
            for name, k in every.items():
                if i % k == 0:
                    held[name].append(cid)
        for name, ids in held.items():
            for start in range(0, len(ids), 500):
                uow.reseller_tags.tag(tags[name], ids[start : start + 500])


def timed(call: Callable[[], object]) -> float:
    """The best milliseconds of one call, over a second of calls."""
    call()  # warm-up
    times: list[float] = []
    spent = 0.0
    while len(times) < MIN_REPS or spent < BUDGET_S:
        start = time.perf_counter()
        call()
        took = time.perf_counter() - start
        times.append(took)
        spent += took
        if len(times) >= 200:
            break
    return min(times) * 1000


def _page(kit: pk.Kit, kwargs: dict[str, Any]) -> Callable[[], object]:
    return lambda: kit.resellers.customers(RESELLER, actor=USER, **kwargs)


def run(backend: str, sizes: list[int], workdir: Path) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {label: [] for label, _ in FILTERS}
    for n in sizes:
        url = "memory://" if backend == "memory" else f"sqlite:///{workdir / f'list_{n}.db'}"
        kit = pk.connect(url, clock=pk.SimulatedClock(NOW))
        kit.migrate()
        try:
            build(kit, n)
            for label, kwargs in FILTERS:
                figures[label].append(timed(_page(kit, kwargs)))
        finally:
            kit.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["memory", "sqlite", "both"], default="memory")
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ["memory", "sqlite"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="pk-bench-") as tmp:
        workdir = args.dir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for backend in backends:
            figures = run(backend, sizes, workdir)
            header = "".join(f"{f'N={n:,}':>12}" for n in sizes)
            print(f"\n{backend}: best ms per page of 50\n{'filter':<38}{header}{'growth':>9}")
            for label, values in figures.items():
                cells = "".join(f"{v:>12.3f}" for v in values)
                growth = values[-1] / values[0] if values[0] else float("nan")
                print(f"{label:<38}{cells}{growth:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

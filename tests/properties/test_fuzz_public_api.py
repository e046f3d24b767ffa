"""Fuzzing every public service method (issue 7, "Trust"): whatever a caller passes, only a
`PartnerkitError` escapes, its `as_dict()` is JSON, and neither it nor the message is long.

The methods are found by introspection of the services in `SERVICES` (`kit.catalog` through
`kit.subscriptions`, plus a few of the kit's own), so a method added later is fuzzed without
editing this file. For each parameter an example passes a plausible value (the
ids, codes, tokens and emails of a seeded world), the default, or a hostile value from
`partnerkit.testing.strategies`; one example in two keeps every parameter but one plausible,
so the hostile value reaches past the first check. A call that accepts a hostile value and
writes is followed by reads, the rules that use what it stored, an accrual and a year of
`advance_to()`, none of which it may break.

Budget: the `fuzz-ci` profile (the default) runs `CI_EXAMPLES` examples per method and backend,
with a fixed seed so CI is reproducible; `PARTNERKIT_FUZZ=long` runs `LONG_EXAMPLES` with a
fresh seed each run. `PARTNERKIT_FUZZ_RECORD=path.jsonl` records every failure to that file and
carries on instead of stopping at the first, which is how the catalogue of failures is made.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import Phase, given, seed, settings
from hypothesis import strategies as st

import partnerkit as pk
from partnerkit.backends.memory import MemoryBackend
from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql.schema import metadata
from partnerkit.customers.plans import Edition
from partnerkit.errors import PartnerkitError
from partnerkit.testing.plugin import START
from partnerkit.testing.strategies import (
    describe,
    hostile_amounts,
    hostile_containers,
    hostile_datetimes,
    hostile_money,
    hostile_numbers,
    hostile_scalars,
    hostile_text,
    hostile_values,
)

# --- budget -------------------------------------------------------------------------------------

#: Examples per method and backend in CI: about 20 s for the whole module on two cores.
CI_EXAMPLES = 25
#: CI's seed: fixed, so CI draws the same examples every run, even after this file changes.
CI_SEED = 20260105
#: Examples per method and backend with PARTNERKIT_FUZZ=long (a local run of some minutes).
LONG_EXAMPLES = 400

# A profile is applied to these tests only (no load_profile): the rest of the suite keeps its
# settings. The deadline is off because SQLite's fsync makes timings vary. CI does not
# shrink: a failure's note already names each hostile argument's kind and the frame that
# raised, and shrinking some fifty failing methods takes minutes. The long run shrinks.
settings.register_profile(
    "fuzz-ci",
    max_examples=CI_EXAMPLES,
    deadline=None,
    database=None,
    print_blob=False,
    phases=[Phase.explicit, Phase.generate],
)
settings.register_profile(
    "fuzz-long",
    parent=settings.get_profile("fuzz-ci"),
    max_examples=LONG_EXAMPLES,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
LONG = os.environ.get("PARTNERKIT_FUZZ") == "long"
FUZZ = settings.get_profile("fuzz-long" if LONG else "fuzz-ci")
#: The long run draws a fresh seed each time; CI always the same one.
FUZZ_SEED: Callable[[Callable[..., None]], Callable[..., None]] = (
    (lambda test: test) if LONG else seed(CI_SEED)
)
RECORD = os.environ.get("PARTNERKIT_FUZZ_RECORD")

#: `str(err)` must be shorter than this: a message never echoes megabytes of input back.
MAX_MESSAGE = 2_000
#: Nor may `as_dict()`, which APIs return and logs keep, as JSON (details included).
MAX_AS_DICT = 10_000

# --- what is fuzzed -----------------------------------------------------------------------------

SERVICES = (
    "catalog",
    "customers",
    "partners",
    "mapping",
    "commissions",
    "billing",
    "resellers",
    "subscriptions",
)
#: The kit's own public calls that take caller input (the rest are lifecycle and wiring).
KIT_METHODS = ("outbox", "advance_to", "run_due", "subscribe")
EXCLUDED = {
    # The time-driven jobs: kit.run_due() and kit.advance_to() call them with the clock's own
    # instant (advance_to is fuzzed, and run_due follows every call that accepted a hostile
    # value); hosts never pass them an instant of their own.
    "partners.next_inactivity_due",
    "partners.deactivate_inactive",
    "mapping.next_consent_due",
    "mapping.expire_consents",
    "mapping.next_provisional_due",
    "mapping.expire_provisional",
    # In-transaction handlers mapping.install() registers for PlanChanged and
    # PartnerDeactivated; partnerkit builds their arguments (fuzzed through customers.set_plan
    # and partners.deactivate).
    "mapping.on_plan_changed",
    "mapping.on_partner_deactivated",
    # The handlers for billing's PaymentRecorded and PaymentRefunded (fuzzed through
    # billing.record_payment and the refunds).
    "commissions.on_payment_recorded",
    "commissions.on_payment_refunded",
    # The reseller portal's handler for billing's InvoiceVoided (fuzzed through
    # billing.void_invoice).
    "resellers.on_invoice_voided",
    # Billing's overdue job, driven by run_due and advance_to like the ones above.
    "billing.next_overdue_due",
    "billing.mark_overdue",
    # Billing's reconciliation of unknown online payments, driven by run_due the same way.
    "billing.next_reconcile_due",
    "billing.reconcile_payments",
    # Wiring, not a call made for anyone: a package's install (or the host, once at start-up)
    # registers a function, not input a person sends.
    "billing.add_recurring_profile_check",
    # The subscriptions' due job (starts, trial ends, renewals, charges, retries), driven by
    # run_due and advance_to with the clock's instant like the jobs above.
    "subscriptions.next_due",
    "subscriptions.run_due",
}


def discover(kit: pk.Kit) -> dict[str, inspect.Signature]:
    """Every public method of the services and the kit's calls above, by qualified name."""
    found: dict[str, inspect.Signature] = {}
    for namespace in SERVICES:
        for name, method in inspect.getmembers(getattr(kit, namespace), inspect.ismethod):
            if not name.startswith("_"):
                found[f"{namespace}.{name}"] = inspect.signature(method)
    for name in KIT_METHODS:
        found[f"kit.{name}"] = inspect.signature(getattr(kit, name))
    return dict(sorted(found.items()))


# Discovered on a throwaway memory kit at collection: constructing one does no I/O.
DISCOVERED = discover(pk.connect("memory://", clock=pk.SimulatedClock(START)))
FUZZED = [name for name in DISCOVERED if name not in EXCLUDED]


def resolve(kit: pk.Kit, qualname: str) -> Callable[..., Any]:
    namespace, name = qualname.split(".")
    owner: object = kit if namespace == "kit" else getattr(kit, namespace)
    method: Callable[..., Any] = getattr(owner, name)
    return method


# --- the seeded world ---------------------------------------------------------------------------

PRODUCTS = ("crm", "books")
OPERATOR = "partner-team"
#: (name, username, code): active partners working on every product.
PARTNERS = (("Zillium", "zillium", "ZILLIUMCorp"), ("Nimbus", "nimbus", "NIMBUSHQ"))
CUSTOMERS = ("acme", "globex", "initech")


STAFF = pk.Principal.staff("team@vendor.example")


@attrs.frozen
class World:
    """What the seed created, so plausible arguments name things that exist."""

    now: datetime
    partner_ids: tuple[str, ...]
    partner_emails: tuple[str, ...]
    usernames: tuple[str, ...]
    codes: tuple[str, ...]
    customer_ids: tuple[str, ...]
    admins: tuple[str, ...]
    users: tuple[str, ...]
    tokens: tuple[str, ...]
    request_ids: tuple[str, ...]
    transactions: tuple[str, ...]
    invoice_ids: tuple[str, ...] = ()
    payment_ids: tuple[str, ...] = ()
    credit_note_ids: tuple[str, ...] = ()
    tax_rate_ids: tuple[str, ...] = ()
    method_ids: tuple[str, ...] = ()
    #: Subscriptions (issue 11): the plans, addons and coupon codes of crm and books, and
    #: Acme's live, trial and auto-charged subscriptions, then Globex's.
    plan_ids: tuple[str, ...] = ()
    addon_ids: tuple[str, ...] = ()
    coupon_codes: tuple[str, ...] = ()
    subscription_ids: tuple[str, ...] = ()


def _bill(kit: pk.Kit, customer_ids: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Billing's part of the world: a default tax, a draft, a sent, a partly paid and a paid
    invoice of Acme's, an overpayment with credit left, a credit note, Globex's invoice."""
    acme, globex = customer_ids[0], customer_ids[1]
    vat = kit.billing.create_tax_rate("VAT", "20", default=True, actor=STAFF)
    gst = kit.billing.create_tax_rate("GST", "7.5", inclusive=True, actor=STAFF)

    def lines(price: str) -> list[pk.InvoiceLine]:
        return [pk.InvoiceLine.of("CRM seats", 2, pk.Money.of(price, "USD"))]

    draft = kit.billing.create_invoice(acme, lines("10"), actor=STAFF)
    paid = kit.billing.create_invoice(acme, lines("20"), issue=True, actor=STAFF)
    part = kit.billing.create_invoice(acme, lines("30"), issue=True, actor=STAFF)
    theirs = kit.billing.create_invoice(globex, lines("40"), issue=True, actor=STAFF)
    cash = pk.PaymentMethodKind.CASH
    full = kit.billing.record_payment(acme, pk.Money.of("48", "USD"), method=cash, actor=STAFF)
    some = kit.billing.record_payment(acme, pk.Money.of("10", "USD"), method=cash, actor=STAFF)
    note = kit.billing.issue_credit_note(
        acme, pk.Money.of("5", "USD"), reason="Goodwill", actor=STAFF
    )
    extra = kit.billing.record_payment(
        globex, pk.Money.of("200", "USD"), method=cash, idempotency_key="bt-1", actor=STAFF
    )
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    card = kit.billing.add_payment_method(
        acme, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=STAFF
    )
    theirs_card = kit.billing.add_payment_method(
        globex, gateway.tokenize("5555 5555 5555 4444", 1, 2031), actor=STAFF
    )
    return {
        "invoice_ids": (part.id, paid.id, draft.id, theirs.id),
        "payment_ids": (some.id, full.id, extra.id),
        "credit_note_ids": (note.id,),
        "tax_rate_ids": (vat.id, gst.id),
        "method_ids": (card.id, theirs_card.id),
    }


MONTH = pk.BillingPeriod(pk.IntervalUnit.MONTH, 1)


def _subscribe(
    kit: pk.Kit, customer_ids: tuple[str, ...], method_id: str
) -> dict[str, tuple[str, ...]]:
    """Subscriptions' part of the world: a monthly plan with a setup fee and one with a trial
    for crm, a yearly one for books, a recurring addon, a coupon; Acme live (auto-charged to
    its card) and in a trial, Globex live on books."""
    acme, globex = customer_ids[0], customer_ids[1]
    usd = functools.partial(pk.Money.of, currency="USD")
    subs = kit.subscriptions
    subs.add_plan(
        "crm-pro", product="crm", name="CRM Pro", price=usd("30"), period=MONTH,
        setup_fee=usd("10"), actor=STAFF,
    )  # fmt: skip
    subs.add_plan(
        "crm-trial", product="crm", name="CRM Trial", price=usd("20"), period=MONTH, trial=14,
        actor=STAFF,
    )  # fmt: skip
    subs.add_plan(
        "books-yearly", product="books", name="Books", price=usd("100"),
        period=pk.BillingPeriod(pk.IntervalUnit.YEAR, 1), actor=STAFF,
    )  # fmt: skip
    subs.add_addon("seats", product="crm", name="Seats", price=usd("5"), actor=STAFF)
    subs.add_coupon(COUPON, product="crm", actor=STAFF)
    live = subs.create(
        acme, "crm-pro", addons=[("seats", 2)], coupons=["HALF"], auto_charge=True,
        payment_method_id=method_id, actor=STAFF,
    )  # fmt: skip
    trial = subs.create(acme, "crm-trial", actor=STAFF)
    theirs = subs.create(globex, "books-yearly", actor=STAFF)
    return {
        "plan_ids": ("crm-pro", "crm-trial", "books-yearly"),
        "addon_ids": ("seats",),
        "coupon_codes": ("HALF",),
        "subscription_ids": (live.id, trial.id, theirs.id),
    }


COUPON = pk.Coupon.create(
    id="cpn_half",
    code="HALF",
    name="Half off, twice",
    kind=pk.DiscountKind.PERCENTAGE,
    percentage=50,
    duration=pk.CouponDuration.CYCLES,
    cycles=2,
)


def seed(kit: pk.Kit, clock: pk.SimulatedClock, mailer: pk.InMemoryMailer) -> World:
    """Products, partners (active, without a username, deactivated) with codes and plans,
    customers paid and free, a mapping with booked and refunded commission, a provisional
    mapping, a pending transfer, a pending approval, a sign-up link and a tracking entry."""
    for key in PRODUCTS:
        kit.catalog.add_product(key, name=key.upper(), actor=STAFF)
    partners: list[pk.Partner] = []
    for name, username, code in PARTNERS:
        partner = kit.partners.register(
            name=name,
            username=username,
            email=f"ops@{username}.example",
            regions=["IN", "US"],
            expertise=list(PRODUCTS),
            actor=STAFF,
        )
        kit.partners.issue_code(partner.id, code, actor=STAFF)
        kit.commissions.set_plan(partner.id, rate=Decimal("20"), limit_months=12, actor=STAFF)
        partners.append(partner)
    nameless = kit.partners.register(
        name="Quanta", email="ops@quanta.example", expertise=["crm"], actor=STAFF
    )
    dormant = kit.partners.register(
        name="Dormant",
        username="dormant",
        email="ops@dormant.example",
        expertise=["crm"],
        actor=STAFF,
    )
    kit.partners.issue_code(dormant.id, "DORMANTCo", actor=STAFF)
    kit.partners.deactivate(dormant.id, reason="left the program", actor=STAFF)
    partners += [nameless, dormant]

    customers = [
        kit.customers.create(
            name=name.title(),
            admin_email=f"it@{name}.example",
            domain=f"{name}.example",
            actor=STAFF,
        )
        for name in CUSTOMERS
    ]
    acme, globex, initech = customers
    for customer, name in zip(customers, CUSTOMERS, strict=True):
        kit.customers.add_user(customer.id, f"bob@{name}.example", name="Bob", actor=STAFF)
    today = clock.today()
    kit.customers.set_plan(acme.id, "crm", "paid", since=today - timedelta(days=90), actor=STAFF)
    kit.customers.set_plan(globex.id, "books", "free", actor=STAFF)
    kit.customers.set_plan(initech.id, "crm", "paid", since=today - timedelta(days=60), actor=STAFF)

    zillium, nimbus = partners[0], partners[1]
    kit.mapping.tag_partner(
        acme.id, "crm", "ZILLIUMCorp", actor=pk.Principal.customer_user(acme.id, "it@acme.example")
    )
    clock.advance(days=2)
    booked_at = clock.now() - timedelta(hours=1)
    for txn, amount in (("txn-1", "100.00"), ("txn-2", "50.00")):
        kit.commissions.accrue(
            acme.id,
            "crm",
            transaction_id=txn,
            amount=pk.Money.of(amount, "USD"),
            occurred_at=booked_at,
            actor=STAFF,
        )
    kit.commissions.reverse(
        "txn-2",
        transaction_id="txn-2-refund",
        occurred_at=clock.now(),
        amount=pk.Money.of("10.00", "USD"),
        actor=STAFF,
    )
    kit.mapping.add_customer(nimbus.id, globex.id, "books", actor=STAFF)
    transfer = kit.mapping.request_transfer(
        acme.id, "crm", "NIMBUSHQ", actor=pk.Principal.customer_user(acme.id, "it@acme.example")
    )
    approval = kit.mapping.add_customer(nimbus.id, initech.id, "crm", actor=STAFF).request
    assert approval is not None
    link = kit.mapping.signup_link(zillium.id, "crm", actor=STAFF)
    kit.mapping.track(zillium.id, "bob@globex.example", actor=STAFF)
    tokens = [str(e.context["token"]) for e in mailer.sent if "token" in e.context]
    assert len(tokens) == 2, "the seed expects a transfer and an approval email"
    billed = _bill(kit, tuple(c.id for c in customers))
    subscribed = _subscribe(kit, tuple(c.id for c in customers), billed["method_ids"][0])
    return World(
        **billed,
        **subscribed,
        now=clock.now(),
        partner_ids=tuple(p.id for p in partners),
        partner_emails=tuple(p.email for p in partners),
        usernames=("zillium", "nimbus", "dormant"),
        codes=("ZILLIUMCorp", "NIMBUSHQ", "DORMANTCo"),
        customer_ids=tuple(c.id for c in customers),
        admins=tuple(f"it@{name}.example" for name in CUSTOMERS),
        users=tuple(f"bob@{name}.example" for name in CUSTOMERS),
        tokens=(*tokens, link.token),
        request_ids=(transfer.id, approval.id),
        transactions=("txn-1", "txn-2", "txn-2-refund"),
    )


Rows = list[tuple[sa.Table, list[dict[str, Any]]]]


class Worlds:
    """A fresh kit over a freshly seeded world per example. Memory seeds again (it costs
    milliseconds); SQLite seeds once per module and restores the rows, in one transaction."""

    def __init__(self, sqlite_path: Path) -> None:
        self._sqlite_path = sqlite_path
        self._sqlite: tuple[SqlBackend, World, Rows] | None = None
        self._dirty = False

    def fresh(self, backend: str) -> tuple[pk.Kit, World]:
        if backend == "memory":
            clock, mailer = pk.SimulatedClock(START), pk.InMemoryMailer()
            kit = pk.Kit(MemoryBackend(), clock=clock, mailer=mailer)
            return kit, seed(kit, clock, mailer)
        sql, world, rows = self._seeded_sqlite()
        if self._dirty:
            with sql.engine.begin() as conn:
                for table, _ in reversed(rows):
                    conn.execute(table.delete())
                for table, table_rows in rows:
                    if table_rows:
                        conn.execute(table.insert(), table_rows)
            self._dirty = False
        kit = pk.Kit(
            sql,
            clock=pk.SimulatedClock(world.now),
            mailer=pk.InMemoryMailer(),
            payment_gateway=pk.FakePaymentGateway(),
        )
        return kit, world

    def _seeded_sqlite(self) -> tuple[SqlBackend, World, Rows]:
        if self._sqlite is None:
            sql = SqlBackend.from_url(f"sqlite:///{self._sqlite_path}")
            sql.migrate()
            clock, mailer = pk.SimulatedClock(START), pk.InMemoryMailer()
            gateway = pk.FakePaymentGateway(clock=clock)
            kit = pk.Kit(sql, clock=clock, mailer=mailer, payment_gateway=gateway)
            world = seed(kit, clock, mailer)
            with sql.engine.connect() as conn:
                rows = [
                    (table, [dict(row._mapping) for row in conn.execute(table.select())])
                    for table in metadata.sorted_tables
                ]
            self._sqlite = (sql, world, rows)
            # Most examples are refused before they write: restore only after one that wrote
            # (or tried to: a statement that rolled back counts too).
            sa.event.listen(sql.engine, "before_cursor_execute", self._watch)
        return self._sqlite

    def wrote(self, backend: str) -> bool:
        """Whether anything was written since the world was fresh (memory cannot tell: yes)."""
        return backend == "memory" or self._dirty

    def _watch(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "PRAGMA")):
            self._dirty = True

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite[0].close()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worlds]:
    # Module-scoped, so Hypothesis's function_scoped_fixture check has nothing to object to:
    # every example gets its own kit and world from it.
    worlds = Worlds(tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    yield worlds
    worlds.close()


# --- arguments ----------------------------------------------------------------------------------


class Arg:
    """A drawn argument; its repr names its kind, so a report never prints a 1 MB string."""

    __slots__ = ("hostile", "value")

    def __init__(self, value: object, hostile: bool) -> None:
        self.value = value
        self.hostile = hostile

    def __repr__(self) -> str:
        value = self.value
        if isinstance(value, str | bytes) and len(value) > 60:
            shown = f"{value[:40]!r}... ({len(value)} long)"
        else:
            shown = repr(value)[:200]
        return f"<{'hostile' if self.hostile else 'plausible'} {describe(value)}: {shown}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints drawn values with IPython's protocol: keep it to the short form.
        printer.text(repr(self))


@st.composite
def arguments(draw: st.DrawFn, values: st.SearchStrategy[object], hostile: bool) -> Arg:
    # A composite, not .map(): Hypothesis would print a mapped value as the call that made it,
    # megabytes included.
    return Arg(draw(values), hostile)


def _aware(low: datetime, high: datetime) -> st.SearchStrategy[datetime]:
    naive = st.datetimes(min_value=low.replace(tzinfo=None), max_value=high.replace(tzinfo=None))
    return naive.map(lambda d: d.replace(tzinfo=UTC))


def _days(world: World, before: int, after: int) -> st.SearchStrategy[date]:
    today = world.now.date()
    return st.dates(today - timedelta(days=before), today + timedelta(days=after))


# The world-independent strategies are built once: building them costs more than drawing.
NAMES = st.one_of(
    st.sampled_from(["Acme", "Zillium GmbH", "Ünïcødé Ltd", "O'Brien & Co"]),
    st.text(min_size=1, max_size=30),
)
FRESH_EMAILS = st.one_of(
    st.sampled_from(["new@fresh.example", "New.User@Fresh.Example", "x@y.example"]), st.emails()
)
MONEY = st.builds(
    pk.Money.from_minor,
    st.integers(min_value=-100_000, max_value=100_000),
    st.sampled_from(["USD", "USD", "EUR", "INR"]),
)
PRODUCT_KEYS = st.one_of(st.just(PRODUCTS[0]), st.sampled_from([*PRODUCTS, "ledger", "CRM"]))
NEW_KEYS = st.one_of(
    st.sampled_from(["ledger", "crm", "b2b-suite"]),
    st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True),
)
CODE_TEXT = st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True)
TOKEN_TEXT = st.text(max_size=50)
USERNAMES = st.from_regex(r"[a-z0-9][a-z0-9._-]{2,20}", fullmatch=True)
DOMAINS = st.sampled_from(["acme.example", "fresh.example", "bücher.example", "a.b.example"])
REGIONS = st.sampled_from(["IN", "US", "de"])


def _mostly(values: tuple[str, ...]) -> st.SearchStrategy[str]:
    """The first value half the time: the world's first customer (Acme), its admin and its
    partner of record (Zillium) belong together, so calls get past "not your customer"."""
    return st.one_of(st.just(values[0]), st.sampled_from(values))


def _emails(world: World) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(world.admins + world.users + world.partner_emails), FRESH_EMAILS
    )


PERIODS = st.sampled_from(
    [MONTH, pk.BillingPeriod(pk.IntervalUnit.YEAR, 1), pk.BillingPeriod(pk.IntervalUnit.DAY, 14)]
)
FRESH_COUPON = pk.Coupon.create(
    id="cpn_fuzz", code="FUZZ10", name="10 off", kind=pk.DiscountKind.FIXED,
    amount=pk.Money.of("10", "USD"),
)  # fmt: skip


# Plausible values by parameter name; the annotation decides when one name means two things
# (`expertise` is a list in register() and one product in directory()).
PLAUSIBLE: dict[str, Callable[[World, str], st.SearchStrategy[Any]]] = {
    "customer_id": lambda w, a: _mostly(w.customer_ids),
    "partner_id": lambda w, a: _mostly(w.partner_ids),
    "product": lambda w, a: PRODUCT_KEYS,
    "key": lambda w, a: NEW_KEYS,
    "name": lambda w, a: NAMES,
    "admin_name": lambda w, a: NAMES,
    "company": lambda w, a: NAMES,
    "reason": lambda w, a: NAMES,
    "evidence": lambda w, a: st.sampled_from(["The customer's email of Jan 5, forwarded."]),
    "text": lambda w, a: st.one_of(st.sampled_from(w.codes), CODE_TEXT),
    "code": lambda w, a: st.one_of(
        st.sampled_from(w.codes),
        st.sampled_from(["zilliumcorp", "NEWCODE7", "Fresh2026"]),
        # A plan's or an addon's code (subscriptions' catalog): new, or one the world has.
        st.sampled_from([*w.plan_ids, *w.addon_ids, "crm-new", "extra-storage"]),
    ),
    "email": lambda w, a: _emails(w),
    "admin_email": lambda w, a: _emails(w),
    "by": lambda w, a: _mostly((*w.admins, *w.users, OPERATOR)),
    # Mostly staff, so that a hostile argument reaches past the access check; sometimes a
    # customer's admin or a partner user, for the checks that read them.
    "actor": lambda w, a: st.one_of(
        st.just(STAFF),
        st.just(STAFF),
        st.just(pk.Principal.system()),
        st.sampled_from(
            [
                pk.Principal.customer_user(c, m)
                for c, m in zip(w.customer_ids, w.admins, strict=True)
            ]
        ),
        st.sampled_from([pk.Principal.partner_user(p, "ops@x.example") for p in w.partner_ids]),
    ),
    "login": lambda w, a: st.sampled_from(w.usernames + w.partner_emails + ("nobody",)),
    "username": lambda w, a: st.one_of(st.sampled_from(w.usernames), USERNAMES),
    "token": lambda w, a: st.one_of(st.sampled_from(w.tokens), TOKEN_TEXT),
    "request_id": lambda w, a: st.sampled_from(w.request_ids),
    "transaction_id": lambda w, a: st.sampled_from([*w.transactions, "txn-new", "txn-other"]),
    "original_transaction_id": lambda w, a: st.sampled_from(w.transactions),
    "amount": lambda w, a: MONEY,
    "occurred_at": lambda w, a: _aware(START - timedelta(days=5), w.now),
    "rate": lambda w, a: st.one_of(
        st.decimals(0, 100, places=2), st.integers(0, 100), st.sampled_from(["12.5", "20"])
    ),
    "limit_months": lambda w, a: st.integers(1, 36),
    "since": lambda w, a: _days(w, 400, 30),
    "start": lambda w, a: _days(w, 30, 5),
    "end": lambda w, a: _days(w, 5, 30),
    "as_of": lambda w, a: st.one_of(
        _days(w, 30, 30), _aware(w.now - timedelta(days=30), w.now + timedelta(days=30))
    ),
    "when": lambda w, a: st.one_of(_aware(w.now, w.now + timedelta(days=800)), _days(w, 0, 800)),
    "edition": lambda w, a: st.sampled_from([Edition.PAID, Edition.FREE, "paid", "free"]),
    "kind": lambda w, a: (
        st.sampled_from([*pk.AddonKind, "one_time", "monthly"])
        if "AddonKind" in a
        else st.sampled_from([*pk.PartnerKind, "affiliate"])
    ),
    "status": lambda w, a: st.sampled_from(list(pk.PartnerStatus)),
    "domain": lambda w, a: DOMAINS,
    "domains": lambda w, a: st.lists(DOMAINS, max_size=3),
    "email_domains": lambda w, a: st.lists(DOMAINS, max_size=3),
    "regions": lambda w, a: st.lists(REGIONS, max_size=3),
    "region": lambda w, a: REGIONS,
    "expertise": lambda w, a: (
        st.lists(PRODUCT_KEYS, max_size=2) if "Iterable" in a else PRODUCT_KEYS
    ),
    "phone": lambda w, a: st.sampled_from(["+91 98765 43210", "555-0100"]),
    "time_zone": lambda w, a: st.sampled_from(["UTC", "Asia/Kolkata", "America/New_York"]),
    "products": lambda w, a: st.lists(PRODUCT_KEYS, max_size=3),
    "topic": lambda w, a: st.sampled_from(["partner.registered", "mapping.started", "nothing"]),
    "event_name": lambda w, a: st.sampled_from(["*", "partner.registered", "mapping.started"]),
    "handler": lambda w, a: st.just(lambda event: None),
    # Billing (issue 10).
    "invoice_id": lambda w, a: _mostly(w.invoice_ids),
    "invoice_ids": lambda w, a: st.lists(st.sampled_from(w.invoice_ids), min_size=1, max_size=3),
    "payment_id": lambda w, a: _mostly(w.payment_ids),
    "credit_note_id": lambda w, a: st.sampled_from(w.credit_note_ids),
    "method_id": lambda w, a: _mostly(w.method_ids),
    # A one-time token of the gateway's payment page (the fake charges an unknown one).
    "card": lambda w, a: st.sampled_from(["tok_fuzz_1", "tok_fuzz_2"]),
    "tax_rate_id": lambda w, a: st.sampled_from(w.tax_rate_ids),
    "lines": lambda w, a: st.lists(
        st.builds(
            pk.InvoiceLine.of,
            st.sampled_from(["CRM seats", "Setup"]),
            st.integers(1, 10),
            st.builds(pk.Money.from_minor, st.integers(0, 100_000), st.just("USD")),
        ),
        min_size=1,
        max_size=3,
    ),
    "method": lambda w, a: st.sampled_from(
        [*pk.PaymentMethodKind, *pk.RefundMethod, "cash", "card"]
    ),
    "received_at": lambda w, a: _aware(START - timedelta(days=5), w.now),
    "received_from": lambda w, a: _aware(START - timedelta(days=5), w.now),
    "received_before": lambda w, a: _aware(START, w.now + timedelta(days=5)),
    "reference": lambda w, a: st.sampled_from(["CHQ 1042", "BT-2026-01"]),
    "idempotency_key": lambda w, a: st.sampled_from(["bt-1", "bt-2", "fresh-key"]),
    "percentage": lambda w, a: st.one_of(st.decimals(0, 100, places=3), st.sampled_from(["20", 5])),
    "issue_date": lambda w, a: _days(w, 30, 30),
    "due_date": lambda w, a: _days(w, 0, 60),
    "issued_from": lambda w, a: _days(w, 30, 5),
    "issued_to": lambda w, a: _days(w, 5, 30),
    "subscription_id": lambda w, a: (
        _mostly(w.subscription_ids) if w.subscription_ids else st.sampled_from(["sub_1"])
    ),
    # Subscriptions (issue 11).
    "plan": lambda w, a: st.sampled_from([*w.plan_ids, "nope"]),
    "period": lambda w, a: PERIODS,
    "trial": lambda w, a: st.one_of(st.integers(0, 30), PERIODS),
    "coupon": lambda w, a: st.just(FRESH_COUPON),
    "addons": lambda w, a: st.lists(
        st.one_of(
            st.sampled_from(w.addon_ids), st.tuples(st.sampled_from(w.addon_ids), st.integers(1, 5))
        ),
        max_size=2,
    ),
    "coupons": lambda w, a: st.lists(st.sampled_from([*w.coupon_codes, "NOPE"]), max_size=2),
    "start_date": lambda w, a: _days(w, 5, 60),
    "pause_on": lambda w, a: _days(w, 2, 60),
    "resume_on": lambda w, a: _days(w, 0, 120),
    "payment_method_id": lambda w, a: _mostly(w.method_ids),
    "sales_order_id": lambda w, a: st.sampled_from(["so_1"]),
    "sort": lambda w, a: st.sampled_from(["date", "amount", "colour"]),
    "limit": lambda w, a: st.integers(1, 100),
    "offset": lambda w, a: st.integers(0, 10),
    "currency": lambda w, a: st.sampled_from(["USD", "EUR", "JPY"]),
}


@functools.cache
def _by_annotation(annotation: str) -> st.SearchStrategy[Any]:
    """A plausible value for a parameter this file has never heard of, from its type."""
    options: list[st.SearchStrategy[Any]] = []
    if "str" in annotation:
        options.append(st.text(max_size=30))
    if "bool" in annotation:
        options.append(st.booleans())
    if "int" in annotation:
        options.append(st.integers(-10, 1_000))
    if "Decimal" in annotation:
        options.append(st.decimals(0, 1_000, places=2))
    if "datetime" in annotation:
        options.append(_aware(START, START + timedelta(days=365)))
    elif "date" in annotation:
        options.append(st.dates(START.date(), START.date() + timedelta(days=365)))
    if "Money" in annotation:
        options.append(MONEY)
    if "None" in annotation or not options:
        options.append(st.none())
    return st.one_of(options)


@functools.cache
def _hostile_for(annotation: str) -> st.SearchStrategy[object]:
    """Hostile values weighted toward what breaks this parameter's type, and any other."""
    if "datetime" in annotation or "date" in annotation:
        specific = hostile_datetimes()
    elif "Money" in annotation:
        specific = st.one_of(hostile_money(), hostile_amounts())
    elif "int" in annotation or "Decimal" in annotation:
        specific = hostile_numbers()
    elif "Iterable" in annotation:
        specific = st.one_of(hostile_containers(), st.lists(hostile_text(), max_size=2))
    elif "str" in annotation:
        specific = st.one_of(hostile_text(), hostile_scalars())
    else:
        specific = hostile_values()
    return st.one_of(specific, hostile_values())


def plausible_for(parameter: inspect.Parameter, world: World) -> st.SearchStrategy[Any]:
    annotation = str(parameter.annotation)
    known = PLAUSIBLE.get(parameter.name)
    strategy = known(world, annotation) if known is not None else _by_annotation(annotation)
    if "None" in annotation:
        strategy = st.one_of(strategy, st.none())
    return strategy


def draw_arguments(
    data: st.DataObject, signature: inspect.Signature, world: World
) -> tuple[list[object], dict[str, object], dict[str, object]]:
    """Positional args, keyword args, and the hostile ones by name (for the report)."""
    params = [
        p
        for p in signature.parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    # Either exactly one hostile parameter among plausible ones (so the hostile value reaches
    # past the checks before it), or every parameter drawn on its own.
    single = (
        data.draw(st.none() | st.integers(0, len(params) - 1), label="single hostile")
        if params
        else None
    )
    args: list[object] = []
    kwargs: dict[str, object] = {}
    hostile: dict[str, object] = {}
    for i, param in enumerate(params):
        optional = param.default is not inspect.Parameter.empty
        if single is not None:
            choice = "hostile" if i == single else "plausible"
        else:
            choice = data.draw(st.sampled_from(["plausible", "hostile"]), label=f"{param.name}?")
        if (
            optional
            and choice == "plausible"
            and data.draw(st.booleans(), label=f"omit {param.name}")
        ):
            continue
        is_hostile = choice == "hostile"
        strategy = (
            _hostile_for(str(param.annotation)) if is_hostile else plausible_for(param, world)
        )
        arg = data.draw(arguments(strategy, is_hostile), label=param.name)
        if is_hostile:
            hostile[param.name] = arg.value
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            args.append(arg.value)
        else:
            kwargs[param.name] = arg.value
    return args, kwargs, hostile


# --- outcomes -----------------------------------------------------------------------------------

# The package's own directory, wherever it is installed (src/ in a checkout).
_PACKAGE = os.path.dirname(os.path.abspath(pk.__file__)) + os.sep


def origin(exc: BaseException) -> str:
    """Where in partnerkit the exception comes from: the innermost frame in the package."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(_PACKAGE)] or frames[-1:]
    if not ours:
        return "?"
    frame = ours[-1]
    path = frame.filename.removeprefix(_PACKAGE)
    return f"{path}:{frame.lineno} in {frame.name}"


@attrs.frozen
class Failure:
    problem: str
    method: str
    backend: str
    hostile: dict[str, str]
    exception: str
    message: str
    origin: str

    def summary(self) -> str:
        inputs = ", ".join(f"{k}={v}" for k, v in self.hostile.items()) or "plausible input"
        return (
            f"{self.problem}: {self.method} on {self.backend} with {inputs} raised "
            f"{self.exception}: {self.message} (from src/partnerkit/{self.origin})"
        )


def failure(
    problem: str, method: str, backend: str, hostile: dict[str, object], exc: BaseException
) -> Failure:
    return Failure(
        problem=problem,
        method=method,
        backend=backend,
        hostile={name: describe(value) for name, value in hostile.items()},
        exception=type(exc).__name__,
        message=str(exc)[:300],
        origin=origin(exc),
    )


def report(
    found: Failure, exc: BaseException | None = None, *, cause: BaseException | None = None
) -> None:
    """Record the failure and go on (PARTNERKIT_FUZZ_RECORD), or fail the example."""
    __tracebackhide__ = True  # the failure is the library's: point pytest's report there
    if RECORD:
        with open(RECORD, "a", encoding="utf-8") as out:
            out.write(json.dumps(attrs.asdict(found)) + "\n")
        return
    if exc is not None:
        exc.add_note(found.summary())
        raise exc
    raise AssertionError(found.summary()) from cause


def check_typed(
    err: PartnerkitError, method: str, backend: str, hostile: dict[str, object]
) -> None:
    """A typed error must still be fit to show: JSON-ready and short, as message and as dict."""
    __tracebackhide__ = True
    problems: list[str] = []
    try:
        as_json = json.dumps(err.as_dict())
    except (TypeError, ValueError) as bad:
        problems.append(f"as_dict() is not JSON ({bad})")
    else:
        if len(as_json) >= MAX_AS_DICT:
            problems.append(f"as_dict() JSON has {len(as_json)} characters")
    if len(str(err)) >= MAX_MESSAGE:
        problems.append(f"str(err) has {len(str(err))} characters")
    for problem in problems:
        report(failure(problem, method, backend, hostile, err), cause=err)


def call(fn: Callable[[], object], method: str, backend: str, hostile: dict[str, object]) -> bool:
    """Run `fn`; True when it returned, False when it raised a (well-behaved) typed error."""
    __tracebackhide__ = True
    try:
        fn()
    except PartnerkitError as err:
        check_typed(err, method, backend, hostile)
        return False
    except Exception as exc:
        report(failure("untyped exception", method, backend, hostile, exc), exc)
        return False
    return True


def read_back(kit: pk.Kit, world: World) -> list[tuple[str, Callable[[], object]]]:
    """The reads, the rules and the passing of time that whatever a call stored must not break
    (a plan with `limit_months=2**64` is stored fine and breaks the next accrual)."""
    customer, partner = world.customer_ids[0], world.partner_ids[0]
    # The rules that read what a call stored: the 000 cases read plans, statements the ledger.
    adder = world.partner_ids[1]  # Nimbus: of record for none of Acme's products
    decisions = [
        (
            "mapping.explain_add",
            functools.partial(kit.mapping.explain_add, adder, c, p, actor=STAFF),
        )
        for c in world.customer_ids
        for p in PRODUCTS
    ]
    return [
        *decisions,
        (
            "commissions.statement",
            lambda: kit.commissions.statement(partner, START.date(), world.now.date(), actor=STAFF),
        ),
        ("catalog.products", kit.catalog.products),
        ("customers.customers", lambda: kit.customers.customers(actor=STAFF)),
        ("partners.partners", lambda: kit.partners.partners(actor=STAFF)),
        ("partners.directory", kit.partners.directory),
        ("mapping.pending_requests", lambda: kit.mapping.pending_requests(actor=STAFF)),
        ("mapping.history", lambda: kit.mapping.history(customer, actor=STAFF)),
        ("mapping.customers_of", lambda: kit.mapping.customers_of(partner, actor=STAFF)),
        ("commissions.entries", lambda: kit.commissions.entries(partner, actor=STAFF)),
        ("billing.dashboard", lambda: kit.billing.dashboard(customer, actor=STAFF)),
        ("billing.invoices", lambda: kit.billing.invoices(customer, limit=500, actor=STAFF)),
        ("billing.payments", lambda: kit.billing.payments(customer, limit=500, actor=STAFF)),
        (
            "billing.statement",
            lambda: list(
                kit.billing.statement(
                    customer, START.date(), world.now.date(), currency="USD", actor=STAFF
                )[1]
            ),
        ),
        ("kit.outbox", kit.outbox),
        (
            "subscriptions.subscriptions",
            lambda: kit.subscriptions.subscriptions(customer, actor=STAFF),
        ),
        ("subscriptions.plans", lambda: kit.subscriptions.plans(PRODUCTS[0])),
        ("kit.run_due", kit.run_due),
        (
            "mapping.partner_of_record",
            lambda: kit.mapping.partner_of_record(
                customer, PRODUCTS[0], as_of=world.now, actor=STAFF
            ),
        ),
        (
            "commissions.accrue",
            lambda: kit.commissions.accrue(
                customer,
                PRODUCTS[0],
                transaction_id="txn-read-back",
                amount=pk.Money.of("10.00", "USD"),
                occurred_at=world.now,
                actor=STAFF,
            ),
        ),
        # Last: it moves the clock past every expiry and the inactivity rule.
        ("kit.advance_to", lambda: kit.advance_to(world.now + timedelta(days=400))),
    ]


# --- the tests ----------------------------------------------------------------------------------


def test_the_public_methods_are_discovered() -> None:
    listing = "\n".join(f"  {name}{DISCOVERED[name]}" for name in FUZZED)
    print(f"fuzzing {len(FUZZED)} public methods:\n{listing}")
    assert FUZZED, "introspection found no public service method"
    # The exclusions must name real methods, or a rename would silently fuzz nothing new.
    assert set(DISCOVERED) >= EXCLUDED, sorted(EXCLUDED - set(DISCOVERED))
    assert {"mapping.tag_partner", "commissions.accrue", "kit.advance_to"} <= set(FUZZED)


@pytest.mark.parametrize("method", FUZZED)
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@FUZZ
@FUZZ_SEED
@given(data=st.data())
def test_only_partnerkit_errors_escape(
    worlds: Worlds, backend: str, method: str, data: st.DataObject
) -> None:
    # Not closed: closing the SQLite kit would dispose the engine every example shares.
    kit, world = worlds.fresh(backend)
    args, kwargs, hostile = draw_arguments(data, DISCOVERED[method], world)
    fn = resolve(kit, method)
    accepted = call(lambda: fn(*args, **kwargs), method, backend, hostile)
    # What plausible input stores is what the rest of the suite stores; hostile input that was
    # accepted and stored must not break the reads, rules and due runs that come after it.
    if accepted and hostile and worlds.wrote(backend):
        for name, read in read_back(kit, world):
            call(read, f"{name} after {method}", backend, hostile)

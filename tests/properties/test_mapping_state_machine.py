"""A stateful property test of the mapping history (000_91620a113ccdeac1.txt and
001_e5546b4aab26b4b3.txt): random sequences of tagging, partners adding customers, transfers,
confirmations, plan changes, written consent, unmapping, commission accruals and the passing of
time, with the history's invariants checked after every step.

Issue 8's moves too: a tag while an approval waits (for the same partner or another), a
customer dropping to free before it approves, a partner re-adding a free customer whose
mapping was removed, and sign-ups through links that name their products; and the invariant
that no read depends on whether `run_due` has run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import partnerkit as pk
from partnerkit.consent import ConsentKind, ConsentStatus
from partnerkit.errors import ConsentExpiredError, ConsentNotPendingError, InvalidTokenError
from partnerkit.mapping.commission_values import CommissionEntry
from partnerkit.mapping.errors import FreePeriodOverError
from partnerkit.mapping.records import MappingInterval, MappingStatus, end_of_day
from partnerkit.testing.plugin import START

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")

T = TypeVar("T")

PRODUCTS = ("crm", "books")
#: (name, username, code, rate, limit_months)
PARTNERS = (
    ("Zillium", "zillium", "ZILLIUMCorp", Decimal("20"), None),
    ("Nimbus", "nimbus", "NIMBUSHQ", Decimal("10"), 1),
    ("Quanta", "quanta", "QUANTAPRO", Decimal("15"), 3),
)
CUSTOMERS = ("acme", "globex", "initech")
OPERATOR = "partner-team"
TOKEN_TEMPLATES = ("mapping.approval_requested", "mapping.transfer_requested")
MICROSECOND = timedelta(microseconds=1)


class _Rollback(Exception):
    """Raised to undo a look at what `run_due` would record."""


customer_index = st.integers(0, len(CUSTOMERS) - 1)
partner_index = st.integers(0, len(PARTNERS) - 1)
products = st.sampled_from(PRODUCTS)


def admin_of(name: str) -> str:
    return f"it@{name}.example"


def user_of(name: str) -> str:
    return f"bob@{name}.example"


class MappingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = pk.SimulatedClock(START)
        self.mailer = pk.InMemoryMailer()
        self.kit = pk.connect("memory://", clock=self.clock, mailer=self.mailer)
        for product in PRODUCTS:
            self.kit.catalog.add_product(product, name=product.upper(), actor=STAFF)
        self.partners: list[pk.Partner] = []
        self.limits: dict[str, int | None] = {}
        for name, username, code, rate, limit in PARTNERS:
            partner = self.kit.partners.register(
                name=name,
                username=username,
                email=f"ops@{username}.example",
                expertise=list(PRODUCTS),
                actor=STAFF,
            )
            self.kit.partners.issue_code(partner.id, code, actor=STAFF)
            self.kit.commissions.set_plan(partner.id, rate=rate, limit_months=limit, actor=STAFF)
            self.partners.append(partner)
            self.limits[partner.id] = limit
        self.customers: list[pk.Customer] = []
        for name in CUSTOMERS:
            customer = self.kit.customers.create(
                name=name.title(), admin_email=admin_of(name), actor=STAFF
            )
            self.kit.customers.add_user(customer.id, user_of(name), name="Bob", actor=STAFF)
            self.customers.append(customer)
        #: token -> (request id, expires_at); `used` holds the tokens that took effect.
        self.tokens: dict[str, tuple[str, datetime]] = {}
        self.used: set[str] = set()
        self.recipients: dict[str, pk.Principal] = {}
        self.mails_seen = 0
        #: Past instants to ask `partner_of_record` about (accrual times, plan dates).
        self.probes: list[datetime | date] = []
        self.txn = 0
        self.signups = 0

    # --- helpers ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.kit.now()

    def histories(self) -> dict[tuple[str, str], list[MappingInterval]]:
        return {
            (c.id, p): self.kit.mapping.history(c.id, p, actor=STAFF)
            for c in self.customers
            for p in PRODUCTS
        }

    def entries(self) -> list[CommissionEntry]:
        return [e for p in self.partners for e in self.kit.commissions.entries(p.id, actor=STAFF)]

    def attempt(self, label: str, call: Callable[[], T]) -> T | pk.PartnerkitError:
        """Run a library call; a documented PartnerkitError is a legitimate outcome, but it must
        leave the mapping history and the ledger as they were (all or nothing)."""
        before = (self.histories(), self.entries())
        try:
            result: T | pk.PartnerkitError = call()
        except pk.PartnerkitError as exc:
            result = exc
        finally:
            self.collect_tokens()
        outcome = type(result).__name__ if isinstance(result, Exception) else "ok"
        event(f"{label}: {outcome}")
        if isinstance(result, pk.PartnerkitError):
            after = (self.histories(), self.entries())
            assert after == before, f"{result!r} left changes behind"
        return result

    def collect_tokens(self) -> None:
        sent = self.mailer.sent
        for email in sent[self.mails_seen :]:
            if email.template in TOKEN_TEMPLATES:
                token = email.context["token"]
                expires = datetime.fromisoformat(email.context["expires_at"])
                self.tokens.setdefault(token, (email.context["request_id"], expires))
                # The admin the link was emailed to clicks it.
                self.recipients.setdefault(
                    token, pk.Principal.customer_user(email.context["customer_id"], email.to)
                )
        self.mails_seen = len(sent)

    def request_status(self, request_id: str) -> ConsentStatus | None:
        """The stored status of a request (a tag may have completed or withdrawn it)."""
        with self.kit._runtime.uow(readonly=True) as uow:
            found = uow.consents.get(request_id)
        return None if found is None else found.status

    def pending_approval(self, data: st.DataObject) -> pk.ConsentRequest | None:
        waiting = [
            r
            for r in self.kit.mapping.pending_requests(actor=STAFF)
            if r.kind is ConsentKind.MAPPING_APPROVAL and r.expires_at > self.now()
        ]
        return data.draw(st.sampled_from(waiting)) if waiting else None

    def token_of(self, request_id: str) -> str | None:
        return next((t for t, (rid, _) in self.tokens.items() if rid == request_id), None)

    def customer_of(self, customer_id: str) -> tuple[int, pk.Customer]:
        return next((i, c) for i, c in enumerate(self.customers) if c.id == customer_id)

    def confirmer(self, token: str) -> pk.Principal:
        """Who clicks `token`: the admin it was emailed to (a forged one, the first account's)."""
        fallback = pk.Principal.customer_user(self.customers[0].id, admin_of(CUSTOMERS[0]))
        return self.recipients.get(token, fallback)

    def earner(self, customer_id: str, product: str, when: datetime) -> MappingInterval | None:
        earning = [
            i
            for i in self.kit.mapping.history(customer_id, product, actor=STAFF)
            if i.earns_on(when, self.limits[i.partner_id])
        ]
        assert len(earning) <= 1, f"several commission windows contain {when}: {earning}"
        return earning[0] if earning else None

    # --- rules --------------------------------------------------------------------------------

    @initialize(
        plans=st.lists(
            st.one_of(st.none(), st.just("free"), st.integers(0, 30), st.integers(31, 400)),
            min_size=len(CUSTOMERS) * len(PRODUCTS),
            max_size=len(CUSTOMERS) * len(PRODUCTS),
        )
    )
    def start(self, plans: list[str | int | None]) -> None:
        """Each customer starts with no plan, the free edition, or paid since N days ago, so
        that all three of the 000 seed's cases come up."""
        slots = [(c, p) for c in self.customers for p in PRODUCTS]
        for (customer, product), plan in zip(slots, plans, strict=True):
            if plan == "free":
                self.kit.customers.set_plan(customer.id, product, "free", actor=STAFF)
            elif isinstance(plan, int):
                since = self.kit.today() - timedelta(days=plan)
                self.kit.customers.set_plan(customer.id, product, "paid", since=since, actor=STAFF)
        self.collect_tokens()

    @rule(
        c=customer_index,
        product=products,
        p=partner_index,
        days=st.integers(1, 120),
        confirm=st.booleans(),
    )
    def add_customer_and_wait(self, c: int, product: str, p: int, days: int, confirm: bool) -> None:
        """A partner adds a customer, time passes (past a free customer's 3 months, often),
        and the customer maybe clicks the approval link."""
        self.add_customer(c, product, p)
        self.advance(timedelta(days=days), sign_in=[True] * len(PARTNERS))
        if confirm and self.tokens:
            self.confirm_token(list(self.tokens)[-1])

    @rule(c=customer_index, product=products, p=partner_index, admin=st.booleans())
    def tag(self, c: int, product: str, p: int, admin: bool) -> None:
        name = CUSTOMERS[c]
        by = admin_of(name) if admin else user_of(name)
        customer = self.customers[c]
        result = self.attempt(
            "tag",
            lambda: self.kit.mapping.tag_partner(
                customer.id,
                product,
                PARTNERS[p][2],
                actor=pk.Principal.customer_user(customer.id, by),
            ),
        )
        if not admin:
            assert isinstance(result, pk.PermissionDeniedError), result
        elif isinstance(result, MappingInterval):
            assert result.partner_id == self.partners[p].id
            assert result.is_open
            assert result.status is MappingStatus.PERMANENT

    @rule(c=customer_index, product=products, p=partner_index)
    def add_customer(self, c: int, product: str, p: int) -> None:
        customer, partner = self.customers[c], self.partners[p]
        result = self.attempt(
            "add_customer",
            lambda: self.kit.mapping.add_customer(partner.id, customer.id, product, actor=STAFF),
        )
        if not isinstance(result, pk.PartnerkitError):
            event(f"add_customer: {result.decision.case.value}")
        if not isinstance(result, pk.PartnerkitError) and result.interval is not None:
            assert result.interval.partner_id == partner.id
            current = self.kit.mapping.partner_of_record(customer.id, product, actor=STAFF)
            assert current is not None
            assert current.id == result.interval.id

    @rule(c=customer_index, product=products, p=partner_index)
    def request_transfer(self, c: int, product: str, p: int) -> None:
        customer = self.customers[c]
        before = self.kit.mapping.partner_of_record(customer.id, product, actor=STAFF)
        result = self.attempt(
            "request_transfer",
            lambda: self.kit.mapping.request_transfer(
                customer.id,
                product,
                PARTNERS[p][2],
                actor=pk.Principal.customer_user(customer.id, admin_of(CUSTOMERS[c])),
            ),
        )
        # Nothing changes until the customer confirms.
        assert self.kit.mapping.partner_of_record(customer.id, product, actor=STAFF) == before
        if not isinstance(result, pk.PartnerkitError):
            assert result.kind is ConsentKind.TRANSFER
            assert before is not None
            assert result.from_partner_id == before.partner_id

    def confirm_token(self, token: str) -> None:
        known = self.tokens.get(token)
        status_before = None if known is None else self.request_status(known[0])
        result = self.attempt(
            "confirm", lambda: self.kit.mapping.confirm(token, actor=self.confirmer(token))
        )
        if known is None:
            assert isinstance(result, InvalidTokenError), result
            return
        _, expires_at = known
        if token in self.used or status_before in (
            ConsentStatus.EFFECTIVE,
            ConsentStatus.CANCELLED,
        ):
            # Used, completed by the customer's tag, or withdrawn (another partner tagged, the
            # partner left the program): not pending, whenever it is clicked.
            assert isinstance(result, ConsentNotPendingError), result
        elif self.now() >= expires_at:
            assert isinstance(result, ConsentExpiredError), result
        elif not isinstance(result, pk.PartnerkitError):
            event(f"confirm: {result.kind.value} took effect")
            self.used.add(token)
            current = self.kit.mapping.partner_of_record(
                result.customer_id, result.product, actor=STAFF
            )
            assert current is not None
            assert current.partner_id == result.partner_id

    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        """A token from an emailed request: the newest, any earlier one (maybe used or expired),
        or a forged one."""
        tokens = list(self.tokens)
        choice = data.draw(st.sampled_from(["newest", "any", "forged"]))
        if choice == "forged" or not tokens:
            self.confirm_token("forged-" + data.draw(st.text("abcdef0123456789", min_size=1)))
        elif choice == "newest":
            self.confirm_token(tokens[-1])
        else:
            self.confirm_token(data.draw(st.sampled_from(tokens)))

    @rule(days=st.integers(1, 40))
    def confirm_later(self, days: int) -> None:
        """The newest token, clicked after `days` (often past the 15-day transfer lapse)."""
        if not self.tokens:
            return
        self.advance(timedelta(days=days), sign_in=[True] * len(PARTNERS))
        self.confirm_token(list(self.tokens)[-1])

    @rule(c=customer_index, product=products, paid=st.booleans(), ago=st.integers(0, 90))
    def set_plan(self, c: int, product: str, paid: bool, ago: int) -> None:
        since = self.kit.today() - timedelta(days=ago)
        self.probes.append(since)
        self.attempt(
            "set_plan",
            lambda: self.kit.customers.set_plan(
                self.customers[c].id, product, "paid" if paid else "free", since=since, actor=STAFF
            ),
        )

    @rule(c=customer_index, product=products, p=partner_index)
    def record_written_consent(self, c: int, product: str, p: int) -> None:
        customer, partner = self.customers[c], self.partners[p]
        result = self.attempt(
            "written_consent",
            lambda: self.kit.mapping.record_written_consent(
                customer.id, product, partner.id, evidence="forwarded email", actor=STAFF
            ),
        )
        if isinstance(result, MappingInterval):
            assert result.partner_id == partner.id
            # A change made at the instant of a booked transaction starts 1 µs later, so that
            # the transaction stays inside the window of the partner it was booked to.
            assert result.valid_from - self.kit.now() <= timedelta(microseconds=1)
            assert (
                self.kit.mapping.partner_of_record(
                    customer.id, product, as_of=result.valid_from, actor=STAFF
                )
                == result
            )

    @rule(c=customer_index, product=products)
    def unmap(self, c: int, product: str) -> None:
        customer = self.customers[c]
        result = self.attempt(
            "unmap",
            lambda: self.kit.mapping.unmap(customer.id, product, reason="operator", actor=STAFF),
        )
        if isinstance(result, MappingInterval):
            assert result.valid_to is not None
            assert timedelta(0) <= result.valid_to - self.now() <= timedelta(microseconds=1)
            assert self.kit.mapping.partner_of_record(customer.id, product, actor=STAFF) is None

    @rule(
        c=customer_index,
        product=products,
        cents=st.integers(-50_000, 1_000_000),
        ago=st.one_of(st.just(0), st.integers(0, 60 * 86_400 * 10**6)),
    )
    def accrue(self, c: int, product: str, cents: int, ago: int) -> None:
        customer = self.customers[c]
        when = self.now() - timedelta(microseconds=ago)
        self.probes.append(when)
        self.txn += 1
        expected = self.earner(customer.id, product, when)
        result = self.attempt(
            "accrue",
            lambda: self.kit.commissions.accrue(
                customer.id,
                product,
                transaction_id=f"txn-{self.txn}",
                amount=pk.Money.from_minor(cents, "USD"),
                occurred_at=when,
                actor=STAFF,
            ),
        )
        if isinstance(result, pk.PartnerkitError):
            return
        event(f"accrue: {'no window' if result is None else 'booked'}")
        if expected is None:
            assert result is None, f"booked {result} with no window containing {when}"
        else:
            assert result is not None, f"nothing booked although {expected} earns on {when}"
            assert (result.interval_id, result.partner_id) == (expected.id, expected.partner_id)

    # --- issue 8's moves ------------------------------------------------------------------------

    @rule(data=st.data(), same=st.booleans())
    def tag_while_an_approval_waits(self, data: st.DataObject, same: bool) -> None:
        """The customer's admin tags a partner while a partner's approval waits: the same
        partner completes the request, another one withdraws it."""
        request = self.pending_approval(data)
        if request is None:
            return
        c, customer = self.customer_of(request.customer_id)
        p = next(i for i, q in enumerate(self.partners) if q.id == request.partner_id)
        if not same:
            p = data.draw(st.sampled_from([i for i in range(len(PARTNERS)) if i != p]))
        result = self.attempt(
            "tag_while_approval_waits",
            lambda: self.kit.mapping.tag_partner(
                customer.id,
                request.product,
                PARTNERS[p][2],
                actor=pk.Principal.customer_user(customer.id, admin_of(CUSTOMERS[c])),
            ),
        )
        if isinstance(result, pk.PartnerkitError):
            return
        assert result.partner_id == self.partners[p].id
        status = self.request_status(request.id)
        event(f"tag_while_approval_waits: request {status}")
        assert status is (ConsentStatus.EFFECTIVE if same else ConsentStatus.CANCELLED)

    @rule(data=st.data())
    def downgrade_before_approving(self, data: st.DataObject) -> None:
        """A customer asked to approve a partner drops to free, then approves: decided with
        the facts of the approval (000 case 3), so no month of look-back."""
        request = self.pending_approval(data)
        token = None if request is None else self.token_of(request.id)
        if request is None or token is None:
            return
        self.attempt(
            "downgrade",
            lambda: self.kit.customers.set_plan(
                request.customer_id, request.product, "free", actor=STAFF
            ),
        )
        self.advance(timedelta(days=1), sign_in=[True] * len(PARTNERS))
        if request.expires_at <= self.now():
            return
        self.confirm_token(token)
        current = self.kit.mapping.partner_of_record(
            request.customer_id, request.product, actor=STAFF
        )
        day = datetime.combine(self.now().date(), time(0), tzinfo=UTC)
        # Only a mapping the approval opened was decided by it: the partner may have been of
        # record already (the partner team recorded the customer's written consent meanwhile).
        if (
            current is not None
            and current.partner_id == request.partner_id
            and token in self.used
            and current.valid_from >= day
        ):
            event("downgrade_before_approving: mapped as a free customer")
            assert current.commission_from is not None and current.commission_from >= day

    @rule(c=customer_index, product=products, p=partner_index)
    def re_add_after_removal(self, c: int, product: str, p: int) -> None:
        """A partner adds again a free customer whose provisional mapping of its was removed:
        the first mapping date counts (000 case 3 does not restart)."""
        customer, partner = self.customers[c], self.partners[p]
        history = self.kit.mapping.history(customer.id, product, actor=STAFF)
        plan = self.kit.customers.get(customer.id, actor=STAFF).plan(product)
        if any(i.is_open for i in history) or (
            plan is not None and plan.edition is pk.Edition.PAID
        ):
            return
        # The free period began with the current free plan (all of history without one).
        began = None if plan is None else datetime.combine(plan.since, time(0), tzinfo=UTC)
        earlier = [
            i
            for i in history
            if i.partner_id == partner.id
            and i.status is MappingStatus.PROVISIONAL
            and i.provisional_ends_at is not None
            and (began is None or i.valid_from >= began)
        ]
        if not earlier:
            return
        first = min(earlier, key=lambda i: (i.valid_from, i.id))
        assert first.provisional_ends_at is not None
        result = self.attempt(
            "re_add",
            lambda: self.kit.mapping.add_customer(partner.id, customer.id, product, actor=STAFF),
        )
        if first.provisional_ends_at <= self.now():
            assert isinstance(result, FreePeriodOverError), result
        elif not isinstance(result, pk.PartnerkitError):
            event("re_add: what is left of the first 3 months")
            assert result.interval is not None
            assert result.interval.provisional_until == first.provisional_until

    @rule(p=partner_index, both=st.booleans(), choose=st.booleans())
    def sign_up(self, p: int, both: bool, choose: bool) -> None:
        """Someone signs up through a partner's link, which names its products; it may choose
        fewer. (A sign-up is always a new account, so no approval can be waiting for it.)"""
        partner = self.partners[p]
        offered = list(PRODUCTS) if both else [PRODUCTS[0]]
        link = self.kit.mapping.signup_link(partner.id, products=offered, actor=STAFF)
        self.signups += 1
        name = f"signup{self.signups}"
        chosen = offered[-1:] if choose else None
        customer = self.kit.mapping.sign_up(
            link.token, name=name.title(), admin_email=admin_of(name), products=chosen
        )
        self.customers.append(customer)
        mapped = {i.product for i in self.kit.mapping.history(customer.id, actor=STAFF)}
        assert mapped == set(chosen or offered)
        event(f"sign_up: {len(mapped)} product(s)")

    def advance(self, step: timedelta, sign_in: list[bool]) -> None:
        for (_, username, *_rest), go in zip(PARTNERS, sign_in, strict=True):
            if go:
                self.attempt("sign_in", lambda u=username: self.kit.partners.check_sign_in(u))
        reports = self.attempt("advance_to", lambda: self.kit.advance_to(self.now() + step))
        if not isinstance(reports, pk.PartnerkitError):
            for report in reports:
                for job, handled in report.handled.items():
                    if handled and job != "outbox":
                        event(f"advance_to: ran {job}")

    @rule(
        seconds=st.integers(3_600, 120 * 86_400),
        sign_in=st.lists(st.booleans(), min_size=len(PARTNERS), max_size=len(PARTNERS)),
    )
    def advance_time(self, seconds: int, sign_in: list[bool]) -> None:
        self.advance(timedelta(seconds=seconds), sign_in)

    @rule(p=partner_index)
    def reactivate(self, p: int) -> None:
        self.attempt(
            "reactivate", lambda: self.kit.partners.reactivate(self.partners[p].id, actor=STAFF)
        )

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def intervals_never_overlap(self) -> None:
        for key, history in self.histories().items():
            open_ = [i for i in history if i.is_open]
            assert len(open_) <= 1, f"{key}: several open intervals {open_}"
            if open_:
                assert history[-1] == open_[0], f"{key}: the open interval is not the newest"
            starts = [i.valid_from for i in history]
            assert starts == sorted(starts), f"{key}: history is not oldest first"
            for interval in history:
                if interval.valid_to is not None:
                    assert interval.valid_from <= interval.valid_to, interval
            for earlier, later in itertools.pairwise(history):
                assert earlier.valid_to is not None, f"{key}: {earlier} open before {later}"
                assert earlier.valid_to <= later.valid_from, f"{key}: {earlier} overlaps {later}"

    def instants(self, history: list[MappingInterval]) -> list[datetime | date]:
        now = self.now()
        points: list[datetime | date] = [now, now.date(), START, START.date(), *self.probes]
        for interval in history:
            points += [
                interval.valid_from,
                interval.valid_from + MICROSECOND,
                interval.valid_from - MICROSECOND,
                interval.valid_from.date(),
            ]
            if interval.valid_to is not None:
                points += [
                    interval.valid_to,
                    interval.valid_to - MICROSECOND,
                    interval.valid_to.date(),
                ]
        return points

    @invariant()
    def partner_of_record_agrees_with_history(self) -> None:
        for (customer_id, product), history in self.histories().items():
            for point in self.instants(history):
                instant = point if isinstance(point, datetime) else end_of_day(point)
                covering = [i for i in history if i.covers(instant)]
                assert len(covering) <= 1, f"{instant}: covered by {covering}"
                expected = covering[0] if covering else None
                got = self.kit.mapping.partner_of_record(
                    customer_id, product, as_of=point, actor=STAFF
                )
                assert got == expected, f"as_of={point!r}: {got} but history says {expected}"

    @invariant()
    def current_partner_is_the_interval_covering_now(self) -> None:
        now = self.now()
        for (customer_id, product), history in self.histories().items():
            current = self.kit.mapping.partner_of_record(customer_id, product, actor=STAFF)
            covering = [i for i in history if i.covers(now)]
            open_ = [i for i in history if i.is_open]
            assert current == (open_[0] if open_ else None)
            if current != (covering[0] if covering else None):
                # Only while a change waits 1 µs for a transaction booked at its instant.
                boundary = current.valid_from if current is not None else history[-1].valid_to
                assert boundary is not None
                assert now < boundary <= now + timedelta(microseconds=1)

    @invariant()
    def commission_lies_in_its_window(self) -> None:
        histories = self.histories()
        by_id: dict[str, MappingInterval] = {
            i.id: i for history in histories.values() for i in history
        }
        for entry in self.entries():
            interval = by_id.get(entry.interval_id)
            assert interval is not None, f"{entry} references an unknown interval"
            assert interval.partner_id == entry.partner_id
            assert (interval.customer_id, interval.product) == (entry.customer_id, entry.product)
            limit = self.limits[interval.partner_id]
            assert interval.earns_on(entry.occurred_at, limit), (
                f"{entry.transaction_id} at {entry.occurred_at} lies outside the window "
                f"{interval.commission_window(limit)} of {interval}"
            )
            others = [
                i
                for i in histories[(entry.customer_id, entry.product)]
                if i.partner_id != entry.partner_id
                and i.earns_on(entry.occurred_at, self.limits[i.partner_id])
            ]
            assert not others, f"{entry.transaction_id}: windows of {others} contain it too"

    @invariant()
    def commission_windows_never_overlap(self) -> None:
        """Stronger than checking the booked entries: no instant lies in two windows."""
        for key, history in self.histories().items():
            windows = [(i, *i.commission_window(self.limits[i.partner_id])) for i in history]
            for (a, a_start, a_end), (b, b_start, b_end) in itertools.combinations(windows, 2):
                starts = [s for s in (a_start, b_start) if s is not None]
                ends = [e for e in (a_end, b_end) if e is not None]
                empty = any(
                    s is not None and e is not None and s >= e
                    for s, e in ((a_start, a_end), (b_start, b_end))
                )
                overlap = not empty and (not starts or not ends or max(starts) < min(ends))
                assert not overlap, f"{key}: commission windows of {a} and {b} overlap"

    @invariant()
    def open_provisional_mappings_are_not_overdue(self) -> None:
        now = self.now()
        for history in self.histories().values():
            for interval in history:
                if interval.is_open and interval.status is MappingStatus.PROVISIONAL:
                    assert interval.provisional_ends_at is not None
                    assert interval.provisional_ends_at > now, interval

    @invariant()
    def reads_do_not_wait_for_run_due(self) -> None:
        """Issue 8: what the expiry job would record now, every read already says."""
        before = self.histories()
        after: object = None
        try:
            with self.kit.transaction():
                self.kit.mapping.expire_provisional(self.now())
                after = self.histories()
                raise _Rollback
        except _Rollback:
            pass
        assert after == before

    def teardown(self) -> None:
        self.kit.close()


# 60 runs of 30 steps, or fewer under a profile with a smaller budget: the mutation run's
# (tests/conftest.py) reruns this machine for most mutants of the mapping rules.
MappingMachine.TestCase.settings = settings(
    max_examples=min(60, settings.default.max_examples), stateful_step_count=30, deadline=None
)
TestMappingStateMachine = MappingMachine.TestCase

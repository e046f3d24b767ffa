"""Who may do what, over the whole public API: every read and write made for a person, tried by
every kind of actor, on memory and SQLite.

The world: partner Alpha is of record for Acme (crm by tag, books on written consent), tracks
Globex's admin (a customer of its own is not tracked) and has a sign-up link; Acme has asked
to move crm to Gamma (pending); Beta has no tie to Acme at all; Globex is another customer.
Each cell runs inside a transaction that is rolled back, so every cell starts from the same
world.

For each cell: the outcome is the expected one (allowed, not found, permission denied); a
refusal writes nothing but, for a denial, its audit; and a not-found for a foreign record is
indistinguishable from the not-found for a missing one (same class, code, details keys, remedy
and message but for the id the caller gave).
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

import partnerkit as pk
from partnerkit.billing.ports import InvoiceQuery, PaymentQuery
from partnerkit.errors import NotFoundError, PermissionDeniedError
from partnerkit.secrets import hash_token

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SYSTEM = pk.Principal.system()
STAFF = pk.Principal.staff("partner-team@vendor.example")
ACME_ADMIN = "it@acme.example"
ACME_USER = "bob@acme.example"
GLOBEX_ADMIN = "it@globex.example"


class Outcome(enum.Enum):
    ALLOWED = "allowed"
    NOT_FOUND = "not found"
    DENIED = "denied"


A, NF, D = Outcome.ALLOWED, Outcome.NOT_FOUND, Outcome.DENIED

#: The roles, in the order the rules below list their outcomes.
ROLES = (
    "unassociated partner",
    "associated partner",
    "other customer's user",
    "non-admin user",
    "customer admin",
    "staff",
    "system",
)


def rule(*outcomes: Outcome) -> dict[str, Outcome]:
    assert len(outcomes) == len(ROLES)
    return dict(zip(ROLES, outcomes, strict=True))


#                   unassoc.  assoc.  other    non-admin  admin  staff  system
STAFF_ONLY = rule(D, D, D, D, D, A, A)
OWN_PARTNER = rule(NF, A, NF, NF, NF, A, A)
SEES_CUSTOMER = rule(NF, A, NF, A, A, A, A)
ADMINS_OR_STAFF = rule(NF, D, NF, D, A, A, A)
#: Tagging and transfers are the customer's own decision: staff record written consent instead.
CUSTOMERS_OWN = rule(NF, D, NF, D, A, D, D)
EVERYONE = rule(A, A, A, A, A, A, A)


@dataclass
class World:
    kit: pk.Kit
    acme: pk.Customer
    globex: pk.Customer
    alpha: pk.Partner
    beta: pk.Partner
    gamma: pk.Partner
    transfer_id: str
    transfer_token: str
    signup_token: str
    lead_id: str
    roles: dict[str, pk.Principal] = field(default_factory=dict)
    #: `snapshot` of the world as built, and its count of audited denials: every cell starts
    #: from them.
    initial: object = None
    denials: int = 0
    #: Billing (issue 10): Acme's sent invoice, a draft, a payment with credit left, a note.
    invoice_id: str = ""
    #: The invoice the payment paid in full: what an invoice refund pays back.
    paid_id: str = ""
    draft_id: str = ""
    payment_id: str = ""
    note_id: str = ""
    tax_id: str = ""
    #: Acme's saved card (online payments).
    method_id: str = ""
    #: The reseller portal (issue 12): Zillium Resale, its customer Hooli, a draft order and a
    #: confirmed one.
    reseller_id: str = ""
    hooli_id: str = ""
    draft_order_id: str = ""
    confirmed_order_id: str = ""
    #: Subscriptions (issue 11), on a product nobody is mapped for: Acme's trial, its live
    #: subscription, one scheduled to be cancelled, and a trial that expired at its end.
    trial_sub_id: str = ""
    live_sub_id: str = ""
    scheduled_sub_id: str = ""
    expired_sub_id: str = ""
    #: The second pass (subs2): a cancelled one, a paused one, one with a pause scheduled and
    #: one with a change of plan scheduled for the end of its term.
    cancelled_sub_id: str = ""
    paused_sub_id: str = ""
    pausing_sub_id: str = ""
    changing_sub_id: str = ""


def build_world(url: str) -> World:
    clock = pk.SimulatedClock(START)
    mailer = pk.InMemoryMailer()
    kit = pk.connect(
        url,
        clock=clock,
        mailer=mailer,
        policies=[pk.LeadPolicy(central_it="centralit@vendor.example")],
        payment_gateway=pk.FakePaymentGateway(clock=clock),
    )
    kit.migrate()
    kit.catalog.add_product("crm", name="CRM", actor=SYSTEM)
    kit.catalog.add_product("books", name="Books", actor=SYSTEM)
    partners = {}
    # Beta works in another region: the world's lead goes to Alpha, Gamma and Delta, so Beta
    # stays without any tie to Acme.
    for name in ("alpha", "beta", "gamma", "delta"):
        partner = kit.partners.register(
            name=name.title(),
            username=name,
            email=f"ops@{name}.example",
            expertise=["crm", "books"],
            regions=["US" if name == "beta" else "IN"],
            actor=STAFF,
        )
        kit.partners.issue_code(partner.id, f"{name.upper()}PRO", actor=STAFF)
        partners[name] = partner
    alpha, beta, gamma = partners["alpha"], partners["beta"], partners["gamma"]
    alpha_user = pk.Principal.partner_user(alpha.id, alpha.email)
    kit.commissions.set_plan(alpha.id, rate=Decimal("20"), actor=STAFF)
    acme = kit.customers.create(name="Acme", admin_email=ACME_ADMIN, actor=STAFF)
    admin = pk.Principal.customer_user(acme.id, ACME_ADMIN)
    kit.customers.add_user(acme.id, ACME_USER, actor=admin)
    acme = kit.customers.get(acme.id, actor=admin)
    globex = kit.customers.create(name="Globex", admin_email=GLOBEX_ADMIN, actor=STAFF)
    kit.mapping.tag_partner(acme.id, "crm", "ALPHAPRO", actor=admin)
    kit.mapping.record_written_consent(
        acme.id, "books", alpha.id, evidence="From: it@acme.example, to Alpha", actor=STAFF
    )
    request = kit.mapping.request_transfer(acme.id, "crm", "GAMMAPRO", actor=admin)
    token = mailer.to(ACME_ADMIN)[-1].context["token"]
    kit.mapping.track(alpha.id, GLOBEX_ADMIN, actor=alpha_user)
    link = kit.mapping.signup_link(alpha.id, "crm", actor=alpha_user)
    clock.advance(minutes=5)
    kit.commissions.accrue(
        acme.id,
        "crm",
        transaction_id="t1",
        amount=pk.Money.of("100.00", "USD"),
        occurred_at=START + timedelta(minutes=1),
        actor=SYSTEM,
    )
    lead = kit.leads.create(
        prospect_name="Acme", prospect_email=ACME_ADMIN, region="IN", products=["crm"], actor=STAFF
    )
    kit.leads.share(lead.id, actor=STAFF)
    world = World(kit, acme, globex, alpha, beta, gamma, request.id, token, link.token, lead.id)
    vat = kit.billing.create_tax_rate("VAT", "20", actor=STAFF)
    seats = [pk.InvoiceLine.of("CRM seats", 2, pk.Money.of("50.00", "USD"))]
    invoice = kit.billing.create_invoice(acme.id, seats, issue=True, actor=STAFF)
    draft = kit.billing.create_invoice(acme.id, seats, actor=STAFF)
    payment = kit.billing.record_payment(
        acme.id, pk.Money.of("130.00", "USD"), method=pk.PaymentMethodKind.CASH, actor=STAFF
    )
    kit.billing.create_invoice(acme.id, seats, issue=True, actor=STAFF)
    note = kit.billing.issue_credit_note(
        acme.id, pk.Money.of("5.00", "USD"), reason="Goodwill", actor=STAFF
    )
    world.invoice_id, world.draft_id = (
        kit.billing.invoices(acme.id, outstanding=True, actor=STAFF)[0].id,
        draft.id,
    )
    world.payment_id, world.note_id, world.tax_id = payment.id, note.id, vat.id
    world.paid_id = invoice.id
    world.method_id = kit.billing.add_payment_method(acme.id, _card(kit), actor=STAFF).id
    # Charging through the portal needs the organisation's default tax (CP2001).
    kit.billing.set_default_tax(vat.id, actor=STAFF)
    assert invoice.id != world.invoice_id  # the first is paid; the second has credit to take
    reseller = kit.resellers.invite("Zillium Resale", "ops@resale.example", actor=STAFF)
    seller = kit.resellers.accept_invitation(mailer.to("ops@resale.example")[-1].context["token"])
    hooli = kit.resellers.create_customer(
        reseller.id, name="Hooli", email="it@hooli.example", actor=seller
    )
    kit.resellers.tag(reseller.id, [hooli.id], "vip", actor=seller)
    one = [pk.OrderLine("crm", 1, pk.Money.of("10.00", "USD"))]
    world.reseller_id, world.hooli_id = reseller.id, hooli.id
    world.draft_order_id = kit.resellers.place_order(hooli.id, one, actor=seller).id
    confirmed = kit.resellers.place_order(hooli.id, one, actor=seller)
    world.confirmed_order_id = kit.resellers.confirm_order(confirmed.id, actor=seller).id
    _subscribe(world)
    world.roles = {
        "unassociated partner": pk.Principal.partner_user(beta.id, beta.email),
        "associated partner": alpha_user,
        "other customer's user": pk.Principal.customer_user(globex.id, GLOBEX_ADMIN),
        "non-admin user": pk.Principal.customer_user(acme.id, ACME_USER),
        "customer admin": admin,
        "staff": STAFF,
        "system": SYSTEM,
    }
    return world


SUBSCRIBED = "helpdesk"


def _subscribe(w: World) -> None:
    """Acme's subscriptions to a product of its own (so no mapping reacts to its paid plan):
    a trial, a live one, one scheduled to be cancelled, and one whose trial expired at its end
    (written as stored: reaching it through the clock would expire the world's consents)."""
    kit = w.kit
    kit.catalog.add_product(SUBSCRIBED, name="Helpdesk", actor=STAFF)
    month = pk.BillingPeriod(pk.IntervalUnit.MONTH, 1)
    usd = pk.Money.of("20.00", "USD")
    kit.subscriptions.add_plan(
        "helpdesk-pro", product=SUBSCRIBED, name="Pro", price=usd, period=month, actor=STAFF
    )
    kit.subscriptions.add_plan(
        "helpdesk-trial", product=SUBSCRIBED, name="Trial", price=usd, period=month, trial=14,
        actor=STAFF,
    )  # fmt: skip
    w.trial_sub_id = kit.subscriptions.create(w.acme.id, "helpdesk-trial", actor=STAFF).id
    w.live_sub_id = kit.subscriptions.create(w.acme.id, "helpdesk-pro", actor=STAFF).id
    scheduled = kit.subscriptions.create(w.acme.id, "helpdesk-pro", actor=STAFF)
    kit.subscriptions.cancel(scheduled.id, at_term_end=True, actor=STAFF)
    w.scheduled_sub_id = scheduled.id
    trial = kit.subscriptions.create(w.acme.id, "helpdesk-trial", actor=STAFF)
    with kit.backend.unit_of_work() as uow:
        found = uow.subscriptions.get(trial.id, for_update=True)
        assert found is not None
        expired = attrs.evolve(
            found, status=pk.SubscriptionStatus.EXPIRED, expired_at_trial_end=True,
            expired_at=kit.now(),
        )  # fmt: skip
        uow.subscriptions.update(expired.scheduled())
    w.expired_sub_id = trial.id
    subs = kit.subscriptions
    today = kit.now().date()
    # Cancelled and paused on the day their terms were billed: reactivating and resuming bill
    # those terms again, credited (tests/properties/test_subscription_state_machine.py).
    w.cancelled_sub_id = subs.cancel(
        subs.create(w.acme.id, "helpdesk-pro", actor=STAFF).id, actor=STAFF
    ).id
    w.paused_sub_id = subs.schedule_pause(
        subs.create(w.acme.id, "helpdesk-pro", actor=STAFF).id, today, actor=STAFF
    ).id
    w.pausing_sub_id = subs.schedule_pause(
        subs.create(w.acme.id, "helpdesk-pro", actor=STAFF).id,
        today + timedelta(days=10),
        actor=STAFF,
    ).id
    w.changing_sub_id = subs.change(
        subs.create(w.acme.id, "helpdesk-pro", actor=STAFF).id,
        plan="helpdesk-trial",
        at_term_end=True,
        actor=STAFF,
    ).id


# --- the operations -------------------------------------------------------------------------

Call = Callable[[World, pk.Principal, bool], object]


@dataclass(frozen=True)
class Op:
    """One public call. `call(world, actor, missing)` makes it on the world's record, or, with
    `missing`, on an id that does not exist (`key(world)` is the id it swaps, `absent` the one
    put in its place)."""

    name: str
    call: Call
    expected: dict[str, Outcome]
    key: Callable[[World], str] | None = None
    absent: str = ""
    #: Checks an allowed result against what the role may see.
    check: Callable[[World, str, Any], None] | None = None
    #: After a refusal, proves what the snapshot cannot see is intact.
    intact: Callable[[World], object] | None = None


def _acme(w: World, missing: bool) -> str:
    return "cus_missing" if missing else w.acme.id


def _alpha(w: World, missing: bool) -> str:
    return "ptr_missing" if missing else w.alpha.id


ACME_KEY = {"key": lambda w: w.acme.id, "absent": "cus_missing"}
ALPHA_KEY = {"key": lambda w: w.alpha.id, "absent": "ptr_missing"}
WHEN = START + timedelta(minutes=2)


def _visible_customers(w: World, role: str, result: list[pk.Customer]) -> None:
    seen = {c.name for c in result}
    expected = {
        "unassociated partner": set(),
        "associated partner": {"Acme"},
        "other customer's user": {"Globex"},
        "non-admin user": {"Acme"},
        "customer admin": {"Acme"},
    }.get(role, {"Acme", "Globex", "Hooli"})
    assert seen == expected, (role, seen)


def _scoped_requests(w: World, role: str, result: list[Any]) -> None:
    ids = {r.id for r in result}
    expected = {
        "unassociated partner": set(),
        "other customer's user": set(),
    }.get(role, {w.transfer_id})
    assert ids == expected, (role, ids)


def _evidence_for_staff(w: World, role: str, result: list[Any]) -> None:
    evidence = [i.evidence for i in result if i.evidence is not None]
    assert bool(evidence) is (role in ("staff", "system")), (role, evidence)


def _summary_for_alpha(w: World, role: str, result: pk.AccountSummary) -> None:
    # Through the disclosure rule: the products Alpha is of record for, nothing else.
    assert (result.customer_id, result.partner_id, result.products) == (
        w.acme.id,
        w.alpha.id,
        ("books", "crm"),
    ), role


def _own_partner(w: World, a: pk.Principal) -> str:
    return a.partner_id if a.partner_id is not None else w.alpha.id


def _lead(w: World, missing: bool) -> str:
    return "lead_missing" if missing else w.lead_id


LEAD_KEY = {"key": lambda w: w.lead_id, "absent": "lead_missing"}


#: A customer's money: its own users (admin or not), staff and the system; to anyone else,
#: the partner of record included, it is missing.
OWN_ACCOUNT = rule(NF, NF, NF, A, A, A, A)
USD_5 = pk.Money.of("5.00", "USD")


def _invoice(w: World, missing: bool) -> str:
    return "inv_missing" if missing else w.invoice_id


def _payment(w: World, missing: bool) -> str:
    return "pay_missing" if missing else w.payment_id


INVOICE_KEY = {"key": lambda w: w.invoice_id, "absent": "inv_missing"}
METHOD_KEY = {"key": lambda w: w.method_id, "absent": "pm_missing"}


def _card(kit: pk.Kit) -> str:
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    return gateway.tokenize("4242 4242 4242 4242", 12, 2030)


def _method(w: World, missing: bool) -> str:
    return "pm_missing" if missing else w.method_id


PAYMENT_KEY = {"key": lambda w: w.payment_id, "absent": "pay_missing"}

BILLING_OPS: tuple[Op, ...] = (
    Op(
        "billing.add_payment_method",
        lambda w, a, m: w.kit.billing.add_payment_method(_acme(w, m), _card(w.kit), actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.payment_methods",
        lambda w, a, m: w.kit.billing.payment_methods(_acme(w, m), actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.set_default_payment_method",
        lambda w, a, m: w.kit.billing.set_default_payment_method(_method(w, m), actor=a),
        OWN_ACCOUNT,
        **METHOD_KEY,
    ),
    Op(
        "billing.update_payment_method",
        lambda w, a, m: w.kit.billing.update_payment_method(_method(w, m), _card(w.kit), actor=a),
        OWN_ACCOUNT,
        **METHOD_KEY,
    ),
    Op(
        "billing.remove_payment_method",
        lambda w, a, m: w.kit.billing.remove_payment_method(_method(w, m), actor=a),
        OWN_ACCOUNT,
        **METHOD_KEY,
    ),
    Op(
        "billing.pay",
        lambda w, a, m: w.kit.billing.pay(
            [_invoice(w, m)], method_id=w.method_id, idempotency_key="matrix", actor=a
        ),
        OWN_ACCOUNT,
        **INVOICE_KEY,
    ),
    Op(
        "billing.pay_all_outstanding",
        lambda w, a, m: w.kit.billing.pay_all_outstanding(
            _acme(w, m), method_id=w.method_id, idempotency_key="matrix", actor=a
        ),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.create_tax_rate",
        lambda w, a, m: w.kit.billing.create_tax_rate("GST", "5", actor=a),
        STAFF_ONLY,
    ),
    Op("billing.tax_rates", lambda w, a, m: w.kit.billing.tax_rates(actor=a), STAFF_ONLY),
    Op(
        "billing.set_default_tax",
        lambda w, a, m: w.kit.billing.set_default_tax(w.tax_id, actor=a),
        STAFF_ONLY,
    ),
    Op("billing.default_tax", lambda w, a, m: w.kit.billing.default_tax(actor=a), STAFF_ONLY),
    Op(
        "billing.create_invoice",
        lambda w, a, m: w.kit.billing.create_invoice(
            _acme(w, m), [pk.InvoiceLine.of("Seats", 1, USD_5)], actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "billing.issue_invoice",
        lambda w, a, m: w.kit.billing.issue_invoice(w.draft_id, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "billing.void_invoice",
        lambda w, a, m: w.kit.billing.void_invoice(w.draft_id, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "billing.record_payment",
        lambda w, a, m: w.kit.billing.record_payment(
            _acme(w, m), USD_5, method=pk.PaymentMethodKind.CHEQUE, actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "billing.issue_credit_note",
        lambda w, a, m: w.kit.billing.issue_credit_note(
            _acme(w, m), USD_5, reason="Goodwill", actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "billing.refund_payment",
        lambda w, a, m: w.kit.billing.refund_payment(w.payment_id, USD_5, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "billing.refund_invoice",
        lambda w, a, m: w.kit.billing.refund_invoice(
            "inv_missing" if m else w.paid_id, USD_5, reason="Goodwill", actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "billing.refund_credit_note",
        lambda w, a, m: w.kit.billing.refund_credit_note(w.note_id, USD_5, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "billing.get_invoice",
        lambda w, a, m: w.kit.billing.get_invoice(_invoice(w, m), actor=a),
        OWN_ACCOUNT,
        **INVOICE_KEY,
    ),
    Op(
        "billing.apply_credits",
        lambda w, a, m: w.kit.billing.apply_credits(_invoice(w, m), actor=a),
        OWN_ACCOUNT,
        **INVOICE_KEY,
    ),
    Op(
        "billing.get_payment",
        lambda w, a, m: w.kit.billing.get_payment(_payment(w, m), actor=a),
        OWN_ACCOUNT,
        **PAYMENT_KEY,
    ),
    Op(
        "billing.receipt",
        lambda w, a, m: w.kit.billing.receipt(_payment(w, m), actor=a),
        OWN_ACCOUNT,
        **PAYMENT_KEY,
    ),
    Op(
        "billing.invoices",
        lambda w, a, m: w.kit.billing.invoices(_acme(w, m), actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.payments",
        lambda w, a, m: w.kit.billing.payments(_acme(w, m), actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.available_credits",
        lambda w, a, m: w.kit.billing.available_credits(_acme(w, m), actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.balance",
        lambda w, a, m: w.kit.billing.balance(_acme(w, m), currency="USD", actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.dashboard",
        lambda w, a, m: w.kit.billing.dashboard(_acme(w, m), actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "billing.statement",
        lambda w, a, m: w.kit.billing.statement(
            _acme(w, m), START.date(), START.date() + timedelta(days=30), actor=a
        ),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
)


#: The reseller portal (issue 12): the reseller's own users (tests/unit/test_resellers.py holds
#: them and other resellers' users to it), staff and the system; to partners and customers'
#: users every reseller, customer and order of the portal is missing.
RESELLER_SCOPE = rule(NF, NF, NF, NF, NF, A, A)
RESELLER_KEY = {"key": lambda w: w.reseller_id, "absent": "rsl_missing"}
HOOLI_KEY = {"key": lambda w: w.hooli_id, "absent": "cus_missing"}
DRAFT_ORDER_KEY = {"key": lambda w: w.draft_order_id, "absent": "so_missing"}
CONFIRMED_ORDER_KEY = {"key": lambda w: w.confirmed_order_id, "absent": "so_missing"}
ONE_LINE = [pk.OrderLine("crm", 1, pk.Money.of("1.00", "USD"))]


def _rsl(w: World, missing: bool) -> str:
    return "rsl_missing" if missing else w.reseller_id


def _hooli(w: World, missing: bool) -> str:
    return "cus_missing" if missing else w.hooli_id


def _order(w: World, missing: bool, confirmed: bool = False) -> str:
    if missing:
        return "so_missing"
    return w.confirmed_order_id if confirmed else w.draft_order_id


RESELLER_OPS: tuple[Op, ...] = (
    Op(
        "resellers.invite",
        lambda w, a, m: w.kit.resellers.invite("Initech Resale", "ops@initech.example", actor=a),
        STAFF_ONLY,
    ),
    Op(
        "resellers.get",
        lambda w, a, m: w.kit.resellers.get(_rsl(w, m), actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.create_customer",
        lambda w, a, m: w.kit.resellers.create_customer(
            _rsl(w, m), name="Pied Piper", email="it@piper.example", actor=a
        ),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.get_customer",
        lambda w, a, m: w.kit.resellers.get_customer(_hooli(w, m), actor=a),
        RESELLER_SCOPE,
        **HOOLI_KEY,
    ),
    Op(
        "resellers.update_details",
        lambda w, a, m: w.kit.resellers.update_details(_hooli(w, m), contact_name="Gavin", actor=a),
        RESELLER_SCOPE,
        **HOOLI_KEY,
    ),
    Op(
        "resellers.customers",
        lambda w, a, m: w.kit.resellers.customers(_rsl(w, m), actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.tags",
        lambda w, a, m: w.kit.resellers.tags(_rsl(w, m), actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.tag",
        lambda w, a, m: w.kit.resellers.tag(_rsl(w, m), [w.hooli_id], "big", actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.untag",
        lambda w, a, m: w.kit.resellers.untag(_rsl(w, m), [w.hooli_id], "vip", actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.customer_tags",
        lambda w, a, m: w.kit.resellers.customer_tags(_hooli(w, m), actor=a),
        RESELLER_SCOPE,
        **HOOLI_KEY,
    ),
    Op(
        "resellers.archive",
        lambda w, a, m: w.kit.resellers.archive(_rsl(w, m), [w.hooli_id], actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.unarchive",
        lambda w, a, m: w.kit.resellers.unarchive(_rsl(w, m), [w.hooli_id], actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
    Op(
        "resellers.place_order",
        lambda w, a, m: w.kit.resellers.place_order(_hooli(w, m), ONE_LINE, actor=a),
        RESELLER_SCOPE,
        **HOOLI_KEY,
    ),
    Op(
        "resellers.orders",
        lambda w, a, m: w.kit.resellers.orders(_hooli(w, m), actor=a),
        RESELLER_SCOPE,
        **HOOLI_KEY,
    ),
    Op(
        "resellers.get_order",
        lambda w, a, m: w.kit.resellers.get_order(_order(w, m), actor=a),
        RESELLER_SCOPE,
        **DRAFT_ORDER_KEY,
    ),
    Op(
        "resellers.confirm_order",
        lambda w, a, m: w.kit.resellers.confirm_order(_order(w, m), actor=a),
        RESELLER_SCOPE,
        **DRAFT_ORDER_KEY,
    ),
    Op(
        "resellers.cancel_order",
        lambda w, a, m: w.kit.resellers.cancel_order(_order(w, m), actor=a),
        RESELLER_SCOPE,
        **DRAFT_ORDER_KEY,
    ),
    Op(
        "resellers.fulfil_order",
        lambda w, a, m: w.kit.resellers.fulfil_order(_order(w, m, confirmed=True), actor=a),
        RESELLER_SCOPE,
        **CONFIRMED_ORDER_KEY,
    ),
    Op(
        "resellers.invoice_order",
        lambda w, a, m: w.kit.resellers.invoice_order(_order(w, m, confirmed=True), actor=a),
        RESELLER_SCOPE,
        **CONFIRMED_ORDER_KEY,
    ),
    Op(
        "resellers.migrate_to_reseller",
        lambda w, a, m: w.kit.resellers.migrate_to_reseller(_hooli(w, m), actor=a),
        RESELLER_SCOPE,
        **HOOLI_KEY,
    ),
    Op(
        "resellers.migrations",
        lambda w, a, m: w.kit.resellers.migrations(_rsl(w, m), actor=a),
        RESELLER_SCOPE,
        **RESELLER_KEY,
    ),
)


def _sub(key: str) -> Callable[[World, bool], str]:
    return lambda w, missing: "sub_missing" if missing else str(getattr(w, key))


def _sub_key(key: str) -> dict[str, Any]:
    return {"key": lambda w: str(getattr(w, key)), "absent": "sub_missing"}


_TRIAL, _LIVE = _sub("trial_sub_id"), _sub("live_sub_id")
_SCHEDULED, _EXPIRED = _sub("scheduled_sub_id"), _sub("expired_sub_id")
_CANCELLED, _PAUSED = _sub("cancelled_sub_id"), _sub("paused_sub_id")
_PAUSING, _CHANGING = _sub("pausing_sub_id"), _sub("changing_sub_id")
_HALF = pk.Coupon.create(
    id="cpn_matrix", code="MATRIX", name="Half off", kind=pk.DiscountKind.PERCENTAGE,
    percentage=50,
)  # fmt: skip

#: Subscriptions (issue 11): staff keep the catalog and subscribe customers; a customer's own
#: users (admin or not), staff and the system act on its subscriptions, which anyone else,
#: the partner of record included, finds missing.
SUBSCRIPTION_OPS: tuple[Op, ...] = (
    Op(
        "subscriptions.add_plan",
        lambda w, a, m: w.kit.subscriptions.add_plan(
            "helpdesk-max",
            product=SUBSCRIBED,
            name="Max",
            price=USD_5,
            period=pk.BillingPeriod(pk.IntervalUnit.YEAR, 1),
            actor=a,
        ),
        STAFF_ONLY,
    ),
    Op(
        "subscriptions.add_addon",
        lambda w, a, m: w.kit.subscriptions.add_addon(
            "agents", product=SUBSCRIBED, name="Agents", price=USD_5, actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "subscriptions.add_coupon",
        lambda w, a, m: w.kit.subscriptions.add_coupon(_HALF, product=SUBSCRIBED, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "subscriptions.coupons",
        lambda w, a, m: w.kit.subscriptions.coupons(SUBSCRIBED, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "subscriptions.create",
        lambda w, a, m: w.kit.subscriptions.create(_acme(w, m), "helpdesk-pro", actor=a),
        STAFF_ONLY,
    ),
    Op(
        "subscriptions.subscriptions",
        lambda w, a, m: w.kit.subscriptions.subscriptions(_acme(w, m), actor=a),
        OWN_ACCOUNT,
        **ACME_KEY,
    ),
    Op(
        "subscriptions.get",
        lambda w, a, m: w.kit.subscriptions.get(_LIVE(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("live_sub_id"),
    ),
    Op(
        "subscriptions.periods",
        lambda w, a, m: w.kit.subscriptions.periods(_LIVE(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("live_sub_id"),
    ),
    Op(
        "subscriptions.allowed_actions",
        lambda w, a, m: w.kit.subscriptions.allowed_actions(_TRIAL(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("trial_sub_id"),
    ),
    Op(
        "subscriptions.preview_activate",
        lambda w, a, m: w.kit.subscriptions.preview_activate(_TRIAL(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("trial_sub_id"),
    ),
    Op(
        "subscriptions.activate",
        lambda w, a, m: w.kit.subscriptions.activate(_TRIAL(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("trial_sub_id"),
    ),
    Op(
        "subscriptions.extend_trial",
        lambda w, a, m: w.kit.subscriptions.extend_trial(_EXPIRED(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("expired_sub_id"),
    ),
    Op(
        "subscriptions.cancel",
        lambda w, a, m: w.kit.subscriptions.cancel(_LIVE(w, m), at_term_end=True, actor=a),
        OWN_ACCOUNT,
        **_sub_key("live_sub_id"),
    ),
    Op(
        "subscriptions.remove_scheduled_cancellation",
        lambda w, a, m: w.kit.subscriptions.remove_scheduled_cancellation(
            _SCHEDULED(w, m), actor=a
        ),
        OWN_ACCOUNT,
        **_sub_key("scheduled_sub_id"),
    ),
    Op(
        "subscriptions.set_auto_charge",
        lambda w, a, m: w.kit.subscriptions.set_auto_charge(
            _LIVE(w, m), True, payment_method_id=w.method_id, actor=a
        ),
        OWN_ACCOUNT,
        **_sub_key("live_sub_id"),
    ),
    # The second pass: edits, pauses, reactivation.
    Op(
        "subscriptions.preview_change",
        lambda w, a, m: w.kit.subscriptions.preview_change(
            _LIVE(w, m), plan="helpdesk-trial", actor=a
        ),
        OWN_ACCOUNT,
        **_sub_key("live_sub_id"),
    ),
    Op(
        "subscriptions.change",
        lambda w, a, m: w.kit.subscriptions.change(_LIVE(w, m), plan="helpdesk-trial", actor=a),
        OWN_ACCOUNT,
        **_sub_key("live_sub_id"),
    ),
    Op(
        "subscriptions.remove_scheduled_change",
        lambda w, a, m: w.kit.subscriptions.remove_scheduled_change(_CHANGING(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("changing_sub_id"),
    ),
    Op(
        "subscriptions.schedule_pause",
        lambda w, a, m: w.kit.subscriptions.schedule_pause(
            _LIVE(w, m), w.kit.now().date() + timedelta(days=3), actor=a
        ),
        OWN_ACCOUNT,
        **_sub_key("live_sub_id"),
    ),
    Op(
        "subscriptions.remove_scheduled_pause",
        lambda w, a, m: w.kit.subscriptions.remove_scheduled_pause(_PAUSING(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("pausing_sub_id"),
    ),
    Op(
        "subscriptions.schedule_resume",
        lambda w, a, m: w.kit.subscriptions.schedule_resume(
            _PAUSED(w, m), w.kit.now().date() + timedelta(days=7), actor=a
        ),
        OWN_ACCOUNT,
        **_sub_key("paused_sub_id"),
    ),
    Op(
        "subscriptions.resume_now",
        lambda w, a, m: w.kit.subscriptions.resume_now(_PAUSED(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("paused_sub_id"),
    ),
    # Whether a customer may set the resume day is a permission the portal holds (the 003
    # seed's pause settings): without it, its users are refused.
    Op(
        "subscriptions.schedule_resume(customers may not resume)",
        lambda w, a, m: w.kit.subscriptions.schedule_resume(
            _PAUSED(w, m),
            w.kit.now().date() + timedelta(days=7),
            customer_may_resume=False,
            actor=a,
        ),
        rule(NF, NF, NF, D, D, A, A),
        **_sub_key("paused_sub_id"),
    ),
    Op(
        "subscriptions.preview_reactivation",
        lambda w, a, m: w.kit.subscriptions.preview_reactivation(_CANCELLED(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("cancelled_sub_id"),
    ),
    Op(
        "subscriptions.reactivate",
        lambda w, a, m: w.kit.subscriptions.reactivate(_CANCELLED(w, m), actor=a),
        OWN_ACCOUNT,
        **_sub_key("cancelled_sub_id"),
    ),
    # A portal preference that keeps customers from an action: their users are refused.
    Op(
        "subscriptions.cancel(not for customers)",
        lambda w, a, m: w.kit.subscriptions.cancel(_LIVE(w, m), customer_allowed=False, actor=a),
        rule(NF, NF, NF, D, D, A, A),
        **_sub_key("live_sub_id"),
    ),
)


OPS: tuple[Op, ...] = (
    *BILLING_OPS,
    *RESELLER_OPS,
    *SUBSCRIPTION_OPS,
    # leads (002 seed, lead sharing)
    Op(
        "leads.create",
        lambda w, a, m: w.kit.leads.create(
            prospect_name="Initech",
            prospect_email="it@initech.example",
            region="IN",
            products=["crm"],
            pam="pam@vendor.example",
            actor=a,
        ),
        STAFF_ONLY,
    ),
    Op("leads.get", lambda w, a, m: w.kit.leads.get(_lead(w, m), actor=a), STAFF_ONLY),
    Op("leads.explain", lambda w, a, m: w.kit.leads.explain(_lead(w, m), actor=a), STAFF_ONLY),
    Op("leads.share", lambda w, a, m: w.kit.leads.share(_lead(w, m), actor=a), STAFF_ONLY),
    Op(
        "leads.accept",
        lambda w, a, m: w.kit.leads.accept(_lead(w, m), w.alpha.id, actor=a),
        rule(NF, NF, NF, D, A, A, A),
        **LEAD_KEY,
    ),
    Op(
        "leads.decline",
        lambda w, a, m: w.kit.leads.decline(_lead(w, m), w.alpha.id, actor=a),
        OWN_PARTNER,
        **LEAD_KEY,
    ),
    Op(
        "leads.reject_partner",
        lambda w, a, m: w.kit.leads.reject_partner(
            _lead(w, m), w.alpha.id, reason="the customer chose another", actor=a
        ),
        STAFF_ONLY,
    ),
    # access (002 seed: who may be told what)
    Op(
        "access.can_disclose",
        lambda w, a, m: w.kit.access.can_disclose("ops@alpha.example", _acme(w, m), actor=a),
        STAFF_ONLY,
    ),
    Op(
        "access.associations",
        lambda w, a, m: w.kit.access.associations(w.alpha.id, _acme(w, m), actor=a),
        STAFF_ONLY,
    ),
    Op(
        "access.account_summary",
        lambda w, a, m: w.kit.access.account_summary(_own_partner(w, a), _acme(w, m), actor=a),
        OWN_PARTNER,
        check=_summary_for_alpha,
        **ACME_KEY,
    ),
    Op(
        "access.audit_trail",
        lambda w, a, m: w.kit.access.audit_trail(account=_acme(w, m), actor=a),
        STAFF_ONLY,
    ),
    # catalog
    Op(
        "catalog.add_product",
        lambda w, a, m: w.kit.catalog.add_product("desk", name="Desk", actor=a),
        STAFF_ONLY,
    ),
    # customers
    Op(
        "customers.create",
        lambda w, a, m: w.kit.customers.create(
            name="Initech", admin_email="it@initech.example", actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "customers.get",
        lambda w, a, m: w.kit.customers.get(_acme(w, m), actor=a),
        SEES_CUSTOMER,
        **ACME_KEY,
    ),
    Op(
        "customers.customers",
        lambda w, a, m: w.kit.customers.customers(actor=a),
        EVERYONE,
        check=_visible_customers,
    ),
    Op(
        "customers.find_by_user_email",
        lambda w, a, m: w.kit.customers.find_by_user_email(ACME_USER, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "customers.add_user",
        lambda w, a, m: w.kit.customers.add_user(_acme(w, m), "eve@acme.example", actor=a),
        ADMINS_OR_STAFF,
        **ACME_KEY,
    ),
    Op(
        "customers.remove_user",
        lambda w, a, m: w.kit.customers.remove_user(_acme(w, m), ACME_USER, actor=a),
        ADMINS_OR_STAFF,
        **ACME_KEY,
    ),
    Op(
        "customers.set_admin",
        lambda w, a, m: w.kit.customers.set_admin(_acme(w, m), ACME_USER, True, actor=a),
        ADMINS_OR_STAFF,
        **ACME_KEY,
    ),
    Op(
        "customers.add_contact",
        lambda w, a, m: w.kit.customers.add_contact(
            _acme(w, m), name="Fran", email="fran@acme.example", actor=a
        ),
        ADMINS_OR_STAFF,
        **ACME_KEY,
    ),
    Op(
        "customers.set_primary_contact",
        lambda w, a, m: w.kit.customers.set_primary_contact(_acme(w, m), ACME_ADMIN, actor=a),
        ADMINS_OR_STAFF,
        **ACME_KEY,
    ),
    Op(
        "customers.set_time_zone",
        lambda w, a, m: w.kit.customers.set_time_zone(_acme(w, m), "Asia/Kolkata", actor=a),
        ADMINS_OR_STAFF,
        **ACME_KEY,
    ),
    Op(
        "customers.set_plan",
        lambda w, a, m: w.kit.customers.set_plan(_acme(w, m), "crm", "paid", actor=a),
        STAFF_ONLY,
    ),
    # partners
    Op(
        "partners.register",
        lambda w, a, m: w.kit.partners.register(name="Delta", email="ops@delta.example", actor=a),
        STAFF_ONLY,
    ),
    Op(
        "partners.get",
        lambda w, a, m: w.kit.partners.get(_alpha(w, m), actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op("partners.partners", lambda w, a, m: w.kit.partners.partners(actor=a), STAFF_ONLY),
    Op(
        "partners.set_username",
        lambda w, a, m: w.kit.partners.set_username(_alpha(w, m), "alphanew", actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op(
        "partners.deactivate",
        lambda w, a, m: w.kit.partners.deactivate(_alpha(w, m), reason="test", actor=a),
        STAFF_ONLY,
    ),
    Op(
        "partners.reactivate",
        lambda w, a, m: w.kit.partners.reactivate(_alpha(w, m), actor=a),
        STAFF_ONLY,
    ),
    Op(
        "partners.issue_code",
        lambda w, a, m: w.kit.partners.issue_code(_alpha(w, m), "ALPHANEW", replace=True, actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op(
        "partners.retire_code",
        lambda w, a, m: w.kit.partners.retire_code("NOSUCHPRO" if m else "ALPHAPRO", actor=a),
        OWN_PARTNER,
        key=lambda w: "ALPHAPRO",
        absent="NOSUCHPRO",
    ),
    Op(
        "partners.codes",
        lambda w, a, m: w.kit.partners.codes(_alpha(w, m), actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    # mapping: the channels
    Op(
        "mapping.signup_link",
        lambda w, a, m: w.kit.mapping.signup_link(_alpha(w, m), "crm", actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op(
        "mapping.revoke_signup_link",
        lambda w, a, m: w.kit.mapping.revoke_signup_link(
            "forged-token" if m else w.signup_token, actor=a
        ),
        OWN_PARTNER,
        key=lambda w: w.signup_token,
        absent="forged-token",
        # A revocation is not readable through the ports' queries: the link still works.
        intact=lambda w: w.kit.mapping.sign_up(
            w.signup_token, name="Initech", admin_email="it@initech.example"
        ),
    ),
    Op(
        "mapping.create_account",
        lambda w, a, m: w.kit.mapping.create_account(
            _alpha(w, m), name="Initech", admin_email="it@initech.example", product="crm", actor=a
        ),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op(
        "mapping.tag_partner",
        lambda w, a, m: w.kit.mapping.tag_partner(_acme(w, m), "books", "ALPHAPRO", actor=a),
        CUSTOMERS_OWN,
        **ACME_KEY,
    ),
    # mapping: a partner adding a customer
    Op(
        "mapping.explain_tag",
        lambda w, a, m: w.kit.mapping.explain_tag(_acme(w, m), "books", "ALPHAPRO", actor=a),
        ADMINS_OR_STAFF,
        **ACME_KEY,
    ),
    Op(
        "mapping.explain_add",
        lambda w, a, m: w.kit.mapping.explain_add(_alpha(w, m), w.globex.id, "crm", actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op(
        "mapping.add_customer",
        lambda w, a, m: w.kit.mapping.add_customer(_alpha(w, m), w.globex.id, "crm", actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    # mapping: transfers and consent
    Op(
        "mapping.request_transfer",
        lambda w, a, m: w.kit.mapping.request_transfer(_acme(w, m), "books", "BETAPRO", actor=a),
        CUSTOMERS_OWN,
        **ACME_KEY,
    ),
    Op(
        "mapping.confirm",
        lambda w, a, m: w.kit.mapping.confirm("forged-token" if m else w.transfer_token, actor=a),
        ADMINS_OR_STAFF,
        key=lambda w: w.transfer_token,
        absent="forged-token",
    ),
    Op(
        "mapping.pending_requests(customer)",
        lambda w, a, m: w.kit.mapping.pending_requests(customer_id=_acme(w, m), actor=a),
        SEES_CUSTOMER,
        check=_scoped_requests,
        **ACME_KEY,
    ),
    Op(
        "mapping.pending_requests",
        lambda w, a, m: w.kit.mapping.pending_requests(actor=a),
        EVERYONE,
        check=_scoped_requests,
    ),
    Op(
        "mapping.cancel_request",
        lambda w, a, m: w.kit.mapping.cancel_request(
            "cns_missing" if m else w.transfer_id, actor=a
        ),
        # Alpha, which would lose the customer, is no party: denied, as a non-admin is.
        ADMINS_OR_STAFF,
        key=lambda w: w.transfer_id,
        absent="cns_missing",
    ),
    Op(
        "mapping.record_written_consent",
        lambda w, a, m: w.kit.mapping.record_written_consent(
            _acme(w, m), "crm", w.beta.id, evidence="From: it@acme.example", actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "mapping.unmap",
        lambda w, a, m: w.kit.mapping.unmap(_acme(w, m), "crm", reason="test", actor=a),
        STAFF_ONLY,
    ),
    # mapping: reading the partner of record
    Op(
        "mapping.partner_of_record",
        lambda w, a, m: w.kit.mapping.partner_of_record(_acme(w, m), "crm", actor=a),
        SEES_CUSTOMER,
        **ACME_KEY,
    ),
    Op(
        "mapping.history",
        lambda w, a, m: w.kit.mapping.history(_acme(w, m), actor=a),
        SEES_CUSTOMER,
        check=_evidence_for_staff,
        **ACME_KEY,
    ),
    Op(
        "mapping.customers_of",
        lambda w, a, m: w.kit.mapping.customers_of(_alpha(w, m), actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    # mapping: tracking
    Op(
        "mapping.track",
        lambda w, a, m: w.kit.mapping.track(_alpha(w, m), GLOBEX_ADMIN, actor=a),
        OWN_PARTNER,
        check=lambda w, role, entry: (
            None
            if (entry.customer_id is None) is (role == "associated partner")
            else pytest.fail(f"{role} got customer id {entry.customer_id}")
        ),
        **ALPHA_KEY,
    ),
    Op(
        "mapping.tracking_list",
        lambda w, a, m: w.kit.mapping.tracking_list(_alpha(w, m), actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    # commissions
    Op(
        "commissions.set_plan",
        lambda w, a, m: w.kit.commissions.set_plan(_alpha(w, m), rate=10, actor=a),
        STAFF_ONLY,
    ),
    Op(
        "commissions.plan",
        lambda w, a, m: w.kit.commissions.plan(_alpha(w, m), actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op(
        "commissions.accrue",
        lambda w, a, m: w.kit.commissions.accrue(
            _acme(w, m),
            "crm",
            transaction_id="t2",
            amount=pk.Money.of("50.00", "USD"),
            occurred_at=WHEN,
            actor=a,
        ),
        STAFF_ONLY,
    ),
    Op(
        "commissions.reverse",
        lambda w, a, m: w.kit.commissions.reverse(
            "t1", transaction_id="r1", occurred_at=WHEN, actor=a
        ),
        STAFF_ONLY,
    ),
    Op(
        "commissions.entries",
        lambda w, a, m: w.kit.commissions.entries(_alpha(w, m), actor=a),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
    Op(
        "commissions.statement",
        lambda w, a, m: w.kit.commissions.statement(
            _alpha(w, m), START.date(), START.date(), actor=a
        ),
        OWN_PARTNER,
        **ALPHA_KEY,
    ),
)

#: Public calls that take no actor, and why: catalog reads and public look-ups, sign-in, the
#: anonymous sign-up (its token is the authority), and the time-driven rules `run_due` calls.
ACTOR_FREE = {
    "catalog.get_product",
    "catalog.products",
    "partners.check_sign_in",
    "partners.directory",
    "partners.find_by_code",
    "partners.advise_code",
    "partners.next_inactivity_due",
    "partners.deactivate_inactive",
    "mapping.sign_up",
    "mapping.next_provisional_due",
    "mapping.expire_provisional",
    "mapping.on_plan_changed",
    "mapping.on_partner_deactivated",
    # Handlers the kit runs inside billing's payments and refunds, with billing's own events.
    "commissions.on_payment_recorded",
    "commissions.on_payment_refunded",
    # The reseller portal's handler for billing's InvoiceVoided.
    "resellers.on_invoice_voided",
    "mapping.next_consent_due",
    "mapping.expire_consents",
    # Billing's overdue job, which run_due drives.
    "billing.next_overdue_due",
    "billing.mark_overdue",
    # Billing's reconciliation of unknown online payments, which run_due drives.
    "billing.next_reconcile_due",
    "billing.reconcile_payments",
    # Wiring at start-up: the subscriptions package (or the host) registers a function.
    "billing.add_recurring_profile_check",
    # The reseller portal's invitation link: its token is the authority, as for mapping.sign_up.
    "resellers.accept_invitation",
    # The subscriptions' catalog is public (a pricing page reads it), and their due job is
    # run_due's, with the clock's instant.
    "subscriptions.plans",
    "subscriptions.get_plan",
    "subscriptions.addons",
    "subscriptions.next_due",
    "subscriptions.run_due",
}


# --- running a cell ---------------------------------------------------------------------------


class _Rollback(Exception):
    """Raised at the end of every cell: the world goes back to what it was."""


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if request.param == "memory":
        url = "memory://"
    else:
        path: Path = tmp_path_factory.mktemp("matrix") / "matrix.db"
        url = f"sqlite:///{path}"
    built = build_world(url)
    built.initial = snapshot(built)
    built.denials = len(built.kit.outbox(topic="access.denied"))
    yield built
    built.kit.close()


def snapshot(w: World) -> object:
    """Everything a refused call could have written, as stored (read through the kit's unit of
    work, so redaction cannot hide a change), denials aside."""
    with w.kit._runtime.uow(readonly=True) as uow:
        partners = uow.partners.all()
        customers = uow.customers.all()
        pids = [p.id for p in partners]
        return (
            uow.products.all(),
            partners,
            customers,
            [uow.codes.for_partner(pid) for pid in pids],
            [uow.tracking.for_partner(pid) for pid in pids],
            [uow.commission_plans.get(pid) for pid in pids],
            [uow.commissions.for_partner(pid) for pid in pids],
            [uow.records.for_customer(c.id) for c in customers],
            uow.consents.pending(),
            uow.signup_links.get_by_token_hash(hash_token(w.signup_token)),
            uow.leads.get(w.lead_id),
            [(m.id, m.topic, m.status) for m in uow.outbox.all() if m.topic != "access.denied"],
            [e for e in uow.audit.query(limit=100_000) if e.kind is not pk.AuditKind.DENIED],
            uow.tax_rates.all(),
            uow.tax_rates.default(),
            [uow.invoices.page(c.id, InvoiceQuery(limit=500)) for c in customers],
            [uow.payments.page(c.id, PaymentQuery(limit=500)) for c in customers],
            [uow.ledger.total(c.id, "USD") for c in customers],
            [uow.credit_notes.credit_totals(c.id) for c in customers],
            [uow.reseller_customers.get(c.id) for c in customers],
            [uow.sales_orders.for_customer(c.id, limit=500, offset=0) for c in customers],
            [uow.reseller_tags.of_customer(w.reseller_id, c.id) for c in customers],
            uow.reseller_tags.for_reseller(w.reseller_id),
            uow.customer_migrations.from_reseller(w.reseller_id),
            [uow.subscriptions.for_customer(c.id) for c in customers],
            uow.plans.for_product(SUBSCRIBED),
            uow.addons.for_product(SUBSCRIBED),
            uow.coupons.for_product(SUBSCRIBED),
            [uow.subscription_periods.for_subscription(s.id) for s in _subs(uow, customers)],
        )


def _subs(uow: Any, customers: list[pk.Customer]) -> list[pk.Subscription]:
    return [s for c in customers for s in uow.subscriptions.for_customer(c.id)]


def attempt(op: Op, w: World, actor: pk.Principal, *, missing: bool = False) -> object:
    try:
        return op.call(w, actor, missing)
    except pk.PartnerkitError as exc:
        return exc


def outcome_of(result: object) -> Outcome:
    if isinstance(result, PermissionDeniedError):
        return Outcome.DENIED
    if isinstance(result, NotFoundError):
        return Outcome.NOT_FOUND
    if isinstance(result, pk.PartnerkitError):
        raise AssertionError(f"unexpected {result!r}")
    return Outcome.ALLOWED


def assert_indistinguishable(
    op: Op, w: World, foreign: pk.PartnerkitError, actor: pk.Principal
) -> None:
    """The not-found for the foreign record is the one for a missing record."""
    assert op.key is not None, f"{op.name}: a not-found needs a missing-id variant"
    missing = attempt(op, w, actor, missing=True)
    assert isinstance(missing, pk.PartnerkitError), f"{op.name}: the missing id was accepted"
    assert type(missing) is type(foreign)
    assert missing.code == foreign.code
    assert set(missing.details) == set(foreign.details)
    assert missing.remedy == foreign.remedy
    key = op.key(w)
    assert foreign.message.replace(key, "<id>") == missing.message.replace(op.absent, "<id>")


CELLS = [(op, role) for op in OPS for role in ROLES]


@pytest.mark.parametrize(
    ("op", "role"), CELLS, ids=[f"{op.name}-{role.replace(' ', '_')}" for op, role in CELLS]
)
def test_who_may_do_what(world: World, op: Op, role: str) -> None:
    actor = world.roles[role]
    expected = op.expected[role]
    kit = world.kit
    with pytest.raises(_Rollback), kit.transaction():
        result = attempt(op, world, actor)
        assert outcome_of(result) is expected, f"{op.name} as {role}: {result!r}"
        if expected is Outcome.ALLOWED:
            if op.check is not None:
                op.check(world, role, result)
            raise _Rollback
        assert isinstance(result, pk.PartnerkitError)
        # A refusal writes nothing (every cell starts from the world as built); a denial leaves
        # exactly its audit record.
        assert snapshot(world) == world.initial, f"{op.name} as {role} left changes behind"
        audits = len(kit.outbox(topic="access.denied")) - world.denials
        assert audits == (1 if expected is Outcome.DENIED else 0)
        refusals = kit.access.audit_trail(kind=pk.AuditKind.DENIED, limit=1000, actor=SYSTEM)
        assert len(refusals) - world.denials == (1 if expected is Outcome.DENIED else 0)
        if op.intact is not None:
            op.intact(world)
        if expected is Outcome.NOT_FOUND:
            assert_indistinguishable(op, world, result, actor)
        raise _Rollback


def _public_methods(kit: pk.Kit) -> dict[str, inspect.Signature]:
    found = {}
    for service in (
        "access",
        "catalog",
        "customers",
        "partners",
        "mapping",
        "commissions",
        "leads",
        "billing",
        "resellers",
        "subscriptions",
    ):
        for name, method in inspect.getmembers(getattr(kit, service), inspect.ismethod):
            if not name.startswith("_"):
                found[f"{service}.{name}"] = inspect.signature(method)
    return found


def test_the_matrix_covers_every_public_call(capsys: pytest.CaptureFixture[str]) -> None:
    with pk.connect("memory://") as kit:
        methods = _public_methods(kit)
    taking = {name for name, sig in methods.items() if "actor" in sig.parameters}
    covered = {op.name.split("(")[0] for op in OPS}
    assert covered == taking, (
        f"not in the matrix: {sorted(taking - covered)}; gone: {sorted(covered - taking)}"
    )
    # A new public call without actor= must be added to ACTOR_FREE, with its reason.
    assert set(methods) - taking == ACTOR_FREE
    for name in taking:
        assert methods[name].parameters["actor"].kind is inspect.Parameter.KEYWORD_ONLY, name
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(OPS)} operations x {len(ROLES)} roles = {len(CELLS)} "
            "cells per backend, on memory and SQLite"
        )

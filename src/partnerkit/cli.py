"""The `partnerkit` command: a guided tour, schema upgrades and the run-due entry point.

Every PartnerkitError leaves as "error [code]: message" on stderr with exit status 2, followed
by what the person can do and the developer hint when the error has them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import partnerkit as pk
from partnerkit.errors import ERRORS, ConfigurationError, InvalidInputError, PartnerkitError
from partnerkit.kit import DEFAULT_URL
from partnerkit.mapping.errors import (
    CodeTakenError,
    CustomerMappedToAnotherPartnerError,
    NotCustomerAdminError,
    ProductNotAuthorisedError,
    SignupLinkRevokedError,
    UsernameRequiredError,
)
from partnerkit.mapping.records import Channel, MappingInterval

#: Who the tour acts as: the vendor's partner team for the vendor's own steps (catalog, partner
#: accounts, customer accounts, plans), billing for payments, and each partner and customer
#: for theirs (see _as_partner, _as_user).
_TEAM = pk.Principal.staff("partner-team@vendor.example")
_BILLING = pk.Principal.system("billing")

__all__ = ["main"]

log = logging.getLogger("partnerkit")

#: Exit status for a PartnerkitError; argparse uses the same for bad usage.
EXIT_ERROR = 2

_WIDTH = 100
_LABEL = 18
_ALREADY = "(already there)"
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def main(argv: list[str] | None = None) -> int:
    """Run the `partnerkit` command with `argv` (default: the process arguments)."""
    args = _parser().parse_args(argv)
    # The library only logs; the command shows its warnings (delivery failures, no mailer).
    logging.basicConfig(level=logging.WARNING, format="partnerkit: %(message)s")
    try:
        if args.command == "tour":
            return _tour(args.url)
        if args.command == "db":
            return _db_upgrade(args.url)
        if args.command == "outbox":
            return _outbox(args.outbox_command, args.url, args.app, args.ids)
        return _run_due(args.url, args.app)
    except PartnerkitError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        if exc.remedy:
            print(f"what you can do: {exc.remedy}", file=sys.stderr)
        # Whoever runs the command runs the installation: the developer's hint is theirs.
        if exc.hint:
            print(f"developer hint: {exc.hint}", file=sys.stderr)
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partnerkit",
        description="The partner-channel and self-service-billing domain as a library.",
    )
    parser.add_argument("--version", action="version", version=f"partnerkit {pk.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tour = commands.add_parser("tour", help="build a small scenario and show what happens")
    tour.add_argument("--url", default=DEFAULT_URL, help=f"database URL (default: {DEFAULT_URL})")

    db = commands.add_parser("db", help="manage the database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply the shipped migrations")
    upgrade.add_argument("url", metavar="URL", help="database URL")

    run_due = commands.add_parser(
        "run-due", help="process everything due now (run it from cron or a worker)"
    )
    run_due.add_argument("url", metavar="URL", nargs="?", help="database URL")
    run_due.add_argument(
        "--app",
        metavar="MODULE:FACTORY",
        help=(
            "build the host's kit by calling FACTORY() from MODULE, so that its mailer, "
            "subscribers and policies are there (instead of URL)"
        ),
    )
    outbox = commands.add_parser("outbox", help="list and re-drive dead outbox messages")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    for action, text in (
        ("dead", "list the messages that gave up after their retries"),
        ("redrive", "give dead messages a new start (all, or those named with --id)"),
    ):
        sub = outbox_commands.add_parser(action, help=text)
        sub.add_argument("url", metavar="URL", nargs="?", help="database URL")
        sub.add_argument("--app", metavar="MODULE:FACTORY", help="build the host's kit instead")
        sub.add_argument("--id", dest="ids", action="append", metavar="MESSAGE_ID")
    return parser


def _safe_url(url: str) -> str:
    """The URL as it may be printed: a password never reaches a terminal or a log."""
    return _PASSWORD.sub(r"\1***@", url)


# --- db upgrade and run-due ------------------------------------------------------------------


def _db_upgrade(url: str) -> int:
    with pk.connect(url) as kit:
        kit.migrate()
    print(f"schema up to date at {_safe_url(url)}")
    return 0


def _host_kit(spec: str) -> pk.Kit:
    """The kit a host's `module:factory` builds, with its mailer and subscribers."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise InvalidInputError("--app takes MODULE:FACTORY, such as myapp.tasks:kit", field="app")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load {spec}: {exc}") from exc
    kit = factory()
    if not isinstance(kit, pk.Kit):
        raise ConfigurationError(
            f"{spec} did not build a partnerkit kit",
            hint=f"{spec} returned {type(kit).__name__}, not a partnerkit.Kit",
        )
    return kit


def _run_due(url: str | None, app: str | None) -> int:
    if (url is None) == (app is None):
        raise InvalidInputError("run-due takes a database URL or --app MODULE:FACTORY", field="url")
    kit = _host_kit(app) if app is not None else pk.connect(url)
    with kit:
        if kit.mailer is None:
            log.warning("run-due without a mailer: emails stay pending (use --app to send them)")
        report = kit.run_due()
    where = _safe_url(url) if url is not None else app
    print(f"run-due at {report.at.isoformat(timespec='seconds')} on {where}")
    width = max((len(name) for name in report.handled), default=0)
    for name, count in report.handled.items():
        print(f"  {name:<{width}}  {count:>6} handled")
    print(f"  {'total':<{width}}  {report.total:>6} handled")
    return 0


def _outbox(action: str, url: str | None, app: str | None, ids: list[str] | None) -> int:
    if (url is None) == (app is None):
        raise InvalidInputError("outbox takes a database URL or --app MODULE:FACTORY", field="url")
    operator = pk.Principal.system("partnerkit outbox")
    with _host_kit(app) if app is not None else pk.connect(url) as kit:
        if action == "dead":
            dead = kit.dead_letters(actor=operator, limit=1000)
            for message in dead:
                print(
                    f"{message.id}  {message.kind.value:<5}  {message.topic:<28}  "
                    f"{message.attempts} attempts  {message.last_error or ''}"
                )
            print(f"{len(dead)} dead message{'s' if len(dead) != 1 else ''}")
            return 0
        count = kit.redrive(ids, actor=operator)
    print(f"re-drove {count} message{'s' if count != 1 else ''}; run-due delivers them")
    return 0


# --- the tour --------------------------------------------------------------------------------


def _section(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


def _row(label: str, value: object, note: str = "") -> None:
    """One aligned line: long values wrap under themselves, never under the label."""
    text = f"{value} {note}".rstrip()
    indent = " " * (2 + _LABEL + 1)
    lines = textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=f"  {label:<{_LABEL}} ",
        subsequent_indent=indent,
        break_on_hyphens=False,
    )
    print("\n".join(lines) if lines else f"  {label}")


def _error_rows(exc: PartnerkitError) -> None:
    _row("error code", exc.code)
    _row("message", exc.message)
    if exc.remedy:
        _row("what you can do", exc.remedy)


def _as_partner(partner: pk.Partner) -> pk.Principal:
    return pk.Principal.partner_user(partner.id, partner.email)


def _as_user(customer: pk.Customer, email: str) -> pk.Principal:
    return pk.Principal.customer_user(customer.id, email)


def _find_partner(
    kit: pk.Kit, *, username: str | None = None, email: str | None = None
) -> pk.Partner | None:
    for partner in kit.partners.partners(actor=_TEAM):
        if username is not None and partner.username == username:
            return partner
        if email is not None and partner.email == email:
            return partner
    return None


def _product(kit: pk.Kit, key: str, name: str) -> None:
    try:
        product = kit.catalog.add_product(key, name=name, actor=_TEAM)
    except pk.ConflictError:
        product = kit.catalog.get_product(key)
        _row(product.key, product.name, _ALREADY)
    else:
        _row(product.key, product.name, "(added)")


def _partner(
    kit: pk.Kit,
    *,
    name: str,
    username: str,
    email: str,
    kind: pk.PartnerKind,
    regions: Sequence[str] = (),
    expertise: Sequence[str] = (),
) -> pk.Partner:
    found = _find_partner(kit, username=username)
    if found is not None:
        _row("partner", f"{found.name}, username {found.username}", _ALREADY)
        return found
    partner = kit.partners.register(
        name=name,
        username=username,
        email=email,
        kind=kind,
        regions=regions,
        expertise=expertise,
        actor=_TEAM,
    )
    _row("partner", f"{partner.name}, username {partner.username}", "(registered)")
    return partner


def _tour(url: str) -> int:
    # The tour's emails go to a mailer in this process; a host passes its own to connect().
    # Online payments go to the shipped fake gateway: the tour charges no real card.
    gateway = pk.FakePaymentGateway()
    with pk.connect(
        url, mailer=pk.InMemoryMailer(), policies=[_TOUR_LEADS], payment_gateway=gateway
    ) as kit:
        print(f"partnerkit {pk.__version__} tour on {_safe_url(url)}")

        _section("Schema")
        kit.migrate()
        if kit.backend.name == "memory":
            _row("migrations", "none needed: the in-memory backend starts empty on every run")
        else:
            _row("migrations", "applied up to the newest revision")

        _section("Catalog")
        _product(kit, "crm", "CRM")
        _product(kit, "books", "Books")

        _section("A partner and its code")
        zillium = _partner(
            kit,
            name="Zillium",
            username="zillium",
            email="ops@zillium.example",
            kind=pk.PartnerKind.RESELLER,
            regions=["IN"],
            expertise=["crm"],
        )
        _row("kind", zillium.kind.value)
        _row("regions", ", ".join(zillium.regions))
        _row("expertise", ", ".join(zillium.expertise))

        _section("Advice on a hard-to-remember code")
        advice = pk.advise_code("Zillium_PremiumPartner123")
        _row("code", advice.code)
        _row("valid", "yes" if advice.valid else "no")
        _row("score", f"{advice.score}/100")
        for problem in advice.problems:
            _row(f"  {problem.rule.replace('_', ' ')}", problem.message)
        _row("suggestions", ", ".join(advice.suggestions))

        held = {c.code for c in kit.partners.codes(zillium.id, actor=_as_partner(zillium))}
        code = kit.partners.issue_code(zillium.id, "ZILLIUMCorp", actor=_as_partner(zillium))
        _row("issued", code.code, _ALREADY if held else "(issued)")
        _row(
            "customers type",
            f"{code.code.lower()}, {code.code.upper()} or zi11iumc0rp all find it: case does "
            "not matter, and 0 counts as O, 1 as l or I",
        )

        _section("Finding a partner by code")
        found = kit.partners.find_by_code("zi11iumc0rp")
        _row("typed", "zi11iumc0rp")
        _row("found", f"{found.name}, whose code is {code.code}")

        _section("A colliding code is refused")
        other = _partner(
            kit,
            name="Zilium Labs",
            username="ziliumlabs",
            email="team@ziliumlabs.example",
            kind=pk.PartnerKind.SERVICE_PARTNER,
            regions=["IN"],
        )
        _row("tries", "zilliumCORP")
        try:
            kit.partners.issue_code(other.id, "zilliumCORP", actor=_as_partner(other))
        except CodeTakenError as exc:
            _error_rows(exc)
        else:  # pragma: no cover - the rule above makes this unreachable
            _row("unexpected", "the code was issued")

        _section("Username is mandatory in the partner portal")
        nimbus = _sign_up_flow(kit)

        _section("A customer")
        acme = kit.customers.find_by_user_email("it@acme.example", actor=_TEAM)
        if acme is None:
            acme = kit.customers.create(
                name="Acme", domain="acme.example", admin_email="it@acme.example", actor=_TEAM
            )
            _row("customer", f"{acme.name}", "(created)")
        else:
            _row("customer", f"{acme.name}", _ALREADY)
        _row("admin", ", ".join(u.email for u in acme.admins))
        _row("domains", ", ".join(acme.domains))
        was_paid = (plan := acme.plan("crm")) is not None and plan.edition is pk.Edition.PAID
        acme = kit.customers.set_plan(acme.id, "crm", pk.Edition.PAID, actor=_TEAM)
        plan = acme.plan("crm")
        assert plan is not None
        _row(
            "crm",
            f"{plan.edition.value} since {plan.since.isoformat()}",
            _ALREADY if was_paid else "(marked paid)",
        )

        _section("Mapping customers to partners")
        _mapping_tour(kit, zillium, nimbus, other, acme)

        _section("Who may be told what")
        _support_checks_an_enquiry(kit, zillium, acme)

        _section("A lead shared across regions")
        _lead_across_regions(kit)

        _billing_tour(kit, gateway, acme)

        _resellers_tour(kit, gateway)

        _subscriptions_tour(kit, acme)

        _section("Outbox (every run on this database)")
        messages = kit.outbox()
        by_topic = Counter(m.topic for m in messages)
        delivered = Counter(m.topic for m in messages if m.delivered_at is not None)
        width = max((len(topic) for topic in by_topic), default=0)
        print(f"  {'topic':<{width}}  {'written':>9}  {'delivered':>9}")
        for topic, count in sorted(by_topic.items()):
            print(f"  {topic:<{width}}  {count:>9}  {delivered[topic]:>9}")
        print(f"  {'total':<{width}}  {len(messages):>9}  {delivered.total():>9}")
    return 0


#: The tour's region graph: the Gulf next to India, India next to Sri Lanka.
_TOUR_LEADS = pk.LeadPolicy(
    region_graph={"AE": ["OM", "IN"], "IN": ["LK"]}, central_it="centralit@vendor.example"
)


def _support_checks_an_enquiry(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> None:
    """A support agent asks before answering: same domain, or tagged to the partner."""
    for enquirer, product in (
        ("bob@acme.example", None),
        ("ops@zillium.example", "crm"),
        ("ops@zillium.example", "books"),
        ("team@ziliumlabs.example", None),
        ("bob@acme.example.attacker.net", None),
    ):
        decision = kit.access.can_disclose(enquirer, acme.id, product, actor=_TEAM)
        about = f"{acme.name}" + (f" ({product})" if product else "")
        _row("enquiry", f"{enquirer} asks about {about}")
        _row("  answer", "may be told" if decision.allowed else "share nothing")
        _row("  why", decision.explanation)
    evidence = kit.access.associations(zillium.id, acme.id, actor=_TEAM)
    _row("ties", f"{zillium.name} and {acme.name}: " + "; ".join(e.note for e in evidence))
    _row("asks", f"{zillium.name} asks to be made an admin of {acme.name}")
    try:
        kit.customers.add_user(acme.id, zillium.email, admin=True, actor=_TEAM)
    except PartnerkitError as exc:
        _error_rows(exc)
    trail = kit.access.audit_trail(account=acme.id, limit=1000, actor=_TEAM)
    _row("audit trail", f"{len(trail)} decisions about {acme.name} on record")


def _lead_across_regions(kit: pk.Kit) -> None:
    """Fewer than three partners in the Gulf: the search widens to India, then Sri Lanka."""
    for name, username, region, kind in (
        ("Gulf Partners", "gulf", "AE", pk.PartnerKind.SERVICE_PARTNER),
        ("Lanka Systems", "lanka", "LK", pk.PartnerKind.SERVICE_PARTNER),
        ("Referrals Inc", "referrals", "IN", pk.PartnerKind.AFFILIATE),
    ):
        _partner(
            kit,
            name=name,
            username=username,
            email=f"ops@{username}.example",
            kind=kind,
            regions=[region],
            expertise=["crm"],
        )
    lead = kit.leads.create(
        prospect_name="Initech",
        prospect_email="it@initech.example",
        region="AE",
        products=["crm"],
        actor=_TEAM,
    )
    _row("lead", f"{lead.prospect_name} needs crm in {lead.region}")
    ranking = kit.leads.explain(lead.id, actor=_TEAM)
    for candidate in ranking.candidates:
        if candidate.excluded is not None:
            _row("  excluded", f"{candidate.name}, {candidate.reason.removeprefix('excluded: ')}")
            continue
        place = "offered" if candidate.offered else "not needed"
        _row(f"  rank {candidate.rank}", f"{candidate.name}, {place}: {candidate.reason}")
    shared = kit.leads.share(lead.id, actor=_TEAM)
    _row("shared with", f"{len(shared.offers)} partners, the PAM in copy of the email")


def _sign_up_flow(kit: pk.Kit) -> pk.Partner:
    email = "hello@nimbus.example"
    partner = _find_partner(kit, email=email)
    if partner is None:
        partner = kit.partners.register(
            name="Nimbus Consulting",
            email=email,
            kind=pk.PartnerKind.SERVICE_PARTNER,
            expertise=["books"],
            actor=_TEAM,
        )
        _row("partner", f"{partner.name}, signed up without a username", "(registered)")
    else:
        _row("partner", f"{partner.name}, signed up without a username", _ALREADY)
    if partner.username is None:
        _row("signs in as", email)
        try:
            kit.partners.check_sign_in(email)
        except UsernameRequiredError as exc:
            _error_rows(exc)
        # The remedy's form, filled in by the partner: it acts for its own account.
        partner = kit.partners.set_username(partner.id, "nimbus", actor=_as_partner(partner))
        _row("username set", str(partner.username))
    else:
        _row("username", f"{partner.username}, set on an earlier run", _ALREADY)
    signed_in = kit.partners.check_sign_in(str(partner.username))
    _row("signs in as", f"{signed_in.username}: allowed")
    return signed_in


# --- the tour: billing ----------------------------------------------------------------------


def _money_line(invoice: pk.Invoice) -> str:
    return f"{invoice.number}, {invoice.total}, {invoice.status.value.replace('_', ' ')}"


def _billing_tour(kit: pk.Kit, gateway: pk.FakePaymentGateway, acme: pk.Customer) -> None:
    admin = _as_user(acme, "it@acme.example")
    _section("Billing: an invoice with tax")
    vat = kit.billing.default_tax(actor=_TEAM)
    if vat is None:
        vat = kit.billing.create_tax_rate("VAT", "20", default=True, actor=_TEAM)
        _row("tax", f"{vat.name} {vat.percentage} %, the default", "(created)")
    else:
        _row("tax", f"{vat.name} {vat.percentage} %, the default", _ALREADY)
    first = next(iter(kit.billing.invoices(acme.id, descending=False, limit=1, actor=_TEAM)), None)
    if first is None:
        first = kit.billing.create_invoice(
            acme.id,
            [pk.InvoiceLine.of("CRM seats", 3, pk.Money.of("49.99", "USD"))],
            issue=True,
            actor=_TEAM,
        )
        _row("invoice", _money_line(first), "(issued)")
    else:
        _row("invoice", _money_line(first), _ALREADY)
    _row("taxed", f"{first.subtotal} plus {first.tax_total} of VAT, each line rounded once")

    _section("A payment the gateway refuses")
    failed = next(
        (p for p in kit.billing.payments(acme.id, actor=_TEAM) if p.failure_code is not None),
        None,
    )
    if failed is None and first.is_outstanding:
        flagged = gateway.tokenize("4000 0000 0000 0002", 8, 2029, outcome=pk.FakeOutcome.FRAUD)
        _row("the customer pays", f"{first.number} with a card the fraud filters stop")
        try:
            kit.billing.pay(
                [first.id], card=flagged, idempotency_key=f"tour-{first.id}-1", actor=admin
            )
        except pk.PortalPaymentError as exc:
            _row("CP code", exc.cp_code)
            _error_rows(exc)
    elif failed is not None:
        error = ERRORS[failed.failure_code or ""]()
        _row("attempt", f"{failed.number} failed", _ALREADY)
        _row("CP code", getattr(error, "cp_code", ""))
        _error_rows(error)
    _row("history", "the failed attempt stays among the customer's payments")

    _section("A retry that succeeds")
    visa = gateway.tokenize("4242 4242 4242 4242", 12, 2030)
    paid = kit.billing.pay(
        [first.id],
        card=visa,
        save_for_future=True,
        idempotency_key=f"tour-{first.id}-2",
        actor=admin,
    )
    replayed = gateway.charges == []
    _row(
        "paid online",
        f"{paid.number}, {paid.amount}, {paid.status.value}",
        _ALREADY if replayed else "",
    )
    _row("invoice", _money_line(kit.billing.get_invoice(first.id, actor=admin)))
    for method in kit.billing.payment_methods(acme.id, actor=admin):
        _row("saved card", method.label, "(used for future payments)" if method.default else "")
    _row("same key again", "the same payment comes back, and nothing is charged twice")

    _section("Pay all outstanding")
    if len(kit.billing.invoices(acme.id, limit=3, actor=_TEAM)) < 3:
        for price, currency in (("25.00", "EUR"), ("10.00", "USD")):
            invoice = kit.billing.create_invoice(
                acme.id,
                [pk.InvoiceLine.of("Books seats", 1, pk.Money.of(price, currency))],
                issue=True,
                actor=_TEAM,
            )
            _row("invoice", _money_line(invoice), "(issued)")
    board = kit.billing.dashboard(acme.id, actor=admin)
    for owed in board.outstanding:
        _row("outstanding", f"{owed.count} invoice(s), {owed.total}")
    default = next(m for m in kit.billing.payment_methods(acme.id, actor=admin) if m.default)
    _row("pays with", f"{default.label}, the saved card")
    payments = kit.billing.pay_all_outstanding(
        acme.id, method_id=default.id, idempotency_key=f"tour-all-{acme.id}", actor=admin
    )
    for payment in payments:
        _row("charged", f"{payment.number}, {payment.amount}: one charge for the currency")
    if not payments:
        _row("charged", "nothing: everything is paid", _ALREADY)
    left = kit.billing.dashboard(acme.id, actor=admin).outstanding
    _row("outstanding now", "nothing" if not left else ", ".join(str(o.total) for o in left))

    _section("The statement, in English and in German")
    today = kit.now().date()
    for locale in ("en_US", "de_DE"):
        header, entries = kit.billing.statement(
            acme.id, today - timedelta(days=31), today, currency="USD", actor=admin
        )
        print()
        for line in "".join(pk.render_statement_text(header, entries, locale=locale)).splitlines():
            print(f"  {line}".rstrip())


# --- the tour: mapping customers to partners -------------------------------------------------

_ACME_ADMIN = "it@acme.example"
_GLOBEX_ADMIN = "it@globex.example"

#: How a person names the way a mapping came about.
_CHANNEL_WORDS: dict[Channel, str] = {
    Channel.SIGNUP_LINK: "through the partner's sign-up link",
    Channel.NEW_ACCOUNT: "on an account the partner set up",
    Channel.TAG: "by Tag a Partner",
    Channel.PARTNER_ADDED: "added by the partner",
    Channel.TRANSFER: "by a transfer",
    Channel.WRITTEN_CONSENT: "on the customer's written consent",
}


def _mapping_tour(
    kit: pk.Kit,
    zillium: pk.Partner,
    nimbus: pk.Partner,
    stranger: pk.Partner,
    acme: pk.Customer,
) -> None:
    _tag_a_partner(kit, acme)
    globex = _partner_adds_a_customer(kit, nimbus)
    _tracking_list(kit, zillium, globex)
    _who_sees_what(kit, stranger, acme)
    _signup_link_revoked(kit, zillium)
    _asked_then_declined(kit, nimbus, acme)
    _commission_statement(kit, zillium, acme)


def _partner_name(kit: pk.Kit, partner_id: str) -> str:
    return kit.partners.get(partner_id, actor=_TEAM).name


def _tag_a_partner(kit: pk.Kit, acme: pk.Customer) -> None:
    _row("customer", f"{acme.name}, admin {_ACME_ADMIN}")
    _row("tries", "dev@acme.example tags ZILLIUMCorp for crm (not an admin)")
    try:
        kit.mapping.tag_partner(
            acme.id,
            "crm",
            "ZILLIUMCorp",
            actor=_as_user(acme, "dev@acme.example"),
        )
    except NotCustomerAdminError as exc:
        _error_rows(exc)
    before = kit.mapping.partner_of_record(acme.id, "crm", actor=_TEAM)
    if before is None:
        interval = kit.mapping.tag_partner(
            acme.id, "crm", "ZILLIUMCorp", actor=_as_user(acme, _ACME_ADMIN)
        )
        note = "(tagged)"
    else:
        interval = before
        note = _ALREADY
    _row("tags", f"{_ACME_ADMIN} tags ZILLIUMCorp for crm", note)
    _row(
        "partner of record",
        f"{_partner_name(kit, interval.partner_id)} for {interval.product}, "
        f"{_CHANNEL_WORDS[interval.channel]}, since {interval.valid_from.date().isoformat()}",
    )


def _partner_adds_a_customer(kit: pk.Kit, nimbus: pk.Partner) -> pk.Customer:
    globex = kit.customers.find_by_user_email(_GLOBEX_ADMIN, actor=_TEAM)
    if globex is None:
        globex = kit.customers.create(name="Globex", admin_email=_GLOBEX_ADMIN, actor=_TEAM)
        globex = kit.customers.set_plan(globex.id, "books", pk.Edition.FREE, actor=_TEAM)
        _row("customer", f"{globex.name}, free edition of books", "(created)")
    else:
        _row("customer", f"{globex.name}, free edition of books", _ALREADY)
    _row("partner adds", f"{nimbus.name} adds {globex.name} for books")
    before = kit.mapping.partner_of_record(globex.id, "books", actor=_TEAM)
    if before is not None:  # a rerun: explain_add would describe a new mapping made today
        _mapped_row(kit, before, _ALREADY)
        return globex
    try:
        decision = kit.mapping.explain_add(nimbus.id, globex.id, "books", actor=_as_partner(nimbus))
    except ProductNotAuthorisedError as exc:  # a database from an older tour: no expertise
        _error_rows(exc)
        return globex
    _row("case", decision.case.value)
    _row("confirmation", "needed" if decision.needs_confirmation else "not needed")
    for reason in decision.reasons:
        _row("  why", reason)
    result = kit.mapping.add_customer(nimbus.id, globex.id, "books", actor=_as_partner(nimbus))
    if result.interval is not None:
        _mapped_row(kit, result.interval, "(added)")
    else:  # pragma: no cover - Globex is free: no confirmation needed
        _row("mapped", "not yet: a confirmation email went to the customer")
    return globex


def _mapped_row(kit: pk.Kit, interval: MappingInterval, note: str) -> None:
    until = interval.provisional_until
    status = interval.status.value + ("" if until is None else f" until {until.isoformat()}")
    partner = _partner_name(kit, interval.partner_id)
    _row("mapped", f"{partner} for {interval.product}, {status}", note)


def _tracking_list(kit: pk.Kit, zillium: pk.Partner, globex: pk.Customer) -> None:
    """001: a partner tracks a user who is not its customer yet; the tag moves the entry to
    its customer listing. A customer already mapped to the partner is not tracked again."""
    current = kit.mapping.partner_of_record(globex.id, "crm", actor=_TEAM)
    if current is not None and current.partner_id == zillium.id:  # a rerun
        _row("tracks", f"{zillium.name} tracked {_GLOBEX_ADMIN} on an earlier run", _ALREADY)
        _row("tags", f"{_GLOBEX_ADMIN} tags ZILLIUMCorp for crm", _ALREADY)
    else:
        outbox_before = len(kit.outbox())
        kit.mapping.track(zillium.id, _GLOBEX_ADMIN, actor=_as_partner(zillium))
        sent = len(kit.outbox()) - outbox_before
        _row("tracks", f"{zillium.name} tracks {_GLOBEX_ADMIN}, not its customer yet")
        _row("emails sent", "none" if sent == 0 else str(sent))
        _row(
            "tracking list",
            ", ".join(
                e.email for e in kit.mapping.tracking_list(zillium.id, actor=_as_partner(zillium))
            ),
        )
        kit.mapping.tag_partner(
            globex.id, "crm", "ZILLIUMCorp", actor=_as_user(globex, _GLOBEX_ADMIN)
        )
        _row("tags", f"{_GLOBEX_ADMIN} tags ZILLIUMCorp for crm", "(tagged)")
    tracked = kit.mapping.tracking_list(zillium.id, actor=_as_partner(zillium))
    _row("tracking list", ", ".join(e.email for e in tracked) or "empty: moved to the customers")
    customers = kit.mapping.customers_of(zillium.id, actor=_as_partner(zillium))
    _row(
        "customers",
        f"customers of {zillium.name}: "
        + ", ".join(f"{c.customer_name} ({c.product})" for c in customers),
    )


def _who_sees_what(kit: pk.Kit, stranger: pk.Partner, acme: pk.Customer) -> None:
    """A partner with no tie to Acme gets the answer a missing account gets, and tracking an
    email tells it no account id."""
    _row("looks up", f"{stranger.name} asks for the account of {acme.name} (no tie to it)")
    try:
        kit.customers.get(acme.id, actor=_as_partner(stranger))
    except pk.NotFoundError as exc:
        _row("error code", exc.code)
        _row("same as", "the answer for an account that does not exist")
    else:  # pragma: no cover - the guard makes this unreachable
        _row("unexpected", "the account was shown")
    entry = kit.mapping.track(stranger.id, _ACME_ADMIN, actor=_as_partner(stranger))
    shown = "not shown" if entry.customer_id is None else "shown"
    _row("tracks", f"{stranger.name} tracks {entry.email}: tracked, account id {shown}")


def _signup_link_revoked(kit: pk.Kit, zillium: pk.Partner) -> None:
    link = kit.mapping.signup_link(zillium.id, "crm", actor=_as_partner(zillium))
    # The token is the partner's secret: the tour never prints it.
    masked = link.url("https://zillium.example/start").replace(link.token, "…")
    _row("sign-up link", masked)
    if link.expires_at is not None:
        days = round((link.expires_at - kit.clock.now()) / timedelta(days=1))
        _row("valid until", f"{link.expires_at.date().isoformat()} (a link works for {days} days)")
    kit.mapping.revoke_signup_link(link.token, actor=_as_partner(zillium))
    _row("revoked", f"by {zillium.name}")
    _row("signs up", "a visitor opens the revoked link")
    try:
        kit.mapping.sign_up(link.token, name="Hooli", admin_email="it@hooli.example")
    except SignupLinkRevokedError as exc:
        _error_rows(exc)
    else:  # pragma: no cover - a revoked link is refused
        _row("unexpected", "the revoked link worked")


def _asked_then_declined(kit: pk.Kit, nimbus: pk.Partner, acme: pk.Customer) -> None:
    """000 case 1: a customer paid for a while is asked first; here its admin declines, and
    the partner is told."""
    paid_since = kit.today() - timedelta(days=60)
    acme = kit.customers.set_plan(acme.id, "books", pk.Edition.PAID, since=paid_since, actor=_TEAM)
    _row("asks", f"{nimbus.name} asks to be {acme.name}'s partner for books (paid 60+ days)")
    try:
        result = kit.mapping.add_customer(nimbus.id, acme.id, "books", actor=_as_partner(nimbus))
    except (ProductNotAuthorisedError, CustomerMappedToAnotherPartnerError) as exc:
        _error_rows(exc)  # a database from an older tour
        return
    if result.request is None:  # pragma: no cover - Acme has been paid for 60 days
        return
    admins = ", ".join(u.email for u in acme.admins)
    _row("approval email", f"to every admin: {admins}")
    kit.mapping.cancel_request(result.request.id, actor=_as_user(acme, _ACME_ADMIN))
    _row("declines", f"{_ACME_ADMIN} cancels the request")
    _row("told", f"{nimbus.name} ({nimbus.email}), by email")


def _commission_statement(kit: pk.Kit, zillium: pk.Partner, acme: pk.Customer) -> None:
    plan = kit.commissions.plan(zillium.id, actor=_TEAM)
    if plan is None:
        plan = kit.commissions.set_plan(zillium.id, rate=20, actor=_TEAM)
        note = "(set)"
    else:
        note = _ALREADY
    _row("commission plan", f"{zillium.name} earns {plan.rate}% of collected payments", note)
    interval = kit.mapping.partner_of_record(acme.id, "crm", actor=_TEAM)
    if interval is None:  # pragma: no cover - _tag_a_partner mapped Acme above
        return
    # The payment is dated when the mapping started, so a rerun books the very same transaction.
    txn = f"tour-{acme.name.lower()}-crm-1"
    ledger = kit.commissions.entries(zillium.id, actor=_as_partner(zillium))
    booked = any(e.transaction_id == txn for e in ledger)
    amount = pk.Money.of("100.00", "USD")
    kit.commissions.accrue(
        acme.id,
        "crm",
        transaction_id=txn,
        amount=amount,
        occurred_at=interval.valid_from,
        actor=_BILLING,
    )
    _row("payment", f"{acme.name} pays {amount} for crm", _ALREADY if booked else "(booked)")
    start = interval.valid_from.date()
    statement = kit.commissions.statement(
        zillium.id, start, max(start, kit.today()), actor=_as_partner(zillium)
    )
    _row("statement", f"{zillium.name}, {statement.start} to {statement.end}")
    for line in statement.lines:
        # The partner reads the names of its own customers.
        name = kit.customers.get(line.customer_id, actor=_as_partner(zillium)).name
        entries = f"{line.entries} {'entry' if line.entries == 1 else 'entries'}"
        _row("  line", f"{name} {line.product}: {line.commission} on {line.base} ({entries})")
    _row("  total", ", ".join(str(total) for total in statement.totals))


def _resellers_tour(kit: pk.Kit, gateway: pk.FakePaymentGateway) -> None:
    """The reseller portal (004 seed): an invited reseller's customers, tags, archive, an order
    and the migration of a large customer to a portal of its own; a rerun finds it done."""
    _section("The reseller portal")
    hooli = next((c for c in kit.customers.customers(actor=_TEAM) if c.name == "Hooli"), None)
    if hooli is not None:
        link = kit.resellers.get_customer(hooli.id, actor=_TEAM)
        orders = kit.resellers.orders(hooli.id, actor=_TEAM)
        _row("customer", "Hooli, in its own reseller portal since an earlier run", _ALREADY)
        _row("order history", f"{len(orders)} kept with it, archived: {link.archived}")
        return
    mailer = kit.mailer
    assert isinstance(mailer, pk.InMemoryMailer)
    reseller = kit.resellers.invite("Zillium Resale", "ops@zillium-resale.example", actor=_TEAM)
    token = mailer.to(reseller.email)[-1].context["token"]
    seller = kit.resellers.accept_invitation(token)
    _row("invited", f"{reseller.name} by email; the link opened its portal once")
    created = [
        kit.resellers.create_customer(
            reseller.id, name=name, email=f"it@{name.lower()}.example", actor=seller
        )
        for name in ("Hooli", "Initrode")
    ]
    first, second = created
    kit.resellers.update_details(
        first.id, contact_name="Gavin", shipping_city="Palo Alto", actor=seller
    )
    card = gateway.tokenize("4242 4242 4242 4242", 12, 2030)
    method = kit.billing.add_payment_method(first.id, card, actor=seller)
    _row("new customers", ", ".join(c.name for c in created), "(created)")
    _row("card", f"{method.label}, entered by the reseller for Hooli")
    kit.resellers.tag(reseller.id, [c.id for c in created], "Priority", actor=seller)
    kit.resellers.tag(reseller.id, [first.id], "Large", actor=seller)
    both = kit.resellers.customers(
        reseller.id, tags=["priority", "large"], match="all", actor=seller
    )
    _row("tagged", f"priority and large: {', '.join(c.name for c in both)}")
    kit.resellers.archive(reseller.id, [second.id], actor=seller)
    shown = kit.resellers.customers(reseller.id, actor=seller)
    _row("archived", f"Initrode; the list shows {', '.join(c.name for c in shown)}")
    order = kit.resellers.place_order(
        first.id, [pk.OrderLine("crm", 12, pk.Money.of("49.99", "USD"))], actor=seller
    )
    kit.resellers.confirm_order(order.id, actor=seller)
    _row("sales order", f"12 crm seats for Hooli, {order.total}, confirmed")
    move = kit.resellers.migrate_to_reseller(first.id, actor=seller)
    _row("migrated", f"Hooli to its own portal by {move.migrated_by}", "(done)")
    try:
        kit.resellers.cancel_order(order.id, actor=seller)
    except PartnerkitError as exc:
        _error_rows(exc)


# --- the tour: a subscription's life ------------------------------------------------------------

_HELPDESK_PLAN = "helpdesk-pro"


def _helpdesk_catalog(kit: pk.Kit) -> None:
    """The lifecycle chapter's catalog: a monthly plan with a trial and a setup fee, seats as an
    addon, and a welcome coupon, on a product of its own."""
    usd = pk.Money.of
    kit.subscriptions.add_plan(
        _HELPDESK_PLAN,
        product="helpdesk",
        name="Helpdesk Pro",
        price=usd("30.00", "USD"),
        period=pk.BillingPeriod(pk.IntervalUnit.MONTH, 1),
        trial=14,
        setup_fee=usd("10.00", "USD"),
        actor=_TEAM,
    )
    kit.subscriptions.add_addon(
        "agents", product="helpdesk", name="Extra agents", price=usd("5.00", "USD"), actor=_TEAM
    )
    welcome = pk.Coupon.create(
        id="cpn_tour_welcome",
        code="WELCOME",
        name="Welcome: half off twice",
        kind=pk.DiscountKind.PERCENTAGE,
        percentage=50,
        duration=pk.CouponDuration.CYCLES,
        cycles=2,
    )
    kit.subscriptions.add_coupon(welcome, product="helpdesk", actor=_TEAM)


def _subscribe_acme(kit: pk.Kit, acme: pk.Customer) -> pk.Subscription:
    return kit.subscriptions.create(
        acme.id,
        _HELPDESK_PLAN,
        addons=[("agents", 2)],
        coupons=["WELCOME"],
        auto_charge=True,
        actor=_TEAM,
    )


def _invoice_rows(kit: pk.Kit, subscription: pk.Subscription, actor: pk.Principal) -> None:
    for period in kit.subscriptions.periods(subscription.id, actor=actor):
        invoice = kit.billing.get_invoice(period.invoice_id, actor=actor)
        _row(
            invoice.number,
            f"{period.period_start.isoformat()} to {period.period_end.isoformat()}, "
            f"{invoice.total}, {invoice.status.value}",
        )


def _subscriptions_tour(kit: pk.Kit, acme: pk.Customer) -> None:
    """The subscription lifecycle (003 seed, "Manage Subscriptions"): a plan with a trial and a
    setup fee, a coupon, a trial converted with its preview, a cancellation scheduled and
    removed, on this database; then a year of renewals with a refused card on a simulated
    clock, in memory, so this database keeps its real time. A rerun finds the first part done."""
    admin = _as_user(acme, _ACME_ADMIN)
    _section("Subscriptions: a trial converted to live")
    _product(kit, "helpdesk", "Helpdesk")
    mine = [
        s for s in kit.subscriptions.subscriptions(acme.id, actor=admin) if s.product == "helpdesk"
    ]
    if mine:
        sub = mine[0]
        _row("plan", "Helpdesk Pro, 30.00 USD a month after a 14-day trial", _ALREADY)
        _row("subscription", f"Acme, {sub.status.value} since an earlier run", _ALREADY)
        _invoice_rows(kit, sub, admin)
    else:
        added = not kit.subscriptions.plans("helpdesk")
        if added:
            _helpdesk_catalog(kit)
        _row(
            "plan",
            "Helpdesk Pro, 30.00 USD a month after a 14-day trial",
            "(added)" if added else _ALREADY,
        )
        _row("setup fee", "10.00 USD, on the first invoice; extra agents 5.00 USD each")
        _row("coupon", "WELCOME: half off the plan for two terms")
        sub = _subscribe_acme(kit, acme)
        _row("subscription", f"Acme, {sub.status.value} until {sub.trial_end}", "(created)")
        buttons = kit.subscriptions.allowed_actions(sub.id, actor=admin)
        _row("Acme may", ", ".join(a.value.replace("_", " ") for a in buttons))
        preview = kit.subscriptions.preview_activate(sub.id, actor=admin)
        for line in preview.lines:
            _row("  preview", f"{line.description}: {line.total}")
        _row("  to pay", f"{preview.total}, charged to the saved card on converting")
        sub = kit.subscriptions.activate(sub.id, actor=admin)
        _row("converted", f"{sub.status.value} from {sub.term_start} to {sub.term_end}")
        _invoice_rows(kit, sub, admin)
        ending = kit.subscriptions.cancel(sub.id, at_term_end=True, actor=admin)
        _row("cancel", f"at the term's end: {ending.status.value.replace('_', '-')}")
        kept = kit.subscriptions.remove_scheduled_cancellation(sub.id, actor=admin)
        _row("kept", f"the scheduled cancellation removed: {kept.status.value} again")
    try:
        kit.subscriptions.activate(sub.id, actor=admin)
    except PartnerkitError as exc:
        _error_rows(exc)

    _section("Subscriptions: a year on a simulated clock")
    clock = pk.SimulatedClock(kit.now())
    card = pk.FakePaymentGateway(clock=clock)
    with pk.connect("memory://", clock=clock, payment_gateway=card) as year:
        _product(year, "helpdesk", "Helpdesk")
        _helpdesk_catalog(year)
        scratch = year.customers.create(name="Acme", admin_email=_ACME_ADMIN, actor=_TEAM)
        token = card.tokenize("4242 4242 4242 4242", 12, 2030)
        year.billing.add_payment_method(scratch.id, token, actor=_TEAM)
        sub = _subscribe_acme(year, scratch)
        _row("where", "a scratch kit in memory: this database keeps its real time")
        start = sub.term_start
        # The trial ends unconverted: the first term is charged at its end. The fourth
        # renewal's card is declined once; the retry a day later goes through.
        year.advance_to(start + timedelta(days=100))
        card.next_charges(pk.FakeOutcome.DECLINE)
        fourth = year.subscriptions.get(sub.id, actor=_TEAM).term_end
        year.advance_to(fourth)
        dunning = year.subscriptions.get(sub.id, actor=_TEAM)
        retry = dunning.charge_at.date().isoformat() if dunning.charge_at else "none"
        _row(
            f"on {fourth.isoformat()}",
            f"the card is declined: {dunning.status.value}, retry on {retry}",
        )
        year.advance_to(fourth + timedelta(days=1))
        after = year.subscriptions.get(sub.id, actor=_TEAM)
        _row("a day later", f"the retry is paid: {after.status.value}")
        year.advance_to(start + timedelta(days=365))
        _invoice_rows(year, sub, _TEAM)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Partners and their codes: `kit.partners` (registration, sign-in checks, issuing and retiring
codes) and the checks every mapping flow runs on a partner (active, acting, authorised).

The rules for the text of a code live in `mapping.codes`; this module owns who holds which.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.access.principal import require_principal
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.errors import InvalidInputError
from partnerkit.mapping.codes import CodeAdvice, advise_code, canonical_key, validate_code
from partnerkit.mapping.errors import (
    CodeTakenError,
    PartnerDeactivatedError,
    PartnerNotFoundError,
    ProductNotAuthorisedError,
    UnknownCodeError,
    UsernameRequiredError,
    UsernameTakenError,
)
from partnerkit.mapping.events import (
    PartnerCodeIssued,
    PartnerDeactivated,
    PartnerReactivated,
    PartnerRegistered,
)
from partnerkit.mapping.policy import PartnerActivity
from partnerkit.mapping.ports import PartnersStore
from partnerkit.runtime import Runtime

__all__ = [
    "DirectoryEntry",
    "Partner",
    "PartnerCode",
    "PartnerCodeStatus",
    "PartnerKind",
    "PartnerStatus",
    "PartnersService",
    "acting_partner",
    "active_partner_by_code",
    "authorised_product",
    "load_partner",
    "normalize_username",
    "partner_by_code",
    "partner_not_found",
    "require_active",
    "unseen_partner",
]


class PartnerKind(enum.StrEnum):
    RESELLER = "reseller"
    #: A consultant or service partner: implements and supports, earns on its customers.
    SERVICE_PARTNER = "service_partner"
    #: Referral only: brings customers through its sign-up link, never manages accounts.
    AFFILIATE = "affiliate"


class PartnerStatus(enum.StrEnum):
    ACTIVE = "active"
    #: Deactivated by the partner team (for instance after long inactivity, 000 seed).
    DEACTIVATED = "deactivated"


class PartnerCodeStatus(enum.StrEnum):
    ACTIVE = "active"
    #: Retired codes stay stored so that no one is ever issued the same code again.
    RETIRED = "retired"


@attrs.frozen
class Partner:
    """A partner: a reseller, service partner or affiliate, with its regions and expertise."""

    id: str
    name: str
    email: str
    kind: PartnerKind
    created_at: datetime
    last_active_at: datetime
    username: str | None = None
    email_domains: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    status: PartnerStatus = PartnerStatus.ACTIVE
    version: int = 1

    @property
    def is_active(self) -> bool:
        return self.status is PartnerStatus.ACTIVE


@attrs.frozen
class PartnerCode:
    """A code as issued: `code` as the partner typed it, `key` as codes are compared."""

    key: str
    code: str
    partner_id: str
    issued_at: datetime
    status: PartnerCodeStatus = PartnerCodeStatus.ACTIVE
    retired_at: datetime | None = None


@attrs.frozen
class DirectoryEntry:
    """A partner as the public directory shows it: who, where, on what, and the code to tag."""

    partner_id: str
    name: str
    kind: PartnerKind
    code: str | None
    regions: tuple[str, ...]
    expertise: tuple[str, ...]


def normalize_username(value: object, field: str = "username") -> str:
    """Usernames compare case-insensitively, so they are stored case-folded."""
    cleaned = validate.text(value, field, max_length=30).casefold()
    allowed = all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in cleaned)
    if len(cleaned) < 3 or not allowed or not cleaned[0].isalnum():
        raise InvalidInputError(
            f"{field} {cleaned!r} must be 3 to 30 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field=field,
        )
    return cleaned


class PartnersService:
    """`kit.partners`: the partner program's accounts and codes."""

    def __init__(
        self,
        runtime: Runtime[PartnersStore],
        *,
        inactivity_months: int = 12,
        activity: Iterable[PartnerActivity] = frozenset(PartnerActivity),
    ) -> None:
        self._rt = runtime
        self.inactivity_months = inactivity_months
        #: What keeps a partner active (`MappingPolicy.activity`).
        self.activity = frozenset(activity)

    # --- accounts -----------------------------------------------------------------------------

    def register(
        self,
        *,
        name: str,
        email: str,
        username: str | None = None,
        kind: PartnerKind | str = PartnerKind.RESELLER,
        email_domains: Iterable[str] = (),
        regions: Iterable[str] = (),
        expertise: Iterable[str] = (),
        actor: Principal,
    ) -> Partner:
        """Register a partner (staff, or the system for a sign-up flow). `username` may be left
        out by the sign-up flow, but the partner cannot sign in to the portal until one is set
        (000 seed)."""
        name = validate.text(name, "name")
        email = validate.email(email)
        uname = None if username is None else normalize_username(username)
        try:
            kind = PartnerKind(kind)
        except ValueError:
            raise InvalidInputError(
                f"kind must be one of {', '.join(k.value for k in PartnerKind)}", field="kind"
            ) from None
        domains = validate.texts(email_domains, "email_domains", validate.domain)
        if not domains:
            domains = (email.rsplit("@", 1)[1],)
        region_codes = validate.texts(regions, "regions", validate.region)
        products = validate.texts(expertise, "expertise", validate.key)
        now = self._rt.now()
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "register a partner")
            for i, product in enumerate(products):
                if uow.products.get(product) is None:
                    raise ProductNotFoundError(
                        f"expertise names an unknown product {product!r}",
                        details={"field": f"expertise[{i}]", "key": product},
                    )
            if uname is not None and uow.partners.get_by_username(uname) is not None:
                raise UsernameTakenError(
                    f"the username {uname!r} is taken", details={"field": "username"}
                )
            partner = Partner(
                id=self._rt.new_id("ptr"),
                name=name,
                email=email,
                kind=kind,
                created_at=now,
                last_active_at=now,
                username=uname,
                email_domains=domains,
                regions=region_codes,
                expertise=products,
            )
            uow.partners.add(partner)
            self._rt.publish(uow, PartnerRegistered(partner.id, name))
        return partner

    def get(self, partner_id: str, *, actor: Principal) -> Partner:
        """The partner's account: for its own users, staff and the system; to anyone else it
        is missing (the public `directory` shows what others may know)."""
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            return load_partner(uow, partner_id)

    def partners(self, *, status: PartnerStatus | None = None, actor: Principal) -> list[Partner]:
        """Every partner account (staff and the system)."""
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "list the partner accounts")
            return uow.partners.all(status=None if status is None else _status(status))

    def set_username(self, partner_id: str, username: str, *, actor: Principal) -> Partner:
        """The remedy for UsernameRequiredError: give the account its portal username."""
        uname = normalize_username(username)
        with self._rt.uow() as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            partner = load_partner(uow, partner_id)
            holder = uow.partners.get_by_username(uname)
            if holder is not None and holder.id != partner.id:
                raise UsernameTakenError(
                    f"the username {uname!r} is taken", details={"field": "username"}
                )
            return uow.partners.update(attrs.evolve(partner, username=uname))

    def check_sign_in(self, login: str) -> Partner:
        """May this partner sign in to the partner portal? Returns the partner, or raises.

        `login` is the username or the contact email. Credentials are the portal's concern;
        this checks the account rules of the 000 seed: a username is mandatory, and a
        deactivated account must be reactivated by the partner team first.
        """
        login = validate.text(login, "login", max_length=254)
        with self._rt.uow() as uow:
            partner = (
                uow.partners.get_by_email(login.lower())
                if "@" in login
                else uow.partners.get_by_username(login.casefold())
            )
            if partner is None:
                raise PartnerNotFoundError("no partner account with that login")
            if partner.username is None:
                raise UsernameRequiredError(
                    "Username is mandatory in the partner portal; this account has none yet",
                    details={"partner_id": partner.id},
                )
            if not partner.is_active:
                raise PartnerDeactivatedError(
                    "this partner account was deactivated by the partner team",
                    details={"partner_id": partner.id},
                )
            # Signing in is activity: it keeps the account clear of the inactivity rule.
            if PartnerActivity.SIGN_IN not in self.activity:
                return partner
            uow.partners.touch(partner.id, self._rt.now())
            return attrs.evolve(partner, last_active_at=max(partner.last_active_at, self._rt.now()))

    # --- the partner team: status and the inactivity rule (000 seed) --------------------------

    def deactivate(self, partner_id: str, *, reason: str, actor: Principal) -> Partner:
        """Deactivate an account (the partner team): it can no longer sign in, tag, add or
        track."""
        why = validate.text(reason, "reason", max_length=500)
        with self._rt.uow() as uow:
            operator = self._rt.guard.require_staff(actor, "deactivate a partner account")
            partner = load_partner(uow, partner_id)
            if not partner.is_active:
                return partner
            updated = uow.partners.update(attrs.evolve(partner, status=PartnerStatus.DEACTIVATED))
            self._rt.publish(
                uow,
                PartnerDeactivated(partner.id, why, operator.label),
            )
        return updated

    def reactivate(self, partner_id: str, *, actor: Principal) -> Partner:
        """The partner team's answer to a reactivation request (000 seed). The clock of the
        inactivity rule restarts now."""
        with self._rt.uow() as uow:
            operator = self._rt.guard.require_staff(actor, "reactivate a partner account")
            partner = load_partner(uow, partner_id)
            if partner.is_active:
                return partner
            updated = uow.partners.update(
                attrs.evolve(partner, status=PartnerStatus.ACTIVE, last_active_at=self._rt.now())
            )
            self._rt.publish(
                uow,
                PartnerReactivated(partner.id, operator.label),
            )
        return updated

    def next_inactivity_due(self) -> datetime | None:
        with self._rt.uow(readonly=True) as uow:
            oldest = uow.partners.oldest_activity()
        return None if oldest is None else oldest + relativedelta(months=self.inactivity_months)

    def deactivate_inactive(self, now: datetime) -> int:
        """Deactivate partners inactive for longer than the policy's limit (12 months):
        no activity of the kinds `MappingPolicy.activity` counts (by default: signing in,
        acting in the program, a customer of record paying)."""
        limit = relativedelta(months=self.inactivity_months)
        with self._rt.uow() as uow:
            # Month arithmetic does not invert at month ends (Feb 29 + 12 months - 12 months
            # is Feb 28), so fetch a little wide and decide exactly per partner.
            idle = [
                p
                for p in uow.partners.idle_since(now - limit + timedelta(days=3))
                if p.last_active_at + limit <= now
            ]
            for partner in idle:
                uow.partners.update(attrs.evolve(partner, status=PartnerStatus.DEACTIVATED))
                self._rt.publish(
                    uow,
                    PartnerDeactivated(
                        partner.id, f"inactive for {self.inactivity_months} months", "partnerkit"
                    ),
                )
        return len(idle)

    def directory(
        self, *, region: str | None = None, expertise: str | None = None
    ) -> list[DirectoryEntry]:
        """Active partners with their codes (001 seed), by region and product if asked."""
        wanted_region = validate.region(region, "region") if region is not None else None
        wanted_product = validate.key(expertise, "expertise") if expertise is not None else None
        with self._rt.uow(readonly=True) as uow:
            codes = {c.partner_id: c.code for c in uow.codes.active()}
            partners = uow.partners.all(status=PartnerStatus.ACTIVE)
        return [
            DirectoryEntry(p.id, p.name, p.kind, codes.get(p.id), p.regions, p.expertise)
            for p in partners
            if (wanted_region is None or wanted_region in p.regions)
            and (wanted_product is None or wanted_product in p.expertise)
        ]

    # --- codes --------------------------------------------------------------------------------

    def issue_code(
        self, partner_id: str, code: str, *, replace: bool = False, actor: Principal
    ) -> PartnerCode:
        """Issue `code` to the partner. Codes are unique forever: compared case-insensitively
        with look-alike characters folded, and a retired code is never issued again.

        A partner holds one active code; `replace=True` retires the current one in the same
        transaction. Issuing the partner's own active code again returns it unchanged.
        """
        replace = validate.flag(replace, "replace")
        display = validate_code(code)
        key = canonical_key(display)
        with self._rt.uow() as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            partner = load_partner(uow, partner_id)
            require_active(partner)
            if PartnerActivity.PARTNER_ACTION in self.activity:
                uow.partners.touch(partner.id, self._rt.now())
            existing = uow.codes.get(key)
            if existing is not None:
                if (
                    existing.partner_id == partner.id
                    and existing.status is PartnerCodeStatus.ACTIVE
                ):
                    return existing
                raise CodeTakenError(
                    f"the code {display!r} is already issued or looks the same as one that is",
                    details={"field": "code", "code": display},
                )
            now = self._rt.now()
            for current in uow.codes.for_partner(partner.id):
                if current.status is PartnerCodeStatus.ACTIVE:
                    if not replace:
                        raise CodeTakenError(
                            f"{partner.name} already holds the code {current.code!r}",
                            details={"field": "code", "current": current.code},
                            remedy="Pass replace=True to retire the current code and issue "
                            "this one.",
                        )
                    uow.codes.update(
                        attrs.evolve(current, status=PartnerCodeStatus.RETIRED, retired_at=now)
                    )
            issued = PartnerCode(key=key, code=display, partner_id=partner.id, issued_at=now)
            uow.codes.add(issued)
            self._rt.publish(
                uow,
                PartnerCodeIssued(partner.id, display),
            )
        return issued

    def retire_code(self, code: str, *, actor: Principal) -> PartnerCode:
        """Retire a code for good: it stops working and is never issued again. By the partner
        holding it, staff or the system; to anyone else the code is unknown."""
        principal = require_principal(actor)
        key = canonical_key(validate.text(code, "code", max_length=100))
        with self._rt.uow() as uow:
            found = uow.codes.get(key)
            if found is None or not self._rt.guard.acts_for_partner(principal, found.partner_id):
                raise UnknownCodeError(f"no partner code {code!r}", details={"field": "code"})
            if found.status is PartnerCodeStatus.RETIRED:
                return found
            retired = attrs.evolve(
                found, status=PartnerCodeStatus.RETIRED, retired_at=self._rt.now()
            )
            uow.codes.update(retired)
        return retired

    def codes(self, partner_id: str, *, actor: Principal) -> list[PartnerCode]:
        """Every code the partner was issued, retired ones included."""
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            load_partner(uow, partner_id)
            return uow.codes.for_partner(partner_id)

    def find_by_code(self, code: str) -> Partner:
        """The partner holding `code` (any case, look-alikes folded); retired codes are unknown."""
        with self._rt.uow(readonly=True) as uow:
            return partner_by_code(uow, code)

    def advise_code(self, text: str, *, company: str | None = None) -> CodeAdvice:
        """Explain what makes `text` hard to remember and suggest free, better codes."""
        text = validate.text(text, "text", max_length=200, required=False)
        company = None if company is None else validate.text(company, "company")
        with self._rt.uow(readonly=True) as uow:
            return advise_code(
                text, company=company, taken=lambda c: uow.codes.get(canonical_key(c)) is not None
            )


def _status(value: object) -> PartnerStatus:
    try:
        return PartnerStatus(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise InvalidInputError(
            "status must be 'active' or 'deactivated'", field="status"
        ) from None


def load_partner(uow: PartnersStore, partner_id: str) -> Partner:
    """The partner, or PartnerNotFoundError (also for a non-string id)."""
    partner = uow.partners.get(partner_id) if validate.is_ref(partner_id) else None
    if partner is None:
        raise partner_not_found(partner_id)
    return partner


def partner_not_found(partner_id: object) -> PartnerNotFoundError:
    """The answer for a missing partner, and for one the actor may not act for: the same class,
    message and details, built from the id the caller gave."""
    return PartnerNotFoundError(f"no partner {partner_id!r}", details={"partner_id": partner_id})


def unseen_partner(partner_id: object) -> Callable[[], PartnerNotFoundError]:
    """For the guard: the answer a missing partner gets, given to one the actor may not act
    for (the guard builds it only when it refuses)."""
    return lambda: partner_not_found(partner_id)


def require_active(partner: Partner) -> None:
    """A deactivated partner may not act (000 seed): sign in, tag, add or track."""
    if not partner.is_active:
        raise PartnerDeactivatedError(
            f"the partner account of {partner.name} is deactivated",
            details={"partner_id": partner.id},
        )


def partner_by_code(uow: PartnersStore, code: str) -> Partner:
    """The partner holding `code` (any case, look-alikes folded); retired codes are unknown."""
    key = canonical_key(validate.text(code, "code", max_length=100))
    found = uow.codes.get(key)
    if found is None or found.status is not PartnerCodeStatus.ACTIVE:
        raise UnknownCodeError(f"no partner has the code {code!r}", details={"field": "code"})
    return load_partner(uow, found.partner_id)


def active_partner_by_code(uow: PartnersStore, code: str) -> Partner:
    """As `partner_by_code`, refusing a deactivated partner (it may not be tagged)."""
    partner = partner_by_code(uow, code)
    require_active(partner)
    return partner


def acting_partner(
    uow: PartnersStore, partner_id: str, now: datetime, *, touch: bool = True
) -> Partner:
    """The partner doing something: it must be active, and with `touch` its activity is
    recorded (so that acting keeps it clear of the inactivity rule)."""
    partner = load_partner(uow, partner_id)
    require_active(partner)
    if touch:
        uow.partners.touch(partner.id, now)
    return partner


def authorised_product(uow: PartnersStore, partner: Partner, product: str) -> str:
    """The catalog key of `product`, if the partner works on it: partners map customers only
    for the products of their expertise. Raises ProductNotFoundError or
    ProductNotAuthorisedError."""
    key = validate.text(product, "product", max_length=40)
    if uow.products.get(key) is None:
        raise ProductNotFoundError(
            f"no product with key {key!r}", details={"field": "product", "key": key}
        )
    if key not in partner.expertise:
        raise ProductNotAuthorisedError(
            f"{partner.name} does not work on {key}",
            details={"partner_id": partner.id, "product": key},
        )
    return key

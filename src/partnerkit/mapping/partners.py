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
    HOLDS_A_CODE_HINT,
    HOLDS_A_CODE_REMEDY,
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
    "active_code",
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
    """What kind of partner it is: reseller, service partner or affiliate."""

    RESELLER = "reseller"
    #: A consultant or service partner: implements and supports, earns on its customers.
    SERVICE_PARTNER = "service_partner"
    #: Referral only: brings customers through its sign-up link, never manages accounts.
    AFFILIATE = "affiliate"


class PartnerStatus(enum.StrEnum):
    """Whether a partner account may act: active, or deactivated by the partner team."""

    ACTIVE = "active"
    #: Deactivated by the partner team (for instance after long inactivity, 000 seed).
    DEACTIVATED = "deactivated"


class PartnerCodeStatus(enum.StrEnum):
    """Whether a code finds its partner (active) or was retired for good."""

    ACTIVE = "active"
    #: Retired codes stay stored so that no one is ever issued the same code again.
    RETIRED = "retired"


@attrs.frozen
class Partner:
    """A partner: a reseller, service partner or affiliate, with its regions and expertise.

    Attributes:
        id: The partner's id.
        name: The company's name.
        email: The contact email.
        kind: Reseller, service partner or affiliate.
        created_at: When it was registered.
        last_active_at: Its last activity, which the inactivity rule counts from.
        username: The portal username; None until set (it cannot sign in before).
        email_domains: Its email domains.
        regions: ISO 3166 country codes where it works.
        expertise: The catalog keys of the products it works on, and may map customers for.
        status: Active or deactivated.
        version: Increases with each change (optimistic concurrency).
    """

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
        """Whether the account is active: only an active partner signs in, is tagged or acts."""
        return self.status is PartnerStatus.ACTIVE


@attrs.frozen
class PartnerCode:
    """A partner code as issued.

    Attributes:
        key: How codes are compared (`canonical_key`): case-folded, look-alikes folded.
        code: The code as the partner typed it, shown to customers.
        partner_id: The partner holding it.
        issued_at: When it was issued.
        status: Active or retired.
        retired_at: When it was retired; None while active.
    """

    key: str
    code: str
    partner_id: str
    issued_at: datetime
    status: PartnerCodeStatus = PartnerCodeStatus.ACTIVE
    retired_at: datetime | None = None


@attrs.frozen
class DirectoryEntry:
    """A partner as the public directory shows it: who, where, on what, and the code to tag it with.

    Attributes:
        partner_id: The partner's id.
        name: The company's name.
        kind: Reseller, service partner or affiliate.
        code: Its active code; None when it has none.
        regions: ISO 3166 country codes where it works.
        expertise: The products it works on.
    """

    partner_id: str
    name: str
    kind: PartnerKind
    code: str | None
    regions: tuple[str, ...]
    expertise: tuple[str, ...]


def _entry(partner: Partner, code: str | None) -> DirectoryEntry:
    return DirectoryEntry(
        partner.id, partner.name, partner.kind, code, partner.regions, partner.expertise
    )


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
    """`kit.partners`: partner accounts, the sign-in rules of the partner portal, and partner codes.

    The partner team registers partners (resellers, service partners, affiliates) with their regions
    and the products they work on. Each partner holds one active partner code at a time, which
    customers enter to tag it (001 seed); codes are unique forever. The 000 seed's account rules
    live here too: a username is mandatory to sign in, and a partner inactive for a long time is
    deactivated until the partner team reactivates it.
    """

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
        """Register a partner account (the partner team, or the system for a sign-up flow).

        000 seed: "Username is mandatory in Partner Portal." A sign-up flow may leave `username`
        out, but the partner cannot sign in (`check_sign_in`) until one is set with `set_username`.
        The partner works only on the products of its `expertise`: it can map customers for those
        alone.

        Args:
            name: The partner company's name.
            email: The partner's contact email.
            username: The portal username: 3 to 30 letters, digits, `.`, `_` or `-`, starting with a
                letter or digit; compared case-insensitively. None to set it later.
            kind: `PartnerKind.RESELLER`, `SERVICE_PARTNER` or `AFFILIATE` (or their values).
            email_domains: The partner's email domains; the contact email's domain when empty.
            regions: ISO 3166 country codes where it works, such as `["IN", "AE"]`.
            expertise: The catalog keys of the products it works on.
            actor: Who acts: staff or the system only.

        Returns:
            The new partner, active.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            ProductNotFoundError: `expertise` names a product not in the catalog
                (`catalog.product_not_found`).
            UsernameTakenError: Another partner has that username (`partner.username_taken`).
            InvalidInputError: A field is empty or malformed, or `kind` is unknown; `field` names it
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
            # The same form as a domain given outright: one rule for emails and domains.
            domains = (validate.domain_of(email),)
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
        """A partner's account, for its own users and the partner team.

        To anyone else it is missing; the public `directory` shows what others may know of partners.

        Args:
            partner_id: The partner's id.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            The partner.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            return load_partner(uow, partner_id)

    def partners(self, *, status: PartnerStatus | None = None, actor: Principal) -> list[Partner]:
        """Every partner account, for the partner team.

        Args:
            status: Only active or only deactivated partners; None for all.
            actor: Who asks: staff or the system only.

        Returns:
            The partners, ordered by name.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvalidInputError: `status` is not a `PartnerStatus` (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "list the partner accounts")
            return uow.partners.all(status=None if status is None else _status(status))

    def set_username(self, partner_id: str, username: str, *, actor: Principal) -> Partner:
        """Give a partner account its portal username: the remedy for `UsernameRequiredError`.

        Args:
            partner_id: The partner's id.
            username: 3 to 30 letters, digits, `.`, `_` or `-`, starting with a letter or digit;
                stored case-folded.
            actor: Who acts: the partner's own users, staff or the system.

        Returns:
            The partner with its username.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            UsernameTakenError: Another partner has that username (`partner.username_taken`).
            InvalidInputError: `username` breaks the rule above (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """Whether a partner may sign in to the partner portal, by the 000 seed's account rules.

        000 seed: "Username is mandatory in Partner Portal. If you have not provided the username
        during Sign Up process [...] you will be shown a clear error message with a link to provide
        the username", and "your partner account was deactivated by Partner team due to inactivity
        for a long time. In such a case, please send a mail to partner-team [...] for reactivation."
        Credentials are the portal's concern; call this once they check out. Signing in counts as
        the partner's activity for the inactivity rule.

        Args:
            login: The portal username or the partner's contact email.

        Returns:
            The partner, whose last activity is now.

        Raises:
            PartnerNotFoundError: No partner account has that login (`partner.not_found`).
            UsernameRequiredError: The account has no username yet; the remedy is `set_username`
                (`partner.username_required`).
            PartnerDeactivatedError: The partner team deactivated the account; the remedy is to ask
                them to reactivate it (`partner.deactivated`).
            InvalidInputError: `login` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        login = validate.text(login, "login", max_length=validate.EMAIL_MAX_LENGTH)
        with self._rt.uow() as uow:
            partner = (
                self._by_email(uow, login)
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

    @staticmethod
    def _by_email(uow: PartnersStore, login: str) -> Partner | None:
        # Compared in the stored form (`It@Bücher.example` is `it@bücher.example`); a login
        # that is no address at all names no account, like an unknown one.
        try:
            address = validate.email(login, "login")
        except InvalidInputError:
            return None
        return uow.partners.get_by_email(address)

    # --- the partner team: status and the inactivity rule (000 seed) --------------------------

    def deactivate(self, partner_id: str, *, reason: str, actor: Principal) -> Partner:
        """Deactivate a partner account: it can no longer sign in, be tagged, add or track.

        Its mappings stay, and so do its codes, but no customer can tag it. Deactivating an inactive
        account changes nothing. A `partner.deactivated` event records who and why.

        Args:
            partner_id: The partner's id.
            reason: Why, for the record; up to 500 characters.
            actor: Who acts: staff or the system only.

        Returns:
            The partner, deactivated.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            PartnerNotFoundError: No such partner (`partner.not_found`).
            InvalidInputError: `reason` is empty or too long (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """Reactivate a partner account: the partner team's answer to a reactivation request.

        000 seed: a partner deactivated for inactivity "please send a mail to partner-team [...] for
        reactivation". The inactivity clock restarts now. Reactivating an active account changes
        nothing.

        Args:
            partner_id: The partner's id.
            actor: Who acts: staff or the system only.

        Returns:
            The partner, active.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            PartnerNotFoundError: No such partner (`partner.not_found`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """When the inactivity rule next has work: the oldest activity plus the inactivity limit.

        `kit.run_due()` and `kit.advance_to()` ask it; a host does not need to.

        Returns:
            That instant, or None when no partner is active.

        Raises:
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            oldest = uow.partners.oldest_activity()
        return None if oldest is None else oldest + relativedelta(months=self.inactivity_months)

    def deactivate_inactive(self, now: datetime) -> int:
        """Deactivate the partners inactive for longer than the limit, as of `now` (000 seed).

        000 seed: a partner account may be "deactivated by Partner team due to inactivity for a long
        time". The limit is `MappingPolicy.inactivity_months` (12). Activity is what
        `MappingPolicy.activity` counts: by default signing in; the partner's own actions
        (issuing a code, making a sign-up link, setting up an account, adding or tracking a
        customer); and a payment of a customer it is of record for. Each deactivation publishes
        `partner.deactivated`, and the partner's requests waiting for a customer are withdrawn.
        `kit.run_due()` calls it.

        Args:
            now: The instant to apply the rule at.

        Returns:
            How many partners were deactivated.

        Raises:
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """The public partner listing: active partners with the code customers tag them with.

        001 seed: "we are planning to launch an updated and much more detailed partner listing. We
        will highlight your Partner Code here so that customers can easily look you up." No actor:
        the listing is public, and shows only what a partner shows the world (no email, no
        activity).

        Args:
            region: Only partners working in this ISO 3166 country code, such as `"IN"`.
            expertise: Only partners working on this product (a catalog key).

        Returns:
            The entries, ordered by partner name; `code` is None for a partner without an active
                code.

        Raises:
            InvalidInputError: `region` is not a 2-letter code, or `expertise` is malformed
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        wanted_region = validate.region(region, "region") if region is not None else None
        wanted_product = validate.key(expertise, "expertise") if expertise is not None else None
        with self._rt.uow(readonly=True) as uow:
            codes = {c.partner_id: c.code for c in uow.codes.active()}
            partners = uow.partners.all(status=PartnerStatus.ACTIVE)
        return [
            _entry(p, codes.get(p.id))
            for p in partners
            if (wanted_region is None or wanted_region in p.regions)
            and (wanted_product is None or wanted_product in p.expertise)
        ]

    # --- codes --------------------------------------------------------------------------------

    def issue_code(
        self, partner_id: str, code: str, *, replace: bool = False, actor: Principal
    ) -> PartnerCode:
        """Issue a partner code: what customers enter to tag the partner (001 seed).

        001 seed: "Partners need to generate a one-time unique Partner Code", and "Partner Codes
        should be simple and easy to remember. For example, for a partner company called Zillium,
        Code: "ZILLIUMCorp" is preferred over "Zillium_PremiumPartner123"." A code is 4 to 20 ASCII
        letters and digits with at least one letter, and no reserved word (`validate_code`). Codes
        are unique forever: compared case-insensitively with look-alike characters folded (O and 0;
        I, l and 1), and a retired code is never issued again. A partner holds one active code;
        `replace=True` retires the current one in the same transaction. Issuing the partner's own
        active code again returns it unchanged. `advise_code` suggests better, free codes.

        Args:
            partner_id: The partner's id.
            code: The code as the partner wants it shown, such as `"ZILLIUMCorp"`.
            replace: Retire the partner's current code and issue this one.
            actor: Who acts: the partner's own users, staff or the system.

        Returns:
            The issued code (or the partner's same active code).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            InvalidCodeError: The code breaks the rule above; the message says how
                (`partner_code.invalid`).
            ReservedCodeError: The code reads as a reserved word (`partner_code.reserved`).
            CodeTakenError: The code, or one that looks the same, was ever issued to anyone, or the
                partner holds another code and `replace` is False (`partner_code.taken`).
            InvalidInputError: `replace` is not a bool (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
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
            existing, current = uow.codes.issuing(key, partner.id)
            if existing is not None:
                if existing == current:
                    return existing
                raise CodeTakenError(
                    f"the code {display!r} is already issued, or looks the same as one that is",
                    details={"field": "code", "code": display},
                )
            now = self._rt.now()
            if current is not None:
                if not replace:
                    raise CodeTakenError(
                        f"{partner.name} already holds the code {current.code!r}",
                        details={"field": "code", "current": current.code},
                        remedy=HOLDS_A_CODE_REMEDY,
                        hint=HOLDS_A_CODE_HINT,
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
        """Retire a partner code for good: it stops finding the partner and is never issued again.

        Retiring a retired code changes nothing. To anyone but the holder and the partner team the
        code is unknown.

        Args:
            code: The code, in any case, look-alikes folded.
            actor: Who acts: the holding partner's users, staff or the system.

        Returns:
            The code, retired.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            UnknownCodeError: No such code, or one the actor does not hold (`partner_code.unknown`).
            InvalidInputError: `code` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """Every code the partner was ever issued, retired ones included.

        Args:
            partner_id: The partner's id.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            The codes, oldest first.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            load_partner(uow, partner_id)
            return uow.codes.for_partner(partner_id)

    def find_by_code(self, code: str) -> DirectoryEntry:
        """The partner a code belongs to, as a customer's entry of it would find it.

        Any case, look-alike characters folded; a retired code finds no one. No actor: a code is
        public, and so is what it finds, which is what the directory shows of a partner (not its
        contact email or activity; staff read those with `get`).

        Args:
            code: The code as typed.

        Returns:
            The directory's entry for the partner holding the code as its active one.

        Raises:
            UnknownCodeError: No active code matches (`partner_code.unknown`).
            InvalidInputError: `code` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            found = active_code(uow, code)
            return _entry(load_partner(uow, found.partner_id), found.code)

    def advise_code(self, text: str, *, company: str | None = None) -> CodeAdvice:
        """Say what makes a code refused or hard to remember, and suggest free, better codes.

        As `advise_code` (the function), with `taken` checked against every code ever issued, so
        each suggestion can be issued now.

        Args:
            text: The code the partner has in mind.
            company: The company's name, the source of suggestions ("Zillium" gives "ZILLIUMCorp").

        Returns:
            The advice: validity, a 0-100 score, the problems found and the suggestions.

        Raises:
            InvalidInputError: `text` is longer than 200 characters, or `company` is empty
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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


def active_code(uow: PartnersStore, code: str) -> PartnerCode:
    """The active code a customer's entry of `code` finds (any case, look-alikes folded);
    retired codes are unknown."""
    key = canonical_key(validate.text(code, "code", max_length=100))
    found = uow.codes.get(key)
    if found is None or found.status is not PartnerCodeStatus.ACTIVE:
        raise UnknownCodeError(f"no partner has the code {code!r}", details={"field": "code"})
    return found


def partner_by_code(uow: PartnersStore, code: str) -> Partner:
    """The partner holding `code` (any case, look-alikes folded); retired codes are unknown."""
    return load_partner(uow, active_code(uow, code).partner_id)


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
    # A partner's expertise names catalog products only (checked when it is set, a foreign key
    # on SQL, and products are never removed): the catalog is asked only to tell an unknown
    # product from one the partner does not work on.
    if key in partner.expertise:
        return key
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

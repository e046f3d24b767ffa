"""The three ways a customer comes to a partner (001 seed): the partner's sign-up link, a new
account the partner sets up for a non-user, and Tag a Partner by an admin of the customer.

Each applies the one mapping rule (`rules.decide_mapping`): the 000 case table sets the
commission window and whether the mapping is provisional, and the channel only whether the
customer has consented (its own tag or sign-up has; an account the partner sets up has not).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.access.principal import require_principal
from partnerkit.consent import ConsentKind, hash_token, new_token
from partnerkit.customers.accounts import (
    Customer,
    load_customer,
    open_account,
    unseen_customer,
)
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import InvalidTokenError
from partnerkit.mapping.errors import (
    OrganisationExistsError,
    PartnerOfRecordTakenError,
    SignupLinkExpiredError,
    SignupLinkProductsRequiredError,
    SignupLinkRevokedError,
    SignupProductNotOfferedError,
)
from partnerkit.mapping.history import RecordKeeper, shown
from partnerkit.mapping.partners import (
    Partner,
    acting_partner,
    active_partner_by_code,
    authorised_product,
    load_partner,
    require_active,
    unseen_partner,
)
from partnerkit.mapping.policy import MappingPolicy, PartnerActivity
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
)
from partnerkit.mapping.rules import MappingAction, MappingDecision, decide_mapping
from partnerkit.runtime import Runtime

__all__ = ["ChannelsService", "SignupLink", "SignupLinkToken"]

#: How a sign-up link's hash is told apart from a token: 64 hex digits (a token is 43
#: URL-safe base64 characters, never that).
_HASH_LENGTH = 64


@attrs.frozen
class SignupLink:
    """A partner's sign-up link as stored: the token's hash only, never the token itself.
    `products` are the products it offers; a link stored before links named them offers
    none, and the person signing up chooses among the partner's products."""

    token_hash: str
    partner_id: str
    created_at: datetime
    products: tuple[str, ...] = ()
    revoked_at: datetime | None = None

    @property
    def product(self) -> str | None:
        """The link's product when it offers exactly one."""
        return self.products[0] if len(self.products) == 1 else None


@attrs.frozen
class SignupLinkToken:
    """The secret a partner puts in its sign-up link; partnerkit keeps only its hash.

    The token stays out of the repr, so a log line or a traceback never shows it.

    Attributes:
        token: The secret, URL-safe; shown this once.
        partner_id: The partner the link maps sign-ups to.
        product: The product it maps them for; None for every product of the partner.
        expires_at: When the link stops working (`MappingPolicy.signup_link_valid_days` after it was
            made).
    """

    token: str = attrs.field(repr=False)
    partner_id: str
    #: The products the link offers; the person signing up may choose fewer.
    products: tuple[str, ...]
    #: The link stops working then (`MappingPolicy.signup_link_valid_days` after it was made).
    expires_at: datetime | None = None

    @property
    def product(self) -> str | None:
        """The link's product when it offers exactly one."""
        return self.products[0] if len(self.products) == 1 else None

    def url(self, base: str) -> str:
        """The link to put on the partner's website: `base` with the token as `partner_token`.

        Args:
            base: The page visitors sign up on, such as `"https://vendor.example/signup"`; a query
                string it has already is kept.

        Returns:
            The URL; pass its `partner_token` to `kit.mapping.sign_up`.

        Raises nothing.
        """
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}partner_token={self.token}"


def _invalid_link() -> InvalidTokenError:
    return InvalidTokenError("this sign-up link is not valid", details={"field": "token"})


class ChannelsService:
    """Mapping a customer through one of the 001 seed's three channels."""

    def __init__(
        self,
        runtime: Runtime[MappingStore],
        policy: MappingPolicy,
        records: RecordKeeper,
    ) -> None:
        self._rt = runtime
        self._policy = policy
        self._records = records

    @property
    def _acts(self) -> bool:
        """Whether a partner's own action counts as activity (`MappingPolicy.activity`)."""
        return self._policy.counts(PartnerActivity.PARTNER_ACTION)

    # --- channel 1: sign-up link --------------------------------------------------------------

    def signup_link(
        self,
        partner_id: str,
        product: str | None = None,
        *,
        products: Iterable[str] = (),
        actor: Principal,
    ) -> SignupLinkToken:
        """`kit.mapping.signup_link`, documented on `MappingService`."""
        named = validate.texts(products, "products", validate.text)
        wanted = ([] if product is None else [validate.text(product, "product")]) + [
            p for p in named if p != product
        ]
        now = self._rt.now()
        with self._rt.uow() as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            partner = acting_partner(uow, partner_id, now, touch=self._acts)
            if not wanted:
                raise SignupLinkProductsRequiredError(
                    f"Choose the products this link is for among those {partner.name} works on",
                    field="products",
                    details={"offered": list(partner.expertise)},
                )
            keys = tuple(dict.fromkeys(authorised_product(uow, partner, p) for p in wanted))
            token, digest = new_token()
            uow.signup_links.add(SignupLink(digest, partner.id, now, keys))
        return SignupLinkToken(token, partner.id, keys, now + self._valid_for)

    def revoke_signup_link(self, token_or_hash: str, *, actor: Principal) -> SignupLink:
        """`kit.mapping.revoke_signup_link`, documented on `MappingService`."""
        principal = require_principal(actor)
        value = validate.text(token_or_hash, "token", max_length=200)
        digest = value if _is_hash(value) else hash_token(value)
        now = self._rt.now()
        with self._rt.uow() as uow:
            link = uow.signup_links.get_by_token_hash(digest)
            if link is None or not self._rt.guard.acts_for_partner(principal, link.partner_id):
                raise _invalid_link()
            if link.revoked_at is not None:
                return link
            uow.signup_links.revoke(link.token_hash, now)
        return attrs.evolve(link, revoked_at=now)

    def sign_up(
        self,
        token: str,
        *,
        name: str,
        admin_email: str,
        admin_name: str | None = None,
        domain: str | None = None,
        products: Iterable[str] | None = None,
    ) -> Customer:
        """`kit.mapping.sign_up`, documented on `MappingService`."""
        chosen = None if products is None else validate.texts(products, "products", validate.text)
        now = self._rt.now()
        with self._rt.uow() as uow:
            link = uow.signup_links.get_by_token_hash(hash_token(validate.text(token, "token")))
            if link is None:
                raise _invalid_link()
            if link.revoked_at is not None:
                raise SignupLinkRevokedError(
                    "this sign-up link was withdrawn by the partner", details={"field": "token"}
                )
            expires_at = link.created_at + self._valid_for
            if now >= expires_at:
                raise SignupLinkExpiredError(
                    "this sign-up link has expired",
                    details={"field": "token", "expired_at": expires_at.isoformat()},
                )
            partner = load_partner(uow, link.partner_id)
            require_active(partner)
            keys = _chosen(partner, link, chosen)
            customer = open_account(
                self._rt,
                uow,
                name=name,
                admin_email=admin_email,
                admin_name=admin_name,
                domain=domain,
            )
            for key in keys:
                decision = self._decide(uow, Channel.SIGNUP_LINK, customer, key, partner)
                self._apply(
                    uow,
                    decision,
                    customer,
                    partner,
                    reason="signed up through the partner's sign-up link",
                    by=customer.users[0].email,
                )
        return customer

    @property
    def _valid_for(self) -> timedelta:
        return timedelta(days=self._policy.signup_link_valid_days)

    # --- channel 2: new account set-up --------------------------------------------------------

    def create_account(
        self,
        partner_id: str,
        *,
        name: str,
        admin_email: str,
        product: str,
        admin_name: str | None = None,
        domain: str | None = None,
        actor: Principal,
    ) -> Customer:
        """`kit.mapping.create_account`, documented on `MappingService`."""
        address = validate.email(admin_email, "admin_email")
        domains = [validate.domain_of(address)]
        if domain is not None:
            domains.append(validate.domain(domain))
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_partner(
                actor, partner_id, unseen_partner(partner_id)
            )
            partner = acting_partner(uow, partner_id, self._rt.now(), touch=self._acts)
            key = authorised_product(uow, partner, product)
            if uow.customers.get_by_user_email(address) is not None:
                raise EmailTakenError(
                    f"{address} already belongs to a user, so it cannot get a new account",
                    details={"field": "admin_email"},
                    remedy="Ask them to tag you with your partner code, or add them as a "
                    "customer from your partner portal.",
                    hint="kit.mapping.add_customer() adds an existing customer.",
                )
            for owned in dict.fromkeys(domains):
                if uow.customers.get_by_domain(owned) is not None:
                    raise OrganisationExistsError(
                        f"{owned} belongs to an organisation that already has an account, so "
                        f"a new one cannot be set up for {address}",
                        details={"field": "admin_email", "domain": owned},
                    )
            customer = open_account(
                self._rt,
                uow,
                name=name,
                admin_email=address,
                admin_name=admin_name,
                domain=domain,
            )
            decision = self._decide(uow, Channel.NEW_ACCOUNT, customer, key, partner)
            self._apply(
                uow,
                decision,
                customer,
                partner,
                reason="account set up by the partner",
                by=principal.label,
            )
        return customer

    # --- channel 3: Tag a Partner -------------------------------------------------------------

    def explain_tag(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> MappingDecision:
        """`kit.mapping.explain_tag`, documented on `MappingService`."""
        require_principal(actor)
        with self._rt.uow(readonly=True) as uow:
            customer = load_customer(uow, customer_id)
            self._rt.guard.require_customer_admin(
                uow,
                actor,
                customer,
                action="tag a partner",
                not_found=unseen_customer(customer_id),
            )
            partner = active_partner_by_code(uow, code)
            key = authorised_product(uow, partner, product)
            decision = self._decide(uow, Channel.TAG, customer, key, partner, record=False)
            decision.raise_refusal()
            return decision

    def tag_partner(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> MappingInterval:
        """`kit.mapping.tag_partner`, documented on `MappingService`."""
        require_principal(actor)
        guard = self._rt.guard
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            admin = guard.require_customer_admin(
                uow,
                actor,
                customer,
                action="tag a partner",
                not_found=unseen_customer(customer_id),
                staff=False,
            )
            partner = active_partner_by_code(uow, code)
            key = authorised_product(uow, partner, product)
            decision = self._decide(uow, Channel.TAG, customer, key, partner)
            try:
                interval = self._apply(
                    uow,
                    decision,
                    customer,
                    partner,
                    reason=f"tagged by the customer's admin with code {code.strip()}",
                    by=admin.label,
                )
            except PartnerOfRecordTakenError:
                # Another writer opened the slot between our read and our insert (the
                # database decided). Whoever won, read it: the same partner means this tag
                # succeeds as one with theirs; another partner means a transfer is needed.
                winner = uow.records.current(customer.id, key)
                if winner is None:
                    raise
                decision = self._decide(uow, Channel.TAG, customer, key, partner)
                # Now ALREADY_MAPPED (the same partner won) or refused: nothing is opened.
                interval = self._apply(uow, decision, customer, partner, reason="", by=admin.label)
        return shown(guard, admin, interval)

    # --- the one rule, applied ----------------------------------------------------------------

    def _decide(
        self,
        uow: MappingStore,
        channel: Channel,
        customer: Customer,
        product: str,
        partner: Partner,
        *,
        record: bool = True,
    ) -> MappingDecision:
        # An account opened by this very call (sign-up, new account) has no mapping and
        # nothing waiting: nothing to read.
        fresh = channel is not Channel.TAG
        current = (
            None if fresh else self._records.in_force(uow, customer.id, product, record=record)
        )
        pending = (
            ()
            if fresh
            else uow.consents.pending(
                customer_id=customer.id, product=product, kind=ConsentKind.MAPPING_APPROVAL
            )
        )
        return decide_mapping(
            channel,
            customer,
            product,
            partner,
            self._rt.now(),
            self._policy,
            current=current,
            pending=pending,
        )

    def _apply(
        self,
        uow: MappingStore,
        decision: MappingDecision,
        customer: Customer,
        partner: Partner,
        *,
        reason: str,
        by: str,
    ) -> MappingInterval:
        """Do what a decision of the customer's channels says: refuse, keep the mapping of
        record (permanent now, when the customer said so), or open it."""
        decision.raise_refusal()
        if decision.action is MappingAction.ALREADY_MAPPED:
            current = uow.records.current(customer.id, decision.product)
            assert current is not None
            if decision.make_permanent:
                current = uow.records.update(attrs.evolve(current, status=MappingStatus.PERMANENT))
            uow.tracking.remove_customer(partner.id, customer.id)
            return current
        assert decision.action is MappingAction.MAP, decision.action
        # A fresh account has no earlier intervals to read the last end from.
        history: list[MappingInterval] | None = [] if decision.channel is not Channel.TAG else None
        interval = self._records.open_decided(
            uow, decision, partner, reason=reason, by=by, history=history
        )
        self._records.settle_approvals(uow, decision, customer, partner, by=by)
        return interval


def _chosen(partner: Partner, link: SignupLink, chosen: tuple[str, ...] | None) -> list[str]:
    """The products a sign-up maps: those the link offers, or the ones chosen among them (a
    link stored before links named products offers what the partner works on, and the person
    signing up must choose)."""
    offered = link.products or partner.expertise
    if chosen is None and link.products:
        return list(link.products)
    if not chosen:
        raise SignupProductNotOfferedError(
            f"Choose the products you want {partner.name} to help you with: " + ", ".join(offered),
            field="products",
            details={"offered": list(offered)},
        )
    for i, product in enumerate(chosen):
        if product not in offered:
            raise SignupProductNotOfferedError(
                f"{partner.name}'s sign-up link does not offer {product}; it offers "
                + ", ".join(offered),
                field=f"products[{i}]",
                details={"offered": list(offered)},
            )
    return list(chosen)


def _is_hash(value: str) -> bool:
    return len(value) == _HASH_LENGTH and all(ch in "0123456789abcdef" for ch in value)

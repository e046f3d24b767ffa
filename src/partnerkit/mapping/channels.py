"""The three ways a customer comes to a partner (001 seed): the partner's sign-up link, a new
account the partner sets up for a non-user, and Tag a Partner by an admin of the customer."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.access.principal import require_principal
from partnerkit.consent import hash_token, new_token
from partnerkit.customers.accounts import (
    Customer,
    load_customer,
    open_account,
    unseen_customer,
)
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import InvalidTokenError
from partnerkit.mapping.errors import (
    PartnerOfRecordTakenError,
    SignupLinkExpiredError,
    SignupLinkRevokedError,
    TransferRequiredError,
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
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
)
from partnerkit.mapping.tracking import untrack
from partnerkit.runtime import Runtime

__all__ = ["ChannelsService", "SignupLink", "SignupLinkToken"]

#: How a sign-up link's hash is told apart from a token: 64 hex digits (a token is 43
#: URL-safe base64 characters, never that).
_HASH_LENGTH = 64


@attrs.frozen
class SignupLink:
    """A partner's sign-up link as stored: the token's hash only, never the token itself.
    `product` None means: map the new customer for every product the partner works on."""

    token_hash: str
    partner_id: str
    created_at: datetime
    product: str | None = None
    revoked_at: datetime | None = None


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
    product: str | None
    #: The link stops working then (`MappingPolicy.signup_link_valid_days` after it was made).
    expires_at: datetime | None = None

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

    # --- channel 1: sign-up link --------------------------------------------------------------

    def signup_link(
        self, partner_id: str, product: str | None = None, *, actor: Principal
    ) -> SignupLinkToken:
        """`kit.mapping.signup_link`, documented on `MappingService`."""
        now = self._rt.now()
        with self._rt.uow() as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            partner = acting_partner(uow, partner_id, now)
            if product is not None:
                product = authorised_product(uow, partner, product)
            token, digest = new_token()
            uow.signup_links.add(SignupLink(digest, partner.id, now, product))
        return SignupLinkToken(token, partner.id, product, now + self._valid_for)

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
    ) -> Customer:
        """`kit.mapping.sign_up`, documented on `MappingService`."""
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
            customer = open_account(
                self._rt,
                uow,
                name=name,
                admin_email=admin_email,
                admin_name=admin_name,
                domain=domain,
            )
            products = [link.product] if link.product is not None else list(partner.expertise)
            for product in products:
                self._records.open(
                    uow,
                    customer.id,
                    product,
                    partner,
                    Channel.SIGNUP_LINK,
                    reason="signed up through the partner's sign-up link",
                    by=customer.users[0].email,
                    commission_from=now,
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
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_partner(
                actor, partner_id, unseen_partner(partner_id)
            )
            partner = acting_partner(uow, partner_id, self._rt.now())
            key = authorised_product(uow, partner, product)
            if uow.customers.get_by_user_email(address) is not None:
                raise EmailTakenError(
                    f"{address} already belongs to a user, so it cannot get a new account",
                    details={"field": "admin_email"},
                    remedy="Ask them to tag you with your partner code, or add them as a "
                    "customer from your partner portal.",
                    hint="kit.mapping.add_customer() adds an existing customer.",
                )
            customer = open_account(
                self._rt,
                uow,
                name=name,
                admin_email=address,
                admin_name=admin_name,
                domain=domain,
            )
            self._records.open(
                uow,
                customer.id,
                key,
                partner,
                Channel.NEW_ACCOUNT,
                reason="account set up by the partner",
                by=principal.label,
                commission_from=self._rt.now(),
            )
        return customer

    # --- channel 3: Tag a Partner -------------------------------------------------------------

    def _tagged_again(
        self, uow: MappingStore, customer: Customer, partner: Partner, current: MappingInterval
    ) -> MappingInterval:
        """A tag while `current` is of record: a no-op for the same partner (a provisional
        mapping becomes permanent: the customer has now said so), else refused."""
        if current.partner_id != partner.id:
            raise TransferRequiredError(
                f"{customer.name} already works with another partner for {current.product}",
                details={"customer_id": customer.id, "product": current.product},
            )
        if current.status is MappingStatus.PROVISIONAL:
            current = uow.records.update(attrs.evolve(current, status=MappingStatus.PERMANENT))
        untrack(uow, partner.id, customer)
        return current

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
            current = uow.records.current(customer.id, key)
            if current is not None:
                return shown(guard, admin, self._tagged_again(uow, customer, partner, current))
            try:
                interval = self._records.open(
                    uow,
                    customer.id,
                    key,
                    partner,
                    Channel.TAG,
                    reason=f"tagged by the customer's admin with code {code.strip()}",
                    by=admin.label,
                    commission_from=self._rt.now(),
                )
            except PartnerOfRecordTakenError:
                # Another writer opened the slot between our read and our insert (the
                # database decided). Whoever won, read it: the same partner means this tag
                # succeeds as one with theirs; another partner means a transfer is needed.
                winner = uow.records.current(customer.id, key)
                if winner is None:
                    raise
                return shown(guard, admin, self._tagged_again(uow, customer, partner, winner))
            untrack(uow, partner.id, customer)
        return interval


def _is_hash(value: str) -> bool:
    return len(value) == _HASH_LENGTH and all(ch in "0123456789abcdef" for ch in value)

"""The three ways a customer comes to a partner (001 seed): the partner's sign-up link, a new
account the partner sets up for a non-user, and Tag a Partner by an admin of the customer."""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit import validate
from partnerkit.consent import hash_token, new_token
from partnerkit.customers.accounts import (
    Customer,
    CustomersService,
    load_customer,
)
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import InvalidTokenError
from partnerkit.mapping.errors import PartnerOfRecordTakenError, TransferRequiredError
from partnerkit.mapping.history import RecordKeeper, require_admin
from partnerkit.mapping.partners import (
    acting_partner,
    active_partner_by_code,
    authorised_product,
    load_partner,
    require_active,
)
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
)
from partnerkit.mapping.tracking import untrack
from partnerkit.runtime import Runtime

__all__ = ["ChannelsService", "SignupLink", "SignupLinkToken"]


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
    """The secret a partner puts in its sign-up link; partnerkit keeps only its hash."""

    token: str
    partner_id: str
    product: str | None

    def url(self, base: str) -> str:
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}partner_token={self.token}"


class ChannelsService:
    """Mapping a customer through one of the 001 seed's three channels."""

    def __init__(
        self,
        runtime: Runtime[MappingStore],
        records: RecordKeeper,
        customers: CustomersService,
    ) -> None:
        self._rt = runtime
        self._records = records
        # Sign-up and new-account flows create accounts exactly as kit.customers does.
        self._customers = customers

    # --- channel 1: sign-up link --------------------------------------------------------------

    def signup_link(self, partner_id: str, product: str | None = None) -> SignupLinkToken:
        """A sign-up link token for the partner's website (001 seed), for one product or, with
        None, for every product the partner works on."""
        with self._rt.uow() as uow:
            partner = acting_partner(uow, partner_id, self._rt.now())
            if product is not None:
                product = authorised_product(uow, partner, product)
            token, digest = new_token()
            uow.signup_links.add(SignupLink(digest, partner.id, self._rt.now(), product))
        return SignupLinkToken(token, partner.id, product)

    def sign_up(
        self,
        token: str,
        *,
        name: str,
        admin_email: str,
        admin_name: str | None = None,
        domain: str | None = None,
    ) -> Customer:
        """Create the account of someone who signed up through a partner's link, mapped to that
        partner from the first moment (channel `signup_link`). A forged token is refused."""
        with self._rt.uow() as uow:
            link = uow.signup_links.get_by_token_hash(hash_token(validate.text(token, "token")))
            if link is None or link.revoked_at is not None:
                raise InvalidTokenError(
                    "this sign-up link is not valid", details={"field": "token"}
                )
            partner = load_partner(uow, link.partner_id)
            require_active(partner)
            customer = self._customers.create(
                name=name, admin_email=admin_email, admin_name=admin_name, domain=domain
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
                    commission_from=self._rt.now(),
                )
        return customer

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
    ) -> Customer:
        """A partner sets up an account for someone who is not yet a user (001 seed)."""
        address = validate.email(admin_email, "admin_email")
        with self._rt.uow() as uow:
            partner = acting_partner(uow, partner_id, self._rt.now())
            key = authorised_product(uow, partner, product)
            if uow.customers.get_by_user_email(address) is not None:
                raise EmailTakenError(
                    f"{address} already belongs to a user, so it cannot get a new account",
                    details={"field": "admin_email"},
                    remedy="Ask them to tag you with your partner code, or add them as a "
                    "customer (kit.mapping.add_customer).",
                )
            customer = self._customers.create(
                name=name, admin_email=address, admin_name=admin_name, domain=domain
            )
            self._records.open(
                uow,
                customer.id,
                key,
                partner,
                Channel.NEW_ACCOUNT,
                reason="account set up by the partner",
                by=partner.email,
                commission_from=self._rt.now(),
            )
        return customer

    # --- channel 3: Tag a Partner -------------------------------------------------------------

    def tag_partner(self, customer_id: str, product: str, code: str, *, by: str) -> MappingInterval:
        """An admin of the customer enters a partner's code for a product (001 seed).

        Tagging the partner already of record is a no-op (a provisional mapping becomes
        permanent: the customer has now said so); tagging while another partner is of record is
        refused and points to the transfer.
        """
        actor = validate.email(by, "by")
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            require_admin(customer, actor, "tag a partner")
            partner = active_partner_by_code(uow, code)
            key = authorised_product(uow, partner, product)
            current = uow.records.current(customer.id, key)
            if current is not None:
                if current.partner_id != partner.id:
                    raise TransferRequiredError(
                        f"{customer.name} already works with another partner for {key}",
                        details={"customer_id": customer.id, "product": key},
                    )
                if current.status is MappingStatus.PROVISIONAL:
                    current = uow.records.update(
                        attrs.evolve(current, status=MappingStatus.PERMANENT)
                    )
                untrack(uow, partner.id, customer)
                return current
            try:
                interval = self._records.open(
                    uow,
                    customer.id,
                    key,
                    partner,
                    Channel.TAG,
                    reason=f"tagged by the customer's admin with code {code.strip()}",
                    by=actor,
                    commission_from=self._rt.now(),
                )
            except PartnerOfRecordTakenError:
                raise TransferRequiredError(
                    f"{customer.name} already works with another partner for {key}",
                    details={"customer_id": customer.id, "product": key},
                ) from None
            untrack(uow, partner.id, customer)
        return interval

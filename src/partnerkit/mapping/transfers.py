"""Moving a customer between partners: the customer's transfer with confirmation (001 seed),
the consent confirmations that also approve 000 case 1, and the partner team's operator actions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from partnerkit import validate
from partnerkit.consent import ConsentKind, ConsentRequest, hash_token
from partnerkit.customers.accounts import load_customer
from partnerkit.errors import InvalidTokenError
from partnerkit.events import Email
from partnerkit.mapping.errors import (
    CustomerMappedToAnotherPartnerError,
    NoPartnerOfRecordError,
    SamePartnerError,
    TransferPendingError,
)
from partnerkit.mapping.events import ConsentEffective, ConsentExpired, MappingEnded
from partnerkit.mapping.history import RecordKeeper, require_admin
from partnerkit.mapping.partners import (
    active_partner_by_code,
    authorised_product,
    load_partner,
    require_active,
)
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    start_of_day,
)
from partnerkit.runtime import Runtime

__all__ = ["TransfersService"]


class TransfersService:
    """Changing the partner of record: the customer's transfer and every consent confirmed by
    its link, expiring requests, and the partner team's operator actions."""

    def __init__(
        self, runtime: Runtime[MappingStore], policy: MappingPolicy, records: RecordKeeper
    ) -> None:
        self._rt = runtime
        self._policy = policy
        self._records = records

    # --- transfers (001 seed) -----------------------------------------------------------------

    def request_transfer(
        self, customer_id: str, product: str, code: str, *, by: str
    ) -> ConsentRequest:
        """The customer's admin moves a product to the partner with `code`. A confirmation email
        goes to the customer and a notice to the current partner before anything changes; the
        transfer takes effect when the customer confirms and lapses after 15 days."""
        actor = validate.email(by, "by")
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            require_admin(customer, actor, "transfer a partner")
            new_partner = active_partner_by_code(uow, code)
            key = authorised_product(uow, new_partner, product)
            current = uow.records.current(customer.id, key)
            if current is None:
                raise NoPartnerOfRecordError(
                    f"{customer.name} has no partner for {key} to transfer from",
                    details={"customer_id": customer.id, "product": key},
                )
            if current.partner_id == new_partner.id:
                raise SamePartnerError(
                    f"{new_partner.name} is already the partner for {key}",
                    details={"customer_id": customer.id, "product": key},
                )
            if uow.consents.pending(
                customer_id=customer.id, product=key, kind=ConsentKind.TRANSFER
            ):
                raise TransferPendingError(details={"customer_id": customer.id, "product": key})
            old_partner = load_partner(uow, current.partner_id)
            request = self._records.request_consent(
                uow,
                ConsentKind.TRANSFER,
                customer,
                key,
                new_partner,
                requested_by=actor,
                valid_for=timedelta(days=self._policy.transfer_confirm_days),
                from_partner=old_partner,
                recipients=(actor,),
                template="mapping.transfer_requested",
                subject=f"Confirm moving {key} to {new_partner.name}",
                body=(
                    f"You asked to move {key} from {old_partner.name} to {new_partner.name}. "
                    f"Confirm through the link within {self._policy.transfer_confirm_days} days."
                ),
            )
            self._rt.send(
                uow,
                Email(
                    to=old_partner.email,
                    subject=f"{customer.name} asked to move {key} to another partner",
                    body=(
                        f"{customer.name} asked to move {key} to another partner. Nothing "
                        "changes unless the customer confirms."
                    ),
                    template="mapping.transfer_notice",
                    context={"customer_id": customer.id, "product": key, "request": request.id},
                ),
            )
        return request

    # --- consent: approvals and transfers -----------------------------------------------------

    def confirm(self, token: str, *, by: str | None = None) -> ConsentRequest:
        """Confirm a request through its emailed token: a case-1 approval maps the partner, a
        transfer moves the product. A token works once, before it expires."""
        digest = hash_token(validate.text(token, "token", max_length=200))
        now = self._rt.now()
        with self._rt.uow() as uow:
            request = uow.consents.get_by_token_hash(digest)
            if request is None:
                raise InvalidTokenError("this confirmation link is not valid")
            request.check_token(digest, now)
            customer = load_customer(uow, request.customer_id)
            confirmed = request.confirm(by or "confirmation link", now)
            stored = uow.consents.update(confirmed)
            if stored.is_pending:
                return stored
            partner = load_partner(uow, request.partner_id)
            require_active(partner)
            current = uow.records.current(request.customer_id, request.product)
            if request.kind is ConsentKind.MAPPING_APPROVAL:
                if current is not None and current.partner_id != partner.id:
                    raise CustomerMappedToAnotherPartnerError(
                        "Customer mapped to another partner",
                        details={"customer_id": customer.id, "product": request.product},
                    )
                if current is None:
                    lookback = now.date() - relativedelta(
                        months=self._policy.commission_lookback_months
                    )
                    self._records.open(
                        uow,
                        customer.id,
                        request.product,
                        partner,
                        Channel.PARTNER_ADDED,
                        reason="approved by the customer through the confirmation link",
                        by=confirmed.confirmations[-1].by,
                        commission_from=start_of_day(lookback),
                    )
            else:
                if current is None or current.partner_id != request.from_partner_id:
                    raise NoPartnerOfRecordError(
                        "the partner this transfer was from is no longer of record",
                        details={"customer_id": customer.id, "product": request.product},
                    )
                self._records.end(
                    uow, current, now, "transferred to another partner", stored.requested_by
                )
                self._records.open(
                    uow,
                    customer.id,
                    request.product,
                    partner,
                    Channel.TRANSFER,
                    reason="transfer confirmed by the customer",
                    by=confirmed.confirmations[-1].by,
                    commission_from=now,
                )
            self._rt.publish(
                uow,
                ConsentEffective(request.kind, request.id, customer.id),
            )
        return stored

    def pending_requests(
        self, *, partner_id: str | None = None, customer_id: str | None = None
    ) -> list[ConsentRequest]:
        """Requests waiting for the customer, for a partner (either side) or a customer."""
        with self._rt.uow(readonly=True) as uow:
            return uow.consents.pending(partner_id=partner_id, customer_id=customer_id)

    def cancel_request(self, request_id: str, *, by: str) -> ConsentRequest:
        with self._rt.uow() as uow:
            request = uow.consents.get(request_id)
            if request is None or not request.is_pending:
                raise InvalidTokenError("no pending request with that id")
            return uow.consents.update(request.cancel(self._rt.now()))

    # --- the partner team's operator actions --------------------------------------------------

    def record_written_consent(
        self, customer_id: str, product: str, partner_id: str, *, evidence: str, by: str
    ) -> MappingInterval:
        """The way out of 'Customer mapped to another partner' (000 seed): the customer's email
        saying they wish to work with the partner, forwarded to the partner team, who record it
        here. The current mapping ends and the new one starts, with the evidence kept."""
        proof = validate.text(evidence, "evidence", max_length=10_000)
        operator = validate.text(by, "by")
        with self._rt.uow() as uow:
            customer = load_customer(uow, customer_id)
            partner = load_partner(uow, partner_id)
            require_active(partner)
            key = authorised_product(uow, partner, product)
            current = uow.records.current(customer.id, key)
            if current is not None:
                if current.partner_id == partner.id:
                    return current
                self._records.end(
                    uow,
                    current,
                    self._rt.now(),
                    "moved on the customer's written consent",
                    operator,
                )
            return self._records.open(
                uow,
                customer.id,
                key,
                partner,
                Channel.WRITTEN_CONSENT,
                reason="the customer's written consent, forwarded to the partner team",
                by=operator,
                commission_from=self._rt.now(),
                evidence=proof,
            )

    def unmap(self, customer_id: str, product: str, *, reason: str, by: str) -> MappingInterval:
        """End the current mapping (an operator action); the history keeps it."""
        why = validate.text(reason, "reason", max_length=500)
        with self._rt.uow() as uow:
            current = uow.records.current(load_customer(uow, customer_id).id, product)
            if current is None:
                raise NoPartnerOfRecordError(details={"customer_id": customer_id})
            closed = self._records.end(uow, current, self._rt.now(), why, by)
            self._records.publish_change(uow, closed, MappingEnded)
        return closed

    def next_consent_due(self) -> datetime | None:
        with self._rt.uow(readonly=True) as uow:
            return uow.consents.next_expiry()

    def expire_consents(self, now: datetime) -> int:
        with self._rt.uow() as uow:
            expiring = uow.consents.expiring(now)
            for request in expiring:
                uow.consents.update(request.expire(now))
                self._rt.publish(
                    uow,
                    ConsentExpired(request.kind, request.id, request.customer_id),
                )
        return len(expiring)

"""`kit.access`: what the partner team asks before it tells a partner anything (002 seed): may
this enquirer be told about this account, what ties this partner to it, what a partner may see
of an account, and the audit trail of every such decision."""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit import validate
from partnerkit.access.audit import AuditEntry, AuditKind
from partnerkit.access.disclosure import Decision, Evidence, EvidenceKind, decide_disclosure
from partnerkit.access.principal import Principal, require_principal
from partnerkit.errors import InvalidInputError
from partnerkit.ports import UnitOfWork
from partnerkit.runtime import Runtime
from partnerkit.serialization import unstructure

__all__ = ["AccessService", "AccountSummary"]

#: The most entries one read of the audit trail returns.
MAX_AUDIT_PAGE = 1000


@attrs.frozen
class AccountSummary:
    """An account as a partner may know it: its name and the products the partner is of
    record for (and nothing about the others)."""

    customer_id: str
    name: str
    partner_id: str
    products: tuple[str, ...]


class AccessService:
    """`kit.access`: the disclosure decision, association evidence, and the audit trail.

    The domain packages tell it, through their `install()`, how to read accounts, which
    partners an address belongs to, and what ties a partner to an account; it imports none
    of them.
    """

    def __init__(self, runtime: Runtime[UnitOfWork]) -> None:
        self._rt = runtime

    def can_disclose(
        self,
        enquirer_email: str,
        account: str,
        product: str | None = None,
        *,
        actor: Principal,
    ) -> Decision:
        """May account information be shared with the enquirer? (002 seed; the partner team).

        Allowed only when the enquirer's email domain is one of the account's own domains
        (compared in one IDNA-normalised form, so `acme.example.attacker.test`,
        `acme-example.test` and a look-alike Unicode domain are other domains), or when the
        enquirer belongs to a partner (by its registered domains or contact email) that is
        partner of record on the account: for `product` when one is given. A shared lead is
        evidence, never enough. Every decision, allowed or not, is written to the audit trail
        in this unit of work.

        Args:
            enquirer_email: The address the enquiry came from.
            account: The id of the account asked about.
            product: The product asked about, or None for the account as a whole.
            actor: The member of staff answering (or the system).

        Returns:
            The decision, with its reason, evidence and audit entry id.

        Raises:
            InvalidInputError: The address or the product is malformed (`validation.invalid`).
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
            CustomerNotFoundError: No such account (`customer.not_found`).
        """
        enquirer = validate.email(enquirer_email, "enquirer_email")
        domain = validate.domain_of(enquirer)
        key = None if product is None else validate.key(product, "product")
        guard = self._rt.guard
        with self._rt.uow() as uow:
            principal = guard.require_staff(actor, "check what may be disclosed to a partner")
            found = guard.account(uow, account)
            partners = guard.partners_of(uow, enquirer)
            evidence = [e for pid in partners for e in guard.evidence(uow, pid, found.id)]
            decision = decide_disclosure(
                enquirer=enquirer,
                enquirer_domain=domain,
                customer_id=found.id,
                account_domains=found.domains,
                partner_ids=partners,
                evidence=evidence,
                product=key,
            )
            entry = self._rt.audit(
                uow,
                AuditKind.DISCLOSURE,
                allowed=decision.allowed,
                reason=decision.reason.value,
                by=principal.label,
                customer_id=found.id,
                partner_id=partners[0] if partners else None,
                product=key,
                subject=enquirer,
                details={
                    "partner_ids": list(partners),
                    "evidence": unstructure(list(decision.evidence)),
                },
            )
        return attrs.evolve(decision, audit_id=entry.id)

    def associations(self, partner: str, account: str, *, actor: Principal) -> list[Evidence]:
        """What ties the partner to the account, each kind the 002 seed names: a lead shared,
        a tag on the subscription (per product), a reseller price on the account's payments,
        a row in the partner's customer listing. The partner team reads it before answering a
        partner.

        Args:
            partner: The partner's id.
            account: The account's id.
            actor: The member of staff (or the system).

        Returns:
            The evidence, source by source; empty when nothing ties them.

        Raises:
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
            CustomerNotFoundError: No such account (`customer.not_found`).
        """
        guard = self._rt.guard
        with self._rt.uow(readonly=True) as uow:
            guard.require_staff(actor, "read what ties a partner to an account")
            found = guard.account(uow, account)
            if not validate.is_ref(partner):
                return []
            return guard.evidence(uow, partner, found.id)

    def account_summary(self, partner: str, account: str, *, actor: Principal) -> AccountSummary:
        """The account as the partner may know it, through the disclosure rule: the products
        the partner is of record for, and nothing else. To a partner not of record on the
        account (a shared lead or a payment is not enough) it is missing, exactly like an
        account that does not exist.

        Args:
            partner: The partner's id.
            account: The account's id.
            actor: A user of the partner, staff or the system.

        Returns:
            The summary.

        Raises:
            CustomerNotFoundError: No such account, or one the partner may not be told about
                (also when the actor does not act for the partner) (`customer.not_found`).
        """
        guard = self._rt.guard
        with self._rt.uow(readonly=True) as uow:
            principal = require_principal(actor)
            found = guard.account(uow, account)

            def missing() -> Exception:
                return guard.account_not_found(account)

            if not guard.acts_for_partner(principal, partner) or not validate.is_ref(partner):
                raise missing()
            products = sorted(
                {
                    e.product
                    for e in guard.evidence(uow, partner, found.id)
                    if e.kind is EvidenceKind.TAGGED and e.product is not None
                }
            )
            if not products:
                raise missing()
            return AccountSummary(found.id, found.name, partner, tuple(products))

    def audit_trail(
        self,
        *,
        account: str | None = None,
        partner: str | None = None,
        by: str | None = None,
        kind: AuditKind | str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
        actor: Principal,
    ) -> list[AuditEntry]:
        """The audit trail, oldest first, filtered by account, partner, who acted, kind and
        time (start <= at < end); for the partner team.

        Args:
            account: Only entries about this account.
            partner: Only entries about this partner.
            by: Only decisions taken for this person (their email, or the system's name).
            kind: Only entries of this kind.
            start: Only entries at or after this instant.
            end: Only entries before this instant.
            limit: At most this many entries (1 to 1000).
            actor: The member of staff (or the system).

        Returns:
            The matching entries.

        Raises:
            InvalidInputError: A filter is malformed (`validation.invalid`).
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
        """
        try:
            wanted_kind = None if kind is None else AuditKind(kind)
        except ValueError:
            raise InvalidInputError(
                f"kind must be one of {', '.join(k.value for k in AuditKind)}", field="kind"
            ) from None
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_AUDIT_PAGE:
            raise InvalidInputError(
                f"limit must be a whole number from 1 to {MAX_AUDIT_PAGE}", field="limit"
            )
        filters = {
            "customer_id": _ref(account, "account"),
            "partner_id": _ref(partner, "partner"),
            "by": None if by is None else validate.text(by, "by", max_length=254),
        }
        since = None if start is None else _instant(start, "start")
        until = None if end is None else _instant(end, "end")
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "read the audit trail")
            return uow.audit.query(**filters, kind=wanted_kind, start=since, end=until, limit=limit)


def _ref(value: object, field: str) -> str | None:
    if value is None:
        return None
    return validate.text(value, field, max_length=100)


def _instant(value: object, field: str) -> datetime:
    when = validate.as_instant_or_day(value, field)
    if not isinstance(when, datetime):
        raise InvalidInputError(f"{field} must be a moment in time", field=field)
    return when

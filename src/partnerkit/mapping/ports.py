"""What partners and partner codes need from storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from partnerkit.mapping.partners import Partner, PartnerCode, PartnerStatus

__all__ = ["PartnerCodes", "Partners"]


class Partners(Protocol):
    def add(self, partner: Partner) -> None:
        """Store a new partner; raises UsernameTakenError when the username is taken."""

    def get(self, partner_id: str) -> Partner | None: ...

    def get_by_username(self, username: str) -> Partner | None: ...

    def get_by_email(self, email: str) -> Partner | None:
        """The partner whose contact email this is (the oldest, if several share it)."""

    def update(self, partner: Partner) -> Partner:
        """Store `partner` if the stored version is `partner.version`; return it at version + 1.

        Raises ConcurrencyError when another writer got there first.
        """

    def all(self, *, status: PartnerStatus | None = None) -> list[Partner]:
        """Partners ordered by name, then id."""


class PartnerCodes(Protocol):
    def add(self, code: PartnerCode) -> None:
        """Store a code; raises CodeTakenError when its key was ever issued (retired included)."""

    def get(self, key: str) -> PartnerCode | None:
        """The code with this canonical key, active or retired."""

    def for_partner(self, partner_id: str) -> list[PartnerCode]:
        """Every code the partner was issued, oldest first."""

    def update(self, code: PartnerCode) -> None:
        """Store a code's new status (codes are never deleted)."""

"""Partners and their codes in memory: usernames and code keys unique, partners listed by
name and by last activity (the inactivity job asks for the oldest first)."""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit.backends.memory._table import ALL, Index, Table, UndoLog, Unique
from partnerkit.mapping.errors import (
    HOLDS_A_CODE_HINT,
    HOLDS_A_CODE_REMEDY,
    CodeTakenError,
    UsernameTakenError,
)
from partnerkit.mapping.partners import Partner, PartnerCode, PartnerCodeStatus, PartnerStatus

__all__ = ["MemoryPartnerCodes", "MemoryPartners"]


def _username_taken(partner: Partner, username: str) -> UsernameTakenError:
    return UsernameTakenError(f"the username {username!r} is taken", details={"field": "username"})


def _code_taken(code: PartnerCode) -> CodeTakenError:
    return CodeTakenError(f"the code {code.code!r} is already issued", details={"field": "code"})


class MemoryPartners:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Partner] = Table(
            log,
            "partner",
            key=lambda p: p.id,
            unique={"username": Unique(key=lambda p: p.username, taken=_username_taken)},
            indexes={
                # Several partners may share a contact email: the oldest answers.
                "by_email": Index(key=lambda p: p.email, order=lambda p: (p.created_at,)),
                "by_domain": Index(keys=lambda p: p.email_domains, order=lambda p: (p.created_at,)),
                "by_name": Index(keys=lambda p: (ALL, p.status), order=lambda p: (p.name,)),
                "active_by_activity": Index(
                    order=lambda p: (p.last_active_at,),
                    where=lambda p: p.status is PartnerStatus.ACTIVE,
                ),
            },
        )
        self._activity = self._t.index("active_by_activity")

    def add(self, partner: Partner) -> None:
        self._t.insert(partner)

    def get(self, partner_id: str) -> Partner | None:
        return self._t.get(partner_id)

    def get_by_username(self, username: str) -> Partner | None:
        return self._t.get_unique("username", username)

    def get_by_email(self, email: str) -> Partner | None:
        return self._t.index("by_email").first(email)

    def with_domain(self, domain: str) -> list[Partner]:
        return self._t.index("by_domain").rows(domain)

    def update(self, partner: Partner) -> Partner:
        return self._t.update(partner)

    def all(self, *, status: PartnerStatus | None = None) -> list[Partner]:
        return self._t.index("by_name").rows(ALL if status is None else status)

    def touch(self, partner_id: str, at: datetime) -> None:
        stored = self._t.get(partner_id)
        if stored is not None and at > stored.last_active_at:
            self._t.put(attrs.evolve(stored, last_active_at=at))

    def idle_since(self, cutoff: datetime) -> list[Partner]:
        idle = self._activity.between(through=(cutoff,))
        idle.sort(key=lambda p: (p.name, p.id))
        return idle

    def oldest_activity(self) -> datetime | None:
        oldest = self._activity.first()
        return None if oldest is None else oldest.last_active_at


class MemoryPartnerCodes:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[PartnerCode] = Table(
            log,
            "partner code",
            key=lambda c: c.key,
            # Retired codes keep their row, so a key is refused forever.
            taken=_code_taken,
            # A partner holds at most one active code, as SQL's partner_active_codes says.
            unique={
                "active_of_partner": Unique(
                    key=lambda c: c.partner_id if c.status is PartnerCodeStatus.ACTIVE else None,
                    taken=_holds_a_code,
                )
            },
            indexes={
                "by_partner": Index(key=lambda c: c.partner_id, order=lambda c: (c.issued_at,)),
                "active": Index(
                    order=lambda c: (c.partner_id, c.issued_at),
                    where=lambda c: c.status is PartnerCodeStatus.ACTIVE,
                ),
            },
        )

    def add(self, code: PartnerCode) -> None:
        self._t.insert(code)

    def get(self, key: str) -> PartnerCode | None:
        return self._t.get(key)

    def for_partner(self, partner_id: str) -> list[PartnerCode]:
        return self._t.index("by_partner").rows(partner_id)

    def issuing(self, key: str, partner_id: str) -> tuple[PartnerCode | None, PartnerCode | None]:
        return self._t.get(key), self._t.get_unique("active_of_partner", partner_id)

    def active(self) -> list[PartnerCode]:
        return self._t.index("active").rows()

    def update(self, code: PartnerCode) -> None:
        self._t.put(code)


def _holds_a_code(code: PartnerCode, partner_id: object) -> CodeTakenError:
    return CodeTakenError(
        "the partner already holds an active code",
        details={"field": "code", "partner_id": partner_id},
        remedy=HOLDS_A_CODE_REMEDY,
        hint=HOLDS_A_CODE_HINT,
    )

"""How a package wires itself into a Kit: `install(wiring)` registers its time-driven jobs and
in-transaction event handlers, reads its policy, and returns its services.

The Kit builds one `Wiring` and calls each package's `install`; adding a package means adding
one call there, not editing the kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import attrs

from partnerkit.access.guard import (
    AccountLoader,
    Association,
    EvidenceSource,
    PartnerFinder,
    ResellerTie,
)
from partnerkit.errors import ConfigurationError, PartnerkitError
from partnerkit.events import Event
from partnerkit.ports import S_co
from partnerkit.runtime import Runtime

__all__ = ["DueJob", "ScheduledJob", "Wiring", "policies_by_type"]

P = TypeVar("P")
E = TypeVar("E", bound=Event)


class DueJob(Protocol):
    """A time-driven rule a host registers with `Kit.register_due`: says when it is next due
    and does what is due at `now`. `Kit.run_due` and `Kit.advance_to` drive every job."""

    @property
    def name(self) -> str:
        """The job's name, as `DueReport` counts it."""

    def next_due(self) -> datetime | None:
        """When the job next has something to do.

        Returns:
            The earliest instant at which `run` has something to do, or None for nothing.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """

    def run(self, now: datetime) -> int:
        """Do everything due at or before `now`.

        Args:
            now: The kit's time, as `run_due` or `advance_to` reached it.

        Returns:
            How many items were handled.

        Raises:
            StorageError: The database could not be reached (`storage.unavailable`).
        """


@attrs.frozen
class ScheduledJob:
    name: str
    next_due_fn: Callable[[], datetime | None]
    run_fn: Callable[[datetime], int]
    #: Jobs due at the same instant run in ascending order (ties keep registration order).
    order: int

    def next_due(self) -> datetime | None:
        return self.next_due_fn()

    def run(self, now: datetime) -> int:
        return self.run_fn(now)


def policies_by_type(policies: Iterable[object]) -> dict[type[Any], object]:
    """Index the `policies=` a host passed by their class; one of each kind."""
    found: dict[type[Any], object] = {}
    for policy in policies:
        kind = type(policy)
        if not attrs.has(kind):
            raise ConfigurationError(
                f"the policies given to partnerkit include a {kind.__name__}, which is no policy",
                hint="policies= takes policy values such as MappingPolicy(...)",
            )
        if kind in found:
            raise ConfigurationError(
                f"the policies given to partnerkit name the {kind.__name__} twice",
                hint="policies= takes one value of each policy type",
            )
        found[kind] = policy
    return found


class Wiring(Generic[S_co]):
    """What `install()` sees: the runtime, the host's policies, and where to register."""

    def __init__(self, runtime: Runtime[S_co], policies: Mapping[type[Any], object]) -> None:
        self.runtime = runtime
        self._policies = dict(policies)
        self._used: set[type[Any]] = set()
        self._jobs: list[tuple[int, int, DueJob]] = []

    def policy(self, kind: type[P]) -> P:
        """The host's policy of this kind, or its defaults."""
        self._used.add(kind)
        found = self._policies.get(kind)
        return found if isinstance(found, kind) else kind()

    def add_job(
        self,
        name: str,
        next_due: Callable[[], datetime | None],
        run: Callable[[datetime], int],
        *,
        order: int,
    ) -> None:
        """Register a time-driven rule with `run_due`; `order` ranks jobs due at one instant."""
        self._jobs.append((order, len(self._jobs), ScheduledJob(name, next_due, run, order)))

    def on(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Run `handler` in the transaction of every change that publishes `event_type`."""
        self.runtime.on(event_type, handler)

    def add_association(self, name: str, association: Association) -> None:
        """Count `association` as a tie between a partner and a customer: a partner user sees
        (and acts on) the customers it is associated with, and nothing else."""
        self.runtime.guard.add_association(name, association)

    def add_evidence(self, name: str, source: EvidenceSource) -> None:
        """Count what `source` finds as evidence of a partner's association with a customer
        (the 002 seed's places to look: leads, tags, reseller prices, customer listings).

        Args:
            name: What the source reads.
            source: Lists the facts tying a partner to a customer.
        """
        self.runtime.guard.add_evidence(name, source)

    def identify_partners(self, finder: PartnerFinder) -> None:
        """Tell access which partners an email address belongs to.

        Args:
            finder: Lists the ids of the partners an address belongs to.
        """
        self.runtime.guard.identify_partners(finder)

    def provide_accounts(
        self, loader: AccountLoader, not_found: Callable[[str], PartnerkitError]
    ) -> None:
        """Tell access how to read a customer account and what a missing one answers.

        Args:
            loader: Returns the account, or raises the error a missing account gets.
            not_found: Builds that error for an id.
        """
        self.runtime.guard.provide_accounts(loader, not_found)

    def tie_resellers(self, tie: ResellerTie, read_only: Callable[[str], PartnerkitError]) -> None:
        """Tell access which customers a reseller manages, and what a change through a
        read-only trace answers.

        Args:
            tie: The reseller's scope over a customer, or None.
            read_only: Builds the error for a change through a trace.
        """
        self.runtime.guard.tie_resellers(tie, read_only)

    def jobs(self) -> list[DueJob]:
        return [job for _, _, job in sorted(self._jobs, key=lambda j: (j[0], j[1]))]

    def policies(self) -> dict[type[Any], object]:
        """Every policy a package asked for, as in force (the host's or the defaults)."""
        return {kind: self.policy(kind) for kind in sorted(self._used, key=lambda k: k.__name__)}

    def unused_policies(self) -> list[type[Any]]:
        """Policies the host passed that no installed package asked for (a likely typo)."""
        return [kind for kind in self._policies if kind not in self._used]

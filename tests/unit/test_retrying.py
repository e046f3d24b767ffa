"""A service call the database gave up on for a concurrent writer runs again (design.md, "Races
are decided by the database"): the engine rolled it all back, so the second run starts clean;
inside an open unit of work it runs once, since the enclosing call is the one to run again."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import partnerkit as pk
from partnerkit.errors import ConcurrencyError, InvalidInputError


def _failing(times: int, error: Exception) -> tuple[Callable[[], str], list[int]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "booked"

    return call, calls


def test_a_deadlock_victim_runs_again_and_succeeds() -> None:
    kit = pk.connect("memory://")
    call, calls = _failing(2, ConcurrencyError("deadlock"))
    assert kit._runtime.retrying(call) == "booked"
    assert len(calls) == 3


def test_three_conflicts_in_a_row_leave_as_the_conflict() -> None:
    kit = pk.connect("memory://")
    call, calls = _failing(5, ConcurrencyError("deadlock"))
    with pytest.raises(ConcurrencyError):
        kit._runtime.retrying(call)
    assert len(calls) == 3


def test_other_errors_are_not_run_again() -> None:
    kit = pk.connect("memory://")
    call, calls = _failing(1, InvalidInputError("bad", field="amount"))
    with pytest.raises(InvalidInputError):
        kit._runtime.retrying(call)
    assert len(calls) == 1


def test_inside_an_open_unit_of_work_it_runs_once() -> None:
    kit = pk.connect("memory://")
    call, calls = _failing(1, ConcurrencyError("deadlock"))
    with pytest.raises(ConcurrencyError), kit._runtime.uow():
        kit._runtime.retrying(call)
    assert len(calls) == 1

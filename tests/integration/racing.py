"""Concurrent writers for the race tests: threads started at one barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["race", "said"]


def race(
    n: int, attempt: Callable[[int], object], *, timeout: float = 60
) -> tuple[list[object], list[BaseException]]:
    """Start `n` threads at a barrier so their transactions overlap, collect what each got;
    a thread still running after `timeout` seconds fails the test rather than run on into the
    next one."""
    barrier = threading.Barrier(n)
    wins: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            result = attempt(i)
        except BaseException as exc:  # every outcome is recorded and checked
            with lock:
                errors.append(exc)
        else:
            with lock:
                wins.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), f"a writer ran longer than {timeout} s"
    return wins, errors


def said(errors: list[BaseException]) -> list[str]:
    """The errors with what the driver said, for an assertion message: a storage error's repr
    names only the driver's exception class."""
    return [f"{e!r} {getattr(e, 'details', '')}" for e in errors]

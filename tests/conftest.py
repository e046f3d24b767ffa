"""Hypothesis profiles for the suite.

`mutate` is the mutation run's (`nox -s mutate`, which passes `--hypothesis-profile=mutate`):
derandomized, so a mutant is killed or not the same way on every run and every machine; small,
because each mutant reruns every property test that reaches the function it changed; and it
never shrinks, since a mutant only needs one failing example to be killed, and shrinking a
state machine's failure takes minutes. Any run can use it: `pytest --hypothesis-profile=mutate`.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "mutate",
    derandomize=True,
    max_examples=20,
    deadline=None,
    database=None,
    print_blob=False,
    phases=[Phase.explicit, Phase.generate],
    # A mutant can make generation slow (a loop bound, a filter that rejects everything);
    # the mutant is then killed by its timeout or by a failing test, not by a health check
    # that the unmutated code would never trip.
    suppress_health_check=list(HealthCheck),
)

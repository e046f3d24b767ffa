"""Developer sessions: `nox -s tests lint typecheck docs bench mutate` (each in its own venv)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, docs' examples included (set the PARTNERKIT_TEST_*_URL vars
    to include PostgreSQL and MariaDB)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    paths = ["src", "tests", "benchmarks", "tools", "conftest.py", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(session.create_tmp() + "/site"))


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks print figures and their ratio to a raw-driver baseline run alongside."""
    session.install("-e", ".[dev]")
    session.run("python", "benchmarks/bench_register.py", *session.posargs)


@nox.session
def mutate(session: nox.Session) -> None:
    """Mutation testing of the rule modules (docs/contributing.md): a table of the logic
    mutants killed per module, the survivors' diffs, and a failure under the floor. One or
    more modules only: `nox -s mutate -- src/partnerkit/money.py`."""
    session.install("-e", ".[dev,mutation]")
    session.run("python", "tools/mutate.py", *session.posargs)

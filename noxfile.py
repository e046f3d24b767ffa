"""Developer sessions: `nox -s tests lint typecheck docs bench` (each in its own venv)."""

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
    session.run("ruff", "check", "src", "tests", "benchmarks", "conftest.py", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "conftest.py")
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

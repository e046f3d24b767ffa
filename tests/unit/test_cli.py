"""The `partnerkit` command: the tour runs twice on one file, db upgrade, run-due, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import partnerkit as pk
from partnerkit.cli import _safe_url, main


def test_tour_runs_twice_on_the_same_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/t.db"

    assert main(["tour", "--url", url]) == 0
    first = capsys.readouterr()
    assert "ZILLIUMCorp" in first.out
    assert "partner_code.taken" in first.out
    assert "partner.username_required" in first.out
    assert "what you can do" in first.out
    assert "already there" not in first.out
    assert "\x1b[" not in first.out
    assert first.err == ""

    assert main(["tour", "--url", url]) == 0
    second = capsys.readouterr()
    assert "already there" in second.out
    assert "ZILLIUMCorp" in second.out
    assert "partner_code.taken" in second.out
    assert second.err == ""

    with pk.connect(url) as kit:
        usernames = sorted(str(p.username) for p in kit.partners.partners())
        assert usernames == ["nimbus", "ziliumlabs", "zillium"]
        assert len(kit.customers.customers()) == 1
        assert kit.partners.find_by_code("zi11iumc0rp").username == "zillium"


def test_db_upgrade_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/db/up.db"

    assert main(["db", "upgrade", url]) == 0
    assert main(["db", "upgrade", url]) == 0

    assert capsys.readouterr().out.splitlines() == [f"schema up to date at {url}"] * 2
    with pk.connect(url) as kit:
        assert kit.catalog.products() == []


def test_printed_urls_never_show_the_password() -> None:
    assert _safe_url("postgresql+psycopg://app:s3cret@db:5432/x") == (
        "postgresql+psycopg://app:***@db:5432/x"
    )
    assert _safe_url("sqlite:///a.db") == "sqlite:///a.db"


def test_run_due_reports_each_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/due.db"
    assert main(["db", "upgrade", url]) == 0
    capsys.readouterr()

    assert main(["run-due", url]) == 0

    out = capsys.readouterr().out
    assert out.startswith("run-due at ")
    assert "outbox" in out
    assert "total" in out


def test_run_due_on_a_missing_schema_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run-due", f"sqlite:///{tmp_path}/empty.db"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("error [storage.schema_outdated]: ")
    assert "what you can do: " in err


@pytest.mark.parametrize("url", ["notaurl://x", "not a url"])
def test_a_bad_url_exits_with_status_2(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", url]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error [")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"partnerkit {pk.__version__}"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])

    assert exited.value.code == 2

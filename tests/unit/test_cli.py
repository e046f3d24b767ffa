"""The `partnerkit` command: the tour runs twice on one file, db upgrade, run-due, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from words import pythonisms

import partnerkit as pk
from partnerkit.cli import _safe_url, main
from partnerkit.events import Email

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")


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

    # The mapping section on a rerun: nothing mapped, tracked or booked twice. Globex is
    # Zillium's customer by now, so the tour does not track it again.
    assert "mapping.admin_only" in second.out
    assert _rows(second.out, "tracks")[0] == (
        "Zillium tracked it@globex.example on an earlier run (already there)"
    )
    assert "emails sent" not in second.out
    assert _rows(second.out, "tags") == [
        "it@acme.example tags ZILLIUMCorp for crm (already there)",
        "it@globex.example tags ZILLIUMCorp for crm (already there)",
    ]
    assert _rows(second.out, "partner of record")[0].startswith("Zillium for crm, by Tag a Partner")
    assert _rows(second.out, "mapped")[0].endswith("(already there)")
    assert _rows(second.out, "payment") == ["Acme pays 100.00 USD for crm (already there)"]
    assert _rows(second.out, "  line") == ["Acme crm: 20.00 USD on 100.00 USD (1 entry)"]
    # The lifecycle chapter (issue 11): converted once on this file, its year on a simulated
    # clock in memory every run, twelve terms with the refused card's retry paid.
    assert _rows(first.out, "converted")[0].startswith("live from ")
    assert _rows(second.out, "subscription") == ["Acme, live since an earlier run (already there)"]
    for out in (first.out, second.out):
        assert "subscription.invalid_transition" in out
        assert _rows(out, "a day later") == ["the retry is paid: live"]
        year = out.split("a year on a simulated clock")[1]
        assert len([line for line in year.splitlines() if line.startswith("  INV-")]) == 12

    with pk.connect(url) as kit:
        usernames = sorted(str(p.username) for p in kit.partners.partners(actor=STAFF))
        assert usernames == ["gulf", "lanka", "nimbus", "referrals", "ziliumlabs", "zillium"]
        # The reseller portal's chapter adds its two customers once (issue 12).
        assert sorted(c.name for c in kit.customers.customers(actor=STAFF)) == [
            "Acme",
            "Globex",
            "Hooli",
            "Initrode",
        ]
        found = kit.partners.find_by_code("zi11iumc0rp")
        assert kit.partners.get(found.partner_id, actor=STAFF).username == "zillium"
        acme = kit.customers.find_by_user_email("it@acme.example", actor=STAFF)
        assert acme is not None
        assert len(kit.mapping.history(acme.id, actor=STAFF)) == 1
        zillium = kit.partners.get(kit.partners.find_by_code("ZILLIUMCorp").partner_id, actor=STAFF)
        assert [e.transaction_id for e in kit.commissions.entries(zillium.id, actor=STAFF)] == [
            "tour-acme-crm-1"
        ]
        assert kit.mapping.tracking_list(zillium.id, actor=STAFF) == []


def test_the_tour_checks_an_enquiry_and_shares_a_lead_across_regions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 9, item 7: a support agent checking a partner's enquiry, a lead across regions."""
    assert main(["tour", "--url", "memory://"]) == 0
    out = capsys.readouterr().out
    told = out[out.index("Who may be told what") : out.index("A lead shared across regions")]
    assert _rows(told, "  answer") == [
        "may be told",
        "may be told",
        "share nothing",
        "share nothing",
        "share nothing",
    ]
    assert "access.partner_admin" in told
    lead = out[out.index("A lead shared across regions") : out.index("Outbox")]
    assert [r.split(",")[0] for r in _rows(lead, "  rank 1")] == ["Gulf Partners"]
    assert _rows(lead, "  rank 3")[0].startswith("Lanka Systems, offered: 2 hop(s) away (LK)")
    assert "Referrals Inc, an affiliate" in " ".join(_rows(lead, "  excluded"))
    assert _rows(lead, "shared with") == ["3 partners, the PAM in copy of the email"]


def _rows(out: str, label: str) -> list[str]:
    """The values of the tour's rows labelled `label` (their first lines)."""
    prefix = f"  {label:<18} "
    return [line[len(prefix) :] for line in out.splitlines() if line.startswith(prefix)]


def test_tour_runs_in_memory_and_maps_customers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--url", "memory://"]) == 0

    captured = capsys.readouterr()
    out = captured.out
    assert captured.err == ""
    assert "tour on memory://" in out
    assert "already there" not in out
    mapping = out[out.index("Mapping customers to partners") : out.index("Outbox")]
    # Acme's admin tags Zillium; a user who is not an admin is refused first (001 seed).
    assert "mapping.admin_only" in mapping
    assert _rows(mapping, "tags")[0] == "it@acme.example tags ZILLIUMCorp for crm (tagged)"
    assert _rows(mapping, "partner of record")[0].startswith("Zillium for crm, by Tag a Partner")
    # Nimbus explains, then adds a free customer: case 3 of the 000 seed, provisional.
    assert _rows(mapping, "partner adds") == ["Nimbus Consulting adds Globex for books"]
    assert _rows(mapping, "case") == ["free"]
    assert _rows(mapping, "confirmation") == ["not needed"]
    assert "mapped at once without the customer's confirmation (use case 3)" in _rows(
        mapping, "  why"
    )
    [mapped] = _rows(mapping, "mapped")
    assert mapped.startswith("Nimbus Consulting for books, provisional until ")
    assert mapped.endswith("(added)")
    # Tracking sends nothing; tagging moves the record to the customer listing.
    # Globex is not Zillium's customer when Zillium tracks it.
    assert _rows(mapping, "tracks")[0] == "Zillium tracks it@globex.example, not its customer yet"
    assert _rows(mapping, "emails sent") == ["none"]
    assert _rows(mapping, "tracking list") == [
        "it@globex.example",
        "empty: moved to the customers",
    ]
    assert _rows(mapping, "customers") == ["customers of Zillium: Acme (crm), Globex (crm)"]
    # Commission follows the partner of record.
    assert _rows(mapping, "commission plan") == ["Zillium earns 20% of collected payments (set)"]
    assert _rows(mapping, "  line") == ["Acme crm: 20.00 USD on 100.00 USD (1 entry)"]
    assert _rows(mapping, "  total") == ["20.00 USD"]
    assert "commission.booked" in out[out.index("Outbox") :]


def test_the_tour_speaks_to_partners_and_customers(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 8, item 9: the tour is read as a partner or a customer would read the product."""
    assert main(["tour", "--url", "memory://"]) == 0
    out = capsys.readouterr().out
    people = out[: out.index("Outbox")]
    # No seed files, no internal key, no policy class: what the product says instead.
    assert "seed" not in people
    assert "compared as" not in people and "zllllumcorp" not in people
    assert "MappingPolicy" not in people
    [typed] = _rows(people, "customers type")
    assert typed.startswith("zilliumcorp, ZILLIUMCORP or zi11iumc0rp all find it")
    assert _rows(people, "partner of record")[0].startswith("Zillium for crm, by Tag a Partner,")
    assert _rows(people, "valid until")[0].endswith("(a link works for 365 days)")
    # Every message, remedy, reason and title a person reads passes the words scan.
    titles = [
        line
        for line, under in zip(people.splitlines(), people.splitlines()[1:], strict=False)
        if under.startswith("---")
    ]
    said = [
        *titles,
        *(
            text
            for label in ("message", "what you can do", "  why")
            for text in _rows(people, label)
        ),
    ]
    assert len(said) >= 12
    assert [text for text in said if pythonisms(text)] == []


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


def test_run_due_with_the_hosts_kit_sends_what_a_bare_url_would_leave_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'host.db'}"
    queued = pk.connect(url, deliver_on_commit=False)
    queued.migrate()
    with queued.transaction(), queued._runtime.uow() as uow:
        queued._runtime.send(uow, Email("it@acme.example", "Hello", "Body", "greeting"))
    queued.close()
    sent = pk.InMemoryMailer()
    app = tmp_path / "hostapp.py"
    app.write_text(
        "import partnerkit as pk\n"
        "MAILER = None\n"
        "def make_kit():\n"
        f"    return pk.connect({url!r}, mailer=MAILER)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import hostapp  # type: ignore[import-not-found]

    hostapp.MAILER = sent
    assert main(["run-due", url]) == 0
    with pk.connect(url) as kit:
        assert [m.status.value for m in kit.outbox(topic="greeting")] == ["pending"]
    assert main(["run-due", "--app", "hostapp:make_kit"]) == 0
    assert "on hostapp:make_kit" in capsys.readouterr().out
    assert [e.to for e in sent.sent] == ["it@acme.example"]
    with pk.connect(url) as kit:
        assert [m.status.value for m in kit.outbox(topic="greeting")] == ["delivered"]


@pytest.mark.parametrize(
    "argv", [["run-due"], ["run-due", "sqlite://", "--app", "x:y"], ["run-due", "--app", "nocolon"]]
)
def test_run_due_needs_a_url_or_an_app(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error [" in capsys.readouterr().err


def test_run_due_refuses_an_app_that_is_not_a_kit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notakit.py").write_text("def make():\n    return 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["run-due", "--app", "notakit:make"]) == 2
    err = capsys.readouterr().err
    assert "notakit:make did not build a partnerkit kit" in err
    # The command's reader runs the installation: the hint says what the factory returned.
    assert "developer hint: notakit:make returned int, not a partnerkit.Kit" in err


def test_outbox_lists_dead_messages_and_redrives_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'dead.db'}"
    kit = pk.connect(url, retry_policy=pk.RetryPolicy(max_attempts=1), deliver_on_commit=False)
    kit.migrate()
    kit.subscribe("product.added", lambda event: 1 / 0)
    kit.catalog.add_product("crm", name="CRM", actor=pk.Principal.staff("ops@vendor.example"))
    kit.run_due()
    kit.close()
    assert main(["outbox", "dead", url]) == 0
    out = capsys.readouterr().out
    assert "product.added" in out and "ZeroDivisionError" in out and "1 dead message" in out
    assert main(["outbox", "redrive", url]) == 0
    assert "re-drove 1 message" in capsys.readouterr().out
    assert main(["outbox", "dead", url]) == 0
    assert "0 dead messages" in capsys.readouterr().out
    assert main(["outbox", "redrive", url, "--id", "msg_nope"]) == 2

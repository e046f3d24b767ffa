"""No link secret is at rest in clear: after the guided tour (which mails a confirmation link and
makes sign-up links) no table, outbox message or printed line holds a token, while the mailer
received working ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import partnerkit as pk
from partnerkit.cli import main
from partnerkit.events import Email
from partnerkit.mapping.service import MappingService
from partnerkit.secrets import Secret, hash_token


def test_the_tour_leaves_no_token_at_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mailed: list[Email] = []
    links: list[str] = []
    send = pk.InMemoryMailer.send
    signup_link = MappingService.signup_link

    def recording_send(self: pk.InMemoryMailer, email: Email) -> None:
        mailed.append(email)
        send(self, email)

    def recording_link(self: MappingService, *args: Any, **kwargs: Any) -> Any:
        link = signup_link(self, *args, **kwargs)
        links.append(link.token)
        return link

    monkeypatch.setattr(pk.InMemoryMailer, "send", recording_send)
    monkeypatch.setattr(MappingService, "signup_link", recording_link)
    path = tmp_path / "tour.db"
    url = f"sqlite:///{path}"
    # Twice: a rerun on the same file makes new links and requests of its own.
    assert main(["tour", "--url", url]) == 0
    assert main(["tour", "--url", url]) == 0
    printed = capsys.readouterr().out

    mailed_tokens = [str(v) for e in mailed for v in e.context.values() if isinstance(v, Secret)]
    # One approval link per run, and on the first the reseller chapter's two invitations (the
    # reseller's, and the portal of the customer it migrates; a rerun finds them done).
    assert len(mailed_tokens) == 4, "the tour mails one approval link per run, 2 invitations once"
    assert len(links) == 2, "the tour makes one sign-up link per run"
    tokens = mailed_tokens + links

    with sqlite3.connect(path) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        assert {"consent_requests", "signup_links", "outbox"} <= set(tables)
        stored = repr({t: db.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables})
    with pk.connect(url) as kit:
        messages = kit.outbox()
    outbox = repr(messages) + repr([m.payload for m in messages])

    for token in tokens:
        assert token not in stored
        assert token not in outbox
        assert token not in printed
        assert token not in repr(mailed)
        # What is stored is the hash, by which the link is found when it is used.
        assert hash_token(token) in stored

"""Errors are safe to log and to return: bounded, JSON-ready, operator details held back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import partnerkit as pk
from partnerkit.errors import MAX_DETAIL_CHARS, MAX_MESSAGE_CHARS, BackendUnavailableError


def test_a_message_built_from_huge_input_is_bounded() -> None:
    err = pk.ValidationError("bad value " + "x" * 1_000_000, details={"value": "y" * 10_000})
    assert len(err.message) == MAX_MESSAGE_CHARS and err.message.endswith("…")
    assert len(err.details["value"]) == MAX_DETAIL_CHARS
    assert len(str(err)) < 2_000


def test_as_dict_is_always_json_ready() -> None:
    err = pk.ConflictError(
        details={
            "at": datetime(2026, 1, 5, tzinfo=UTC),
            "rate": Decimal("1.5"),
            "ids": ("a", "b"),
            "nan": float("nan"),
            "nested": {"kind": pk.PartnerKind.RESELLER},
            "blob": b"\x00\xff",
        }
    )
    data = json.loads(json.dumps(err.as_dict()))
    assert data["details"]["rate"] == "1.5"
    assert data["details"]["ids"] == ["a", "b"]
    assert data["details"]["nested"] == {"kind": "reseller"}


def test_driver_messages_stay_out_of_as_dict_unless_asked() -> None:
    err = BackendUnavailableError(
        "the database failed", details={"driver_message": "syntax error at SELECT secret"}
    )
    assert "driver_message" not in err.as_dict()["details"]
    assert err.as_dict(include_internal=True)["details"]["driver_message"].startswith("syntax")


def test_the_developer_hint_stays_off_the_persons_screen() -> None:
    # Issue 8, item 9: the remedy is the person's; the call that carries it out is the
    # developer's, and a host that shows str(err) or as_dict() shows no Python.
    err = pk.ValidationError(
        "admin email 'a@' is not a valid email address",
        field="admin_email",
        remedy="Check the address and try again.",
        hint="validate.email() returned the reason",
    )
    assert err.hint == "validate.email() returned the reason"
    assert "validate.email" not in str(err)
    assert "hint" not in err.as_dict()
    assert err.as_dict(include_internal=True)["hint"] == "validate.email() returned the reason"
    # A traceback shows it, as a note.
    assert err.__notes__ == ["developer hint: validate.email() returned the reason"]


def test_a_class_hint_is_the_default_and_an_instance_may_replace_it() -> None:
    from partnerkit.mapping.errors import UsernameRequiredError

    assert "set_username" in (UsernameRequiredError().hint or "")
    assert UsernameRequiredError(hint="another call").hint == "another call"
    assert pk.ConflictError().hint is None
    assert not hasattr(pk.ConflictError(), "__notes__")

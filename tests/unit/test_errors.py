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

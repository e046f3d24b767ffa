"""The serialization converter: round-trips of every public value, and errors that name a path."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from partnerkit.catalog.products import Product
from partnerkit.consent import ConsentKind
from partnerkit.customers.accounts import (
    ContactPerson,
    Customer,
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.customers.events import PlanChanged
from partnerkit.errors import ERRORS, StructureError, ValidationError
from partnerkit.events import (
    AccessDenied,
    DomainEvent,
    Email,
    MessageStatus,
    OutboxMessage,
    RetryPolicy,
)
from partnerkit.mapping.codes import CodeAdvice, CodeProblem
from partnerkit.mapping.events import CommissionBooked, ConsentRequested
from partnerkit.mapping.partners import (
    Partner,
    PartnerCode,
    PartnerCodeStatus,
    PartnerKind,
    PartnerStatus,
)
from partnerkit.money import Money
from partnerkit.serialization import from_dict, from_json, structure, to_dict, to_json, unstructure

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)
JAN_2 = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)


def partner() -> Partner:
    return Partner(
        id="ptr_1",
        name="Zillium",
        email="ops@zillium.example",
        kind=PartnerKind.RESELLER,
        created_at=JAN_1,
        last_active_at=JAN_2,
        username="zillium",
        email_domains=("zillium.example",),
        regions=("IN",),
        expertise=("crm",),
    )


def customer() -> Customer:
    return Customer(
        id="cus_1",
        name="Acme",
        created_at=JAN_1,
        domains=("acme.example",),
        users=(
            CustomerUser("it@acme.example", "IT", is_admin=True),
            CustomerUser("bo@acme.example", "Bo"),
        ),
        contacts=(
            ContactPerson("IT", "it@acme.example", primary=True),
            ContactPerson("Bo", "bo@acme.example", phone="+1 555 0100"),
        ),
        products=(
            ProductPlan("crm", Edition.PAID, date(2026, 1, 31)),
            ProductPlan("books", Edition.FREE, date(2025, 12, 1)),
        ),
        version=3,
    )


def email() -> Email:
    return Email(
        to="it@acme.example",
        subject="Welcome",
        body="Hello",
        template="customer.welcome",
        context={"name": "Acme", "links": ["a", "b"], "count": 2, "admin": True, "none": None},
    )


ROUND_TRIPS: list[object] = [
    Money.of("12.50", "USD"),
    Money.of("-3", "JPY"),
    Money.of("1.234", "KWD"),
    Product(key="crm", name="CRM", created_at=JAN_1, version=2),
    partner(),
    Partner(
        id="ptr_2",
        name="Quiet",
        email="q@quiet.example",
        kind=PartnerKind.AFFILIATE,
        created_at=JAN_1,
        last_active_at=JAN_1,
        status=PartnerStatus.DEACTIVATED,
    ),
    PartnerCode(key="zllllumcorp", code="ZILLIUMCorp", partner_id="ptr_1", issued_at=JAN_1),
    PartnerCode(
        key="old",
        code="OLDCode",
        partner_id="ptr_1",
        issued_at=JAN_1,
        status=PartnerCodeStatus.RETIRED,
        retired_at=JAN_2,
    ),
    customer(),
    Customer(id="cus_2", name="Empty", created_at=JAN_2),
    DomainEvent("partner.registered", {"partner_id": "ptr_1", "tags": ["x"], "n": 1}),
    DomainEvent("nothing.happened"),
    email(),
    OutboxMessage.for_event("msg_1", DomainEvent("partner.registered", {"id": "ptr_1"}), JAN_1),
    OutboxMessage.for_email("msg_2", email(), JAN_1)
    .failed("smtp down", JAN_2, RetryPolicy())
    .delivered(JAN_2 + timedelta(minutes=1)),
    CodeAdvice(
        code="Zillium-2024",
        valid=False,
        score=60,
        problems=(CodeProblem("punctuation", "No '-'."), CodeProblem("digits", "No digits.")),
        suggestions=("ZILLIUMCorp", "ZILLIUM"),
    ),
    CodeAdvice(code="ZILLIUMCorp", valid=True, score=100, problems=(), suggestions=()),
    RetryPolicy(),
    RetryPolicy(max_attempts=3, first_delay=timedelta(seconds=1.5), max_delay=timedelta(days=2)),
]


def is_json_ready(data: object) -> bool:
    if data is None or type(data) in (str, int, bool):
        return True
    if type(data) is list:
        return all(is_json_ready(item) for item in data)
    if type(data) is dict:
        return all(type(k) is str and is_json_ready(v) for k, v in data.items())
    return False


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=lambda value: type(value).__name__)
def test_every_public_value_round_trips(value: object) -> None:
    data = unstructure(value)
    assert is_json_ready(data)
    assert structure(data, type(value)) == value


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=lambda value: type(value).__name__)
def test_every_public_value_round_trips_through_json(value: object) -> None:
    assert from_json(to_json(value), type(value)) == value


def test_the_wire_forms_are_strings_for_decimals_dates_and_enums() -> None:
    assert unstructure(Money.of("12.5", "USD")) == {"amount": "12.50", "currency": "USD"}
    assert unstructure(Decimal("0.10")) == "0.10"
    assert unstructure(date(2026, 1, 31)) == "2026-01-31"
    assert unstructure(JAN_2) == "2026-01-02T09:30:00+00:00"
    assert unstructure(timedelta(minutes=1)) == "PT1M"
    assert unstructure(timedelta(days=1, seconds=1.25)) == "P1DT1.25S"
    assert unstructure(timedelta(0)) == "PT0S"
    assert unstructure(-timedelta(hours=6)) == "-PT6H"
    kind = unstructure(PartnerKind.SERVICE_PARTNER)
    assert kind == "service_partner"
    assert type(kind) is str
    data = unstructure(customer())
    assert data["users"][0] == {"email": "it@acme.example", "name": "IT", "is_admin": True}
    assert data["products"][0] == {"product": "crm", "edition": "paid", "since": "2026-01-31"}
    assert unstructure(("a", "b")) == ["a", "b"]


def test_decimal_reads_strings_and_ints() -> None:
    assert structure("12.50", Decimal) == Decimal("12.50")
    assert structure(12, Decimal) == Decimal(12)


def test_an_instant_with_an_offset_is_read_as_utc() -> None:
    read = structure("2026-01-02T15:00:00+05:30", datetime)
    assert read == JAN_2
    assert read.tzinfo is UTC
    assert structure("2026-01-02T09:30:00Z", datetime) == JAN_2


def test_to_json_is_compact_and_keeps_decimals_as_strings() -> None:
    assert to_json(Money.of("12.50", "USD")) == '{"amount":"12.50","currency":"USD"}'
    assert json.loads(to_json(partner()))["kind"] == "reseller"


def test_unstructure_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValidationError):
        unstructure(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value under test


# --- errors -----------------------------------------------------------------------------------


def structure_error(data: object, cls: type[Any]) -> StructureError:
    with pytest.raises(StructureError) as caught:
        structure(data, cls)
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.code == "serialization.invalid"
    assert error.details["field"] == error.field
    assert error.details["errors"]
    return error


def partner_data(**changes: object) -> dict[str, Any]:
    data: dict[str, Any] = unstructure(partner())
    data.update(changes)
    return data


def test_structure_error_is_registered_under_its_code() -> None:
    assert ERRORS["serialization.invalid"] is StructureError


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"regions": "IN"}, "$.regions", "expected a list"),
        ({"regions": ["IN", 7]}, "$.regions[1]", "expected a string"),
        ({"version": "one"}, "$.version", "expected an integer"),
        ({"version": True}, "$.version", "expected an integer"),
        ({"kind": "bogus"}, "$.kind", "'reseller'"),
        ({"name": 5}, "$.name", "expected a string"),
        ({"username": ["x"]}, "$.username", "expected a string"),
        ({"created_at": "2026-01-01T00:00:00"}, "$.created_at", "no UTC offset"),
        ({"created_at": "2026-01-01"}, "$.created_at", "ISO 8601"),
        ({"last_active_at": 1767225600}, "$.last_active_at", "ISO 8601"),
        ({"bogus": 1}, "$.bogus", "bogus"),
    ],
)
def test_a_wrong_partner_field_is_named_by_its_path(
    changes: dict[str, object], field: str, words: str
) -> None:
    error = structure_error(partner_data(**changes), Partner)
    assert error.field == field
    assert words in error.message
    assert field in error.message


def test_a_missing_required_field_is_named() -> None:
    data = partner_data()
    del data["email"]
    error = structure_error(data, Partner)
    assert error.field == "$.email"
    assert error.details["errors"] == ["required field missing @ $.email"]


def test_every_problem_is_listed_and_the_first_one_is_the_field() -> None:
    error = structure_error(partner_data(version="one", kind="bogus", regions="IN"), Partner)
    assert error.field == "$.kind"
    assert [message.rsplit(" @ ", 1)[1] for message in error.details["errors"]] == [
        "$.kind",
        "$.regions",
        "$.version",
    ]
    assert "2 more problems" in error.message


def test_a_nested_bad_field_in_a_customer_is_named_by_its_path() -> None:
    data = unstructure(customer())
    data["users"][0]["is_admin"] = "yes"
    data["products"][1]["since"] = "2026-01-31T00:00:00+00:00"
    error = structure_error(data, Customer)
    assert error.field == "$.users[0].is_admin"
    assert error.details["errors"] == [
        "expected a boolean, got a string ('yes') @ $.users[0].is_admin",
        "'2026-01-31T00:00:00+00:00' is not an ISO date such as '2026-01-31' @ $.products[1].since",
    ]


def test_an_unknown_enum_value_deep_inside_is_named() -> None:
    data = unstructure(customer())
    data["products"][0]["edition"] = "gold"
    assert structure_error(data, Customer).field == "$.products[0].edition"


def test_a_float_amount_in_money_is_refused_at_its_path() -> None:
    error = structure_error({"amount": 12.5, "currency": "USD"}, Money)
    assert error.field == "$.amount"
    assert "float" in error.message
    assert error.details["cause"] == "money.float_amount"


def test_money_errors_keep_their_message_and_get_the_path_where_they_happened() -> None:
    data = unstructure(OutboxMessage.for_event("m", DomainEvent("x"), JAN_1))
    data["payload"] = {"free": "form"}
    assert structure(data, OutboxMessage).payload == {"free": "form"}

    error = structure_error({"amount": "1.00", "currency": "XXY"}, Money)
    assert error.field == "$.currency"
    assert "'XXY' is not a known ISO 4217 currency code" in error.message
    assert error.details["cause"] == "money.unknown_currency"

    error = structure_error({"amount": "1.005", "currency": "USD"}, Money)
    assert error.field == "$.amount"
    assert error.details["cause"] == "money.invalid_amount"
    assert error.remedy is not None


def test_money_nested_in_a_mapping_or_tuple_is_reported_with_the_full_path() -> None:
    error = structure_error(
        [{"amount": "1", "currency": "USD"}, {"amount": 2.5}], tuple[Money, ...]
    )
    assert error.field == "$[1].currency"
    assert error.details["errors"] == [
        "required field missing @ $[1].currency",
    ]
    error = structure_error(
        [{"amount": "1", "currency": "USD"}, {"amount": 2.5, "currency": "EUR"}],
        tuple[Money, ...],
    )
    assert error.field == "$[1].amount"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "1"}, "$.currency"),
        ({"amount": "1", "currency": "USD", "note": "x"}, "$.note"),
        ("12.50 USD", "$"),
        ({"amount": True, "currency": "USD"}, "$.amount"),
        ({"amount": "ten", "currency": "USD"}, "$.amount"),
        ({"amount": "1", "currency": 840}, "$.currency"),
    ],
)
def test_malformed_money_is_refused(data: object, field: str) -> None:
    assert structure_error(data, Money).field == field


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        (12.5, Decimal),
        ("NaN", Decimal),
        ("twelve", Decimal),
        (True, Decimal),
        ("2026-02-30", date),
        ("20260131", date),
        (20260131, date),
        ("2026-01-31T10:00:00", datetime),
        ("yesterday", datetime),
        ("0001-01-01T00:00:00+01:00", datetime),
        ("1 hour", timedelta),
        ("P", timedelta),
        ("PT", timedelta),
        ("P999999999DT24H", timedelta),
        ("yes", bool),
        (1, bool),
        ("3", int),
        (3.0, int),
        (3, str),
        ("reseller ", PartnerKind),
        (["a"], dict[str, Any]),
    ],
)
def test_values_of_the_wrong_shape_are_refused_at_the_root(data: object, cls: type[Any]) -> None:
    assert structure_error(data, cls).field == "$"


@pytest.mark.parametrize("data", [None, [], "partner", 3])
def test_a_non_object_for_a_class_is_refused(data: object) -> None:
    error = structure_error(data, Partner)
    assert error.field == "$"
    assert "expected an object" in error.message


def test_an_unsupported_type_is_still_a_structure_error() -> None:
    assert structure_error({}, object).field == "$"


def test_a_payload_must_be_an_object() -> None:
    error = structure_error({"name": "x", "payload": ["not", "a", "dict"]}, DomainEvent)
    assert error.field == "$.payload"


def test_a_dead_message_status_round_trips_and_a_bad_one_is_named() -> None:
    message = OutboxMessage.for_event("m", DomainEvent("x"), JAN_1)
    data = unstructure(message)
    data["status"] = "dead"
    assert structure(data, OutboxMessage).status is MessageStatus.DEAD
    data["status"] = "lost"
    assert structure_error(data, OutboxMessage).field == "$.status"


# --- JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"amount": "1", "currency": "USD"} trailing',
        '{"amount": NaN, "currency": "USD"}',
        '{"amount": "1", "amount": "2", "currency": "USD"}',
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_unreadable_json_is_a_structure_error_at_the_root(text: str) -> None:
    with pytest.raises(StructureError) as caught:
        from_json(text, Money)
    assert caught.value.field == "$"
    assert caught.value.code == "serialization.invalid"


def test_a_json_float_amount_is_refused() -> None:
    with pytest.raises(StructureError) as caught:
        from_json('{"amount": 12.50, "currency": "USD"}', Money)
    assert caught.value.field == "$.amount"


def test_an_aware_non_utc_instant_round_trips_as_the_same_instant() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    product = Product(key="crm", name="CRM", created_at=datetime(2026, 1, 1, 5, 30, tzinfo=india))
    assert from_json(to_json(product), Product) == product
    assert from_json(to_json(product), Product).created_at == JAN_1


# --- to_dict / from_dict: what a host stores or sends of partnerkit's values ------------------


TYPED_EVENTS: list[object] = [
    PlanChanged("cus_1", "crm", Edition.PAID, JAN_1.date()),
    CommissionBooked("com_1", "ptr_1", "txn_1", Money.of("2.50", "USD")),
    ConsentRequested(ConsentKind.TRANSFER, "cns_1", "cus_1", "crm"),
    AccessDenied("mapping.admin_only", "Only admins", {"by": "bob@acme.example"}),
]


@pytest.mark.parametrize("value", [*ROUND_TRIPS, *TYPED_EVENTS], ids=lambda v: type(v).__name__)
def test_to_dict_and_from_dict_round_trip(value: object) -> None:
    data = to_dict(value)
    assert is_json_ready(data)
    assert from_dict(data, type(value)) == value


def test_a_typed_event_payload_reads_back_as_the_event() -> None:
    event = ConsentRequested(ConsentKind.TRANSFER, "cns_1", "cus_1", "crm")
    message = OutboxMessage.for_event("msg_1", event, JAN_1)
    assert message.topic == "consent.transfer.requested"
    assert from_dict(message.payload, ConsentRequested) == event


def test_to_dict_refuses_what_is_not_a_record() -> None:
    with pytest.raises(ValidationError):
        to_dict(["not", "a", "record"])

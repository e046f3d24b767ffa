"""The CP error catalogue (issue 10, item 3): every code of the 003 source document's
Troubleshooting table (003_9950710e2377ac79.txt) is a typed `PaymentError` with the table's
"What went wrong?" as its message and "What can you do?" as its remedy, and each is produced by
the charging rules or the fake gateway with those words."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from words import pythonisms

import partnerkit as pk
from partnerkit.billing import payment_errors
from partnerkit.billing.payment_errors import CP_ERRORS, PortalPaymentError, cp_error
from partnerkit.errors import ERRORS, Audience, PaymentError

#: The table, copied verbatim from the source document into the repository.
TABLE = Path(__file__).with_name("cp_codes_003.md")
#: The source document itself, where the machine has it: the copy must not drift from it.
SEED = Path("/work/shared/seeds/003_9950710e2377ac79.txt")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _rows(text: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("CP"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


ROWS = _rows(TABLE.read_text(encoding="utf-8"))


def test_the_copy_is_the_source_documents_table() -> None:
    assert len(ROWS) == 11
    if SEED.exists():
        assert _rows(SEED.read_text(encoding="utf-8")) == ROWS


def test_the_catalogue_is_exactly_the_tables_codes() -> None:
    assert sorted(CP_ERRORS) == sorted(ROWS)


@pytest.mark.parametrize("cp_code", sorted(ROWS))
def test_each_cp_code_is_a_typed_payment_error_in_the_tables_words(cp_code: str) -> None:
    went_wrong, can_do = ROWS[cp_code]
    cls = CP_ERRORS[cp_code]
    assert issubclass(cls, PaymentError)
    assert issubclass(cls, pk.PortalPaymentError)
    assert cls.code == f"payment.{cp_code.lower()}"
    assert ERRORS[cls.code] is cls
    assert cls.cp_code == cp_code
    error = cls(details={"gateway_code": "x"})
    assert error.message == went_wrong
    assert error.remedy == can_do
    assert error.details == {"cp_code": cp_code, "gateway_code": "x"}
    assert str(error) == f"[{cls.code}] {went_wrong} — {can_do}"
    assert json.loads(json.dumps(error.as_dict()))["remedy"] == can_do
    assert error.for_customer().endswith(f"(error {cp_code})")


def test_audiences_cp3002_is_for_the_vendors_staff_alone() -> None:
    assert CP_ERRORS["CP3002"].audience == (Audience.STAFF,)
    for cls in CP_ERRORS.values():
        # The table's words address the vendor; the customer who meets the code reads
        # `customer_message` on the payment page.
        assert cls.audience[0] is Audience.STAFF
        assert Audience.DEVELOPER not in cls.audience
    # Merchant-account settings are the staff's business only.
    for cp_code in ("CP2001", "CP3001", "CP3002", "CP4002", "CP4003"):
        assert CP_ERRORS[cp_code].audience == (Audience.STAFF,), cp_code


@pytest.mark.parametrize("cp_code", sorted(ROWS))
def test_the_customers_words_are_plain_and_tell_nothing_of_the_merchant_account(
    cp_code: str,
) -> None:
    words = CP_ERRORS[cp_code].customer_message
    assert pythonisms(words) == []
    for secret in ("credential", "merchant", "fraud filter", "reference transaction", "tax"):
        assert secret not in words.lower(), (cp_code, secret)


def test_cp_error_builds_the_error_an_adapter_maps_to() -> None:
    error = cp_error("CP3003", gateway_code="fraudulent")
    assert isinstance(error, payment_errors.FraudDeclinedError)
    assert error.details == {"cp_code": "CP3003", "gateway_code": "fraudulent"}
    with pytest.raises(KeyError):
        cp_error("CP9999")


def test_the_other_payment_errors_say_who_reads_them() -> None:
    assert payment_errors.IdempotencyKeyReusedError.audience == (Audience.DEVELOPER,)
    assert issubclass(payment_errors.IdempotencyKeyReusedError, pk.ConflictError)
    assert issubclass(payment_errors.CardNumberRefusedError, pk.ValidationError)
    for cls in (
        payment_errors.CardDeclinedError,
        payment_errors.RefundRefusedError,
        payment_errors.GatewayUnavailableError,
    ):
        assert issubclass(cls, PaymentError)
        assert not issubclass(cls, PortalPaymentError)


# --- every CP code, produced -------------------------------------------------------------------


def _fake() -> tuple[pk.FakePaymentGateway, pk.SimulatedClock]:
    clock = pk.SimulatedClock(T0)
    return pk.FakePaymentGateway(clock=clock, duplicate_check=True), clock


def _request(
    fake: pk.FakePaymentGateway, key: str = "pay_1", **changes: object
) -> pk.ChargeRequest:
    values: dict[str, object] = {
        "idempotency_key": key,
        "customer_id": "cus_1",
        "amount": pk.Money.of("20", "USD"),
        "payment_method": fake.tokenize("4242424242424242", 12, 2030),
    }
    values.update(changes)
    return pk.ChargeRequest(**values)  # type: ignore[arg-type]


def _by_rules(cp_code: str) -> PaymentError:
    """The error the pure rules give before the gateway is called."""
    fake, _ = _fake()
    capabilities = fake.capabilities()
    request = _request(fake)
    portal = None
    recent: list[pk.RecentCharge] = []
    if cp_code == "CP1003":
        portal = pk.PortalFacts(contact_deleted=True)
    elif cp_code == "CP1004":
        portal = pk.PortalFacts(recurring_profile_deleted=True)
    elif cp_code == "CP2001":
        portal = pk.PortalFacts(default_tax_missing=True)
    elif cp_code == "CP3001":
        capabilities = fake.set_capabilities(reference_transactions=False)
        request = _request(fake, saved_card=True)
    elif cp_code == "CP3002":
        capabilities = fake.set_capabilities(credentials_valid=False)
    elif cp_code == "CP3005":
        recent = [
            pk.RecentCharge.of(_request(fake, "pay_0", payment_method=request.payment_method), T0)
        ]
    elif cp_code == "CP4001":
        request = _request(fake, amount=pk.Money.of("0.49", "USD"))
    elif cp_code == "CP4002":
        capabilities = fake.set_capabilities(recurring=False)
        request = _request(fake, recurring=True)
    elif cp_code == "CP4003":
        request = _request(fake, amount=pk.Money.of("20", "CHF"))
    else:  # pragma: no cover - RULE_CODES lists what the rules know
        raise AssertionError(f"{cp_code} is the gateway's to say")
    refusal = pk.decide_charge(
        request, capabilities, recent, T0 + timedelta(minutes=1), portal=portal
    )
    assert refusal is not None
    assert refusal.cp_code == cp_code
    with pytest.raises(PortalPaymentError) as raised:
        refusal.raise_refusal()
    return raised.value


def _by_the_gateway(cp_code: str) -> PaymentError:
    """The error the fake gateway answers with, set to produce it."""
    fake, clock = _fake()
    outcome = {
        "CP3001": pk.FakeOutcome.REFERENCE_TRANSACTIONS_DISABLED,
        "CP3002": pk.FakeOutcome.INVALID_CREDENTIALS,
        "CP3003": pk.FakeOutcome.FRAUD,
        "CP3004": pk.FakeOutcome.ADDRESS_VERIFICATION,
    }.get(cp_code)
    request = _request(fake)
    if outcome is not None:
        fake.next_charges(outcome)
    elif cp_code == "CP3005":
        card = fake.save_card("cus_1", request.payment_method)
        assert fake.charge(
            _request(fake, "pay_0", payment_method=card.token, saved_card=True)
        ).succeeded
        clock.advance(timedelta(minutes=2))
        request = _request(fake, payment_method=card.token, saved_card=True)
    elif cp_code == "CP4001":
        request = _request(fake, amount=pk.Money.of("49", "JPY"))
    elif cp_code == "CP4002":
        fake.set_capabilities(recurring=False)
        request = _request(fake, recurring=True)
    elif cp_code == "CP4003":
        request = _request(fake, amount=pk.Money.of("20", "CHF"))
    else:  # pragma: no cover - GATEWAY_CODES lists what the gateway says
        raise AssertionError(f"{cp_code} is a fact of the vendor's records, not the gateway's")
    result = fake.charge(request)
    assert result.status is pk.ChargeStatus.FAILED
    error = result.error()
    assert error is not None
    return error


#: What the pure rules know before the gateway is called: the vendor's records (CP1003, CP1004,
#: CP2001) and the gateway's capabilities.
RULE_CODES = (
    "CP1003",
    "CP1004",
    "CP2001",
    "CP3001",
    "CP3002",
    "CP3005",
    "CP4001",
    "CP4002",
    "CP4003",
)
#: What the gateway answers: its own filters (CP3003, CP3004), and what its capabilities refuse
#: when they changed since they were read.
GATEWAY_CODES = ("CP3001", "CP3002", "CP3003", "CP3004", "CP3005", "CP4001", "CP4002", "CP4003")
CASES = [(code, _by_rules) for code in RULE_CODES] + [
    (code, _by_the_gateway) for code in GATEWAY_CODES
]


def test_every_code_is_produced_by_the_rules_or_the_gateway() -> None:
    assert set(RULE_CODES) | set(GATEWAY_CODES) == set(ROWS)


@pytest.mark.parametrize(
    ("cp_code", "produce"), CASES, ids=[f"{code}-{f.__name__.strip('_')}" for code, f in CASES]
)
def test_every_cp_code_is_produced_with_the_tables_remedy(
    cp_code: str, produce: Callable[[str], PaymentError]
) -> None:
    error = produce(cp_code)
    assert isinstance(error, CP_ERRORS[cp_code])
    assert error.code == f"payment.{cp_code.lower()}"
    assert error.details["cp_code"] == cp_code
    went_wrong, can_do = ROWS[cp_code]
    assert error.message == went_wrong
    assert error.remedy == can_do
    for text in (error.message, error.remedy or ""):
        assert pythonisms(text) == []
    # What a program reads: the rule or the gateway's own code says where it came from.
    assert "rule" in error.details or "gateway_code" in error.details


def test_every_payment_error_has_a_developer_hint() -> None:
    ours = [cls for cls in ERRORS.values() if cls.__module__ == payment_errors.__name__]
    assert len(ours) == 16
    missing = [cls.code for cls in ours if not cls.default_hint]
    assert not missing
    error = cp_error("CP3004")
    assert error.hint is not None
    assert "hint" not in error.as_dict()
    assert error.as_dict(include_internal=True)["hint"] == error.hint

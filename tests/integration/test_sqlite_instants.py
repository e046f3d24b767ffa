"""UTC instants on SQLite are written and read by partnerkit's own conversion (types.py), which
must store exactly the text SQLAlchemy's DATETIME stores and read back every form it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects.sqlite import DATETIME, pysqlite

from partnerkit.backends.sql.types import UtcDateTime

_DIALECT = pysqlite.dialect()
_OURS = UtcDateTime().dialect_impl(_DIALECT)
_BIND = _OURS.bind_processor(_DIALECT)
_READ = _OURS.result_processor(_DIALECT, None)
_SQLALCHEMY_BIND = DATETIME().bind_processor(_DIALECT)
_SQLALCHEMY_READ = DATETIME().result_processor(_DIALECT, None)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),  # noqa: DTZ001  (hypothesis bounds are naive)
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_an_instant_is_stored_as_sqlalchemy_stores_it_and_read_back_equal(value: datetime) -> None:
    naive = value.astimezone(UTC).replace(tzinfo=None)
    stored = _BIND(value)
    assert stored == _SQLALCHEMY_BIND(naive)
    assert _READ(stored) == value
    assert _READ(stored) == _SQLALCHEMY_READ(stored).replace(tzinfo=UTC)


def test_text_without_microseconds_and_null_are_read_too() -> None:
    assert _READ("2026-01-05 09:30:00") == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert _READ(None) is None
    assert _BIND(None) is None

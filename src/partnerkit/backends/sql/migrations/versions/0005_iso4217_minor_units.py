"""Money amounts in the currencies whose minor unit changed when partnerkit moved from CLDR's
cash digits to ISO 4217 (HUF, IDR, COP and others had 0 decimals, ISO gives them 2; IQD 3):
the stored counts of minor units are rescaled so that every amount keeps its value.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: currency -> (digits before, digits after), frozen as they were at this revision.
CHANGED: dict[str, tuple[int, int]] = {
    "AFN": (0, 2),
    "ALL": (0, 2),
    "COP": (0, 2),
    "HUF": (0, 2),
    "IDR": (0, 2),
    "IQD": (0, 3),
    "IRR": (0, 2),
    "KPW": (0, 2),
    "LAK": (0, 2),
    "LBP": (0, 2),
    "MGA": (0, 2),
    "MMK": (0, 2),
    "SOS": (0, 2),
    "SYP": (0, 2),
    "YER": (0, 2),
}

#: (table, minor-units column, currency column) for every Money stored so far.
MONEY_COLUMNS = (("commission_entries", "base_minor", "currency"),)


def _rescale(up: bool) -> None:
    for table, amount, currency in MONEY_COLUMNS:
        for code, (before, after) in CHANGED.items():
            factor = 10 ** (after - before)
            column = sa.column(amount, sa.BigInteger)
            # Exact integer arithmetic: multiplying up never rounds; dividing back is exact for
            # every value this revision wrote.
            value = column * factor if up else column / factor
            op.execute(
                sa.table(table, column, sa.column(currency, sa.String))
                .update()
                .where(sa.column(currency, sa.String) == code)
                .values({amount: sa.cast(value, sa.BigInteger)})
            )


def upgrade() -> None:
    _rescale(up=True)


def downgrade() -> None:
    _rescale(up=False)

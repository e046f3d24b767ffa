"""A subscription counts its days in a calendar of its own: the customer's time zone when it
was created (their own, else the organisation's), so its terms start, renew and pause at
midnight where the customer is, and its invoices name the days the customer's calendar shows
(issue 11). Subscriptions from before keep UTC, the calendar they were counted in.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC")
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.drop_column("time_zone")

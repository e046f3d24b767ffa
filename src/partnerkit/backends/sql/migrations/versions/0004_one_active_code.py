"""A partner holds at most one active code, as a constraint: `partner_active_codes`, keyed by
the partner. Existing data is carried over: each partner's newest active code stays active, and
any older one still marked active (only a race could have left one) is retired.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    active_codes = op.create_table(
        "partner_active_codes",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"], ["partner_codes.key"], name=op.f("fk_partner_active_codes_key_partner_codes")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_active_codes_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_partner_active_codes")),
        sa.UniqueConstraint("key", name=op.f("uq_partner_active_codes_key")),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    codes = sa.table(
        "partner_codes",
        sa.column("key", sa.String),
        sa.column("partner_id", sa.String),
        sa.column("status", sa.String),
        sa.column("issued_at", sa.DateTime),
        sa.column("retired_at", sa.DateTime),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(codes.c.key, codes.c.partner_id, codes.c.issued_at)
        .where(codes.c.status == "active")
        .order_by(codes.c.partner_id, codes.c.issued_at.desc(), codes.c.key.desc())
    ).all()
    kept: dict[str, str] = {}
    for key, partner_id, _issued_at in rows:
        if partner_id not in kept:
            kept[partner_id] = key
            continue
        # An older code a race left active: retired when the newer one was issued.
        newer = next(r for r in rows if r.key == kept[partner_id])
        bind.execute(
            codes.update()
            .where(codes.c.key == key)
            .values(status="retired", retired_at=newer.issued_at)
        )
    if kept:
        op.bulk_insert(
            active_codes, [{"partner_id": pid, "key": key} for pid, key in sorted(kept.items())]
        )


def downgrade() -> None:
    op.drop_table("partner_active_codes")

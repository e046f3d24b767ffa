"""The partner program's second pass (issue 8): a customer's own time zone
(`customers.time_zone`); the instant a free customer's provisional mapping ends
(`partner_records.provisional_ends_at`, indexed for the expiry job instead of the day); and the
products a sign-up link offers (`signup_link_products`) in place of its single optional product.

Existing data is carried over: every account follows the organisation's time zone, as before;
a provisional mapping ends at the end of its last day in UTC, as it did; a link for one product
offers that product, and a link for "every product" offers none, so that the person signing up
chooses (it no longer maps every product the partner works on). Going down, a link keeps the
first of its products.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_records = sa.table(
    "partner_records",
    sa.column("id", sa.String),
    sa.column("provisional_until", sa.Date),
    sa.column("provisional_ends_at", UtcDateTime()),
)
_links = sa.table(
    "signup_links", sa.column("token_hash", sa.String), sa.column("product", sa.String)
)
_link_products = sa.table(
    "signup_link_products",
    sa.column("token_hash", sa.String),
    sa.column("position", sa.Integer),
    sa.column("product", sa.String),
)


def _end_of_utc_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def upgrade() -> None:
    # Plain ALTERs, not batch: on SQLite a batch rebuilds the table, and rebuilding
    # partner_records (which commission entries refer to) is refused once it holds rows.
    bind = op.get_bind()
    op.add_column("customers", sa.Column("time_zone", sa.String(length=64), nullable=True))

    op.add_column("partner_records", sa.Column("provisional_ends_at", UtcDateTime(), nullable=True))
    rows = bind.execute(
        sa.select(_records.c.id, _records.c.provisional_until).where(
            _records.c.provisional_until.is_not(None)
        )
    ).all()
    for record_id, until in rows:
        bind.execute(
            _records.update()
            .where(_records.c.id == record_id)
            .values(provisional_ends_at=_end_of_utc_day(until))
        )
    op.create_index(
        "ix_partner_records_status_provisional_ends_at",
        "partner_records",
        ["status", "provisional_ends_at"],
        unique=False,
    )
    op.drop_index("ix_partner_records_status_provisional_until", table_name="partner_records")

    # The links' products are read before the column goes: SQLite drops it by rebuilding
    # signup_links, which it can only do while no other table refers to it.
    links = bind.execute(
        sa.select(_links.c.token_hash, _links.c.product).where(_links.c.product.is_not(None))
    ).all()
    with op.batch_alter_table("signup_links") as batch_op:
        if bind.dialect.name != "sqlite":
            batch_op.drop_constraint("fk_signup_links_product_products", type_="foreignkey")
        batch_op.drop_column("product")
    op.create_table(
        "signup_link_products",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_signup_link_products_product_products")
        ),
        sa.ForeignKeyConstraint(
            ["token_hash"],
            ["signup_links.token_hash"],
            name=op.f("fk_signup_link_products_token_hash_signup_links"),
        ),
        sa.PrimaryKeyConstraint("token_hash", "position", name=op.f("pk_signup_link_products")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    if links:
        op.bulk_insert(
            _link_products,
            [{"token_hash": h, "position": 0, "product": p} for h, p in links],
        )


def downgrade() -> None:
    bind = op.get_bind()
    first = bind.execute(
        sa.select(_link_products.c.token_hash, _link_products.c.product).where(
            _link_products.c.position == 0
        )
    ).all()
    op.drop_table("signup_link_products")
    with op.batch_alter_table("signup_links") as batch_op:
        batch_op.add_column(sa.Column("product", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            "fk_signup_links_product_products", "products", ["product"], ["key"]
        )
    for token_hash, product in first:
        bind.execute(
            _links.update().where(_links.c.token_hash == token_hash).values(product=product)
        )

    op.create_index(
        "ix_partner_records_status_provisional_until",
        "partner_records",
        ["status", "provisional_until"],
        unique=False,
    )
    op.drop_index("ix_partner_records_status_provisional_ends_at", table_name="partner_records")
    op.drop_column("partner_records", "provisional_ends_at")
    op.drop_column("customers", "time_zone")

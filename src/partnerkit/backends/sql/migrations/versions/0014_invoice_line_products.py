"""Invoice lines name the product they sell: a payment on the line earns its partner of
record's commission (issue 10, "Commissions from real money").

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_FK = "fk_invoice_lines_product_products"


def upgrade() -> None:
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.add_column(sa.Column("product", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(_FK, "products", ["product"], ["key"])


def downgrade() -> None:
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.drop_column("product")

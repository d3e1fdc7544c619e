"""Checkout: orders, order lines, payments, order history and processed gateway events.

Orders carry the shopper's secret link token; lines copy what was sold; payment
rows record each charge and refund; webhook events are kept by id so a
redelivered event is a no-op.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 05:00:57
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("shop_order",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("number", sa.String(length=20), nullable=False),
    sa.Column("token", sa.String(length=64), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=False),
    sa.Column("subtotal_cents", sa.Integer(), nullable=False),
    sa.Column("shipping_cents", sa.Integer(), nullable=False),
    sa.Column("total_cents", sa.Integer(), nullable=False),
    sa.Column("gateway", sa.String(length=20), nullable=False),
    sa.Column("gateway_session_id", sa.String(length=255), nullable=True),
    sa.Column("payment_url", sa.Text(), nullable=True),
    sa.Column("payment_reference", sa.String(length=255), nullable=True),
    sa.Column("payment_expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("email", sa.String(length=254), nullable=True),
    sa.Column("shipping_name", sa.String(length=200), nullable=False),
    sa.Column("shipping_line1", sa.String(length=200), nullable=False),
    sa.Column("shipping_line2", sa.String(length=200), nullable=False),
    sa.Column("shipping_city", sa.String(length=120), nullable=False),
    sa.Column("shipping_state", sa.String(length=120), nullable=False),
    sa.Column("shipping_postal_code", sa.String(length=30), nullable=False),
    sa.Column("shipping_country", sa.String(length=2), nullable=False),
    sa.Column("carrier", sa.String(length=60), nullable=False),
    sa.Column("tracking_number", sa.String(length=120), nullable=False),
    sa.Column("cancel_reason", sa.Text(), nullable=False),
    sa.Column("needs_attention", sa.Boolean(), nullable=False),
    sa.Column("attention_reason", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'paid', 'shipped', 'cancelled', 'expired', 'failed')", name=op.f("ck_shop_order_status_known")),
    sa.CheckConstraint("shipping_cents >= 0", name=op.f("ck_shop_order_shipping_non_negative")),
    sa.CheckConstraint("subtotal_cents >= 0", name=op.f("ck_shop_order_subtotal_non_negative")),
    sa.CheckConstraint("total_cents = subtotal_cents + shipping_cents", name=op.f("ck_shop_order_total_adds_up")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_order")),
    sa.UniqueConstraint("gateway_session_id", name=op.f("uq_shop_order_gateway_session_id")),
    sa.UniqueConstraint("number", name=op.f("uq_shop_order_number")),
    sa.UniqueConstraint("token", name=op.f("uq_shop_order_token"))
    )
    with op.batch_alter_table("shop_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shop_order_needs_attention"), ["needs_attention"], unique=False)
        batch_op.create_index(batch_op.f("ix_shop_order_payment_reference"), ["payment_reference"], unique=False)
        batch_op.create_index("ix_shop_order_status_created_at", ["status", "created_at"], unique=False)

    op.create_table("order_event",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("order_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=40), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("actor", sa.String(length=200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["order_id"], ["shop_order.id"], name=op.f("fk_order_event_order_id_shop_order"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_order_event"))
    )
    with op.batch_alter_table("order_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_event_order_id"), ["order_id"], unique=False)

    op.create_table("payment",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("order_id", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(length=10), nullable=False),
    sa.Column("gateway", sa.String(length=20), nullable=False),
    sa.Column("reference", sa.String(length=255), nullable=False),
    sa.Column("amount_cents", sa.Integer(), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('charge', 'refund')", name=op.f("ck_payment_kind_known")),
    sa.CheckConstraint("amount_cents >= 0", name=op.f("ck_payment_amount_non_negative")),
    sa.ForeignKeyConstraint(["order_id"], ["shop_order.id"], name=op.f("fk_payment_order_id_shop_order"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    sa.UniqueConstraint("gateway", "kind", "reference", name=op.f("uq_payment_gateway"))
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_order_id"), ["order_id"], unique=False)

    op.create_table("webhook_event",
    sa.Column("id", sa.String(length=255), nullable=False),
    sa.Column("gateway", sa.String(length=20), nullable=False),
    sa.Column("type", sa.String(length=100), nullable=False),
    sa.Column("order_id", sa.Integer(), nullable=True),
    sa.Column("outcome", sa.String(length=40), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["order_id"], ["shop_order.id"], name=op.f("fk_webhook_event_order_id_shop_order"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event"))
    )
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_event_order_id"), ["order_id"], unique=False)

    op.create_table("order_line",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("order_id", sa.Integer(), nullable=False),
    sa.Column("variant_id", sa.Integer(), nullable=True),
    sa.Column("product_slug", sa.String(length=120), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("sku", sa.String(length=64), nullable=False),
    sa.Column("size", sa.String(length=10), nullable=False),
    sa.Column("width", sa.String(length=40), nullable=False),
    sa.Column("colour", sa.String(length=40), nullable=False),
    sa.Column("unit_price_cents", sa.Integer(), nullable=False),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("line_total_cents", sa.Integer(), nullable=False),
    sa.CheckConstraint("line_total_cents = unit_price_cents * quantity", name=op.f("ck_order_line_line_total_adds_up")),
    sa.CheckConstraint("quantity > 0", name=op.f("ck_order_line_quantity_positive")),
    sa.CheckConstraint("unit_price_cents >= 0", name=op.f("ck_order_line_unit_price_non_negative")),
    sa.ForeignKeyConstraint(["order_id"], ["shop_order.id"], name=op.f("fk_order_line_order_id_shop_order"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["variant_id"], ["variant.id"], name=op.f("fk_order_line_variant_id_variant"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line"))
    )
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_line_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_line_variant_id"), ["variant_id"], unique=False)



def downgrade():
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_variant_id"))
        batch_op.drop_index(batch_op.f("ix_order_line_order_id"))

    op.drop_table("order_line")
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_event_order_id"))

    op.drop_table("webhook_event")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_order_id"))

    op.drop_table("payment")
    with op.batch_alter_table("order_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_event_order_id"))

    op.drop_table("order_event")
    with op.batch_alter_table("shop_order", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_order_status_created_at")
        batch_op.drop_index(batch_op.f("ix_shop_order_payment_reference"))
        batch_op.drop_index(batch_op.f("ix_shop_order_needs_attention"))

    op.drop_table("shop_order")

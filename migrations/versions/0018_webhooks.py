"""webhooks: endpoints and their subscriptions, messages, deliveries and delivery attempts
(Standard Webhooks, sent by the job system from the outbox).

Revision ID: 0018_webhooks
Revises: 0017_imports
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018_webhooks"
down_revision: str | None = "0017_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("owner_role", _text(20), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("url", _text(2000), nullable=False),
        sa.Column("description", _text(200), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("previous_secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("previous_secret_until", TS, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", TS, nullable=True),
        sa.Column("disabled_reason", _text(300), nullable=True),
        sa.Column("failed_deliveries_in_a_row", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_webhook_endpoint_owner_id"), "webhook_endpoint", ["owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_webhook_endpoint_organization_id"),
        "webhook_endpoint",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "webhook_subscription",
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", _text(60), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoint.id"]),
        sa.PrimaryKeyConstraint("endpoint_id", "event_type"),
    )
    op.create_index(
        op.f("ix_webhook_subscription_event_type"),
        "webhook_subscription",
        ["event_type"],
        unique=False,
    )
    op.create_table(
        "webhook_message",
        sa.Column("id", _text(40), nullable=False),
        sa.Column("event_type", _text(60), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_webhook_message_organization_id"),
        "webhook_message",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_id", _text(40), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("succeeded_at", TS, nullable=True),
        sa.Column("failed_at", TS, nullable=True),
        sa.Column("last_error", _text(60), nullable=True),
        sa.Column("redelivery_of", sa.Uuid(), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["webhook_message.id"]),
        sa.ForeignKeyConstraint(["endpoint_id"], ["webhook_endpoint.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_webhook_delivery_message_id"), "webhook_delivery", ["message_id"], unique=False
    )
    op.create_index(
        "ix_webhook_delivery_endpoint_created",
        "webhook_delivery",
        ["endpoint_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("response_excerpt", _text(500), nullable=True),
        sa.Column("error", _text(60), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_delivery.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_webhook_attempt_delivery_id"), "webhook_attempt", ["delivery_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_attempt_delivery_id"), table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index("ix_webhook_delivery_endpoint_created", table_name="webhook_delivery")
    op.drop_index(op.f("ix_webhook_delivery_message_id"), table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index(op.f("ix_webhook_message_organization_id"), table_name="webhook_message")
    op.drop_table("webhook_message")
    op.drop_index(op.f("ix_webhook_subscription_event_type"), table_name="webhook_subscription")
    op.drop_table("webhook_subscription")
    op.drop_index(op.f("ix_webhook_endpoint_organization_id"), table_name="webhook_endpoint")
    op.drop_index(op.f("ix_webhook_endpoint_owner_id"), table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")

"""federation: provider subjects linked to learners (``federated_identity``) and the server
side of OpenID Connect sign-ins (``oidc_login``).

Revision ID: 0019_federation
Revises: 0018_webhooks
Create Date: 2026-12-01 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019_federation"
down_revision: str | None = "0018_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "federated_identity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", _text(32), nullable=False),
        sa.Column("issuer", _text(500), nullable=False),
        sa.Column("subject", _text(255), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_sign_in_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject", name="uq_federated_identity_subject"),
        sa.UniqueConstraint("issuer", "learner_id", name="uq_federated_identity_learner"),
    )
    op.create_index(
        op.f("ix_federated_identity_learner_id"),
        "federated_identity",
        ["learner_id"],
        unique=False,
    )
    op.create_table(
        "oidc_login",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state_hash", _text(64), nullable=False),
        sa.Column("browser_hash", _text(64), nullable=False),
        sa.Column("provider", _text(32), nullable=False),
        sa.Column("issuer", _text(500), nullable=False),
        sa.Column("nonce", _text(128), nullable=False),
        sa.Column("verifier_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("return_to", _text(500), nullable=False),
        sa.Column("lang", _text(5), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("subject", _text(255), nullable=True),
        sa.Column("link_handle_hash", _text(64), nullable=True),
        sa.Column("link_expires_at", TS, nullable=True),
        sa.Column("link_used_at", TS, nullable=True),
        sa.Column("link_attempts", sa.Integer(), nullable=False),
        sa.Column("account_hint", _text(64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
        sa.UniqueConstraint("link_handle_hash"),
    )
    op.create_index(op.f("ix_oidc_login_expires_at"), "oidc_login", ["expires_at"], unique=False)
    op.create_index(op.f("ix_oidc_login_subject"), "oidc_login", ["subject"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_login_subject"), table_name="oidc_login")
    op.drop_index(op.f("ix_oidc_login_expires_at"), table_name="oidc_login")
    op.drop_table("oidc_login")
    op.drop_index(op.f("ix_federated_identity_learner_id"), table_name="federated_identity")
    op.drop_table("federated_identity")

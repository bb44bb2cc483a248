"""launch sessions: one row per cmi5 AU / xAPI activity launch for an enrollment (the one-time
cmi5 fetch code, the session id, expiry)

Revision ID: 0007_launch_sessions
Revises: 0006_tallies
Create Date: 2026-11-28 15:44:17.044911
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_launch_sessions"
down_revision: str | None = "0006_tallies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "launch_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("registration", sa.Uuid(), nullable=False),
        sa.Column("package_version_id", sa.Uuid(), nullable=False),
        sa.Column("au_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("fetch_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("return_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["package_version_id"],
            ["package_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fetch_code"),
        sa.UniqueConstraint("session_id"),
    )
    with op.batch_alter_table("launch_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_launch_session_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_launch_session_registration"), ["registration"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("launch_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_launch_session_registration"))
        batch_op.drop_index(batch_op.f("ix_launch_session_enrollment_id"))

    op.drop_table("launch_session")

"""scorm runtime: the SCO runtime state an LMS keeps between sessions (resume values, statuses,
score, total_time) and, on each commit, the player's runtime session, sequence and session time,
so the cumulative commits of one session are counted once

Revision ID: 0013_scorm_runtime
Revises: 0012_lrs_backfill
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_scorm_runtime"
down_revision: str | None = "0012_lrs_backfill"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scorm_runtime_state",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("sco_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("package_version_id", sa.Uuid(), nullable=True),
        sa.Column("cmi_values", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("success", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("total_centiseconds", sa.BigInteger(), nullable=False),
        sa.Column("runtime_session", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("last_commit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["enrollment_id"], ["enrollment.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrollment_id", "sco_id", name="uq_scorm_runtime_state"),
    )
    with op.batch_alter_table("scorm_runtime_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scorm_runtime_state_enrollment_id"), ["enrollment_id"], unique=False
        )
    with op.batch_alter_table("scorm_commit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sco_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch_op.add_column(
            sa.Column("runtime_session", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("session_centiseconds", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            batch_op.f("ix_scorm_commit_runtime_session"), ["runtime_session"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scorm_commit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorm_commit_runtime_session"))
        batch_op.drop_column("session_centiseconds")
        batch_op.drop_column("sequence")
        batch_op.drop_column("runtime_session")
        batch_op.drop_column("sco_id")
    with op.batch_alter_table("scorm_runtime_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorm_runtime_state_enrollment_id"))
    op.drop_table("scorm_runtime_state")

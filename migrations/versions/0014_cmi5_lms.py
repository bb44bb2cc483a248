"""cmi5 lms: the launch session keeps the package format, the LMS-generated activity id, the
launch mode and the session's Initialized/Terminated/Abandoned times (cmi5 8.1.5, 9.3, 10);
cmi5_progress records each registration's AU results, waivers and Satisfied blocks and courses.

Existing launch sessions get their version's format, and as activity id the one they handed out
(the AU's publisher id), so statements already sent under them still map to their AU.

Revision ID: 0014_cmi5_lms
Revises: 0013_scorm_runtime
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_cmi5_lms"
down_revision: str | None = "0013_scorm_runtime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
OPEN = "initialized_at IS NOT NULL AND terminated_at IS NULL AND abandoned_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("launch_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "format",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("activity_id", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("launch_mode", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
        )
        for name in ("initialized_at", "terminated_at", "abandoned_at", "last_statement_at"):
            batch_op.add_column(sa.Column(name, TS, nullable=True))
    op.execute(
        "UPDATE launch_session SET format = COALESCE((SELECT package_version.format FROM "
        "package_version WHERE package_version.id = launch_session.package_version_id), ''), "
        "activity_id = au_id"
    )
    op.execute("UPDATE launch_session SET launch_mode = 'Normal' WHERE format = 'cmi5'")
    with op.batch_alter_table("launch_session", schema=None) as batch_op:
        batch_op.alter_column("format", server_default=None)
        batch_op.create_index(
            "ix_launch_session_activity", ["registration", "activity_id"], unique=False
        )
        batch_op.create_index(
            "ix_launch_session_open",
            ["last_statement_at"],
            unique=False,
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
    op.create_table(
        "cmi5_progress",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("registration", sa.Uuid(), nullable=False),
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("publisher_id", sa.Text(), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("waived_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("satisfied_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["enrollment_id"], ["enrollment.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration", "activity_id", name="uq_cmi5_progress"),
    )
    with op.batch_alter_table("cmi5_progress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cmi5_progress_enrollment_id"), ["enrollment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cmi5_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmi5_progress_enrollment_id"))
    op.drop_table("cmi5_progress")
    with op.batch_alter_table("launch_session", schema=None) as batch_op:
        batch_op.drop_index("ix_launch_session_open")
        batch_op.drop_index("ix_launch_session_activity")
        for name in (
            "last_statement_at",
            "abandoned_at",
            "terminated_at",
            "initialized_at",
            "launch_mode",
            "activity_id",
            "format",
        ):
            batch_op.drop_column(name)

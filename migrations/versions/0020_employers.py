"""employers: shares addressed to an employer (``credential_share.employer_organization_id``)
and employers' credential checks (``employer_check_run``, ``employer_check_row``).

The ``employer`` role needs no schema change (``user.role`` is text).

Revision ID: 0020_employers
Revises: 0019_federation
Create Date: 2026-12-01 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020_employers"
down_revision: str | None = "0019_federation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # batch: SQLite adds a foreign key only by rebuilding the table
    with op.batch_alter_table("credential_share", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employer_organization_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_credential_share_employer_organization_id"),
            ["employer_organization_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            "fk_credential_share_employer_organization_id",
            "organization",
            ["employer_organization_id"],
            ["id"],
        )

    op.create_table(
        "employer_check_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("source", _text(20), nullable=False),
        sa.Column("file_name", _text(200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_employer_check_run_organization_id"),
        "employer_check_run",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_employer_check_run_created_by"), "employer_check_run", ["created_by"], unique=False
    )
    op.create_table(
        "employer_check_row",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("input_kind", _text(20), nullable=False),
        sa.Column("reference", _text(500), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("result", _text(20), nullable=False),
        sa.Column("reason", _text(80), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("credential_id", _text(200), nullable=True),
        sa.Column("achievement", _text(500), nullable=True),
        sa.Column("issuer", _text(500), nullable=True),
        sa.Column("issued", _text(40), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["employer_check_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_employer_check_row_run_id"), "employer_check_row", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_employer_check_row_result"), "employer_check_row", ["result"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_employer_check_row_result"), table_name="employer_check_row")
    op.drop_index(op.f("ix_employer_check_row_run_id"), table_name="employer_check_row")
    op.drop_table("employer_check_row")
    op.drop_index(op.f("ix_employer_check_run_created_by"), table_name="employer_check_run")
    op.drop_index(op.f("ix_employer_check_run_organization_id"), table_name="employer_check_run")
    op.drop_table("employer_check_run")
    with op.batch_alter_table("credential_share", schema=None) as batch_op:
        batch_op.drop_constraint("fk_credential_share_employer_organization_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_credential_share_employer_organization_id"))
        batch_op.drop_column("employer_organization_id")

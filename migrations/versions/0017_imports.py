"""imports: spreadsheet imports run as jobs (``import_run``) and each row's outcome
(``import_row``), the report's source once the uploaded file is deleted.

Revision ID: 0017_imports
Revises: 0016_tally_cube
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017_imports"
down_revision: str | None = "0016_tally_cube"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("filename", _text(200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", _text(64), nullable=False),
        sa.Column("object_key", _text(300), nullable=True),
        sa.Column("file_format", _text(10), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("last_row", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("refusal_code", _text(60), nullable=True),
        sa.Column("refusal_message", _text(500), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_role", _text(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_import_run_organization_id"), "import_run", ["organization_id"], unique=False
    )
    op.create_table(
        "import_row",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("outcome", _text(20), nullable=False),
        sa.Column("reason", _text(60), nullable=True),
        sa.Column("message", _text(500), nullable=True),
        sa.Column("entity_id", _text(64), nullable=True),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["import_run.id"]),
        sa.PrimaryKeyConstraint("import_id", "row"),
    )


def downgrade() -> None:
    op.drop_table("import_row")
    op.drop_index(op.f("ix_import_run_organization_id"), table_name="import_run")
    op.drop_table("import_run")

"""tally overlap: learners' repeats per agreement mask, so distinct learners of any grouping are
person-times (from the rollup cells) minus repeats, read from a small indexed slice instead of
``COUNT(DISTINCT)`` over every completion fact (README "Tallies").

The table is filled here from the existing completion facts (same computation as the
completion transaction and the reconcile job: :mod:`service.tallies.overlap`).

Revision ID: 0016_tally_cube
Revises: 0015_status_lists_per_key
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016_tally_cube"
down_revision: str | None = "0015_status_lists_per_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CELL_DIMS = (
    "year",
    "district_code",
    "cluster_version",
    "cluster_code",
    "training_type",
    "funding",
    "organization_id",
    "occupation_code",
    "level",
)


def upgrade() -> None:
    table = op.create_table(
        "tally_overlap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mask", sa.Integer(), nullable=False),
        sa.Column("group_code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("cluster_version", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("cluster_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("training_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("funding", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("occupation_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mask", "group_code", *CELL_DIMS, name="uq_tally_overlap"),
    )
    from sqlmodel import Session

    # Reads the facts through this release's code (the same algorithm reconcile uses). A later
    # release that changes tally_completion, CELL_DIMS or the mask layout must freeze a copy of
    # it here, or upgrades from 0015 would fill this table in the new layout.
    from service.tallies.recompute import expected_overlaps

    session = Session(bind=op.get_bind())
    batch: list[dict] = []
    for row in expected_overlaps(session):
        batch.append(row)
        if len(batch) >= 5000:
            op.bulk_insert(table, batch)
            batch = []
    if batch:
        op.bulk_insert(table, batch)


def downgrade() -> None:
    op.drop_table("tally_overlap")

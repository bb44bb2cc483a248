"""workforce: enterprises' yearly headcount (``workforce_year``) and rosters
(``workforce_employee``), enterprise training on ``enrollment`` (employer named and confirmed),
the participation members kept exact (``participation_member``), and the plan's participation
target (50% of an enterprise's employees in training each year).

Revision ID: 0021_workforce
Revises: 0020_employers
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021_workforce"
down_revision: str | None = "0020_employers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _add_enrollment_employer_columns() -> None:
    """SQLite adds a column with its REFERENCES clause in place (a NULL default is allowed);
    batch mode would copy the table, which the ledger and every child table reference, and
    fail their foreign keys. Elsewhere: columns, then named constraints."""
    if op.get_bind().dialect.name == "sqlite":
        for column, parent in (
            ("employer_organization_id", "organization"),
            ("employer_confirmed_by", '"user"'),
        ):
            op.execute(
                f"ALTER TABLE enrollment ADD COLUMN {column} CHAR(32) REFERENCES {parent} (id)"
            )
        op.add_column("enrollment", sa.Column("employer_confirmed_at", TS, nullable=True))
    else:
        op.add_column("enrollment", sa.Column("employer_organization_id", sa.Uuid(), nullable=True))
        op.add_column("enrollment", sa.Column("employer_confirmed_at", TS, nullable=True))
        op.add_column("enrollment", sa.Column("employer_confirmed_by", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            "fk_enrollment_employer_organization",
            "enrollment",
            "organization",
            ["employer_organization_id"],
            ["id"],
        )
        op.create_foreign_key(
            "fk_enrollment_employer_confirmed_by",
            "enrollment",
            "user",
            ["employer_confirmed_by"],
            ["id"],
        )
    op.create_index(
        "ix_enrollment_employer_organization_id", "enrollment", ["employer_organization_id"]
    )


def upgrade() -> None:
    op.create_table(
        "workforce_year",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("cluster_version", _text(10), nullable=True),
        sa.Column("cluster_code", _text(60), nullable=True),
        sa.Column("declared_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["declared_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("organization_id", "year"),
    )
    op.create_table(
        "workforce_employee",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("id_fingerprint", _text(64), nullable=False),
        sa.Column("id_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("id_masked", _text(18), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["added_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "organization_id", "year", "id_fingerprint", name="uq_workforce_employee"
        ),
    )
    op.create_index(
        "ix_workforce_employee_organization_id", "workforce_employee", ["organization_id"]
    )
    op.create_index(
        "ix_workforce_employee_id_fingerprint", "workforce_employee", ["id_fingerprint"]
    )
    op.create_table(
        "participation_member",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("first_completed_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.PrimaryKeyConstraint("organization_id", "year", "learner_id"),
    )
    _add_enrollment_employer_columns()
    targets = sa.table(
        "ref_tally_target",
        sa.column("code", sa.String),
        sa.column("title", sa.String),
        sa.column("description", sa.String),
        sa.column("metric", sa.String),
        sa.column("target", sa.BigInteger),
        sa.column("period_from", sa.Date),
        sa.column("period_to", sa.Date),
        sa.column("filters", sa.JSON),
        sa.column("is_active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        targets,
        [
            {
                "code": "enterprise_participation",
                "title": "企业职工教育培训年参与率 50%",
                "description": "Each year, distinct employees with a completed training over the "
                "declared headcount, citywide weighted by headcount (employees: the enterprise's "
                "roster for the year, or enterprise training it confirmed). Target in percent.",
                "metric": "participation_rate",
                "target": 50,
                "period_from": date(2023, 1, 1),
                "period_to": date(2027, 12, 31),
                "filters": {},
                "is_active": True,
                "created_at": datetime(2026, 12, 1, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM ref_tally_target WHERE code = 'enterprise_participation'")
    op.drop_index("ix_enrollment_employer_organization_id", table_name="enrollment")
    if op.get_bind().dialect.name != "sqlite":  # SQLite's constraints go with their columns
        op.drop_constraint("fk_enrollment_employer_confirmed_by", "enrollment", type_="foreignkey")
        op.drop_constraint("fk_enrollment_employer_organization", "enrollment", type_="foreignkey")
    for column in ("employer_confirmed_by", "employer_confirmed_at", "employer_organization_id"):
        op.drop_column("enrollment", column)
    op.drop_table("participation_member")
    op.drop_index("ix_workforce_employee_id_fingerprint", table_name="workforce_employee")
    op.drop_index("ix_workforce_employee_organization_id", table_name="workforce_employee")
    op.drop_table("workforce_employee")
    op.drop_table("workforce_year")
